#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench/run.sh BUILDDIR: the Authorize and login benchmarks, run by `make bench`.
#
# Not a test: it prints calls/s and their ratio to a bare round trip (org.freedesktop.DBus.Peer
# Ping, answered by sd-bus inside the same pkgtokend) measured in the same run, and says
# which goals are met.  It exits non-zero only when something is broken (a wrong answer, a
# daemon that does not start), never because something was slow.
#
# The login part (bench/bench-login.c, about 75 s with the defaults) measures, with one more
# pkgtokend on an empty state directory, Authorize latency (p50/p99) alone and during a burst
# of password logins (Authenticate with the right password, and for unknown accounts, at
# libxcrypt's default yescrypt cost), the goal being at most 2x; and Authenticate answers/s
# for password only, unknown accounts (the dummy hash) and password + TOTP.  Its Authorize
# client sends on a fixed schedule (open loop), see BENCH_LOGIN_AUTHZ_RATE.
#
# Everything happens in a temp dir: a private dbus-daemon on a unix socket there (never the
# system or session bus), one pkgtokend per database size and one for logins.  Every process is started and
# stopped by PID; the temp dir is removed on exit.
#
# Environment:
#   BENCH_SECONDS   seconds each mode is measured (default 5), split into BENCH_ROUNDS
#                   (default 5) rounds that interleave the modes
#   BENCH_SIZES     token counts in the database (default "1000 100000 1000000")
#   BENCH_CLIENTS   concurrent client counts (default "1 4")
#   BENCH_MODES     what to measure (default "ping valid unknown malformed"; ping is always run)
#   BENCH_TRANSPORTS  how the clients reach pkgtokend (default "bus direct"): through the private
#                   dbus-daemon, and on pkgtokend's direct socket (DirectSocket=, peer-to-peer)
#   BENCH_PARTS     which benchmarks (default "authorize login")
#   BENCH_LOGIN_SECONDS  seconds each login mode is measured (default 6), split into
#                   BENCH_LOGIN_ROUNDS (default 6) interleaved rounds; 3 + 2 x bursts modes
#   BENCH_LOGIN_BURSTS   concurrent login clients during which Authorize latency is measured
#                   (default "4 16")
#   BENCH_LOGIN_CLIENTS  concurrent clients for the Authenticate answers/s (default 4)
#   BENCH_LOGIN_AUTHZ_RATE  Authorize calls/s sent by the latency client on a fixed schedule
#                   (default 2000); 0 makes it wait for each answer instead (closed loop)
#   DBUS_DAEMON     the dbus-daemon binary (default: from PATH)
#   KEEP_TMP=1      keep the temp dir and say where it is

# The table formats are kept in variables:
# shellcheck disable=SC2059

[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck disable=SC2034 # read by lib.sh
BENCH_NAME=bench
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"   # takes BUILDDIR from the arguments
BENCH=$BUILDDIR/bench/bench-authorize
BENCH_LOGIN=$BUILDDIR/bench/bench-login
: "${BENCH_SECONDS:=5}"
: "${BENCH_ROUNDS:=5}"
export BENCH_ROUNDS
: "${BENCH_SIZES:=1000 100000 1000000}"
: "${BENCH_CLIENTS:=1 4}"
: "${BENCH_MODES:=ping valid unknown malformed}"
: "${BENCH_TRANSPORTS:=bus direct}"
: "${BENCH_PARTS:=authorize login}"
: "${BENCH_LOGIN_SECONDS:=6}"
: "${BENCH_LOGIN_ROUNDS:=6}"
: "${BENCH_LOGIN_BURSTS:=4 16}"
: "${BENCH_LOGIN_CLIENTS:=4}"

need_programs "$BENCH" "$PKGTOKEND" "$DBUS_DAEMON" "$BUSCTL" awk
need_positive BENCH_SECONDS BENCH_ROUNDS BENCH_SIZES BENCH_CLIENTS BENCH_LOGIN_SECONDS BENCH_LOGIN_ROUNDS \
        BENCH_LOGIN_CLIENTS BENCH_LOGIN_BURSTS
run_authorize=false
run_login=false
for p in $BENCH_PARTS; do
        case "$p" in
        authorize) run_authorize=true ;;
        login) run_login=true ;;
        *) die "unknown part '$p' in BENCH_PARTS (authorize, login)" ;;
        esac
