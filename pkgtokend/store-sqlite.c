/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The SQLite backend: the database file in the state directory, held exclusively by the one
 * daemon that owns it; its integrity checks, corruption latch, free-space floor and online
 * backups.  The SQL itself is in store.c. */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "log.h"
#include "store-check.h"
#include "store-internal.h"

typedef struct SqliteStore {
        sqlite3 *db;
        sqlite3_stmt *stmt[_STMT_MAX];
        /* Set once corruption is known (by the background check's thread, or by SQLite
         * saying SQLITE_CORRUPT); from then on every call fails with -EUCLEAN. */
        atomic_bool corrupt;
        sqlite3_stmt *refusal;          /* what statement() hands out once corrupt */
        IntegrityCheck *check;          /* the full integrity check of a large store */
        char *dir;                      /* the state directory, for statvfs() */
        uint64_t min_free_space;        /* the floor below which writes are refused */
        usec_t space_checked_at;        /* CLOCK_MONOTONIC */
        bool space_low;
} SqliteStore;

static SqliteStore *sq(const Store *s) {
        return s->data;
}

/* Used with _cleanup_: every statement is reset when the function that stepped it returns,
 * so no read transaction is left open by an early return. */
static inline void statement_resetp(sqlite3_stmt **st) {
        if (*st) {
                sqlite3_reset(*st);
                sqlite3_clear_bindings(*st);
        }
}
#define _cleanup_reset_ _cleanup_(statement_resetp)

extern const StoreBackend store_backend_sqlite;
static void store_mark_corrupt(Store *s, const char *what);
static void background_check_reap(Store *s, bool wait);
static int check_free_space(Store *s);

/* Maps an SQLite result to a negative errno, logging what is not an expected outcome. */
static int sqlite_to_errno(Store *s, int r) {
        /* Extended result codes are on; the primary code is the low byte. */
        switch (r & 0xff) {
        case SQLITE_OK:
        case SQLITE_DONE:
        case SQLITE_ROW:
                return 0;
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
                store_mark_corrupt(s, sqlite3_errmsg(sq(s)->db));
                return -EUCLEAN;
        case SQLITE_NOMEM:
                return -ENOMEM;
        }
        if (atomic_load(&sq(s)->corrupt))
                return -EUCLEAN;   /* whatever failed, the cause may be the corruption */
        switch (r & 0xff) {
        case SQLITE_CONSTRAINT:
                if (sqlite3_extended_errcode(sq(s)->db) == SQLITE_CONSTRAINT_UNIQUE ||
                    sqlite3_extended_errcode(sq(s)->db) == SQLITE_CONSTRAINT_PRIMARYKEY)
                        return -EEXIST;
                log_store(s, "constraint failed: %s", sqlite3_errmsg(sq(s)->db));
                return -EINVAL;
        case SQLITE_FULL:
                log_store(s, "disk full: %s", sqlite3_errmsg(sq(s)->db));
                return -ENOSPC;
        default:
                log_store(s, "database error: %s", sqlite3_errmsg(sq(s)->db));
                return -EIO;
        }
}


/* ROLLBACK, and sealing the seeds at start-up: the background integrity check may find
 * damage while the daemon starts, and then requests are refused, not the start. */
static bool statement_runs_when_corrupt(StatementId id) {
        return id == STMT_ROLLBACK || id == STMT_SEAL_COUNT || id == STMT_SEAL_SEEDS || id == STMT_SEAL_SET_SECRET ||
               id == STMT_SEAL_SET_PENDING;
}

/* Returns the prepared statement, reset and with bindings cleared.  Once the store is known
 * to be corrupt, every statement but ROLLBACK is replaced by one that fails with
 * SQLITE_CORRUPT, so that each caller returns -EUCLEAN instead of a wrong answer. */
