# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# The nginx harness of the bus tests that put Debian's nginx + auth_pam + pam_pkgtoken in
# front of a real pkgtokend (bus-nginx.sh, bus-pypi.sh).  Source it after tests/lib.sh.
#
# The PAM services come from the test's temp dir, never /etc/pam.d: nginx runs under
# pam_wrapper (LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR=...), whose
# pam_start() reads the services of that directory.  That needs no privileges.
#
# As root, nginx's workers run as nobody (as they run as www-data in production) and pkgtokend
# admits them through RegistryGroup= (nobody's group); a daemon without that setting refuses
# them.  As another user, nginx cannot switch users: master, workers and pkgtokend share the
# uid, which pkgtokend admits as its own.
#
# The caller:
#   nginx_setup                      finds everything, sets NGX, PAM_DIR, WORKER_* ...
#   (starts the bus and the daemon, with RegistryGroup=$WORKER_GROUP as root)
#   nginx_bus_reachable              as root, lets the workers reach the bus socket
#   nginx_pam_service NAME FILE      a contrib PAM service with the built module on the bus
#   nginx_server_conf() { ... }      defines how $NGX/server.conf is written for port $1
#   start_nginx                      on a free port: PORT, BASE, NGINX_PID, WORKERS
#   expect_http ...                  requests
#   stop_nginx                       two tests: exit code 0, no worker left
#
# Every process is started and stopped by PID; all traffic is on 127.0.0.1.

# shellcheck disable=SC2154 # (top_srcdir and top_builddir come from lib.sh)
need timeout curl
: "${PAM_MODULE:=$top_builddir/pam_pkgtoken/.libs/pam_pkgtoken.so}"
# nginx lives in /usr/sbin, which an ordinary user's PATH may lack.
: "${NGINX:=$(command -v nginx || echo /usr/sbin/nginx)}"
: "${NGINX_AUTH_PAM:=/usr/lib/nginx/modules/ngx_http_auth_pam_module.so}"
# shellcheck disable=SC2034 # (used by the tests that source this file)
CONTRIB=$top_srcdir/contrib/nginx
NGX=$TMP/nginx
PAM_DIR=$TMP/pam.d

# missing_part WHAT DEBIAN-PACKAGE: skip the file, or in CI stop it.
missing_part() {
        [ "${CI:-}" = true ] && bail_out "$1 not found (CI must install $2)"
        skip_all "$1 not found (apt-get install $2)"
}

# nginx_setup: checks nginx, the auth_pam module, pam_wrapper and the built PAM module; sets
# WORKER_USER, WORKER_GROUP, WORKER_UID, USER_LINE (nginx's "user" directive, or nothing),
# PAM_MODULE (a copy the workers can load, as root), PRELOAD and NGINX_ASAN_OPTIONS.
nginx_setup() {
        local d lib
        [ -f "$PAM_MODULE" ] || bail_out "pam_pkgtoken.so not built: $PAM_MODULE"
        PAM_MODULE=$(cd "$(dirname "$PAM_MODULE")" && pwd)/$(basename "$PAM_MODULE")
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
        mkdir -p "$NGX/tmp" "$PAM_DIR"

        # Who the workers are.
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
                WORKER_GROUP=$(id -gn)
                USER_LINE=
        fi

        # An AddressSanitizer build of the module needs the sanitizer runtimes loaded first.
        PRELOAD=
        while read -r lib; do
                PRELOAD+="$lib "
        done < <(ldd "$PAM_MODULE" 2>/dev/null | awk '$1 ~ /^lib(asan|ubsan)\.so/ && $3 ~ /^\// { print $3 }')
        PRELOAD+=$PAM_WRAPPER_LIB
        # nginx's own allocations are not ours to judge.
        NGINX_ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
        # Services nginx does not name fall to "other": refuse, as a system would.
        printf '%s required pam_deny.so\n' auth account password session >"$PAM_DIR/other"
        chmod -R a+rX "$PAM_DIR"
}

# nginx_daemon: pkgtokend on a private bus, with settings for a test behind nginx (as root
# the workers' group is RegistryGroup=), reachable by nginx's workers.
nginx_daemon() {
        local conf=(PasswordCost=1 LockoutThreshold=50)
        CONFIG=$TMP/pkgtokend.conf
        is_root && conf+=("RegistryGroup=$WORKER_GROUP")
        write_config "$CONFIG" "${conf[@]}"
        setup_bus_and_daemon --config="$CONFIG"
        nginx_bus_reachable
}

# nginx_bus_reachable: as root, the workers (nobody) may connect to the private bus.
nginx_bus_reachable() {
        if is_root; then
                chmod a+x "$TMP/bus" && chmod a+rw "$BUS_SOCKET"
        fi
        return 0
}

# nginx_pam_service NAME CONTRIB-FILE: $PAM_DIR/NAME from a PAM service of contrib/nginx/,
# with the built module on the private bus (timeout=20 rather than 3: a loaded test machine
# must not turn into a flaky 401).
nginx_pam_service() {
        sed -e "s|pam_pkgtoken\.so|$PAM_MODULE bus=$PKGTOKEN_BUS_ADDRESS|" -e 's|timeout=3|timeout=20|' \
                "$2" >"$PAM_DIR/$1"
        chmod a+r "$PAM_DIR/$1"
}

