#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# contrib/verdaccio/bench/verdaccio.sh [BUILDDIR]: requests/s through Verdaccio 6 for the
# reads `npm view` and `npm install` make (the packument, GET /<pkg>, and a tarball) with a
# token, through verdaccio-pkgtoken (one Verify per request over D-Bus) against Verdaccio's
# built-in htpasswd + JWT auth (a local signature check), side by side in one run, rounds
# interleaved.  The goal: the plugin at least 0.9x the built-in auth.
#
# Not a test: it prints requests/s and the ratios, and says whether the goal is met.  It
# exits non-zero only when something is broken (a server that does not start, a read that
# fails), never because something is slow.
#
# The daemon: BUILDDIR/pkgtokend/pkgtokend (default ./build) when it has the registry API
# (Verify), with an account and an automation token made by pkgtokenctl; otherwise a
# stand-in (bench/stub-daemon.js) that answers every Verify "allowed" over the same private
# bus, which measures the plugin and the D-Bus round trip but not the daemon's own work (the
# output says which).  Everything runs on 127.0.0.1 and unix sockets in a temp dir; every
# process is started and stopped by PID; the temp dir is removed on exit.
#
# Environment:
#   BENCH_SECONDS      seconds per measurement (default 5), BENCH_ROUNDS (default 2)
#   BENCH_CONNECTIONS  concurrent keep-alive connections (default 8)
#   KEEP_TMP=1         keep the temp dir

if [ -z "${BASH_VERSION:-}" ]; then
        exec bash "$0" "$@"
fi
set -u

HERE=$(cd "$(dirname "$0")/.." && pwd)
TOP=$(cd "$HERE/../.." && pwd)
BUILDDIR=$(cd "${1:-$TOP/build}" 2>/dev/null && pwd || echo "${1:-$TOP/build}")
SECONDS_PER=${BENCH_SECONDS:-5}
ROUNDS=${BENCH_ROUNDS:-2}
CONNS=${BENCH_CONNECTIONS:-8}
VERDACCIO_BIN=$HERE/node_modules/verdaccio/bin/verdaccio
[ -f "$VERDACCIO_BIN" ] || { echo "run (cd $HERE && npm ci) first" >&2; exit 1; }

