#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Three "hosts" on one PostgreSQL: three pkgtokend processes, each on a private bus of its
# own, all with [Store] Backend=postgresql on the same database (and the same seal key).
# What must hold across hosts is decided by the database:
#
#   * a token revoked on one host is refused on the others at once (within 1 s);
#   * one TOTP code, or one recovery code, sent to all three at the same moment is accepted
#     exactly once;
#   * a stage approved on three hosts at once is approved once;
#   * a lockout earned on one host holds on the others;
#   * PostgreSQL stopped and started again under load: refusals while it is down, never a
#     wrong allow, and every host answers again without a restart;
#   * a write waits at most lock_timeout for another session's transaction, and a host frozen
#     inside a transaction has its session ended by the server, so the others write again;
#   * kill -9 of a host right after an acknowledged change loses nothing;
#   * start-up waits ConnectTimeoutSec= for the server: it starts when the server comes in
#     time, and refuses to start (fails closed) when it does not.
#
# Runs whatever PKGTOKEN_TEST_BACKEND is: it is the PostgreSQL backend's own test.

. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
need_binaries
need oathtool psql
PKGTOKEN_TEST_BACKEND=postgresql
start_postgresql

HOSTS=(1 2 3)
PG_STORE_DIR=$TMP/shared-store
CONFIG=$TMP/hosts.conf
PW=correct-horse-battery
write_config "$CONFIG" PasswordCost=1 LockoutThreshold=3 LockoutAccountThreshold=3 LockoutSec=600 \
        SealKeyFile="$TMP/seal.key"
declare -A H_ADDR H_PID
# The hosts share the seal key as they share the database (docs/postgresql.md).
(umask 077 && head -c 32 /dev/urandom >"$TMP/seal.key") || bail_out "cannot write the seal key"

# use_host N: the drivers (ctl, mgr, authz, ...) talk to host N from now on.
use_host() {
        PKGTOKEN_BUS_ADDRESS=${H_ADDR[$1]}
        STATE_DIR=$TMP/state$1
        DAEMON_PID=${H_PID[$1]:-}
        export PKGTOKEN_BUS_ADDRESS
}

start_host() {
        use_host "$1"
        must_start_daemon --config="$CONFIG"
        H_PID[$1]=$DAEMON_PID
}

for h in "${HOSTS[@]}"; do
        TMP=$TMP/h$h start_bus || bail_out "the bus of host $h did not start"
        H_ADDR[$h]=$PKGTOKEN_BUS_ADDRESS
        start_host "$h"
done
pass "three pkgtokend on three buses, one database"

# authz_on N TOKEN: Authorize a publish of pkg on host N; prints the result word.
authz_on() {
        printf '%s\n' "$2" | "$PKGTOKENCTL" --bus-address="${H_ADDR[$1]}" authorize pkg publish 2>/dev/null | head -n 1
}

use_host 1
add_alice_bob_pkg
must_create_token T1 alice --type=automation
T1=$T1_SECRET
for h in "${HOSTS[@]}"; do
        is "$(authz_on "$h" "$T1")" allowed "a token created on host 1 works on host $h"
done

# --- revocation ---------------------------------------------------------------------------------
use_host 2
ok "token revoke on host 2" ctl token revoke "$T1_ID"
t0=$(date +%s%N)
r1=$(authz_on 1 "$T1") r3=$(authz_on 3 "$T1")
ms=$((($(date +%s%N) - t0) / 1000000))
is "$r1 $r3" "invalid invalid" "  ... refused on hosts 1 and 3 from the next request"
ok "  ... within 1 s (${ms} ms)" test "$ms" -lt 1000

