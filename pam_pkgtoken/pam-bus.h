/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The module's calls to pkgtokend: the connection kept between PAM calls, one deadline over
 * everything on it, and each method the module uses.  A daemon that is absent, hung or refuses
 * us is OUTCOME_UNAVAILABLE; a reply we cannot read is OUTCOME_SYSTEM_ERROR. */

#include "pam-context.h"
#include "pam-outcome.h"

/* The spare connection of this process, or a new one, in c->bus. */
Outcome bus_open(Context *c);

/* Keeps c->bus as the spare connection when its calls went well, closes it otherwise.  For
 * _cleanup_ at the end of each PAM call. */
void bus_release(Context *c);

/* The client's address from PAM_RHOST when it is an IP address; "" otherwise. */
const char *remote_address(Context *c);

/* A reply of Authenticate or Authorize. */
typedef struct Answer {
        sd_bus_message *reply;          /* owns the strings below */
        const char *result;
        const char *reason;
        const char *actor;              /* Authorize */
        const char *token_id;           /* Authorize */
        uint64_t locked_until;          /* Authenticate */
} Answer;

void answer_done(Answer *a);

Outcome bus_authenticate(Context *c, const char *password, const char *otp, Answer *ret);
Outcome bus_authorize(Context *c, const char *token, const char *package, Action action, const char *otp, Answer *ret);

/* CheckAccount, as an outcome: OK, ACCOUNT_LOCKED, LOCKED, UNKNOWN_ACCOUNT, or a failure. */
Outcome bus_check_account(Context *c);

/* SetPassword, as an outcome. */
Outcome bus_set_password(Context *c, const char *old, const char *new);
