/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "errors.h"
#include "rotation.h"
#include "strv.h"
#include "tokens.h"

/* The lifetime of the old token, from now, within what the rules allow today. */
static usec_t renewed_expiry(Store *s, const LifetimeLimits *l, const TokenRecord *old, usec_t now) {
        TokenCreateRequest q = {
                .account = old->account,
                .type = old->type,
                .scope = old->scope,
                .package_owned = old->owner == TOKEN_OWNER_PACKAGE,
                .expires_at = old->expires_at == 0 ? 0 : now + (old->expires_at - old->created_at),
        };
        LifetimeAnswer a = {};

        if (token_apply_lifetime(s, l, &q, now, &a) == -ERR_INVALID_ARGUMENT)
                return now + a.max;
        return q.expires_at;
}

static int check_rotatable(const TokenRecord *t, const TokenRotation *q, usec_t now, const char **ret_message) {
        if (q->grace > TOKEN_ROTATION_GRACE_MAX_USEC)
                *ret_message = "The grace of a rotated-out token is at most 24 hours.";
        else if (t->revoked_at != 0)
                *ret_message = "A revoked token cannot be rotated.";
        else if (t->rotated_until != 0)
                *ret_message = "This token was rotated already: rotate its newest rotation.";
        else if (t->expires_at != 0 && now >= t->expires_at)
                *ret_message = "An expired token cannot be rotated: create a new one.";
        else
                return 0;
        return -ERR_INVALID_ARGUMENT;
}

int token_rotate(Store *s, const LifetimeLimits *l, const TokenRotation *q, usec_t now, char **ret_id,
                 char secret[static TOKEN_LEN + 1], const char **ret_message) {
        _cleanup_(token_record_done) TokenRecord old = {};
        _cleanup_transaction_ Transaction tx = {};
        _cleanup_free_ char *reason = NULL;
        int r;

        r = store_begin(s, &tx);
        if (r >= 0)
                r = token_load(s, q->id, &old);
        if (r >= 0)
                r = check_rotatable(&old, q, now, ret_message);
        if (r < 0)
                return r;

        TokenRecord t = {
                .type = old.type,
                .owner = old.owner,
                .account_id = old.account_id,
                .scope = old.scope,
                .description = old.description,
                .created_by = old.created_by,
                .created_at = now,
                .expires_at = renewed_expiry(s, l, &old, now),
                .cidrs = old.cidrs,
                .lineage = old.lineage,
        };
        r = store_token_set_rotated(s, old.id, now + q->grace);
        if (r < 0)
                return r;
        if (asprintf(&reason, "rotated from %s (grace %llus)", old.id, (unsigned long long) (q->grace / USEC_PER_SEC)) < 0)
                return -ENOMEM;
        return token_mint_and_commit(s, &tx, &t, &(const TokenAudit) {
                .action = AUDIT_TOKEN_ROTATE,
                .actor = q->actor,
                .caller = q->caller,
                .reason = reason,
        }, now, secret, ret_id);
}

static int collect_id(const TokenRecord *t, void *userdata) {
        return strv_extend(userdata, t->id) < 0 ? -ENOMEM : 0;
}

int token_revoke_lineage(Store *s, const TokenRecord *t, const char *actor, const char *remote, usec_t now,
                         char ***ret_ids) {
        _cleanup_strv_free_ char **ids = NULL;
        _cleanup_free_ char *reason = NULL;
        int r;

        ids = calloc(1, sizeof(char *));
        if (!ids)
                return -ENOMEM;
        r = store_token_foreach_in_lineage(s, t->lineage, collect_id, &ids);
        STRV_FOREACH(id, ids)
                if (r >= 0)
                        r = store_token_revoke(s, *id, now);
        if (r < 0)
                return r;
        if (asprintf(&reason, "rotated-out token used again after its grace: revoked its lineage %s (%zu tokens)",
                     t->lineage, strv_length(ids)) < 0)
                return -ENOMEM;
        r = audit_record(s, now, AUDIT_TOKEN_REUSE, NULL, AUDIT_RESULT_ALARM, actor, t->id, remote, reason);
        if (r < 0)
                return r;
        *ret_ids = ids;
        ids = NULL;
        return 0;
}
