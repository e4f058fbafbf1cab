/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Tokens: only their hashes are stored. */

#include <errno.h>

#include "store-internal.h"
#include "strv.h"

/* ------------------------------------------------------------------------------------------ */
/* Tokens                                                                                     */

void token_record_done(TokenRecord *t) {
#define FREE_STRING(f) free(t->f);
#define FREE_LIST(f) strv_free(t->f);
        if (t->block)
                free(t->block);
        else {
                TOKEN_RECORD_STRINGS(FREE_STRING)
                TOKEN_RECORD_LISTS(FREE_LIST)
        }
#undef FREE_STRING
#undef FREE_LIST
        *t = (TokenRecord) {};
}

static char **row_strv(const StoreRow *row, int i) {
        return strv_split(row_text(row, i), '\n');
}

static int read_token(const StoreRow *row, TokenRecord *ret) {
        int type = token_type_from_string(row_text(row, 3));
        int owner = token_owner_from_string(row_text(row, 4));
        int twofa = twofa_mode_from_string(row_text(row, 17));

        if (type < 0 || owner < 0 || twofa < 0)
                return -EBADMSG;   /* CHECK constraints keep these out; refuse rather than guess */

        TokenRecord t = {
                .rowid = row_int64(row, 0),
                .id = row_strdup(row, 1),
                .prefix = row_strdup(row, 2),
                .type = type,
                .owner = owner,
                .account_id = row_int64(row, 5),
                .account = row_strdup(row, 6),
                .account_locked = row_bool(row, 7),
                .scope = row_strv(row, 8),
                .description = row_strdup(row, 9),
                .created_by = row_strdup(row, 10),
                .created_at = row_usec(row, 11),
                .expires_at = row_usec(row, 12),
                .last_used_at = row_usec(row, 13),
                .last_used_from = row_strdup(row, 14),
                .cidrs = row_strv(row, 15),
                .revoked_at = row_usec(row, 16),
                .account_2fa = owner == TOKEN_OWNER_PACKAGE ? TWOFA_DISABLED : (TwoFactorMode) twofa,
                .lineage = row_strdup(row, 18),
                .rotated_until = row_usec(row, 19),
                .expiry_warned_at = row_usec(row, 20),
                .account_hold_until = row_usec(row, 21),
        };
        if (!t.id || !t.prefix || !t.account || !t.scope || !t.description || !t.created_by ||
            !t.last_used_from || !t.cidrs || !t.lineage) {
                token_record_done(&t);
                return -ENOMEM;
        }
        *ret = t;
        return 0;
}

int store_token_insert(Store *s, const TokenRecord *t, const uint8_t hash[static TOKEN_HASH_SIZE]) {
        /* A lineage "" (or NULL): the token starts its own. */
        int r;

        /* Known before it is stored: a rolled-back insert leaves a hash that only costs a
         * lookup, while one missing would refuse a stored token. */
        if (s->token_cache) {
                r = token_cache_add_known(s->token_cache, hash);
                if (r < 0)
                        return r;
        }
        r = store_exec(s, STMT_TOKEN_INSERT, "tBtttIvttuuvt", t->id, hash, (size_t) TOKEN_HASH_SIZE, t->prefix,
                       token_type_to_string(t->type), token_owner_to_string(t->owner),
                       t->owner == TOKEN_OWNER_ACCOUNT ? t->account_id : (int64_t) 0, t->scope, t->description,
                       t->created_by, t->created_at, t->expires_at, t->cidrs, t->lineage);
        return r < 0 ? r : 0;
}

static int token_row(Store *s, const StoreRow *row, void *ret) {
        return read_token(row, ret);
}

static int know_token_row(Store *s, const StoreRow *row, void *userdata) {
        uint8_t hash[TOKEN_HASH_SIZE];

        /* A value of another size can never equal a token's hash: nothing to know. */
        if (row_blob_copy(row, 0, hash, sizeof hash) != sizeof hash)
                return 0;
        return token_cache_add_known(s->token_cache, hash);
}

