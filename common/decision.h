/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The publishing decision (design §3), as a pure function of facts the daemon has loaded.
 * This file and decision.c are the one place the decision table lives.
 *
 * The daemon does the steps before it: format and checksum, hash lookup (both give
 * AUTHZ_INVALID when they fail), and the step after it: recording the outcome. */

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
} TokenFacts;

typedef struct PackageFacts {
        bool exists;
        PackagePolicy policy;       /* meaningful when exists */
        bool account_maintains;     /* account tokens: the owning account is a maintainer */
} PackageFacts;

typedef struct Decision {
        AuthzResult result;
        const char *reason;         /* static, human-readable, never contains a secret */
        bool creates_package;       /* allowed publish of a package that does not exist yet */
} Decision;

/* remote may be NULL or "" (unknown); a token with an allow-list then gets AUTHZ_FORBIDDEN.
 * otp_verified says the caller already checked a valid OTP of the token's account.  The
 * daemon first decides with otp_verified=false; only on AUTHZ_OTP_REQUIRED does it check the
 * OTP it was given (turning a wrong one into AUTHZ_BAD_OTP) and decide again. */
Decision authz_decide(const TokenFacts *token,
                      const PackageFacts *package,
                      const char *package_name,
                      Action action,
                      const char *remote,
                      bool otp_verified,
                      usec_t now);
