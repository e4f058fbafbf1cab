# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash disable=SC2034,SC2119,SC2120
# (SC2034: variables set here are read by the tests that source this file.)
#
# Sourced by every bus test (tests/bus-*.sh).  Provides:
#
#   * TAP output: ok, not_ok, exits, is, isnt, like, unlike, pass, fail, skip, diag,
#     bail_out, skip_all, done_testing;
#   * a private temp dir $TMP (mktemp -d), removed on exit (KEEP_TMP=1 keeps it);
#   * start_bus [TEMPLATE]: a private dbus-daemon on a unix socket in $TMP, never the
#     system or session bus; exports PKGTOKEN_BUS_ADDRESS;
#   * start_daemon [ARGS...], stop_daemon, kill9_daemon, daemon_alive: the real pkgtokend
#     with its state in $STATE_DIR (default $TMP/state);
#   * ctl, busctl_, mgr, mgr_json, dbus_error_name, authz, create_token, new_account,
#     new_token: drivers for the CLI and for the bus;
#   * expect_authz, expect_authn, expect_authz_bus, expect_answer, error_is, audit_has: tests
#     on their answers.
#
# Every process a test starts is recorded by PID and stopped by PID on exit (SIGTERM, a
# bounded wait, then SIGKILL).  Nothing outside $TMP is touched; only unix sockets are used.
#
# Environment (set by `make check`, see AM_TESTS_ENVIRONMENT; defaults for running by hand):
#   top_srcdir top_builddir PKGTOKEND PKGTOKENCTL DBUS_DAEMON BUSCTL
#   PKGTOKEN_TEST_TIMEOUT   seconds any wait may take (default 10)
#   KEEP_TMP=1              keep the temp dir and print where it is
#
# Assumptions about the CLI's --json output, kept here so they can change in one place:
# list verbs print a JSON array of objects, show verbs one object, with the keys of the
# D-Bus a{sv} dictionaries (name, email, kind, locked; name, policy, maintainers; id,
# prefix, type, owner, account, scope, description, expires_at, state, ...).

set -u

# ---------------------------------------------------------------------------------------------
# Environment

if [ -z "${top_srcdir:-}" ]; then
        top_srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
fi
: "${top_builddir:=$top_srcdir/build}"
: "${PKGTOKEND:=$top_builddir/pkgtokend/pkgtokend}"
: "${PKGTOKENCTL:=$top_builddir/pkgtokenctl/pkgtokenctl}"
: "${DBUS_DAEMON:=dbus-daemon}"
: "${BUSCTL:=busctl}"
: "${PKGTOKEN_TEST_TIMEOUT:=10}"
export top_srcdir top_builddir PKGTOKEND PKGTOKENCTL DBUS_DAEMON BUSCTL

# Never reach the host's buses, whatever a program falls back to: both point into the temp
# dir (set below) at sockets that do not exist.
unset DBUS_STARTER_ADDRESS DBUS_STARTER_BUS_TYPE
export LC_ALL=C.UTF-8 TZ=UTC

TEST_NAME=$(basename "$0" .sh)

# ---------------------------------------------------------------------------------------------
# TAP

_tap_n=0
_tap_failed=0
_tap_planned=
_tap_done=0

plan() {
        _tap_planned=$1
        echo "1..$1"
}

diag() {
        local line
        # Each line of each argument becomes a TAP comment.
        printf '%s\n' "$@" | while IFS= read -r line; do
                printf '# %s\n' "$line"
        done
}

# diag_file LABEL FILE: a file's content (at most 60 lines) as TAP comments.
diag_file() {
        local label=$1 file=$2 n
        if [ -s "$file" ]; then
                echo "# $label:"
                head -n 60 "$file" | sed -e 's/^/#     /'
                n=$(wc -l <"$file")
                [ "$n" -gt 60 ] && echo "#     ... ($n lines in all)"
        else
                echo "# $label: (empty)"
        fi
        return 0
}

pass() {
        _tap_n=$((_tap_n + 1))
        echo "ok $_tap_n - $1"
}

