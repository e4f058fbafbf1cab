/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The registry API (issue 9): how a registry server (a RegistryGroup member) finishes the
 * writes Verify allowed, and acts for an account that proved itself.  The bus side is
 * bus-registry.c; Verify itself is authorize() with two_phase set. */

#include <sys/types.h>

#include "authorize.h"
#include "lifetime.h"
#include "token.h"
#include "governance.h"
#include "lockout.h"
#include "store.h"

/* A write Verify allowed waits this long for FinishPublish, then is forgotten. */
#define PENDING_PUBLISH_LIFETIME_USEC USEC_PER_HOUR

/* FinishPublish, in one transaction: succeeded creates a new package with its first
 * maintainer and records "published VERSION by ACTOR" (or the other writes' words); a failure
 * records "publish failed: REASON" and creates nothing.  *ret is the finished write.
 * ERR_NO_SUCH_PUBLISH for unknown, finished or expired ids; ERR_NOT_MAINTAINER when another
 * publish created the package meanwhile (recorded as a failure).  A stage (action "stage")
 * becomes a staged version that expires after stage_lifetime (stages.h); ERR_INVALID_ARGUMENT
 * (recorded as a failure) when that version is staged already. */
int registry_finish_publish(Store *s, const char *id, bool succeeded, const char *reason, usec_t stage_lifetime,
                            usec_t now, PendingPublish *ret);

/* "alice (registry uid 998)": the audit's actor for what a registry does for an account. */
char *registry_actor(const char *account, uid_t registry_uid);

/* Proof by token: the token must be alive, usable from remote and its account unlocked
 * (Verify's "identity").  ret->token is the token.  ERR_BAD_CREDENTIALS (unknown, revoked,
 * expired), ERR_FORBIDDEN (locked account, address not allowed), ERR_RATE_LIMITED. */
int registry_prove_token(const Authorizer *a, const char *token, const char *remote, usec_t now,
                         AuthorizeAnswer *ret);

/* The governance rule (common/governance.h) for a proof, with the facts it needs loaded (the
 * proven account's 2FA mode): token is the proof's token (NULL for a password or uid proof,
 * proof saying which, whose account is account), otp_given whether a code came with it.  Whoever acts on the
 * verdict checks a code it answers GOVERNANCE_CHECK_OTP for.  Load errors: ERR_BAD_CREDENTIALS
 * for an account that is gone. */
int registry_governance(Store *s, ProofKind proof, const TokenRecord *token, const char *account, bool otp_given,
                        GovernanceAct act, usec_t now, GovernanceVerdict *ret);

/* RevokeOwnToken: id is a token id or a display prefix, of one of the account's tokens or of
 * a package token of a package it maintains.  An account with 2FA gives a current code.
 * *ret_id is the revoked token's id. */
typedef struct OwnRevoke {
        const Lockout *lockout;
        const char *account;
        const char *id_or_prefix;
        const char *otp;
        bool otp_verified;       /* a password proof checked the code already */
        const char *actor;
} OwnRevoke;
int registry_revoke_own_token(const OwnRevoke *q, usec_t now, char **ret_id, const char **ret_message);
/* RotateOwnToken: the same choice of token and code, then token_rotate() (rotation.h). */
int registry_rotate_own_token(const OwnRevoke *q, const LifetimeLimits *l, usec_t grace, usec_t now, char **ret_id,
                              char secret[static TOKEN_LEN + 1], const char **ret_message);

/* ListOwnTokens: the account's tokens and the package tokens of packages it maintains. */
typedef int (*OwnTokenCallback)(const TokenRecord *t, void *userdata);
int registry_foreach_own_token(Store *s, const char *account, OwnTokenCallback cb, void *userdata);
/* >0 when t is one of account's own tokens as above (its account token, or a package token of
 * a package it maintains), 0 when not. */
int registry_token_is_own(Store *s, const char *account, const TokenRecord *t);

/* ChangeMaintainer for an account proven by password (+ OTP when its 2FA is on): it must
 * maintain the package, and a package whose policy asks for 2FA needs an account with 2FA.
 * ERR_NO_SUCH_PACKAGE, ERR_NOT_MAINTAINER, ERR_FORBIDDEN (*ret_message). */
int registry_check_owner_by_password(Store *s, const char *account, const char *package, const char **ret_message);