done
if $run_login && [ ! -x "$BENCH_LOGIN" ]; then
        # Until the Makefile builds it for `make bench`, say so rather than fail the rest.
        echo "bench: $BENCH_LOGIN not built (make bench/bench-login): the login benchmark is skipped" >&2
        run_login=false
        login_skipped=yes
fi
for t in $BENCH_TRANSPORTS; do
        case "$t" in
        bus | direct) ;;
        *) die "unknown transport '$t' in BENCH_TRANSPORTS (bus, direct)" ;;
        esac
done
modes=ping
for m in $BENCH_MODES; do
        case "$m" in
        ping) ;;
        valid | unknown | malformed) modes="$modes $m" ;;
        *) die "unknown mode '$m' in BENCH_MODES" ;;
        esac
done
# bench-login's knob for profiling one mode: the report here needs them all.
unset BENCH_LOGIN_MODES

# Its own settings, never the host's /etc/pkgtoken/pkgtokend.conf: unknown and malformed
# tokens are guesses to pkgtokend, and the bench makes hundreds of thousands a minute; the
# login bench fails thousands of passwords a minute (each unknown-account name only a few
# times).  PasswordCost stays unset: libxcrypt's default yescrypt cost, as in production.
CONFIG=$TMP/pkgtokend.conf
DIRECT=$TMP/direct.sock
write_config "$CONFIG" TokenGuessLimit=1000000 LockoutThreshold=1000 "DirectSocket=$DIRECT"

# ---------------------------------------------------------------------------------------------
# Measurements

# measure_login: a daemon of its own on an empty state directory (bench-login makes its
# accounts); the results in R[calibrate/rate], R[setup/...] and R[MODE/FIELD].
measure_login() {
        local line mode bursts
        bench_start_daemon "$TMP/state-login" "$CONFIG"
        echo "  login..." >&2
        # shellcheck disable=SC2086 # split on purpose: "4 16" → "4,16"
        bursts=$(echo $BENCH_LOGIN_BURSTS | tr ' ' ,)
        bench_run "the login benchmark" "$BENCH_LOGIN" run "$ADDRESS" "$BENCH_LOGIN_SECONDS" \
                "$BENCH_LOGIN_ROUNDS" "$bursts" "$BENCH_LOGIN_CLIENTS"
        bench_stop_daemon
        rm -rf "$TMP/state-login"
        while IFS= read -r line; do
                case "$line" in
                calibrate\ *) store_fields calibrate "$line" rate ;;
                setup\ *) store_fields setup "$line" otp_accounts seconds ;;
                mode=*)
                        mode=$(printf '%s\n' "$line" | sed -n 's/^mode=\([a-z0-9-]*\) .*/\1/p')
                        [ -n "$mode" ] || die "cannot parse: $line"
                        store_fields "$mode" "$line" login_clients authz_target authz_rate p50_us p99_us p999_us \
                                p50_ratio_min p50_ratio_max p99_ratio_min p99_ratio_max p99_ratio_median login_rate \
                                login_p50_ms login_p99_ms main_cpu_pct main_wait_pct workers_cpu_pct bus_cpu_pct \
                                other_cpu_pct steal_pct
                        ;;
                *) die "cannot parse: $line" ;;
                esac
        done <<<"$BENCH_OUT"
        for mode in idle login-pw login-unknown login-otp; do
                [ -n "${R[$mode/login_rate]:-}" ] || die "no result for $mode in: $BENCH_OUT"
        done
}

# ---------------------------------------------------------------------------------------------
# Run

