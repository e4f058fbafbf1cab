/* SPDX-License-Identifier: LGPL-2.1-or-later */

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
#include <unistd.h>

#include "log.h"
#include "store-check.h"
#include "store.h"
#include "strv.h"

/* Statements are prepared once, on first use, and kept (SQLITE_PREPARE_PERSISTENT): the token
 * check runs on every registry request and must not pay for parsing SQL. */
typedef enum StatementId {
        STMT_BEGIN,
        STMT_COMMIT,
        STMT_ROLLBACK,
        STMT_ACCOUNT_INSERT,
        STMT_ACCOUNT_GET,
        STMT_ACCOUNT_LIST,
        STMT_ACCOUNT_SET_LOCKED,
        STMT_ACCOUNT_DELETE,
        STMT_PACKAGE_INSERT,
        STMT_PACKAGE_GET,
        STMT_PACKAGE_LIST,
        STMT_PACKAGE_SET_POLICY,
        STMT_PACKAGE_MAINTAINERS,
        STMT_MAINTAINER_ADD,
        STMT_MAINTAINER_REMOVE,
        STMT_MAINTAINER_CHECK,
        STMT_MAINTAINER_COUNT,
        STMT_TOKEN_INSERT,
        STMT_TOKEN_BY_HASH,
        STMT_TOKEN_BY_ID,
        STMT_TOKEN_LIST_ALL,
        STMT_TOKEN_LIST_ACCOUNT,
        STMT_TOKEN_LIST_PACKAGE,
        STMT_TOKEN_REVOKE,
        STMT_TOKEN_TOUCH,
        STMT_AUDIT_INSERT,
        STMT_AUDIT_LIST,
        STMT_COUNTS,
        STMT_SECRETS_GET,
        STMT_SET_PASSWORD,
        STMT_SET_TOTP_PENDING,
        STMT_ACTIVATE_TOTP,
        STMT_SET_TWOFA_MODE,
        STMT_DISABLE_TWOFA,
        STMT_ADVANCE_COUNTER,
        STMT_RECOVERY_DELETE_ALL,
        STMT_RECOVERY_INSERT,
        STMT_RECOVERY_CONSUME,
        STMT_RECOVERY_COUNT,
        STMT_FAILURES_GET,
        STMT_FAILURES_PUT,
        STMT_FAILURES_CLEAR,
        STMT_FAILURES_PRUNE,
        _STMT_MAX,
} StatementId;

/* One column list and one row reader for every query that returns tokens. */
#define TOKEN_COLUMNS                                                                   \
        "t.id, t.public_id, t.prefix, t.type, t.owner, coalesce(t.account_id, 0), "     \
        "coalesce(a.name, ''), coalesce(a.locked, 0), t.scope, t.description, "         \
        "t.created_by, t.created_at, t.expires_at, t.last_used_at, t.last_used_from, "  \
        "t.cidrs, t.revoked_at, coalesce(a.twofa_mode, 'disabled') "                    \
        "FROM tokens t LEFT JOIN accounts a ON a.id = t.account_id "

#define PACKAGE_COLUMNS "id, name, policy, created_at FROM packages "
#define ACCOUNT_COLUMNS "id, name, email, kind, locked, created_at, twofa_mode, "            \
        "totp_pending IS NOT NULL, password_hash != '' FROM accounts "

