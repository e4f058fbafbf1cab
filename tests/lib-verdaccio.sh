# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash disable=SC2034,SC2317
#
# The set-up of the end-to-end tests of the registry server (tests/bus-verdaccio.sh,
# tests/bus-verdaccio-stage.sh): the bus and pkgtokend (as root with the real system-bus policy
# and Verdaccio as nobody in RegistryGroup=), accounts alice (2FA), bob and carol with
# passwords, packages p-oa, p-strict, p-other and tokens, a real Verdaccio 6 with the plugin on
# 127.0.0.1, and npm with a userconfig per identity (npmx, rc_with, make_pkg, publish).
# VERDACCIO_PLUGIN_SETTINGS: more lines for the plugin's settings (indented four spaces).

. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

need_binaries
need node npm oathtool curl timeout
PLUGIN_SRC=$top_srcdir/contrib/verdaccio
VERDACCIO_BIN=$PLUGIN_SRC/node_modules/verdaccio/bin/verdaccio
if [ ! -f "$VERDACCIO_BIN" ] || [ ! -d "$PLUGIN_SRC/node_modules/@homebridge/dbus-native" ]; then
        # (.ci/run installs them before the test suite; a tarball build such as distcheck's has none.)
        skip_all "contrib/verdaccio/node_modules missing: run (cd contrib/verdaccio && npm ci)"
fi

# --- bus, daemon, who Verdaccio runs as -------------------------------------------------------
if is_root; then
        need setpriv
        RUN_USER=nobody
        RUN_UID=$(id -u "$RUN_USER") || bail_out "no user $RUN_USER"
        RUN_GROUP=$(id -gn "$RUN_USER")
        # An array rather than a function alone: started in the background, a function runs
        # in a subshell of ours (root) whose PID $! would be; setpriv and env exec node.
        AS_REGISTRY=(setpriv --reuid="$RUN_UID" --regid="$RUN_GROUP" --clear-groups --inh-caps=-all
                     env HOME="$TMP/vhome")
        start_bus "$top_srcdir/tests/bus-policy.conf.in" || bail_out "the policy bus did not start"
else
        AS_REGISTRY=(env HOME="$TMP/vhome")
        start_bus || bail_out "the private dbus-daemon did not start"
fi
as_registry() { "${AS_REGISTRY[@]}" "$@"; }
CONFIG=$TMP/pkgtokend.conf
conf=(PasswordCost=1 LockoutThreshold=50 TokenGuessLimit=1000)
is_root && conf+=("RegistryGroup=$RUN_GROUP")
write_config "$CONFIG" "${conf[@]}"
must_start_daemon --config="$CONFIG"

if ! busctl_ introspect org.pkgtoken1 /org/pkgtoken1 org.pkgtoken1.Manager 2>/dev/null | grep -q '^\.Verify '; then
        skip_all "pkgtokend has no Verify method yet (the registry API of issue 9)"
fi

mkdir -p "$TMP/vhome" "$TMP/home" "$TMP/verdaccio/storage" "$TMP/verdaccio/plugins"
if is_root; then
        chmod 0711 "$TMP" "$TMP/bus"
        chmod 0666 "$BUS_SOCKET"
        chown -R "$RUN_UID:$RUN_GROUP" "$TMP/vhome" "$TMP/verdaccio"
        as_registry test -r "$PLUGIN_SRC/index.js" -a -x "$PLUGIN_SRC/node_modules" ||
                bail_out "$RUN_USER cannot read $PLUGIN_SRC: run from a tree it can read"
fi

# --- accounts, packages, tokens ---------------------------------------------------------------
PW_ALICE='alice password 1'
PW_BOB='bob password 1'
for a in alice bob carol; do
        if ! mgr CreateAccount 'sssa{sv}' "$a" "$a@example.org" human 0 >/dev/null ||
           ! mgr SetPassword 'ssa{sv}' "$a" "$a password 1" 0 >/dev/null; then
                bail_out "cannot create account $a"
        fi
