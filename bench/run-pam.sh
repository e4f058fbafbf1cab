#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench/run-pam.sh BUILDDIR: PAM authentications/s through pam_pkgtoken with a token, side by
# side in one run with pam_oath (HOTP users file, Debian's libpam-oath) and the bare framework
# (pam_permit), each as nginx's auth_pam uses PAM: one transaction per request (see
# bench/bench-pam.c).  The goals: pam_pkgtoken at least 2x pam_oath over the bus, and 5x over
# pkgtokend's direct socket (direct=yes: no dbus-daemon in between).
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
#   BENCH_PAM_STACKS    default "permit:cold,oath:cold,pkgtoken:cold,direct:cold,permit:warm,oath:warm,
#                       pkgtoken:warm,direct:warm" (pkgtoken: on the bus; direct: the direct socket)
#   BENCH_PAM_OATH_DIR  where pam_oath's users files go (default: the temp dir); pam_oath
#                       fsyncs the file on every login, so the file system counts (/dev/shm: none)
#   PAM_MODULE          the module (default BUILDDIR/pam_pkgtoken/.libs/pam_pkgtoken.so)
#   DBUS_DAEMON         the dbus-daemon binary (default: from PATH)
#   KEEP_TMP=1          keep the temp dir and say where it is

[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck disable=SC2034 # read by lib.sh
BENCH_NAME=bench-pam
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"   # takes BUILDDIR from the arguments
BENCH=$BUILDDIR/bench/bench-pam
: "${PAM_MODULE:=$BUILDDIR/pam_pkgtoken/.libs/pam_pkgtoken.so}"
: "${BENCH_PAM_SECONDS:=3}"
: "${BENCH_PAM_ROUNDS:=3}"
: "${BENCH_PAM_CLIENTS:=4}"
: "${BENCH_PAM_STACKS:=permit:cold,oath:cold,pkgtoken:cold,direct:cold,permit:warm,oath:warm,pkgtoken:warm,direct:warm}"
# pam_pkgtoken / pam_oath, over the bus and over the direct socket
declare -A GOAL=([pkgtoken]=2 [direct]=5)

need_programs "$BENCH" "$PKGTOKEND" "$PKGTOKENCTL" "$DBUS_DAEMON" "$BUSCTL" awk od
[ -f "$PAM_MODULE" ] || die "$PAM_MODULE not built"
PAM_MODULE=$(cd "$(dirname "$PAM_MODULE")" && pwd)/$(basename "$PAM_MODULE")
need_positive BENCH_PAM_SECONDS BENCH_PAM_ROUNDS BENCH_PAM_CLIENTS

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

# ---------------------------------------------------------------------------------------------
# Setup

echo "bench-pam: ${BENCH_PAM_SECONDS}s per stack in ${BENCH_PAM_ROUNDS} rounds, 1 and $BENCH_PAM_CLIENTS client(s); $(nproc) CPUs" >&2
bench_start_bus
# Its own settings, never the host's: nothing here guesses, but be sure no limit is hit.
DIRECT=$TMP/direct.sock
write_config "$TMP/pkgtokend.conf" PasswordCost=1 TokenGuessLimit=1000000 LockoutThreshold=1000 "DirectSocket=$DIRECT"
bench_start_daemon "$TMP/state" "$TMP/pkgtokend.conf"

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
        CLEANUP_DIRS+=("$OATH_DIR")
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
# pkgtoken: on the bus only (bus= without direct_socket=); direct: on the direct socket only.
printf 'auth required %s bus=%s action=read package=bench-pkg\naccount required %s bus=%s\n' \
        "$PAM_MODULE" "$ADDRESS" "$PAM_MODULE" "$ADDRESS" >"$TMP/pam.d/pkgtoken"
printf 'auth required %s direct=yes direct_socket=%s action=read package=bench-pkg\naccount required %s direct=yes direct_socket=%s\n' \
        "$PAM_MODULE" "$DIRECT" "$PAM_MODULE" "$DIRECT" >"$TMP/pam.d/direct"

# ---------------------------------------------------------------------------------------------
# Measure

# measure CLIENTS: the results in R[CLIENTS/STACK:MODE/FIELD].
measure() {
        local clients=$1 line k
        echo "  $clients client(s)..." >&2
        write_users_files
        bench_run "measuring with $clients client(s)" "$BENCH" run "$TMP/pam.d" "$BENCH_PAM_SECONDS" \
                "$BENCH_PAM_ROUNDS" "$clients" "$BENCH_PAM_STACKS" "$KEY" "$TMP/token"
        while IFS= read -r line; do
                k=$(printf '%s\n' "$line" | sed -n 's/^stack=\([a-z]*\) mode=\([a-z]*\) .*/\1:\2/p')
                [ -n "$k" ] || die "cannot parse: $line"
                store_fields "$clients/$k" "$line" rate rate_min rate_max us_per_auth client_cpu_us daemon_cpu_us \
                        bus_cpu_us
        done <<<"$BENCH_OUT"
}

t_start=$(date +%s)
client_counts=1
[ "$BENCH_PAM_CLIENTS" -gt 1 ] && client_counts="1 $BENCH_PAM_CLIENTS"
for c in $client_counts; do
        measure "$c"
done
stop_daemon

# ---------------------------------------------------------------------------------------------
# Report

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
                [ -n "${R[$k/rate]:-}" ] || continue
                # shellcheck disable=SC2059
                printf "$fmt" "$c" "${s%%:*}" "${s#*:}" "${R[$k/rate]}" "${R[$k/rate_min]}-${R[$k/rate_max]}" "${R[$k/us_per_auth]}" \
                        "${R[$k/client_cpu_us]}" "${R[$k/daemon_cpu_us]:--}" "${R[$k/bus_cpu_us]:--}"
        done
done
echo
echo "(client/daemon/bus us: CPU time per authentication of the PAM clients, pkgtokend, dbus-daemon)"
echo
for c in $client_counts; do
        for mode in cold warm; do
                for stack in pkgtoken direct; do
                        k=$c/$stack:$mode
                        [ -n "${R[$k/rate]:-}" ] || continue
                        r_oath=$(ratio "${R[$k/rate]}" "${R[$c/oath:$mode/rate]:-}")
                        r_permit=$(ratio "${R[$k/rate]}" "${R[$c/permit:$mode/rate]:-}")
                        verdict=$(at_least "$r_oath" "${GOAL[$stack]}")
                        printf '%s client(s), %s: %s/oath %s (goal >= %sx: %s), %s/permit %s\n' \
                                "$c" "$mode" "$stack" "$r_oath" "${GOAL[$stack]}" "$verdict" "$stack" "$r_permit"
                done
                r=$(ratio "${R[$c/direct:$mode/rate]:-}" "${R[$c/pkgtoken:$mode/rate]:-}")
                [ "$r" = - ] || printf '%s client(s), %s: direct/bus %s\n' "$c" "$mode" "$r"
        done
done
echo
echo "bench-pam: done in $(($(date +%s) - t_start)) s"