static const char *const statement_sql[_STMT_MAX] = {
        [STMT_BEGIN]               = "BEGIN IMMEDIATE",
        [STMT_COMMIT]              = "COMMIT",
        [STMT_ROLLBACK]            = "ROLLBACK",
        [STMT_ACCOUNT_INSERT]      = "INSERT INTO accounts (name, email, kind, created_at) VALUES (?, ?, ?, ?)",
        [STMT_ACCOUNT_GET]         = "SELECT " ACCOUNT_COLUMNS "WHERE name = ?",
        [STMT_ACCOUNT_LIST]        = "SELECT " ACCOUNT_COLUMNS "ORDER BY name",
        [STMT_ACCOUNT_SET_LOCKED]  = "UPDATE accounts SET locked = ? WHERE name = ?",
        [STMT_ACCOUNT_DELETE]      = "DELETE FROM accounts WHERE name = ?",
        [STMT_PACKAGE_INSERT]      = "INSERT INTO packages (name, policy, created_at) VALUES (?, ?, ?)",
        [STMT_PACKAGE_GET]         = "SELECT " PACKAGE_COLUMNS "WHERE name = ?",
        [STMT_PACKAGE_LIST]        = "SELECT " PACKAGE_COLUMNS "ORDER BY name",
        [STMT_PACKAGE_SET_POLICY]  = "UPDATE packages SET policy = ? WHERE name = ?",
        [STMT_PACKAGE_MAINTAINERS] = "SELECT a.name FROM maintainers m JOIN accounts a ON a.id = m.account_id "
                                     "WHERE m.package_id = ? ORDER BY a.name",
        [STMT_MAINTAINER_ADD]      = "INSERT INTO maintainers (package_id, account_id, added_at) VALUES (?, ?, ?)",
        [STMT_MAINTAINER_REMOVE]   = "DELETE FROM maintainers WHERE package_id = ? AND account_id = ?",
        [STMT_MAINTAINER_CHECK]    = "SELECT 1 FROM maintainers WHERE package_id = ? AND account_id = ?",
        [STMT_MAINTAINER_COUNT]    = "SELECT count(*) FROM maintainers WHERE package_id = ?",
        [STMT_TOKEN_INSERT]        = "INSERT INTO tokens (public_id, hash, prefix, type, owner, account_id, scope, "
                                     "description, created_by, created_at, expires_at, cidrs) "
                                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [STMT_TOKEN_BY_HASH]       = "SELECT " TOKEN_COLUMNS "WHERE t.hash = ?",
        [STMT_TOKEN_BY_ID]         = "SELECT " TOKEN_COLUMNS "WHERE t.public_id = ?",
        [STMT_TOKEN_LIST_ALL]      = "SELECT " TOKEN_COLUMNS "ORDER BY t.created_at, t.id",
        [STMT_TOKEN_LIST_ACCOUNT]  = "SELECT " TOKEN_COLUMNS "WHERE a.name = ? ORDER BY t.created_at, t.id",
        /* Package tokens keep their packages as a newline-separated list of exact names. */
        [STMT_TOKEN_LIST_PACKAGE]  = "SELECT " TOKEN_COLUMNS "WHERE t.owner = 'package' AND "
                                     "instr(char(10) || t.scope || char(10), char(10) || ? || char(10)) > 0 "
                                     "ORDER BY t.created_at, t.id",
        [STMT_TOKEN_REVOKE]        = "UPDATE tokens SET revoked_at = ? WHERE public_id = ? AND revoked_at = 0",
        [STMT_TOKEN_TOUCH]         = "UPDATE tokens SET last_used_at = ?, last_used_from = ? "
                                     "WHERE id = ? AND last_used_at < ?",
        [STMT_AUDIT_INSERT]        = "INSERT INTO audit (time, action, package, result, actor, token_id, remote, reason) "
                                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [STMT_AUDIT_LIST]          = "SELECT time, action, package, result, actor, token_id, remote, reason FROM "
                                     "(SELECT * FROM audit WHERE (?1 = '' OR package = ?1) AND time >= ?2 "
                                     " ORDER BY time DESC, id DESC LIMIT ?3) ORDER BY time, id",
        [STMT_COUNTS]              = "SELECT (SELECT count(*) FROM accounts), (SELECT count(*) FROM packages), "
                                     "(SELECT count(*) FROM tokens), "
                                     "(SELECT count(*) FROM tokens WHERE revoked_at = 0 AND (expires_at = 0 OR expires_at > ?))",
        [STMT_SECRETS_GET]         = "SELECT id, password_hash, totp_secret, totp_pending, totp_last_counter "
                                     "FROM accounts WHERE name = ?",
        [STMT_SET_PASSWORD]        = "UPDATE accounts SET password_hash = ? WHERE id = ?",
        [STMT_SET_TOTP_PENDING]    = "UPDATE accounts SET totp_pending = ? WHERE id = ?",
        [STMT_ACTIVATE_TOTP]       = "UPDATE accounts SET totp_secret = totp_pending, totp_pending = NULL, "
                                     "twofa_mode = ?, totp_last_counter = ? WHERE id = ? AND totp_pending IS NOT NULL",
        [STMT_SET_TWOFA_MODE]      = "UPDATE accounts SET twofa_mode = ? WHERE id = ? AND totp_secret IS NOT NULL",
        [STMT_DISABLE_TWOFA]       = "UPDATE accounts SET twofa_mode = 'disabled', totp_secret = NULL, "
                                     "totp_pending = NULL, totp_last_counter = 0 WHERE id = ?",
        [STMT_ADVANCE_COUNTER]     = "UPDATE accounts SET totp_last_counter = ? WHERE id = ? AND totp_last_counter < ?",
        [STMT_RECOVERY_DELETE_ALL] = "DELETE FROM recovery_codes WHERE account_id = ?",
        [STMT_RECOVERY_INSERT]     = "INSERT INTO recovery_codes (account_id, hash) VALUES (?, ?)",
        [STMT_RECOVERY_CONSUME]    = "DELETE FROM recovery_codes WHERE account_id = ? AND hash = ?",
        [STMT_RECOVERY_COUNT]      = "SELECT count(*) FROM recovery_codes WHERE account_id = ?",
        [STMT_FAILURES_GET]        = "SELECT count, window_start, locked_until FROM auth_failures WHERE name = ?",
        [STMT_FAILURES_PUT]        = "INSERT OR REPLACE INTO auth_failures (name, count, window_start, locked_until) "
                                     "VALUES (?, ?, ?, ?)",
        [STMT_FAILURES_CLEAR]      = "DELETE FROM auth_failures WHERE name = ?",
        [STMT_FAILURES_PRUNE]      = "DELETE FROM auth_failures WHERE locked_until < ?1 AND window_start < ?1",
};

/* Schema migrations: entry N brings user_version N to N+1.  Never edit a released entry;
 * append a new one. */
