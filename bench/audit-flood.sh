#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench/audit-flood.sh PKGTOKEND [CALLS]: what CALLS (default 60000) refused publishes from one
# address (unknown tokens; past TokenGuessLimit= a minute, rate-limited) write to the audit
# table: its rows, the refusals they count, and how much tokens.db grew.  Not a test: it
# prints figures (issue 8, item 5; before the aggregation every refusal was a row).  Needs cc
# and libsystemd's headers (for the small sd-bus client it builds), sqlite3, dbus-daemon.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
daemon=$(realpath "$1")
calls=${2:-60000}
tmp=$(mktemp -d)
bus_pid= daemon_pid=
cleanup() {
        [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
        [ -n "$bus_pid" ] && kill "$bus_pid" 2>/dev/null
        rm -rf "$tmp"
}
trap cleanup EXIT

cat >"$tmp/flood.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
int main(int argc, char *argv[]) {
        sd_bus *bus = NULL;
        unsigned long n = strtoul(argv[2], NULL, 10), invalid = 0, limited = 0, other = 0;
        if (sd_bus_new(&bus) < 0 || sd_bus_set_address(bus, argv[1]) < 0 ||
            sd_bus_set_bus_client(bus, 1) < 0 || sd_bus_start(bus) < 0)
                return 1;
        for (unsigned long i = 0; i < n; i++) {
                sd_bus_error e = SD_BUS_ERROR_NULL;
                sd_bus_message *m = NULL;
                const char *result = "";
                char token[64];
                snprintf(token, sizeof token, "pkgt_unknown%lu", i);
                if (sd_bus_call_method(bus, "org.pkgtoken1", "/org/pkgtoken1", "org.pkgtoken1.Manager", "Authorize",
                                       &e, &m, "sssa{sv}", token, "pkg", "publish", 1, "remote", "s", "192.0.2.9") < 0 ||
                    sd_bus_message_read(m, "s", &result) < 0)
                        result = "";
                if (!strcmp(result, "invalid"))
                        invalid++;
                else if (!strcmp(result, "rate-limited"))
                        limited++;
                else
                        other++;
                sd_bus_message_unref(m);
                sd_bus_error_free(&e);
        }
        printf("invalid: %lu, rate-limited: %lu, other: %lu\n", invalid, limited, other);
        return 0;
}
C
# shellcheck disable=SC2046
cc -O2 -o "$tmp/flood" "$tmp/flood.c" $(pkg-config --cflags --libs libsystemd)

sed "s|@SOCKET@|$tmp/bus|" "$top/tests/bus.conf.in" >"$tmp/bus.conf"
dbus-daemon --config-file="$tmp/bus.conf" --nofork --print-address=1 >"$tmp/address" 2>/dev/null &
bus_pid=$!
for _ in $(seq 100); do [ -s "$tmp/address" ] && break; sleep 0.1; done
address=$(head -n 1 "$tmp/address")

start() {
        "$daemon" --state-dir="$tmp/state" --bus-address="$address" --config=/dev/null 2>>"$tmp/log" &
        daemon_pid=$!
        for _ in $(seq 100); do
                busctl --address="$address" call org.pkgtoken1 /org/pkgtoken1 org.pkgtoken1.Manager GetStatus \
                        >/dev/null 2>&1 && return 0
                sleep 0.1
        done
        return 1
}
stop() {
        kill "$daemon_pid"
        wait "$daemon_pid" || true
        daemon_pid=
}

start && stop
base=$(stat -c %s "$tmp/state/tokens.db")
start
t0=$(date +%s.%N)
answers=$("$tmp/flood" "$address" "$calls")
t1=$(date +%s.%N)
stop
rows=$(sqlite3 "$tmp/state/tokens.db" 'SELECT count(*) FROM audit')
if sqlite3 "$tmp/state/tokens.db" 'PRAGMA table_info(audit)' | grep -q '|count|'; then
        counted=$(sqlite3 "$tmp/state/tokens.db" 'SELECT sum(count) FROM audit')
else
        counted=$rows
fi
size=$(stat -c %s "$tmp/state/tokens.db")
printf '%s refused publishes from one address in %.1f s (%s)\n' "$calls" "$(echo "$t1 - $t0" | bc)" "$answers"
printf 'audit rows: %s (counting %s refusals); tokens.db grew by %s bytes\n' "$rows" "$counted" "$((size - base))"