t_start=$(date +%s)
if $run_authorize; then
        echo "bench: sizes $BENCH_SIZES; clients $BENCH_CLIENTS; modes $modes; ${BENCH_SECONDS}s per mode in ${BENCH_ROUNDS} rounds; $(nproc) CPUs" >&2
fi
if $run_login; then
        echo "bench: login: bursts of $BENCH_LOGIN_BURSTS, $BENCH_LOGIN_CLIENTS clients for answers/s; ${BENCH_LOGIN_SECONDS}s per mode in ${BENCH_LOGIN_ROUNDS} rounds" >&2
fi

bench_start_bus
echo "bench: private bus at $ADDRESS" >&2

$run_authorize || BENCH_SIZES=
for size in $BENCH_SIZES; do
        state=$TMP/state-$size
        tokens=$TMP/tokens-$size
        "$BENCH" populate "$state" "$size" "$tokens" >&2 || die "populating $size tokens failed"
        bench_start_daemon "$state" "$CONFIG"
        for clients in $BENCH_CLIENTS; do
                measure "$size" "$clients" "$tokens"
        done
        bench_stop_daemon
        rm -rf "$state" "$tokens"
done
$run_login && measure_login
elapsed=$(($(date +%s) - t_start))

# ---------------------------------------------------------------------------------------------
# Report

# table PREFIX: the calls/s table of one transport (PREFIX "" the bus, "direct/" the socket).
table() {
local prefix=$1 size clients mode k
fmt='%9s %7s  %-9s %8s %6s %11s %8s %8s   %6s %6s %6s\n'
printf "$fmt" tokens clients mode calls/s "x ping" "(min-max)" "p50 us" "p99 us" daemon bus client
printf "$fmt" --------- ------- --------- -------- ------ ----------- -------- -------- ------ ------ ------
for size in $BENCH_SIZES; do
        for clients in $BENCH_CLIENTS; do
                for mode in $modes; do
                        k=$prefix$size/$clients/$mode
                        [ -n "${R[$k/rate]:-}" ] || continue
                        printf "$fmt" "$size" "$clients" "$mode" "${R[$k/rate]}" \
                                "$(printf '%.2f' "${R[$k/ratio]}")" \
                                "$(printf '%.2f-%.2f' "${R[$k/ratio_min]}" "${R[$k/ratio_max]}")" "${R[$k/p50_us]}" "${R[$k/p99_us]}" \
                                "${R[$k/daemon_cpu_us]:--}" "${R[$k/bus_cpu_us]:--}" "${R[$k/client_cpu_us]:--}"
                done
        done
done
}

if $run_authorize; then
if [[ " $BENCH_TRANSPORTS " == *" bus "* ]]; then
echo
echo "Authorize over a private bus: calls/s and ratio to a bare Ping of the same daemon in the same run"
echo "(${BENCH_SECONDS}s per mode in ${BENCH_ROUNDS} interleaved rounds; synchronous calls, one bus connection per"
echo "client process; $(nproc) CPUs)"
echo
table ""
fi
if [[ " $BENCH_TRANSPORTS " == *" direct "* ]]; then
echo
echo "Authorize on pkgtokend's direct socket (peer-to-peer, no dbus-daemon): calls/s and ratio to a"
echo "bare Ping on the same socket, same daemon, same run; one connection per client process"
echo
table direct/
fi
echo
echo "x ping: the median over the rounds of calls/s divided by the Ping calls/s of the same round"
echo "on the same transport; (min-max): its range over the rounds, a measure of the noise.  Both"
echo "transports are measured in the same rounds: direct / bus is also taken round by round."
echo "daemon, bus, client: CPU time per call, in us, of pkgtokend, of dbus-daemon and of the"
echo "clients while the clock ran (the scheduler's count, to the ns).  When their sum times calls/s"
echo "reaches the number of CPUs, calls/s is bounded by the CPUs, not by the daemon alone."
echo "valid: tokens in steady use (their last-used times already recorded before the clock starts)."