static const char *const migrations[] = {
        /* 0 → 1 */
        "CREATE TABLE accounts ("
        "  id INTEGER PRIMARY KEY,"
        "  name TEXT NOT NULL UNIQUE,"
        "  email TEXT NOT NULL DEFAULT '',"
        "  kind TEXT NOT NULL CHECK (kind IN ('human', 'service')),"
        "  locked INTEGER NOT NULL DEFAULT 0,"
        "  created_at INTEGER NOT NULL);"
        "CREATE TABLE packages ("
        "  id INTEGER PRIMARY KEY,"
        "  name TEXT NOT NULL UNIQUE,"
        "  policy TEXT NOT NULL CHECK (policy IN ('none', '2fa-or-automation', '2fa-only')),"
        "  created_at INTEGER NOT NULL);"
        "CREATE TABLE maintainers ("
        "  package_id INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,"
        "  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
        "  added_at INTEGER NOT NULL,"
        "  PRIMARY KEY (package_id, account_id)) WITHOUT ROWID;"
        "CREATE INDEX maintainers_by_account ON maintainers(account_id);"
        /* Account tokens die with their account (ON DELETE CASCADE); package tokens have no
         * account and outlive whoever created them (created_by keeps the name). */
        "CREATE TABLE tokens ("
        "  id INTEGER PRIMARY KEY,"
        "  public_id TEXT NOT NULL UNIQUE,"
        "  hash BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),"
        "  prefix TEXT NOT NULL,"
        /* No CHECK on type: later versions add types, and read_token() refuses words it
         * does not know, which fails closed. */
        "  type TEXT NOT NULL,"
        "  owner TEXT NOT NULL CHECK (owner IN ('account', 'package')),"
        "  account_id INTEGER REFERENCES accounts(id) ON DELETE CASCADE,"
        "  scope TEXT NOT NULL DEFAULT '',"
        "  description TEXT NOT NULL DEFAULT '',"
        "  created_by TEXT NOT NULL,"
        "  created_at INTEGER NOT NULL,"
        "  expires_at INTEGER NOT NULL DEFAULT 0,"
        "  last_used_at INTEGER NOT NULL DEFAULT 0,"
        "  last_used_from TEXT NOT NULL DEFAULT '',"
        "  cidrs TEXT NOT NULL DEFAULT '',"
        "  revoked_at INTEGER NOT NULL DEFAULT 0,"
        "  CHECK ((owner = 'account') = (account_id IS NOT NULL)));"
        "CREATE INDEX tokens_by_account ON tokens(account_id);"
        "CREATE TABLE audit ("
        "  id INTEGER PRIMARY KEY,"
        "  time INTEGER NOT NULL,"
        "  action TEXT NOT NULL,"
        "  package TEXT NOT NULL,"
        "  result TEXT NOT NULL,"
        "  actor TEXT NOT NULL,"
        "  token_id TEXT NOT NULL DEFAULT '',"
        "  remote TEXT NOT NULL DEFAULT '',"
        "  reason TEXT NOT NULL DEFAULT '');"
        "CREATE INDEX audit_by_package ON audit(package, time);"
        "CREATE INDEX audit_by_time ON audit(time);",

        /* 1 → 2: passwords, TOTP two-factor, recovery codes, lockouts. */
        "ALTER TABLE accounts ADD COLUMN password_hash TEXT NOT NULL DEFAULT '';"
        "ALTER TABLE accounts ADD COLUMN twofa_mode TEXT NOT NULL DEFAULT 'disabled'"
        "  CHECK (twofa_mode IN ('disabled', 'auth-only', 'auth-and-writes'));"
        "ALTER TABLE accounts ADD COLUMN totp_secret BLOB;"
        "ALTER TABLE accounts ADD COLUMN totp_pending BLOB;"
        "ALTER TABLE accounts ADD COLUMN totp_last_counter INTEGER NOT NULL DEFAULT 0;"
        "CREATE TABLE recovery_codes ("
        "  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
        "  hash BLOB NOT NULL CHECK (length(hash) = 32),"
        "  PRIMARY KEY (account_id, hash)) WITHOUT ROWID;"
        /* Keyed by name, not account id: unknown names are counted too. */
        "CREATE TABLE auth_failures ("
        "  name TEXT PRIMARY KEY,"
        "  count INTEGER NOT NULL,"
        "  window_start INTEGER NOT NULL,"
        "  locked_until INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;",
};

_Static_assert(ELEMENTSOF(migrations) == STORE_SCHEMA_VERSION, "one migration per schema version");

struct Store {
        sqlite3 *db;
        char *path;
        sqlite3_stmt *stmt[_STMT_MAX];
        /* Set once corruption is known (by the background check's thread, or by SQLite
         * saying SQLITE_CORRUPT); from then on every call fails with -EUCLEAN. */
        atomic_bool corrupt;
        sqlite3_stmt *refusal;          /* what statement() hands out once corrupt */
        IntegrityCheck *check;          /* the full integrity check of a large store */
};

static void store_mark_corrupt(Store *s, const char *what);
static void background_check_reap(Store *s, bool wait);

static void log_store(const Store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_store(const Store *s, const char *fmt, ...) {
        char message[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(message, sizeof message, fmt, ap);
        va_end(ap);
        log_error("%s: %s", s->path, message);
}

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
                store_mark_corrupt(s, sqlite3_errmsg(s->db));
                return -EUCLEAN;
        case SQLITE_NOMEM:
                return -ENOMEM;
        }
        if (atomic_load(&s->corrupt))
                return -EUCLEAN;   /* whatever failed, the cause may be the corruption */
        switch (r & 0xff) {
        case SQLITE_CONSTRAINT:
                if (sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_UNIQUE ||
                    sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_PRIMARYKEY)
                        return -EEXIST;
                log_store(s, "constraint failed: %s", sqlite3_errmsg(s->db));
                return -EINVAL;
        case SQLITE_FULL:
                log_store(s, "disk full: %s", sqlite3_errmsg(s->db));
                return -ENOSPC;
        default:
                log_store(s, "database error: %s", sqlite3_errmsg(s->db));
                return -EIO;
        }
}

/* Returns the prepared statement, reset and with bindings cleared.  Once the store is known
 * to be corrupt, every statement but ROLLBACK is replaced by one that fails with
 * SQLITE_CORRUPT, so that each caller returns -EUCLEAN instead of a wrong answer. */
static sqlite3_stmt *statement(Store *s, StatementId id) {
        background_check_reap(s, /* wait= */ false);
        if (atomic_load(&s->corrupt) && id != STMT_ROLLBACK && s->refusal)
                return s->refusal;
        if (!s->stmt[id]) {
                int r = sqlite3_prepare_v3(s->db, statement_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                                           &s->stmt[id], NULL);
                if (r != SQLITE_OK) {
                        log_store(s, "cannot prepare statement: %s", sqlite3_errmsg(s->db));
                        return NULL;
                }
        }
        return s->stmt[id];
}