static sqlite3_stmt *statement(Store *s, StatementId id) {
        background_check_reap(s, /* wait= */ false);
        if (atomic_load(&sq(s)->corrupt) && !statement_runs_when_corrupt(id) && sq(s)->refusal)
                return sq(s)->refusal;
        if (!sq(s)->stmt[id]) {
                int r = sqlite3_prepare_v3(sq(s)->db, store_statement_sql(id, STORE_DIALECT_SQLITE), -1, SQLITE_PREPARE_PERSISTENT,
                                           &sq(s)->stmt[id], NULL);
                if (r != SQLITE_OK) {
                        log_store(s, "cannot prepare statement: %s", sqlite3_errmsg(sq(s)->db));
                        return NULL;
                }
        }
        return sq(s)->stmt[id];
}


/* Runs a statement that returns no rows. Returns the number of changed rows or -errno. */
static int step_done(Store *s, sqlite3_stmt *st) {
        int r = sqlite3_step(st);
        if (r != SQLITE_DONE)
                return sqlite_to_errno(s, r) ?: -EIO;
        return sqlite3_changes(sq(s)->db);
}

/* Steps a statement that returns at most one row: 0 with the row, -ENOENT without. */
static int step_one_row(Store *s, sqlite3_stmt *st) {
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW)
                return 0;
        if (r == SQLITE_DONE)
                return -ENOENT;
        return sqlite_to_errno(s, r) ?: -EIO;
}

static int exec_simple(Store *s, const char *sql) {
        char *err = NULL;
        int r = sqlite3_exec(sq(s)->db, sql, NULL, NULL, &err);
        if (r != SQLITE_OK) {
                log_store(s, "%s", err ?: sqlite3_errstr(r));
                sqlite3_free(err);
                return -EIO;
        }
        return 0;
}

static int query_int(Store *s, const char *sql, int64_t *ret) {
        sqlite3_stmt *st = NULL;
        int r = sqlite3_prepare_v2(sq(s)->db, sql, -1, &st, NULL);
        if (r == SQLITE_OK) {
                r = sqlite3_step(st);
                if (r == SQLITE_ROW) {
                        *ret = sqlite3_column_int64(st, 0);
                        r = SQLITE_OK;
                }
        }
        if (r != SQLITE_OK)
                log_store(s, "%s", sqlite3_errmsg(sq(s)->db));
        sqlite3_finalize(st);
        return r == SQLITE_OK ? 0 : -EIO;
}


/* ------------------------------------------------------------------------------------------ */
/* Opening                                                                                    */

/* Where an error comes from access rights or the disk rather than from the file's content,
 * say so: "corrupt" sends an administrator to the backups for what a chown fixes. */
static bool sqlite_error_is_access(int r) {
        switch (r & 0xff) {
        case SQLITE_READONLY:
        case SQLITE_CANTOPEN:
        case SQLITE_PERM:
        case SQLITE_AUTH:
        case SQLITE_IOERR:
                return true;
        default:
                return false;
        }
}

static void log_access_error(const Store *s) {
        int e = sqlite3_system_errno(sq(s)->db);
        log_store(s, "cannot read or write the database: %s%s%s. This is not corruption: check the "
                  "file's owner and mode, the state directory's, and the disk. Refusing to start; the "
                  "file was left untouched.", sqlite3_errmsg(sq(s)->db), e > 0 ? ": " : "", e > 0 ? strerror(e) : "");
}

/* Runs PRAGMA quick_check or integrity_check on the store's connection.  quick_check reads
 * every page (catching torn or overwritten files) but skips the cross-check of indexes against
 * their tables, which is what makes integrity_check slow on a large store. */
