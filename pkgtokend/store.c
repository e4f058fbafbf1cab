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
#include <sys/statvfs.h>
#include <unistd.h>

#include "log.h"
#include "seal.h"
#include "store-check.h"
#include "store-internal.h"
#include "strv.h"

/* One column list and one row reader for every query that returns tokens. */
#define TOKEN_COLUMNS                                                                   \
        "t.id, t.public_id, t.prefix, t.type, t.owner, coalesce(t.account_id, 0), "     \
        "coalesce(a.name, ''), coalesce(a.locked, 0), t.scope, t.description, "         \
        "t.created_by, t.created_at, t.expires_at, t.last_used_at, t.last_used_from, "  \
        "t.cidrs, t.revoked_at, coalesce(a.twofa_mode, 'disabled'), "                   \
        "CASE t.lineage WHEN '' THEN t.public_id ELSE t.lineage END, t.rotated_until, " \
        "t.expiry_warned_at, coalesce(a.hold_until, 0) "                                \
        "FROM tokens t LEFT JOIN accounts a ON a.id = t.account_id "

#define PACKAGE_COLUMNS "id, name, policy, created_at, requires_approval, max_token_lifetime, " \
        "trusted_publishing_only FROM packages "
#define STAGE_COLUMNS "public_id, package, version, integrity, staged_by, token_id, remote, decided_by, reason, " \
        "state, staged_at, expires_at, decided_at FROM stages "
#define ACCOUNT_COLUMNS "id, name, email, kind, locked, created_at, twofa_mode, "            \
        "totp_pending IS NOT NULL, password_hash != '' OR password_source != '', hold_until, "  \
        "password_source FROM accounts "