/* Used with _cleanup_: every statement is reset when the function that stepped it returns,
 * so no read transaction is left open by an early return. */
static void statement_resetp(sqlite3_stmt **st) {
        if (*st) {
                sqlite3_reset(*st);
                sqlite3_clear_bindings(*st);
        }
}
#define _cleanup_reset_ _cleanup_(statement_resetp)

static int bind_text(sqlite3_stmt *st, int i, const char *v) {
        return sqlite3_bind_text(st, i, v ?: "", -1, SQLITE_STATIC);
}

static int bind_usec(sqlite3_stmt *st, int i, usec_t v) {
        /* Timestamps are far below INT64_MAX; clamp so a hostile value cannot wrap negative. */
        return sqlite3_bind_int64(st, i, v > INT64_MAX ? INT64_MAX : (sqlite3_int64) v);
}

static char *column_strdup(sqlite3_stmt *st, int i) {
        const unsigned char *t = sqlite3_column_text(st, i);
        return strdup(t ? (const char *) t : "");
}

static usec_t column_usec(sqlite3_stmt *st, int i) {
        sqlite3_int64 v = sqlite3_column_int64(st, i);
        return v < 0 ? 0 : (usec_t) v;
}

/* Runs a statement that returns no rows. Returns the number of changed rows or -errno. */
static int step_done(Store *s, sqlite3_stmt *st) {
        int r = sqlite3_step(st);
        if (r != SQLITE_DONE)
                return sqlite_to_errno(s, r) ?: -EIO;
        return sqlite3_changes(s->db);
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
        int r = sqlite3_exec(s->db, sql, NULL, NULL, &err);
        if (r != SQLITE_OK) {
                log_store(s, "%s", err ?: sqlite3_errstr(r));
                sqlite3_free(err);
                return -EIO;
        }
        return 0;
}

static int query_int(Store *s, const char *sql, int64_t *ret) {
        sqlite3_stmt *st = NULL;
        int r = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
        if (r == SQLITE_OK) {
                r = sqlite3_step(st);
                if (r == SQLITE_ROW) {
                        *ret = sqlite3_column_int64(st, 0);
                        r = SQLITE_OK;
                }
        }
        if (r != SQLITE_OK)
                log_store(s, "%s", sqlite3_errmsg(s->db));
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
        int e = sqlite3_system_errno(s->db);
        log_store(s, "cannot read or write the database: %s%s%s. This is not corruption: check the "
                  "file's owner and mode, the state directory's, and the disk. Refusing to start; the "
                  "file was left untouched.", sqlite3_errmsg(s->db), e > 0 ? ": " : "", e > 0 ? strerror(e) : "");
}

/* Runs PRAGMA quick_check or integrity_check on the store's connection.  quick_check reads
 * every page (catching torn or overwritten files) but skips the cross-check of indexes against
 * their tables, which is what makes integrity_check slow on a large store. */
