/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Tokens: only their hashes are stored. */

#include <errno.h>

#include "store-internal.h"
#include "strv.h"

/* ------------------------------------------------------------------------------------------ */
/* Tokens                                                                                     */

void token_record_done(TokenRecord *t) {
        free(t->id);
        free(t->prefix);
        free(t->account);
        strv_free(t->scope);
        free(t->description);
        free(t->created_by);
        free(t->last_used_from);
        strv_free(t->cidrs);
        free(t->lineage);
        *t = (TokenRecord) {};
}

static char **column_strv(sqlite3_stmt *st, int i) {
        const unsigned char *t = sqlite3_column_text(st, i);
        return strv_split(t ? (const char *) t : "", '\n');
}

static int read_token(sqlite3_stmt *st, TokenRecord *ret) {
        int type = token_type_from_string((const char *) sqlite3_column_text(st, 3));
        int owner = token_owner_from_string((const char *) sqlite3_column_text(st, 4));
        int twofa = twofa_mode_from_string((const char *) sqlite3_column_text(st, 17));

        if (type < 0 || owner < 0 || twofa < 0)
                return -EBADMSG;   /* CHECK constraints keep these out; refuse rather than guess */

        TokenRecord t = {
                .rowid = sqlite3_column_int64(st, 0),
                .id = column_strdup(st, 1),
                .prefix = column_strdup(st, 2),
                .type = type,
                .owner = owner,
                .account_id = sqlite3_column_int64(st, 5),
                .account = column_strdup(st, 6),
                .account_locked = sqlite3_column_int(st, 7) != 0,
                .scope = column_strv(st, 8),
                .description = column_strdup(st, 9),
                .created_by = column_strdup(st, 10),
                .created_at = column_usec(st, 11),
                .expires_at = column_usec(st, 12),
                .last_used_at = column_usec(st, 13),
                .last_used_from = column_strdup(st, 14),
                .cidrs = column_strv(st, 15),
                .revoked_at = column_usec(st, 16),
                .account_2fa = owner == TOKEN_OWNER_PACKAGE ? TWOFA_DISABLED : (TwoFactorMode) twofa,
                .lineage = column_strdup(st, 18),
                .rotated_until = column_usec(st, 19),
                .expiry_warned_at = column_usec(st, 20),
                .account_hold_until = column_usec(st, 21),
        };
        if (!t.id || !t.prefix || !t.account || !t.scope || !t.description || !t.created_by ||
            !t.last_used_from || !t.cidrs || !t.lineage) {
                token_record_done(&t);
                return -ENOMEM;
        }
        *ret = t;
        return 0;
}

static int bind_strv(sqlite3_stmt *st, int i, char * const *l) {
        char *joined = strv_join(l, '\n');
        if (!joined)
                return -ENOMEM;
        sqlite3_bind_text(st, i, joined, -1, free);
        return 0;
}

int store_token_insert(Store *s, const TokenRecord *t, const uint8_t hash[static TOKEN_HASH_SIZE]) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_TOKEN_INSERT);
        if (!st)
                return -EIO;
        bind_text(st, 1, t->id);
        sqlite3_bind_blob(st, 2, hash, TOKEN_HASH_SIZE, SQLITE_STATIC);
        bind_text(st, 3, t->prefix);
        bind_text(st, 4, token_type_to_string(t->type));
        bind_text(st, 5, token_owner_to_string(t->owner));
        if (t->owner == TOKEN_OWNER_ACCOUNT)
                sqlite3_bind_int64(st, 6, t->account_id);
        else
                sqlite3_bind_null(st, 6);
        if (bind_strv(st, 7, t->scope) < 0)
                return -ENOMEM;
        bind_text(st, 8, t->description);
        bind_text(st, 9, t->created_by);
        bind_usec(st, 10, t->created_at);
        bind_usec(st, 11, t->expires_at);
        if (bind_strv(st, 12, t->cidrs) < 0)
                return -ENOMEM;
        bind_text(st, 13, t->lineage);   /* "" or NULL: the token starts its own lineage */
        int r = step_done(s, st);
        return r < 0 ? r : 0;
}

