#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Durability: state survives a clean restart and kill -9 right after an
# acknowledged change; a corrupt, foreign, too new or unreadable database stops the daemon
# with a clear message and is left exactly as it was, never recreated empty.

. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
sqlite_only "damages and inspects tokens.db (kill -9 on PostgreSQL: bus-durability.sh, bus-pg-hosts.sh)"
need_binaries
need cmp dd od timeout sqlite3
start_store

ok "account add alice" ctl account add alice
ok "package add pkg" ctl package add pkg --policy=none --maintainer=alice
must_create_token A alice --type=automation --description="before restart"
expect_authz allowed "token works" "$A_SECRET" pkg publish
if [ -f "$DB" ]; then pass "tokens.db created in the state dir"; else fail "tokens.db created in the state dir"; fi
perm=$(stat -c %a "$DB" 2>/dev/null)
like "$perm" '^[0-7]00$' "tokens.db is private to its owner (mode $perm)"

# --- clean restart ------------------------------------------------------------------------------------
stop_daemon
is "$STOP_RC" 0 "pkgtokend exits 0 on SIGTERM"
if [ -s "$DB-wal" ]; then
        diag "note: tokens.db-wal is left non-empty after a clean stop ($(stat -c %s "$DB-wal") bytes)"
fi
must_start_daemon
ok "account alice after a restart" ctl account show alice
is "$(ctl --json package show pkg | jq -r '.maintainers | join(" ")')" alice "package pkg after a restart"
is "$(ctl --json token show "$A_ID" | jq -r .description)" "before restart" "token after a restart"
expect_authz allowed "  ... still authorizes" "$A_SECRET" pkg publish

# --- kill -9 right after acknowledged changes -------------------------------------------------------------
must_create_token K alice --type=automation --description="right before kill -9"
kill9_daemon
must_start_daemon
expect_authz allowed "token created right before kill -9 authorizes after restart" "$K_SECRET" pkg publish

ok "account add bob" ctl account add bob
kill9_daemon
must_start_daemon
ok "account created right before kill -9 exists after restart" ctl account show bob

ok "token revoke" ctl token revoke "$K_ID"
kill9_daemon
must_start_daemon
expect_authz invalid "token revoked right before kill -9 stays revoked" "$K_SECRET" pkg publish

ok "package policy pkg 2fa-only" ctl package policy pkg 2fa-only
kill9_daemon
must_start_daemon
is "$(ctl --json package show pkg | jq -r .policy)" 2fa-only "policy changed right before kill -9 survives"

expect_authz allowed "a publish of a new package" "$A_SECRET" new-pkg publish
kill9_daemon
must_start_daemon
is "$(ctl --json package show new-pkg | jq -r '.maintainers | join(" ")')" alice \
        "a package created by a publish right before kill -9 survives"
run ctl --json audit --package=new-pkg
audit_has "  ... and so does its audit event" "$RUN_OUT_FILE" "$A_ID" allowed

stop_daemon
is "$STOP_RC" 0 "pkgtokend exits 0 on SIGTERM"

# --- bad databases ------------------------------------------------------------------------------------------
# Keep a good copy (with its WAL, should one be left) to restore between the cases.
GOOD=$TMP/good
mkdir -p "$GOOD"
cp -p "$STATE_DIR"/tokens.db* "$GOOD"/

restore_good() {
        rm -f "$STATE_DIR"/tokens.db*
        cp -p "$GOOD"/tokens.db* "$STATE_DIR"/
}

# Before overwriting pages of tokens.db, fold a WAL left behind into it, so that no newer
# copy of a page hides the garbage; then remove the WAL and its index.
fold_wal() {
        if [ -s "$DB-wal" ]; then
                sqlite3 "$DB" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null ||
                        diag "sqlite3 could not checkpoint the WAL"
        fi
        rm -f "$DB-wal" "$DB-shm"
}

# refuses_to_start CASE: the daemon must exit non-zero (not crash, not run on), saying what
# is wrong with the database.
refuses_to_start() {
        run_daemon_to_exit
        expect_refused_start "$1"
        if grep -qiE 'database|tokens\.db' "$RUN_ERR_FILE" "$RUN_OUT_FILE"; then
                pass "  ... with a message about the database"
        else
                fail "  ... with a message about the database"
                diag_run
        fi
}

# db_as_before: tokens.db is byte for byte the copy made before.
db_as_before() {
        if cmp -s "$DB" "$TMP/before.db"; then
                pass "  ... tokens.db left byte for byte as it was"
        else
                fail "  ... tokens.db left byte for byte as it was"
                diag "$(cmp "$DB" "$TMP/before.db" 2>&1)"
        fi
}

# refuses CASE: the daemon must exit non-zero, saying what is wrong with the database, and
# leave tokens.db byte for byte as it was.
refuses() {
        cp "$DB" "$TMP/before.db" || bail_out "cannot copy $DB"
        refuses_to_start "$1"
        db_as_before
        if ping_daemon; then
                fail "  ... and org.pkgtoken1 is not on the bus"
        else
                pass "  ... and org.pkgtoken1 is not on the bus"
        fi
}

# Garbage over a page in the middle of the file (pages hold tables and indexes; the header
# and the schema on page 1 stay intact, so only a real check finds it).
restore_good
fold_wal
page_size=$(od -An -tu1 -j16 -N2 "$DB" | awk '{ n = $1 * 256 + $2; print (n == 1 ? 65536 : n) }')
pages=$(( $(stat -c %s "$DB") / page_size ))
diag "tokens.db: $pages pages of $page_size bytes"
if [ "$pages" -ge 3 ]; then
        victim=$(( pages / 2 ))
        [ "$victim" -lt 1 ] && victim=1
        yes 'garbage!' | head -c "$page_size" |
                dd of="$DB" bs="$page_size" seek="$victim" count=1 conv=notrunc status=none
        refuses "garbage over page $((victim + 1)) of $pages"
else
        skip "tokens.db has only $pages pages" 4
fi

# Garbage over the middle of the file, whole.
restore_good
fold_wal
size=$(stat -c %s "$DB")
yes 'CORRUPT' | head -c $(( size / 3 )) | dd of="$DB" bs=1 seek=$(( size / 3 )) conv=notrunc status=none
refuses "the middle third of tokens.db overwritten"

# Not an SQLite file at all.
rm -f "$STATE_DIR"/tokens.db*
printf 'this is not a database, it is a shopping list\n' >"$DB"
refuses "a text file as tokens.db"

# A database from a newer pkgtoken.
restore_good
if sqlite3 "$DB" 'PRAGMA user_version=999;'; then
        refuses "a database with schema version 999"
else
        fail "sqlite3 could not set user_version"
fi

# An unreadable database (root reads anything, so only as another user).
restore_good
if is_root; then
        skip "running as root: file permissions do not stop root" 4
else
        cp "$DB" "$TMP/before.db"
        chmod 000 "$DB"
        refuses_to_start "an unreadable tokens.db"
        is "$(stat -c %a "$DB")" 0 "  ... its mode left alone"
        chmod 600 "$DB"
        db_as_before
fi

# --- and the good database still works -------------------------------------------------------------------------
restore_good
must_start_daemon
expect_authz allowed "the good database, restored: the token authorizes" "$A_SECRET" new-pkg publish
ok "  ... alice is there" ctl account show alice
stop_daemon
is "$STOP_RC" 0 "pkgtokend exits 0 on SIGTERM"

done_testing