static const char *const statement_sql[_STMT_MAX] = {
        [STMT_BEGIN]               = "BEGIN IMMEDIATE",
        [STMT_COMMIT]              = "COMMIT",
        [STMT_ROLLBACK]            = "ROLLBACK",
        [STMT_ACCOUNT_INSERT]      = "INSERT INTO accounts (name, email, kind, created_at) VALUES (?, ?, ?, ?)",
        [STMT_ACCOUNT_GET]         = "SELECT " ACCOUNT_COLUMNS "WHERE name = ?",
        [STMT_ACCOUNT_LIST]        = "SELECT " ACCOUNT_COLUMNS "ORDER BY name",
        [STMT_ACCOUNT_SET_LOCKED]  = "UPDATE accounts SET locked = ? WHERE name = ?",
        [STMT_ACCOUNT_SET_HOLD]    = "UPDATE accounts SET hold_until = ? WHERE name = ?",
        [STMT_ACCOUNT_SET_EMAIL]   = "UPDATE accounts SET email = ? WHERE name = ?",
        [STMT_ACCOUNT_DELETE]      = "DELETE FROM accounts WHERE name = ?",
        [STMT_PACKAGE_INSERT]      = "INSERT INTO packages (name, policy, created_at) VALUES (?, ?, ?)",
        [STMT_PACKAGE_GET]         = "SELECT " PACKAGE_COLUMNS "WHERE name = ?",
        [STMT_PACKAGE_LIST]        = "SELECT " PACKAGE_COLUMNS "ORDER BY name",
        [STMT_PACKAGE_SET_POLICY]  = "UPDATE packages SET policy = ? WHERE name = ?",
        [STMT_PACKAGE_SET_MAX_LIFETIME] = "UPDATE packages SET max_token_lifetime = ? WHERE name = ?",
        [STMT_PACKAGE_MAINTAINERS] = "SELECT a.name FROM maintainers m JOIN accounts a ON a.id = m.account_id "
                                     "WHERE m.package_id = ? ORDER BY a.name",
        [STMT_MAINTAINER_ADD]      = "INSERT INTO maintainers (package_id, account_id, added_at) VALUES (?, ?, ?)",
        [STMT_MAINTAINER_REMOVE]   = "DELETE FROM maintainers WHERE package_id = ? AND account_id = ?",
        [STMT_MAINTAINER_CHECK]    = "SELECT 1 FROM maintainers WHERE package_id = ? AND account_id = ?",
        [STMT_MAINTAINER_COUNT]    = "SELECT count(*) FROM maintainers WHERE package_id = ?",
        [STMT_TOKEN_INSERT]        = "INSERT INTO tokens (public_id, hash, prefix, type, owner, account_id, scope, "
                                     "description, created_by, created_at, expires_at, cidrs, lineage) "
                                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [STMT_TOKEN_BY_HASH]       = "SELECT " TOKEN_COLUMNS "WHERE t.hash = ?",
        [STMT_TOKEN_BY_ID]         = "SELECT " TOKEN_COLUMNS "WHERE t.public_id = ?",
        [STMT_TOKEN_LIST_ALL]      = "SELECT " TOKEN_COLUMNS "ORDER BY t.created_at, t.id",
        [STMT_TOKEN_LIST_ACCOUNT]  = "SELECT " TOKEN_COLUMNS "WHERE a.name = ? ORDER BY t.created_at, t.id",
        /* Package tokens keep their packages as a newline-separated list of exact names. */
        [STMT_TOKEN_LIST_PACKAGE]  = "SELECT " TOKEN_COLUMNS "WHERE t.owner = 'package' AND "
                                     "instr(char(10) || t.scope || char(10), char(10) || ? || char(10)) > 0 "
                                     "ORDER BY t.created_at, t.id",
        [STMT_TOKEN_EXPIRING]      = "SELECT " TOKEN_COLUMNS "WHERE t.revoked_at = 0 AND t.rotated_until = 0 AND "
                                     "t.expiry_warned_at = 0 AND t.expires_at > ? AND t.expires_at <= ? "
                                     "ORDER BY t.expires_at LIMIT ?",
        [STMT_TOKEN_MARK_WARNED]   = "UPDATE tokens SET expiry_warned_at = ? WHERE public_id = ?",
        [STMT_TOKEN_SET_ROTATED]   = "UPDATE tokens SET rotated_until = ? WHERE public_id = ? AND revoked_at = 0 "
                                     "AND rotated_until = 0",
        [STMT_TOKEN_LINEAGE]       = "SELECT " TOKEN_COLUMNS "WHERE (t.public_id = ?1 OR t.lineage = ?1) "
                                     "AND t.revoked_at = 0",
        [STMT_TOKEN_REVOKE]        = "UPDATE tokens SET revoked_at = ? WHERE public_id = ? AND revoked_at = 0",
        [STMT_TOKEN_TOUCH]         = "UPDATE tokens SET last_used_at = ?, last_used_from = ? "
                                     "WHERE id = ? AND last_used_at < ?",
        /* ?10, the provenance, when given; else that of the token's exchange, if any (the
         * partial index audit_provenance_by_token holds only records with one). */
        [STMT_AUDIT_INSERT]        = "INSERT INTO audit (time, action, package, result, actor, token_id, remote, reason, "
                                     "version, provenance) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
                                     "CASE WHEN ?10 != '' THEN ?10 WHEN ?6 = '' THEN '' ELSE "
                                     "coalesce((SELECT provenance FROM audit WHERE token_id = ?6 AND provenance != '' "
                                     "LIMIT 1), '') END)",
        [STMT_AUDIT_LIST]          = "SELECT time, action, package, result, actor, token_id, remote, reason, count, version, "
                                     "provenance FROM "
                                     "(SELECT * FROM audit WHERE (?1 = '' OR package = ?1) AND time >= ?2 "
                                     " ORDER BY time DESC, id DESC LIMIT ?3) ORDER BY time, id",
        /* The newest record of the same refusal from the same address since ?2 (the start of
         * its window), if any, counts one more. */
        [STMT_AUDIT_REPEAT]        = "UPDATE audit SET count = count + 1 WHERE id = "
                                     "(SELECT id FROM audit WHERE remote = ?1 AND time >= ?2 AND action = ?3 "
                                     " AND result = ?4 AND reason = ?5 AND actor = ?6 AND token_id = '' "
                                     " ORDER BY time DESC LIMIT 1)",
        [STMT_AUDIT_PRUNE]         = "DELETE FROM audit WHERE id IN "
                                     "(SELECT id FROM audit WHERE time < ?1 ORDER BY time LIMIT ?2)",
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
        [STMT_FAILURES_GET]        = "SELECT count, window_start, locked_until FROM auth_failures "
                                     "WHERE name = ? AND address = ?",
        [STMT_FAILURES_PUT]        = "INSERT OR REPLACE INTO auth_failures (name, address, count, window_start, locked_until) "
                                     "VALUES (?, ?, ?, ?, ?)",
        [STMT_FAILURES_CLEAR]      = "DELETE FROM auth_failures WHERE name = ?1 AND (?2 IS NULL OR address = ?2)",
        [STMT_FAILURES_PRUNE]      = "DELETE FROM auth_failures WHERE locked_until < ?1 AND window_start < ?1",
        [STMT_PENDING_INSERT]      = "INSERT INTO pending_publishes (public_id, created_at, action, package, version, "
                                     "token_id, account_id, actor, remote, new_package, integrity) "
                                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [STMT_PENDING_TAKE]        = "DELETE FROM pending_publishes WHERE public_id = ? RETURNING created_at, action, "
                                     "package, version, token_id, coalesce(account_id, 0), actor, remote, new_package, "
                                     "integrity",
        [STMT_PENDING_PRUNE]       = "DELETE FROM pending_publishes WHERE created_at < ?",
        [STMT_TRUSTED_INSERT]      = "INSERT INTO trusted_publishers (public_id, package_id, issuer, claims, created_by, "
                                     "created_at) SELECT ?1, id, ?2, ?3, ?4, ?5 FROM packages WHERE name = ?6",
        [STMT_TRUSTED_LIST]        = "SELECT tp.public_id, p.name, tp.issuer, tp.claims, tp.created_by, tp.created_at "
                                     "FROM trusted_publishers tp JOIN packages p ON p.id = tp.package_id "
                                     "WHERE ?1 = '' OR p.name = ?1 ORDER BY p.name, tp.created_at, tp.public_id",
        [STMT_TRUSTED_DELETE]      = "DELETE FROM trusted_publishers WHERE public_id = ?",
        [STMT_JTI_INSERT]          = "INSERT INTO used_jtis (issuer, jti, expires_at) VALUES (?, ?, ?)",
        [STMT_JTI_PRUNE]           = "DELETE FROM used_jtis WHERE expires_at < ?",
        [STMT_TRUSTED_ONLY_SET]    = "UPDATE packages SET trusted_publishing_only = ? WHERE name = ?",
        [STMT_PACKAGE_SET_APPROVAL] = "UPDATE packages SET requires_approval = ? WHERE name = ?",
        [STMT_STAGE_INSERT]        = "INSERT INTO stages (public_id, package, version, integrity, staged_by, token_id, "
                                     "remote, staged_at, expires_at, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'staged')",
        [STMT_STAGE_GET]           = "SELECT " STAGE_COLUMNS "WHERE public_id = ?",
        [STMT_STAGE_LIST]          = "SELECT " STAGE_COLUMNS "WHERE ?1 = '' OR package = ?1 ORDER BY staged_at, public_id",
        [STMT_STAGE_NEXT_EXPIRED]  = "SELECT " STAGE_COLUMNS "WHERE state = 'staged' AND expires_at <= ? "
                                     "ORDER BY expires_at LIMIT 1",
        [STMT_STAGE_SET_STATE]     = "UPDATE stages SET state = ?3, decided_by = ?4, decided_at = ?5, reason = ?6 "
                                     "WHERE public_id = ?1 AND state = ?2",
        /* accounts linked to a Unix user (store-uids.c) */
        [STMT_ACCOUNT_SET_UID]     = "UPDATE accounts SET uid = NULLIF(?, -1) WHERE name = ?",
        [STMT_ACCOUNT_GET_UID]     = "SELECT IFNULL(uid, -1) FROM accounts WHERE name = ?",
        [STMT_ACCOUNT_BY_UID]      = "SELECT name FROM accounts WHERE uid = ?",
        /* A password from a PAM service replaces a local one, which must not work again. */
        [STMT_ACCOUNT_SET_PASSWORD_SOURCE] = "UPDATE accounts SET password_source = ?1, password_hash = "
                                     "CASE WHEN ?1 = '' THEN password_hash ELSE '' END WHERE name = ?2",
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

        /* 2 → 3: failures per account name and remote address, a name's lockout from all
         * addresses kept as address '*'; repeated audit records counted in one row. */
        "CREATE TABLE auth_failures_v3 ("
        "  name TEXT NOT NULL,"
        "  address TEXT NOT NULL,"
        "  count INTEGER NOT NULL,"
        "  window_start INTEGER NOT NULL,"
        "  locked_until INTEGER NOT NULL DEFAULT 0,"
        "  PRIMARY KEY (name, address)) WITHOUT ROWID;"
        "INSERT INTO auth_failures_v3 SELECT name, '*', count, window_start, locked_until FROM auth_failures;"
        "DROP TABLE auth_failures;"
        "ALTER TABLE auth_failures_v3 RENAME TO auth_failures;"
        "ALTER TABLE audit ADD COLUMN count INTEGER NOT NULL DEFAULT 1;"
        "CREATE INDEX audit_by_remote ON audit(remote, time);",
        /* 3 → 4: Verify's two-phase writes (pending until FinishPublish) and the version a
         * write names in the audit. */
        "ALTER TABLE audit ADD COLUMN version TEXT NOT NULL DEFAULT '';"
        "CREATE TABLE pending_publishes ("
        "  public_id TEXT PRIMARY KEY,"
        "  created_at INTEGER NOT NULL,"
        "  action TEXT NOT NULL,"
        "  package TEXT NOT NULL,"
        "  version TEXT NOT NULL DEFAULT '',"
        "  token_id TEXT NOT NULL DEFAULT '',"
        /* The first maintainer of a new package; gone with its account. */
        "  account_id INTEGER REFERENCES accounts(id) ON DELETE CASCADE,"
        "  actor TEXT NOT NULL,"
        "  remote TEXT NOT NULL DEFAULT '',"
        "  new_package INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
        "CREATE INDEX pending_publishes_by_time ON pending_publishes(created_at);",

        /* 4 → 5: staged publishing: the staged versions, the package option that requires
         * them, and the integrity a pending stage names. */
        "ALTER TABLE packages ADD COLUMN requires_approval INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE pending_publishes ADD COLUMN integrity TEXT NOT NULL DEFAULT '';"
        "CREATE TABLE stages ("
        "  public_id TEXT PRIMARY KEY,"
        "  package TEXT NOT NULL,"
        "  version TEXT NOT NULL,"
        "  integrity TEXT NOT NULL,"
        "  staged_by TEXT NOT NULL,"
        "  token_id TEXT NOT NULL DEFAULT '',"
        "  remote TEXT NOT NULL DEFAULT '',"
        "  staged_at INTEGER NOT NULL,"
        "  expires_at INTEGER NOT NULL,"
        "  state TEXT NOT NULL CHECK (state IN ('staged', 'approved', 'published', 'rejected', 'expired')),"
        "  decided_by TEXT NOT NULL DEFAULT '',"
        "  decided_at INTEGER NOT NULL DEFAULT 0,"
        "  reason TEXT NOT NULL DEFAULT '') WITHOUT ROWID;"
        "CREATE INDEX stages_by_package ON stages(package, staged_at);"
        "CREATE INDEX stages_by_expiry ON stages(state, expires_at);",

        /* 5 → 6: the longest lifetime a package allows the tokens that can publish
         * it (0 none). */
        "ALTER TABLE packages ADD COLUMN max_token_lifetime INTEGER NOT NULL DEFAULT 0;"
        /* TokenExpiring sent (once per token, across restarts). */
        "ALTER TABLE tokens ADD COLUMN expiry_warned_at INTEGER NOT NULL DEFAULT 0;"
        /* Rotation: the first token's id ('' = this token is the first), and until when a
         * rotated-out secret still works. */
        "ALTER TABLE tokens ADD COLUMN lineage TEXT NOT NULL DEFAULT '';"
        "ALTER TABLE tokens ADD COLUMN rotated_until INTEGER NOT NULL DEFAULT 0;"
        "CREATE INDEX tokens_by_lineage ON tokens(lineage) WHERE lineage != '';"
        "CREATE INDEX tokens_by_expiry ON tokens(expires_at) WHERE expires_at != 0 AND expiry_warned_at = 0;"
        /* After a recovery (a recovery code used, 2FA reset by an admin): reads only until then. */
        "ALTER TABLE accounts ADD COLUMN hold_until INTEGER NOT NULL DEFAULT 0;",

        /* 6 → 7: trusted publishing: who may exchange an OIDC ID token for a package's
         * short-lived publish token, the ID tokens used already (single use, across hosts),
         * and packages that take no other publishes. */
        "CREATE TABLE trusted_publishers ("
        "  public_id TEXT PRIMARY KEY,"
        "  package_id INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,"
        "  issuer TEXT NOT NULL,"
        "  claims TEXT NOT NULL,"
        "  created_by TEXT NOT NULL,"
        "  created_at INTEGER NOT NULL) WITHOUT ROWID;"
        "CREATE INDEX trusted_publishers_by_package ON trusted_publishers(package_id);"
        "CREATE TABLE used_jtis ("
        "  issuer TEXT NOT NULL,"
        "  jti TEXT NOT NULL,"
        "  expires_at INTEGER NOT NULL,"
        "  PRIMARY KEY (issuer, jti)) WITHOUT ROWID;"
        "CREATE INDEX used_jtis_by_expiry ON used_jtis(expires_at);"
        "ALTER TABLE packages ADD COLUMN trusted_publishing_only INTEGER NOT NULL DEFAULT 0;",

        /* 7 → 8: trusted publishing's provenance as a field of the audit (a JSON object; the
         * exchange's record and the records of the token it minted), found by token. */
        "ALTER TABLE audit ADD COLUMN provenance TEXT NOT NULL DEFAULT '';"
        "CREATE INDEX audit_provenance_by_token ON audit(token_id) WHERE provenance != '';",

        /* 8 → 9: accounts linked to a Unix user: that uid acts for its account over the bus
         * without root (pkgtokend/bus-access.c).  One account per uid, one uid per account. */
        "ALTER TABLE accounts ADD COLUMN uid INTEGER;"
        "CREATE UNIQUE INDEX accounts_by_uid ON accounts(uid) WHERE uid IS NOT NULL;",
        /* 9 → 10: where an account's password is checked: '' here (password_hash), or
         * "pam:SERVICE", a PAM service of the host through pkgtoken-pam-helper. */
        "ALTER TABLE accounts ADD COLUMN password_source TEXT NOT NULL DEFAULT '';",
};

