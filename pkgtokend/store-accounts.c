/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Accounts, their secrets (password hash, TOTP, recovery codes) and failure counters. */

#include <errno.h>
#include <stdlib.h>

#include "log.h"
#include "seal.h"
#include "store-internal.h"
#include "strv.h"

/* ------------------------------------------------------------------------------------------ */
/* Accounts                                                                                   */

void account_record_done(AccountRecord *a) {
        free(a->name);
        free(a->email);
        free(a->password_source);
        *a = (AccountRecord) {};
}

static int read_account(sqlite3_stmt *st, AccountRecord *ret) {
        int kind = account_kind_from_string((const char *) sqlite3_column_text(st, 3));
        int twofa = twofa_mode_from_string((const char *) sqlite3_column_text(st, 6));
        AccountRecord a = {
                .id = sqlite3_column_int64(st, 0),
                .name = column_strdup(st, 1),
                .email = column_strdup(st, 2),
                .kind = kind < 0 ? ACCOUNT_HUMAN : (AccountKind) kind,
                .locked = sqlite3_column_int(st, 4) != 0,
                .created_at = column_usec(st, 5),
                /* The CHECK constraint keeps unknown words out; the strictest mode if not. */
                .twofa = twofa < 0 ? TWOFA_AUTH_AND_WRITES : (TwoFactorMode) twofa,
                .twofa_pending = sqlite3_column_int(st, 7) != 0,
                .has_password = sqlite3_column_int(st, 8) != 0,
                .hold_until = column_usec(st, 9),
                .password_source = column_strdup(st, 10),
        };
        if (!a.name || !a.email || !a.password_source) {
                account_record_done(&a);
                return -ENOMEM;
        }
        *ret = a;
        return 0;
}

int store_account_insert(Store *s, const char *name, const char *email, AccountKind kind, usec_t now) {
        int r = store_exec(s, STMT_ACCOUNT_INSERT, "tttu", name, email, account_kind_to_string(kind), now);
        return r < 0 ? r : 0;
}

static int account_row(Store *s, sqlite3_stmt *st, void *ret) {
        return read_account(st, ret);
}

int store_account_get(Store *s, const char *name, AccountRecord *ret) {
        return store_get_row(s, STMT_ACCOUNT_GET, account_row, ret, "t", name);
}

/* A change of one row: -ENOENT when it changed none. */
static int one_changed(int r) {
        return r < 0 ? r : r == 0 ? -ENOENT : 0;
}

int store_account_set_locked(Store *s, const char *name, bool locked) {
        return one_changed(store_exec(s, STMT_ACCOUNT_SET_LOCKED, "it", (int64_t) locked, name));
}

int store_account_set_hold(Store *s, const char *name, usec_t until) {
        return one_changed(store_exec(s, STMT_ACCOUNT_SET_HOLD, "ut", until, name));
}

int store_account_set_email(Store *s, const char *name, const char *email) {
        return one_changed(store_exec(s, STMT_ACCOUNT_SET_EMAIL, "tt", email, name));
}

int store_account_set_password_source(Store *s, const char *name, const char *source) {
        return one_changed(store_exec(s, STMT_ACCOUNT_SET_PASSWORD_SOURCE, "tt", source, name));
}

int store_account_delete(Store *s, const char *name) {
        return one_changed(store_exec(s, STMT_ACCOUNT_DELETE, "t", name));
}

static int visit_account(Store *s, sqlite3_stmt *st, void *userdata) {
        const StoreVisit *v = userdata;
        _cleanup_(account_record_done) AccountRecord a = {};
        int r = read_account(st, &a);
        return r < 0 ? r : MIN(v->cb.account(&a, v->userdata), 0);
}

int store_account_foreach(Store *s, AccountCallback cb, void *userdata) {
        return store_foreach_row(s, STMT_ACCOUNT_LIST, visit_account,
                                 &(StoreVisit) { .cb.account = cb, .userdata = userdata }, "");
}

/* ------------------------------------------------------------------------------------------ */
/* Secrets                                                                                    */

void account_secrets_done(AccountSecrets *a) {
        if (a->password_hash) {
                explicit_bzero(a->password_hash, strlen(a->password_hash));
                free(a->password_hash);
        }
        explicit_bzero(a, sizeof *a);
}

