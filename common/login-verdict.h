/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The login verdict (Authenticate) and CheckAccount's answer, as pure functions of facts.
 *
 * A login is decided in two calls around the slow password hash, which runs off the event
 * loop: first with the password unchecked (the answer may already be final: rate limit,
 * lockout), then with the hash's result, inside the transaction that records the outcome.
 * pkgtokend/login.c gathers the facts and carries out what the verdict says. */

#include <stdbool.h>

#include "decision.h"

typedef enum PasswordCheck {
        PASSWORD_UNCHECKED,   /* not hashed yet */
        PASSWORD_QUEUE_FULL,  /* could not be hashed: too many logins wait already */
        PASSWORD_MISMATCH,    /* wrong, or the hash failed */
        PASSWORD_MATCH,
        PASSWORD_BACKEND_UNAVAILABLE, /* the account's PAM service gave no verdict (pam-backend.h) */
        _PASSWORD_CHECK_MAX,
} PasswordCheck;

typedef struct LoginFacts {
        bool rate_limited;        /* the remote used up its failures */
        bool name_valid;          /* a well-formed account name (else nothing is stored for it) */
        bool locked_out;          /* too many failures for this name (known or not) */
        usec_t locked_until;
        PasswordCheck password;
        bool account_known;       /* exists and is a human account (service accounts have no password) */
        bool account_locked;      /* locked by an admin */
        TwoFactorMode twofa;      /* the active mode */
        bool otp_given;
        bool session_requested;
} LoginFacts;

typedef enum LoginFailure {
        LOGIN_FAILURE_NONE,
        LOGIN_FAILURE_REMOTE,     /* counts against the remote address only */
        LOGIN_FAILURE_ACCOUNT,    /* counts toward the name's lockout, and against the remote */
        _LOGIN_FAILURE_MAX,
} LoginFailure;

/* The reason code of a login refused because the password's PAM service gave no verdict. */
#define LOGIN_REFUSAL_BACKEND_UNAVAILABLE "password-backend-unavailable"

typedef struct LoginVerdict {
        bool check_password;      /* no answer yet: hash the password and decide again */
        AuthnResult result;
        const char *reason;       /* static, for the reply */
        usec_t locked_until;      /* reported with AUTHN_LOCKED from a lockout; 0 none */
        LoginFailure count_failure;
        bool commit;              /* keep the transaction: counters, a spent code, the login */
        bool clear_failures;
        bool issue_session;
        bool audit_login;         /* a "login" "ok" audit record, with audit_reason */
        const char *audit_reason;
        /* A refusal the admin must tell apart although the user may not: recorded in the
         * audit as a failed "login" with this reason code; NULL none. */
        const char *audit_refusal;
        int error;                /* < 0: the OTP checker failed, fail the call */
} LoginVerdict;

/* check_otp is called at most once, only when the password is right, the account has 2FA
 * and a code was given. */
LoginVerdict login_verdict(const LoginFacts *f, OtpChecker check_otp, void *userdata);

/* CheckAccount: exists (else "unknown"), an admin's lock, a lockout after failures. */
AccountState account_check_verdict(bool exists, bool locked, bool locked_out, const char **ret_reason);
