/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The words of the model and their one spelling on the bus, in the database and on the
 * command line (docs/ARCHITECTURE.md lists where each is used).  from_string() returns a
 * negative errno (-EINVAL) for unknown words. */

#include <stdbool.h>

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
        TOKEN_TRUSTED_PUBLISHING, /* "trusted-publishing": minted by ExchangeIdToken for one package;
                                   * publishes only, without an OTP, for minutes */
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
        /* Verify's further actions, with npm's rules (common/decision.c); Authorize, the PAM
         * module and the HTTP methods know only read and publish. */
        ACTION_UNPUBLISH,  /* "unpublish" */
        ACTION_DEPRECATE,  /* "deprecate" */
        ACTION_DIST_TAG,   /* "dist-tag" */
        ACTION_OWNER,      /* "owner": maintainer changes */
        ACTION_IDENTITY,   /* "identity": who is this token (npm whoami); no package */
        ACTION_STAGE,      /* "stage": a version kept unpublished until a maintainer approves it */
        _ACTION_MAX,
} Action;

/* The types CreateToken makes: sessions come from logins, trusted-publishing tokens from
 * ExchangeIdToken, never to order. */
static inline bool token_type_is_made_to_order(int t) {
        return t == TOKEN_READ_ONLY || t == TOKEN_PUBLISH || t == TOKEN_AUTOMATION;
}

/* Authorize's actions (and the PAM module's): read and publish. */
static inline bool action_is_basic(Action a) {
        return a == ACTION_READ || a == ACTION_PUBLISH;
}
/* Actions that change a package: judged by publish's rules and recorded before the answer. */
static inline bool action_is_write(Action a) {
        return a != ACTION_READ && a != ACTION_IDENTITY && a < _ACTION_MAX;
}

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

/* Why Verify answered as it did: a closed, stable set for programs (the "message" beside it
 * is for people).  dbus/org.pkgtoken1.xml documents each. */
typedef enum ReasonCode {
        REASON_OK,                   /* "ok" */
        REASON_UNKNOWN,              /* "unknown": no such token, malformed, bad checksum */
        REASON_REVOKED,              /* "revoked" */
        REASON_EXPIRED,              /* "expired" */
        REASON_OUT_OF_SCOPE,         /* "out-of-scope" */
        REASON_ADDRESS_NOT_ALLOWED,  /* "address-not-allowed" */
        REASON_READ_ONLY,            /* "read-only" */
        REASON_TOKENS_DISALLOWED,    /* "tokens-disallowed": automation tokens on a 2fa-only package */
        REASON_OTP_REQUIRED,         /* "otp-required" */
        REASON_BAD_OTP,              /* "bad-otp" */
        REASON_REPLAYED_OTP,         /* "replayed-otp" */
        REASON_NOT_MAINTAINER,       /* "not-maintainer" */
        REASON_RATE_LIMITED,         /* "rate-limited" */
        REASON_ACCOUNT_LOCKED,       /* "account-locked" */
        REASON_BAD_CREDENTIALS,      /* "bad-credentials" */
        REASON_GOVERNANCE,           /* "governance": a token that publishes without an OTP */
        REASON_NO_SUCH_PACKAGE,      /* "no-such-package" */
        REASON_LAST_MAINTAINER,      /* "last-maintainer" */
        REASON_ALREADY_MAINTAINER,   /* "already-maintainer" */
        REASON_INVALID_ARGUMENT,     /* "invalid-argument" */
        REASON_UNAVAILABLE,          /* "unavailable" */
        /* trusted publishing (ExchangeIdToken, and publishes to packages that require it) */
        REASON_UNKNOWN_ISSUER,       /* "unknown-issuer": no configured issuer has this "iss" */
        REASON_BAD_SIGNATURE,        /* "bad-signature": malformed, bad algorithm, unknown key, bad signature */
        REASON_WRONG_AUDIENCE,       /* "wrong-audience" */
        REASON_CLAIM_MISMATCH,       /* "claim-mismatch": no trusted publisher of the package matches */
        REASON_REPLAYED_JTI,         /* "replayed-jti": the ID token was exchanged already */
        REASON_NO_TRUSTED_PUBLISHER, /* "no-trusted-publisher": the package trusts no publisher of the issuer */
        REASON_TRUSTED_PUBLISHING_ONLY, /* "trusted-publishing-only": the package takes no other publishes */
        REASON_STAGE_REQUIRED,       /* "stage-required": the package requires approval of staged versions */
        REASON_ROTATED_REUSE,        /* "rotated-reuse": a rotated-out secret used after its grace */
        REASON_RECOVERY_HOLD,        /* "recovery-hold": reads only, for a while after a recovery */
        _REASON_CODE_MAX,
} ReasonCode;

/* A token's state as GetToken and ListTokens show it (common/decision.c: token_state()). */
typedef enum TokenState {
        TOKEN_STATE_ACTIVE,   /* "active" */
        TOKEN_STATE_EXPIRED,  /* "expired" */
        TOKEN_STATE_REVOKED,  /* "revoked" */
        TOKEN_STATE_ROTATED,  /* "rotated": replaced by a rotation, its grace over */
        _TOKEN_STATE_MAX,
} TokenState;

/* A staged version (pkgtokend/stages.c): staged until a maintainer approves or rejects it or
 * it expires; approved until the registry reports it published the approved bytes. */
typedef enum StageState {
        STAGE_STAGED,     /* "staged" */
        STAGE_APPROVED,   /* "approved" */
        STAGE_PUBLISHED,  /* "published" */
        STAGE_REJECTED,   /* "rejected" */
        STAGE_EXPIRED,    /* "expired" */
        _STAGE_STATE_MAX,
} StageState;

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
const char *reason_code_to_string(ReasonCode c);
int reason_code_from_string(const char *s);
const char *authz_result_to_string(AuthzResult r);
int authz_result_from_string(const char *s);
const char *twofa_mode_to_string(TwoFactorMode m);
int twofa_mode_from_string(const char *s);
const char *authn_result_to_string(AuthnResult r);
int authn_result_from_string(const char *s);
const char *token_state_to_string(TokenState s);
int token_state_from_string(const char *s);
const char *stage_state_to_string(StageState s);
int stage_state_from_string(const char *s);
const char *account_state_to_string(AccountState s);
int account_state_from_string(const char *s);
