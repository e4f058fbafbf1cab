/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The store's opening rules and store_backup(), on a temporary state directory. */

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"
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

int main(void) {
        if (!mkdtemp(dir)) {
                tap_diag("mkdtemp: %m");
                return 1;
        }
        test_backup();
        test_empty_file();
        /* Clean up what the tests left. */
        char *cmd;
        if (asprintf(&cmd, "rm -rf '%s'", dir) >= 0) {
                (void) system(cmd);
                free(cmd);
        }
        return tap_finish();
}