done
mgr CreatePackage ssas p-oa 2fa-or-automation 1 alice >/dev/null || bail_out "package p-oa"
mgr CreatePackage ssas p-strict 2fa-only 1 alice >/dev/null || bail_out "package p-strict"
mgr CreatePackage ssas p-other none 1 bob >/dev/null || bail_out "package p-other"
must_create_token AUTO alice --type=automation --description="alice ci"
must_create_token PUB alice --type=publish --description="alice laptop"
must_create_token PUB2 alice --type=publish --description="alice desktop"
must_create_token RO alice --type=read-only --description="alice read"
must_create_token SCOPED alice --type=automation --package=p-oa --description="p-oa only"
must_create_token CIDR alice --type=automation --cidr=192.0.2.0/24 --description="elsewhere"
must_create_token BOBAUTO bob --type=automation --description="bob ci"
enroll_2fa alice || bail_out "cannot enrol alice in 2FA"

# --- Verdaccio with the plugin ----------------------------------------------------------------
PORT=$(free_tcp_port) || bail_out "no free port"
REG=http://127.0.0.1:$PORT
ln -s "$PLUGIN_SRC" "$TMP/verdaccio/plugins/verdaccio-pkgtoken"
VCONF=$TMP/verdaccio/config.yaml
VLOG=$TMP/verdaccio/verdaccio.log
cat >"$VCONF" <<EOF
storage: $TMP/verdaccio/storage
plugins: $TMP/verdaccio/plugins
listen: 127.0.0.1:$PORT
auth:
  pkgtoken:
    bus: '$PKGTOKEN_BUS_ADDRESS'
    timeout: 3s
${VERDACCIO_PLUGIN_SETTINGS:-}
middlewares:
  pkgtoken:
    enabled: true
packages:
  '@*/*': { access: \$all, publish: \$authenticated, unpublish: \$authenticated }
  '**': { access: \$all, publish: \$authenticated, unpublish: \$authenticated }
web: { enable: false }
log: { type: stdout, format: pretty, level: http }
EOF
is_root && chown "$RUN_UID:$RUN_GROUP" "$VCONF"

VERDACCIO_PID=
start_verdaccio() {
        "${AS_REGISTRY[@]}" node "$VERDACCIO_BIN" --config "$VCONF" </dev/null >>"$VLOG" 2>&1 &
        VERDACCIO_PID=$!
        _pids+=("$VERDACCIO_PID")
        wait_for 30 curl -fs -o /dev/null "$REG/-/ping"
}
if start_verdaccio; then
        pass "Verdaccio with verdaccio-pkgtoken answers on $REG"
else
        fail "Verdaccio with verdaccio-pkgtoken answers on $REG"
        diag_file "verdaccio log" "$VLOG"
        bail_out "Verdaccio did not start"
fi
# setpriv and env exec: the PID is node's own.
is_root && is "$(proc_uid "$VERDACCIO_PID")" "$RUN_UID" "Verdaccio runs as $RUN_USER, not root"

# --- npm, with nothing but this registry --------------------------------------------------------
export npm_config_cache=$TMP/npm-cache HOME=$TMP/home
# npmx RC ARGS...: npm with userconfig RC (a file per identity).
npmx() {
        local rc=$1
        shift
        timeout 60 npm --userconfig="$rc" --registry="$REG/" --no-audit --no-fund \
                --no-update-notifier --loglevel=warn "$@"
}
# rc_with NAME TOKEN: a userconfig holding TOKEN for this registry.
rc_with() {
        printf '//127.0.0.1:%s/:_authToken=%s\n' "$PORT" "$2" >"$TMP/$1.npmrc"
        echo "$TMP/$1.npmrc"
}
# make_pkg NAME VERSION: a package directory to publish.
make_pkg() {
        local d=$TMP/pkgs/$1-$2
        mkdir -p "$d"
        printf '{"name":"%s","version":"%s","description":"test","license":"MIT"}\n' "$1" "$2" >"$d/package.json"
        echo "module.exports = 1" >"$d/index.js"
        echo "$d"
}
publish() {   # publish RC NAME VERSION [ARGS...]
        local rc=$1 name=$2 version=$3
        shift 3
        (cd "$(make_pkg "$name" "$version")" && npmx "$rc" publish "$@")
}

RC_AUTO=$(rc_with auto "$AUTO_SECRET")
RC_PUB=$(rc_with pub "$PUB_SECRET")
RC_PUB2=$(rc_with pub2 "$PUB2_SECRET")
RC_RO=$(rc_with ro "$RO_SECRET")
RC_SCOPED=$(rc_with scoped "$SCOPED_SECRET")
RC_CIDR=$(rc_with cidr "$CIDR_SECRET")
RC_NONE=$TMP/none.npmrc
: >"$RC_NONE"
