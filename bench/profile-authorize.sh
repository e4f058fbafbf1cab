#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench/profile-authorize.sh BUILDDIR: where pkgtokend's instructions go per Authorize, exactly
# (valgrind's callgrind counts instructions, so the figures do not depend on the machine's
# load, unlike bench/run.sh's times).  pkgtokend runs under callgrind with 1000 tokens, counting
# only inside the Authorize handler; bench-authorize asks it on the direct socket for a few
# seconds; the report is each function's inclusive instructions divided by the number of calls.
#
# Not a test.  Environment: PROFILE_MODE (valid, unknown or malformed tokens, as bench-authorize
# has them; default valid), PROFILE_SECONDS (default 3; the first pass over the tokens reads
# them from SQLite, so give a steady state some seconds), PROFILE_TOKENS (tokens in the store,
# default 1000), PROFILE_TOP (default 40 lines), KEEP_TMP=1 keeps the callgrind output.

[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
: "${PROFILE_SECONDS:=3}" "${PROFILE_TOP:=40}" "${PROFILE_MODE:=valid}" "${PROFILE_TOKENS:=1000}"
# shellcheck disable=SC2034 # read by lib.sh, which takes BUILDDIR from the arguments
BENCH_NAME=profile-authorize
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
BENCH=$BUILDDIR/bench/bench-authorize
need_programs "$BENCH" "$PKGTOKEND" "$DBUS_DAEMON" valgrind callgrind_annotate awk
need_positive PROFILE_SECONDS PROFILE_TOP PROFILE_TOKENS

bench_start_bus
CONFIG=$TMP/pkgtokend.conf
DIRECT=$TMP/direct.sock
write_config "$CONFIG" TokenGuessLimit=1000000 LockoutThreshold=1000 "DirectSocket=$DIRECT"
"$BENCH" populate "$TMP/state" "$PROFILE_TOKENS" "$TMP/tokens" >&2 || die "populating failed"

OUT=$TMP/callgrind.out
valgrind --tool=callgrind --callgrind-out-file="$OUT" --collect-atstart=no --toggle-collect=method_authorize \
        "$PKGTOKEND" --state-dir="$TMP/state" --bus-address="$ADDRESS" --config="$CONFIG" >"$TMP/daemon.log" 2>&1 &
DAEMON_PID=$!
_pids+=("$DAEMON_PID")
wait_for 300 test -S "$DIRECT" || die "pkgtokend under valgrind did not start"
BENCH_ROUNDS=1 BENCH_WARMUP_MS=100 "$BENCH" run "direct:$DIRECT" "$PROFILE_MODE" "$PROFILE_SECONDS" 1 "$TMP/tokens" >&2 ||
        die "bench-authorize failed"
stop_daemon
[ -s "$OUT" ] || die "no callgrind output"

calls=$(callgrind_annotate --inclusive=yes --tree=calling "$OUT" 2>/dev/null |
        sed -n 's/.*bus_authorize_call (\([0-9,]*\)x).*/\1/p' | head -n 1 | tr -d ,)
[ -n "$calls" ] || die "no Authorize calls in the profile"
echo "Instructions per Authorize ($PROFILE_MODE read token, $PROFILE_TOKENS tokens, direct socket; $calls calls), inclusive:"
# Each line "N (P%)  FILE:FUNCTION [OBJECT]": from the handler down, each function once.
callgrind_annotate --inclusive=yes "$OUT" 2>/dev/null |
        awk -v n="$calls" '/^ *[0-9,]+ \(/ {
                v = $1; gsub(",", "", v)
                f = $0; sub(/^[^)]*\) */, "", f); sub(/ \[.*$/, "", f); sub(/^.*:/, "", f)
                if (f == "method_authorize") started = 1
                if (started && !(f in seen)) { seen[f] = 1; printf "%9.0f  %s\n", v / n, f }
        }' | head -n "$PROFILE_TOP"
[ -n "${KEEP_TMP:-}" ] && echo "callgrind output: $OUT"
exit 0
