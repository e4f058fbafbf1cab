#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs libFuzzer targets built by `make fuzz` (the Makefile calls this):
#
#   tests/fuzz/run.sh SRCDIR OUTDIR SECONDS NAME...
#
# Each OUTDIR/fuzz-NAME runs for SECONDS on a copy of SRCDIR/tests/fuzz/corpus/NAME/ (the
# source tree is never written), with SRCDIR/tests/fuzz/NAME.dict when there is one and any
# extra libFuzzer options in $FUZZ_FLAGS.  Prints one line per target; a crash, sanitizer
# report, failed invariant, leak or hang fails, its input kept as OUTDIR/NAME-crash-... and
# shown in hex with the end of the report.  ASAN_OPTIONS and UBSAN_OPTIONS pass through.
set -u

srcdir=$1 out=$2 seconds=$3
shift 3

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

stat_of() {   # stat_of NAME LOG: libFuzzer's -print_final_stats value
        sed -n "s/^stat::$1: *//p" "$2" | tail -n 1
}

failed=0
for name in "$@"; do
        bin=$out/fuzz-$name
        log=$out/fuzz-$name.log
        corpus=$tmp/$name
        mkdir -p "$corpus"
        cp "$srcdir/tests/fuzz/corpus/$name/"* "$corpus/" 2>/dev/null || true
        seeds=$(find "$corpus" -type f | wc -l)
        dict=
        [ -f "$srcdir/tests/fuzz/$name.dict" ] && dict=-dict=$srcdir/tests/fuzz/$name.dict
        rm -f "$out/$name"-crash-* "$out/$name"-leak-* "$out/$name"-timeout-* "$out/$name"-oom-*

        rc=0
        # shellcheck disable=SC2086
        "$bin" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
                -artifact_prefix="$out/$name-" $dict ${FUZZ_FLAGS:-} "$corpus" >"$log" 2>&1 || rc=$?

        runs=$(stat_of number_of_executed_units "$log")
        rate=$(stat_of average_exec_per_sec "$log")
        inputs=$(find "$corpus" -type f | wc -l)
        if [ "$rc" -eq 0 ]; then
                echo "fuzz-$name: ${runs:-?} runs in ${seconds} s (${rate:-?}/s), corpus $seeds -> $inputs inputs, no crash"
                continue
        fi

        failed=$((failed + 1))
        echo "fuzz-$name: FAILED (exit $rc) after ${runs:-?} runs; log $log"
        sed -n '/^==[0-9]*==ERROR\|invariant failed\|runtime error\|^SUMMARY/,$p' "$log" | head -n 60
        for artifact in "$out/$name"-crash-* "$out/$name"-leak-* "$out/$name"-timeout-* "$out/$name"-oom-*; do
                [ -f "$artifact" ] || continue
                echo "fuzz-$name: input $artifact ($(wc -c <"$artifact") bytes), hex:"
                od -An -tx1 -v "$artifact" | head -n 64 | tr -d ' \n'
                echo
                echo "fuzz-$name: reproduce with: $bin $artifact"
        done
done

echo "fuzz: $# targets, $failed failed"
[ "$failed" -eq 0 ]
