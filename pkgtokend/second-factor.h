/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* An account's second factor: TOTP codes (each works once: the counter of the last accepted
 * one is stored) and single-use recovery codes; enrolment and the 2FA mode. */

#include "code-reuse.h"
#include "decision.h"
#include "lockout.h"
#include "store.h"

/* Who may send an accepted code again (code-reuse.h): the credentials that proved it and the
 * client's address.  A NULL reuse table: every code works once, whoever sends it. */
typedef struct OtpRepeat {
        CodeReuse *reuse;
        const char *subject;     /* "login:ACCOUNT" or "token" */
        const char *secret;      /* the password or the token that came with the code */
        const char *remote;
        bool repeated;           /* out: the code was accepted as such a repeat */
} OtpRepeat;

/* Checks code against the account's active TOTP secret (or, when allowed, its recovery
 * codes) and spends it; call inside a write transaction, so two concurrent requests cannot
 * both use one code.  Returns an OtpCheck or a negative errno. */
int second_factor_verify(Store *s, const AccountSecrets *secrets, const char *code, bool allow_recovery,
                         OtpRepeat *repeat, usec_t now);

/* A code to check lazily for a verdict (an OtpChecker over this). */
typedef struct OtpCheckRequest {
        Store *store;
        const char *account;
        const char *code;
        bool allow_recovery;
        const Lockout *lockout;  /* when set, the code of an account locked out for ... */
        const char *remote;      /* ... this address is not even checked */
        OtpRepeat *repeat;       /* NULL: management calls, where a code never repeats */
        usec_t recovery_hold;    /* a recovery code accepted starts a hold this long (accounts.h); 0 none */
        usec_t now;
} OtpCheckRequest;
int second_factor_checker(void *userdata);

/* The errno (and a static message) a call fails with for a code that is not valid. */
int second_factor_refusal(OtpCheck outcome, const char **ret_message);

/* For management calls on an account with 2FA (token creation, 2FA and password changes):
 * the caller must give a current code.  A wrong code is counted and committed in tx before
 * the call fails with ERR_OTP_REQUIRED, ERR_BAD_OTP, ERR_REPLAYED_OTP or ERR_RATE_LIMITED;
 * *ret_message then says why. */
int second_factor_require(const Lockout *l, Transaction *tx, const char *account, const char *otp,
                          bool allow_recovery, usec_t now, const char **ret_message);

/* The same in a transaction of its own. */
int second_factor_require_now(const Lockout *l, const char *account, const char *otp, bool allow_recovery, usec_t now,
                              const char **ret_message);

/* EnrollTOTP: a new pending secret; *ret_uri is the otpauth:// URI (a secret: erase it). */
int second_factor_enroll(Store *s, const char *issuer, const char *account, char **ret_uri, const char **ret_message);

/* ConfirmTOTP, in tx: a valid code of the pending secret turns 2FA on in mode.  On success
 * *ret_account_id says whose recovery codes to replace. */
int second_factor_confirm(const Lockout *l, Transaction *tx, const char *account, const char *otp,
                          TwoFactorMode mode, usec_t now, int64_t *ret_account_id, const char **ret_message);

/* Starts a change of an account's 2FA settings in tx: 2FA must be on, and the caller gives a
 * code (or is an admin overriding). */
int second_factor_begin_change(const Lockout *l, Transaction *tx, const char *account, const char *otp,
                               bool admin_override, usec_t now, AccountRecord *ret, const char **ret_message);
int second_factor_set_mode(Store *s, const AccountRecord *a, TwoFactorMode mode, usec_t now);

/* Makes RECOVERY_CODES_COUNT new codes, stores their hashes (in the caller's transaction)
 * and returns the codes in codes[] (free with recovery_codes_free()). */
int second_factor_new_recovery_codes(Store *s, int64_t account_id, char **codes);
