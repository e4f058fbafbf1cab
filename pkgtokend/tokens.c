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
        r = token_mint(s, &t, secret);
        if (r >= 0)
                r = q->actor ? audit_record(s, now, AUDIT_TOKEN_CREATE, NULL, AUDIT_RESULT_OK, q->actor, t.id, NULL,
                                            token_type_to_string(q->type))
                             : audit_admin(s, now, AUDIT_TOKEN_CREATE, q->caller, t.id, token_type_to_string(q->type));
        if (r >= 0)
                r = store_commit(&tx);
        if (r < 0) {
                explicit_bzero(secret, TOKEN_LEN + 1);
                free(t.id);
                return r;
        }
        *ret_id = t.id;
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
