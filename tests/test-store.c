/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The store's opening rules, store_backup(), and the token check's lookup from memory
 * (store-token-cache.c) against what the database says, on a temporary state directory. */

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"
#include "strv.h"
#include "tap.h"

static char dir[] = "/tmp/test-store.XXXXXX";

static char *path_in_dir(const char *name) {
        char *p;
        if (asprintf(&p, "%s/%s", dir, name) < 0)
                abort();
        return p;
}

static int64_t query_int(const char *path, const char *sql) {
        sqlite3 *db = NULL;
        sqlite3_stmt *st = NULL;
        int64_t v = -1;

        if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
            sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
                v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        sqlite3_close(db);
        return v;
}

static bool integrity_ok(const char *path) {
        sqlite3 *db = NULL;
        sqlite3_stmt *st = NULL;
        bool ok = false;

        if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
            sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
                ok = streq_ptr((const char *) sqlite3_column_text(st, 0), "ok");
        sqlite3_finalize(st);
        sqlite3_close(db);
        return ok;
}

static void test_backup(void) {
        _cleanup_free_ char *backup = path_in_dir("backup.db"), *db = path_in_dir(STORE_DB_FILENAME),
                *wal = path_in_dir(STORE_DB_FILENAME "-wal");
        Store *s = NULL;
        struct stat st;

        CHECK_INT_EQ(store_open(dir, &s), 0, "store_open() creates a new store");
        if (!s)
                return;
        CHECK_INT_EQ(store_account_insert(s, "alice", "", ACCOUNT_HUMAN, 1), 0, "account alice");
        CHECK_INT_EQ(store_account_insert(s, "bob", "", ACCOUNT_SERVICE, 2), 0, "account bob");

        CHECK_INT_EQ(store_backup(s, backup), 0, "store_backup() while the store is open (and locked exclusively)");
        CHECK(stat(backup, &st) == 0 && (st.st_mode & 07777) == 0600, "the backup has mode 0600");
        CHECK(query_int(backup, "SELECT count(*) FROM accounts") == 2, "the backup holds both accounts");
        CHECK(query_int(backup, "PRAGMA user_version") == STORE_SCHEMA_VERSION, "and the schema version");
        CHECK(integrity_ok(backup), "and passes integrity_check");
        CHECK_INT_EQ(store_backup(s, backup), -EEXIST, "an existing file is never overwritten");

        /* The copy is a snapshot: later changes are not in it. */
        CHECK_INT_EQ(store_account_insert(s, "carol", "", ACCOUNT_HUMAN, 3), 0, "account carol");
        CHECK(query_int(backup, "SELECT count(*) FROM accounts") == 2, "carol is not in the earlier backup");
        CHECK(!store_is_corrupt(s), "a good store is not corrupt");
        store_free(s);

        /* A backup is a working store: move it into place and open it. */
        CHECK(rename(backup, db) == 0, "the backup replaces tokens.db");
        unlink(wal);
        s = NULL;
        AccountRecord a = {};
        CHECK_INT_EQ(store_open(dir, &s), 0, "store_open() opens the restored backup");
        if (s) {
                CHECK_INT_EQ(store_account_get(s, "bob", &a), 0, "bob is there");
                account_record_done(&a);
                CHECK_INT_EQ(store_account_get(s, "carol", &a), -ENOENT, "carol is not");
                store_free(s);
        }
}