TMP=$(mktemp -d /tmp/pkgtoken-bench-verdaccio.XXXXXX) || exit 1
PIDS=()
cleanup() {
        local i
        for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
                kill -TERM "${PIDS[i]}" 2>/dev/null
                wait "${PIDS[i]}" 2>/dev/null
        done
        if [ -n "${KEEP_TMP:-}" ]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
die() { echo "bench: $*" >&2; exit 1; }
wait_for() {   # wait_for SECONDS CMD...
        local i
        for ((i = 0; i < $1 * 20; i++)); do "${@:2}" && return 0; sleep 0.05; done
        return 1
}
free_port() {
        local p
        while :; do
                p=$((20000 + RANDOM % 30000))
                ! grep -qi ":$(printf '%04X' "$p") " /proc/net/tcp /proc/net/tcp6 2>/dev/null && { echo "$p"; return; }
        done
}

# --- a private bus ------------------------------------------------------------------------------
cat >"$TMP/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:path=$TMP/bus</listen><auth>EXTERNAL</auth>
<policy context="default"><allow user="*"/><allow own="*"/><allow send_destination="*"/>
<allow send_type="method_call"/><allow send_type="method_return"/><allow send_type="error"/>
<allow send_type="signal"/><allow receive_type="method_call"/><allow receive_type="method_return"/>
<allow receive_type="error"/><allow receive_type="signal"/></policy></busconfig>
EOF
dbus-daemon --config-file="$TMP/bus.conf" --nofork --nopidfile --print-address=3 3>"$TMP/address" \
        </dev/null >"$TMP/dbus.log" 2>&1 &
PIDS+=($!)
wait_for 10 grep -q guid= "$TMP/address" || die "dbus-daemon did not start"
BUS=$(head -n 1 "$TMP/address")

# --- the daemon, or the stand-in ------------------------------------------------------------------
PKGTOKEND=$BUILDDIR/pkgtokend/pkgtokend
PKGTOKENCTL=$BUILDDIR/pkgtokenctl/pkgtokenctl
MODE=stand-in
if [ -x "$PKGTOKEND" ] && [ -x "$PKGTOKENCTL" ]; then
        mkdir -m 0700 "$TMP/state"
        printf '[Manager]\nPasswordCost=1\n' >"$TMP/pkgtokend.conf"
        "$PKGTOKEND" --state-dir="$TMP/state" --bus-address="$BUS" --config="$TMP/pkgtokend.conf" \
                </dev/null >"$TMP/pkgtokend.log" 2>&1 &
        PIDS+=($!)
        ping_daemon() { busctl --address="$BUS" call org.pkgtoken1 /org/pkgtoken1 org.freedesktop.DBus.Peer Ping >/dev/null 2>&1; }
        wait_for 10 ping_daemon || die "pkgtokend did not start (see $TMP/pkgtokend.log)"
        if busctl --address="$BUS" introspect org.pkgtoken1 /org/pkgtoken1 org.pkgtoken1.Manager 2>/dev/null | grep -q '^\.Verify '; then
                MODE=pkgtokend
                ctl() { "$PKGTOKENCTL" --bus-address="$BUS" "$@"; }
                ctl account add bench >/dev/null || die "account add"
                ctl package add bench-pkg --maintainer=bench --policy=none >/dev/null || die "package add"
                TOKEN=$(ctl --json token create bench --type=automation --description=bench | sed -n 's/.*"token": *"\(pkgt_[^"]*\)".*/\1/p')
                [ -n "$TOKEN" ] || die "token create"
        else
                kill -TERM "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null; unset 'PIDS[-1]'
        fi
fi
if [ "$MODE" = stand-in ]; then
        TOKEN=pkgt_$(head -c 64 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 42)
        (cd "$HERE" && exec node bench/stub-daemon.js "$BUS") >"$TMP/stub.log" 2>&1 &
        PIDS+=($!)
        wait_for 10 grep -q ready "$TMP/stub.log" || die "stub daemon did not start: $(cat "$TMP/stub.log")"
fi

# --- two Verdaccios: htpasswd + JWT, and this plugin ---------------------------------------------
start_verdaccio() {   # start_verdaccio NAME PORT AUTH-YAML
        local d=$TMP/$1
        mkdir -p "$d/storage" "$d/plugins"
        ln -s "$HERE" "$d/plugins/verdaccio-pkgtoken"
        cat >"$d/config.yaml" <<EOF
storage: $d/storage
plugins: $d/plugins
listen: 127.0.0.1:$2
$3
packages:
  '**': { access: \$authenticated, publish: \$authenticated, unpublish: \$authenticated }
web: { enable: false }
log: { type: file, path: $d/verdaccio.log, level: warn }
EOF
        node "$VERDACCIO_BIN" --config "$d/config.yaml" </dev/null >"$d/stdout.log" 2>&1 &
        PIDS+=($!)
        wait_for 30 curl -fs -o /dev/null "http://127.0.0.1:$2/-/ping" || die "Verdaccio $1 did not start: $(tail -5 "$d/stdout.log")"
}
P_HT=$(free_port)
P_PT=$(free_port)
# JWT for the API (not the legacy AES token, which runs bcrypt on every request).
start_verdaccio htpasswd "$P_HT" "auth:
  htpasswd:
    file: $TMP/htpasswd/htpasswd
    max_users: 10
security:
  api:
    jwt:
      sign:
        expiresIn: 1d"
start_verdaccio pkgtoken "$P_PT" "auth:
  pkgtoken:
    bus: '$BUS'
    timeout: 5s
middlewares:
  pkgtoken:
    enabled: true"

# A user and its JWT on the htpasswd side (npm adduser's request).
JWT=$(curl -fsS -X PUT -H 'content-type: application/json' \
        -d '{"name":"bench","password":"bench password 1"}' \
        "http://127.0.0.1:$P_HT/-/user/org.couchdb.user:bench" | sed -n 's/.*"token": *"\([^"]*\)".*/\1/p')
[ -n "$JWT" ] || die "htpasswd adduser gave no token"

# The same package on both (npm publish's request).
node -e '
const crypto = require("node:crypto");
const tgz = Buffer.alloc(4096, 7);
const b = tgz.toString("base64");
const v = "1.0.0";
process.stdout.write(JSON.stringify({ _id: "bench-pkg", name: "bench-pkg", "dist-tags": { latest: v },
  versions: { [v]: { name: "bench-pkg", version: v, _id: "bench-pkg@" + v,
    dist: { tarball: "http://x/bench-pkg/-/bench-pkg-1.0.0.tgz", shasum: crypto.createHash("sha1").update(tgz).digest("hex") } } },
  _attachments: { "bench-pkg-1.0.0.tgz": { content_type: "application/octet-stream", data: b, length: tgz.length } } }));
' >"$TMP/publish.json"
curl -fsS -o /dev/null -X PUT -H 'content-type: application/json' -H "Authorization: Bearer $JWT" \
        --data-binary @"$TMP/publish.json" "http://127.0.0.1:$P_HT/bench-pkg" || die "publish (htpasswd)"
curl -fsS -o /dev/null -X PUT -H 'content-type: application/json' -H "Authorization: Bearer $TOKEN" \
        --data-binary @"$TMP/publish.json" "http://127.0.0.1:$P_PT/bench-pkg" || die "publish (pkgtoken)"

# --- measure -------------------------------------------------------------------------------------
measure() {   # measure PORT AUTH PATH -> "rps errors"
        (cd "$HERE" && node bench/load.js "http://127.0.0.1:$1$3" "$2" "$SECONDS_PER" "$CONNS")
}
declare -A SUM=()
echo "verdaccio-pkgtoken vs htpasswd+JWT: ${ROUNDS} rounds x ${SECONDS_PER}s, ${CONNS} connections, daemon: $MODE"
for ((r = 1; r <= ROUNDS; r++)); do
        for what in packument tarball; do
                path=/bench-pkg
                [ "$what" = tarball ] && path=/bench-pkg/-/bench-pkg-1.0.0.tgz
                for side in htpasswd pkgtoken; do
                        if [ "$side" = htpasswd ]; then out=$(measure "$P_HT" "Bearer $JWT" "$path")
                        else out=$(measure "$P_PT" "Bearer $TOKEN" "$path"); fi
                        read -r rps errs <<<"$out"
                        [ "${errs:-1}" = 0 ] || die "$side $what: $errs failed requests"
                        printf '  round %d %-9s %-8s %8s req/s\n' "$r" "$what" "$side" "$rps"
                        SUM[$side.$what]=$(awk -v a="${SUM[$side.$what]:-0}" -v b="$rps" 'BEGIN { print a + b }')
                done
        done
done
met=yes
for what in packument tarball; do
        ratio=$(awk -v p="${SUM[pkgtoken.$what]}" -v h="${SUM[htpasswd.$what]}" 'BEGIN { printf "%.2f", p / h }')
        printf '%-9s pkgtoken/htpasswd = %sx (goal >= 0.9x)\n' "$what" "$ratio"
        awk -v r="$ratio" 'BEGIN { exit !(r >= 0.9) }' || met=no
done
echo "goal met: $met (daemon: $MODE)"