_Static_assert(ELEMENTSOF(migrations) == STORE_SCHEMA_VERSION, "one migration per schema version");

static void store_mark_corrupt(Store *s, const char *what);
static void background_check_reap(Store *s, bool wait);
static int check_free_space(Store *s);

void log_store(const Store *s, const char *fmt, ...) {
        char message[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(message, sizeof message, fmt, ap);
        va_end(ap);
        log_error("%s: %s", s->path, message);
}

/* Maps an SQLite result to a negative errno, logging what is not an expected outcome. */
int sqlite_to_errno(Store *s, int r) {
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
sqlite3_stmt *statement(Store *s, StatementId id) {
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

/* Runs a statement that returns no rows. Returns the number of changed rows or -errno. */
int step_done(Store *s, sqlite3_stmt *st) {
        int r;

        /* A change outside a transaction (transactions are checked by store_begin()) meets
         * the free-space floor here; pruning the audit, which frees space, does not. */
        if (sqlite3_get_autocommit(s->db) && !sqlite3_stmt_readonly(st) && st != s->stmt[STMT_AUDIT_PRUNE]) {
                r = check_free_space(s);
                if (r < 0)
                        return r;
        }
        r = sqlite3_step(st);
        if (r != SQLITE_DONE)
                return sqlite_to_errno(s, r) ?: -EIO;
        return sqlite3_changes(s->db);
}

/* Steps a statement that returns at most one row: 0 with the row, -ENOENT without. */
int step_one_row(Store *s, sqlite3_stmt *st) {
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
        s->dir = strdup(state_dir);
        if (!s->dir)
                return -ENOMEM;
        s->min_free_space = o->min_free_space;

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
        if (s->seal_key)
                seal_key_erase(s->seal_key);
        free(s->seal_key);
        free(s->path);
        free(s->dir);
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

/* statvfs() at most once a second: writes come by the thousand, the disk fills slowly. */
static int check_free_space(Store *s) {
        usec_t now = now_monotonic_usec();
        struct statvfs sv;

        if (s->min_free_space == 0)
                return 0;
        if (s->space_checked_at != 0 && now - s->space_checked_at < USEC_PER_SEC)
                return s->space_low ? -ENOSPC : 0;
        s->space_checked_at = now;
        if (statvfs(s->dir, &sv) < 0)
                return 0;   /* cannot tell: SQLite will say when the disk is full */
        uint64_t avail = (uint64_t) sv.f_bavail * sv.f_frsize;
        bool low = avail < s->min_free_space;
        if (low != s->space_low) {
                if (low)
                        log_store(s, "only %" PRIu64 " MiB free in %s, below MinFreeSpaceMiB=%" PRIu64 ": "
                                  "refusing every change (reads keep working) until space is freed.",
                                  avail >> 20, s->dir, s->min_free_space >> 20);
                else
                        log_info("%s: %" PRIu64 " MiB free again: changes are accepted.", s->path, avail >> 20);
                s->space_low = low;
        }
        return low ? -ENOSPC : 0;
}

int store_begin(Store *s, Transaction *ret) {
        int r = check_free_space(s);
        if (r < 0)
                return r;
        r = run_control(s, STMT_BEGIN);
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
