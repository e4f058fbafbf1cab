/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Lockouts: failed passwords and codes by account name (known or not, so a lockout does not
 * tell which accounts exist), kept in the store so they survive restarts; and the same
 * failures counted against the remote address in the rate limiter.
 *
 * Narrow first, so that nobody can lock anybody out from afar: `threshold` failures for one
 * name from one remote address (counted as the rate limiter counts addresses: IPv6 by
 * prefix) lock that name for that address only; `account_threshold` failures from all
 * addresses together lock the whole account (what CheckAccount and GetAccount report). */

#include "ratelimit.h"
#include "store.h"

typedef struct Lockout {
        Store *store;
        RateLimit *ratelimit;
        unsigned threshold;          /* failures from one address within window ... */
        unsigned account_threshold;  /* ... or from all addresses ... */
        usec_t window;
        usec_t duration;             /* ... lock the name (for that address or for all) this long */
        usec_t recovery_hold;        /* RecoveryHoldSec=: reads only this long after a recovery; 0 off */
} Lockout;

/* True while name is locked out for all addresses; fails closed (true) when the counters
 * cannot be read. */
bool lockout_active(Store *s, const char *name, usec_t now, usec_t *ret_until);

/* True while name is locked out for remote: for all addresses, or for remote's; fails
 * closed.  ret_until: when the later of the two ends. */
bool lockout_active_from(const Lockout *l, const char *name, const char *remote, usec_t now, usec_t *ret_until);

/* Counts a failure; call inside a write transaction.  Returns 1 when this failure locked the
 * name (and recorded that in the audit log), 0 otherwise, or a negative errno. */
int lockout_note_failure(const Lockout *l, const char *name, const char *remote, usec_t now);

/* After a success from remote: forgets the name's failures from there and from all
 * addresses (the account is not locked, or it would not have succeeded). */
int lockout_clear(const Lockout *l, const char *name, const char *remote);

/* The wrong-password or wrong-code sequence of a call that then fails: counts the failure,
 * commits tx so the count outlives the failing call, and returns error (a negative errno) —
 * or the store's error when counting or committing failed. */
int lockout_refuse(const Lockout *l, Transaction *tx, const char *name, const char *remote, usec_t now, int error);