static int check_integrity(Store *s, bool full) {
        sqlite3_stmt *st = NULL;
        int r = sqlite3_prepare_v2(s->db, full ? "PRAGMA integrity_check" : "PRAGMA quick_check", -1, &st, NULL);
        if (r == SQLITE_OK)
                r = sqlite3_step(st);
        if (r == SQLITE_BUSY || sqlite3_errcode(s->db) == SQLITE_BUSY) {
                log_store(s, "the database is in use by another process (another pkgtokend?). Refusing to start.");
                sqlite3_finalize(st);
                return -EBUSY;
        }
        if (r != SQLITE_ROW && sqlite_error_is_access(sqlite3_extended_errcode(s->db))) {
                log_access_error(s);
                sqlite3_finalize(st);
                return -EACCES;
        }
        if (r != SQLITE_ROW) {
                log_store(s, "cannot read the database (%s): the file is not a pkgtoken database or is "
                          "corrupt. Refusing to start; the file was left untouched. Restore it from a "
                          "backup or move it aside.", sqlite3_errmsg(s->db));
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

static int migrate(Store *s) {
        int64_t version = 0;
        int r;

        r = query_int(s, "PRAGMA user_version", &version);
        if (r < 0)
                return r;
        if (version > STORE_SCHEMA_VERSION) {
                log_store(s, "the database has schema version %" PRId64 ", written by a newer pkgtokend; "
                          "this one knows up to %d. Refusing to start; the file was left untouched.",
                          version, STORE_SCHEMA_VERSION);
                return -EPROTONOSUPPORT;
        }
        if (version < 0) {
                log_store(s, "the database has an invalid schema version %" PRId64 ". Refusing to start.", version);
                return -EBADMSG;
        }

        for (int64_t v = version; v < STORE_SCHEMA_VERSION; v++) {
                char set_version[64];

                snprintf(set_version, sizeof set_version, "PRAGMA user_version = %" PRId64, v + 1);
                r = exec_simple(s, "BEGIN IMMEDIATE");
                if (r < 0)
                        return r;
                r = exec_simple(s, migrations[v]);
                if (r >= 0)
                        r = exec_simple(s, set_version);
                if (r >= 0)
                        r = exec_simple(s, "COMMIT");
                if (r < 0) {
                        (void) exec_simple(s, "ROLLBACK");
                        log_store(s, "schema migration %" PRId64 " → %" PRId64 " failed; nothing was changed.", v, v + 1);
                        return r;
                }
        }
        return 0;
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
        int r = sqlite3_create_function(s->db, "pkgtoken_refuse_corrupt", 0, SQLITE_UTF8, NULL,
                                        refuse_corrupt, NULL, NULL);
        if (r == SQLITE_OK)
                r = sqlite3_prepare_v3(s->db, "SELECT pkgtoken_refuse_corrupt()", -1,
                                       SQLITE_PREPARE_PERSISTENT, &s->refusal, NULL);
        if (r != SQLITE_OK) {
                log_store(s, "cannot prepare statement: %s", sqlite3_errmsg(s->db));
                return -EIO;
        }
        return 0;
}

static int background_check_start(Store *s);

static int open_store(const char *state_dir, const StoreOptions *o, Store **ret) {
        _cleanup_(store_freep) Store *s = NULL;
        struct stat st;
        off_t size = 0;
        int flags, r;

        r = ensure_state_dir(state_dir);
        if (r < 0)
                return r;
        r = check_access(state_dir, /* directory= */ true);
        if (r < 0)
                return r;

        s = calloc(1, sizeof *s);
        if (!s)
                return -ENOMEM;
        if (asprintf(&s->path, "%s/%s", state_dir, STORE_DB_FILENAME) < 0) {
                s->path = NULL;
                return -ENOMEM;
        }

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

        r = sqlite3_open_v2(s->path, &s->db, flags, NULL);
        if (r != SQLITE_OK) {
                log_store(s, "cannot open the database: %s", s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(r));
                return -EIO;
        }
        sqlite3_extended_result_codes(s->db, 1);
        (void) sqlite3_busy_timeout(s->db, 5000);

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

        if (background && background_check_start(s) < 0) {
                log_info("%s: checking the database's integrity before start-up instead", s->path);
                r = check_integrity(s, /* full= */ true);
                if (r < 0)
                        return r;
        }

        *ret = s;
        s = NULL;
        return 0;
}

int store_open(const char *state_dir, Store **ret) {
        return open_store(state_dir, &(StoreOptions) STORE_OPTIONS_DEFAULT, ret);
}

Store *store_free(Store *s) {
        if (!s)
                return NULL;
        background_check_reap(s, /* wait= */ true);
        for (size_t i = 0; i < _STMT_MAX; i++)
                sqlite3_finalize(s->stmt[i]);
        sqlite3_finalize(s->refusal);
        if (s->db)
                sqlite3_close_v2(s->db);
        free(s->path);
        free(s);
        return NULL;
}

const char *store_path(const Store *s) {
        return s->path;
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

int store_begin(Store *s, Transaction *ret) {
        int r = run_control(s, STMT_BEGIN);
        if (r < 0)
                return r;
        *ret = (Transaction) { .store = s, .open = true };
        return 0;
}

/* synchronous is a connection setting, changed only between transactions. */
static int set_synchronous(Store *s, bool full) {
        return exec_simple(s, full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
}

int store_begin_relaxed(Store *s, Transaction *ret) {
        int r = set_synchronous(s, false);
        if (r < 0)
                return r;
        r = store_begin(s, ret);
        if (r < 0) {
                (void) set_synchronous(s, true);
                return r;
        }
        ret->relaxed = true;
        return 0;
}

static void transaction_end(Transaction *t) {
        t->open = false;
        if (t->relaxed) {
                /* Back to durable commits for everything else; if even that fails, say so. */
                if (set_synchronous(t->store, true) < 0)
                        log_error("cannot restore synchronous=FULL");
                t->relaxed = false;
        }
}

int store_commit(Transaction *t) {
        int r = run_control(t->store, STMT_COMMIT);
        if (r < 0)
                return r;   /* still open: the cleanup handler rolls back */
        transaction_end(t);
        return 0;
}

void store_rollback(Transaction *t) {
        if (!t->open)
                return;
        (void) run_control(t->store, STMT_ROLLBACK);
        transaction_end(t);
}

/* ------------------------------------------------------------------------------------------ */
/* Accounts                                                                                   */

void account_record_done(AccountRecord *a) {
        free(a->name);
        free(a->email);
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
        };
        if (!a.name || !a.email) {
                account_record_done(&a);
                return -ENOMEM;
        }
        *ret = a;
        return 0;
}

int store_account_insert(Store *s, const char *name, const char *email, AccountKind kind, usec_t now) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_ACCOUNT_INSERT);
        if (!st)
                return -EIO;
        bind_text(st, 1, name);
        bind_text(st, 2, email);
        bind_text(st, 3, account_kind_to_string(kind));
        bind_usec(st, 4, now);
        int r = step_done(s, st);
        return r < 0 ? r : 0;
}

int store_account_get(Store *s, const char *name, AccountRecord *ret) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_ACCOUNT_GET);
        if (!st)
                return -EIO;
        bind_text(st, 1, name);
        int r = step_one_row(s, st);
        if (r < 0)
                return r;
        return read_account(st, ret);
}

static int update_by_name(Store *s, StatementId id, const char *name, int64_t value, bool bind_value) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, id);
        if (!st)
                return -EIO;
        int i = 1;
        if (bind_value)
                sqlite3_bind_int64(st, i++, value);
        bind_text(st, i, name);
        int r = step_done(s, st);
        if (r < 0)
                return r;
        return r == 0 ? -ENOENT : 0;
}

int store_account_set_locked(Store *s, const char *name, bool locked) {
        return update_by_name(s, STMT_ACCOUNT_SET_LOCKED, name, locked, true);
}

int store_account_delete(Store *s, const char *name) {
        return update_by_name(s, STMT_ACCOUNT_DELETE, name, 0, false);
}

int store_account_foreach(Store *s, AccountCallback cb, void *userdata) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_ACCOUNT_LIST);
        int r;

        if (!st)
                return -EIO;
        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
                AccountRecord a;
                int k = read_account(st, &a);
                if (k < 0)
                        return k;
                k = cb(&a, userdata);
                account_record_done(&a);
                if (k < 0)
                        return k;
        }
        return r == SQLITE_DONE ? 0 : (sqlite_to_errno(s, r) ?: -EIO);
}

