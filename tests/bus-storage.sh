#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Storage faults: what pkgtokend does with a database file that is empty, truncated, has a
# damaged index, or that it may not read or write.  It must refuse to start with a message
# that says what is wrong (and, for access rights, what to run), leave the file exactly as it
# was, and never start afresh with an empty store.  A store too large for the full check
# before start-up is checked in the background; damage found there makes every request that
# needs the store fail, never answer wrongly.

. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
sqlite_only "damages tokens.db, its mode and its directory"
need_binaries
need cmp dd od grep timeout truncate sqlite3
start_store

add_alice_bob_pkg
must_create_token A alice --type=automation
stop_daemon
is "$STOP_RC" 0 "pkgtokend exits 0 on SIGTERM"
rm -f "$DB-wal" "$DB-shm"

GOOD=$TMP/good.db
cp -p "$DB" "$GOOD" || bail_out "cannot copy $DB"
restore_good() {
        rm -f "$STATE_DIR"/tokens.db*
        cp -p "$GOOD" "$DB"
        chmod 0700 "$STATE_DIR"
}

# refuses WHAT ERE [RUN-PREFIX...]: the daemon exits non-zero with a message matching ERE,
# does not take the bus name, and leaves tokens.db byte for byte as it was.
refuses() {
        local what=$1 ere=$2
        shift 2
        cp -p "$DB" "$TMP/before.db" || bail_out "cannot copy $DB"
        mkdir -p "$STATE_DIR"
        run timeout --kill-after=2 "$PKGTOKEN_TEST_TIMEOUT" "$@" \
                "$PKGTOKEND" --state-dir="$STATE_DIR" --bus-address="$PKGTOKEN_BUS_ADDRESS"
        expect_refused_start "$what"
        if grep -qE -- "$ere" "$RUN_ERR_FILE"; then
                pass "  ... saying what is wrong (/$ere/)"
        else
                fail "  ... saying what is wrong (/$ere/)"
                diag_run
        fi
        if cmp -s "$DB" "$TMP/before.db"; then
                pass "  ... tokens.db left byte for byte as it was"
        else
                fail "  ... tokens.db left byte for byte as it was" "size now $(stat -c %s "$DB")"
        fi
        if ping_daemon; then
                fail "  ... and org.pkgtoken1 is not on the bus"
        else
                pass "  ... and org.pkgtoken1 is not on the bus"
        fi
}

# --- 1: an existing empty or truncated file is never recreated --------------------------------------
restore_good
truncate -s 0 "$DB"
refuses "an empty tokens.db" 'tokens\.db.*empty \(0 bytes\).*never recreated'
is "$(stat -c %s "$DB")" 0 "  ... it is still 0 bytes"

restore_good
head -c 100 "$GOOD" >"$DB"
refuses "tokens.db cut to 100 bytes" 'tokens\.db.*truncated \(100 bytes\)'

restore_good
head -c 511 "$GOOD" >"$DB"
refuses "tokens.db cut to 511 bytes" 'truncated \(511 bytes\)'

# --- 2: one flipped byte in the accounts-by-name index --------------------------------------------------
# Changes "alice" to "alicf" in the index's page only: quick_check finds nothing wrong, only
# the full integrity check sees that the table's row is missing from the index.
flip_index_byte() {
        local page_size root page offset
        page_size=$(sqlite3 "$DB" 'PRAGMA page_size;')
        root=$(sqlite3 "$DB" "SELECT rootpage FROM sqlite_master WHERE type = 'index' AND tbl_name = 'accounts' AND sql IS NULL;")
        [ -n "$root" ] && [ -n "$page_size" ] || return 1
        page=$TMP/page
        dd if="$DB" of="$page" bs="$page_size" skip=$((root - 1)) count=1 status=none || return 1
        offset=$(grep -obUa alice "$page" | head -n 1 | cut -d: -f1)
        [ -n "$offset" ] || return 1
        printf 'f' | dd of="$DB" bs=1 seek=$(( (root - 1) * page_size + offset + 4 )) conv=notrunc status=none
}
restore_good
if flip_index_byte; then
        pass "flipped a byte in the accounts index"
else
        fail "flipped a byte in the accounts index"
fi
is "$(sqlite3 "$DB" 'PRAGMA quick_check;')" ok "  ... PRAGMA quick_check does not see it"
isnt "$(sqlite3 "$DB" 'PRAGMA integrity_check;' | head -n 1)" ok "  ... PRAGMA integrity_check does"
cp -p "$DB" "$TMP/flipped.db"
refuses "a flipped byte in an index" 'tokens\.db.*failed its integrity check'

