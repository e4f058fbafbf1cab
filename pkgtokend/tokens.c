/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdio.h>
#include <string.h>

#include "accounts.h"
#include "audit.h"
#include "errors.h"
#include "packages.h"
#include "second-factor.h"
#include "strv.h"
#include "tokens.h"
#include "validate.h"

int token_mint(Store *s, TokenRecord *t, char secret[static TOKEN_LEN + 1]) {
        uint8_t hash[TOKEN_HASH_SIZE];
        char prefix[TOKEN_DISPLAY_LEN + 1];
        char id[TOKEN_ID_LEN + 1];
        int r;

        /* Both the id and the hash are unique columns; a collision is astronomically unlikely,
         * but a retry is cheaper than an argument. */
        for (unsigned attempt = 0; attempt < 3; attempt++) {
                r = token_generate(secret);
                if (r < 0)
                        return r;
                r = token_id_generate(id);
                if (r < 0)
                        return r;
                token_hash(secret, hash);
                token_display_prefix(secret, prefix);
                t->id = id;
                t->prefix = prefix;
                r = store_token_insert(s, t, hash);
                t->id = t->prefix = NULL;
                explicit_bzero(hash, sizeof hash);
                if (r != -EEXIST)
                        break;
        }
        if (r >= 0) {
                t->id = strdup(id);
                if (!t->id)
                        return -ENOMEM;
        }
        return r;
}

int token_scope_normalize(char **scope) {
        size_t n = 0;

        STRV_FOREACH(p, scope) {
                for (char *c = *p; *c; c++)
                        if (*c >= 'A' && *c <= 'Z')
                                *c = (char) (*c - 'A' + 'a');
                if (!scope_pattern_is_valid(*p))
                        return -ERR_INVALID_ARGUMENT;
        }
        for (size_t i = 0; scope[i]; i++) {
                bool seen = false;
                for (size_t j = 0; j < n; j++)
                        if (streq(scope[i], scope[j]))
                                seen = true;
                if (seen)
                        free(scope[i]);
                else
                        scope[n++] = scope[i];
        }
        scope[n] = NULL;
        return 0;
}

/* A package token belongs to packages, so each must exist and be maintained by its creator. */
static int check_package_token_scope(Store *s, const AccountRecord *creator, char * const *scope,
                                     const char **ret_message, const char **ret_package) {
        if (strv_length(scope) == 0) {
                *ret_message = "A package token needs the packages it belongs to.";
                return -ERR_INVALID_ARGUMENT;
        }
        STRV_FOREACH(name, scope) {
                _cleanup_(package_record_done) PackageRecord p = {};
                int r;

                *ret_package = *name;
                r = package_load(s, *name, &p);
                if (r < 0)
                        return r;
                if (!strv_contains(p.maintainers, creator->name))
                        return -ERR_NOT_MAINTAINER;
        }
        return 0;
}

int token_create(const Lockout *l, const TokenCreateRequest *q, usec_t now, char **ret_id,
                 char secret[static TOKEN_LEN + 1], const char **ret_message, const char **ret_package) {
        _cleanup_(account_record_done) AccountRecord creator = {};
        _cleanup_transaction_ Transaction tx = {};
        Store *s = l->store;
        int r;

        r = store_begin(s, &tx);
        if (r < 0)
                return r;
        r = account_load(s, q->account, &creator);
        if (r < 0)
                return r;
        if (creator.locked)
                return -ERR_ACCESS_DENIED;
        /* As on npm: a token outlives the session that made it, so an account with 2FA
         * proves presence with a current code before one is minted. */
        if (creator.twofa != TWOFA_DISABLED && !q->otp_verified) {
                r = second_factor_require(l, &tx, creator.name, q->otp, /* allow_recovery= */ false, now, ret_message);
                if (r < 0)
                        return r;
        }
        if (q->package_owned) {
                r = check_package_token_scope(s, &creator, q->scope, ret_message, ret_package);
                if (r < 0)
                        return r;
        }

        TokenRecord t = {
                .type = q->type,
                .owner = q->package_owned ? TOKEN_OWNER_PACKAGE : TOKEN_OWNER_ACCOUNT,
                .account_id = q->package_owned ? 0 : creator.id,
                .scope = q->scope,
                .description = (char *) q->description,
                .created_by = creator.name,
                .created_at = now,
                .expires_at = q->expires_at,
                .cidrs = q->cidrs,
        };
        return token_mint_and_commit(s, &tx, &t, &(const TokenAudit) {
                .action = AUDIT_TOKEN_CREATE,
                .actor = q->actor,
                .caller = q->caller,
                .reason = token_type_to_string(q->type),
        }, now, secret, ret_id);
}

