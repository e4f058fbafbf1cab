/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The store's SQL (every statement, in the portable form both backends run and, where the
 * dialects really differ, PostgreSQL's own), the SQLite schema's migrations, and what every
 * backend shares: opening, transactions, closing. */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "seal.h"
#include "store-internal.h"

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

/* Placeholders are "?" or "?N" (the PostgreSQL backend turns them into "$N"). */
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
        [STMT_PACKAGE_INSERT]      = "INSERT INTO packages (name, policy, created_at) VALUES (?, ?, ?) RETURNING id",
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
        [STMT_TOKEN_HASHES]        = "SELECT hash FROM tokens",
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
                                     " ORDER BY time DESC, id DESC LIMIT ?3) AS newest ORDER BY time, id",
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
        [STMT_FAILURES_PUT]        = "INSERT INTO auth_failures (name, address, count, window_start, locked_until) "
                                     "VALUES (?, ?, ?, ?, ?) ON CONFLICT (name, address) DO UPDATE SET "
                                     "count = excluded.count, window_start = excluded.window_start, "
                                     "locked_until = excluded.locked_until",
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
        [STMT_ACCOUNT_GET_UID]     = "SELECT COALESCE(uid, -1) FROM accounts WHERE name = ?",
        [STMT_ACCOUNT_BY_UID]      = "SELECT name FROM accounts WHERE uid = ?",
        /* A password from a PAM service replaces a local one, which must not work again. */
        [STMT_ACCOUNT_SET_PASSWORD_SOURCE] = "UPDATE accounts SET password_source = ?1, password_hash = "
                                     "CASE WHEN ?1 = '' THEN password_hash ELSE '' END WHERE name = ?2",
        /* Seeds stored in clear (from before sealing) are sealed at start-up. */
        [STMT_SEAL_COUNT]          = "SELECT count(*) FROM accounts WHERE substr(totp_secret, 1, 4) = ? "
                                     "OR substr(totp_pending, 1, 4) = ?",
        [STMT_SEAL_SEEDS]          = "SELECT id, totp_secret, 0 FROM accounts WHERE totp_secret IS NOT NULL "
                                     "UNION ALL SELECT id, totp_pending, 1 FROM accounts WHERE totp_pending IS NOT NULL",
        [STMT_SEAL_SET_SECRET]     = "UPDATE accounts SET totp_secret = ? WHERE id = ?",
        [STMT_SEAL_SET_PENDING]    = "UPDATE accounts SET totp_pending = ? WHERE id = ?",
};

/* PostgreSQL's own, where its dialect differs. */
static const char *const statement_sql_postgresql[_STMT_MAX] = {
        /* Write transactions take one lock shared by every host first: like SQLite's BEGIN
         * IMMEDIATE, a transaction's reads and writes are one step for all pkgtokend
         * instances, so a rule checked in a transaction (the last maintainer, a lockout's
         * count) holds across hosts as it does on one.  Single statements (the token check,
         * OTP counters, recovery codes, stage decisions) need no lock: each is one
         * conditional change the database makes once.  See store-postgresql.c. */
        [STMT_BEGIN]               = "BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock(7073696)",
        [STMT_TOKEN_LIST_PACKAGE]  = "SELECT " TOKEN_COLUMNS "WHERE t.owner = 'package' AND "
                                     "strpos(chr(10) || t.scope || chr(10), chr(10) || ? || chr(10)) > 0 "
                                     "ORDER BY t.created_at, t.id",
};

const char *store_statement_sql(StatementId id, StoreDialect d) {
        if (d == STORE_DIALECT_POSTGRESQL && statement_sql_postgresql[id])
                return statement_sql_postgresql[id];
        return statement_sql[id];
}

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

const char *store_sqlite_migration(unsigned v) {
        return v < ELEMENTSOF(migrations) ? migrations[v] : NULL;
}