static int check_integrity(Store *s, bool full) {
        sqlite3_stmt *st = NULL;
        int r = sqlite3_prepare_v2(sq(s)->db, full ? "PRAGMA integrity_check" : "PRAGMA quick_check", -1, &st, NULL);
        if (r == SQLITE_OK)
                r = sqlite3_step(st);
        if (r == SQLITE_BUSY || sqlite3_errcode(sq(s)->db) == SQLITE_BUSY) {
                log_store(s, "the database is in use by another process (another pkgtokend?). Refusing to start.");
                sqlite3_finalize(st);
                return -EBUSY;
        }
        if (r != SQLITE_ROW && sqlite_error_is_access(sqlite3_extended_errcode(sq(s)->db))) {
                log_access_error(s);
                sqlite3_finalize(st);
                return -EACCES;
        }
        if (r != SQLITE_ROW) {
                log_store(s, "cannot read the database (%s): the file is not a pkgtoken database or is "
                          "corrupt. Refusing to start; the file was left untouched. Restore it from a "
                          "backup or move it aside.", sqlite3_errmsg(sq(s)->db));
                sqlite3_finalize(st);
                return -EBADMSG;
        }
        const char *verdict = (const char *) sqlite3_column_text(st, 0);
        if (!streq_ptr(verdict, "ok")) {
                log_store(s, "the database failed its integrity check (%s). Refusing to start; the file "
                          "was left untouched. Restore it from a backup or move it aside.",
                          verdict ?: "no answer");
                sqlite3_finalize(st);
                return -EBADMSG;
        }
        sqlite3_finalize(st);
        return 0;
}

/* One migration in a transaction of its own, with the version it brings (user_version). */
static int apply_migration(Store *s, int64_t v) {
        char set_version[64];
        int r;

        snprintf(set_version, sizeof set_version, "PRAGMA user_version = %" PRId64, v + 1);
        r = exec_simple(s, "BEGIN IMMEDIATE");
        if (r < 0)
                return r;
        r = exec_simple(s, store_sqlite_migration((unsigned) v));
        if (r >= 0)
                r = exec_simple(s, set_version);
        if (r >= 0)
                r = exec_simple(s, "COMMIT");
        if (r < 0)
                (void) exec_simple(s, "ROLLBACK");
        return r;
}

static int migrate(Store *s) {
        int64_t version = 0;
        int r = query_int(s, "PRAGMA user_version", &version);
        return r < 0 ? r : store_migrate(s, version, apply_migration);
}

static int ensure_state_dir(const char *dir) {
        if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
                int r = -errno;
                log_error("cannot create state directory %s: %s", dir, strerror(errno));
                return r;
        }
        return 0;
}

/* "user:group" of an id pair, names where they resolve. */
static void format_owner(uid_t uid, gid_t gid, char *buf, size_t size) {
        struct passwd *pw = getpwuid(uid);
        struct group *gr = getgrgid(gid);
        char u[32], g[32];

        snprintf(u, sizeof u, "%u", (unsigned) uid);
        snprintf(g, sizeof g, "%u", (unsigned) gid);
        snprintf(buf, size, "%s:%s", pw ? pw->pw_name : u, gr ? gr->gr_name : g);
}

/* Checks that path (a file, or the state directory: SQLite creates the -wal file next to the
 * database) may be read and written by this process, and says what to run if not.  Root
 * passes (faccessat() knows that root ignores modes), except on a read-only file system. */
static int check_access(const char *path, bool directory) {
        int mode = directory ? W_OK | X_OK : R_OK | W_OK;
        char me[80], owner[80];
        struct stat st;

        if (faccessat(AT_FDCWD, path, mode, AT_EACCESS) >= 0)
                return 0;
        if (errno == ENOENT)
                return 0;
        int r = -errno;
        if (errno == EROFS) {
                log_error("%s: on a read-only file system; pkgtokend must write its %s. Remount it "
                          "read-write or move the state directory (--state-dir=).",
                          path, directory ? "state directory" : "database");
                return r;
        }
        if (errno != EACCES && errno != EPERM)
                return log_error_errno(r, "%s: cannot access: %m", path);
        if (stat(path, &st) < 0)
                return log_error_errno(r, "%s: cannot access: %s", path, strerror(-r));

        format_owner(geteuid(), getegid(), me, sizeof me);
        format_owner(st.st_uid, st.st_gid, owner, sizeof owner);
        log_error("%s: permission denied: pkgtokend runs as %s, the %s is owned by %s with mode %04o and "
                  "must be readable and writable by pkgtokend. This is not corruption. Fix it with: "
                  "chown %s %s && chmod %s %s",
                  path, me, directory ? "state directory" : "database", owner, (unsigned) (st.st_mode & 07777),
                  me, path, directory ? "0700" : "0600", path);
        return r;
}