int token_mint_and_commit(Store *s, Transaction *tx, TokenRecord *t, const TokenAudit *a, usec_t now,
                          char secret[static TOKEN_LEN + 1], char **ret_id) {
        int r;

        r = token_mint(s, t, secret);
        if (r >= 0)
                r = a->actor ? audit_record(s, now, a->action, NULL, AUDIT_RESULT_OK, a->actor, t->id, NULL, a->reason)
                             : audit_admin(s, now, a->action, a->caller, t->id, a->reason);
        if (r >= 0)
                r = store_commit(tx);
        if (r < 0) {
                explicit_bzero(secret, TOKEN_LEN + 1);
                free(t->id);
                t->id = NULL;
                return r;
        }
        *ret_id = t->id;
        return 0;
}

typedef struct ScopeMax {
        const TokenCreateRequest *q;
        usec_t max;
} ScopeMax;

/* Does the token's scope cover p?  Package tokens list exact names; an unscoped account
 * token covers what its account maintains. */
static bool scope_covers(const TokenCreateRequest *q, const PackageRecord *p) {
        if (q->package_owned)
                return strv_contains(q->scope, p->name);
        if (strv_length(q->scope) == 0)
                return strv_contains(p->maintainers, q->account);
        STRV_FOREACH(pattern, q->scope)
                if (scope_pattern_matches(*pattern, p->name))
                        return true;
        return false;
}

static int scope_max_cb(const PackageRecord *p, void *userdata) {
        ScopeMax *m = userdata;

        if (p->max_token_lifetime != 0 && (m->max == 0 || p->max_token_lifetime < m->max) && scope_covers(m->q, p))
                m->max = p->max_token_lifetime;
        return 0;
}

int token_apply_lifetime(Store *s, const LifetimeLimits *l, TokenCreateRequest *q, usec_t now, LifetimeAnswer *ret) {
        ScopeMax m = { .q = q };
        int r;

        r = store_package_foreach(s, scope_max_cb, &m);
        if (r < 0)
                return r;
        r = token_lifetime_resolve(l, q->type, m.max, q->expires_at, now, ret);
        if (r < 0)
                return -ERR_INVALID_ARGUMENT;
        q->expires_at = ret->expires_at;
        return 0;
}

int token_load(Store *s, const char *id, TokenRecord *ret) {
        if (!token_id_is_valid(id))
                return -ERR_INVALID_ARGUMENT;
        return not_found_as(store_token_get(s, id, ret), -ERR_NO_SUCH_TOKEN);
}

static int revoke(Store *s, const char *id, uid_t caller, const char *actor, usec_t now) {
        _cleanup_(token_record_done) TokenRecord t = {};
        _cleanup_transaction_ Transaction tx = {};
        int r;

        r = store_begin(s, &tx);
        if (r < 0)
                return r;
        r = token_load(s, id, &t);
        if (r < 0)
                return r;
        r = store_token_revoke(s, t.id, now);
        if (r > 0)
                r = actor ? audit_record(s, now, AUDIT_TOKEN_REVOKE, NULL, AUDIT_RESULT_OK, actor, t.id, NULL, "")
                          : audit_admin(s, now, AUDIT_TOKEN_REVOKE, caller, t.id, "");
        if (r >= 0)
                r = store_commit(&tx);
        return not_found_as(r, -ERR_NO_SUCH_TOKEN);
}

/* The actor as people read it in the audit log and in the registry's UI. */
char *token_format_actor(const TokenRecord *t) {
        char *s = NULL;
        int r;

        if (t->owner == TOKEN_OWNER_PACKAGE)
                r = isempty(t->description) ? asprintf(&s, "Token %s", t->id)
                                            : asprintf(&s, "Token \"%s\"", t->description);
        else
                r = isempty(t->description) ? asprintf(&s, "%s", t->account)
                                            : asprintf(&s, "%s (Token \"%s\")", t->account, t->description);
        return r < 0 ? NULL : s;
}

int token_revoke(Store *s, const char *id, uid_t caller, usec_t now) {
        return revoke(s, id, caller, NULL, now);
}

int token_revoke_as(Store *s, const char *id, const char *actor, usec_t now) {
        return revoke(s, id, 0, actor, now);
}