# The same, checked in the background (as for a large store): the daemon starts, and once the
# check has found the damage every request that needs the store fails.
CONFIG=$TMP/background.conf
write_config "$CONFIG" "IntegrityCheckInBackgroundAboveMiB=0"
cp -p "$TMP/flipped.db" "$DB"
if start_daemon --config="$CONFIG"; then
        pass "background check: pkgtokend starts on the quick check"
        expect_daemon_log "  ... and logs that the database is corrupt" 'THE DATABASE IS CORRUPT'
        is "$(grep -c 'THE DATABASE IS CORRUPT' "$DAEMON_LOG")" 1 "  ... once"
        not_ok "  ... account show alice fails" ctl account show alice
        not_ok "  ... account show bob fails (no wrong answer from an undamaged row either)" ctl account show bob
        not_ok "  ... account add carol fails" ctl account add carol
        authz "$A_SECRET" pkg publish
        if [ "$AUTHZ_RC" -ne 0 ] && [ "$AUTHZ_RESULT" != allowed ]; then
                pass "  ... a token check fails closed (${AUTHZ_RESULT:-no result})"
        else
                fail "  ... a token check fails closed" "got '$AUTHZ_RESULT' (exit code $AUTHZ_RC)"
        fi
        run ctl account list
        isnt "$RUN_RC" 0 "  ... account list fails"
        check_daemon_alive "  ... the daemon itself stays up"
        stop_daemon
else
        fail "background check: pkgtokend starts on the quick check"
fi

# A good database with the background check: it passes, and the daemon works.
restore_good
if start_daemon --config="$CONFIG"; then
        pass "background check of a good database: pkgtokend starts"
        expect_daemon_log "  ... the check passes" 'integrity check passed'
        ok "  ... account add carol" ctl account add carol
        expect_authz allowed "  ... the token authorizes" "$A_SECRET" pkg publish
        stop_daemon
        is "$STOP_RC" 0 "  ... pkgtokend exits 0 on SIGTERM"
else
        fail "background check of a good database: pkgtokend starts"
fi

# A page damaged while the daemon runs: SQLite meets the damage while answering.  From then on
# every request that needs the store fails, those on undamaged tables too.
restore_good
page_size=$(sqlite3 "$DB" 'PRAGMA page_size;')
root=$(sqlite3 "$DB" "SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = 'accounts';")
if start_daemon; then
        ok "damage at run time: audit before" ctl audit
        yes 'garbage!' | head -c "$page_size" |
                dd of="$DB" bs="$page_size" seek=$((root - 1)) count=1 conv=notrunc status=none
        not_ok "  ... account show alice fails once the accounts table is damaged" ctl account show alice
        expect_daemon_log "  ... pkgtokend logs that the database is corrupt" 'THE DATABASE IS CORRUPT'
        not_ok "  ... the audit fails now (its table is intact)" ctl audit
        authz "$A_SECRET" pkg publish
        if [ "$AUTHZ_RC" -ne 0 ] && [ "$AUTHZ_RESULT" != allowed ]; then
                pass "  ... a token check fails closed (${AUTHZ_RESULT:-no result})"
        else
                fail "  ... a token check fails closed" "got '$AUTHZ_RESULT' (exit code $AUTHZ_RC)"
        fi
        not_ok "  ... account add carol fails" ctl account add carol
        is "$(grep -c 'THE DATABASE IS CORRUPT' "$DAEMON_LOG")" 1 "  ... said once"
        check_daemon_alive "  ... the daemon itself stays up"
        stop_daemon
else
        fail "damage at run time: pkgtokend starts"
fi

# --- 6: access rights are not corruption ----------------------------------------------------------------
# Root ignores file modes, so as root the daemon runs as nobody for these cases.
AS=()
if is_root; then
        if command -v setpriv >/dev/null 2>&1 && id nobody >/dev/null 2>&1; then
                AS=(setpriv --reuid=nobody --regid="$(id -gn nobody)" --clear-groups --)
                chmod 0711 "$TMP"
                AS_OWNER="nobody:$(id -gn nobody)"
        else
                AS=(none)
        fi
else
        AS_OWNER="$(id -un):$(id -gn)"
fi
if [ "${AS[0]:-}" = none ]; then
        skip "running as root without setpriv or a user nobody: modes do not stop root" 13
else
        restore_good
        [ "${#AS[@]}" -gt 0 ] && chown -R "$AS_OWNER" "$STATE_DIR"
        chmod 0400 "$DB"
        refuses "a 0400 tokens.db" 'tokens\.db: permission denied.*mode 0400.*chmod 0600' "${AS[@]}"
        unlike "$RUN_ERR" 'is corrupt|not a pkgtoken database' "  ... and does not call it corrupt"
        like "$RUN_ERR" "chown $AS_OWNER $DB" "  ... and says what to run"
        is "$(stat -c %a "$DB")" 400 "  ... its mode left alone"

        restore_good
        [ "${#AS[@]}" -gt 0 ] && chown -R "$AS_OWNER" "$STATE_DIR"
        chmod 0500 "$STATE_DIR"
        refuses "a read-only state directory" 'state directory.*permission denied|permission denied.*state directory' "${AS[@]}"
        unlike "$RUN_ERR" 'is corrupt|not a pkgtoken database' "  ... and does not call it corrupt"
        like "$RUN_ERR" "chmod 0700 $STATE_DIR" "  ... and says what to run"
        chmod 0700 "$STATE_DIR"
        [ "${#AS[@]}" -gt 0 ] && chown -R 0:0 "$STATE_DIR"
fi

# --- and the good database still works -------------------------------------------------------------------
restore_good
must_start_daemon
ok "the good database, restored: alice is there" ctl account show alice
expect_authz allowed "  ... the token authorizes" "$A_SECRET" pkg publish
stop_daemon
is "$STOP_RC" 0 "pkgtokend exits 0 on SIGTERM"

done_testing