# --- one TOTP code, three hosts, accepted once --------------------------------------------------
use_host 1
new_account carol "$PW" || bail_out "cannot create carol"
enroll_2fa carol || bail_out "cannot enrol carol"
# at_once_on_all ACCOUNT CODE: Authenticate with the password and CODE on the three hosts at
# the same moment; prints how many accepted it.
at_once_on_all() {
        local h
        for h in "${HOSTS[@]}"; do
                "$BUSCTL" --address="${H_ADDR[$h]}" call org.pkgtoken1 /org/pkgtoken1 org.pkgtoken1.Manager \
                        Authenticate 'sssa{sv}' "$1" "$PW" "$2" 0 >"$TMP/at-once.$h" 2>&1 &
        done
        wait_for "$PKGTOKEN_TEST_TIMEOUT" eval '[ "$(cat "$TMP"/at-once.[123] | grep -c .)" -ge 3 ]'
        sleep 0.2
        cat "$TMP"/at-once.[123] | grep -c '^ssa{sv} "ok"'
}

next_otp carol || bail_out "no code"
accepted=$(at_once_on_all carol "$OTP")
is "$accepted" 1 "one TOTP code sent to three hosts at once: accepted exactly once"
[ "$accepted" = 1 ] || diag "$(head -n 3 "$TMP"/at-once.[123])"
accepted=$(at_once_on_all carol "${RECOVERY_CODES[0]}")
is "$accepted" 1 "one recovery code sent to three hosts at once: accepted exactly once"

# --- a stage approved once ----------------------------------------------------------------------
# The stage is written straight into the database (staging itself is bus-stages.sh's); three
# admins approve it on three hosts at the same moment.
STAGE=0b7f5a2e-4c1d-4e8a-9f3b-2d6c8e1a7b90
now=$(now_usec)
store_sql "INSERT INTO stages (public_id, package, version, integrity, staged_by, staged_at, expires_at, state)
           VALUES ('$STAGE', 'pkg', '9.9.9', 'sha512-$(head -c 64 /dev/zero | base64 -w0)', 'alice', $now,
                   $((now + 3600000000)), 'staged')" || bail_out "cannot add a stage"
for h in "${HOSTS[@]}"; do
        "$BUSCTL" --address="${H_ADDR[$h]}" call org.pkgtoken1 /org/pkgtoken1 org.pkgtoken1.Manager \
                ApproveStage 'sa{sv}' "$STAGE" 0 >"$TMP/approve.$h" 2>&1 &
done
wait_for "$PKGTOKEN_TEST_TIMEOUT" eval '[ "$(cat "$TMP"/approve.[123] | grep -c .)" -ge 3 ]'
sleep 0.2
approved=$(cat "$TMP"/approve.[123] | grep -vc 'Call failed')
is "$approved" 1 "one stage approved on three hosts at once: exactly one approval"
is "$(cat "$TMP"/approve.[123] | grep -c 'Call failed')" 2 "  ... the other two refused"
is "$(store_sql "SELECT state FROM stages WHERE public_id = '$STAGE'")" approved "  ... and it is approved"

# --- lockout ------------------------------------------------------------------------------------
use_host 1
new_account dave "$PW" || bail_out "cannot create dave"
for i in 1 2 3; do
        mgr_authenticate dave wrong-password "" remote s 192.0.2.9
done
is "$AUTHN_RESULT" bad-credentials "three wrong passwords for dave on host 1"
for h in 2 3; do
        use_host "$h"
        expect_authn locked "  ... dave, right password, on host $h: locked" dave "$PW" "" remote s 192.0.2.9
done

# --- PostgreSQL stopped and started under load --------------------------------------------------
use_host 1
must_create_token T2 alice --type=automation
T2=$T2_SECRET
PHASE=$TMP/phase LOAD=$TMP/load
echo up >"$PHASE"
: >"$LOAD"
load() {
        local h=$1 tok which
        while [ -e "$PHASE" ]; do
                for which in valid revoked; do
                        [ "$which" = valid ] && tok=$T2 || tok=$T1
                        echo "$(cat "$PHASE" 2>/dev/null) $h $which $(authz_on "$h" "$tok" || true)" >>"$LOAD"
                done
        done
}
LOAD_PIDS=()
for h in "${HOSTS[@]}"; do
        load "$h" &
        LOAD_PIDS+=($!)
        _pids+=($!)