/* ------------------------------------------------------------------------------------------ */
/* Packages and maintainers                                                                   */

void package_record_done(PackageRecord *p) {
        free(p->name);
        strv_free(p->maintainers);
        *p = (PackageRecord) {};
}

static int read_package(sqlite3_stmt *st, PackageRecord *ret) {
        int policy = package_policy_from_string((const char *) sqlite3_column_text(st, 2));
        PackageRecord p = {
                .id = sqlite3_column_int64(st, 0),
                .name = column_strdup(st, 1),
                /* The CHECK constraint keeps unknown words out; fail closed if one got in. */
                .policy = policy < 0 ? POLICY_2FA_ONLY : (PackagePolicy) policy,
                .created_at = column_usec(st, 3),
        };
        if (!p.name)
                return -ENOMEM;
        *ret = p;
        return 0;
}

static int load_maintainers(Store *s, PackageRecord *p) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_PACKAGE_MAINTAINERS);
        _cleanup_strv_free_ char **l = NULL;
        int r;

        if (!st)
                return -EIO;
        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        sqlite3_bind_int64(st, 1, p->id);
        while ((r = sqlite3_step(st)) == SQLITE_ROW)
                if (strv_extend(&l, (const char *) sqlite3_column_text(st, 0)) < 0)
                        return -ENOMEM;
        if (r != SQLITE_DONE)
                return sqlite_to_errno(s, r) ?: -EIO;
        strv_free(p->maintainers);
        p->maintainers = l;
        l = NULL;
        return 0;
}

int store_package_insert(Store *s, const char *name, PackagePolicy policy, usec_t now, int64_t *ret_id) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_PACKAGE_INSERT);
        if (!st)
                return -EIO;
        bind_text(st, 1, name);
        bind_text(st, 2, package_policy_to_string(policy));
        bind_usec(st, 3, now);
        int r = step_done(s, st);
        if (r < 0)
                return r;
        if (ret_id)
                *ret_id = sqlite3_last_insert_rowid(s->db);
        return 0;
}

int store_package_lookup(Store *s, const char *name, PackageRecord *ret) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_PACKAGE_GET);
        if (!st)
                return -EIO;
        bind_text(st, 1, name);
        int r = step_one_row(s, st);
        if (r < 0)
                return r;
        return read_package(st, ret);
}

int store_package_get(Store *s, const char *name, PackageRecord *ret) {
        PackageRecord p;
        int r = store_package_lookup(s, name, &p);
        if (r < 0)
                return r;
        r = load_maintainers(s, &p);
        if (r < 0) {
                package_record_done(&p);
                return r;
        }
        *ret = p;
        return 0;
}

int store_package_set_policy(Store *s, const char *name, PackagePolicy policy) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_PACKAGE_SET_POLICY);
        if (!st)
                return -EIO;
        bind_text(st, 1, package_policy_to_string(policy));
        bind_text(st, 2, name);
        int r = step_done(s, st);
        if (r < 0)
                return r;
        return r == 0 ? -ENOENT : 0;
}

int store_package_foreach(Store *s, PackageCallback cb, void *userdata) {
        _cleanup_strv_free_ char **names = NULL;
        int r;

        /* Collect the names first: loading maintainers steps another statement, and the list
         * statement must not stay open across callbacks. */
        {
                _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_PACKAGE_LIST);
                if (!st)
                        return -EIO;
                names = calloc(1, sizeof(char *));
                if (!names)
                        return -ENOMEM;
                while ((r = sqlite3_step(st)) == SQLITE_ROW)
                        if (strv_extend(&names, (const char *) sqlite3_column_text(st, 1)) < 0)
                                return -ENOMEM;
                if (r != SQLITE_DONE)
                        return sqlite_to_errno(s, r) ?: -EIO;
        }

        STRV_FOREACH(n, names) {
                PackageRecord p;
                r = store_package_get(s, *n, &p);
                if (r < 0)
                        return r;
                r = cb(&p, userdata);
                package_record_done(&p);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int run_pair(Store *s, StatementId id, int64_t a, int64_t b, bool with_time, usec_t now) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, id);
        if (!st)
                return -EIO;
        sqlite3_bind_int64(st, 1, a);
        sqlite3_bind_int64(st, 2, b);
        if (with_time)
                bind_usec(st, 3, now);
        return step_done(s, st);
}

int store_maintainer_add(Store *s, int64_t package_id, int64_t account_id, usec_t now) {
        int r = run_pair(s, STMT_MAINTAINER_ADD, package_id, account_id, true, now);
        return r < 0 ? r : 0;
}

int store_maintainer_remove(Store *s, int64_t package_id, int64_t account_id) {
        int r = run_pair(s, STMT_MAINTAINER_REMOVE, package_id, account_id, false, 0);
        if (r < 0)
                return r;
        return r == 0 ? -ENOENT : 0;
}

int store_maintainer_check(Store *s, int64_t package_id, int64_t account_id) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_MAINTAINER_CHECK);
        if (!st)
                return -EIO;
        sqlite3_bind_int64(st, 1, package_id);
        sqlite3_bind_int64(st, 2, account_id);
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW)
                return 1;
        if (r == SQLITE_DONE)
                return 0;
        return sqlite_to_errno(s, r) ?: -EIO;
}

