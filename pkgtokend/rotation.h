/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Token rotation (issue 10): a new secret for a token, with the same lineage (the first
 * token's id), type, owner, scope, description and CIDRs; the old secret stops working, at
 * once or after a short grace.  A rotated-out secret used after that means a copy is in
 * someone's hands: the whole lineage is revoked and the audit records an alarm (GitLab's
 * reuse detection; common/decision.c decides, authorize.c calls token_revoke_lineage()). */

#include <sys/types.h>

#include "lifetime.h"
#include "store.h"
#include "token.h"

/* The longest grace a rotated-out secret may get. */
#define TOKEN_ROTATION_GRACE_MAX_USEC (24 * USEC_PER_HOUR)

#define AUDIT_TOKEN_ROTATE     "token-rotate"
#define AUDIT_TOKEN_REUSE      "token-reuse"
#define AUDIT_RESULT_ALARM     "alarm"

typedef struct TokenRotation {
        const char *id;          /* the token to rotate (active, not rotated already) */
        usec_t grace;            /* the old secret keeps working this long; 0 stops it at once */
        uid_t caller;            /* for the audit log (admins) */
        const char *actor;       /* for the audit log instead of "uid N" (a registry acting for an account) */
} TokenRotation;

/* In one transaction.  The new token keeps the old one's lifetime, counted from now and
 * capped by the lifetime rules (l).  *ret_id (allocated) and secret are the new token's.
 * ERR_NO_SUCH_TOKEN, ERR_INVALID_ARGUMENT with *ret_message (revoked, expired or rotated
 * already; a grace beyond the bound). */
int token_rotate(Store *s, const LifetimeLimits *l, const TokenRotation *q, usec_t now, char **ret_id,
                 char secret[static TOKEN_LEN + 1], const char **ret_message);

/* In the caller's transaction: revokes every unrevoked token of t's lineage and records the
 * alarm (actor: who presented the secret, remote: from where).  *ret_ids (a strv, may be
 * empty) lists what was revoked, for TokenRevoked. */
int token_revoke_lineage(Store *s, const TokenRecord *t, const char *actor, const char *remote, usec_t now,
                         char ***ret_ids);
