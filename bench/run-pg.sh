#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench/run-pg.sh BUILDDIR: Authorize calls/s with the PostgreSQL backend divided by calls/s
# with SQLite, measured in the same run, for 1 and 4 clients and 1 k and 1 M tokens (issue 13:
# the goal is >= 0.5 and flat from 1 k to 1 M).  PostgreSQL is started for the run (initdb in
# the temp dir, a unix socket there, no TCP: tests/lib.sh's start_postgresql) and stopped by
# PID.  On SQLite the store is filled by bench-authorize populate; on PostgreSQL populate makes
# the sampled tokens and one INSERT ... SELECT FROM generate_series the rest.
#
# Not a test: it exits non-zero only when something is broken, never because it was slow.
#
# Environment: BENCH_SECONDS (default 5), BENCH_ROUNDS (5), BENCH_SIZES ("1000 1000000"),
# BENCH_CLIENTS ("1 4"), KEEP_TMP=1.

# The table format is kept in a variable:
# shellcheck disable=SC2059

[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck disable=SC2034 # read by lib.sh
BENCH_NAME=bench-pg
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
BENCH=$BUILDDIR/bench/bench-authorize
: "${BENCH_SECONDS:=5}"
: "${BENCH_ROUNDS:=5}"
export BENCH_ROUNDS
: "${BENCH_SIZES:=1000 1000000}"
: "${BENCH_CLIENTS:=1 4}"
need_programs "$BENCH" "$PKGTOKEND" "$DBUS_DAEMON" psql awk
need_positive BENCH_SECONDS BENCH_ROUNDS BENCH_SIZES BENCH_CLIENTS
modes="ping valid"
CONFIG=$TMP/pkgtokend.conf
write_config "$CONFIG" TokenGuessLimit=1000000 LockoutThreshold=1000

bench_start_bus
start_postgresql
echo "bench-pg: sizes $BENCH_SIZES; clients $BENCH_CLIENTS; ${BENCH_SECONDS}s per mode; $(nproc) CPUs" >&2

# fill_postgresql STATE_DIR N: the store of STATE_DIR on PostgreSQL with N tokens.
fill_postgresql() {
        local db sampled
        PKGTOKEN_TEST_BACKEND=postgresql
        pg_connection_for "$1"
        db=$PG_DATABASE
        BENCH_STORE_CONNECTION=$PG_CONNECTION "$BENCH" populate "$1" "$2" "$TMP/tokens-postgresql-$2" >&2 ||
                die "populating PostgreSQL failed"
        sampled=$(psql_ "$db" "SELECT count(*) FROM tokens")
        psql_ "$db" "INSERT INTO tokens (public_id, hash, prefix, type, owner, account_id, created_by, created_at)
                     SELECT 'tk_fill' || i, sha256(('fill' || i)::bytea), 'pkgt_fill', 'read-only', 'account',
                            (SELECT id FROM accounts WHERE name = 'bench'), 'bench', 0
                     FROM generate_series(1, $2 - $sampled) AS i; ANALYZE" >/dev/null || die "the SQL filler failed"
        echo "bench-pg: $(psql_ "$db" "SELECT count(*) FROM tokens") tokens in PostgreSQL" >&2
}

for size in $BENCH_SIZES; do
        for backend in sqlite postgresql; do
                state=$TMP/state-$backend-$size
                PKGTOKEN_TEST_BACKEND=$backend
                if [ "$backend" = sqlite ]; then
                        "$BENCH" populate "$state" "$size" "$TMP/tokens-sqlite-$size" >&2 || die "populating $size tokens failed"
                else
                        mkdir -p "$state"
                        fill_postgresql "$state" "$size"
                fi
                bench_start_daemon "$state" "$CONFIG"
                for clients in $BENCH_CLIENTS; do
                        BENCH_TRANSPORTS=bus measure "$backend/$size" "$clients" "$TMP/tokens-$backend-$size"
                done
                bench_stop_daemon
        done
done

echo
echo "Authorize (valid tokens) over a private bus, calls/s: PostgreSQL (unix socket) vs SQLite, same run"
fmt="%-9s %-7s %12s %12s %8s %14s %14s\n"
printf "$fmt" tokens clients "SQLite" "PostgreSQL" "PG/SQL" "p50 us SQ/PG" "p99 us SQ/PG"
printf "$fmt" --------- ------- ------------ ------------ -------- -------------- --------------
for size in $BENCH_SIZES; do
        for clients in $BENCH_CLIENTS; do
                sq=sqlite/$size/$clients/valid pg=postgresql/$size/$clients/valid
                printf "$fmt" "$size" "$clients" "${R[$sq/rate]}" "${R[$pg/rate]}" "$(ratio "${R[$pg/rate]}" "${R[$sq/rate]}")" \
                        "${R[$sq/p50_us]}/${R[$pg/p50_us]}" "${R[$sq/p99_us]}/${R[$pg/p99_us]}"
        done
done