echo
echo "Goals (a report, not a test):"
# shellcheck disable=SC2086 # split on purpose
smallest=$(printf '%s\n' $BENCH_SIZES | sort -n | head -n 1)
# shellcheck disable=SC2086
largest=$(printf '%s\n' $BENCH_SIZES | sort -n | tail -n 1)
gfmt='  %-76s %5s  %s\n'
for size in $BENCH_SIZES; do
        for clients in $BENCH_CLIENTS; do
                case $clients in
                1) goal=0.75 ;;
                *) goal=0.90 ;;
                esac
                for mode in valid unknown; do
                        [ -n "${R[$size/$clients/$mode/ratio]:-}" ] || continue
                        r=$(printf '%.2f' "${R[$size/$clients/$mode/ratio]}")
                        printf "$gfmt" "$mode, $size tokens, $clients client(s): >= ${goal} x ping" "$r" "$(at_least "$r" "$goal")"
                done
        done
done
if [ "$largest" != "$smallest" ]; then
        for clients in $BENCH_CLIENTS; do
                for mode in valid unknown; do
                        [ -n "${R[$largest/$clients/$mode/ratio]:-}" ] || continue
                        # Through the ratios to ping: each size has its own daemon and its own
                        # baseline, which takes a drift of the machine out.
                        r=$(ratio "${R[$largest/$clients/$mode/ratio]}" "${R[$smallest/$clients/$mode/ratio]}")
                        printf "$gfmt" "$mode, $clients client(s): $largest vs $smallest tokens >= 0.90" "$r" "$(at_least "$r" 0.90)"
                done
        done
fi
for size in $BENCH_SIZES; do
        for clients in $BENCH_CLIENTS; do
                if [ -z "${R[$size/$clients/unknown/ratio]:-}" ] || [ -z "${R[$size/$clients/valid/ratio]:-}" ]; then
                        continue
                fi
                r=$(ratio "${R[$size/$clients/unknown/ratio]}" "${R[$size/$clients/valid/ratio]}")
                printf "$gfmt" "unknown vs valid calls/s, $size tokens, $clients client(s): >= 0.97" "$r" "$(at_least "$r" 0.97)"
        done
done
echo "  (unknown vs valid allows 3 % for noise: \"no more expensive\" within what this can measure)"
# cpu_over KEY MODE BASE: pkgtokend's CPU us per call of MODE minus per call of BASE, or "-".
cpu_over() {
        awk -v a="${R[$1/$2/daemon_cpu_us]:-}" -v b="${R[$1/$3/daemon_cpu_us]:-}" \
                'BEGIN { if (a == "" || b == "") print "-"; else printf "%.1f", a - b }'
}
if [[ " $BENCH_TRANSPORTS " == *" direct "* ]]; then
        echo
        echo "Goals (the direct socket; a report, not a test):"
        for size in $BENCH_SIZES; do
                for clients in $BENCH_CLIENTS; do
                        d=direct/$size/$clients
                        for mode in valid unknown ping; do
                                r=$(printf '%.2f' "${R[$d/$mode/vs_first]:-0}")
                                [ -n "${R[$d/$mode/vs_first]:-}" ] || r=-
                                if [ "$mode" = ping ]; then
                                        printf "$gfmt" "  (the transport itself: bare Ping, direct / bus)" "$r" ""
                                else
                                        printf "$gfmt" "$mode, $size tokens, $clients client(s): direct / bus calls/s >= 2" "$r" \
                                                "$(at_least "$r" 2)"
                                fi
                        done
                        r=$(cpu_over "$d" valid ping)
                        printf "$gfmt" "valid, $size tokens, $clients client(s): pkgtokend CPU us per Authorize - per Ping <= 5" \
                                "$r" "$(at_most "$r" 5)"
                        # Where that goes: sd-bus's part (an Authorize whose token is malformed,
                        # refused before any token work, against the Ping sd-bus answers alone)
                        # and the token's own (hashing, the lookup, the decision, the last use).
                        printf "$gfmt" "  of which sd-bus's Authorize call (malformed - Ping)" "$(cpu_over "$d" malformed ping)" ""
                        printf "$gfmt" "  and the token's own work (valid - malformed)" "$(cpu_over "$d" valid malformed)" ""
                        [ "$clients" = 1 ] || continue
                        r=$(printf '%.2f' "${R[$d/valid/ratio]}")
                        printf "$gfmt" "valid, $size tokens, 1 client: direct Authorize >= 0.85 x direct Ping" "$r" "$(at_least "$r" 0.85)"
                        r=$(ratio "${R[$d/unknown/ratio]:-}" "${R[$d/valid/ratio]:-}")
                        printf "$gfmt" "unknown vs valid calls/s (direct), $size tokens, 1 client: >= 0.97" "$r" "$(at_least "$r" 0.97)"
                done
        done
        if [ "$largest" != "$smallest" ]; then
                for clients in $BENCH_CLIENTS; do
                        r=$(ratio "${R[direct/$largest/$clients/valid/ratio]:-}" "${R[direct/$smallest/$clients/valid/ratio]:-}")
                        printf "$gfmt" "valid (direct), $clients client(s): $largest vs $smallest tokens >= 0.90" "$r" "$(at_least "$r" 0.90)"
                done
        fi
        echo "  (CPU per call: with one client pkgtokend sleeps and is woken for every call, and what that"
        echo "  costs moves with the machine's load and with how long it slept; with several clients one"
        echo "  wake-up serves several calls, so the difference is nearer the methods' own cost)"