static int token_get_one(Store *s, sqlite3_stmt *st, TokenRecord *ret) {
        int r = step_one_row(s, st);
        if (r < 0)
                return r;
        return read_token(st, ret);
}

int store_token_get_by_hash(Store *s, const uint8_t hash[static TOKEN_HASH_SIZE], TokenRecord *ret) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_TOKEN_BY_HASH);
        if (!st)
                return -EIO;
        sqlite3_bind_blob(st, 1, hash, TOKEN_HASH_SIZE, SQLITE_STATIC);
        return token_get_one(s, st, ret);
}

int store_token_get(Store *s, const char *id, TokenRecord *ret) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_TOKEN_BY_ID);
        if (!st)
                return -EIO;
        bind_text(st, 1, id);
        return token_get_one(s, st, ret);
}

/* UPDATE tokens SET <a time> = ? WHERE public_id = ? ...: 1 changed, 0 not, or -errno. */
static int set_token_time(Store *s, StatementId which, const char *id, usec_t t) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, which);
        if (!st)
                return -EIO;
        bind_usec(st, 1, t);
        bind_text(st, 2, id);
        return step_done(s, st);
}

int store_token_revoke(Store *s, const char *id, usec_t now) {
        return set_token_time(s, STMT_TOKEN_REVOKE, id, now);
}

int store_token_touch(Store *s, int64_t rowid, usec_t now, const char *remote) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_TOKEN_TOUCH);
        if (!st)
                return -EIO;
        bind_usec(st, 1, now);
        bind_text(st, 2, remote);
        sqlite3_bind_int64(st, 3, rowid);
        bind_usec(st, 4, now);   /* never move last_used_at backwards */
        int r = step_done(s, st);
        return r < 0 ? r : 0;
}

/* Calls cb for each row of st (bound), a token per row. */
static int foreach_row(Store *s, sqlite3_stmt *st, TokenCallback cb, void *userdata) {
        int r;

        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
                TokenRecord t;
                int k = read_token(st, &t);
                if (k < 0)
                        return k;
                k = cb(&t, userdata);
                token_record_done(&t);
                if (k < 0)
                        return k;
        }
        return r == SQLITE_DONE ? 0 : (sqlite_to_errno(s, r) ?: -EIO);
}

int store_token_foreach(Store *s, const char *account, const char *package, TokenCallback cb, void *userdata) {
        StatementId id = account ? STMT_TOKEN_LIST_ACCOUNT : package ? STMT_TOKEN_LIST_PACKAGE : STMT_TOKEN_LIST_ALL;
        _cleanup_reset_ sqlite3_stmt *st = statement(s, id);

        if (!st)
                return -EIO;
        if (account || package)
                bind_text(st, 1, account ?: package);
        return foreach_row(s, st, cb, userdata);
}

int store_token_foreach_expiring(Store *s, usec_t from, usec_t to, unsigned limit, TokenCallback cb, void *userdata) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_TOKEN_EXPIRING);

        if (!st || bind_usec(st, 1, from) != SQLITE_OK || bind_usec(st, 2, to) != SQLITE_OK ||
            sqlite3_bind_int64(st, 3, limit) != SQLITE_OK)
                return -EIO;
        return foreach_row(s, st, cb, userdata);
}

int store_token_set_rotated(Store *s, const char *id, usec_t until) {
        return set_token_time(s, STMT_TOKEN_SET_ROTATED, id, until);
}

int store_token_foreach_in_lineage(Store *s, const char *lineage, TokenCallback cb, void *userdata) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_TOKEN_LINEAGE);

        if (!st || bind_text(st, 1, lineage) != SQLITE_OK)
                return -EIO;
        return foreach_row(s, st, cb, userdata);
}

int store_token_mark_warned(Store *s, const char *id, usec_t now) {
        int r = set_token_time(s, STMT_TOKEN_MARK_WARNED, id, now);
        return r < 0 ? r : 0;
}
