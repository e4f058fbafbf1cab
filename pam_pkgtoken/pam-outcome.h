/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Outcomes: everything that can happen in a PAM call, and the one place where each becomes a
 * PAM code and a message.  The daemon's answers map to outcomes through tables too; a word
 * the tables do not know is OUTCOME_SYSTEM_ERROR, never a success (fail closed). */

#include "macro.h"
#include "pam-context.h"

typedef enum Outcome {
        OUTCOME_OK,
        OUTCOME_BAD_SECRET,             /* wrong password, unknown account, no or empty secret */
        OUTCOME_BAD_TOKEN,              /* unknown, revoked, expired, malformed token */
        OUTCOME_BAD_OTP,                /* wrong, reused or expired one-time code */
        OUTCOME_OTP_MISSING,            /* a code is needed and none was given */
        OUTCOME_OTP_UNSUPPORTED,        /* a code is needed and otp=none */
        OUTCOME_LOCKED,                 /* locked by an admin or after failed attempts */
        OUTCOME_RATE_LIMITED,           /* too many failures from this address */
        OUTCOME_FORBIDDEN,              /* out of scope, read-only, tokens denied, no package */
        OUTCOME_ACCOUNT_LOCKED,         /* account management: the account may not be used */
        OUTCOME_UNKNOWN_ACCOUNT,        /* account management, nullok, invalid user names */
        OUTCOME_UNAVAILABLE,            /* daemon absent, hung, unreachable, refusing us */
        OUTCOME_NO_MEMORY,
        OUTCOME_CONV_ERROR,
        OUTCOME_BAD_CONFIG,             /* an option, or a PKGTOKEN_* variable, is malformed */
        OUTCOME_OLD_PASSWORD_WRONG,     /* chauthtok */
        OUTCOME_OLD_PASSWORD_MISSING,   /* chauthtok, use_first_pass without an old password */
        OUTCOME_NEW_PASSWORD_REJECTED,  /* chauthtok: mistyped, unacceptable, use_authtok */
        OUTCOME_SYSTEM_ERROR,           /* PAM itself failed, or an answer we do not know */
        _OUTCOME_MAX,
} Outcome;

/* The message shown for the outcome instead of the table's. */
void set_message(Context *c, const char *fmt, ...) _printf_(2, 3);

/* The PAM code of the outcome, after showing its message (unless PAM_SILENT) and applying
 * nullok and ignore_authinfo_unavail. */
int outcome_finish(Context *c, Outcome o);

/* PAM's own failures (pam_get_item(), pam_set_data(), ...). */
Outcome outcome_from_pam(int pam_code);

/* The daemon's answers: Authenticate's and Authorize's results (model.h's AuthnResult and
 * AuthzResult words, each as the final answer of a login, so "otp-required" after a code was
 * given is a wrong code), and CheckAccount's states ("active", "locked" by an admin,
 * "locked-out" after failed attempts, "unknown"). */
Outcome outcome_from_authn_result(const char *result);
Outcome outcome_from_authz_result(const char *result);
Outcome outcome_from_account_state(const char *state);
