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
        free_many(a->name, a->email, a->password_source);
        *a = (AccountRecord) {};
}

static int read_account(const StoreRow *row, AccountRecord *ret) {
        int kind = account_kind_from_string(row_text(row, 3));
        int twofa = twofa_mode_from_string(row_text(row, 6));
        AccountRecord a = {
                .id = row_int64(row, 0),
                .name = row_strdup(row, 1),
                .email = row_strdup(row, 2),
                .kind = kind < 0 ? ACCOUNT_HUMAN : (AccountKind) kind,
                .locked = row_bool(row, 4),
                .created_at = row_usec(row, 5),
                /* The CHECK constraint keeps unknown words out; the strictest mode if not. */
                .twofa = twofa < 0 ? TWOFA_AUTH_AND_WRITES : (TwoFactorMode) twofa,
                .twofa_pending = row_bool(row, 7),
                .has_password = row_bool(row, 8),
                .hold_until = row_usec(row, 9),
                .password_source = row_strdup(row, 10),
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

static int account_row(Store *s, const StoreRow *row, void *ret) {
        return read_account(row, ret);
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

static int visit_account(Store *s, const StoreRow *row, void *userdata) {
        const StoreVisit *v = userdata;
        _cleanup_(account_record_done) AccountRecord a = {};
        int r = read_account(row, &a);
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

/* A seed column: opened with the seal key when sealed, a seed stored in clear as it is.
 * -EKEYEXPIRED when it is sealed and the key is missing or does not open it. */
static int read_seed(Store *s, const StoreRow *row, int column, int64_t id, uint8_t *out, size_t size, size_t *ret_n) {
        uint8_t blob[TOTP_SECRET_STORED_MAX];
        size_t n = row_blob_copy(row, column, blob, sizeof blob);
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

static int read_secrets(Store *s, const StoreRow *row, void *ret) {
        AccountSecrets a = {};

        a.id = row_int64(row, 0);
        a.password_hash = row_strdup(row, 1);
        if (!a.password_hash)
                return -ENOMEM;
        if (read_seed(s, row, 2, a.id, a.totp_secret, sizeof a.totp_secret, &a.totp_secret_size) < 0 ||
            read_seed(s, row, 3, a.id, a.totp_pending, sizeof a.totp_pending, &a.totp_pending_size) < 0)
                a.seeds_unavailable = true;
        a.totp_last_counter = (uint64_t) row_int64(row, 4);
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

static int read_failures(Store *s, const StoreRow *row, void *ret) {
        *(FailureRecord *) ret = (FailureRecord) {
                .count = (unsigned) row_int64(row, 0),
                .window_start = row_usec(row, 1),
                .locked_until = row_usec(row, 2),
        };
        return 0;
}

int store_failures_get(Store *s, const char *name, const char *address, FailureRecord *ret) {
        int r = store_get_row(s, STMT_FAILURES_GET, read_failures, ret, "tt", name, address);
        if (r == -ENOENT) {
                *ret = (FailureRecord) {};
                return 0;
        }
        return r;
}

int store_failures_put(Store *s, const char *name, const char *address, const FailureRecord *f) {
        int r = store_exec(s, STMT_FAILURES_PUT, "ttiuu", name, address, (int64_t) f->count, f->window_start,
                           f->locked_until);
        return r < 0 ? r : 0;
}

int store_failures_clear(Store *s, const char *name, const char *address) {
        int r = store_exec(s, STMT_FAILURES_CLEAR, "tT", name, address);
        return r < 0 ? r : 0;
}

int store_failures_prune(Store *s, usec_t before) {
        int r = store_exec(s, STMT_FAILURES_PRUNE, "u", before);
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

static int read_count64(Store *s, const StoreRow *row, void *userdata) {
        *(uint64_t *) userdata = (uint64_t) row_int64(row, 0);
        return 0;
}

int store_count_sealed_seeds(Store *s, uint64_t *ret) {
        int r;

        *ret = 0;
        r = store_get_row(s, STMT_SEAL_COUNT, read_count64, ret, "BB", SEAL_MAGIC, (size_t) SEAL_MAGIC_SIZE,
                          SEAL_MAGIC, (size_t) SEAL_MAGIC_SIZE);
        return r < 0 ? r : 0;
}

static int probe_cb(Store *s, const StoreRow *row, void *userdata) {
        uint8_t blob[TOTP_SECRET_STORED_MAX], seed[TOTP_SECRET_STORED_MAX];
        size_t n = row_blob_copy(row, 1, blob, sizeof blob);
        int r;

        if (!seal_is_sealed(blob, n))
                return 0;
        r = seal_open(userdata, row_int64(row, 0), blob, n, seed, sizeof seed);
        explicit_bzero(seed, sizeof seed);
        return r < 0 ? -EBADMSG : 1;
}

int store_probe_seal_key(Store *s, const SealKey *key) {
        int r = store_foreach_row(s, STMT_SEAL_SEEDS, probe_cb, (void *) key, "");
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

static int collect_plain_cb(Store *s, const StoreRow *row, void *userdata) {
        PlainSeeds *p = userdata;
        uint8_t blob[TOTP_SECRET_STORED_MAX];
        size_t n = row_blob_copy(row, 1, blob, sizeof blob);

        if (n == 0 || seal_is_sealed(blob, n) || n + SEAL_OVERHEAD > TOTP_SECRET_STORED_MAX)
                return 0;
        PlainSeed *q = reallocarray(p->seeds, p->n + 1, sizeof *q);
        if (!q)
                return -ENOMEM;
        p->seeds = q;
        q[p->n] = (PlainSeed) { .id = row_int64(row, 0), .pending = row_bool(row, 2), .n = n };
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
        int r;

        r = seal_seed(s->seal_key, p->id, p->seed, p->n, sealed, sizeof sealed);
        if (r < 0)
                return r;
        r = store_exec(s, p->pending ? STMT_SEAL_SET_PENDING : STMT_SEAL_SET_SECRET, "Bi", sealed, (size_t) r, p->id);
        explicit_bzero(sealed, sizeof sealed);
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
        r = store_foreach_row(s, STMT_SEAL_SEEDS, collect_plain_cb, &plain, "");
        if (r < 0 || plain.n == 0)
                return r;
        r = store_begin(s, &tx);
        for (size_t i = 0; r >= 0 && i < plain.n; i++)
                r = write_sealed(s, &plain.seeds[i]);
        if (r >= 0)
                r = store_commit(&tx);
        return r < 0 ? r : (int) plain.n;
}
