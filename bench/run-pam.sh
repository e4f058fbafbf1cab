#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench/run-pam.sh BUILDDIR: PAM authentications/s through pam_pkgtoken with a token, side by
# side in one run with pam_oath (HOTP users file, Debian's libpam-oath) and the bare framework
# (pam_permit), each as nginx's auth_pam uses PAM: one transaction per request (see
# bench/bench-pam.c).  The goal: pam_pkgtoken at least 2x pam_oath.
#
# Not a test: it prints authentications/s and the ratios pkgtoken/oath and pkgtoken/permit,
# and says whether the goal is met.  It exits non-zero only when something is broken (an
# authentication that fails, a daemon that does not start), never because something is slow.
#
# Each stack is measured cold (modules loaded and unloaded by every transaction, as in nginx)
# and warm (modules kept loaded), with 1 and with BENCH_PAM_CLIENTS concurrent processes.
# Everything happens in a temp dir: a private dbus-daemon on a unix socket there (never the
# system or session bus), pkgtokend with its state there, the PAM services and the OATH users
# file there.  Every process is started and stopped by PID; the temp dir is removed on exit.
#
# Environment:
#   BENCH_PAM_SECONDS   seconds each stack is measured per client count (default 3), split
#                       into BENCH_PAM_ROUNDS (default 3) interleaved rounds
#   BENCH_PAM_CLIENTS   the concurrent client count besides 1 (default 4; 1 = only one)
#   BENCH_PAM_STACKS    default "permit:cold,oath:cold,pkgtoken:cold,permit:warm,oath:warm,pkgtoken:warm"
#   BENCH_PAM_OATH_DIR  where pam_oath's users files go (default: the temp dir); pam_oath
#                       fsyncs the file on every login, so the file system counts (/dev/shm: none)
#   PAM_MODULE          the module (default BUILDDIR/pam_pkgtoken/.libs/pam_pkgtoken.so)
#   DBUS_DAEMON         the dbus-daemon binary (default: from PATH)
#   KEEP_TMP=1          keep the temp dir and say where it is

if [ -z "${BASH_VERSION:-}" ]; then
        exec bash "$0" "$@"
fi
set -u

if [ $# -ne 1 ]; then
        echo "usage: $0 BUILDDIR" >&2
        exit 2
fi
BUILDDIR=$1
BENCH=$BUILDDIR/bench/bench-pam
PKGTOKEND=$BUILDDIR/pkgtokend/pkgtokend
PKGTOKENCTL=$BUILDDIR/pkgtokenctl/pkgtokenctl
: "${PAM_MODULE:=$BUILDDIR/pam_pkgtoken/.libs/pam_pkgtoken.so}"
: "${BENCH_PAM_SECONDS:=3}"
: "${BENCH_PAM_ROUNDS:=3}"
: "${BENCH_PAM_CLIENTS:=4}"
: "${BENCH_PAM_STACKS:=permit:cold,oath:cold,pkgtoken:cold,permit:warm,oath:warm,pkgtoken:warm}"
: "${DBUS_DAEMON:=dbus-daemon}"
[ "$DBUS_DAEMON" = no ] && DBUS_DAEMON=dbus-daemon
BUSCTL=busctl
TIMEOUT=30
GOAL=2      # pam_pkgtoken / pam_oath

die() {
        echo "bench-pam: $*" >&2
        exit 1
}

for p in "$BENCH" "$PKGTOKEND" "$PKGTOKENCTL"; do
        [ -x "$p" ] || die "$p not built"
done
[ -f "$PAM_MODULE" ] || die "$PAM_MODULE not built"
PAM_MODULE=$(cd "$(dirname "$PAM_MODULE")" && pwd)/$(basename "$PAM_MODULE")
for p in "$DBUS_DAEMON" "$BUSCTL" awk od; do
        command -v "$p" >/dev/null 2>&1 || die "$p not found"
done
case "$BENCH_PAM_SECONDS$BENCH_PAM_ROUNDS$BENCH_PAM_CLIENTS" in
*[!0-9]*) die "BENCH_PAM_SECONDS, BENCH_PAM_ROUNDS and BENCH_PAM_CLIENTS must be positive integers" ;;
esac
if [ "$BENCH_PAM_SECONDS" -lt 1 ] || [ "$BENCH_PAM_ROUNDS" -lt 1 ] || [ "$BENCH_PAM_CLIENTS" -lt 1 ]; then
        die "BENCH_PAM_SECONDS, BENCH_PAM_ROUNDS and BENCH_PAM_CLIENTS must be positive"
