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
# The harness (pam_wrapper, the workers' user, starting and stopping nginx) is tests/lib-nginx.sh.

# shellcheck disable=SC2153 # the *_SECRET and *_ID variables are set by must_create_token
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
. "$top_srcdir/tests/lib-nginx.sh"

need oathtool timeout curl
nginx_setup
for f in pkgtoken-registry.conf pam.d-pkgtoken; do
        [ -f "$CONTRIB/$f" ] || bail_out "contrib/nginx/$f not found"
done
mkdir -p "$NGX/registry"

nginx_daemon

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
mgr CreatePackage ssas p-npm none 1 alice >/dev/null || bail_out "cannot create package p-npm"
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
# An npm package with its document (NAME/index.json, see contrib) for the npm client; the
# tarball URL in the document is this server's, once the port is known (write_packument).
mkdir -p "$TMP/npm-src/package" "$NGX/registry/p-npm/-"
printf '{"name":"p-npm","version":"1.0.0","description":"a test package of pkgtoken"}\n' \
        >"$TMP/npm-src/package/package.json"
printf 'module.exports = 42;\n' >"$TMP/npm-src/package/index.js"
tar -C "$TMP/npm-src" --owner=0 --group=0 -czf "$NGX/registry/p-npm/-/p-npm-1.0.0.tgz" package
# write_packument BASE-URL
write_packument() {
        local tgz=$NGX/registry/p-npm/-/p-npm-1.0.0.tgz
        jq -n --arg base "$1" --arg sha1 "$(sha1sum "$tgz" | cut -d' ' -f1)" \
                --arg integrity "sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)" \
                '{name: "p-npm", "dist-tags": {latest: "1.0.0"},
                  versions: {"1.0.0": {name: "p-npm", version: "1.0.0",
                                       dist: {tarball: ($base + "/p-npm/-/p-npm-1.0.0.tgz"),
                                              shasum: $sha1, integrity: $integrity}}}}' \
                >"$NGX/registry/p-npm/index.json"
        chmod a+r "$NGX/registry/p-npm/index.json"
}
chmod -R a+rX "$NGX/registry"
is_root && chown -R "$WORKER_USER:$WORKER_GROUP" "$NGX/registry"

# --- the PAM service: contrib/nginx/pam.d-pkgtoken with the built module on the private bus --------
nginx_pam_service pkgtoken "$CONTRIB/pam.d-pkgtoken"
nginx_workers_can_reach "$NGX/registry"
if grep -q "^auth .*$PAM_MODULE bus=.*otp=append" "$PAM_DIR/pkgtoken" &&
   grep -q "^account .*$PAM_MODULE bus=" "$PAM_DIR/pkgtoken"; then
        pass "PAM service from contrib/nginx/pam.d-pkgtoken"
else
        fail "PAM service from contrib/nginx/pam.d-pkgtoken"
        diag_file "service" "$PAM_DIR/pkgtoken"
fi

# --- nginx: contrib/nginx/pkgtoken-registry.conf on 127.0.0.1:PORT ---------------------------------
# shellcheck disable=SC2317 # (reached: called by write_nginx_conf)
nginx_server_conf() {
        contrib_server_block "$CONTRIB/pkgtoken-registry.conf" "$1" /srv/registry "$NGX/registry"
}
# shellcheck disable=SC2317 # (reached: called by nginx_test)
root_replaced() {
        ! grep -q /srv/registry "$NGX/server.conf"
}
NGINX_TEST_EXTRA=root_replaced nginx_test "nginx -t accepts contrib/nginx/pkgtoken-registry.conf (listen and root replaced)"
start_nginx || bail_out "nginx did not start"
pass "nginx (master $NGINX_PID) listens on 127.0.0.1:$PORT"
nginx_workers_run_as

