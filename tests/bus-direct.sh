#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The direct socket (pkgtokend/bus-direct.c): the same methods peer-to-peer, no dbus-daemon.
# Every verify method answers exactly as on the bus (one table of calls, both ways, as the
# same caller); the caller is the socket's peer, under the bus's rules (as root: a registry
# user in RegistryGroup= may verify but not administer, a user outside the socket's group
# cannot even connect); pam_pkgtoken's direct=auto|yes|no; a kept PAM connection survives a
# daemon restart; fail closed: no socket with direct=yes, or a daemon killed in the middle
# of a call, is PAM_AUTHINFO_UNAVAIL, never a success.  No test asserts how long anything took.

# shellcheck disable=SC2153 # the *_SECRET variables are set by must_create_token
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

need timeout mkfifo
: "${DIRECT_CALL:=$top_builddir/tests/direct-call}"
: "${PAM_DRIVER:=$top_builddir/tests/pam-driver}"
: "${PAM_MODULE:=$top_builddir/pam_pkgtoken/.libs/pam_pkgtoken.so}"
[ -x "$DIRECT_CALL" ] || bail_out "tests/direct-call not built: $DIRECT_CALL"
[ -x "$PAM_DRIVER" ] || bail_out "tests/pam-driver not built: $PAM_DRIVER"
[ -f "$PAM_MODULE" ] || bail_out "pam_pkgtoken.so not built: $PAM_MODULE"
PAM_MODULE=$(cd "$(dirname "$PAM_MODULE")" && pwd)/$(basename "$PAM_MODULE")

DIRECT=$TMP/direct.sock
CONFIG=$TMP/pkgtokend.conf
conf=(PasswordCost=1 LockoutThreshold=50 LockoutAccountThreshold=50 "DirectSocket=$DIRECT")
# As root the registry is nobody, a member of RegistryGroup= (so the socket is in its group);
# as anybody else it is the daemon's own uid, an admin.
if is_root; then
        need setpriv
        REG_GROUP=$(id -gn nobody)
        conf+=("RegistryGroup=$REG_GROUP")
        AS_REG=(setpriv --reuid="$(id -u nobody)" --regid="$REG_GROUP" --clear-groups --)
        # Neither in the group nor an admin: the socket's mode keeps it out.
        AS_OUTSIDER=(setpriv --reuid=40001 --regid=40001 --clear-groups --)
        chmod 0711 "$TMP"
else
        AS_REG=()
fi
write_config "$CONFIG" "${conf[@]}"
setup_bus_and_daemon --config="$CONFIG"
is_root && chmod a+x "$TMP/bus" && chmod a+rw "$BUS_SOCKET"

# --- the socket -------------------------------------------------------------------------------
if [ -S "$DIRECT" ]; then pass "DirectSocket=: the daemon listens on it"; else fail "DirectSocket=: the daemon listens on it"; fi
is "$(stat -c %a "$DIRECT")" 660 "  ... mode 0660"
if is_root; then
        is "$(stat -c %G "$DIRECT")" "$REG_GROUP" "  ... in the registry group"
else
        skip "the socket's group: needs root"
fi

# --- the cast ---------------------------------------------------------------------------------
ok "account alice" new_account alice "alice-password-1"
ok "package pkg" ctl package add pkg --policy=none --maintainer=alice
must_create_token RO alice --type=read-only
must_create_token PUB alice --type=automation --package=pkg
must_create_token GONE alice --type=read-only
ok "revoke one" ctl token revoke "$GONE_ID"

# on WAY METHOD SIGNATURE ARGS...: one call as the registry, on the bus or the direct socket;
# prints the reply or "error NAME: MESSAGE".
on() {
        local way=$1
        shift
        if [ "$way" = bus ]; then
                "${AS_REG[@]}" "$DIRECT_CALL" --bus "$PKGTOKEN_BUS_ADDRESS" "$@" 2>&1
        else
                "${AS_REG[@]}" "$DIRECT_CALL" --direct "$DIRECT" "$@" 2>&1
        fi
}

