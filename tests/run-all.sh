#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Builds pkgtoken out of tree and runs the whole test suite (`make check`).
#
#   tests/run-all.sh [BUILD_DIR [CONFIGURE_ARGS...]]
#
# BUILD_DIR defaults to ./build in the source tree.  The tree is bootstrapped (autoreconf)
# when it has no configure script; BUILD_DIR is configured when it has no Makefile, or again
# whenever CONFIGURE_ARGS are given.  Variables such as CFLAGS=... may be passed among the
# CONFIGURE_ARGS.  On failure the test-suite.log and the log of every failed test are
# printed.  The last line is "check: N passed, N failed, N skipped".

set -euo pipefail

srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
builddir=${1:-$srcdir/build}
[ $# -gt 0 ] && shift
mkdir -p "$builddir"
builddir=$(cd "$builddir" && pwd)
jobs=$(nproc 2>/dev/null || echo 2)

if [ ! -x "$srcdir/configure" ]; then
        echo "== autoreconf -fi in $srcdir"
        (cd "$srcdir" && autoreconf -fi)
fi
if [ ! -f "$builddir/Makefile" ] || [ $# -gt 0 ]; then
        echo "== configure in $builddir: $*"
        (cd "$builddir" && "$srcdir/configure" "$@")
fi

echo "== make in $builddir"
make -C "$builddir" -j"$jobs"

# The counts, from test-suite.log's summary (every TAP result counts, not just every file).
summary() {
        local log=$builddir/test-suite.log
        [ -f "$log" ] || { echo "check: 0 passed, 1 failed (no test-suite.log)"; return; }
        awk '
                /^# PASS:/  { pass = $3 }
                /^# SKIP:/  { skip = $3 }
                /^# XFAIL:/ { xfail = $3 }
                /^# FAIL:/  { fail = $3 }
                /^# XPASS:/ { xpass = $3 }
                /^# ERROR:/ { error = $3 }
                END { printf "check: %d passed, %d failed, %d skipped\n", pass + xfail, fail + xpass + error, skip }
        ' "$log"
}

echo "== make check in $builddir"
rm -f "$builddir/test-suite.log"
rc=0
make -C "$builddir" -j"$jobs" check || rc=$?

if [ "$rc" -ne 0 ]; then
        echo "== make check failed (exit code $rc)"
        if [ -f "$builddir/test-suite.log" ]; then
                # The summary and the whole log of every test that failed.
                echo "== $builddir/test-suite.log"
                cat "$builddir/test-suite.log"
        else
                # No test-suite.log: the build of the tests failed, or a driver did; print
                # whatever logs there are of tests that did not pass.
                while IFS= read -r -d '' trs; do
                        if grep -qE '^:test-result: (FAIL|ERROR|XPASS)' "$trs"; then
                                echo "== ${trs%.trs}.log"
                                cat "${trs%.trs}.log" 2>/dev/null || true
                        fi
                done < <(find "$builddir" -name '*.trs' -print0)
        fi
fi

summary
exit "$rc"
