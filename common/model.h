/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The words of the model and their one spelling on the bus, in the database and on the
 * command line (docs/ARCHITECTURE.md lists where each is used).  from_string() returns a
 * negative errno (-EINVAL) for unknown words. */

typedef enum AccountKind {
        ACCOUNT_HUMAN,
        ACCOUNT_SERVICE,
        _ACCOUNT_KIND_MAX,
} AccountKind;

typedef enum PackagePolicy {
        POLICY_NONE,               /* "none": 2FA not required to publish */
        POLICY_2FA_OR_AUTOMATION,  /* "2fa-or-automation": default for new packages */
        POLICY_2FA_ONLY,           /* "2fa-only": every publish needs an OTP, automation refused */
        _PACKAGE_POLICY_MAX,
} PackagePolicy;
#define PACKAGE_POLICY_DEFAULT POLICY_2FA_OR_AUTOMATION

typedef enum TokenType {
        TOKEN_READ_ONLY,   /* "read-only" */
        TOKEN_PUBLISH,     /* "publish" */
        TOKEN_AUTOMATION,  /* "automation" */
        TOKEN_SESSION,     /* "session": what a login hands out; publishes like "publish" */
        _TOKEN_TYPE_MAX,
} TokenType;

typedef enum TokenOwner {
        TOKEN_OWNER_ACCOUNT,  /* "account": acts as its account, dies with it */
        TOKEN_OWNER_PACKAGE,  /* "package": owned by its packages, outlives its creator */
        _TOKEN_OWNER_MAX,
} TokenOwner;

typedef enum Action {
        ACTION_READ,
        ACTION_PUBLISH,
        _ACTION_MAX,
} Action;

typedef enum AuthzResult {
        AUTHZ_ALLOWED,       /* "allowed" */
        AUTHZ_OTP_REQUIRED,  /* "otp-required": HTTP 401 + WWW-Authenticate: OTP */
        AUTHZ_FORBIDDEN,     /* "forbidden": HTTP 403 */
        AUTHZ_INVALID,       /* "invalid": HTTP 401 */
        AUTHZ_BAD_OTP,       /* "bad-otp": an OTP was given but is wrong, reused or expired */
        AUTHZ_RATE_LIMITED,  /* "rate-limited": HTTP 429, too many failures */
        _AUTHZ_RESULT_MAX,
} AuthzResult;

/* Account two-factor modes, as on npm. */
typedef enum TwoFactorMode {
        TWOFA_DISABLED,         /* "disabled" */
        TWOFA_AUTH_ONLY,        /* "auth-only": OTP at login and for token/2FA management */
        TWOFA_AUTH_AND_WRITES,  /* "auth-and-writes": also for publishing with publish/session tokens */
        _TWOFA_MODE_MAX,
} TwoFactorMode;

/* The answers of a password (+ OTP) check. */
typedef enum AuthnResult {
        AUTHN_OK,               /* "ok" */
        AUTHN_OTP_REQUIRED,     /* "otp-required": password right, 2FA on, no OTP given */
        AUTHN_BAD_CREDENTIALS,  /* "bad-credentials": unknown account or wrong password, alike */
        AUTHN_BAD_OTP,          /* "bad-otp": wrong, reused or expired OTP */
        AUTHN_LOCKED,           /* "locked": locked by an admin or by too many failures */
        AUTHN_RATE_LIMITED,     /* "rate-limited": too many attempts from one address, or busy */
        _AUTHN_RESULT_MAX,
} AuthnResult;

/* A token's state as GetToken and ListTokens show it (common/decision.c: token_state()). */
typedef enum TokenState {
        TOKEN_STATE_ACTIVE,   /* "active" */
        TOKEN_STATE_EXPIRED,  /* "expired" */
        TOKEN_STATE_REVOKED,  /* "revoked" */
        _TOKEN_STATE_MAX,
} TokenState;

/* CheckAccount's answers: may this account use the registry now (PAM's account management)? */
typedef enum AccountState {
        ACCOUNT_STATE_ACTIVE,      /* "active" */
        ACCOUNT_STATE_UNKNOWN,     /* "unknown": no such account */
        ACCOUNT_STATE_LOCKED,      /* "locked": by an admin, until unlocked */
        ACCOUNT_STATE_LOCKED_OUT,  /* "locked-out": too many failures, for a while */
        _ACCOUNT_STATE_MAX,
} AccountState;

const char *account_kind_to_string(AccountKind k);
int account_kind_from_string(const char *s);
const char *package_policy_to_string(PackagePolicy p);
int package_policy_from_string(const char *s);
const char *token_type_to_string(TokenType t);
int token_type_from_string(const char *s);
const char *token_owner_to_string(TokenOwner o);
int token_owner_from_string(const char *s);
const char *action_to_string(Action a);
int action_from_string(const char *s);
const char *authz_result_to_string(AuthzResult r);
int authz_result_from_string(const char *s);
const char *twofa_mode_to_string(TwoFactorMode m);
int twofa_mode_from_string(const char *s);
const char *authn_result_to_string(AuthnResult r);
int authn_result_from_string(const char *s);
const char *token_state_to_string(TokenState s);
int token_state_from_string(const char *s);
const char *account_state_to_string(AccountState s);
int account_state_from_string(const char *s);