# fail DESC [DIAG...]
fail() {
        _tap_n=$((_tap_n + 1))
        _tap_failed=$((_tap_failed + 1))
        echo "not ok $_tap_n - $1"
        shift
        [ $# -gt 0 ] && diag "$@"
        return 0
}

# skip REASON [COUNT]: COUNT skipped tests.
skip() {
        local reason=$1 count=${2:-1} i
        for ((i = 0; i < count; i++)); do
                _tap_n=$((_tap_n + 1))
                echo "ok $_tap_n # SKIP $reason"
        done
}

# skip_all REASON: the whole file is skipped (before any test ran).
skip_all() {
        echo "1..0 # SKIP $1"
        _tap_done=1
        exit 0
}

bail_out() {
        echo "Bail out! $TEST_NAME: $*"
        _tap_done=1
        exit 99
}

# run CMD...: runs CMD in this shell (functions work), stdin from /dev/null unless
# RUN_STDIN names a file.  Sets RUN_RC, RUN_OUT, RUN_ERR (files: $RUN_OUT_FILE, $RUN_ERR_FILE)
# and RUN_CMD.  Never fails itself.
run() {
        RUN_CMD=$(printf '%q ' "$@")
        RUN_OUT_FILE=$TMP/run.out
        RUN_ERR_FILE=$TMP/run.err
        local in=${RUN_STDIN:-/dev/null}
        RUN_RC=0
        "$@" <"$in" >"$RUN_OUT_FILE" 2>"$RUN_ERR_FILE" || RUN_RC=$?
        RUN_OUT=$(cat "$RUN_OUT_FILE")
        RUN_ERR=$(cat "$RUN_ERR_FILE")
        return 0
}

# reply_fields VAR...: sets each VAR to the reply's value of its position (.data[0], .data[1],
# ...) in the JSON of the last run (busctl --json).
reply_fields() {
        local i=0 v
        for v in "$@"; do
                printf -v "$v" '%s' "$(jq -r ".data[$i]" <"$RUN_OUT_FILE")"
                i=$((i + 1))
        done
}

# The command, its exit code, stdout and stderr, as TAP comments.
diag_run() {
        diag "command: ${RUN_CMD:0:400}" "exit code: $RUN_RC"
        diag_file "stdout" "$RUN_OUT_FILE"
        diag_file "stderr" "$RUN_ERR_FILE"
}

# ok DESC CMD...: passes when CMD exits 0.
ok() {
        local desc=$1
        shift
        run "$@"
        if [ "$RUN_RC" -eq 0 ]; then
                pass "$desc"
        else
                fail "$desc"
                diag_run
        fi
        return 0
}

# not_ok DESC CMD...: passes when CMD exits non-zero (and was not killed by a signal or a
# sanitizer: exit codes above 125 count as a crash, not as a refusal).
not_ok() {
        local desc=$1
        shift
        run "$@"
        if [ "$RUN_RC" -ne 0 ] && [ "$RUN_RC" -le 125 ]; then
                pass "$desc"
        else
                fail "$desc" "expected a non-zero exit code (a refusal, not a crash)"
                diag_run
        fi
        return 0
}

# exits CODE DESC CMD...: passes when CMD exits with CODE.
exits() {
        local code=$1 desc=$2
        shift 2
        run "$@"
        if [ "$RUN_RC" -eq "$code" ]; then
                pass "$desc"
        else
                fail "$desc" "expected exit code $code"
                diag_run
        fi
        return 0
}

# is GOT EXPECTED DESC
is() {
        if [ "$1" == "$2" ]; then
                pass "$3"
        else
                fail "$3" "     got: '${1:0:2000}'" "expected: '${2:0:2000}'"
        fi
        return 0
}

# isnt GOT UNEXPECTED DESC
isnt() {
        if [ "$1" != "$2" ]; then
                pass "$3"
        else
                fail "$3" "     got: '${1:0:2000}'" "expected anything else"
        fi
        return 0
}

# like GOT ERE DESC
like() {
        if printf '%s' "$1" | grep -qE -- "$2"; then
                pass "$3"
        else
                fail "$3" "     got: '${1:0:2000}'" "expected to match: /$2/"
        fi
        return 0
}

# unlike GOT ERE DESC
unlike() {
        if ! printf '%s' "$1" | grep -qE -- "$2"; then
                pass "$3"
        else
                fail "$3" "     got: '${1:0:2000}'" "expected not to match: /$2/"
        fi
        return 0
}

# One line of error on stderr, as the CLI promises, after a failed `run`.
stderr_one_line() {
        local desc=$1 n
        n=$(grep -c . "$RUN_ERR_FILE" || true)
        if [ "$n" -eq 1 ]; then
                pass "$desc"
        else
                fail "$desc" "expected exactly one line on stderr, got $n"
                diag_run
        fi
}

# no_tap: for a script that uses only the temp dir, process, bus and daemon helpers and prints
# no TAP (bench/lib.sh): its exit, early or not, says nothing in TAP.
no_tap() {
        _tap_done=1
}

done_testing() {
        _tap_done=1
        if [ -z "$_tap_planned" ]; then
                echo "1..$_tap_n"
        elif [ "$_tap_planned" -ne "$_tap_n" ]; then
                diag "planned $_tap_planned tests but ran $_tap_n"
                exit 1
        fi
        if [ "$_tap_failed" -gt 0 ]; then
                diag "$_tap_failed of $_tap_n tests failed"
                exit 1
        fi
        exit 0
}

# ---------------------------------------------------------------------------------------------
# Temp dir and cleanup

_pids=()          # every process we started, stopped by PID on exit
CLEANUP_DIRS=()   # more directories outside $TMP to remove on exit (kept with KEEP_TMP=1)
BUS_PID=
DAEMON_PID=
DAEMON_LOG=
_daemon_n=0

_tmp_parent=${TMPDIR:-/tmp}
# A unix socket path has at most 107 bytes: fall back to /tmp for a long $TMPDIR.
[ ${#_tmp_parent} -gt 60 ] && _tmp_parent=/tmp
TMP=$(mktemp -d "$_tmp_parent/pkgtoken-$TEST_NAME.XXXXXX") || {
        echo "Bail out! cannot create a temp dir"
        exit 99
}
STATE_DIR=$TMP/state
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$TMP/no-system-bus"
export DBUS_SESSION_BUS_ADDRESS="unix:path=$TMP/no-session-bus"
unset PKGTOKEN_BUS_ADDRESS

# process_alive PID: running and not a zombie (a dead child stays visible to kill -0
# until it is reaped).
process_alive() {
        local state
        [ -n "$1" ] || return 1
        state=$(sed -n 's/^.*) \([A-Za-z]\).*$/\1/p' "/proc/$1/stat" 2>/dev/null) || return 1
        [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# _stop_pid PID: SIGTERM, wait up to the timeout, then SIGKILL.  Sets STOP_RC to the exit
# status (128+N for a signal), reaping the child.
_stop_pid() {
        local pid=$1 i max
        STOP_RC=0
        [ -n "$pid" ] || return 0
        if process_alive "$pid"; then
                kill -TERM "$pid" 2>/dev/null || true
                max=$((PKGTOKEN_TEST_TIMEOUT * 20))
                for ((i = 0; i < max; i++)); do
                        process_alive "$pid" || break
                        sleep 0.05
                done
                if process_alive "$pid"; then
                        diag "process $pid did not stop on SIGTERM within ${PKGTOKEN_TEST_TIMEOUT}s: SIGKILL"
                        kill -KILL "$pid" 2>/dev/null || true
                fi
        fi
        wait "$pid" 2>/dev/null || STOP_RC=$?
        _forget_pid "$pid"
        return 0
}

_forget_pid() {
        local p keep=()
        for p in "${_pids[@]}"; do
                [ "$p" = "$1" ] || keep+=("$p")
        done
        _pids=("${keep[@]}")
}

_cleanup() {
        local rc=$?
        trap - EXIT INT TERM HUP
        # Daemons first (newest first), the bus last.
        local all=("${_pids[@]}") i
        for ((i = ${#all[@]} - 1; i >= 0; i--)); do
                [ "${all[i]}" = "$BUS_PID" ] && continue
                _stop_pid "${all[i]}"
        done
        [ -n "$BUS_PID" ] && _stop_pid "$BUS_PID"
        if [ "$_tap_done" -eq 0 ]; then
                # The script died before done_testing (set -u, a bail-out): say so in TAP.
                echo "not ok $((_tap_n + 1)) - $TEST_NAME ended early (exit code $rc)"
                echo "1..$((_tap_n + 1))"
                [ "$rc" -eq 0 ] && rc=1
        fi
        if [ -n "${KEEP_TMP:-}" ]; then
                echo "# kept $TMP${CLEANUP_DIRS[*]:+ ${CLEANUP_DIRS[*]}}"
        else
                chmod -R u+rwx "$TMP" 2>/dev/null
                rm -rf "$TMP" "${CLEANUP_DIRS[@]}"
        fi
        exit "$rc"
}
trap _cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# wait_for SECONDS CMD...: polls CMD every 0.05 s until it succeeds; returns 1 on timeout.
wait_for() {
        local max=$(($1 * 20)) i
        shift
        for ((i = 0; i < max; i++)); do
                "$@" && return 0
                sleep 0.05
        done
        return 1
}

# start_fixture NAME PORT-FILE CMD...: starts a test server (stdout and stderr in $TMP/NAME.log),
# stopped at the end like the daemons, and waits until it has written the port it listens on
# to PORT-FILE; sets FIXTURE_PID and FIXTURE_PORT.
start_fixture() {
        local name=$1 port_file=$2
        shift 2
        "$@" </dev/null >"$TMP/$name.log" 2>&1 &
        FIXTURE_PID=$!
        _pids+=("$FIXTURE_PID")
        wait_for "$PKGTOKEN_TEST_TIMEOUT" test -s "$port_file" || {
                diag_file "$name log" "$TMP/$name.log"
                bail_out "the $name fixture did not start"
        }
        FIXTURE_PORT=$(cat "$port_file")
}

# ---------------------------------------------------------------------------------------------
# Prerequisites

# need PROGRAM...: a missing tool skips the whole file, except in CI, where it is an error
# (CI installs everything; a skip there would hide a broken setup).
need() {
        local p
        for p in "$@"; do
                if ! command -v "$p" >/dev/null 2>&1; then
                        if [ "${CI:-}" = true ]; then
                                bail_out "$p not found (CI must install it)"
                        fi
                        skip_all "$p not found"
                fi
        done
}

need_binaries() {
        [ "$DBUS_DAEMON" != no ] || DBUS_DAEMON=dbus-daemon
        [ "$BUSCTL" != no ] || BUSCTL=busctl
        need "$DBUS_DAEMON" "$BUSCTL" jq sed grep
        [ -x "$PKGTOKEND" ] || bail_out "pkgtokend not built: $PKGTOKEND"
        [ -x "$PKGTOKENCTL" ] || bail_out "pkgtokenctl not built: $PKGTOKENCTL"
}

is_root() {
        [ "$(id -u)" -eq 0 ]
}

# ---------------------------------------------------------------------------------------------
# The private bus

# start_bus [TEMPLATE]: TEMPLATE is a dbus-daemon config with @SOCKET@ (and @POLICY@, the
# absolute path of dbus/org.pkgtoken1.conf); default tests/bus.conf.in.
start_bus() {
        local template=${1:-$top_srcdir/tests/bus.conf.in}
        local dir=$TMP/bus
        mkdir -p "$dir"
        BUS_SOCKET=$dir/socket
        BUS_CONFIG=$dir/bus.conf
        BUS_LOG=$dir/dbus-daemon.log
        sed -e "s|@SOCKET@|$BUS_SOCKET|g" \
            -e "s|@POLICY@|$top_srcdir/dbus/org.pkgtoken1.conf|g" \
            "$template" >"$BUS_CONFIG" || bail_out "cannot write $BUS_CONFIG"
        : >"$dir/address"
        "$DBUS_DAEMON" --config-file="$BUS_CONFIG" --nofork --nopidfile \
                --print-address=3 3>"$dir/address" </dev/null >"$BUS_LOG" 2>&1 &
        BUS_PID=$!
        _pids+=("$BUS_PID")

        local i max=$((PKGTOKEN_TEST_TIMEOUT * 20))
        PKGTOKEN_BUS_ADDRESS=
        for ((i = 0; i < max; i++)); do
                # The address is complete once its trailing guid= is there.
                if grep -q 'guid=' "$dir/address" 2>/dev/null; then
                        PKGTOKEN_BUS_ADDRESS=$(head -n 1 "$dir/address")
                        break
                fi
                process_alive "$BUS_PID" || break
                sleep 0.05
        done
        if [ -z "$PKGTOKEN_BUS_ADDRESS" ]; then
                diag "dbus-daemon did not print its address within ${PKGTOKEN_TEST_TIMEOUT}s"
                diag_file "config" "$BUS_CONFIG"
                diag_file "dbus-daemon output" "$BUS_LOG"
                return 1
        fi
        export PKGTOKEN_BUS_ADDRESS
        return 0
}

# ---------------------------------------------------------------------------------------------
# The daemon

# ping: is org.pkgtoken1 on the bus and answering?
ping_daemon() {
        "$BUSCTL" --address="$PKGTOKEN_BUS_ADDRESS" --timeout=2 call \
                org.pkgtoken1 /org/pkgtoken1 org.freedesktop.DBus.Peer Ping >/dev/null 2>&1
}

# start_daemon [ARGS...]: starts pkgtokend on the private bus with state in $STATE_DIR and
# waits until it answers a Ping.  Returns 1 (after diagnostics) when it died or hung.
start_daemon() {
        _daemon_n=$((_daemon_n + 1))
        DAEMON_LOG=$TMP/pkgtokend.$_daemon_n.log
        mkdir -p "$STATE_DIR" && chmod 0700 "$STATE_DIR"
        DAEMON_CMD=("$PKGTOKEND" --state-dir="$STATE_DIR" --bus-address="$PKGTOKEN_BUS_ADDRESS" "$@")
        "${DAEMON_CMD[@]}" </dev/null >"$DAEMON_LOG" 2>&1 &
        DAEMON_PID=$!
        _pids+=("$DAEMON_PID")

        local i max=$((PKGTOKEN_TEST_TIMEOUT * 20))
        for ((i = 0; i < max; i++)); do
                if ! process_alive "$DAEMON_PID"; then
                        local rc=0
                        wait "$DAEMON_PID" 2>/dev/null || rc=$?
                        _forget_pid "$DAEMON_PID"
                        diag "pkgtokend exited with status $rc while starting: $(printf '%q ' "${DAEMON_CMD[@]}")"
                        diag_file "pkgtokend output" "$DAEMON_LOG"
                        DAEMON_PID=
                        return 1
                fi
                ping_daemon && return 0
                sleep 0.05
        done
        diag "pkgtokend did not answer a Ping within ${PKGTOKEN_TEST_TIMEOUT}s"
        diag_file "pkgtokend output" "$DAEMON_LOG"
        return 1
}

# must_start_daemon [ARGS...]: start_daemon or give up on the whole file.
must_start_daemon() {
        start_daemon "$@" || bail_out "pkgtokend did not start"
}

# start_store: the private bus and pkgtokend on it, or give up on the whole file.  DB is the
# daemon's database file, for the tests that read, copy or damage it.
start_store() {
        start_bus || bail_out "the private dbus-daemon did not start"
        must_start_daemon
        DB=$STATE_DIR/tokens.db
}

# add_alice_bob_pkg: the accounts alice and bob, and the package pkg (no 2FA policy) that
# alice maintains: the cast most bus tests start from.
add_alice_bob_pkg() {
        ok "account add alice" ctl account add alice
        ok "account add bob" ctl account add bob
        ok "package add pkg" ctl package add pkg --policy=none --maintainer=alice
}

# start_bus_and_daemon: the usual preamble.
setup_bus_and_daemon() {
        need_binaries
        start_bus || bail_out "the private dbus-daemon did not start"
        must_start_daemon "$@"
}

# stop_daemon: SIGTERM by PID, bounded wait, SIGKILL.  Sets STOP_RC (0 = clean exit).
stop_daemon() {
        _stop_pid "$DAEMON_PID"
        DAEMON_PID=
}

# kill9_daemon: SIGKILL by PID, no chance to clean up.
kill9_daemon() {
        if [ -n "$DAEMON_PID" ]; then
                kill -KILL "$DAEMON_PID" 2>/dev/null || true
                wait "$DAEMON_PID" 2>/dev/null || true
                _forget_pid "$DAEMON_PID"
        fi
        DAEMON_PID=
        # The bus notices the dead connection and drops the name; wait for that so a new
        # daemon can take it.
        wait_for "$PKGTOKEN_TEST_TIMEOUT" name_gone || diag "org.pkgtoken1 still owned after kill -9"
}

name_gone() {
        ! ping_daemon
}

daemon_alive() {
        process_alive "$DAEMON_PID" && ping_daemon
}

# check_daemon_alive DESC: a test that the daemon survived whatever came before.
check_daemon_alive() {
        if daemon_alive; then
                pass "${1:-daemon still alive and answering}"
        else
                fail "${1:-daemon still alive and answering}"
                diag_file "pkgtokend output" "$DAEMON_LOG"
        fi
}

# run_daemon_to_exit [ARGS...]: runs pkgtokend in the foreground with a time limit, for a
# daemon that is expected to refuse to start.  Sets RUN_* like run (124 = still running at
# the time limit, i.e. it did not refuse).
run_daemon_to_exit() {
        mkdir -p "$STATE_DIR"
        run timeout --kill-after=2 "$PKGTOKEN_TEST_TIMEOUT" \
                "$PKGTOKEND" --state-dir="$STATE_DIR" --bus-address="$PKGTOKEN_BUS_ADDRESS" "$@"
}

# expect_refused_start WHAT: after run_daemon_to_exit (or a run of pkgtokend like it), passes
# when the daemon refused to start by itself: a non-zero exit, neither a crash (signals give
# more than 125) nor still running at the time limit (124).
expect_refused_start() {
        if [ "$RUN_RC" -ne 0 ] && [ "$RUN_RC" -ne 124 ] && [ "$RUN_RC" -le 125 ]; then
                pass "$1: pkgtokend refuses to start (exit $RUN_RC)"
        else
                fail "$1: pkgtokend refuses to start" \
                        "expected a non-zero exit, not a crash or a running daemon (124: still running after ${PKGTOKEN_TEST_TIMEOUT}s)"
                diag_run
        fi
}

# expect_daemon_log DESC ERE: passes once the running daemon's log matches ERE (waiting up
# to the test timeout for it: the daemon may find things in the background).
expect_daemon_log() {
        if wait_for "$PKGTOKEN_TEST_TIMEOUT" grep -qE -- "$2" "$DAEMON_LOG"; then
                pass "$1"
        else
                fail "$1"
                diag_file "pkgtokend output" "$DAEMON_LOG"
        fi
}

# ---------------------------------------------------------------------------------------------
# Drivers

# ctl ARGS...: the CLI on the private bus.
ctl() {
        "$PKGTOKENCTL" --bus-address="$PKGTOKEN_BUS_ADDRESS" "$@"
}

# busctl_ ARGS...: busctl on the private bus.
busctl_() {
        "$BUSCTL" --address="$PKGTOKEN_BUS_ADDRESS" "$@"
}

# mgr METHOD SIGNATURE ARGS...: a Manager method call through busctl.
mgr() {
        "$BUSCTL" --address="$PKGTOKEN_BUS_ADDRESS" call \
                org.pkgtoken1 /org/pkgtoken1 org.pkgtoken1.Manager "$@"
}

# mgr_json METHOD SIGNATURE ARGS...: the same, the reply as JSON: {"type":..., "data":[...]}.
mgr_json() {
        "$BUSCTL" --address="$PKGTOKEN_BUS_ADDRESS" --json=short call \
                org.pkgtoken1 /org/pkgtoken1 org.pkgtoken1.Manager "$@"
}

# The a{sv} reply of mgr_json, flattened to {"key": value, ...}.
JQ_ASV='.data[0] | with_entries(.value |= .data)'
# The aa{sv} reply of mgr_json, flattened to [{"key": value, ...}, ...].
JQ_AASV='[.data[0][] | with_entries(.value |= .data)]'

# dbus_error_name METHOD GVARIANT-ARGS...: calls a Manager method through gdbus (which,
# unlike busctl, prints the D-Bus error name) and prints the error name, or "ok" when the
# call succeeded.  Needs gdbus (libglib2.0-bin).  The call runs through the command in the
# array DBUS_CALLER when a test sets it (bus-registry.sh: as the registry's user).
DBUS_CALLER=()
dbus_error_name() {
        local method=$1 out
        shift
        if out=$("${DBUS_CALLER[@]}" gdbus call --address "$PKGTOKEN_BUS_ADDRESS" --dest org.pkgtoken1 \
                        --object-path /org/pkgtoken1 \
                        --method "org.pkgtoken1.Manager.$method" "$@" 2>&1); then
                echo ok
        else
                local name
                name=$(printf '%s\n' "$out" | grep -oE 'GDBus\.Error:[A-Za-z0-9_.]+' | head -n 1)
                if [ -n "$name" ]; then
                        echo "${name#GDBus.Error:}"
                else
                        echo "error: $(printf '%s' "$out" | head -n 1)"
                fi
        fi
}

have_gdbus() {
        if command -v gdbus >/dev/null 2>&1; then
                return 0
        fi
        [ "${CI:-}" = true ] && bail_out "gdbus not found (CI must install libglib2.0-bin)"
        return 1
}

# error_is EXPECTED-NAME DESC METHOD GVARIANT-ARGS...: a test on the D-Bus error name.
error_is() {
        local expected=$1 desc=$2
        shift 2
        if ! have_gdbus; then
                skip "gdbus not found: cannot see D-Bus error names"
                return 0
        fi
        is "$(dbus_error_name "$@")" "$expected" "$desc"
}

# create_token ACCOUNT ARGS...: `token create` with --json; sets TOKEN_ID and TOKEN_SECRET.
# Returns 1 (after diagnostics) on failure.
create_token() {
        TOKEN_ID=
        TOKEN_SECRET=
        run ctl --json token create "$@"
        if [ "$RUN_RC" -ne 0 ]; then
                diag "token create failed"
                diag_run
                return 1
        fi
        TOKEN_ID=$(jq -r '.id // empty' <"$RUN_OUT_FILE" 2>/dev/null)
        TOKEN_SECRET=$(jq -r '.token // empty' <"$RUN_OUT_FILE" 2>/dev/null)
        if [[ ! "$TOKEN_ID" =~ ^tk_[0-9A-Za-z]{12}$ ]] || [[ ! "$TOKEN_SECRET" =~ ^pkgt_[0-9A-Za-z]{42}$ ]]; then
                diag "token create --json printed no usable {\"id\", \"token\"}"
                diag_run
                return 1
        fi
        return 0
}

# must_create_token VAR-PREFIX ACCOUNT ARGS...: create_token, stored in ${PREFIX}_ID and
# ${PREFIX}_SECRET, as a test.
must_create_token() {
        local var=$1
        shift
        if create_token "$@"; then
                pass "token create $(printf '%q ' "$@")"
        else
                fail "token create $(printf '%q ' "$@")"
        fi
        printf -v "${var}_ID" '%s' "$TOKEN_ID"
        printf -v "${var}_SECRET" '%s' "$TOKEN_SECRET"
}

# authz TOKEN PACKAGE ACTION [ARGS...]: `authorize` with the token on stdin.  Sets
# AUTHZ_RESULT (the first line of stdout), AUTHZ_RC and the RUN_* variables.
authz() {
        local token=$1
        shift
        printf '%s\n' "$token" >"$TMP/authz.in"
        RUN_STDIN=$TMP/authz.in run ctl authorize "$@"
        AUTHZ_RC=$RUN_RC
        AUTHZ_RESULT=$(printf '%s\n' "$RUN_OUT" | head -n 1)
}

# expect_authz EXPECTED DESC TOKEN PACKAGE ACTION [ARGS...]: the result line, and the exit
# code: 0 exactly when allowed, 1 otherwise.
expect_authz() {
        local expected=$1 desc=$2 want_rc=1
        shift 2
        authz "$@"
        [ "$expected" = allowed ] && want_rc=0
        if [ "$AUTHZ_RESULT" = "$expected" ] && [ "$AUTHZ_RC" = "$want_rc" ]; then
                pass "$desc: $expected"
        else
                fail "$desc: $expected" "     got: '$AUTHZ_RESULT' (exit code $AUTHZ_RC)" \
                        "expected: '$expected' (exit code $want_rc)"
                diag_run
        fi
}

# mgr_authorize TOKEN PACKAGE ACTION [REMOTE]: Authorize over the bus; sets MGR_RESULT,
# MGR_REASON, MGR_ACTOR, MGR_TOKEN_ID (empty on a failed call, MGR_RC non-zero).
mgr_authorize() {
        if [ -n "${4:-}" ]; then
                mgr_authorize_with "$1" "$2" "$3" remote "$4"
        else
                mgr_authorize_with "$1" "$2" "$3"
        fi
}

# json_has_string JSON-FILE STRING: does any string value in the JSON equal STRING?
json_has_string() {
        jq -e --arg s "$2" '[.. | strings] | index($s) != null' <"$1" >/dev/null 2>&1
}

# json_object_has FILE STRING...: is there an object in the JSON that has all STRINGs among
# its own string values (one audit event with this actor, this result, this address)?
json_object_has() {
        local file=$1
        shift
        jq -e '[.. | objects | [.[]? | strings] as $v
                | select(all($ARGS.positional[]; . as $s | $v | index($s) != null))]
               | length > 0' --args "$@" <"$file" >/dev/null 2>&1
}

# audit_has DESC FILE STRING...: a test that the audit in FILE (JSON) holds one event with all
# STRINGs (json_object_has).
audit_has() {
        local desc=$1 file=$2
        shift 2
        if json_object_has "$file" "$@"; then
                pass "$desc"
        else
                fail "$desc"
                diag_file audit "$file"
        fi
}

# expect_answer EXPECTED DESC RC GOT WHY: a test on a call made just before (with run): it
# succeeded (RC 0) and answered EXPECTED, as "DESC: EXPECTED"; else what it answered (GOT,
# WHY) and the call.
expect_answer() {
        local expected=$1 desc=$2 rc=$3 got=$4 why=$5
        if [ "$rc" -eq 0 ] && [ "$got" = "$expected" ]; then
                pass "$desc: $expected"
        else
                fail "$desc: $expected" "     got: '$got' ($why)"
                diag_run
        fi
}

# now_usec: the realtime clock in microseconds.
now_usec() {
        date +%s%6N
}

# ---------------------------------------------------------------------------------------------
# Settings, passwords and one-time codes (bus-passwords.sh, bus-twofa.sh, bus-lockout.sh)

# write_config FILE [LINE...]: a pkgtokend.conf holding "[Manager]" and then each LINE
# (Key=Value).  Use it with start_daemon --config=FILE.
write_config() {
        local file=$1
        shift
        { echo '[Manager]'; [ $# -eq 0 ] || printf '%s\n' "$@"; } >"$file" || bail_out "cannot write $file"
}

# mgr_authenticate ACCOUNT PASSWORD OTP [KEY TYPE VALUE]...: Authenticate over the bus, the
# options as busctl triples (remote s 192.0.2.1, session b true).  Sets AUTHN_RC,
# AUTHN_RESULT, AUTHN_REASON, AUTHN_DETAILS (the details as flat JSON; {} after a failed
# call) and the RUN_* variables.
mgr_authenticate() {
        local account=$1 password=$2 otp=$3
        shift 3
        AUTHN_RESULT='' AUTHN_REASON='' AUTHN_DETAILS='{}'
        run mgr_json Authenticate 'sssa{sv}' "$account" "$password" "$otp" $(($# / 3)) "$@"
        AUTHN_RC=$RUN_RC
        [ "$RUN_RC" -eq 0 ] || return 0
        reply_fields AUTHN_RESULT AUTHN_REASON
        AUTHN_DETAILS=$(jq -c '.data[2] | with_entries(.value |= .data)' <"$RUN_OUT_FILE")
}

# expect_authn RESULT DESC ACCOUNT PASSWORD [OTP [OPTION-TRIPLES...]]: Authenticate over the
# bus answers RESULT.
expect_authn() {
        local expected=$1 desc=$2
        shift 2
        mgr_authenticate "$1" "$2" "${3:-}" "${@:4}"
        expect_answer "$expected" "$desc" "$AUTHN_RC" "$AUTHN_RESULT" "$AUTHN_REASON"
}

# authn_answer: the answer to compare between a real account and an unknown name: result,
# reason and the details without their times.
authn_answer() {
        printf '%s|%s|%s' "$AUTHN_RESULT" "$AUTHN_REASON" "$(jq -c 'del(.locked_until)' <<<"$AUTHN_DETAILS")"
}

# check_wrong_guesses WHO: the three answers in known[] (wrong passwords for a real account)
# are bad-credentials, and each in unknown[] (the same guess for the unknown name ghost) is
# the same answer, so that an answer never tells which names exist.  WHO ends the messages.
check_wrong_guesses() {
        local i
        for i in 0 1 2; do
                is "${known[i]}" "bad-credentials|wrong account name or password|{}" "wrong password $((i + 1)) of 3 for $1"
                is "${unknown[i]}" "${known[i]}" "  ... the unknown name ghost gets the same answer"
        done
}

# authn_detail KEY: a field of AUTHN_DETAILS, "" when absent.
authn_detail() {
        jq -r --arg k "$1" '.[$k] // "" | tostring' <<<"$AUTHN_DETAILS"
}

# string_options [KEY VALUE]...: OPTS, an a{sv} of strings as busctl arguments.
string_options() {
        OPTS=($(($# / 2)))
        while [ $# -ge 2 ]; do
                OPTS+=("$1" s "$2")
                shift 2
        done
}

# mgr_authorize_with TOKEN PACKAGE ACTION [KEY VALUE]...: Authorize over the bus with string
# options (otp, remote); sets what mgr_authorize sets.
mgr_authorize_with() {
        MGR_RESULT='' MGR_REASON='' MGR_ACTOR='' MGR_TOKEN_ID=''
        authz_call MGR_RC mgr_json Authorize "$@" || return 0
        reply_fields MGR_RESULT MGR_REASON MGR_ACTOR MGR_TOKEN_ID
}

# authz_call RC-VAR CALL METHOD TOKEN PACKAGE ACTION [KEY VALUE]...: a question of Authorize's
# shape (Authorize, Verify: token, package, action, string options) through CALL (mgr_json,
# reg_json); sets RC-VAR and the RUN_* variables, and fails as the call did.
authz_call() {
        local rc_var=$1 call=$2 method=$3 token=$4 package=$5 action=$6
        shift 6
        string_options "$@"
        run "$call" "$method" 'sssa{sv}' "$token" "$package" "$action" "${OPTS[@]}"
        printf -v "$rc_var" '%s' "$RUN_RC"
        [ "$RUN_RC" -eq 0 ]
}

# new_account NAME PASSWORD [KIND]: CreateAccount (a human by default) and, unless PASSWORD is
# empty, SetPassword.
new_account() {
        mgr CreateAccount 'sssa{sv}' "$1" "" "${3:-human}" 0 >/dev/null &&
                { [ -z "$2" ] || mgr SetPassword 'ssa{sv}' "$1" "$2" 0 >/dev/null; }
}

# account_field ACCOUNT FIELD: one field of GetAccount.
account_field() {
        mgr_json GetAccount s "$1" | jq -r "$JQ_ASV | .$2 | tostring"
}

# new_token ACCOUNT TYPE [OTP]: CreateToken; sets NEW_ID and NEW_TOKEN (empty on failure).
new_token() {
        local opts=(0)
        [ -n "${3:-}" ] && opts=(1 otp s "$3")
        NEW_ID='' NEW_TOKEN=''
        run mgr_json CreateToken 'ssasstasa{sv}' "$1" "$2" 0 "$2 token" 0 0 "${opts[@]}"
        [ "$RUN_RC" -eq 0 ] || return 1
        reply_fields NEW_ID NEW_TOKEN
}

# gv STRING: STRING as a GVariant text string for gdbus.
gv() {
        local s=${1//\\/\\\\}
        printf "'%s'" "${s//\'/\\\'}"
}

# expect_authz_bus RESULT DESC TOKEN PACKAGE ACTION [KEY VALUE]...: Authorize over the bus
# (mgr_authorize_with) answers RESULT.
expect_authz_bus() {
        local expected=$1 desc=$2
        shift 2
        mgr_authorize_with "$@"
        expect_answer "$expected" "$desc" "$MGR_RC" "$MGR_RESULT" "$MGR_REASON"
}

# totp SECRET [UNIX-TIME]: the TOTP code (RFC 6238: SHA1, 6 digits, 30 s steps) at a time
# (default: now), computed by oathtool, independently of the daemon.
totp() {
        if [ $# -gt 1 ]; then
                oathtool --totp -b -N "@$2" "$1"
        else
                oathtool --totp -b "$1"
        fi
}

# uri_secret URI: the base32 secret= of an otpauth:// URI.
uri_secret() {
        printf '%s\n' "$1" | sed -n 's/^[^?]*?\(.*&\)\{0,1\}secret=\([A-Z2-7]*\).*$/\2/p'
}

# One-time codes per account, so that a test never hands the daemon a counter it has seen:
# OTP_SECRET[account] is the base32 secret, OTP_LAST[account] the last counter handed out.
declare -gA OTP_SECRET=() OTP_LAST=()

# next_otp ACCOUNT: sets OTP to a code for a counter after OTP_LAST[ACCOUNT] that the daemon
# accepts now (the current step or the next one, so that a step boundary passing before the
# daemon looks does not matter).  When both are used up it waits, bounded, for the next step.
next_otp() {
        local a=$1 t step k i
        OTP=
        for ((i = 0; i < 700; i++)); do
                t=$(date +%s)
                step=$((t / 30))
                k=$((${OTP_LAST[$a]:-0} + 1))
                [ "$k" -lt "$step" ] && k=$step
                if [ "$k" -le $((step + 1)) ]; then
                        OTP=$(totp "${OTP_SECRET[$a]}" $((k * 30))) || return 1
                        OTP_LAST[$a]=$k
                        return 0
                fi
                sleep 0.1
        done
        diag "next_otp $a: no fresh step within 70 s"
        return 1
}

# wrong_otp ACCOUNT: sets OTP to six digits that are not ACCOUNT's code for any step near now.
wrong_otp() {
        local a=$1 t near c d
        t=$(date +%s)
        near=" "
        for d in -90 -60 -30 0 30 60 90; do
                near+="$(totp "${OTP_SECRET[$a]}" $((t + d))) "
        done
        for c in 000000 111111 222222 333333 444444 555555 666666 777777 888888; do
                if [[ "$near" != *" $c "* ]]; then
                        OTP=$c
                        return 0
                fi
        done
        OTP=999999
}

# wait_mid_step: waits (at most 30 s) until the clock is 5 to 24 seconds into a 30-second
# TOTP step, so that codes computed from one fixed time keep their meaning (this step, the
# one before, ...) for at least five seconds.  Sets STEP_TIME (unix seconds) and STEP.
wait_mid_step() {
        local i t
        for ((i = 0; i < 350; i++)); do
                t=$(date +%s)
                if [ $((t % 30)) -ge 5 ] && [ $((t % 30)) -le 24 ]; then
                        STEP_TIME=$t
                        STEP=$((t / 30))
                        return 0
                fi
                sleep 0.1
        done
        return 1
}

# still_in_step: is the clock still in the step wait_mid_step found?
still_in_step() {
        [ $(($(date +%s) / 30)) -eq "$STEP" ]
}

# enroll_2fa ACCOUNT [MODE]: EnrollTOTP, then ConfirmTOTP with a current code (mode default:
# the daemon's).  Sets ENROLL_URI, OTP_SECRET[ACCOUNT], OTP_LAST[ACCOUNT] and RECOVERY_CODES
# (an array).  Returns 1, after diagnostics, on failure.
enroll_2fa() {
        local a=$1 mode=${2:-}
        ENROLL_URI=
        RECOVERY_CODES=()
        run mgr_json EnrollTOTP 'sa{sv}' "$a" 0
        if [ "$RUN_RC" -ne 0 ]; then
                diag "EnrollTOTP $a failed"
                diag_run
                return 1
        fi
        ENROLL_URI=$(jq -r '.data[0]' <"$RUN_OUT_FILE")
        OTP_SECRET[$a]=$(uri_secret "$ENROLL_URI")
        OTP_LAST[$a]=0
        if [ -z "${OTP_SECRET[$a]}" ]; then
                diag "EnrollTOTP $a: no secret in '$ENROLL_URI'"
                return 1
        fi
        next_otp "$a" || return 1
        run mgr_json ConfirmTOTP 'sssa{sv}' "$a" "$OTP" "$mode" 0
        if [ "$RUN_RC" -ne 0 ]; then
                diag "ConfirmTOTP $a failed"
                diag_run
                return 1
        fi
        mapfile -t RECOVERY_CODES < <(jq -r '.data[0][]' <"$RUN_OUT_FILE")
        return 0
}

# ---------------------------------------------------------------------------------------------
# Loopback servers (bus-nginx.sh)

# free_tcp_port: prints a port in 20000-59999 that no TCP socket on this machine uses now
# (listening or not, IPv4 or IPv6, from /proc/net/tcp*).  Another program may still take it
# before the caller binds it: retry on "address in use".
free_tcp_port() {
        local used=" " f local_addr port i
        for f in /proc/net/tcp /proc/net/tcp6; do
                [ -r "$f" ] || continue
                while read -r _ local_addr _; do
                        [[ $local_addr == *:* ]] || continue
                        used+="$((16#${local_addr##*:})) "
                done <"$f"
        done
        for ((i = 0; i < 100; i++)); do
                port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
                if [[ "$used" != *" $port "* ]]; then
                        echo "$port"
                        return 0
                fi
        done
        return 1
}

# child_pids PID: the PIDs of PID's live children, one per line (from /proc, no procps).
child_pids() {
        local stat pid ppid
        for stat in /proc/[0-9]*/stat; do
                # "PID (comm) S PPID ...": the comm may hold spaces and parentheses.
                stat=$(cat "$stat" 2>/dev/null) || continue
                pid=${stat%% *}
                ppid=${stat##*) }
                ppid=${ppid#* }
                ppid=${ppid%% *}
                [ "$ppid" = "$1" ] && process_alive "$pid" && echo "$pid"
        done
        return 0
}

# proc_uid PID: the real uid of a process.
proc_uid() {
        awk '/^Uid:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}