fi

# Linux-PAM's pam_permit and Debian's pam_oath (libpam-oath), by absolute path.
find_module() {
        local d
        for d in /usr/lib/*-linux-gnu/security /lib/*-linux-gnu/security /usr/lib64/security \
                 /lib64/security /usr/lib/security /lib/security; do
                if [ -f "$d/$1" ]; then
                        echo "$d/$1"
                        return 0
                fi
        done
        return 1
}
PAM_PERMIT=$(find_module pam_permit.so) || die "pam_permit.so not found (apt-get install libpam-modules)"
PAM_OATH=$(find_module pam_oath.so) || die "pam_oath.so not found (apt-get install libpam-oath)"

# Never reach the host's buses, whatever a program falls back to.
unset DBUS_STARTER_ADDRESS DBUS_STARTER_BUS_TYPE PKGTOKEN_BUS_ADDRESS
export LC_ALL=C

# ---------------------------------------------------------------------------------------------
# Temp dir, processes, cleanup

tmp_parent=${TMPDIR:-/tmp}
[ ${#tmp_parent} -gt 60 ] && tmp_parent=/tmp   # unix socket paths are short
TMP=$(mktemp -d "$tmp_parent/pkgtoken-bench-pam.XXXXXX") || die "cannot create a temp dir"
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$TMP/no-system-bus"
export DBUS_SESSION_BUS_ADDRESS="unix:path=$TMP/no-session-bus"

BUS_PID=
DAEMON_PID=
OATH_DIR=

process_alive() {
        local state
        [ -n "$1" ] || return 1
        state=$(sed -n 's/^.*) \([A-Za-z]\).*$/\1/p' "/proc/$1/stat" 2>/dev/null) || return 1
        [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# stop_pid PID: SIGTERM, a bounded wait, then SIGKILL; reaps it.  Sets STOP_RC.
stop_pid() {
        local pid=$1 i
        STOP_RC=0
        [ -n "$pid" ] || return 0
        if process_alive "$pid"; then
                kill -TERM "$pid" 2>/dev/null
                for ((i = 0; i < TIMEOUT * 20; i++)); do
                        process_alive "$pid" || break
                        sleep 0.05
                done
                if process_alive "$pid"; then
                        echo "bench-pam: process $pid ignored SIGTERM for ${TIMEOUT}s: SIGKILL" >&2
                        kill -KILL "$pid" 2>/dev/null
                fi
        fi
        wait "$pid" 2>/dev/null || STOP_RC=$?
        return 0
}

cleanup() {
        local rc=$?
        trap - EXIT INT TERM HUP
        stop_pid "$DAEMON_PID"
        stop_pid "$BUS_PID"
        if [ -n "${KEEP_TMP:-}" ]; then
                echo "bench-pam: kept $TMP${OATH_DIR:+ and $OATH_DIR}" >&2
        else
                rm -rf "$TMP"
                [ -n "${BENCH_PAM_OATH_DIR:-}" ] && [ -n "${OATH_DIR:-}" ] && rm -rf "$OATH_DIR"
        fi
        exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

show_log() {
        [ -s "$2" ] || return 0
        echo "bench-pam: $1:" >&2
        tail -n 30 "$2" | sed -e 's/^/    /' >&2
}

# ---------------------------------------------------------------------------------------------
# The private bus and pkgtokend

start_bus() {
        local i
        cat >"$TMP/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=$TMP/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow send_type="method_call"/>
    <allow send_type="method_return"/>
    <allow send_type="error"/>
    <allow send_type="signal"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
  </policy>
</busconfig>
EOF
        : >"$TMP/bus.address"
        "$DBUS_DAEMON" --config-file="$TMP/bus.conf" --nofork --nopidfile \
                --print-address=3 3>"$TMP/bus.address" </dev/null >"$TMP/dbus-daemon.log" 2>&1 &
        BUS_PID=$!
        ADDRESS=
        for ((i = 0; i < TIMEOUT * 20; i++)); do
                if grep -q 'guid=' "$TMP/bus.address" 2>/dev/null; then
                        ADDRESS=$(head -n 1 "$TMP/bus.address")
                        break
                fi
                process_alive "$BUS_PID" || break
                sleep 0.05
        done
        if [ -z "$ADDRESS" ]; then
                show_log "dbus-daemon output" "$TMP/dbus-daemon.log"
                die "the private dbus-daemon did not start"
        fi
}

ping_daemon() {
        "$BUSCTL" --address="$ADDRESS" --timeout=2 call \
                org.pkgtoken1 /org/pkgtoken1 org.freedesktop.DBus.Peer Ping >/dev/null 2>&1
}

# Its own settings, never the host's: nothing here guesses, but be sure no limit is hit.
start_daemon() {
        local i
        printf '[Manager]\nPasswordCost=1\nTokenGuessLimit=1000000\nLockoutThreshold=1000\n' >"$TMP/pkgtokend.conf"
        mkdir -m 0700 "$TMP/state" || die "cannot create $TMP/state"
        "$PKGTOKEND" --state-dir="$TMP/state" --bus-address="$ADDRESS" --config="$TMP/pkgtokend.conf" \
                </dev/null >"$TMP/pkgtokend.log" 2>&1 &
        DAEMON_PID=$!
        for ((i = 0; i < TIMEOUT * 20; i++)); do
                if ! process_alive "$DAEMON_PID"; then
                        stop_pid "$DAEMON_PID"
                        DAEMON_PID=
                        show_log "pkgtokend output" "$TMP/pkgtokend.log"
                        die "pkgtokend exited with status $STOP_RC while starting"
                fi
                ping_daemon && return 0
                sleep 0.05
        done
        show_log "pkgtokend output" "$TMP/pkgtokend.log"
        die "pkgtokend did not answer a Ping within ${TIMEOUT}s"
}

ctl() {
        "$PKGTOKENCTL" --bus-address="$ADDRESS" "$@"
}

# ---------------------------------------------------------------------------------------------
# Setup

echo "bench-pam: ${BENCH_PAM_SECONDS}s per stack in ${BENCH_PAM_ROUNDS} rounds, 1 and $BENCH_PAM_CLIENTS client(s); $(nproc) CPUs" >&2
start_bus
start_daemon

# pam_pkgtoken: a service account with a read-only token for one package.
ctl account add bench --kind=service >/dev/null || die "cannot create the account"
ctl package add bench-pkg --policy=none --maintainer=bench >/dev/null || die "cannot create the package"
umask 077
ctl --json token create bench --type=read-only --package=bench-pkg --description="bench-pam" \
        >"$TMP/token.json" || die "cannot create the token"
sed -n 's/.*"token" *: *"\(pkgt_[0-9A-Za-z]*\)".*/\1/p' "$TMP/token.json" >"$TMP/token"
[ -s "$TMP/token" ] || die "no token in: $(cat "$TMP/token.json")"
umask 022

# pam_oath: HOTP users oath0..N with a random key, counters from 0.
KEY=$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')
[ ${#KEY} -eq 40 ] || die "cannot read a random key"
if command -v oathtool >/dev/null 2>&1; then
        for c in 0 1 12345; do
                [ "$("$BENCH" hotp "$KEY" "$c")" = "$(oathtool --hotp -c "$c" "$KEY")" ] ||
                        die "bench-pam's HOTP code for counter $c differs from oathtool's"
        done
fi
# One users file per client: Debian 12's liboath gives up on a shared file's lock when two
# logins update it at once, and the login fails (OATH_FILE_LOCK_ERROR).
if [ -n "${BENCH_PAM_OATH_DIR:-}" ]; then
        OATH_DIR=$(mktemp -d "$BENCH_PAM_OATH_DIR/pkgtoken-bench-oath.XXXXXX") || die "cannot create a dir in $BENCH_PAM_OATH_DIR"
else
        OATH_DIR=$TMP/oath
        mkdir "$OATH_DIR" || die "cannot create $OATH_DIR"
fi
write_users_files() {
        local i
        for ((i = 0; i < BENCH_PAM_CLIENTS; i++)); do
                printf 'HOTP oath%d - %s\n' "$i" "$KEY" >"$OATH_DIR/users-$i"
                chmod 0600 "$OATH_DIR/users-$i"
        done
}

# The services, every module by absolute path (bench-pam pins them for the warm runs).
mkdir "$TMP/pam.d" || die "cannot create $TMP/pam.d"
printf 'auth required %s\naccount required %s\n' "$PAM_PERMIT" "$PAM_PERMIT" >"$TMP/pam.d/permit"
for ((i = 0; i < BENCH_PAM_CLIENTS; i++)); do
        printf 'auth required %s usersfile=%s window=5 digits=6\naccount required %s\n' \
                "$PAM_OATH" "$OATH_DIR/users-$i" "$PAM_PERMIT" >"$TMP/pam.d/oath-$i"
done
printf 'auth required %s bus=%s action=read package=bench-pkg\naccount required %s bus=%s\n' \
        "$PAM_MODULE" "$ADDRESS" "$PAM_MODULE" "$ADDRESS" >"$TMP/pam.d/pkgtoken"

# ---------------------------------------------------------------------------------------------
# Measure

declare -A RATE RMIN RMAX US CCPU DCPU BCPU
field() {
        printf '%s\n' "$2" | sed -n "s/.* $1=\([0-9.]*\).*/\1/p"
}

# measure CLIENTS
measure() {
        local clients=$1 out line k
        echo "  $clients client(s)..." >&2
        write_users_files
        if ! out=$(BENCH_DAEMON_PID=$DAEMON_PID BENCH_BUS_PID=$BUS_PID "$BENCH" run "$TMP/pam.d" \
                "$BENCH_PAM_SECONDS" "$BENCH_PAM_ROUNDS" "$clients" "$BENCH_PAM_STACKS" "$KEY" "$TMP/token" \
                2>"$TMP/run.err"); then
                cat "$TMP/run.err" >&2
                show_log "pkgtokend output" "$TMP/pkgtokend.log"
                die "measuring with $clients client(s) failed"
        fi
        process_alive "$DAEMON_PID" || {
                show_log "pkgtokend output" "$TMP/pkgtokend.log"
                die "pkgtokend died while being measured"
        }
        while IFS= read -r line; do
                k=$(printf '%s\n' "$line" | sed -n 's/^stack=\([a-z]*\) mode=\([a-z]*\) .*/\1:\2/p')
                [ -n "$k" ] || die "cannot parse: $line"
                k=$clients/$k
                RATE[$k]=$(field rate "$line")
                RMIN[$k]=$(field rate_min "$line")
                RMAX[$k]=$(field rate_max "$line")
                US[$k]=$(field us_per_auth "$line")
                CCPU[$k]=$(field client_cpu_us "$line")
                DCPU[$k]=$(field daemon_cpu_us "$line")
                BCPU[$k]=$(field bus_cpu_us "$line")
        done <<<"$out"
}

t_start=$(date +%s)
client_counts=1
[ "$BENCH_PAM_CLIENTS" -gt 1 ] && client_counts="1 $BENCH_PAM_CLIENTS"
for c in $client_counts; do
        measure "$c"
done
stop_pid "$DAEMON_PID"
DAEMON_PID=

# ---------------------------------------------------------------------------------------------
# Report

ratio() {
        awk -v a="${1:-}" -v b="${2:-}" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'
}

echo
echo "PAM authentications/s, one nginx-style transaction each (pam_start_confdir, RHOST, REQUEST,"
echo "authenticate, acct_mgmt, end); cold: modules loaded per transaction (nginx), warm: kept loaded"
echo
fmt='%-8s %-9s %-5s %9s %15s %9s %10s %10s %10s\n'
# shellcheck disable=SC2059
printf "$fmt" clients stack mode 'auths/s' 'min-max' 'us/auth' 'client us' 'daemon us' 'bus us'
IFS=, read -r -a stacks <<<"$BENCH_PAM_STACKS"
for c in $client_counts; do
        for s in "${stacks[@]}"; do
                k=$c/$s
                [ -n "${RATE[$k]:-}" ] || continue
                # shellcheck disable=SC2059
                printf "$fmt" "$c" "${s%%:*}" "${s#*:}" "${RATE[$k]}" "${RMIN[$k]}-${RMAX[$k]}" "${US[$k]}" \
                        "${CCPU[$k]}" "${DCPU[$k]:--}" "${BCPU[$k]:--}"
        done
done
echo
echo "(client/daemon/bus us: CPU time per authentication of the PAM clients, pkgtokend, dbus-daemon)"
echo
for c in $client_counts; do
        for mode in cold warm; do
                k=$c/pkgtoken:$mode
                [ -n "${RATE[$k]:-}" ] || continue
                r_oath=$(ratio "${RATE[$k]}" "${RATE[$c/oath:$mode]:-}")
                r_permit=$(ratio "${RATE[$k]}" "${RATE[$c/permit:$mode]:-}")
                verdict=$(awk -v v="$r_oath" -v g="$GOAL" 'BEGIN { if (v == "-") print "n/a"; else print (v + 0 >= g) ? "met" : "MISSED" }')
                printf '%s client(s), %s: pkgtoken/oath %s (goal >= %sx: %s), pkgtoken/permit %s\n' \
                        "$c" "$mode" "$r_oath" "$GOAL" "$verdict" "$r_permit"
        done
done
echo
echo "bench-pam: done in $(($(date +%s) - t_start)) s"