# --- requests ----------------------------------------------------------------------------------------
TGZ=/p-oa/-/p-oa-1.0.0.tgz

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
# --- the npm client ------------------------------------------------------------------------------------
# npm 11 sends HTTP Basic from a per-registry _auth only; a top-level _auth is an error.
# npm_run DESC-unused AUTH-LINE NPM-ARGS...: npm with only this .npmrc, its own cache and home.
npm_run() {
        printf 'registry=%s/\n%s\n' "$BASE" "$1" >"$TMP/npm-home/.npmrc"
        shift
        run env HOME="$TMP/npm-home" npm_config_userconfig="$TMP/npm-home/.npmrc" \
                npm_config_cache="$TMP/npm-home/cache" npm_config_update_notifier=false \
                npm_config_fund=false npm_config_audit=false npm_config_fetch_retries=0 \
                timeout 120 "$NPM" "$@"
}
NPM=$(command -v npm || true)
if [ -n "$NPM" ] && [ "$("$NPM" --version 2>/dev/null | cut -d. -f1)" -ge 9 ] 2>/dev/null; then
        write_packument "$BASE"
        mkdir -p "$TMP/npm-home" "$TMP/npm-project"
        AUTH_RO=$(printf '%s' "alice:$RO_SECRET" | base64 -w0)
        npm_run "_auth=$AUTH_RO" view p-npm version
        if [ "$RUN_RC" -ne 0 ] && [[ "$RUN_OUT$RUN_ERR" == *ERR_INVALID_AUTH* ]]; then
                pass "npm $("$NPM" --version) refuses a top-level _auth (ERR_INVALID_AUTH)"
        else
                fail "npm $("$NPM" --version) refuses a top-level _auth (ERR_INVALID_AUTH)"
                diag_run
        fi
        npm_run "//127.0.0.1:$PORT/:_auth=$AUTH_RO" view p-npm version
        is "$RUN_OUT" "1.0.0" "npm view p-npm version, //127.0.0.1:$PORT/:_auth = alice + read-only token"
        like "$(cat "$NGX/access.log")" '"GET /p-npm HTTP/1.1" 200 ' "  ... nginx served the document at /p-npm (try_files NAME/index.json)"
        npm_run "//127.0.0.1:$PORT/:_auth=$AUTH_RO" install --prefix "$TMP/npm-project" --no-save --no-package-lock p-npm
        if [ "$RUN_RC" -eq 0 ] && [ -f "$TMP/npm-project/node_modules/p-npm/index.js" ]; then
                pass "npm install p-npm, alice + read-only token: document and tarball"
        else
                fail "npm install p-npm, alice + read-only token: document and tarball"
                diag_run
        fi
        npm_run "//127.0.0.1:$PORT/:_auth=$(printf '%s' "bob:$RO_SECRET" | base64 -w0)" view p-npm version
        if [ "$RUN_RC" -ne 0 ] && [[ "$RUN_OUT$RUN_ERR" == *E401* ]]; then
                pass "npm view, bob + alice's token: E401"
        else
                fail "npm view, bob + alice's token: E401"
                diag_run
        fi
        like "$(tail -n 5 "$NGX/error.log")" 'PAM: .*request: "GET /p-npm HTTP/1.1"' \
                "  ... nginx's error log has the module's reason, with the request"
        expect_http 403 "PUT /p-npm (a document: variant 1 takes tarballs only), alice + automation token" \
                -u "alice:$AUTO_SECRET" -T "$TMP/p-oa-1.0.1.tgz" /p-npm
else
        skip "no npm (9 or later) to test" 6
fi

no_worker_crashed

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
no_secret_in_logs "no password, token or code in nginx's error and access logs" \
        "$NGX/error.log" "$NGX/access.log" "$NGX/nginx.out" -- \
        "$PW_ALICE" "bob password 1" "$RO_SECRET" "$AUTO_SECRET" "$PKG_SECRET" "$BOB_SECRET" "${CODE:-none}"

# --- stop ----------------------------------------------------------------------------------------------
stop_nginx

done_testing