static size_t column_blob_copy(sqlite3_stmt *st, int i, uint8_t *buf, size_t size) {
        int n = sqlite3_column_bytes(st, i);
        const void *p = sqlite3_column_blob(st, i);
        if (!p || n <= 0 || (size_t) n > size)
                return 0;   /* absent, or longer than any secret we write: treat as none */
        memcpy(buf, p, (size_t) n);
        return (size_t) n;
}

/* A seed column: opened with the seal key when sealed, a seed stored in clear as it is.
 * -EKEYEXPIRED when it is sealed and the key is missing or does not open it. */
static int read_seed(Store *s, sqlite3_stmt *st, int column, int64_t id, uint8_t *out, size_t size, size_t *ret_n) {
        uint8_t blob[TOTP_SECRET_STORED_MAX];
        size_t n = column_blob_copy(st, column, blob, sizeof blob);
        int r = 0;

        *ret_n = 0;
        if (n == 0)
                return 0;
        if (!seal_is_sealed(blob, n)) {
                memcpy(out, blob, n);
                *ret_n = n;
        } else if (!s->seal_key)
                r = -EKEYEXPIRED;
        else {
                r = seal_open(s->seal_key, id, blob, n, out, size);
                if (r >= 0) {
                        *ret_n = (size_t) r;
                        r = 0;
                } else
                        r = -EKEYEXPIRED;
        }
        explicit_bzero(blob, sizeof blob);
        if (r < 0 && !s->seal_key_missing_logged) {
                s->seal_key_missing_logged = true;
                log_store(s, "cannot open the sealed TOTP secrets: the seal key is %s. Two-factor checks and "
                          "enrolments are refused until pkgtokend is restarted with the right key "
                          "(credential " SEAL_KEY_CREDENTIAL ", SealKeyFile= or " SEAL_KEY_FILENAME " in the state "
                          "directory).", s->seal_key ? "wrong" : "missing");
        }
        return r;
}

static int read_secrets(Store *s, sqlite3_stmt *st, void *ret) {
        AccountSecrets a = {};

        a.id = sqlite3_column_int64(st, 0);
        a.password_hash = column_strdup(st, 1);
        if (!a.password_hash)
                return -ENOMEM;
        if (read_seed(s, st, 2, a.id, a.totp_secret, sizeof a.totp_secret, &a.totp_secret_size) < 0 ||
            read_seed(s, st, 3, a.id, a.totp_pending, sizeof a.totp_pending, &a.totp_pending_size) < 0)
                a.seeds_unavailable = true;
        a.totp_last_counter = (uint64_t) sqlite3_column_int64(st, 4);
        *(AccountSecrets *) ret = a;
        return 0;
}

int store_account_get_secrets(Store *s, const char *name, AccountSecrets *ret) {
        return store_get_row(s, STMT_SECRETS_GET, read_secrets, ret, "t", name);
}

int store_account_set_password(Store *s, int64_t id, const char *hash) {
        return one_changed(store_exec(s, STMT_SET_PASSWORD, "ti", hash, id));
}

int store_account_set_totp_pending(Store *s, int64_t id, const uint8_t *secret, size_t n) {
        uint8_t sealed[TOTP_SECRET_STORED_MAX];
        int r;

        if (secret && !s->seal_key)
                return -EKEYEXPIRED;
        if (secret) {
                r = seal_seed(s->seal_key, id, secret, n, sealed, sizeof sealed);
                if (r < 0)
                        return r;
                n = (size_t) r;
        }
        r = store_exec(s, STMT_SET_TOTP_PENDING, "Bi", secret ? sealed : NULL, n, id);
        explicit_bzero(sealed, sizeof sealed);
        return one_changed(r);
}

int store_account_activate_totp(Store *s, int64_t id, TwoFactorMode mode, uint64_t counter) {
        return one_changed(store_exec(s, STMT_ACTIVATE_TOTP, "tii", twofa_mode_to_string(mode), (int64_t) counter, id));
}

int store_account_set_twofa_mode(Store *s, int64_t id, TwoFactorMode mode) {
        int r;

        if (mode == TWOFA_DISABLED) {
                r = store_exec(s, STMT_DISABLE_TWOFA, "i", id);
                if (r < 0)
                        return r;
                return store_recovery_codes_replace(s, id, NULL, 0);
        }
        return one_changed(store_exec(s, STMT_SET_TWOFA_MODE, "ti", twofa_mode_to_string(mode), id));
}

int store_account_advance_totp_counter(Store *s, int64_t id, uint64_t counter) {
        int r = store_exec(s, STMT_ADVANCE_COUNTER, "iii", (int64_t) counter, id, (int64_t) counter);
        return r < 0 ? r : r > 0;
}