/* Only a missing file may be created: an existing one, however short, holds or held
 * somebody's accounts and tokens, and SQLite would take an empty file for a new database. */
static int check_existing_file(const Store *s, const struct stat *st) {
        if (!S_ISREG(st->st_mode)) {
                log_store(s, "not a regular file. Refusing to start.");
                return -EBADMSG;
        }
        /* The smallest SQLite database is one page of at least 512 bytes. */
        if (st->st_size < 512) {
                log_store(s, "the database file exists but is %s (%jd bytes), too short to be a pkgtoken "
                          "database. It is never recreated: the accounts and tokens it held would be lost "
                          "without a word. Refusing to start; the file was left untouched. Restore it from a "
                          "backup, or, for a new installation, remove it.",
                          st->st_size == 0 ? "empty" : "truncated", (intmax_t) st->st_size);
                return -EBADMSG;
        }
        return 0;
}

static int check_wal_access(const Store *s) {
        _cleanup_free_ char *wal = NULL;
        if (asprintf(&wal, "%s-wal", s->path) < 0)
                return -ENOMEM;
        return check_access(wal, /* directory= */ false);
}

/* Fails every statement it is bound to: the stand-in for all statements once the store is
 * known to be corrupt (see statement()). */
static void refuse_corrupt(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
        (void) argc;
        (void) argv;
        sqlite3_result_error(ctx, "the database is corrupt; pkgtokend refuses to use it", -1);
        sqlite3_result_error_code(ctx, SQLITE_CORRUPT);
}

static int prepare_refusal(Store *s) {
        int r = sqlite3_create_function(sq(s)->db, "pkgtoken_refuse_corrupt", 0, SQLITE_UTF8, NULL,
                                        refuse_corrupt, NULL, NULL);
        if (r == SQLITE_OK)
                r = sqlite3_prepare_v3(sq(s)->db, "SELECT pkgtoken_refuse_corrupt()", -1,
                                       SQLITE_PREPARE_PERSISTENT, &sq(s)->refusal, NULL);
        if (r != SQLITE_OK) {
                log_store(s, "cannot prepare statement: %s", sqlite3_errmsg(sq(s)->db));
                return -EIO;
        }
        return 0;
}

static int background_check_start(Store *s);