done
sleep 1
stop_postgresql
echo down >"$PHASE"
sleep 2.5
echo restarting >"$PHASE"
restart_postgresql
echo back >"$PHASE"
back_on_all() {
        [ "$(grep -c '^back [123] valid allowed' "$LOAD")" -ge 1 ] &&
                for h in "${HOSTS[@]}"; do grep -q "^back $h valid allowed" "$LOAD" || return 1; done
}
wait_for 20 back_on_all
rm -f "$PHASE"
for p in "${LOAD_PIDS[@]}"; do
        wait "$p" 2>/dev/null
        _forget_pid "$p"
done
ok "under load before the stop: allowed" grep -q '^up [123] valid allowed' "$LOAD"
is "$(grep -c '^down [123] valid allowed' "$LOAD")" 0 "while PostgreSQL is down: no allow"
ok "  ... but refusals" grep -q '^down [123] valid' "$LOAD"
is "$(grep -c ' revoked allowed' "$LOAD")" 0 "the revoked token is never allowed, before, during or after"
for h in "${HOSTS[@]}"; do
        ok "host $h answers again after the restart, without one" grep -q "^back $h valid allowed" "$LOAD"
        ok "  ... and said in its log that the database could not be reached" \
                grep -q 'cannot be reached' "$TMP/pkgtokend.$h.log"
done
diag "load: $(wc -l <"$LOAD") checks, $(grep -c '^down' "$LOAD") while down"

# --- a transaction held elsewhere: bounded waits, and a frozen host frees the others ------------
# Each daemon answers every request on one thread: a write stuck behind another session's
# transaction would hold all of them.  The hosts' write lock (STMT_BEGIN's advisory lock) held
# by another session: a write waits lock_timeout (5 s), then is refused.  A host frozen inside a
# transaction (SIGSTOP, as a paused VM or a host whose network went): the server ends its
# session after idle_in_transaction_session_timeout (10 s), and the other hosts write again.
pg_database_for "$PG_STORE_DIR"
WRITE_LOCK=7073696
lock_state() {
        store_sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = $WRITE_LOCK AND $1"
}
idle_in_transaction() {
        store_sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pkgtokend'
                  AND state = 'idle in transaction'"
}
mkfifo "$TMP/holder.in" || bail_out "cannot make a fifo"
psql -X -q -A -t -h "$PG_DIR" -U pkgtoken -d "$PG_DATABASE" <"$TMP/holder.in" >"$TMP/holder.out" 2>&1 &
HOLDER_PID=$!
_pids+=("$HOLDER_PID")
exec 7>"$TMP/holder.in"
echo "SELECT pg_advisory_lock($WRITE_LOCK);" >&7
wait_for 10 eval '[ "$(lock_state granted)" = 1 ]' || bail_out "the holder did not take the lock: $(cat "$TMP/holder.out")"

use_host 1
t0=$(date +%s%N)
run ctl account add frank
ms=$((($(date +%s%N) - t0) / 1000000))
ok "a write on host 1 while another session holds the hosts' write lock: refused" test "$RUN_RC" -ne 0
ok "  ... after lock_timeout, not when the other lets go (${ms} ms)" test "$ms" -ge 4500 -a "$ms" -lt 15000
ok "  ... and its log says what it waited for" grep -q 'waited too long (lock_timeout)' "$TMP/pkgtokend.1.log"
is "$(store_sql "SELECT count(*) FROM accounts WHERE name = 'frank'")" 0 "  ... nothing written"

