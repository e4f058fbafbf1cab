# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash disable=SC2034
# (SC2034: variables set here are read by the scripts that source this file.)
#
# Sourced by bench/run.sh and bench/run-pam.sh, with their arguments (BUILDDIR), after they set
# BENCH_NAME (the prefix of their messages).  The temp dir $TMP, the private dbus-daemon and pkgtokend, each
# started and stopped by PID, and the cleanup on exit come from tests/lib.sh (without its TAP
# output); this adds what only the benchmarks need: failing at once with a message, checking
# the knobs, running a bench program against the daemon, and reading and comparing its
# "key=value ..." lines.
#
# Not a test: a benchmark exits non-zero only when something is broken (a wrong answer, a
# daemon that does not start), never because something was slow.

if [ $# -ne 1 ]; then
        echo "usage: $0 BUILDDIR" >&2
        exit 2
fi
BUILDDIR=$1
top_srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
top_builddir=$BUILDDIR
PKGTOKEND=$BUILDDIR/pkgtokend/pkgtokend
PKGTOKENCTL=$BUILDDIR/pkgtokenctl/pkgtokenctl
# A daemon with a million tokens takes a while to check its store before it answers.
: "${PKGTOKEN_TEST_TIMEOUT:=60}"
: "${DBUS_DAEMON:=dbus-daemon}"
[ "$DBUS_DAEMON" = no ] && DBUS_DAEMON=dbus-daemon

# shellcheck source=tests/lib.sh
. "$top_srcdir/tests/lib.sh"
no_tap
export LC_ALL=C

die() {
        echo "$BENCH_NAME: $*" >&2
        exit 1
}

# show_log LABEL FILE: the end of a log, on stderr.
show_log() {
        [ -s "$2" ] || return 0
        echo "$BENCH_NAME: $1:" >&2
        tail -n 30 "$2" | sed -e 's/^/    /' >&2
}

# need_programs PROGRAM...: built (a path) or on PATH, or die.
need_programs() {
        local p
        for p in "$@"; do
                case "$p" in
                */*) [ -x "$p" ] || die "$p not built" ;;
                *) command -v "$p" >/dev/null 2>&1 || die "$p not found" ;;
                esac
        done
}

# need_positive VAR...: each word of each VAR's value is a positive integer, or die.
need_positive() {
        local var n
        for var in "$@"; do
                [ -n "${!var// /}" ] || die "$var must name at least one number"
                for n in ${!var}; do
                        [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "$var must be positive integers, not '${!var}'"
                done
        done
}

# bench_start_bus: the private bus; sets ADDRESS.
bench_start_bus() {
        start_bus || die "the private dbus-daemon did not start"
        ADDRESS=$PKGTOKEN_BUS_ADDRESS
}

# bench_start_daemon STATE_DIR CONFIG: pkgtokend on the private bus, its log in $DAEMON_LOG.
bench_start_daemon() {
        STATE_DIR=$1
        start_daemon --config="$2" || die "pkgtokend did not start"
        # An SQLite store is checked in a thread after start-up, for seconds at a million tokens:
        # measured while it runs, the figures would be of the check, on a CPU the bench needs.
        if grep -q "integrity in the background" "$DAEMON_LOG"; then
                wait_for 600 grep -Eq "integrity check (passed|could not run)" "$DAEMON_LOG" || {
                        show_log "pkgtokend output" "$DAEMON_LOG"
                        die "pkgtokend's background integrity check did not end"
                }
        fi
}

# bench_stop_daemon: it must exit 0 on SIGTERM.
bench_stop_daemon() {
        stop_daemon
        if [ "$STOP_RC" -ne 0 ]; then
                show_log "pkgtokend output" "$DAEMON_LOG"
                die "pkgtokend exited with status $STOP_RC on SIGTERM"
        fi
}

# bench_run WHAT PROGRAM ARGS...: runs a bench program against the daemon (told the PIDs whose
# CPU time it reports), its output in BENCH_OUT; dies, with the daemon's log, unless it
# succeeded and the daemon is still alive.
bench_run() {
        local what=$1
        shift
        if ! BENCH_OUT=$(BENCH_DAEMON_PID=$DAEMON_PID BENCH_BUS_PID=$BUS_PID "$@" 2>"$TMP/bench.err"); then
                cat "$TMP/bench.err" >&2
                show_log "pkgtokend output" "$DAEMON_LOG"
                die "$what failed"
        fi
        if ! process_alive "$DAEMON_PID"; then
                show_log "pkgtokend output" "$DAEMON_LOG"
                die "pkgtokend died during $what"
        fi
}

# field NAME LINE: the value of NAME=... in a bench program's line ("" when absent).
field() {
        printf ' %s\n' "$2" | sed -n "s/.* $1=\([0-9A-Za-z._-]*\).*/\1/p"
}

# Results, keyed "WHERE/FIELD": R[1000/4/valid/rate], R[idle/p99_us], ...
declare -A R

# store_fields WHERE LINE FIELD...: R[WHERE/FIELD] for each FIELD of LINE.
store_fields() {
        local where=$1 line=$2 f
        shift 2
        for f in "$@"; do
                R[$where/$f]=$(field "$f" "$line")
        done
}

# ratio A B: A/B with two decimals ("-" when either is missing).
ratio() {
        awk -v a="${1:-}" -v b="${2:-}" 'BEGIN { if (a == "" || a == "-" || b == "" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'
}

# at_least VALUE MIN, at_most VALUE MAX: "met", "MISSED" or "n/a" (no value).
at_least() {
        awk -v v="${1:-}" -v m="$2" 'BEGIN { if (v == "-" || v == "") print "n/a"; else print (v + 0 >= m + 0) ? "met" : "MISSED" }'
}

at_most() {
        awk -v v="${1:-}" -v m="$2" 'BEGIN { if (v == "-" || v == "") print "n/a"; else print (v + 0 <= m + 0) ? "met" : "MISSED" }'
}

# measure SIZE CLIENTS TOKENS_FILE: every mode of $modes (bench-authorize, $BENCH) on every
# transport of $BENCH_TRANSPORTS (bus: $ADDRESS; direct: $DIRECT, the direct socket), all
# interleaved in rounds, in one run; the results in R[SIZE/CLIENTS/MODE/FIELD] (bus) or
# R[direct/SIZE/CLIENTS/MODE/FIELD]: calls/s, ratio to ping on the same transport (median over
# rounds, min, max), latency percentiles (us), CPU us per call of the clients, pkgtokend and
# dbus-daemon; with both transports, the direct ones also vs_first: direct / bus calls/s for the
# same mode in the same round (median, min, max).
measure() {
        local size=$1 clients=$2 tokens=$3 line mode transport prefix addresses= t
        for t in $BENCH_TRANSPORTS; do
                case $t in
                bus) addresses="$addresses $ADDRESS" ;;
                direct) addresses="$addresses direct:$DIRECT" ;;
                esac
        done
        echo "  $size tokens, $clients client(s), $BENCH_TRANSPORTS..." >&2
        bench_run "measuring with $clients client(s) at $size tokens" \
                "$BENCH" run "${addresses# }" "${modes// /,}" "$BENCH_SECONDS" "$clients" "$tokens"
        while IFS= read -r line; do
                transport=$(field transport "$line")
                mode=$(field mode "$line")
                [ -n "$mode" ] && [ -n "$transport" ] || die "cannot parse: $line"
                prefix=
                [ "$transport" = direct ] && prefix=direct/
                store_fields "$prefix$size/$clients/$mode" "$line" rate ratio ratio_min ratio_max p50_us p99_us \
                        client_cpu_us daemon_cpu_us bus_cpu_us vs_first vs_first_min vs_first_max
        done <<<"$BENCH_OUT"
        for t in $BENCH_TRANSPORTS; do
                prefix=
                [ "$t" = direct ] && prefix=direct/
                for mode in $modes; do
                        [ -n "${R[$prefix$size/$clients/$mode/rate]:-}" ] || die "no $t result for $mode in: $BENCH_OUT"
                done
        done
}
