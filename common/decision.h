/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The token step of the publishing decision, as a pure function of facts the daemon has
 * loaded: the one place the decision table lives (docs/ARCHITECTURE.md, "Authorize").
 * common/authorize-verdict.c wraps it into the whole Authorize verdict: the steps before it
 * (rate limit, format and checksum, lookup, claimed account), the OTP step after it and what
 * is recorded. */

#include <stdbool.h>

#include "macro.h"
#include "time-util.h"
#include "model.h"

typedef struct TokenFacts {
        TokenType type;
        TokenOwner owner;
        usec_t revoked_at;        /* 0 = not revoked */
        usec_t expires_at;        /* 0 = never expires */
        bool account_locked;      /* account tokens: the owning account is locked */
        TwoFactorMode account_2fa; /* account tokens: the owning account's active 2FA mode;
                                    * package tokens have no person behind them: DISABLED */
        char * const *scope;      /* NULL or empty: all packages the owning account maintains */
        char * const *cidrs;      /* NULL or empty: any remote address */
        usec_t rotated_until;     /* rotated out: its secret works until then (0: not rotated) */
        bool account_on_hold;     /* account tokens: the account is in its recovery hold (reads only) */
} TokenFacts;

typedef struct PackageFacts {
        bool exists;
        PackagePolicy policy;       /* meaningful when exists */
        bool account_maintains;     /* account tokens: the owning account is a maintainer */
        bool trusted_publishing_only; /* publishes only with trusted-publishing tokens (publish only) */
        bool requires_approval;     /* direct publishes refused: versions are staged and approved */
} PackageFacts;

/* What a refused direct publish of a package that requires approval says. */
#define STAGE_REQUIRED_MESSAGE \
        "this package requires approval: stage the version with `npm stage publish` for a maintainer to approve"

typedef struct Decision {
        AuthzResult result;
        ReasonCode code;            /* for programs */
        const char *reason;         /* static, human-readable, never contains a secret */
        bool creates_package;       /* allowed publish of a package that does not exist yet */
} Decision;

/* action ACTION_IDENTITY asks only whether the token is alive and usable from remote (no
 * package, no scope).  Actions other than read and publish need an existing package and follow
 * publish's rules; "owner" is governance (common/governance.h): only for publish and session
 * tokens of an account with 2FA, with a current OTP, whatever the package's policy.
 * remote may be NULL or "" (unknown); a token with an allow-list then gets AUTHZ_FORBIDDEN.
 * otp_verified says a valid OTP of the token's account was checked already: with it, what
 * would be AUTHZ_OTP_REQUIRED is AUTHZ_ALLOWED (authorize_verdict() relies on that to check
 * the OTP only when it decides the answer). */
Decision authz_decide(const TokenFacts *token,
                      const PackageFacts *package,
                      const char *package_name,
                      Action action,
                      const char *remote,
                      bool otp_verified,
                      usec_t now);

/* "revoked" wins over "expired"; expires_at 0 never expires. */
TokenState token_state(usec_t revoked_at, usec_t expires_at, usec_t now);

/* The outcome of checking a one-time code (a TOTP code, or where allowed a recovery code). */
typedef enum OtpCheck {
        OTP_CHECK_VALID,       /* right, and now spent */
        OTP_CHECK_MALFORMED,   /* not a code at all */
        OTP_CHECK_WRONG,
        OTP_CHECK_REPLAYED,    /* right, but used already */
        OTP_CHECK_LOCKED_OUT,  /* not checked: the account is locked out after failures */
        _OTP_CHECK_MAX,
} OtpCheck;

/* Checking a code spends it, so the verdicts below call the checker at most once, and only
 * when the code decides the answer.  It returns an OtpCheck, or a negative errno when it
 * could not check (the caller then fails the call; the verdict's error field says so). */
typedef int (*OtpChecker)(void *userdata);
