#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A PostgreSQL that does not answer.  [Store] Connection= lists two hosts, as a failover list
# does: the test's server, and an address where a socket listens and never accepts, so that
# the kernel completes each TCP handshake and then nothing comes, as from a host whose packets
# vanish.  With the server stopped, every attempt to connect waits out connect_timeout (2 s) on
# the silent address.  pkgtokend makes those attempts on a thread of its own: meanwhile it
# answers every call at once (refusing what needs the store: fail closed), and it is back by
# itself when the server is, and stops when told to, even in the middle of an attempt.

. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
need_binaries
need psql python3
PKGTOKEN_TEST_BACKEND=postgresql
start_postgresql
start_bus || bail_out "the private dbus-daemon did not start"

# The silent address: listens (a long backlog), never accepts.
start_fixture silent "$TMP/silent.port" python3 -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1024)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(3600)
' "$TMP/silent.port"

pg_database_for "$STATE_DIR"
CONFIG=$TMP/unreachable.conf
write_config "$CONFIG" PasswordCost=1
# The socket directory's server is the one on port 5432 there (start_postgresql's default).
printf '[Store]\nBackend=postgresql\nConnection=host=%s,127.0.0.1 port=5432,%s user=pkgtoken dbname=%s\n' \
        "$PG_DIR" "$FIXTURE_PORT" "$PG_DATABASE" >>"$CONFIG"

# start_own_daemon: pkgtokend with exactly this configuration (start_daemon would give it the
# test's usual [Store] section).
start_own_daemon() {
        DAEMON_LOG=$TMP/pkgtokend.log
        mkdir -p "$STATE_DIR" && chmod 0700 "$STATE_DIR"
        "$PKGTOKEND" --state-dir="$STATE_DIR" --bus-address="$PKGTOKEN_BUS_ADDRESS" --config="$CONFIG" \
                </dev/null >>"$DAEMON_LOG" 2>&1 &
        DAEMON_PID=$!
        _pids+=("$DAEMON_PID")
        wait_for "$PKGTOKEN_TEST_TIMEOUT" ping_daemon || { diag_file "pkgtokend output" "$DAEMON_LOG"; bail_out "pkgtokend did not start"; }
}
start_own_daemon
pass "pkgtokend on a failover list: the server, then a silent address"

add_alice_bob_pkg
must_create_token T1 alice --type=automation
# authorize_within SECONDS: Authorize T1's publish of pkg, the client waiting at most SECONDS;
# prints the result, or the D-Bus error's name, or "no answer".
authorize_within() {
        local out
        out=$("$BUSCTL" --address="$PKGTOKEN_BUS_ADDRESS" --timeout="$1" call org.pkgtoken1 /org/pkgtoken1 \
                org.pkgtoken1.Manager Authorize 'sssa{sv}' "$T1_SECRET" pkg publish 0 2>&1)
        case $out in
        'ssss "'*) out=${out#ssss \"}; echo "${out%%\"*}" ;;
        *'timed out'*) echo "no answer" ;;
        *) echo "$out" | head -n 1 ;;
        esac
}
is "$(authorize_within 5)" allowed "the token works"

stop_postgresql
# The first call finds the connection broken and tries once more on the daemon's thread (a
# restarted server would be back at once): that attempt waits out the silent address.
r=$(authorize_within 10)
isnt "$r" allowed "the server stopped: the first check is refused ($r)"
wait_for 10 grep -q 'cannot be reached' "$DAEMON_LOG"
ok "  ... and the log says the database cannot be reached" grep -q 'cannot be reached' "$DAEMON_LOG"

# From now on each attempt holds its thread for 2 s; the calls must not wait for them.  Calls
# for 5 s (attempts and pauses), each with a client that waits 1.5 s at most (less than an
# attempt, far more than an answer takes even under ASan): all answered, none allowed.
answers=$TMP/answers
: >"$answers"
end=$((SECONDS + 5))
while [ "$SECONDS" -lt "$end" ]; do
        authorize_within 1.5 >>"$answers"
        if "$BUSCTL" --address="$PKGTOKEN_BUS_ADDRESS" --timeout=1.5 call org.pkgtoken1 /org/pkgtoken1 \
                org.freedesktop.DBus.Peer Ping >/dev/null 2>&1; then
                echo ping-answered >>"$answers"
        else
                echo ping-unanswered >>"$answers"
        fi
done
is "$(grep -c 'no answer' "$answers")" 0 "server down, silent address: every Authorize answered within 1.5 s"
is "$(grep -c ping-unanswered "$answers")" 0 "  ... and every Ping, within 1.5 s too"
is "$(grep -c '^allowed' "$answers")" 0 "  ... none allowed"
diag "answers while down: $(sort "$answers" | uniq -c | tr -s ' \n' ' ')"

restart_postgresql
back() { [ "$(authorize_within 2)" = allowed ]; }
ok "the server back: pkgtokend reconnects by itself" wait_for 15 back
ok "  ... and says so" grep -q 'reachable again' "$DAEMON_LOG"
ok "  ... writes work again" ctl account add carol

# Told to stop while an attempt waits on the silent address: it stops, and cleanly.
stop_postgresql
authorize_within 10 >/dev/null
# The second "cannot be reached": the reconnecting thread has just begun its first attempt.
wait_for 10 eval '[ "$(grep -c "cannot be reached" "$DAEMON_LOG")" -ge 2 ]'
kill -TERM "$DAEMON_PID"
rc=0
wait "$DAEMON_PID" || rc=$?
_forget_pid "$DAEMON_PID"
DAEMON_PID=
is "$rc" 0 "SIGTERM while reconnecting: pkgtokend exits 0"

restart_postgresql
start_own_daemon
ok "started again: everything is there" ctl account show carol
is "$(authorize_within 5)" allowed "  ... and the token works"

done_testing