static void test_empty_file(void) {
        _cleanup_free_ char *db = path_in_dir(STORE_DB_FILENAME);
        Store *s = NULL;
        struct stat st;
        int fd;

        unlink(db);
        fd = open(db, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        close(fd);
        CHECK_INT_EQ(store_open(dir, &s), -EBADMSG, "an existing empty tokens.db is refused");
        CHECK(stat(db, &st) == 0 && st.st_size == 0, "and left empty");
        store_free(s);
        unlink(db);
}

/* A distinct 32-byte "hash" for token n (any bytes do: the store never hashes here). */
static void fake_hash(unsigned n, uint8_t hash[static TOKEN_HASH_SIZE]) {
        memset(hash, 0, TOKEN_HASH_SIZE);
        snprintf((char *) hash, TOKEN_HASH_SIZE, "h%u", n);
        hash[TOKEN_HASH_SIZE - 1] = (uint8_t) n;
}

static int insert_token(Store *s, int64_t account_id, unsigned n) {
        char id[32];
        uint8_t hash[TOKEN_HASH_SIZE];
        char *empty[] = { NULL };

        snprintf(id, sizeof id, "tok%u", n);
        fake_hash(n, hash);
        return store_token_insert(s, &(TokenRecord) {
                .id = id, .prefix = "pkgt_x", .type = TOKEN_READ_ONLY, .owner = TOKEN_OWNER_ACCOUNT,
                .account_id = account_id, .scope = empty, .description = "", .created_by = "test",
                .created_at = 1, .cidrs = empty, .lineage = "",
        }, hash);
}

/* 1 found (with ret filled), 0 not found, or a negative errno. */
static int lookup(Store *s, unsigned n, TokenRecord *ret) {
        uint8_t hash[TOKEN_HASH_SIZE];
        int r;

        fake_hash(n, hash);
        r = store_token_get_by_hash(s, hash, ret);
        return r == -ENOENT ? 0 : r < 0 ? r : 1;
}

static bool found_and(Store *s, unsigned n, bool (*check)(const TokenRecord *t)) {
        _cleanup_(token_record_done) TokenRecord t = {};
        return lookup(s, n, &t) == 1 && (!check || check(&t));
}

static bool is_locked(const TokenRecord *t) {
        return t->account_locked;
}

static bool is_unlocked(const TokenRecord *t) {
        return !t->account_locked;
}

static bool is_revoked(const TokenRecord *t) {
        return t->revoked_at != 0;
}

static bool used_at_100(const TokenRecord *t) {
        return t->last_used_at == 100 && streq(t->last_used_from, "192.0.2.1");
}

static bool used_at_200(const TokenRecord *t) {
        return t->last_used_at == 200 && streq(t->last_used_from, "192.0.2.2");
}

static int touch(Store *s, unsigned n, usec_t now, const char *remote) {
        _cleanup_(token_record_done) TokenRecord t = {};
        int r = lookup(s, n, &t);
        return r <= 0 ? -ENOENT : store_token_touch(s, t.rowid, t.hash, now, remote);
}

#define MANY_TOKENS 3000u

static char *scope_two[] = { "left-pad", "@acme/*", NULL };
static char *cidrs_two[] = { "192.0.2.0/24", "2001:db8::/32", NULL };
#define LONGEST_REMOTE "0123456789012345678901234567890123456789012345678901234567890123"

static bool is_token_4(const TokenRecord *t) {
        return streq(t->id, "tok4") && streq(t->prefix, "pkgt_y") && streq(t->description, "deploy key for CI") &&
               streq(t->created_by, "alice") && streq(t->lineage, "tok4") && strv_equal(t->scope, scope_two) &&
               strv_equal(t->cidrs, cidrs_two) && t->expires_at == 77;
}

static bool used_from_longest(const TokenRecord *t) {
        return t->last_used_at == 300 && streq(t->last_used_from, LONGEST_REMOTE);
}

/* A record from memory is a copy of its own: every field as stored, still there after another
 * copy of the same record is gone. */
static void test_token_copies_from_memory(Store *s, int64_t account_id) {
        _cleanup_(token_record_done) TokenRecord first = {}, second = {};
        uint8_t hash[TOKEN_HASH_SIZE];

        fake_hash(4, hash);
        CHECK(store_token_insert(s, &(TokenRecord) {
                .id = (char *) "tok4", .prefix = (char *) "pkgt_y", .type = TOKEN_PUBLISH,
                .owner = TOKEN_OWNER_ACCOUNT, .account_id = account_id, .scope = scope_two,
                .description = (char *) "deploy key for CI", .created_by = (char *) "alice", .created_at = 1,
                .expires_at = 77, .cidrs = cidrs_two, .lineage = (char *) "tok4",
        }, hash) == 0, "a token with two scope patterns and two networks");
        CHECK(lookup(s, 4, &first) == 1 && is_token_4(&first), "found from the table, every field as stored");
        CHECK(lookup(s, 4, &second) == 1 && is_token_4(&second), "found from memory, every field as stored");
        token_record_done(&first);
        CHECK(is_token_4(&second), "the copy from memory outlives another copy");
        CHECK(found_and(s, 4, is_token_4), "and memory still has it whole");
        CHECK(touch(s, 4, 300, LONGEST_REMOTE) == 0, "a use from the longest address the store takes");
        CHECK(found_and(s, 4, used_from_longest), "the next lookup from memory has that address");
}

static void test_token_lookup_from_memory(void) {
        _cleanup_free_ char *sub = path_in_dir("cache");
        _cleanup_(account_record_done) AccountRecord a = {};
        Store *s = NULL;
        unsigned missing = 0;

        CHECK(store_open(sub, &s) == 0, "token lookup: a new store opens");
        if (!s)
                return;
        CHECK(store_account_insert(s, "alice", "", ACCOUNT_HUMAN, 1) >= 0, "account inserted");
        CHECK(store_account_get(s, "alice", &a) == 0, "and found");
        CHECK(insert_token(s, a.id, 1) == 0, "a token inserted");
        CHECK(found_and(s, 1, is_unlocked), "is found at once (its hash is known on insert)");
        CHECK(found_and(s, 1, is_unlocked), "and again (from memory)");
        CHECK(lookup(s, 2, &(TokenRecord) {}) == 0, "a hash never stored: not found");

        CHECK(store_account_set_locked(s, "alice", true) >= 0, "its account locked");
        CHECK(found_and(s, 1, is_locked), "the next lookup sees the lock (any write starts a new generation)");
        CHECK(store_account_set_locked(s, "alice", false) >= 0, "unlocked");
        CHECK(found_and(s, 1, is_unlocked), "the next lookup sees that too");
        CHECK(touch(s, 1, 100, "192.0.2.1") == 0, "a use recorded");
        CHECK(found_and(s, 1, used_at_100), "the next lookup has it");
        {
                _cleanup_transaction_ Transaction tx = {};
                CHECK(store_begin(s, &tx) == 0 && touch(s, 1, 200, "192.0.2.2") == 0, "a later use, in a transaction");
                CHECK(found_and(s, 1, used_at_200), "seen in the transaction");
                store_rollback(&tx);
        }
        CHECK(found_and(s, 1, used_at_100), "rolled back: the earlier use again");
        CHECK(store_token_revoke(s, "tok1", 5) == 1, "the token revoked");
        CHECK(found_and(s, 1, is_revoked), "the next lookup sees the revocation");

        {
                _cleanup_transaction_ Transaction tx = {};
                CHECK(store_begin(s, &tx) == 0, "a transaction");
                CHECK(insert_token(s, a.id, 3) == 0, "inserts a token");
                CHECK(found_and(s, 3, NULL), "which it finds");
                store_rollback(&tx);
        }
        CHECK(lookup(s, 3, &(TokenRecord) {}) == 0, "rolled back: the token is not found any more");
        test_token_copies_from_memory(s, a.id);

        for (unsigned n = 10; n < 10 + MANY_TOKENS; n++)
                if (insert_token(s, a.id, n) < 0)
                        missing++;
        CHECK(missing == 0, "%u more tokens inserted", MANY_TOKENS);
        store_free(s);
        s = NULL;

        CHECK(store_open(sub, &s) == 0, "the store opens again");
        if (!s)
                return;
        missing = 0;
        for (unsigned n = 10; n < 10 + MANY_TOKENS; n++)
                if (!found_and(s, n, NULL))
                        missing++;
        CHECK(missing == 0, "each of them is found (the known hashes come from the table)");
        CHECK(found_and(s, 1, is_revoked), "the first one, still revoked");
        CHECK(lookup(s, 3, &(TokenRecord) {}) == 0, "the rolled-back one, still not found");
        store_free(s);
}

int main(void) {
        if (!mkdtemp(dir)) {
                tap_diag("mkdtemp: %m");
                return 1;
        }
        test_backup();
        test_empty_file();
        test_token_lookup_from_memory();
        /* Clean up what the tests left. */
        char *cmd;
        if (asprintf(&cmd, "rm -rf '%s'", dir) >= 0) {
                (void) system(cmd);
                free(cmd);
        }
        return tap_finish();
}