# nginx_workers_can_reach PATH...: as root, a test-setup check that the workers' user can
# read the PAM services and the module, write the bus socket and write the PATHs.  (A $TMPDIR it
# cannot enter would otherwise show as nothing but 401s.)
nginx_workers_can_reach() {
        local p args=(-r "$PAM_MODULE" -a -w "$BUS_SOCKET")
        for p in "$PAM_DIR"/*; do
                args+=(-a -r "$p")
        done
        for p in "$@"; do
                args+=(-a -w "$p")
        done
        if is_root && command -v setpriv >/dev/null 2>&1; then
                setpriv --reuid="$WORKER_UID" --regid="$WORKER_GROUP" --clear-groups -- test "${args[@]}" ||
                        bail_out "$WORKER_USER cannot reach $TMP (TMPDIR=${TMPDIR:-}): run with a TMPDIR it can enter"
        fi
        return 0
}

# contrib_server_block FILE PORT ROOT-IN-FILE ROOT: a contrib server block on stdout, with a
# plain listen on 127.0.0.1:PORT for its HTTPS lines and the test's root for its own.
contrib_server_block() {
        sed -e '/^[[:space:]]*listen .*443/d' -e '/^[[:space:]]*ssl_certificate/d' \
            -e "s|^\([[:space:]]*\)server_name .*|\1listen 127.0.0.1:$2;\n\1server_name localhost;|" \
            -e "s|^\([[:space:]]*\)root $3;|\1root $4;|" \
            "$1"
}

# write_nginx_conf PORT: $NGX/server.conf (the caller's nginx_server_conf PORT) and the
# nginx.conf around it.
write_nginx_conf() {
        nginx_server_conf "$1" >"$NGX/server.conf"
        cat >"$NGX/nginx.conf" <<EOF
load_module $NGINX_AUTH_PAM;
daemon off;
master_process on;
worker_processes 1;
$USER_LINE
pid $NGX/nginx.pid;
error_log $NGX/error.log ${NGINX_LOG_LEVEL:-info};
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

# nginx_test DESC: `nginx -t` on the configuration for a free PORT, as a test (nginx -t binds
# the port too).  The caller may add conditions on server.conf with NGINX_TEST_EXTRA (a
# command that returns 0 when they hold).
nginx_test() {
        PORT=$(free_tcp_port) || bail_out "no free port"
        write_nginx_conf "$PORT"
        run nginx_env "$NGINX" -t -p "$NGX/" -c "$NGX/nginx.conf" -e "$NGX/error.log"
        if [ "$RUN_RC" -eq 0 ] && grep -q "listen 127.0.0.1:$PORT;" "$NGX/server.conf" &&
           { [ -z "${NGINX_TEST_EXTRA:-}" ] || $NGINX_TEST_EXTRA; }; then
                pass "$1"
        else
                fail "$1"
                diag_run
                diag_file "server.conf" "$NGX/server.conf"
        fi
}

NGINX_PID=
PORT=
# start_nginx: on a free port (another one when something took it first); waits until it
# answers.  Sets PORT, BASE, NGINX_PID and WORKERS.  Returns 1 after diagnostics.
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
                        if [ "$code" != 000 ] && [ -n "$(child_pids "$NGINX_PID")" ]; then
                                BASE=http://127.0.0.1:$PORT
                                WORKERS=$(child_pids "$NGINX_PID" | tr '\n' ' ')
                                return 0
                        fi
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

# nginx_workers_run_as: a test that the workers run as WORKER_UID.
nginx_workers_run_as() {
        local w worker_uids=
        for w in $WORKERS; do
                worker_uids+="$(proc_uid "$w") "
        done
        is "$worker_uids" "$WORKER_UID " "the worker runs as uid $WORKER_UID$(is_root && echo " ($WORKER_USER)")"
}

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

# no_file PATH: a test that a refused upload left nothing behind.
no_file() {
        if [ -e "$1" ]; then
                fail "  ... no file" "$1 exists"
        else
                pass "  ... no file"
        fi
}

# no_worker_crashed: a test on the error log.
no_worker_crashed() {
        if grep -q 'exited on signal' "$NGX/error.log"; then
                fail "no nginx worker crashed"
                diag_file "error.log" "$NGX/error.log"
        else
                pass "no nginx worker crashed"
        fi
}

# no_secret_in_logs DESC FILE... -- SECRET...: a test that no SECRET is in any FILE.
no_secret_in_logs() {
        local desc=$1 files=() leaked='' secret
        shift
        while [ $# -gt 0 ] && [ "$1" != -- ]; do
                files+=("$1")
                shift
        done
        shift
        for secret in "$@"; do
                [ -n "$secret" ] || continue
                grep -qF -- "$secret" "${files[@]}" 2>/dev/null && leaked+=" ${secret:0:9}..."
        done
        is "$leaked" "" "$desc"
}

# stop_nginx: two tests: nginx stops on SIGTERM with exit code 0, and no worker is left.
stop_nginx() {
        local w left=
        _stop_pid "$NGINX_PID"
        is "$STOP_RC" 0 "nginx stops on SIGTERM, exit code 0"
        for w in $WORKERS; do
                process_alive "$w" && left+="$w "
        done
        is "$left" "" "no worker left"
        for w in $left; do
                kill -KILL "$w" 2>/dev/null || true
        done
        NGINX_PID=
}