int store_sqlite_open(Store *s, const char *state_dir, const StoreOptions *o) {
        SqliteStore *q;
        struct stat st;
        off_t size = 0;
        int flags, r;

        r = ensure_state_dir(state_dir);
        if (r < 0)
                return r;
        r = check_access(state_dir, /* directory= */ true);
        if (r < 0)
                return r;

        q = calloc(1, sizeof *q);
        if (!q)
                return -ENOMEM;
        s->data = q;
        s->backend = &store_backend_sqlite;
        if (asprintf(&s->path, "%s/%s", state_dir, STORE_DB_FILENAME) < 0) {
                s->path = NULL;
                return -ENOMEM;
        }
        sq(s)->dir = strdup(state_dir);
        if (!sq(s)->dir)
                return -ENOMEM;
        sq(s)->min_free_space = o->min_free_space;

        flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
        if (stat(s->path, &st) < 0) {
                if (errno != ENOENT) {
                        r = -errno;
                        log_store(s, "cannot access the database: %s", strerror(errno));
                        return r;
                }
                flags |= SQLITE_OPEN_CREATE;
        } else {
                r = check_existing_file(s, &st);
                if (r < 0)
                        return r;
                r = check_access(s->path, /* directory= */ false);
                if (r < 0)
                        return r;
                r = check_wal_access(s);
                if (r < 0)
                        return r;
                size = st.st_size;
        }

        /* Every token check allocates a few small strings per statement (SQLite copies a row's
         * text into its registers and frees it again on reset): without the global allocation
         * statistics each allocation skips a mutex (a thousand instructions per Authorize, see
         * bench/run.sh).  Only possible before SQLite initialises; afterwards this fails
         * harmlessly and the statistics stay. */
        (void) sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
        r = sqlite3_open_v2(s->path, &sq(s)->db, flags, NULL);
        if (r != SQLITE_OK) {
                log_store(s, "cannot open the database: %s", sq(s)->db ? sqlite3_errmsg(sq(s)->db) : sqlite3_errstr(r));
                return -EIO;
        }
        sqlite3_extended_result_codes(sq(s)->db, 1);
        (void) sqlite3_busy_timeout(sq(s)->db, 5000);

        /* The daemon alone owns the database: holding it exclusively spares every token check
         * the WAL shared-memory locking, and stops a second pkgtokend on the same file.  Must
         * come before the first read.  Reads of a large store go through mmap. */
        r = exec_simple(s, "PRAGMA locking_mode = EXCLUSIVE; PRAGMA mmap_size = 1073741824");
        if (r < 0)
                return r;

        /* The full check before start-up where it is affordable; on a larger store the quick
         * check now and the full one in a thread, started below once the file is settled. */
        bool background = (uint64_t) size > o->background_check_above;
        r = check_integrity(s, /* full= */ !background);
        if (r < 0)
                return r;

        /* WAL + synchronous=FULL: a commit returns only after its WAL frames are fsync'd, so an
         * acknowledged change survives kill -9 and power loss. */
        r = exec_simple(s, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
                           "PRAGMA foreign_keys = ON; PRAGMA trusted_schema = OFF; "
                           "PRAGMA secure_delete = ON");
        if (r < 0)
                return r;

        r = migrate(s);
        if (r < 0)
                return r;

        r = prepare_refusal(s);
        if (r < 0)
                return r;

        /* The token check's memory of the store (store-token-cache.c): pkgtokend holds the file
         * exclusively, so nobody writes behind it.  Read before the background check starts, so
         * that damage the check finds meanwhile refuses requests, not the start; damage this
         * read meets is latched the same way, and the daemon goes on without the cache. */
        r = store_token_cache_start(s);
        if (r < 0 && r != -EUCLEAN)
                return r;

        if (background && background_check_start(s) < 0) {
                log_info("%s: checking the database's integrity before start-up instead", s->path);
                r = check_integrity(s, /* full= */ true);
                if (r < 0)
                        return r;
        }

        return 0;
}



/* Latches the corrupt state and says so once; any thread may call it. */
static void store_mark_corrupt(Store *s, const char *what) {
        if (atomic_exchange(&sq(s)->corrupt, true))
                return;
        log_store(s, "THE DATABASE IS CORRUPT (%s). pkgtokend now refuses every request that needs the "
                  "store, rather than risk a wrong answer. Stop pkgtokend, keep a copy of the file, and "
                  "restore it from a backup (run `sqlite3 %s 'PRAGMA integrity_check'` to see the damage).",
                  what, s->path);
}

static bool sqlite_is_corrupt(Store *s) {
        background_check_reap(s, /* wait= */ false);
        return atomic_load(&sq(s)->corrupt);
}

/* PRAGMA integrity_check of a large store takes seconds per hundred thousand tokens: it runs
 * in a thread (store-check.c) that reads the database file alone, without the WAL and without
 * locks.  For the file to be complete and to stay unchanged meanwhile, the WAL is checkpointed
 * into it first and automatic checkpoints are off until the check is over: the daemon's
 * writes go to the WAL only. */
static void background_check_corrupt(const char *what, void *userdata) {
        store_mark_corrupt(userdata, what);
}

static int background_check_start(Store *s) {
        int r = exec_simple(s, "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA wal_autocheckpoint = 0");
        if (r < 0)
                return r;
        r = integrity_check_start(s->path, background_check_corrupt, s, &sq(s)->check);
        if (r < 0) {
                (void) exec_simple(s, "PRAGMA wal_autocheckpoint = 1000");
                return r;
        }
        log_info("%s: checking the database's integrity in the background", s->path);
        return 0;
}

