#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Moving from SQLite to PostgreSQL with scripts/store-sqlite-to-postgresql.sh: a store with
# accounts, a password, a sealed TOTP seed, tokens (one revoked) and audit records, copied
# into a PostgreSQL database whose schema pkgtokend made; pkgtokend on PostgreSQL then answers
# as the SQLite one did, and keeps numbering after the copied rows.  A second copy into the
# same database is refused, and so is a database a newer pkgtokend wrote.

. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
need_binaries
need oathtool psql sqlite3
SCRIPT=$top_srcdir/scripts/store-sqlite-to-postgresql.sh
PW=correct-horse-battery
CONFIG=$TMP/migrate.conf

# --- a store on SQLite ----------------------------------------------------------------------------
PKGTOKEN_TEST_BACKEND=sqlite
SQLITE_STATE=$TMP/sqlite-state
STATE_DIR=$SQLITE_STATE
write_config "$CONFIG" PasswordCost=1 SealKeyFile="$SQLITE_STATE/totp-seal.key"
mkdir -p "$SQLITE_STATE" && chmod 0700 "$SQLITE_STATE"
(umask 077 && head -c 32 /dev/urandom >"$SQLITE_STATE/totp-seal.key") || bail_out "cannot write the seal key"
start_bus || bail_out "the private dbus-daemon did not start"
must_start_daemon --config="$CONFIG"
add_alice_bob_pkg
must_create_token KEEP alice --type=automation
must_create_token GONE alice --type=automation
ok "token revoke" ctl token revoke "$GONE_ID"
authz "$KEEP_SECRET" pkg publish
is "$AUTHZ_RESULT" allowed "on SQLite: the token authorizes"
mgr SetPassword 'ssa{sv}' alice "$PW" 0 >/dev/null || bail_out "cannot set alice's password"
enroll_2fa alice || bail_out "cannot enrol alice"
stop_daemon

# --- the same store on PostgreSQL -----------------------------------------------------------------
PKGTOKEN_TEST_BACKEND=postgresql
start_postgresql
STATE_DIR=$TMP/pg-state
pg_connection_for "$STATE_DIR"
CONNECTION=$PG_CONNECTION
must_start_daemon --config="$CONFIG"    # makes the schema
stop_daemon
run "$SCRIPT" "$SQLITE_STATE/tokens.db" "$CONNECTION"
is "$RUN_RC" 0 "store-sqlite-to-postgresql.sh copies the store"
[ "$RUN_RC" = 0 ] || diag_run
like "$RUN_OUT" "tokens: 2 rows" "  ... and says what it copied"

must_start_daemon --config="$CONFIG"
authz "$KEEP_SECRET" pkg publish
is "$AUTHZ_RESULT" allowed "on PostgreSQL: the copied token authorizes"
authz "$GONE_SECRET" pkg publish
is "$AUTHZ_RESULT" invalid "  ... the revoked one stays revoked"
next_otp alice || bail_out "no code"
expect_authn ok "  ... alice logs in with her password and a TOTP code (the sealed seed opens)" alice "$PW" "$OTP"
ok "  ... bob is there" ctl account show bob
like "$(ctl --json audit)" '"publish"' "  ... the audit came along"
ok "  ... a new account gets a new id" ctl account add carol
must_create_token NEW carol --type=automation
authz "$NEW_SECRET" pkg publish
is "$AUTHZ_RESULT" forbidden "  ... and is checked (carol may not publish pkg)"
run ctl backup "$TMP/copy.db"
isnt "$RUN_RC" 0 "pkgtokenctl backup on PostgreSQL is refused"
like "$RUN_ERR" "pg_dump" "  ... pointing to pg_dump"
ok "  ... and writes no file" test ! -e "$TMP/copy.db"
stop_daemon

run "$SCRIPT" "$SQLITE_STATE/tokens.db" "$CONNECTION"
isnt "$RUN_RC" 0 "a second copy into the same database is refused"
like "$RUN_ERR" "not empty" "  ... saying why"

# A database a newer pkgtokend wrote is refused, as on SQLite (bus-persistence.sh).
store_sql "UPDATE pkgtoken_schema SET version = 999" || bail_out "cannot set the version"
run_daemon_to_exit --config="$CONFIG"
expect_refused_start "a PostgreSQL store with schema version 999"
like "$RUN_ERR" "schema version 999, written by a newer pkgtokend" "  ... saying why"
is "$(store_sql 'SELECT count(*) FROM accounts')" 3 "  ... and leaving the database as it was"

done_testing