int store_maintainer_count(Store *s, int64_t package_id) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_MAINTAINER_COUNT);
        if (!st)
                return -EIO;
        sqlite3_bind_int64(st, 1, package_id);
        int r = sqlite3_step(st);
        if (r != SQLITE_ROW)
                return sqlite_to_errno(s, r) ?: -EIO;
        return sqlite3_column_int(st, 0);
}

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
        };
        if (!t.id || !t.prefix || !t.account || !t.scope || !t.description || !t.created_by ||
            !t.last_used_from || !t.cidrs) {
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

int store_token_revoke(Store *s, const char *id, usec_t now) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_TOKEN_REVOKE);
        if (!st)
                return -EIO;
        bind_usec(st, 1, now);
        bind_text(st, 2, id);
        return step_done(s, st);
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

int store_token_foreach(Store *s, const char *account, const char *package, TokenCallback cb, void *userdata) {
        StatementId id = account ? STMT_TOKEN_LIST_ACCOUNT : package ? STMT_TOKEN_LIST_PACKAGE : STMT_TOKEN_LIST_ALL;
        _cleanup_reset_ sqlite3_stmt *st = statement(s, id);
        int r;

        if (!st)
                return -EIO;
        if (account || package)
                bind_text(st, 1, account ?: package);
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

/* ------------------------------------------------------------------------------------------ */
/* Audit                                                                                      */

int store_audit_append(Store *s, const AuditEvent *e) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_AUDIT_INSERT);
        if (!st)
                return -EIO;
        bind_usec(st, 1, e->time);
        bind_text(st, 2, e->action);
        bind_text(st, 3, e->package);
        bind_text(st, 4, e->result);
        bind_text(st, 5, e->actor);
        bind_text(st, 6, e->token_id);
        bind_text(st, 7, e->remote);
        bind_text(st, 8, e->reason);
        int r = step_done(s, st);
        return r < 0 ? r : 0;
}

static const char *column_text(sqlite3_stmt *st, int i) {
        const unsigned char *t = sqlite3_column_text(st, i);
        return t ? (const char *) t : "";
}

int store_audit_foreach(Store *s, const char *package, usec_t since, unsigned limit, AuditCallback cb, void *userdata) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_AUDIT_LIST);
        int r;

        if (!st)
                return -EIO;
        bind_text(st, 1, package);
        bind_usec(st, 2, since);
        sqlite3_bind_int64(st, 3, limit);
        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
                AuditEvent e = {
                        .time = column_usec(st, 0),
                        .action = column_text(st, 1),
                        .package = column_text(st, 2),
                        .result = column_text(st, 3),
                        .actor = column_text(st, 4),
                        .token_id = column_text(st, 5),
                        .remote = column_text(st, 6),
                        .reason = column_text(st, 7),
                };
                int k = cb(&e, userdata);
                if (k < 0)
                        return k;
        }
        return r == SQLITE_DONE ? 0 : (sqlite_to_errno(s, r) ?: -EIO);
}

int store_counts(Store *s, usec_t now, StoreCounts *ret) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_COUNTS);
        if (!st)
                return -EIO;
        bind_usec(st, 1, now);
        int r = sqlite3_step(st);
        if (r != SQLITE_ROW)
                return sqlite_to_errno(s, r) ?: -EIO;
        *ret = (StoreCounts) {
                .accounts = (uint64_t) sqlite3_column_int64(st, 0),
                .packages = (uint64_t) sqlite3_column_int64(st, 1),
                .tokens = (uint64_t) sqlite3_column_int64(st, 2),
                .active_tokens = (uint64_t) sqlite3_column_int64(st, 3),
        };
        return 0;
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

int store_account_get_secrets(Store *s, const char *name, AccountSecrets *ret) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_SECRETS_GET);
        AccountSecrets a = {};
        int r;

        if (!st)
                return -EIO;
        bind_text(st, 1, name);
        r = step_one_row(s, st);
        if (r < 0)
                return r;
        a.id = sqlite3_column_int64(st, 0);
        a.password_hash = column_strdup(st, 1);
        if (!a.password_hash)
                return -ENOMEM;
        a.totp_secret_size = column_blob_copy(st, 2, a.totp_secret, sizeof a.totp_secret);
        a.totp_pending_size = column_blob_copy(st, 3, a.totp_pending, sizeof a.totp_pending);
        a.totp_last_counter = (uint64_t) sqlite3_column_int64(st, 4);
        *ret = a;
        return 0;
}

static int update_account(Store *s, StatementId id, int64_t account_id, int account_index) {
        /* Statements bind their values first and the account id at account_index. */
        _cleanup_reset_ sqlite3_stmt *st = s->stmt[id];
        sqlite3_bind_int64(st, account_index, account_id);
        int r = step_done(s, st);
        return r;
}

int store_account_set_password(Store *s, int64_t id, const char *hash) {
        sqlite3_stmt *st = statement(s, STMT_SET_PASSWORD);
        if (!st)
                return -EIO;
        bind_text(st, 1, hash);
        int r = update_account(s, STMT_SET_PASSWORD, id, 2);
        return r < 0 ? r : r == 0 ? -ENOENT : 0;
}

int store_account_set_totp_pending(Store *s, int64_t id, const uint8_t *secret, size_t n) {
        sqlite3_stmt *st = statement(s, STMT_SET_TOTP_PENDING);
        if (!st)
                return -EIO;
        if (secret)
                sqlite3_bind_blob(st, 1, secret, (int) n, SQLITE_TRANSIENT);
        else
                sqlite3_bind_null(st, 1);
        int r = update_account(s, STMT_SET_TOTP_PENDING, id, 2);
        return r < 0 ? r : r == 0 ? -ENOENT : 0;
}