/* On the daemon's thread: once the check is over (or, with wait, after interrupting it),
 * joins its thread and turns automatic checkpoints back on. */
static void background_check_reap(Store *s, bool wait) {
        if (!sq(s)->check || (!wait && !integrity_check_done(sq(s)->check)))
                return;
        sq(s)->check = integrity_check_stop(sq(s)->check);
        if (sq(s)->db)
                (void) exec_simple(s, "PRAGMA wal_autocheckpoint = 1000");
}

/* On the daemon's own connection: it holds the file exclusively, so `sqlite3 tokens.db
 * .backup` from outside cannot read it.  Allowed on a corrupt store too: a copy is what one
 * wants then. */
static int sqlite_backup(Store *s, const char *path) {
        int r = sqlite_backup_to_new_file(sq(s)->db, path);
        if (r < 0)
                return r;
        log_info("%s: backed up to %s", s->path, path);
        return 0;
}

/* Pruning the audit and taking a pending publish free space: they run below the floor too. */
static bool statement_frees_space(StatementId id) {
        return id == STMT_AUDIT_PRUNE || id == STMT_PENDING_TAKE;
}

static void bind_params(sqlite3_stmt *st, const StoreParam *params, size_t n) {
        /* SQLite's own errors come at the step (a refused statement binds nothing). */
        for (size_t k = 0; k < n; k++) {
                const StoreParam *p = &params[k];
                int i = (int) k + 1;

                if (p->null) {
                        sqlite3_bind_null(st, i);
                        continue;
                }
                switch (p->type) {
                case STORE_PARAM_TEXT:
                        sqlite3_bind_text(st, i, p->text, -1, SQLITE_TRANSIENT);
                        break;
                case STORE_PARAM_INT64:
                        sqlite3_bind_int64(st, i, p->i);
                        break;
                case STORE_PARAM_BLOB:
                        sqlite3_bind_blob(st, i, p->blob, (int) p->size, SQLITE_TRANSIENT);
                        break;
                }
        }
}

static int step_rows(Store *s, sqlite3_stmt *st, StoreRowReader row, void *userdata) {
        StoreRow sr = { .backend = &store_backend_sqlite, .result = st };
        int r;

        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
                int k = row(s, &sr, userdata);
                if (k != 0)
                        return k;
        }
        return r == SQLITE_DONE ? 0 : (sqlite_to_errno(s, r) ?: -EIO);
}

/* One row; a change with RETURNING is run to its end, so that it is complete (and, outside a
 * transaction, committed) before the caller is answered. */
static int step_first_row(Store *s, sqlite3_stmt *st, StoreRowReader row, void *userdata) {
        StoreRow sr = { .backend = &store_backend_sqlite, .result = st };
        int r = step_one_row(s, st);
        if (r < 0)
                return r;
        r = row(s, &sr, userdata);
        if (r < 0 || sqlite3_stmt_readonly(st))
                return r;
        int k;
        while ((k = sqlite3_step(st)) == SQLITE_ROW)
                ;
        return k == SQLITE_DONE ? r : (sqlite_to_errno(s, k) ?: -EIO);
}

static int sqlite_run(Store *s, StatementId id, StoreRows rows, StoreRowReader row, void *userdata,
                      const StoreParam *params, size_t n) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, id);
        int r;

        if (!st)
                return -EIO;
        /* A change outside a transaction (transactions are checked by store_begin()) meets
         * the free-space floor here. */
        if (sqlite3_get_autocommit(sq(s)->db) && !sqlite3_stmt_readonly(st) && !statement_frees_space(id)) {
                r = check_free_space(s);
                if (r < 0)
                        return r;
        }
        bind_params(st, params, n);

        switch (rows) {
        case STORE_NO_ROWS:
                return step_done(s, st);
        case STORE_ONE_ROW:
                return step_first_row(s, st, row, userdata);
        default:
                return step_rows(s, st, row, userdata);
        }
}

static const char *sqlite_row_text(const StoreRow *r, int i) {
        const unsigned char *t = sqlite3_column_text(r->result, i);
        return t ? (const char *) t : "";
}