fi
fi

if $run_login; then
        echo
        echo "Authorize latency, alone and during a burst of password logins (one pkgtokend, yescrypt at"
        echo "libxcrypt's default cost; N login clients making synchronous calls; ${BENCH_LOGIN_SECONDS}s per mode in"
        echo "${BENCH_LOGIN_ROUNDS} interleaved rounds; $(nproc) CPUs).  Authorize: one bus connection, $(awk -v t="${R[idle/authz_target]}" \
                'BEGIN { if (t == 0) print "synchronous calls (closed loop)"; else printf "%d calls/s sent on schedule", t }')"
        if [ "${R[idle/authz_target]}" != 0 ]; then
                echo "(open loop: each call's latency counts from when it was due, so that a stall of the daemon"
                echo "shows in every call that arrives during it, as for a registry's many independent callers)."
        fi
        echo
        fmt='%-17s %6s %8s %7s %7s %8s %6s %6s %16s %8s   %5s %5s %7s %5s %6s\n'
        printf "$fmt" mode logins authz/s "p50 us" "p99 us" "p99.9 us" "p50 x" "p99 x" "(rounds: med,rng)" logins/s loop wait workers bus others
        printf "$fmt" ----------------- ------ -------- ------- ------- -------- ------ ------ ---------------- -------- ----- ----- ------- ----- ------
        lmodes="idle"
        for n in $BENCH_LOGIN_BURSTS; do
                lmodes="$lmodes burst-pw-$n burst-unknown-$n"
        done
        for mode in $lmodes; do
                [ -n "${R[$mode/p50_us]:-}" ] || continue
                r50=$(ratio "${R[$mode/p50_us]}" "${R[idle/p50_us]}")
                r99=$(ratio "${R[$mode/p99_us]}" "${R[idle/p99_us]}")
                if [ "$mode" = idle ]; then
                        range=
                        lr=-
                else
                        range=$(printf '%.2f %.2f-%.2f' "${R[$mode/p99_ratio_median]}" "${R[$mode/p99_ratio_min]}" \
                                "${R[$mode/p99_ratio_max]}")
                        lr=$(printf '%.1f' "${R[$mode/login_rate]}")
                fi
                printf "$fmt" "$mode" "${R[$mode/login_clients]}" "${R[$mode/authz_rate]}" "${R[$mode/p50_us]}" \
                        "${R[$mode/p99_us]}" "${R[$mode/p999_us]}" "$r50" "$r99" "$range" "$lr" "${R[$mode/main_cpu_pct]:--}" \
                        "${R[$mode/main_wait_pct]:--}" "${R[$mode/workers_cpu_pct]:--}" "${R[$mode/bus_cpu_pct]:--}" \
                        "${R[$mode/other_cpu_pct]:--}"
        done
        echo
        echo "p50 x, p99 x: the percentile over all rounds divided by idle's; (rounds): p99 x per round,"
        echo "median and min-max, a measure of the noise.  loop, wait: pkgtokend's event loop thread on a"
        echo "CPU, and runnable but waiting for one; workers: its hashing threads; bus: dbus-daemon; in % of"
        echo "one CPU over the slices' wall time (from /proc/PID/task/*/schedstat); others: the CPU time of"
        echo "every process outside the bench (from /proc/stat): when it is high, the figures are noise."
        echo
        echo "Authenticate answers/s, $BENCH_LOGIN_CLIENTS concurrent clients, no Authorize traffic:"
        echo
        fmt='%-15s %-42s %9s %7s %7s %6s %7s %6s\n'
        printf "$fmt" mode answer answers/s "p50 ms" "p99 ms" "x pw" workers others
        printf "$fmt" --------------- ------------------------------------------ --------- ------- ------- ------ ------- ------
        for mode in login-pw login-unknown login-otp; do
                case $mode in
                login-pw) what='"ok": password, account without 2FA' ;;
                login-unknown) what='"bad-credentials": unknown account (dummy)' ;;
                login-otp) what='"ok": password + TOTP, account with 2FA' ;;
                esac
                printf "$fmt" "$mode" "$what" "$(printf '%.1f' "${R[$mode/login_rate]}")" "${R[$mode/login_p50_ms]}" \
                        "${R[$mode/login_p99_ms]}" "$(ratio "${R[$mode/login_rate]}" "${R[login-pw/login_rate]}")" \
                        "${R[$mode/workers_cpu_pct]:--}" "${R[$mode/other_cpu_pct]:--}"
        done
        echo
        echo "Every answer was checked (\"ok\" or \"bad-credentials\" as listed; anything else fails the run)."
        echo "login-otp used ${R[setup/otp_accounts]} accounts with 2FA (enrolled with EnrollTOTP/ConfirmTOTP in ${R[setup/seconds]}s,"
        echo "sized from a calibration of ${R[calibrate/rate]} logins/s): each code is accepted once, so every call used an"
        echo "(account, TOTP step) pair no call used before."

        echo
        echo "Goals (login; a report, not a test):"
        gfmt='  %-62s %5s  %s\n'
        for mode in $lmodes; do
                [ "$mode" = idle ] && continue
                [ -n "${R[$mode/p50_us]:-}" ] || continue
                for p in p50 p99; do
                        r=$(ratio "${R[$mode/${p}_us]}" "${R[idle/${p}_us]}")
                        printf "$gfmt" "Authorize $p during $mode <= 2 x idle" "$r" "$(at_most "$r" 2)"
                done
        done
        r=$(ratio "${R[login-unknown/login_rate]}" "${R[login-pw/login_rate]}")
        printf "$gfmt" "unknown account vs password-only answers/s within 10 %" "$r" \
                "$(awk -v v="$r" 'BEGIN { if (v == "-") print "n/a"; else print (v >= 0.9 && v <= 1.1) ? "met" : "MISSED" }')"
        echo "  (the same cost for unknown accounts is what keeps them from being told apart)"
        noisy=$(for k in "${!R[@]}"; do
                case $k in */other_cpu_pct) printf '%s\n' "${R[$k]}" ;; esac
        done | awk '$1 > 10 { n++ } END { print n + 0 }')
        if [ "$noisy" -gt 0 ]; then
                echo "  NOTE: processes outside the bench used over 10 % of a CPU in $noisy mode(s) (\"others\"):"
                echo "  the machine was not quiet, so these figures carry its noise; run again when it is."
        fi
elif [ -n "${login_skipped:-}" ]; then
        echo
        echo "Login benchmark: SKIPPED ($BENCH_LOGIN not built)"
fi
echo
echo "Total time: ${elapsed}s"