int store_token_cache_start(Store *s) {
        int r = token_cache_new(&s->token_cache);
        if (r < 0)
                return r;
        r = store_foreach_row(s, STMT_TOKEN_HASHES, know_token_row, NULL, "");
        if (r < 0) {
                s->token_cache = token_cache_free(s->token_cache);
                return r;
        }
        return 0;
}

/* The token check's lookup: from memory when the store is known not to have changed since
 * (store-token-cache.c), never for a store found damaged (which answers nothing). */
int store_token_get_by_hash(Store *s, const uint8_t hash[static TOKEN_HASH_SIZE], TokenRecord *ret) {
        TokenCache *c = s->token_cache && !store_is_corrupt(s) ? s->token_cache : NULL;
        int r;

        if (c) {
                r = token_cache_get(c, s->generation, hash, ret);
                if (r != 0)
                        return r < 0 ? r : 0;
                if (!token_cache_may_know(c, hash))
                        return -ENOENT;
        }
        r = store_get_row(s, STMT_TOKEN_BY_HASH, token_row, ret, "B", hash, (size_t) TOKEN_HASH_SIZE);
        if (r < 0)
                return r;
        memcpy(ret->hash, hash, TOKEN_HASH_SIZE);
        if (c)
                token_cache_put(c, s->generation, hash, ret);
        return r;
}

int store_token_get(Store *s, const char *id, TokenRecord *ret) {
        return store_get_row(s, STMT_TOKEN_BY_ID, token_row, ret, "t", id);
}

int store_token_revoke(Store *s, const char *id, usec_t now) {
        return store_exec(s, STMT_TOKEN_REVOKE, "ut", now, id);
}

int store_token_touch(Store *s, int64_t rowid, const uint8_t hash[static TOKEN_HASH_SIZE], usec_t now,
                      const char *remote) {
        /* now twice: never move last_used_at backwards */
        int r = store_exec(s, STMT_TOKEN_TOUCH, "utiu", now, remote, rowid, now);
        if (r < 0)
                return r;
        /* The one write that leaves the cache's generation: it updates the cached record. */
        if (s->token_cache)
                token_cache_note_use(s->token_cache, hash, rowid, now, remote);
        return 0;
}

static int visit_token(Store *s, const StoreRow *row, void *userdata) {
        const StoreVisit *v = userdata;
        _cleanup_(token_record_done) TokenRecord t = {};
        int r = read_token(row, &t);
        return r < 0 ? r : MIN(v->cb.token(&t, v->userdata), 0);
}

int store_token_foreach(Store *s, const char *account, const char *package, TokenCallback cb, void *userdata) {
        StatementId id = account ? STMT_TOKEN_LIST_ACCOUNT : package ? STMT_TOKEN_LIST_PACKAGE : STMT_TOKEN_LIST_ALL;

        return store_foreach_row(s, id, visit_token, &(StoreVisit) { .cb.token = cb, .userdata = userdata },
                                 account || package ? "t" : "", account ?: package);
}

int store_token_foreach_expiring(Store *s, usec_t from, usec_t to, unsigned limit, TokenCallback cb, void *userdata) {
        return store_foreach_row(s, STMT_TOKEN_EXPIRING, visit_token,
                                 &(StoreVisit) { .cb.token = cb, .userdata = userdata }, "uui", from, to, (int64_t) limit);
}

int store_token_set_rotated(Store *s, const char *id, usec_t until) {
        return store_exec(s, STMT_TOKEN_SET_ROTATED, "ut", until, id);
}

int store_token_foreach_in_lineage(Store *s, const char *lineage, TokenCallback cb, void *userdata) {
        return store_foreach_row(s, STMT_TOKEN_LINEAGE, visit_token,
                                 &(StoreVisit) { .cb.token = cb, .userdata = userdata }, "t", lineage);
}

int store_token_mark_warned(Store *s, const char *id, usec_t now) {
        int r = store_exec(s, STMT_TOKEN_MARK_WARNED, "ut", now, id);
        return r < 0 ? r : 0;
}