void log_store(const Store *s, const char *fmt, ...) {
        char message[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(message, sizeof message, fmt, ap);
        va_end(ap);
        log_error("%s: %s", s->path, message);
}

/* Refuses a schema version a newer pkgtokend wrote (or an invalid one), then brings the
 * database from `version` to STORE_SCHEMA_VERSION one migration at a time. */
int store_migrate(Store *s, int64_t version, int (*apply)(Store *s, int64_t from)) {
        if (version > STORE_SCHEMA_VERSION) {
                log_store(s, "the database has schema version %" PRId64 ", written by a newer pkgtokend; "
                          "this one knows up to %d. Refusing to start; the database was left untouched.",
                          version, STORE_SCHEMA_VERSION);
                return -EPROTONOSUPPORT;
        }
        if (version < 0) {
                log_store(s, "the database has an invalid schema version %" PRId64 ". Refusing to start.", version);
                return -EBADMSG;
        }
        for (int64_t v = version; v < STORE_SCHEMA_VERSION; v++) {
                int r = apply(s, v);
                if (r < 0) {
                        log_store(s, "schema migration %" PRId64 " → %" PRId64 " failed; nothing was changed.", v, v + 1);
                        return r;
                }
        }
        return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Opening and closing                                                                        */

static int open_store(const char *state_dir, const StoreOptions *o, Store **ret) {
        _cleanup_(store_freep) Store *s = NULL;
        int r;

        s = calloc(1, sizeof *s);
        if (!s)
                return -ENOMEM;
        s->generation = 1;   /* 0 marks an empty cache slot */
        if (o->backend == STORE_BACKEND_POSTGRESQL)
                r = store_postgresql_open(s, o);
        else
                r = store_sqlite_open(s, state_dir, o);
        if (r < 0)
                return r;
        *ret = s;
        s = NULL;
        return 0;
}

int store_open(const char *state_dir, Store **ret) {
        return open_store(state_dir, &(StoreOptions) STORE_OPTIONS_DEFAULT, ret);
}

int store_open_with_options(const char *state_dir, const StoreOptions *o, Store **ret) {
        return open_store(state_dir, o ?: &(StoreOptions) STORE_OPTIONS_DEFAULT, ret);
}

Store *store_free(Store *s) {
        if (!s)
                return NULL;
        /* The backend's state is freed here, after the backend let go of what it holds. */
        token_cache_free(s->token_cache);
        if (s->backend && s->data)
                s->backend->close(s);
        free(s->data);
        if (s->seal_key)
                seal_key_erase(s->seal_key);
        free(s->seal_key);
        free(s->path);
        free(s);
        return NULL;
}

const char *store_path(const Store *s) {
        return s->path;
}

/* ------------------------------------------------------------------------------------------ */
/* Transactions                                                                               */

static int begin(Store *s, bool relaxed, Transaction *ret) {
        int r = s->backend->begin(s, relaxed);
        if (r < 0)
                return r;
        *ret = (Transaction) { .store = s, .open = true, .relaxed = relaxed };
        return 0;
}

int store_begin(Store *s, Transaction *ret) {
        return begin(s, /* relaxed= */ false, ret);
}

int store_begin_relaxed(Store *s, Transaction *ret) {
        return begin(s, /* relaxed= */ true, ret);
}

int store_commit(Transaction *t) {
        int r = t->store->backend->commit(t->store, t->relaxed);
        if (r < 0)
                return r;   /* still open: the cleanup handler rolls back */
        t->open = false;
        return 0;
}

void store_rollback(Transaction *t) {
        if (!t->open)
                return;
        /* Reads in the transaction saw its writes (each of which started a generation), which
         * are undone now: a commit keeps them, a rollback starts one more. */
        t->store->generation++;
        t->store->backend->rollback(t->store, t->relaxed);
        t->open = false;
}

/* ------------------------------------------------------------------------------------------ */
/* Corruption and backups                                                                     */

bool store_is_corrupt(Store *s) {
        return s->backend->is_corrupt(s);
}

int store_backup(Store *s, const char *path) {
        return s->backend->backup(s, path);
}
