/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Passwords from a PAM service of the host, checked by pkgtoken-pam-helper (pam-helper/), never
 * in the daemon: the daemon keeps its hardened unit, the helper has the rights the PAM stack
 * needs (docs/ARCHITECTURE.md, "Passwords from a PAM service").
 *
 * pam_backend_check() blocks for at most the timeout: it runs on a worker thread (worker.h),
 * never on the event loop, and touches neither the bus nor the store.  Every way the helper
 * can fail (missing, hung, killed, answering garbage) is an answer of "unavailable", never a
 * success. */

#include <stdatomic.h>

#include "time-util.h"

#define PAM_HELPER_SOCKET_DEFAULT "/run/pkgtoken/pam-helper.sock"
#define PAM_HELPER_TIMEOUT_DEFAULT (5 * USEC_PER_SEC)

typedef struct PamBackend {
        const char *helper_path;     /* start this program per check ("" none) ... */
        const char *socket_path;     /* ... else connect here (socket activation) */
        usec_t timeout;
        /* How long a PAM check usually takes (a moving average of the checks that got a
         * verdict); 0 until the first.  Written by worker threads. */
        _Atomic usec_t typical;
} PamBackend;

/* 1 accepted, 0 refused (wrong password, unknown user, account barred), or a negative errno
 * when the helper gave no verdict (logged with the reason). */
int pam_backend_check(PamBackend *b, const char *service, const char *user, const char *password);

/* Waits as long as a PAM check usually takes: for refusals that asked no PAM service (an
 * unknown account, a local password), so that they cost what a PAM account's refusal costs
 * and the time tells nothing about which accounts exist or where their passwords live.
 * Nothing while no PAM check was made. */
void pam_backend_equalise(PamBackend *b);