int store_account_activate_totp(Store *s, int64_t id, TwoFactorMode mode, uint64_t counter) {
        sqlite3_stmt *st = statement(s, STMT_ACTIVATE_TOTP);
        if (!st)
                return -EIO;
        bind_text(st, 1, twofa_mode_to_string(mode));
        sqlite3_bind_int64(st, 2, (sqlite3_int64) counter);
        int r = update_account(s, STMT_ACTIVATE_TOTP, id, 3);
        return r < 0 ? r : r == 0 ? -ENOENT : 0;
}

int store_account_set_twofa_mode(Store *s, int64_t id, TwoFactorMode mode) {
        int r;

        if (mode == TWOFA_DISABLED) {
                if (!statement(s, STMT_DISABLE_TWOFA))
                        return -EIO;
                r = update_account(s, STMT_DISABLE_TWOFA, id, 1);
                if (r < 0)
                        return r;
                return store_recovery_codes_replace(s, id, NULL, 0);
        }
        sqlite3_stmt *st = statement(s, STMT_SET_TWOFA_MODE);
        if (!st)
                return -EIO;
        bind_text(st, 1, twofa_mode_to_string(mode));
        r = update_account(s, STMT_SET_TWOFA_MODE, id, 2);
        return r < 0 ? r : r == 0 ? -ENOENT : 0;
}

int store_account_advance_totp_counter(Store *s, int64_t id, uint64_t counter) {
        sqlite3_stmt *st = statement(s, STMT_ADVANCE_COUNTER);
        if (!st)
                return -EIO;
        sqlite3_bind_int64(st, 1, (sqlite3_int64) counter);
        sqlite3_bind_int64(st, 3, (sqlite3_int64) counter);
        int r = update_account(s, STMT_ADVANCE_COUNTER, id, 2);
        return r < 0 ? r : r > 0;
}

int store_recovery_codes_replace(Store *s, int64_t id, const uint8_t (*hashes)[RECOVERY_HASH_SIZE], size_t n) {
        int r;

        if (!statement(s, STMT_RECOVERY_DELETE_ALL))
                return -EIO;
        r = update_account(s, STMT_RECOVERY_DELETE_ALL, id, 1);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_RECOVERY_INSERT);
                if (!st)
                        return -EIO;
                sqlite3_bind_int64(st, 1, id);
                sqlite3_bind_blob(st, 2, hashes[i], RECOVERY_HASH_SIZE, SQLITE_STATIC);
                r = step_done(s, st);
                if (r < 0)
                        return r;
        }
        return 0;
}

int store_recovery_code_consume(Store *s, int64_t id, const uint8_t hash[static RECOVERY_HASH_SIZE]) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_RECOVERY_CONSUME);
        if (!st)
                return -EIO;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_blob(st, 2, hash, RECOVERY_HASH_SIZE, SQLITE_STATIC);
        int r = step_done(s, st);
        return r < 0 ? r : r > 0;
}

int store_recovery_codes_count(Store *s, int64_t id) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_RECOVERY_COUNT);
        if (!st)
                return -EIO;
        sqlite3_bind_int64(st, 1, id);
        int r = sqlite3_step(st);
        if (r != SQLITE_ROW)
                return sqlite_to_errno(s, r) ?: -EIO;
        return sqlite3_column_int(st, 0);
}

/* ------------------------------------------------------------------------------------------ */
/* Failure counters                                                                           */

int store_failures_get(Store *s, const char *name, FailureRecord *ret) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_FAILURES_GET);
        if (!st)
                return -EIO;
        bind_text(st, 1, name);
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

int store_failures_put(Store *s, const char *name, const FailureRecord *f) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_FAILURES_PUT);
        if (!st)
                return -EIO;
        bind_text(st, 1, name);
        sqlite3_bind_int64(st, 2, f->count);
        bind_usec(st, 3, f->window_start);
        bind_usec(st, 4, f->locked_until);
        int r = step_done(s, st);
        return r < 0 ? r : 0;
}

int store_failures_clear(Store *s, const char *name) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_FAILURES_CLEAR);
        if (!st)
                return -EIO;
        bind_text(st, 1, name);
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
/* Corruption, the background integrity check, backups                                        */

int store_open_with_options(const char *state_dir, const StoreOptions *o, Store **ret) {
        return open_store(state_dir, o ?: &(StoreOptions) STORE_OPTIONS_DEFAULT, ret);
}

/* Latches the corrupt state and says so once; any thread may call it. */
static void store_mark_corrupt(Store *s, const char *what) {
        if (atomic_exchange(&s->corrupt, true))
                return;
        log_store(s, "THE DATABASE IS CORRUPT (%s). pkgtokend now refuses every request that needs the "
                  "store, rather than risk a wrong answer. Stop pkgtokend, keep a copy of the file, and "
                  "restore it from a backup (run `sqlite3 %s 'PRAGMA integrity_check'` to see the damage).",
                  what, s->path);
}

bool store_is_corrupt(Store *s) {
        background_check_reap(s, /* wait= */ false);
        return atomic_load(&s->corrupt);
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
        r = integrity_check_start(s->path, background_check_corrupt, s, &s->check);
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
        if (!s->check || (!wait && !integrity_check_done(s->check)))
                return;
        s->check = integrity_check_stop(s->check);
        if (s->db)
                (void) exec_simple(s, "PRAGMA wal_autocheckpoint = 1000");
}

/* On the daemon's own connection: it holds the file exclusively, so `sqlite3 tokens.db
 * .backup` from outside cannot read it.  Allowed on a corrupt store too: a copy is what one
 * wants then. */
int store_backup(Store *s, const char *path) {
        int r = sqlite_backup_to_new_file(s->db, path);
        if (r < 0)
                return r;
        log_info("%s: backed up to %s", s->path, path);
        return 0;
}