static int64_t sqlite_row_int64(const StoreRow *r, int i) {
        return sqlite3_column_int64(r->result, i);
}

static size_t sqlite_row_blob_copy(const StoreRow *r, int i, void *buf, size_t size) {
        const void *p = sqlite3_column_blob(r->result, i);
        int n = sqlite3_column_bytes(r->result, i);
        if (!p || n <= 0 || (size_t) n > size)
                return 0;
        memcpy(buf, p, (size_t) n);
        return (size_t) n;
}

static bool sqlite_row_is_null(const StoreRow *r, int i) {
        return sqlite3_column_type(r->result, i) == SQLITE_NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Transactions                                                                               */

static int run_control(Store *s, StatementId id) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, id);
        if (!st)
                return -EIO;
        int r = step_done(s, st);
        return r < 0 ? r : 0;
}

/* statvfs() at most once a second: writes come by the thousand, the disk fills slowly. */
static int check_free_space(Store *s) {
        usec_t now = now_monotonic_usec();
        struct statvfs sv;

        if (sq(s)->min_free_space == 0)
                return 0;
        if (sq(s)->space_checked_at != 0 && now - sq(s)->space_checked_at < USEC_PER_SEC)
                return sq(s)->space_low ? -ENOSPC : 0;
        sq(s)->space_checked_at = now;
        if (statvfs(sq(s)->dir, &sv) < 0)
                return 0;   /* cannot tell: SQLite will say when the disk is full */
        uint64_t avail = (uint64_t) sv.f_bavail * sv.f_frsize;
        bool low = avail < sq(s)->min_free_space;
        if (low != sq(s)->space_low) {
                if (low)
                        log_store(s, "only %" PRIu64 " MiB free in %s, below MinFreeSpaceMiB=%" PRIu64 ": "
                                  "refusing every change (reads keep working) until space is freed.",
                                  avail >> 20, sq(s)->dir, sq(s)->min_free_space >> 20);
                else
                        log_info("%s: %" PRIu64 " MiB free again: changes are accepted.", s->path, avail >> 20);
                sq(s)->space_low = low;
        }
        return low ? -ENOSPC : 0;
}

/* synchronous is a connection setting, changed only between transactions. */
static int set_synchronous(Store *s, bool full) {
        return exec_simple(s, full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
}

/* BEGIN IMMEDIATE: the write lock at once, so that a transaction's reads and writes are one
 * step; below the free-space floor no transaction starts. */
static int sqlite_begin(Store *s, bool relaxed) {
        int r = check_free_space(s);
        if (r < 0)
                return r;
        if (relaxed) {
                r = set_synchronous(s, false);
                if (r < 0)
                        return r;
        }
        r = run_control(s, STMT_BEGIN);
        if (r < 0 && relaxed)
                (void) set_synchronous(s, true);
        return r;
}

static void transaction_end(Store *s, bool relaxed) {
        /* Back to durable commits for everything else; if even that fails, say so. */
        if (relaxed && set_synchronous(s, true) < 0)
                log_error("cannot restore synchronous=FULL");
}

static int sqlite_commit(Store *s, bool relaxed) {
        int r = run_control(s, STMT_COMMIT);
        if (r < 0)
                return r;   /* still open: the cleanup handler rolls back */
        transaction_end(s, relaxed);
        return 0;
}

static void sqlite_rollback(Store *s, bool relaxed) {
        (void) run_control(s, STMT_ROLLBACK);
        transaction_end(s, relaxed);
}

static void sqlite_close(Store *s) {
        SqliteStore *q = sq(s);

        background_check_reap(s, /* wait= */ true);
        for (size_t i = 0; i < _STMT_MAX; i++)
                sqlite3_finalize(q->stmt[i]);
        sqlite3_finalize(q->refusal);
        if (q->db)
                sqlite3_close_v2(q->db);
        free(q->dir);
}

const StoreBackend store_backend_sqlite = STORE_BACKEND_INIT(sqlite, "sqlite", STORE_DIALECT_SQLITE);
