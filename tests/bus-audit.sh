#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The audit table cannot fill the disk: refusals that name no token (unknown tokens,
# rate-limited addresses) from one address are one record with a count per minute, while
# every allowed publish and every refusal of a known token keep a record of their own;
# records older than AuditRetentionSec= are pruned in the background; and below
# MinFreeSpaceMiB= of free space changes are refused (a publish fails closed) while reads keep
# working.

. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
need sqlite3
start_store

add_alice_bob_pkg
ok "package add bobs" ctl package add bobs --policy=none --maintainer=bob
must_create_token A alice --type=automation

audit_json() {
        mgr_json ListAuditEvents stu '' 0 0 | jq "$JQ_AASV"
}

# --- 150 refused publishes from one address ---------------------------------------------------------------
N=150
for i in $(seq "$N"); do
        mgr_authorize_with "pkgt_unknown$i" pkg publish remote 192.0.2.50
        [ "$MGR_RESULT" = invalid ] || [ "$MGR_RESULT" = rate-limited ] || break
done
is "$i/$MGR_RESULT" "$N/rate-limited" "$N publishes with unknown tokens from 192.0.2.50 are refused (the last rate-limited)"
audit_json >"$TMP/audit.json"
rows=$(jq '[.[] | select(.remote == "192.0.2.50")] | length' "$TMP/audit.json")
if [ "$rows" -ge 2 ] && [ "$rows" -le 4 ]; then
        pass "  ... recorded in $rows audit records (one per result and minute), not $N"
else
        fail "  ... recorded in 2 to 4 audit records (one per result and minute), not $N" "$rows records"
        diag_file audit "$TMP/audit.json"
fi
is "$(jq '[.[] | select(.remote == "192.0.2.50") | .count] | add' "$TMP/audit.json")" "$N" "  ... whose counts add up to $N"
is "$(jq -r '[.[] | select(.remote == "192.0.2.50") | .result] | unique | join(" ")' "$TMP/audit.json")" \
        "invalid rate-limited" "  ... by result: invalid, rate-limited"

# --- decisions about known tokens: a record each -----------------------------------------------------------
for i in 1 2 3; do
        expect_authz_bus allowed "publish $i of pkg with alice's token" "$A_SECRET" pkg publish remote 192.0.2.51
        mgr_authorize_with "$A_SECRET" bobs publish remote 192.0.2.51
        isnt "$MGR_RESULT" allowed "  ... and of bobs, which alice does not maintain: refused ($MGR_RESULT)"
done
audit_json >"$TMP/audit.json"
is "$(jq '[.[] | select(.remote == "192.0.2.51" and .result == "allowed" and .count == 1)] | length' "$TMP/audit.json")" 3 \
        "three allowed publishes: three records"
is "$(jq '[.[] | select(.remote == "192.0.2.51" and .result != "allowed" and .token_id != "" and .count == 1)] | length' "$TMP/audit.json")" 3 \
        "three refusals of a known token: three records, naming the token"

# --- retention ----------------------------------------------------------------------------------------------
stop_daemon
is "$STOP_RC" 0 "pkgtokend exits 0 on SIGTERM"
old=$(( ($(date +%s) - 500 * 86400) * 1000000 ))
recent=$(( ($(date +%s) - 300 * 86400) * 1000000 ))
store_sql "INSERT INTO audit (time, action, package, result, actor, reason) VALUES
        ($old, 'publish', 'pkg', 'allowed', 'old1', ''), ($old, 'publish', 'pkg', 'allowed', 'old2', ''),
        ($recent, 'publish', 'pkg', 'allowed', 'recent', '');" || bail_out "cannot add old audit records"
must_start_daemon
# shellcheck disable=SC2317 # called by wait_for
old_gone() {
        [ "$(audit_json | jq '[.[] | select(.actor == "old1" or .actor == "old2")] | length')" = 0 ]
}
if wait_for "$PKGTOKEN_TEST_TIMEOUT" old_gone; then
        pass "records older than AuditRetentionSec= (400 days) are pruned in the background"
else
        fail "records older than AuditRetentionSec= (400 days) are pruned in the background"
fi
is "$(audit_json | jq '[.[] | select(.actor == "recent")] | length')" 1 "  ... a 300-day-old record stays"
is "$(audit_json | jq '[.[] | select(.remote == "192.0.2.51")] | length')" 6 "  ... and so do today's"
stop_daemon

CONFIG=$TMP/short.conf
write_config "$CONFIG" AuditRetentionSec=1d
must_start_daemon --config="$CONFIG"
# shellcheck disable=SC2317 # called by wait_for
recent_gone() {
        [ "$(audit_json | jq '[.[] | select(.actor == "recent")] | length')" = 0 ]
}
if wait_for "$PKGTOKEN_TEST_TIMEOUT" recent_gone; then
        pass "AuditRetentionSec=1d prunes the 300-day-old record"
else
        fail "AuditRetentionSec=1d prunes the 300-day-old record"
fi
is "$(audit_json | jq '[.[] | select(.remote == "192.0.2.51")] | length')" 6 "  ... today's stay"
stop_daemon

# --- the free-space floor -----------------------------------------------------------------------------------
avail_mib=$(( $(stat -f -c '%a * %S' "$STATE_DIR") / 1048576 ))
if on_postgresql; then
        skip "the free-space floor guards the SQLite file (PostgreSQL's server watches its own disk)" 11
elif [ "$avail_mib" -ge 1048000 ]; then
        skip "more than 1 TiB free in $STATE_DIR: cannot set a floor above it" 11
else
        CONFIG=$TMP/floor.conf
        write_config "$CONFIG" MinFreeSpaceMiB=1048576
        must_start_daemon --config="$CONFIG"
        run ctl account add carol
        isnt "$RUN_RC" 0 "below MinFreeSpaceMiB=: account add fails"
        like "$RUN_ERR" 'out of disk space' "  ... saying the store is out of disk space"
        if grep -q 'below MinFreeSpaceMiB=1048576' "$DAEMON_LOG"; then
                pass "  ... and the log says why"
        else
                fail "  ... and the log says why"
                diag_file "pkgtokend output" "$DAEMON_LOG"
        fi
        ok "  ... account list works" ctl account list
        ok "  ... status works" ctl status
        ok "  ... audit works" ctl audit
        expect_authz_bus allowed "  ... a read check of alice's token works" "$A_SECRET" pkg read remote 192.0.2.52
        mgr_authorize_with "$A_SECRET" pkg publish remote 192.0.2.52
        if [ "$MGR_RC" -ne 0 ] && [ "$MGR_RESULT" != allowed ]; then
                pass "  ... a publish, which must be audited first, fails closed"
        else
                fail "  ... a publish, which must be audited first, fails closed" "got '$MGR_RESULT' (exit code $MGR_RC)"
        fi
        is "$(audit_json | jq '[.[] | select(.remote == "192.0.2.52")] | length')" 0 "  ... and wrote nothing"
        check_daemon_alive "  ... the daemon stays up"
        stop_daemon
        must_start_daemon
        ok "with the default floor: account add carol works again" ctl account add carol
        stop_daemon
fi

done_testing
