#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A real PAM consumer: Debian's nginx with libnginx-mod-http-auth-pam, on 127.0.0.1, serving a
# directory as a registry with the server block and the PAM service shipped in contrib/nginx/
# (only the listen address, the root and the module's path and bus are changed).  curl talks
# HTTP Basic to it: account + token, __token__ + package token, account + password with the
# one-time code appended.  Reads and uploads that pkgtokend allows get 2xx, everything else 401;
# the upload is in pkgtokenctl audit as made by the token.
#
# The PAM service comes from this test's temp dir, never /etc/pam.d: nginx runs under
# pam_wrapper (LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR=...), whose
# pam_start() reads the services of that directory.  That needs no privileges.
#
# As root, nginx's workers run as nobody (as they run as www-data in production) and pkgtokend
# admits them through RegistryGroup= (nobody's group); a daemon without that setting refuses
# them.  As another user, nginx cannot switch users: master, workers and pkgtokend share the
# uid, which pkgtokend admits as its own.
#
# Every process is started and stopped by PID; all traffic is on 127.0.0.1.

# shellcheck disable=SC2153 # the *_SECRET and *_ID variables are set by must_create_token
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

need oathtool timeout curl
: "${PAM_MODULE:=$top_builddir/pam_pkgtoken/.libs/pam_pkgtoken.so}"
[ -f "$PAM_MODULE" ] || bail_out "pam_pkgtoken.so not built: $PAM_MODULE"
PAM_MODULE=$(cd "$(dirname "$PAM_MODULE")" && pwd)/$(basename "$PAM_MODULE")