int store_recovery_codes_replace(Store *s, int64_t id, const uint8_t (*hashes)[RECOVERY_HASH_SIZE], size_t n) {
        int r;

        r = store_exec(s, STMT_RECOVERY_DELETE_ALL, "i", id);
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = store_exec(s, STMT_RECOVERY_INSERT, "iB", id, hashes[i], (size_t) RECOVERY_HASH_SIZE);
        return r < 0 ? r : 0;
}

int store_recovery_code_consume(Store *s, int64_t id, const uint8_t hash[static RECOVERY_HASH_SIZE]) {
        int r = store_exec(s, STMT_RECOVERY_CONSUME, "iB", id, hash, (size_t) RECOVERY_HASH_SIZE);
        return r < 0 ? r : r > 0;
}

int store_recovery_codes_count(Store *s, int64_t id) {
        return store_count_row(s, STMT_RECOVERY_COUNT, id);
}

/* ------------------------------------------------------------------------------------------ */
/* Failure counters                                                                           */

int store_failures_get(Store *s, const char *name, const char *address, FailureRecord *ret) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_FAILURES_GET);
        if (!st)
                return -EIO;
        bind_text(st, 1, name);
        bind_text(st, 2, address);
        int r = sqlite3_step(st);
        if (r == SQLITE_DONE) {
                *ret = (FailureRecord) {};
                return 0;
        }
        if (r != SQLITE_ROW)
                return sqlite_to_errno(s, r) ?: -EIO;
        *ret = (FailureRecord) {
                .count = (unsigned) sqlite3_column_int(st, 0),
                .window_start = column_usec(st, 1),
                .locked_until = column_usec(st, 2),
        };
        return 0;
}

int store_failures_put(Store *s, const char *name, const char *address, const FailureRecord *f) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_FAILURES_PUT);
        if (!st)
                return -EIO;
        bind_text(st, 1, name);
        bind_text(st, 2, address);
        sqlite3_bind_int64(st, 3, f->count);
        bind_usec(st, 4, f->window_start);
        bind_usec(st, 5, f->locked_until);
        int r = step_done(s, st);
        return r < 0 ? r : 0;
}

int store_failures_clear(Store *s, const char *name, const char *address) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_FAILURES_CLEAR);
        if (!st)
                return -EIO;
        bind_text(st, 1, name);
        if (address)
                bind_text(st, 2, address);
        int r = step_done(s, st);
        return r < 0 ? r : 0;
}

int store_failures_prune(Store *s, usec_t before) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_FAILURES_PRUNE);
        if (!st)
                return -EIO;
        bind_usec(st, 1, before);
        int r = step_done(s, st);
        return r < 0 ? r : 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Sealing seeds                                                                              */

int store_set_seal_key(Store *s, const SealKey *key) {
        if (s->seal_key) {
                seal_key_erase(s->seal_key);
                free(s->seal_key);
                s->seal_key = NULL;
        }
        if (!key)
                return 0;
        s->seal_key = malloc(sizeof *s->seal_key);
        if (!s->seal_key)
                return -ENOMEM;
        *s->seal_key = *key;
        return 0;
}

/* Runs sql (one-off: these run once at start-up) and hands each row to cb. */
static int query_rows(Store *s, const char *sql, int (*cb)(Store *s, sqlite3_stmt *st, void *userdata), void *userdata) {
        sqlite3_stmt *st = NULL;
        int r;

        r = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
        if (r != SQLITE_OK) {
                log_store(s, "cannot prepare statement: %s", sqlite3_errmsg(s->db));
                return -EIO;
        }
        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
                int k = cb(s, st, userdata);
                if (k != 0) {
                        sqlite3_finalize(st);
                        return k;
                }
        }
        r = r == SQLITE_DONE ? 0 : (sqlite_to_errno(s, r) ?: -EIO);
        sqlite3_finalize(st);
        return r;
}

static int count_cb(Store *s, sqlite3_stmt *st, void *userdata) {
        *(uint64_t *) userdata = (uint64_t) sqlite3_column_int64(st, 0);
        return 0;
}

int store_count_sealed_seeds(Store *s, uint64_t *ret) {
        *ret = 0;
        return query_rows(s, "SELECT count(*) FROM accounts WHERE substr(totp_secret, 1, 4) = CAST('" SEAL_MAGIC
                             "' AS BLOB) OR substr(totp_pending, 1, 4) = CAST('" SEAL_MAGIC "' AS BLOB)",
                          count_cb, ret);
}

