#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The PostgreSQL password: a server that asks for one refuses pkgtokend without it (which then
# refuses to start, after ConnectTimeoutSec=); PasswordFile= or the systemd credential
# pkgtoken-db-password give it; it is never on the command line nor in the log; a password
# file others may read, and a Connection= holding a password, are refused.

. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
need_binaries
need psql
PKGTOKEN_TEST_BACKEND=postgresql
start_postgresql
start_bus || bail_out "the private dbus-daemon did not start"

PASSWORD=pw-$RANDOM$RANDOM$RANDOM
PG_STORE_DIR=$TMP/store
pg_database_for "$PG_STORE_DIR"     # made while the server still trusts the test
psql_ postgres "ALTER ROLE pkgtoken PASSWORD '$PASSWORD'" >/dev/null || bail_out "cannot set the password"
echo "local all all scram-sha-256" >"$PG_DIR/data/pg_hba.conf"
kill -HUP "$PG_PID"
# The server reloads pg_hba.conf on its own time: wait until a connection without the
# password is refused.
trust_refused() { PGPASSWORD= psql_ postgres "SELECT 1" </dev/null >/dev/null 2>&1 && return 1 || return 0; }
wait_for 10 trust_refused || bail_out "the server did not take the new pg_hba.conf"

CONFIG=$TMP/pw.conf
printf '[Store]\nConnectTimeoutSec=2\n' >"$CONFIG"
run_daemon_to_exit --config="$CONFIG"
expect_refused_start "the server asks for a password, none is given"
like "$RUN_ERR" "cannot connect to the database.*password" "  ... saying why"

(umask 077 && printf '%s\n' "$PASSWORD" >"$TMP/db-password") || bail_out "cannot write the password file"
printf '[Store]\nPasswordFile=%s\n' "$TMP/db-password" >>"$CONFIG"
must_start_daemon --config="$CONFIG"
ok "PasswordFile=: pkgtokend starts" ctl account add alice
ok "  ... the password is not on its command line" eval "! tr '\\0' ' ' </proc/$DAEMON_PID/cmdline | grep -qF '$PASSWORD'"
stop_daemon
ok "  ... nor in its log" eval "! grep -qF '$PASSWORD' '$DAEMON_LOG'"

cp "$TMP/db-password" "$TMP/db-password-0644" && chmod 0644 "$TMP/db-password-0644"
printf '[Store]\nPasswordFile=%s\n' "$TMP/db-password-0644" >"$TMP/open.conf"
run_daemon_to_exit --config="$TMP/open.conf"
expect_refused_start "a PasswordFile= others may read"
like "$RUN_ERR" "only its owner may read.*chmod 0600" "  ... saying what to do"

printf '[Store]\nConnectTimeoutSec=2\n' >"$CONFIG"
mkdir -p "$TMP/creds" && cp "$TMP/db-password" "$TMP/creds/pkgtoken-db-password"
CREDENTIALS_DIRECTORY=$TMP/creds start_daemon --config="$CONFIG" || fail "the credential: pkgtokend starts"
ok "the credential pkgtoken-db-password: pkgtokend starts and answers" ctl account show alice
stop_daemon

printf '[Store]\nConnection=host=%s dbname=x password=%s\n' "$PG_DIR" "$PASSWORD" >"$TMP/inline.conf"
run_daemon_to_exit --config="$TMP/inline.conf"
expect_refused_start "a password in Connection="
like "$RUN_ERR" "inline.conf:2: invalid value" "  ... the line is named"

done_testing