# --- every verify method: the same answer both ways ---------------------------------------------
# Each row: what the bus must answer (an ERE), then the call.  The answers hold nothing that
# changes from one call to the next (no session tokens, no pending ids).
# An admin method from a registry user: refused both ways with the same error; the bus's
# message names the polkit action (polkit is asked for callers on the bus only), so for this
# row (NAME) only the error names are compared.
if is_root; then ADMIN_ONLY='NAME error org\.pkgtoken1\.Error\.AccessDenied'; else ADMIN_ONLY='STRING "alice"'; fi
calls=(
        'STRING "allowed"'              "Authorize sssa{sv} $RO_SECRET pkg read 1 remote s 192.0.2.1"
        'STRING "forbidden"'            "Authorize sssa{sv} $RO_SECRET pkg publish 0"
        'STRING "allowed"'              "Authorize sssa{sv} $PUB_SECRET pkg publish 1 account s alice"
        'token revoked'                 "Authorize sssa{sv} $GONE_SECRET pkg read 0"
        'STRING "invalid"'              "Authorize sssa{sv} pkgt_nonsense pkg read 1 remote s 192.0.2.2"
        'InvalidArgument'               "Authorize sssa{sv} $RO_SECRET pkg write 0"
        'error '                        "Authorize sssa{sv} $RO_SECRET pkg read 1 frobnicate s x"
        'STRING "allowed"'              "Verify sssa{sv} $RO_SECRET pkg read 0"
        'STRING "alice"'                "Verify sssa{sv} $RO_SECRET '' identity 0"
        'STRING "(success|ok)"'         "Authenticate sssa{sv} alice alice-password-1 '' 1 remote s 192.0.2.3"
        'bad-credentials'               "Authenticate sssa{sv} alice wrong-password '' 1 remote s 192.0.2.3"
        'bad-credentials'               "Authenticate sssa{sv} ghost wrong-password '' 1 remote s 192.0.2.3"
        'STRING "ok"'                   "CheckAccount sa{sv} alice 0"
        'STRING'                        "CheckAccount sa{sv} ghost 0"
        'STRING "alice"'                "WhoAmI a{sv} 1 token s $RO_SECRET"
        'MESSAGE ""'                    "ReportRefusal ssssa{sv} $RO_SECRET pkg publish wrong-package 0"
        "$ADMIN_ONLY"                   "GetAccount s alice"
)
for ((i = 0; i < ${#calls[@]}; i += 2)); do
        want=${calls[i]}
        eval "call=(${calls[i + 1]})"
        what=${calls[i + 1]}
        what=${what//$RO_SECRET/RO}
        what=${what//$PUB_SECRET/PUB}
        what=${what//$GONE_SECRET/GONE}
        via_bus=$(on bus "${call[@]}")
        via_direct=$(on direct "${call[@]}")
        if [[ $want == "NAME "* ]]; then
                want=${want#NAME }
                via_bus=${via_bus%%:*}
                via_direct=${via_direct%%:*}
        fi
        like "$via_bus" "$want" "$what: the bus answers as expected"
        is "$via_direct" "$via_bus" "  ... the direct socket answers the same"
done

# --- signals stay on the bus ------------------------------------------------------------------------
if have_gdbus; then
        gdbus monitor --address "$PKGTOKEN_BUS_ADDRESS" --dest org.pkgtoken1 >"$TMP/signals" 2>&1 &
        monitor=$!
        _pids+=("$monitor")
        wait_for 10 grep -q . "$TMP/signals"   # "Monitoring signals from ..." once subscribed
        on direct Authorize 'sssa{sv}' "$PUB_SECRET" pkg publish 1 account s alice >/dev/null
        if wait_for 10 grep -q "PackagePublished ('pkg'" "$TMP/signals"; then
                pass "a publish allowed over the direct socket is announced on the bus"
        else
                fail "a publish allowed over the direct socket is announced on the bus"
                diag_file "gdbus monitor" "$TMP/signals"
        fi
        _stop_pid "$monitor"
else
        skip "gdbus not found: signals"
fi

# --- who may connect, who may call ----------------------------------------------------------------
if is_root; then
        run "${AS_OUTSIDER[@]}" "$DIRECT_CALL" --direct "$DIRECT" CheckAccount 'sa{sv}' alice 0
        is "$RUN_RC" 3 "a user outside the socket's group cannot connect"
        like "$RUN_ERR" "Permission denied" "  ... the socket's mode says no"
        like "$(on direct CreateAccount 'sssa{sv}' mallory '' human 0)" 'AccessDenied' \
                "a registry user may not administer over the direct socket either"
        like "$(on direct SetPackagePolicy ss pkg none)" 'AccessDenied' "  ... nor change a package"
        # A peer may write any sender into its messages, such as the unique name of a root
        # client the daemon has seen on the bus: it counts for nothing, the socket's peer does.
        claimed=
        for n in 0 1 2 3 4 5 6 7 8 9; do
                claimed+=$(DIRECT_CALL_SENDER=":1.$n" on direct GetAccount s alice | grep -c AccessDenied)
        done
        is "$claimed" 1111111111 "  ... whatever sender its messages claim"
else
        skip "callers outside the group, non-admin callers: need root" 5
fi

# --- a bounded number of connections, each forgotten when it goes -----------------------------------
# held N: N idle connections to the socket, held until $TMP/release exists.
held() {
        python3 -c '
import os, socket, sys, time
path, n, ready, release = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
held = []
for _ in range(n):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    held.append(s)
open(ready, "w").close()
for _ in range(1200):
    if os.path.exists(release):
        break
    time.sleep(0.05)
' "$DIRECT" "$1" "$TMP/held" "$TMP/release" &
        HELD_PID=$!
        _pids+=("$HELD_PID")
}
direct_answers() {
        "$DIRECT_CALL" --direct "$DIRECT" CheckAccount 'sa{sv}' alice 0 >/dev/null 2>&1
}
direct_refuses() {
        ! direct_answers
}
if command -v python3 >/dev/null 2>&1; then
        held 256
        wait_for 20 test -e "$TMP/held" || diag "the held connections did not connect"
        if wait_for 20 direct_refuses; then
                pass "past 256 connections, one more is refused at once"
        else
                fail "past 256 connections, one more is refused at once"
        fi
        touch "$TMP/release"
        wait "$HELD_PID" 2>/dev/null
        _forget_pid "$HELD_PID"
        if wait_for 20 direct_answers; then
                pass "  ... and once they are gone, their places are free again"
        else
                fail "  ... and once they are gone, their places are free again"
        fi
        check_daemon_alive
        # sd-bus would keep such a call in its buffer until more input came (bus-direct.c).
        is "$(python3 "$top_srcdir/tests/direct-begin-with-call.py" "$DIRECT" 10)" reply \
                "a call sent in one write with BEGIN is answered"
else
        skip "python3 not found: the connection limit, BEGIN with a call" 4
fi

# --- the PAM module: direct=auto|yes|no -----------------------------------------------------------
PAM_DIR=$TMP/pam.d
mkdir -p "$PAM_DIR"
NOWHERE=unix:path=$TMP/no-bus-here
# service NAME BUS [ARGS...]: pam_pkgtoken alone, on bus BUS.
service() {
        local name=$1 bus=$2 type
        shift 2
        for type in auth account; do
                printf '%-8s required %s bus=%s timeout=20 %s\n' "$type" "$PAM_MODULE" "$bus" "$*"
        done >"$PAM_DIR/$name"
}
service direct-yes "$NOWHERE" direct=yes "direct_socket=$DIRECT"
service direct-auto "$NOWHERE" "direct_socket=$DIRECT"
service auto-missing "$PKGTOKEN_BUS_ADDRESS" "direct_socket=$TMP/missing.sock"
service yes-missing "$PKGTOKEN_BUS_ADDRESS" direct=yes "direct_socket=$TMP/missing.sock"
service direct-no "$PKGTOKEN_BUS_ADDRESS" direct=no "direct_socket=$DIRECT"
service direct-no-nobus "$NOWHERE" direct=no "direct_socket=$DIRECT"
service short "$NOWHERE" direct=yes "direct_socket=$DIRECT" timeout=2

# pam SERVICE TOKEN [OPERATIONS...]: a read of pkg with TOKEN as the password; PAM_RESULT.
pam() {
        local name=$1 token=$2
        shift 2
        run timeout --kill-after=5 30 "$PAM_DRIVER" --answer "$token" --env PKGTOKEN_PACKAGE=pkg \
                --env PKGTOKEN_ACTION=read "$PAM_DIR" "$name" alice "${@:-authenticate}"
        PAM_RESULT=$(sed -n 's/^result: //p' "$RUN_OUT_FILE")
}
expect_pam() {
        pam "$3" "$4"
        expect_answer "$1" "$2" "$RUN_RC" "$PAM_RESULT" "pam-driver exit code $RUN_RC"
}
expect_pam PAM_SUCCESS "direct=yes: a token over the direct socket (no bus at all)" direct-yes "$RO_SECRET"
expect_pam PAM_AUTH_ERR "  ... a revoked token is refused there too" direct-yes "$GONE_SECRET"
expect_pam PAM_SUCCESS "direct=auto: uses the socket when it is there (no bus at all)" direct-auto "$RO_SECRET"
expect_pam PAM_SUCCESS "direct=auto: falls back to the bus without a socket" auto-missing "$RO_SECRET"
expect_pam PAM_AUTHINFO_UNAVAIL "direct=yes without a socket: fail closed" yes-missing "$RO_SECRET"
expect_pam PAM_SUCCESS "direct=no: the bus" direct-no "$RO_SECRET"
expect_pam PAM_AUTHINFO_UNAVAIL "direct=no never uses the socket" direct-no-nobus "$RO_SECRET"
for bad in direct=maybe direct= direct_socket=relative direct_socket=; do
        service bad "$PKGTOKEN_BUS_ADDRESS" "$bad"
        expect_pam PAM_SERVICE_ERR "bad option $bad: a configuration error" bad "$RO_SECRET"
done

# --- the daemon restarted under a kept connection ---------------------------------------------------
FIFO=$TMP/pause.fifo
mkfifo "$FIFO"
out=$TMP/restart.out
timeout --kill-after=5 60 "$PAM_DRIVER" --answer "$RO_SECRET" --answer "$RO_SECRET" --env PKGTOKEN_PACKAGE=pkg \
        --env PKGTOKEN_ACTION=read "$PAM_DIR" direct-yes alice authenticate pause authenticate <"$FIFO" >"$out" 2>&1 &
driver=$!
_pids+=("$driver")
exec 7>"$FIFO"
wait_for 20 grep -q '^paused' "$out" || diag_file "pam-driver" "$out"
stop_daemon
must_start_daemon --config="$CONFIG"
echo go >&7
exec 7>&-
wait "$driver" 2>/dev/null
_forget_pid "$driver"
is "$(grep -c '^pam_authenticate: PAM_SUCCESS' "$out")" 2 "a PAM process reconnects after the daemon restarted under it"
[ "$(grep -c '^pam_authenticate: PAM_SUCCESS' "$out")" = 2 ] || diag_file "pam-driver" "$out"

# --- the Verdaccio plugin's transports (lib/daemon.js), as the registry ------------------------------
PLUGIN=$top_srcdir/contrib/verdaccio
if command -v node >/dev/null 2>&1 && [ -d "$PLUGIN/node_modules/@homebridge/dbus-native" ]; then
        # plugin TRANSPORT SOCKET BUS: a kept Daemon asking Verify for each line sent to it.
        plugin() {
                coproc PLUGIN_CHECK { "${AS_REG[@]}" node "$PLUGIN/test-support/direct-check.js" "$@" "$RO_SECRET" 2>>"$TMP/direct-check.err"; }
                _pids+=("$PLUGIN_CHECK_PID")
        }
        # ask LINE: the plugin's answer to one more Verify.
        ask() {
                local answer=
                echo "$1" >&"${PLUGIN_CHECK[1]}"
                read -r -t 20 answer <&"${PLUGIN_CHECK[0]}" || answer="(no answer)"
                echo "$answer"
        }
        # ask_is N EXPECTED NAME: the answer to ask N is EXPECTED; when not, the plugin's reasons.
        ask_is() {
                local answer
                answer=$(ask "$1")
                is "$answer" "$2" "$3"
                [ "$answer" = "$2" ] || diag_file "direct-check.js stderr" "$TMP/direct-check.err"
        }
        plugin_done() {
                local pid=$PLUGIN_CHECK_PID
                exec {PLUGIN_CHECK[1]}>&-
                wait "$pid" 2>/dev/null
                _forget_pid "$pid"
        }
        plugin direct "$DIRECT" "$NOWHERE"
        ask_is 1 "1: allowed via direct" "plugin, transport direct: Verify over the direct socket (no bus at all)"
        stop_daemon
        must_start_daemon --config="$CONFIG"
        ask_is 2 "2: allowed via direct" "  ... reconnects after the daemon restarted under it"
        plugin_done
        plugin auto "$TMP/missing.sock" "$PKGTOKEN_BUS_ADDRESS"
        ask_is 3 "3: allowed via bus" "plugin, transport auto: the bus when the socket is not there"
        plugin_done
        plugin auto "$DIRECT" "$PKGTOKEN_BUS_ADDRESS"
        ask_is 4 "4: allowed via direct" "plugin, transport auto: the socket when it is there"
        plugin_done
        plugin direct "$TMP/missing.sock" "$PKGTOKEN_BUS_ADDRESS"
        ask_is 5 "5: DaemonUnavailable" "plugin, transport direct without a socket: unavailable (503), never the bus"
        plugin_done
        plugin bus "$DIRECT" "$NOWHERE"
        ask_is 6 "6: DaemonUnavailable" "plugin, transport bus: never the socket"
        plugin_done
else
        skip "node or contrib/verdaccio/node_modules missing: the plugin's transports" 6
fi

# --- fail closed: a daemon that dies in the middle of a call ----------------------------------------
kill -STOP "$DAEMON_PID"
timeout --kill-after=5 30 "$PAM_DRIVER" --answer "$RO_SECRET" --env PKGTOKEN_PACKAGE=pkg --env PKGTOKEN_ACTION=read \
        "$PAM_DIR" direct-yes alice authenticate >"$TMP/killed.out" 2>&1 &
driver=$!
_pids+=("$driver")
sleep 0.5
kill9_daemon
wait "$driver" 2>/dev/null
_forget_pid "$driver"
is "$(sed -n 's/^result: //p' "$TMP/killed.out")" PAM_AUTHINFO_UNAVAIL "a daemon killed in the middle of a call: PAM_AUTHINFO_UNAVAIL"
expect_pam PAM_AUTHINFO_UNAVAIL "  ... and while it is gone (the socket it left behind answers nobody)" direct-yes "$RO_SECRET"
must_start_daemon --config="$CONFIG"
expect_pam PAM_SUCCESS "a new daemon takes over the socket a killed one left behind" direct-yes "$RO_SECRET"

kill -STOP "$DAEMON_PID"
expect_pam PAM_AUTHINFO_UNAVAIL "a hung daemon: PAM_AUTHINFO_UNAVAIL within timeout=" short "$RO_SECRET"
kill -CONT "$DAEMON_PID"
check_daemon_alive

stop_daemon
is "$STOP_RC" 0 "the daemon stops cleanly with connections open"
if [ -e "$DIRECT" ]; then fail "  ... and removes the socket it bound"; else pass "  ... and removes the socket it bound"; fi

# Only a socket at DirectSocket= is replaced; anything else is the operator's mistake to see.
echo precious >"$DIRECT"
_daemon_args_for_backend --config="$CONFIG"
run timeout --kill-after=5 30 "$PKGTOKEND" --state-dir="$STATE_DIR" --bus-address="$PKGTOKEN_BUS_ADDRESS" "${_BACKEND_ARGS[@]}"
isnt "$RUN_RC" 0 "a file that is not a socket at DirectSocket=: the daemon does not start"
like "$RUN_ERR" "$DIRECT: exists and is not a socket" "  ... and says why"
is "$(cat "$DIRECT")" precious "  ... and leaves the file alone"

done_testing
