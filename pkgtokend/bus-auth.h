/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Password proofs for the registry API (bus-registry.c): the account proves itself as a login
 * does (Authenticate's path: the hash on the worker pool, unknown accounts checked against a
 * dummy hash so they cost the same, lockouts, the OTP when 2FA is on), without a session. */

#include <systemd/sd-bus.h>

#include "manager.h"

typedef struct PasswordProof {
        const char *account;
        const char *password;
        const char *otp;          /* "" none */
        const char *remote;       /* "" unknown */
} PasswordProof;

/* Called on the event loop for a proven account; answers msg itself. */
typedef void (*PasswordProven)(Manager *m, sd_bus_message *msg, const char *account, uid_t caller,
                               const void *userdata);

/* Returns 1 when the proof was queued (msg is answered later: with an error when it does not
 * prove the account, ERR_BAD_CREDENTIALS for unknown accounts and wrong passwords alike, else
 * by proven()), or sets error. */
int bus_prove_password(Manager *m, sd_bus_message *msg, const PasswordProof *p, uid_t caller,
                       PasswordProven proven, const void *userdata, sd_bus_error *error);
