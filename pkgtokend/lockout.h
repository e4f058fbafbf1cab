/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Lockouts: failed passwords and codes by account name (known or not, so a lockout does not
 * tell which accounts exist), kept in the store so they survive restarts; and the same
 * failures counted against the remote address in the rate limiter. */

#include "ratelimit.h"
#include "store.h"

typedef struct Lockout {
        Store *store;
        RateLimit *ratelimit;
        unsigned threshold;      /* failures within window ... */
        usec_t window;
        usec_t duration;         /* ... lock the name this long */
} Lockout;

/* True while name is locked out; fails closed (true) when the counters cannot be read. */
bool lockout_active(Store *s, const char *name, usec_t now, usec_t *ret_until);

/* Counts a failure; call inside a write transaction.  Returns 1 when this failure locked the
 * name (and recorded that in the audit log), 0 otherwise, or a negative errno. */
int lockout_note_failure(const Lockout *l, const char *name, const char *remote, usec_t now);

/* The wrong-password or wrong-code sequence of a call that then fails: counts the failure,
 * commits tx so the count outlives the failing call, and returns error (a negative errno) —
 * or the store's error when counting or committing failed. */
int lockout_refuse(const Lockout *l, Transaction *tx, const char *name, const char *remote, usec_t now, int error);