# Host 1 starts a write that waits for the lock, and is frozen; the holder lets go, so host 1's
# session gets the lock and then sits in its transaction.
# (Without the holder's fifo: psql ends when the last writer closes it.)
ctl account add frank >"$TMP/frozen.out" 2>&1 7>&- &
FROZEN_CTL=$!
_pids+=("$FROZEN_CTL")
wait_for 4 eval '[ "$(lock_state "NOT granted")" = 1 ]' || bail_out "host 1's write does not wait for the lock"
kill -STOP "${H_PID[1]}"
echo "SELECT pg_advisory_unlock($WRITE_LOCK);" >&7
exec 7>&-
wait "$HOLDER_PID"
_forget_pid "$HOLDER_PID"
if wait_for 10 eval '[ "$(idle_in_transaction)" = 1 ]'; then
        pass "host 1, frozen, holds the write lock in an idle transaction"
else
        fail "host 1, frozen, holds the write lock in an idle transaction"
fi
t0=$(date +%s)
idle_ended() { [ "$(idle_in_transaction)" = 0 ]; }
if wait_for 30 idle_ended; then
        pass "  ... the server ends that session by itself ($(($(date +%s) - t0)) s)"
else
        fail "  ... the server ends that session by itself"
fi
use_host 2
ok "  ... and host 2 writes again while host 1 is still frozen" ctl account add grace
kill -CONT "${H_PID[1]}"
wait "$FROZEN_CTL"
rc=$?
_forget_pid "$FROZEN_CTL"
ok "host 1, thawed: its interrupted write is refused, not acknowledged" test "$rc" -ne 0
is "$(store_sql "SELECT count(*) FROM accounts WHERE name = 'frank'")" 0 "  ... and not written"
use_host 1
ok "  ... and host 1 answers again, reconnected" wait_for 10 ctl account show grace

# --- kill -9 right after acknowledged changes ---------------------------------------------------
use_host 3
ok "account add erin on host 3" ctl account add erin
must_create_token T3 alice --type=automation
T3=$T3_SECRET
ok "token revoke on host 3" ctl token revoke "$T2_ID"
kill9_daemon
start_host 3
ok "after kill -9 of host 3: erin is there (asked on host 3)" ctl account show erin
is "$(authz_on 1 "$T3")" allowed "  ... the token it created works on host 1"
is "$(authz_on 2 "$T2")" invalid "  ... the token it revoked is refused on host 2"

# --- start-up waits a bounded time for the server ------------------------------------------------
stop_postgresql
use_host 3
stop_daemon
printf '[Store]\nConnectTimeoutSec=2\n' >"$TMP/short-wait.conf"
t0=$(date +%s)
run_daemon_to_exit --config="$TMP/short-wait.conf"
elapsed=$(($(date +%s) - t0))
expect_refused_start "PostgreSQL down for longer than ConnectTimeoutSec=2"
like "$RUN_ERR" "cannot connect to the database" "  ... saying so"
ok "  ... after waiting about 2 s (${elapsed} s)" test "$elapsed" -ge 2 -a "$elapsed" -le 8

cp "$CONFIG" "$TMP/long-wait.conf"
printf '[Store]\nConnectTimeoutSec=20\n' >>"$TMP/long-wait.conf"
_daemon_args_for_backend --config="$TMP/long-wait.conf"
"$PKGTOKEND" --state-dir="$STATE_DIR" --bus-address="$PKGTOKEN_BUS_ADDRESS" "${_BACKEND_ARGS[@]}" \
        </dev/null >"$TMP/late.log" 2>&1 &
DAEMON_PID=$!
_pids+=("$DAEMON_PID")
sleep 1.5
restart_postgresql
if wait_for 25 ping_daemon; then
        pass "PostgreSQL up 1.5 s after pkgtokend started (ConnectTimeoutSec=20): it starts"
else
        fail "PostgreSQL up 1.5 s after pkgtokend started (ConnectTimeoutSec=20): it starts"
        diag_file "pkgtokend output" "$TMP/late.log"
fi
ok "  ... having said that it waits" grep -q 'waiting for the database' "$TMP/late.log"
is "$(authz_on 3 "$T3")" allowed "  ... and answers"

done_testing