static int probe_cb(Store *s, sqlite3_stmt *st, void *userdata) {
        uint8_t blob[TOTP_SECRET_STORED_MAX], seed[TOTP_SECRET_STORED_MAX];
        size_t n = column_blob_copy(st, 1, blob, sizeof blob);
        int r;

        if (!seal_is_sealed(blob, n))
                return 0;
        r = seal_open(userdata, sqlite3_column_int64(st, 0), blob, n, seed, sizeof seed);
        explicit_bzero(seed, sizeof seed);
        return r < 0 ? -EBADMSG : 1;
}

int store_probe_seal_key(Store *s, const SealKey *key) {
        int r = query_rows(s, "SELECT id, totp_secret FROM accounts WHERE totp_secret IS NOT NULL "
                              "UNION ALL SELECT id, totp_pending FROM accounts WHERE totp_pending IS NOT NULL",
                           probe_cb, (void *) key);
        return r < 0 ? r : 0;
}

typedef struct PlainSeed {
        int64_t id;
        bool pending;
        uint8_t seed[TOTP_SECRET_STORED_MAX];
        size_t n;
} PlainSeed;

typedef struct PlainSeeds {
        PlainSeed *seeds;
        size_t n;
} PlainSeeds;

static int collect_plain_cb(Store *s, sqlite3_stmt *st, void *userdata) {
        PlainSeeds *p = userdata;
        uint8_t blob[TOTP_SECRET_STORED_MAX];
        size_t n = column_blob_copy(st, 1, blob, sizeof blob);

        if (n == 0 || seal_is_sealed(blob, n) || n + SEAL_OVERHEAD > TOTP_SECRET_STORED_MAX)
                return 0;
        PlainSeed *q = reallocarray(p->seeds, p->n + 1, sizeof *q);
        if (!q)
                return -ENOMEM;
        p->seeds = q;
        q[p->n] = (PlainSeed) { .id = sqlite3_column_int64(st, 0), .pending = sqlite3_column_int(st, 2), .n = n };
        memcpy(q[p->n].seed, blob, n);
        explicit_bzero(blob, sizeof blob);
        p->n++;
        return 0;
}

static void plain_seeds_done(PlainSeeds *p) {
        if (p->seeds)
                explicit_bzero(p->seeds, p->n * sizeof *p->seeds);
        free(p->seeds);
}

static int write_sealed(Store *s, const PlainSeed *p) {
        uint8_t sealed[TOTP_SECRET_STORED_MAX];
        sqlite3_stmt *st = NULL;
        int r;

        r = seal_seed(s->seal_key, p->id, p->seed, p->n, sealed, sizeof sealed);
        if (r < 0)
                return r;
        if (sqlite3_prepare_v2(s->db, p->pending ? "UPDATE accounts SET totp_pending = ? WHERE id = ?"
                                                 : "UPDATE accounts SET totp_secret = ? WHERE id = ?",
                               -1, &st, NULL) != SQLITE_OK) {
                explicit_bzero(sealed, sizeof sealed);
                return -EIO;
        }
        sqlite3_bind_blob(st, 1, sealed, r, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, p->id);
        explicit_bzero(sealed, sizeof sealed);
        r = step_done(s, st);
        sqlite3_finalize(st);
        return r < 0 ? r : 0;
}

int store_seal_plain_seeds(Store *s) {
        _cleanup_(plain_seeds_done) PlainSeeds plain = {};
        _cleanup_transaction_ Transaction tx = {};
        int r;

        if (!s->seal_key)
                return -EKEYEXPIRED;
        /* At start-up, before anything else can write: read first, and begin a transaction
         * only when there is something to seal (so that a full disk does not stop a start). */
        r = query_rows(s, "SELECT id, totp_secret, 0 FROM accounts WHERE totp_secret IS NOT NULL "
                          "UNION ALL SELECT id, totp_pending, 1 FROM accounts WHERE totp_pending IS NOT NULL",
                       collect_plain_cb, &plain);
        if (r < 0 || plain.n == 0)
                return r;
        r = store_begin(s, &tx);
        for (size_t i = 0; r >= 0 && i < plain.n; i++)
                r = write_sealed(s, &plain.seeds[i]);
        if (r >= 0)
                r = store_commit(&tx);
        return r < 0 ? r : (int) plain.n;
}
