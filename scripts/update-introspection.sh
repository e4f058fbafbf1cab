#!/bin/bash
# Rewrites the org.pkgtoken1.Manager block of dbus/org.pkgtoken1.xml from what a freshly built
# daemon introspects (the comment above it is kept).  tests/bus-introspect.sh checks the two
# stay equal; run this after changing the vtable, then review the diff.
#
#   scripts/update-introspection.sh [BUILD_DIR]
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
tmp=$(mktemp -d)
bus_pid= daemon_pid=
cleanup() {
        [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null
        [ -n "$bus_pid" ] && kill "$bus_pid" 2>/dev/null
        rm -rf "$tmp"
}
trap cleanup EXIT

sed "s|@SOCKET@|$tmp/bus|" "$top/tests/bus.conf.in" > "$tmp/bus.conf"
dbus-daemon --config-file="$tmp/bus.conf" --nofork --print-address=1 > "$tmp/address" &
bus_pid=$!
for _ in $(seq 100); do [ -s "$tmp/address" ] && break; sleep 0.1; done
address=$(head -n 1 "$tmp/address")
"$build/pkgtokend/pkgtokend" --state-dir="$tmp/state" --bus-address="$address" --config=/dev/null &
daemon_pid=$!
for _ in $(seq 100); do
        busctl --address="$address" introspect --xml-interface org.pkgtoken1 /org/pkgtoken1 > "$tmp/intro.xml" 2>/dev/null && break
        sleep 0.1
done
awk -v intro="$tmp/intro.xml" '
        BEGIN {
                while ((getline line < intro) > 0) {
                        if (line ~ /<interface name="org.pkgtoken1.Manager">/) keep = 1
                        if (keep) block = block line "\n"
                        if (keep && line ~ /<\/interface>/) keep = 0
                }
        }
        /<interface name="org.pkgtoken1.Manager">/ { printf "%s", block; skip = 1; next }
        skip && /<\/interface>/ { skip = 0; next }
        !skip { print }
' "$top/dbus/org.pkgtoken1.xml" > "$tmp/new.xml"
grep -q 'org.pkgtoken1.Manager' "$tmp/new.xml" || { echo "introspection failed" >&2; exit 1; }
cp "$tmp/new.xml" "$top/dbus/org.pkgtoken1.xml"
git -C "$top" diff --stat -- dbus/org.pkgtoken1.xml