# nginx lives in /usr/sbin, which an ordinary user's PATH may lack.
: "${NGINX:=$(command -v nginx || echo /usr/sbin/nginx)}"
: "${NGINX_AUTH_PAM:=/usr/lib/nginx/modules/ngx_http_auth_pam_module.so}"
missing_part() {
        [ "${CI:-}" = true ] && bail_out "$1 not found (CI must install $2)"
        skip_all "$1 not found (apt-get install $2)"
}
[ -x "$NGINX" ] || missing_part nginx nginx
[ -f "$NGINX_AUTH_PAM" ] || missing_part "$NGINX_AUTH_PAM" libnginx-mod-http-auth-pam
PAM_WRAPPER_LIB=
for d in /usr/lib/*-linux-gnu /usr/lib64 /usr/lib /lib/*-linux-gnu; do
        if [ -f "$d/libpam_wrapper.so" ]; then
                PAM_WRAPPER_LIB=$d/libpam_wrapper.so
                break
        fi
done
[ -n "$PAM_WRAPPER_LIB" ] || missing_part libpam_wrapper.so libpam-wrapper
CONTRIB=$top_srcdir/contrib/nginx
for f in pkgtoken-registry.conf pam.d-pkgtoken; do
        [ -f "$CONTRIB/$f" ] || bail_out "contrib/nginx/$f not found"
done

NGX=$TMP/nginx
PAM_DIR=$TMP/pam.d
mkdir -p "$NGX/registry" "$NGX/tmp" "$PAM_DIR"

# --- who the workers are ------------------------------------------------------------------------------
if is_root; then
        WORKER_USER=nobody
        WORKER_GROUP=$(id -gn "$WORKER_USER" 2>/dev/null) || bail_out "no user $WORKER_USER"
        WORKER_UID=$(id -u "$WORKER_USER")
        USER_LINE="user $WORKER_USER $WORKER_GROUP;"
        # The workers must reach the bus socket, the PAM services, the module and the files.
        chmod 0711 "$TMP"
        # Below /root, say, nobody could not load the module from the build tree: a copy.
        mkdir -p "$TMP/lib"
        cp "$PAM_MODULE" "$TMP/lib/pam_pkgtoken.so"
        PAM_MODULE=$TMP/lib/pam_pkgtoken.so
        chmod -R a+rX "$TMP/lib"
else
        WORKER_UID=$(id -u)
        USER_LINE=
fi

CONFIG=$TMP/pkgtokend.conf
conf=(PasswordCost=1 LockoutThreshold=50)
is_root && conf+=("RegistryGroup=$WORKER_GROUP")
write_config "$CONFIG" "${conf[@]}"
setup_bus_and_daemon --config="$CONFIG"
is_root && chmod a+x "$TMP/bus" && chmod a+rw "$BUS_SOCKET"

# --- accounts, packages, tokens --------------------------------------------------------------------
PW_ALICE='alice password 1'
for a in alice bob; do
        if ! mgr CreateAccount 'sssa{sv}' "$a" "" human 0 >/dev/null ||
           ! mgr SetPassword 'ssa{sv}' "$a" "$a password 1" 0 >/dev/null; then
                bail_out "cannot create account $a"
        fi
done
mgr CreatePackage ssas p-oa 2fa-or-automation 1 alice >/dev/null || bail_out "cannot create package p-oa"
mgr CreatePackage ssas p-pkg none 1 alice >/dev/null || bail_out "cannot create package p-pkg"
must_create_token RO alice --type=read-only --description="alice read"
must_create_token AUTO alice --type=automation --description="alice ci"
must_create_token PKG alice --type=automation --package=p-pkg --package-owned --description="p-pkg release"
must_create_token BOB bob --type=read-only --description="bob read"
# alice has two-factor authentication (tokens made first: a 2FA account's need a code).
enroll_2fa alice || bail_out "cannot enrol alice in 2FA"

# The registry's files.
mkdir -p "$NGX/registry/p-oa/-" "$NGX/registry/p-pkg/-"
echo "p-oa 1.0.0" >"$NGX/registry/p-oa/-/p-oa-1.0.0.tgz"
echo "p-pkg 1.0.0" >"$NGX/registry/p-pkg/-/p-pkg-1.0.0.tgz"
chmod -R a+rX "$NGX/registry"
is_root && chown -R "$WORKER_USER:$WORKER_GROUP" "$NGX/registry"

# --- the PAM service: contrib/nginx/pam.d-pkgtoken with the built module on the private bus --------
# (timeout=20 rather than 3: a loaded test machine must not turn into a flaky 401.)
sed -e "s|pam_pkgtoken\.so|$PAM_MODULE bus=$PKGTOKEN_BUS_ADDRESS|" -e 's|timeout=3|timeout=20|' \
        "$CONTRIB/pam.d-pkgtoken" >"$PAM_DIR/pkgtoken"
# Services nginx does not name fall to "other": refuse, as a system would.
printf '%s required pam_deny.so\n' auth account password session >"$PAM_DIR/other"
chmod -R a+rX "$PAM_DIR"
# As root: can the workers' user reach what it needs?  (A $TMPDIR it cannot enter would
# otherwise show as nothing but 401s.)
if is_root && command -v setpriv >/dev/null 2>&1; then
        setpriv --reuid="$WORKER_UID" --regid="$WORKER_GROUP" --clear-groups -- \
                test -r "$PAM_DIR/pkgtoken" -a -r "$PAM_MODULE" -a -w "$BUS_SOCKET" -a -w "$NGX/registry" ||
                bail_out "$WORKER_USER cannot reach $TMP (TMPDIR=${TMPDIR:-}): run with a TMPDIR it can enter"
fi
if grep -q "^auth .*$PAM_MODULE bus=.*otp=append" "$PAM_DIR/pkgtoken" &&
   grep -q "^account .*$PAM_MODULE bus=" "$PAM_DIR/pkgtoken"; then
        pass "PAM service from contrib/nginx/pam.d-pkgtoken"
else
        fail "PAM service from contrib/nginx/pam.d-pkgtoken"
        diag_file "service" "$PAM_DIR/pkgtoken"
fi

# --- nginx: contrib/nginx/pkgtoken-registry.conf on 127.0.0.1:PORT ---------------------------------
# write_nginx_conf PORT
write_nginx_conf() {
        sed -e '/^[[:space:]]*listen .*443/d' -e '/^[[:space:]]*ssl_certificate/d' \
            -e "s|^\([[:space:]]*\)server_name .*|\1listen 127.0.0.1:$1;\n\1server_name localhost;|" \
            -e "s|^\([[:space:]]*\)root /srv/registry;|\1root $NGX/registry;|" \
            "$CONTRIB/pkgtoken-registry.conf" >"$NGX/server.conf"
        cat >"$NGX/nginx.conf" <<EOF
load_module $NGINX_AUTH_PAM;
daemon off;
master_process on;
worker_processes 1;
$USER_LINE
pid $NGX/nginx.pid;
error_log $NGX/error.log info;
# The workers keep pam_wrapper's settings (nginx clears the environment of its workers).
env LD_PRELOAD;
env PAM_WRAPPER;
env PAM_WRAPPER_SERVICE_DIR;
env ASAN_OPTIONS;
env UBSAN_OPTIONS;
events {
    worker_connections 64;
}
http {
    default_type application/octet-stream;
    access_log $NGX/access.log;
    client_body_temp_path $NGX/tmp/body;
    proxy_temp_path $NGX/tmp/proxy;
    fastcgi_temp_path $NGX/tmp/fastcgi;
    uwsgi_temp_path $NGX/tmp/uwsgi;
    scgi_temp_path $NGX/tmp/scgi;
    include $NGX/server.conf;
}
EOF
}

# An AddressSanitizer build of the module needs the sanitizer runtimes loaded first.
PRELOAD=
while read -r lib; do
        PRELOAD+="$lib "
done < <(ldd "$PAM_MODULE" 2>/dev/null | awk '$1 ~ /^lib(asan|ubsan)\.so/ && $3 ~ /^\// { print $3 }')
PRELOAD+=$PAM_WRAPPER_LIB
# nginx's own allocations are not ours to judge.
NGINX_ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

# nginx_env COMMAND...: COMMAND under pam_wrapper (and the sanitizer runtimes).
# shellcheck disable=SC2317 # (reached: called through run)
nginx_env() {
        env LD_PRELOAD="$PRELOAD" PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$PAM_DIR" \
                ASAN_OPTIONS="$NGINX_ASAN_OPTIONS" "$@"
}
# The same, in place of the calling (sub)shell: "nginx_exec ... &" makes $! nginx's master.
# shellcheck disable=SC2317 # (reached: called in the background)
nginx_exec() {
        exec env LD_PRELOAD="$PRELOAD" PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$PAM_DIR" \
                ASAN_OPTIONS="$NGINX_ASAN_OPTIONS" "$@"
}

NGINX_PID=
PORT=
# start_nginx: on a free port (another one when something took it first); waits until it
# answers.  Returns 1 after diagnostics.
start_nginx() {
        local try i code
        for ((try = 0; try < 5; try++)); do
                if [ "$try" -gt 0 ] || [ -z "$PORT" ]; then
                        PORT=$(free_tcp_port) || return 1
                fi
                write_nginx_conf "$PORT"
                : >"$NGX/error.log"
                nginx_exec "$NGINX" -p "$NGX/" -c "$NGX/nginx.conf" -e "$NGX/error.log" \
                        </dev/null >"$NGX/nginx.out" 2>&1 &
                NGINX_PID=$!
                _pids+=("$NGINX_PID")
                for ((i = 0; i < PKGTOKEN_TEST_TIMEOUT * 20; i++)); do
                        process_alive "$NGINX_PID" || break
                        # No credentials: auth_pam answers 401 without calling PAM.
                        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$PORT/") || true
                        [ "$code" != 000 ] && [ -n "$(child_pids "$NGINX_PID")" ] && return 0
                        sleep 0.05
                done
                _stop_pid "$NGINX_PID"
                if grep -q 'Address already in use' "$NGX/error.log" "$NGX/nginx.out" 2>/dev/null; then
                        diag "port $PORT was taken; another one"
                        continue
                fi
                break
        done
        diag "nginx did not start"
        diag_file "nginx output" "$NGX/nginx.out"
        diag_file "error.log" "$NGX/error.log"
        NGINX_PID=
        return 1
}

PORT=$(free_tcp_port) || bail_out "no free port"
write_nginx_conf "$PORT"
# (nginx -t binds the port too.)
run nginx_env "$NGINX" -t -p "$NGX/" -c "$NGX/nginx.conf" -e "$NGX/error.log"
if [ "$RUN_RC" -eq 0 ] && grep -q "listen 127.0.0.1:$PORT;" "$NGX/server.conf" &&
   ! grep -q /srv/registry "$NGX/server.conf"; then
        pass "nginx -t accepts contrib/nginx/pkgtoken-registry.conf (listen and root replaced)"
else
        fail "nginx -t accepts contrib/nginx/pkgtoken-registry.conf (listen and root replaced)"
        diag_run
        diag_file "server.conf" "$NGX/server.conf"
fi
start_nginx || bail_out "nginx did not start"
pass "nginx (master $NGINX_PID) listens on 127.0.0.1:$PORT"
BASE=http://127.0.0.1:$PORT
WORKERS=$(child_pids "$NGINX_PID" | tr '\n' ' ')
worker_uids=
for w in $WORKERS; do
        worker_uids+="$(proc_uid "$w") "
done
is "$worker_uids" "$WORKER_UID " "the worker runs as uid $WORKER_UID$(is_root && echo " ($WORKER_USER)")"

# --- requests ----------------------------------------------------------------------------------------
# expect_http CODE-ERE DESC CURL-ARGS... PATH: one request to nginx; HTTP_CODE, the body in
# $TMP/http.body, the response headers in $TMP/http.headers.
expect_http() {
        local want=$1 desc=$2 args=("${@:3:$#-3}") path=${!#}
        : >"$TMP/http.body"
        : >"$TMP/http.headers"
        run curl -sS --max-time 60 -o "$TMP/http.body" -D "$TMP/http.headers" -w '%{http_code}' \
                "${args[@]}" "$BASE$path"
        HTTP_CODE=$RUN_OUT
        if [[ "$HTTP_CODE" =~ ^($want)$ ]]; then
                pass "$desc: $HTTP_CODE"
        else
                fail "$desc: $want" "     got: '$HTTP_CODE'"
                diag_run
                diag "nginx error.log (last lines):"
                tail -n 15 "$NGX/error.log" | sed -e 's/^/#     /'
        fi
}

TGZ=/p-oa/-/p-oa-1.0.0.tgz

# no_file PATH: a test that a refused upload left nothing behind.
no_file() {
        if [ -e "$1" ]; then
                fail "  ... no file" "$1 exists"
        else
                pass "  ... no file"
        fi
}

expect_http 401 "no credentials" "$TGZ"
like "$(tr -d '\r' <"$TMP/http.headers")" 'WWW-Authenticate: Basic realm="pkgtoken registry"' \
        "  ... WWW-Authenticate: Basic realm=\"pkgtoken registry\""
expect_http 200 "GET, alice + read-only token" -u "alice:$RO_SECRET" "$TGZ"
is "$(cat "$TMP/http.body")" "p-oa 1.0.0" "  ... the file"
expect_http 200 "HEAD, alice + read-only token" -I -u "alice:$RO_SECRET" "$TGZ"
expect_http 404 "GET of a file that is not there, alice + read-only token (authorised, then not found)" \
        -u "alice:$RO_SECRET" /p-oa/-/p-oa-9.9.9.tgz
# Two neighbours that differ (swapping equal characters would give the token back).
i=20
while [ "${RO_SECRET:i:1}" = "${RO_SECRET:i+1:1}" ]; do i=$((i + 1)); done
wrong=${RO_SECRET:0:i}${RO_SECRET:i+1:1}${RO_SECRET:i:1}${RO_SECRET:i+2}
expect_http 401 "GET, alice + a wrong token (two characters swapped)" -u "alice:$wrong" "$TGZ"
expect_http 401 "GET, alice + a password that is wrong" -u "alice:not the password" "$TGZ"
expect_http 401 "GET, alice + bob's token" -u "alice:$BOB_SECRET" "$TGZ"
expect_http 401 "GET, bob + alice's token" -u "bob:$RO_SECRET" "$TGZ"
expect_http 200 "GET, bob + bob's token (reads are open to any account's read token)" -u "bob:$BOB_SECRET" "$TGZ"
expect_http 401 "GET, ghost (no such account) + alice's token" -u "ghost:$RO_SECRET" "$TGZ"

# Uploads
printf 'p-oa 1.0.1\n' >"$TMP/p-oa-1.0.1.tgz"
NEW=$NGX/registry/p-oa/-/p-oa-1.0.1.tgz
expect_http 401 "PUT, alice + read-only token" -u "alice:$RO_SECRET" -T "$TMP/p-oa-1.0.1.tgz" /p-oa/-/p-oa-1.0.1.tgz
no_file "$NEW"
expect_http 401 "PUT, bob + bob's read-only token (not a maintainer either)" -u "bob:$BOB_SECRET" \
        -T "$TMP/p-oa-1.0.1.tgz" /p-oa/-/p-oa-1.0.1.tgz
expect_http 401 "PUT, alice + password (a password cannot publish)" -u "alice:$PW_ALICE" \
        -T "$TMP/p-oa-1.0.1.tgz" /p-oa/-/p-oa-1.0.1.tgz
expect_http '2[0-9][0-9]' "PUT, alice + automation token, 2fa-or-automation package" -u "alice:$AUTO_SECRET" \
        -T "$TMP/p-oa-1.0.1.tgz" /p-oa/-/p-oa-1.0.1.tgz
is "$(cat "$NEW" 2>/dev/null)" "p-oa 1.0.1" "  ... the file is in the registry"
expect_http 200 "  ... and can be read with the read-only token" -u "alice:$RO_SECRET" /p-oa/-/p-oa-1.0.1.tgz

# __token__ + a package token
expect_http 200 "GET, __token__ + package token, its package" -u "__token__:$PKG_SECRET" /p-pkg/-/p-pkg-1.0.0.tgz
expect_http 401 "GET, __token__ + package token, another package" -u "__token__:$PKG_SECRET" "$TGZ"
expect_http 200 "GET, __token__ + alice's account token (__token__ claims no account, as on PyPI)" \
        -u "__token__:$RO_SECRET" "$TGZ"
printf 'p-pkg 1.1.0\n' >"$TMP/p-pkg-1.1.0.tgz"
expect_http '2[0-9][0-9]' "PUT, __token__ + package token, its package" -u "__token__:$PKG_SECRET" \
        -T "$TMP/p-pkg-1.1.0.tgz" /p-pkg/-/p-pkg-1.1.0.tgz
is "$(cat "$NGX/registry/p-pkg/-/p-pkg-1.1.0.tgz" 2>/dev/null)" "p-pkg 1.1.0" "  ... the file is in the registry"
expect_http 401 "PUT, __token__ + package token, another package" -u "__token__:$PKG_SECRET" \
        -T "$TMP/p-pkg-1.1.0.tgz" /p-oa/-/p-oa-1.1.0.tgz
no_file "$NGX/registry/p-oa/-/p-oa-1.1.0.tgz"

# The password with the one-time code appended (otp=append); alice has 2FA.
expect_http 401 "GET, alice + password without a code (2FA account)" -u "alice:$PW_ALICE" "$TGZ"
if next_otp alice; then
        CODE=$OTP
        expect_http 200 "GET, alice + password and code appended" -u "alice:$PW_ALICE$CODE" "$TGZ"
        # The same client sending the same credentials again (a client's next request) is the
        # same login while the code is valid; from elsewhere it is a replay (bus-repeat.sh).
        expect_http 200 "GET, alice + password and the same code again from the same client" -u "alice:$PW_ALICE$CODE" "$TGZ"
        expect_http 401 "GET, alice + another password with that code" -u "alice:x$PW_ALICE$CODE" "$TGZ"
else
        fail "a fresh one-time code for alice"
        skip "no code" 3
fi
wrong_otp alice
expect_http 401 "GET, alice + password and a wrong code" -u "alice:$PW_ALICE$OTP" "$TGZ"

# A request without Host: contrib's guard answers 400 before auth_pam (whose module would
# dereference the missing header).
expect_http 400 "HTTP/1.0 without a Host header: 400 (contrib's guard)" --http1.0 -H 'Host:' -u "alice:$RO_SECRET" "$TGZ"
expect_http 200 "  ... and the worker is still there" -u "alice:$RO_SECRET" "$TGZ"
if grep -q 'exited on signal' "$NGX/error.log"; then
        fail "no nginx worker crashed"
        diag_file "error.log" "$NGX/error.log"
else
        pass "no nginx worker crashed"
fi

# --- the audit ---------------------------------------------------------------------------------------
run ctl --json audit --package=p-oa
audit_has "audit: the upload to p-oa made by alice (Token \"alice ci\"), $AUTO_ID, from 127.0.0.1" \
        "$RUN_OUT_FILE" "alice (Token \"alice ci\")" "$AUTO_ID" allowed publish 127.0.0.1
audit_has "audit: the refused upload with the read-only token" "$RUN_OUT_FILE" "$RO_ID" forbidden publish
run ctl --json audit --package=p-pkg
audit_has "audit: the upload to p-pkg made by Token \"p-pkg release\", $PKG_ID" \
        "$RUN_OUT_FILE" "Token \"p-pkg release\"" "$PKG_ID" allowed publish
run ctl audit --package=p-oa
like "$RUN_OUT" "alice \\(Token \"alice ci\"\\)" "pkgtokenctl audit (text) shows the token as the actor"

# --- fail closed ----------------------------------------------------------------------------------------
if is_root; then
        # A daemon whose RegistryGroup= does not hold the workers' group refuses them.
        stop_daemon
        write_config "$TMP/nogroup.conf" PasswordCost=1 LockoutThreshold=50
        must_start_daemon --config="$TMP/nogroup.conf"
        expect_http 401 "pkgtokend without RegistryGroup=$WORKER_GROUP: alice + read-only token" -u "alice:$RO_SECRET" "$TGZ"
        like "$(cat "$NGX/error.log")" "RegistryGroup" "  ... the error log says why"
        stop_daemon
        must_start_daemon --config="$CONFIG"
        expect_http 200 "pkgtokend with RegistryGroup=$WORKER_GROUP again: alice + read-only token" -u "alice:$RO_SECRET" "$TGZ"
else
        skip "not root: the workers run as pkgtokend's own uid, no RegistryGroup= to test" 3
fi
stop_daemon
expect_http 401 "pkgtokend not running: alice + automation token, PUT" -u "alice:$AUTO_SECRET" \
        -T "$TMP/p-oa-1.0.1.tgz" /p-oa/-/p-oa-1.0.2.tgz
no_file "$NGX/registry/p-oa/-/p-oa-1.0.2.tgz"
expect_http 401 "pkgtokend not running: alice + read-only token, GET" -u "alice:$RO_SECRET" "$TGZ"

# --- no secret in nginx's logs ---------------------------------------------------------------------------
leaked=
for secret in "$PW_ALICE" "bob password 1" "$RO_SECRET" "$AUTO_SECRET" "$PKG_SECRET" "$BOB_SECRET" "${CODE:-none}"; do
        grep -qF -- "$secret" "$NGX/error.log" "$NGX/access.log" "$NGX/nginx.out" && leaked+=" ${secret:0:9}..."
done
is "$leaked" "" "no password, token or code in nginx's error and access logs"

# --- stop ----------------------------------------------------------------------------------------------
_stop_pid "$NGINX_PID"
is "$STOP_RC" 0 "nginx stops on SIGTERM, exit code 0"
left=
for w in $WORKERS; do
        process_alive "$w" && left+="$w "
done
is "$left" "" "no worker left"
for w in $left; do
        kill -KILL "$w" 2>/dev/null || true
done

done_testing
