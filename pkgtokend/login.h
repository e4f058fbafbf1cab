/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Logins (Authenticate) and password changes (SetPassword).  Hashing a password is slow on
 * purpose and must not run on the event loop, so each is two steps: prepare (on the loop:
 * the answers that need no hash, and the stored hash to compare with), then the bus glue
 * hashes on a worker thread, then finish (on the loop again: the verdict, in a transaction). */

#include <sys/types.h>

#include "code-reuse.h"
#include "lockout.h"
#include "login-verdict.h"
#include "store.h"
#include "token.h"

typedef struct LoginContext {
        Store *store;
        const Lockout *lockout;
        const char *dummy_hash;       /* checked for unknown accounts, so they cost the same */
        usec_t session_lifetime;
        CodeReuse *code_reuse;        /* NULL: a code never repeats */
} LoginContext;

/* How to check a password: yescrypt against hash always (the account's, or the dummy), so
 * every login costs one; and, for an account whose password is a PAM service's, that
 * service's verdict (pam-backend.h), which then decides. */
typedef struct PasswordCheckPlan {
        char *hash;
        char *pam_service;   /* NULL: the hash decides */
} PasswordCheckPlan;
void password_check_plan_done(PasswordCheckPlan *p);

/* Before the hash.  When the verdict says check_password, *ret_plan says how to check the
 * password; otherwise the verdict is the answer. */
int login_prepare(const LoginContext *c, const char *account, const char *remote, usec_t now,
                  LoginVerdict *ret, PasswordCheckPlan *ret_plan);
/* The answer when the password could not even be queued for hashing. */
LoginVerdict login_queue_full(void);

typedef struct LoginAttempt {
        const char *account;
        const char *otp;              /* "" none */
        const char *password;         /* what was verified: binds a repeated code to it */
        const char *remote;
        bool want_session;
        int verified;                 /* password_verify(): 1 match, 0 mismatch, < 0 failure */
        bool backend_unavailable;     /* the account's PAM service gave no verdict */
} LoginAttempt;

typedef struct LoginOutcome {
        AuthnResult result;
        const char *reason;
        usec_t locked_until;
        char *session_id;             /* a session was issued: its id, token and expiry */
        char session_token[TOKEN_LEN + 1];
        usec_t session_expires_at;
} LoginOutcome;
void login_outcome_done(LoginOutcome *o);

/* After the hash: the verdict, carried out in one transaction.  A negative errno when the
 * store failed. */
int login_finish(const LoginContext *c, const LoginAttempt *a, usec_t now, LoginOutcome *ret);

/* SetPassword, before the hash.  On behalf of a user (not admin) an old password proves the
 * change, and an account with 2FA a code too (spent now).  *ret_hash is what to verify the
 * old password against (NULL when none was given).  Errors: account load errors,
 * ERR_ACCESS_DENIED, ERR_INVALID_ARGUMENT (*ret_message: why the password is unacceptable),
 * ERR_RATE_LIMITED, and those of second_factor_require(), with *ret_message. */
typedef struct PasswordChange {
        const char *account;
        const char *password;
        const char *old_password;     /* NULL: none given */
        const char *otp;
        bool admin;
        unsigned min_length;
} PasswordChange;
int password_change_prepare(const LoginContext *c, const PasswordChange *q, usec_t now, char **ret_hash,
                            const char **ret_message);
/* After the hash: verified as for logins (1 when no old password was needed), new_hash the
 * new password's hash (NULL when hashing failed).  ERR_BAD_PASSWORD (counted toward the
 * lockout), ERR_NO_SUCH_ACCOUNT. */
int password_change_finish(const LoginContext *c, const char *account, int verified, const char *new_hash,
                           uid_t caller, usec_t now);
