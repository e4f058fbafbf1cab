#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The registry server end to end: the real npm CLI -> a real Verdaccio 6 (on 127.0.0.1, a
# free port, storage in the temp dir) with contrib/verdaccio (verdaccio-pkgtoken) -> the real
# pkgtokend on a private bus.  As root the bus has the real system-bus policy
# (tests/bus-policy.conf.in + dbus/org.pkgtoken1.conf) and Verdaccio runs as nobody, admitted
# by RegistryGroup= (nobody's group), as a registry does in production; as another user the
# bus is the permissive test bus and Verdaccio shares the daemon's uid.
#
# Flows: publish with an automation token; EOTP, then publish with --otp; a replayed code;
# governance (issue 10): automation tokens and sessions of accounts without 2FA refused
# token create and owner add with a message that says what would be accepted;
# refusals (scope, CIDR, read-only, 2fa-only); a revocation seen at once; npm login
# --auth-type=legacy with password + OTP; npm's web login, its page driven as a browser would
# (headless Chromium, or curl without it); whoami, token list/create/revoke (the password
# checked too), logout; owner add/ls/rm (the last maintainer stays), dist-tag, deprecate,
# unpublish; npm access (set mfa, get/set status, list collaborators); npm profile enable-2fa and
# disable-2fa; the daemon down -> 503 within the timeout, then back; no
# secret in Verdaccio's or the daemon's logs.
#
# Needs: node + npm, contrib/verdaccio/node_modules (`npm ci` there), oathtool, curl, and
# chromium for the login page (curl stands in without it, except in CI).
# Skips as a whole while pkgtokend lacks the registry API (Verify: see contrib/verdaccio).
# Every process is started and stopped by PID; all traffic is on 127.0.0.1 and unix sockets;
# npm gets a fresh userconfig and cache in the temp dir and no registry but this one.

# shellcheck disable=SC2317 # helpers are called through run/ok
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib-verdaccio.sh"

# --- publish ------------------------------------------------------------------------------------
ok "automation token publishes p-oa@1.0.0 without a code" publish "$RC_AUTO" p-oa 1.0.0
ok "  ... npm view sees it" npmx "$RC_AUTO" view p-oa@1.0.0 version
ok "anonymous read works (packages: access \$all)" npmx "$RC_NONE" view p-oa version
run publish "$RC_PUB" p-oa 1.1.0
if [ "$RUN_RC" -ne 0 ] && grep -q 'EOTP' "$RUN_ERR_FILE"; then pass "publish token without a code: npm says EOTP"; else fail "publish token without a code: npm says EOTP"; diag_run; fi
next_otp alice
ok "  ... and publishes with --otp" publish "$RC_PUB" p-oa 1.1.0 --otp="$OTP"
REPLAYED=$OTP
# pkgtokend takes a code again only from the same token and address while it is valid (npm
# sends it on every request of one command); from any other token it is a replay.
run publish "$RC_PUB2" p-oa 1.1.1 --otp="$REPLAYED"
if [ "$RUN_RC" -ne 0 ] && grep -qE 'EOTP|one-time' "$RUN_ERR_FILE"; then pass "a code replayed with another token is refused"; else fail "a code replayed with another token is refused"; diag_run; fi

run publish "$RC_RO" p-oa 1.2.0
if [ "$RUN_RC" -ne 0 ] && grep -q 'E403' "$RUN_ERR_FILE"; then pass "read-only token: 403"; else fail "read-only token: 403"; diag_run; fi
run publish "$RC_SCOPED" p-other 1.0.0
if [ "$RUN_RC" -ne 0 ] && grep -q 'E403' "$RUN_ERR_FILE"; then pass "token scoped to p-oa cannot publish p-other: 403"; else fail "token scoped to p-oa: 403 for p-other"; diag_run; fi
run publish "$RC_CIDR" p-oa 1.2.0
if [ "$RUN_RC" -ne 0 ] && grep -q 'E403' "$RUN_ERR_FILE"; then pass "token for 192.0.2.0/24 from 127.0.0.1: 403"; else fail "CIDR refusal"; diag_run; fi
run publish "$RC_AUTO" p-strict 1.0.0
if [ "$RUN_RC" -ne 0 ] && grep -q 'E403' "$RUN_ERR_FILE"; then pass "2fa-only package refuses an automation token: 403"; else fail "2fa-only refusal"; diag_run; fi
ok "a new package: published and created with alice as maintainer" publish "$RC_AUTO" p-new 0.1.0
run mgr_json GetPackage s p-new
like "$(jq -c "$JQ_ASV" <"$RUN_OUT_FILE" 2>/dev/null)" '"maintainers":\["alice"\]' "  ... pkgtokend has p-new with maintainer alice"
# A publish Verdaccio rejects (the same version again) leaves no trace as "published".
run publish "$RC_AUTO" p-oa 1.0.0
isnt "$RUN_RC" 0 "republishing p-oa@1.0.0 is rejected by Verdaccio"
run ctl --json audit --package=p-oa
is "$(jq '[.. | strings | select(test("published p-oa@1\\.0\\.0 by "))] | length' <"$RUN_OUT_FILE" 2>/dev/null)" 1 \
        "  ... the audit says \"published p-oa@1.0.0 by ...\" once, for the first upload only"

# --- revocation seen at once --------------------------------------------------------------------
# alice has 2FA by now: a new token needs a current code (--otp reads it from stdin).
next_otp alice
printf '%s\n' "$OTP" >"$TMP/otp-tmptok.in"
RUN_STDIN=$TMP/otp-tmptok.in must_create_token TMPTOK alice --type=automation --description="short-lived" --otp
RC_TMP=$(rc_with tmp "$TMPTOK_SECRET")
ok "a fresh token reads" npmx "$RC_TMP" view p-oa version
ok "  ... revoked by the admin" ctl token revoke "$TMPTOK_ID"
run npmx "$RC_TMP" publish "$(make_pkg p-oa 1.3.0)"
if [ "$RUN_RC" -ne 0 ] && grep -q 'E401' "$RUN_ERR_FILE"; then pass "  ... and refused (401) on the next request"; else fail "revoked token refused at once"; diag_run; fi

# --- npm login --auth-type=legacy -----------------------------------------------------------------
# login_legacy RC USER PASSWORD OTP: npm reads each prompt with a fresh reader, so each
# answer goes in once its prompt is there (a pipe written at once feeds only the first).
# npm's output is printed when it is done; the exit code is npm's.
_login_n=0
login_legacy() {
        local rc=$1 user=$2 pw=$3 otp=$4 out fifo pid status
        _login_n=$((_login_n + 1))
        out=$TMP/login.$_login_n.out
        fifo=$TMP/login.$_login_n.in
        mkfifo "$fifo"
        npmx "$rc" login --auth-type=legacy --otp="$otp" <"$fifo" >"$out" 2>&1 &
        pid=$!
        exec 8>"$fifo"
        wait_for 30 grep -q 'Username: ' "$out" && printf '%s\n' "$user" >&8
        wait_for 30 grep -q 'Password: ' "$out" && printf '%s\n' "$pw" >&8
        exec 8>&-
        wait "$pid"
        status=$?
        cat "$out"
        return "$status"
}
RC_LEGACY=$TMP/legacy.npmrc
: >"$RC_LEGACY"
next_otp alice
run login_legacy "$RC_LEGACY" alice "$PW_ALICE" "$OTP"
if [ "$RUN_RC" -eq 0 ] && grep -q "_authToken=pkgt_" "$RC_LEGACY"; then
        pass "npm login --auth-type=legacy with password + OTP stores a session token"
else
        fail "npm login --auth-type=legacy with password + OTP stores a session token"
        diag_run
fi
run login_legacy "$TMP/legacy-bad.npmrc" alice "wrong password" 000000
isnt "$RUN_RC" 0 "  ... a wrong password is refused"
run npmx "$RC_LEGACY" whoami
is "$RUN_OUT" alice "npm whoami with the session token: alice"
run npmx "$RC_AUTO" whoami
is "$RUN_OUT" alice "npm whoami with the automation token: alice"

# --- npm's web login, its page driven as a browser would ------------------------------------------
RC_WEB=$TMP/web.npmrc
: >"$RC_WEB"
npmx "$RC_WEB" login </dev/null >"$TMP/weblogin.out" 2>&1 &
WEB_NPM=$!
_pids+=("$WEB_NPM")
wait_for 20 grep -qE 'http://127\.0\.0\.1:[0-9]+/-/pkgtoken/login/' "$TMP/weblogin.out"
LOGIN_URL=$(grep -oE 'http://127\.0\.0\.1:[0-9]+/-/pkgtoken/login/[A-Za-z0-9_-]+' "$TMP/weblogin.out" | head -n 1)
like "$LOGIN_URL" '^http://127\.0\.0\.1:[0-9]+/-/pkgtoken/login/' "npm login prints the login page's URL"
next_otp alice
if command -v "${CHROMIUM:-chromium}" >/dev/null 2>&1; then
        # A real headless browser fills in the form and presses the button.
        run node "$PLUGIN_SRC/test-support/browser-login.js" "$LOGIN_URL" alice "$PW_ALICE" "$OTP"
        is "$RUN_RC" 0 "  ... headless Chromium logs in on the page with password + code"
        [ "$RUN_RC" -eq 0 ] || diag_run
else
        [ "${CI:-}" = true ] && bail_out "chromium not found (CI must install it)"
        # Without one: curl does what the browser would (GET the page, POST its form).
        JAR=$TMP/cookies
        curl -sS -c "$JAR" -o "$TMP/page.html" "$LOGIN_URL"
        CSRF=$(sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' "$TMP/page.html" | head -n 1)
        isnt "$CSRF" "" "  ... the page has a form with its anti-forgery value (curl: no chromium)"
        code=$(curl -sS -b "$JAR" -o "$TMP/after.html" -w '%{http_code}' --data-urlencode "csrf=$CSRF" \
                --data-urlencode username=alice --data-urlencode "password=$PW_ALICE" --data-urlencode "otp=$OTP" "$LOGIN_URL")
        is "$code" 200 "  ... posting password + code logs in"
fi
curl -sS -o "$TMP/page.html" "$LOGIN_URL"
unlike "$(cat "$TMP/page.html")" '<script|src="http' "  ... the page has no scripts or external assets"
wait_for 20 bash -c "! kill -0 $WEB_NPM 2>/dev/null"
wait "$WEB_NPM" 2>/dev/null
WEB_RC=$?
_forget_pid "$WEB_NPM"
is "$WEB_RC" 0 "  ... npm login (web) finishes"
like "$(cat "$RC_WEB")" '_authToken=pkgt_' "  ... and stores a session token"
run npmx "$RC_WEB" whoami
is "$RUN_OUT" alice "  ... whoami: alice"

# --- tokens, logout --------------------------------------------------------------------------------
next_otp alice
run npmx "$RC_WEB" token create --password="$PW_ALICE" --otp="$OTP" --bypass-2fa --packages=p-oa --cidr=127.0.0.1/32 --token-description=from-npm
NEW_TOKEN=$(grep -oE 'pkgt_[0-9A-Za-z]{42}' "$RUN_OUT_FILE" | head -n 1)
like "$NEW_TOKEN" '^pkgt_' "npm token create (automation, --packages, --cidr) prints a token once"
RC_NEW=$(rc_with new "$NEW_TOKEN")
ok "  ... which publishes p-oa without a code" publish "$RC_NEW" p-oa 1.4.0
run npmx "$RC_WEB" token list --json
like "$(cat "$RUN_OUT_FILE")" 'from-npm' "npm token list shows it"
NEW_KEY=$(jq -r '.[] | select(.name == "from-npm") | .key' <"$RUN_OUT_FILE" 2>/dev/null | head -n 1)
next_otp alice
ok "npm token revoke <key>" npmx "$RC_WEB" token revoke "$NEW_KEY" --otp="$OTP"
run publish "$RC_NEW" p-oa 1.5.0
isnt "$RUN_RC" 0 "  ... the revoked token is refused at once"
run npmx "$RC_AUTO" token create --password="$PW_ALICE"
isnt "$RUN_RC" 0 "an automation token cannot create tokens (governance)"
like "$(cat "$RUN_OUT_FILE" "$RUN_ERR_FILE")" '403 Forbidden - POST .* - Automation and package tokens .*cannot create, revoke or rotate tokens: log in as a person' \
        "  ... npm shows a 403 that says why and what would be accepted"
next_otp alice
run npmx "$RC_WEB" token create --password="wrong password" --otp="$OTP" --token-description=wrong-password
if [ "$RUN_RC" -ne 0 ] && grep -q 'E401' "$RUN_ERR_FILE"; then
        pass "npm token create with a wrong password: refused (E401), the password is checked with the token"
else
        fail "npm token create with a wrong password: refused (E401), the password is checked with the token"
        diag_run
fi
run ctl --json token list --account=alice
is "$(jq '[.[] | select(.description == "wrong-password")] | length' <"$RUN_OUT_FILE" 2>/dev/null)" 0 "  ... and no token was made"
ok "npm logout" npmx "$RC_LEGACY" logout
run npmx "$RC_LEGACY" whoami
isnt "$RUN_RC" 0 "  ... the session is gone"

# --- npm profile: bob turns two-factor authentication on and off with npm -------------------------
RC_BOB=$TMP/bob.npmrc
: >"$RC_BOB"
run login_legacy "$RC_BOB" bob "$PW_BOB" ""
like "$(cat "$RC_BOB")" '_authToken=pkgt_' "bob (no 2FA) logs in with his password alone"
# Governance (issue 10): bob's session publishes without a code, so it makes no tokens.
run npmx "$RC_BOB" token create --password="$PW_BOB"
isnt "$RUN_RC" 0 "bob (no 2FA): npm token create with his session is refused (governance)"
like "$(cat "$RUN_OUT_FILE" "$RUN_ERR_FILE")" '403 Forbidden - POST .* cannot create, revoke or rotate tokens: enable two-factor authentication' "  ... npm says to enable 2FA first"
run npmx "$RC_BOB" profile get --json
is "$(jq -r '.tfa' <"$RUN_OUT_FILE" 2>/dev/null)" false "npm profile get: bob has no 2FA"
# npm asks for the password, prints the secret, then asks for the first code: each answer
# goes in when its prompt is there.
mkfifo "$TMP/2fa.in"
npmx "$RC_BOB" profile enable-2fa auth-and-writes <"$TMP/2fa.in" >"$TMP/2fa.out" 2>&1 &
TFA_NPM=$!
_pids+=("$TFA_NPM")
exec 7>"$TMP/2fa.in"
wait_for 20 grep -q 'npm password: ' "$TMP/2fa.out" && printf '%s\n' "$PW_BOB" >&7
wait_for 20 grep -q 'authenticator: ' "$TMP/2fa.out"
OTP_SECRET[bob]=$(grep -oE 'Or enter code:? *[A-Z2-7]{16,}' "$TMP/2fa.out" | grep -oE '[A-Z2-7]{16,}$' | head -n 1)
OTP_LAST[bob]=0
if [ -n "${OTP_SECRET[bob]}" ] && next_otp bob; then printf '%s\n' "$OTP" >&7; fi
exec 7>&-
wait "$TFA_NPM"
TFA_RC=$?
_forget_pid "$TFA_NPM"
if [ "$TFA_RC" -eq 0 ] && grep -q 'recovery codes' "$TMP/2fa.out"; then
        pass "npm profile enable-2fa: secret shown, first code confirmed, recovery codes printed"
else
        fail "npm profile enable-2fa: secret shown, first code confirmed, recovery codes printed"
        diag_file "npm output" "$TMP/2fa.out"
fi
run mgr_json GetAccount s bob
is "$(jq -r "$JQ_ASV | .twofa" <"$RUN_OUT_FILE" 2>/dev/null)" auth-and-writes "  ... pkgtokend: bob's 2FA is auth-and-writes"
next_otp bob
printf '%s\n' "$PW_BOB" >"$TMP/pw-bob.in"
RUN_STDIN=$TMP/pw-bob.in run npmx "$RC_BOB" profile disable-2fa --otp="$OTP"
is "$RUN_RC" 0 "npm profile disable-2fa with password + code"
run mgr_json GetAccount s bob
is "$(jq -r "$JQ_ASV | .twofa" <"$RUN_OUT_FILE" 2>/dev/null)" disabled "  ... pkgtokend: bob's 2FA is off"

# --- owner, dist-tag, deprecate, unpublish ---------------------------------------------------------
next_otp alice
ok "npm owner add bob p-oa (with a code)" npmx "$RC_WEB" owner add bob p-oa --otp="$OTP"
run mgr_json GetPackage s p-oa
like "$(jq -c "$JQ_ASV" <"$RUN_OUT_FILE" 2>/dev/null)" '"bob"' "  ... bob maintains p-oa in pkgtokend"
run npmx "$RC_AUTO" owner add carol p-oa
isnt "$RUN_RC" 0 "an automation token cannot change owners"
like "$(cat "$RUN_OUT_FILE" "$RUN_ERR_FILE")" '403 Forbidden - PUT .* - Automation and package tokens .*cannot change maintainers' "  ... npm shows a 403 that says why"
run mgr_json GetPackage s p-oa
unlike "$(jq -c "$JQ_ASV" <"$RUN_OUT_FILE" 2>/dev/null)" '"carol"' "  ... carol does not maintain p-oa"
run npmx "$RC_AUTO" owner ls p-oa
is "$RUN_OUT" "$(printf 'alice <alice@example.org>\nbob <bob@example.org>')" "npm owner ls p-oa: pkgtokend's maintainers with their e-mail addresses"
ok "npm dist-tag add p-oa@1.0.0 stable (automation)" npmx "$RC_AUTO" dist-tag add p-oa@1.0.0 stable
run npmx "$RC_AUTO" dist-tag ls p-oa
like "$RUN_OUT" 'stable: 1\.0\.0' "  ... dist-tag ls shows it"
ok "npm deprecate p-oa@1.0.0 (automation)" npmx "$RC_AUTO" deprecate p-oa@1.0.0 "use 1.1"
run npmx "$RC_AUTO" view p-oa@1.0.0 deprecated
is "$RUN_OUT" "use 1.1" "  ... npm view shows the deprecation"
next_otp alice
ok "npm unpublish p-oa@1.4.0 (session + code)" npmx "$RC_WEB" unpublish p-oa@1.4.0 --otp="$OTP"
run npmx "$RC_AUTO" view p-oa@1.4.0 version
is "$RUN_OUT" "" "  ... 1.4.0 is gone"
run ctl --json audit --package=p-oa
for action in unpublish deprecate dist-tag; do
        like "$(cat "$RUN_OUT_FILE")" "\"$action" "the audit records a $action"
done

# --- npm access: the package policy (SetOwnPackagePolicy), visibility, collaborators ---------------
next_otp alice
ok "npm access set mfa=publish p-oa (session + code)" npmx "$RC_WEB" access set mfa=publish p-oa --otp="$OTP"
run mgr_json GetPackage s p-oa
is "$(jq -r "$JQ_ASV | .policy" <"$RUN_OUT_FILE" 2>/dev/null)" 2fa-only "  ... pkgtokend: p-oa is 2fa-only"
run publish "$RC_AUTO" p-oa 1.7.0
isnt "$RUN_RC" 0 "  ... and now refuses the automation token"
next_otp alice
ok "npm access set mfa=automation p-oa" npmx "$RC_WEB" access set mfa=automation p-oa --otp="$OTP"
run mgr_json GetPackage s p-oa
is "$(jq -r "$JQ_ASV | .policy" <"$RUN_OUT_FILE" 2>/dev/null)" 2fa-or-automation "  ... pkgtokend: p-oa is 2fa-or-automation"
run npmx "$RC_AUTO" access set mfa=none p-oa
if [ "$RUN_RC" -ne 0 ] && grep -q 'E403' "$RUN_ERR_FILE"; then pass "npm access set mfa=none with an automation token: E403 (governance)"; else fail "npm access set mfa=none with an automation token: E403 (governance)"; diag_run; fi
run ctl --json audit --package=p-oa
like "$(cat "$RUN_OUT_FILE")" 'policy 2fa-only -> 2fa-or-automation' "  ... the audit has the policy changes, by alice via the registry"
run npmx "$RC_AUTO" access get status p-oa --json
is "$(jq -c . <"$RUN_OUT_FILE" 2>/dev/null)" '{"p-oa":"public"}' "npm access get status p-oa: public (packages: access \$all)"
ok "a scoped package: @acme/widget published" publish "$RC_AUTO" @acme/widget 1.0.0 --access=public
run npmx "$RC_WEB" access set status=public @acme/widget --json
is "$RUN_RC/$(jq -c . <"$RUN_OUT_FILE" 2>/dev/null)" '0/{"@acme/widget":"public"}' \
        "npm access set status=public @acme/widget: what the configuration says already, so fine"
run npmx "$RC_WEB" access set status=private @acme/widget
if [ "$RUN_RC" -ne 0 ] && grep -q "visibility is set by the registry's configuration" "$RUN_ERR_FILE"; then
        pass "npm access set status=private: refused, visibility is Verdaccio's packages: configuration"
else
        fail "npm access set status=private: refused, visibility is Verdaccio's packages: configuration"
        diag_run
fi
run npmx "$RC_AUTO" access list collaborators p-oa --json
is "$(jq -c . <"$RUN_OUT_FILE" 2>/dev/null)" '{"alice":"read-write","bob":"read-write"}' \
        "npm access list collaborators p-oa: its maintainers, read-write"

# --- npm owner rm; the last maintainer stays --------------------------------------------------------
next_otp alice
ok "npm owner rm bob p-oa (session + code)" npmx "$RC_WEB" owner rm bob p-oa --otp="$OTP"
run mgr_json GetPackage s p-oa
is "$(jq -c "$JQ_ASV | .maintainers" <"$RUN_OUT_FILE" 2>/dev/null)" '["alice"]' "  ... pkgtokend: alice alone maintains p-oa"
run npmx "$RC_AUTO" owner ls p-oa
is "$RUN_OUT" "alice <alice@example.org>" "  ... npm owner ls shows it"
run npmx "$RC_WEB" owner rm alice p-oa
if [ "$RUN_RC" -ne 0 ] && grep -q 'Cannot remove all owners' "$RUN_ERR_FILE"; then pass "npm owner rm of the last maintainer: npm refuses (it sees one owner)"; else fail "npm owner rm of the last maintainer: npm refuses (it sees one owner)"; diag_run; fi
# A client that asks anyway: pkgtokend refuses, the plugin says why.
WEB_TOKEN=$(sed -n 's/.*_authToken=\(pkgt_[0-9A-Za-z]*\).*/\1/p' "$RC_WEB")
next_otp alice
code=$(curl -sS -o "$TMP/lastrm.json" -w '%{http_code}' -X PUT -H "Authorization: Bearer $WEB_TOKEN" -H "npm-otp: $OTP" \
        -H 'content-type: application/json' --data '{"_id":"p-oa","maintainers":[]}' "$REG/p-oa/-rev/1-x")
is "$code" 409 "removing the last maintainer by hand: 409"
like "$(cat "$TMP/lastrm.json")" "last maintainer of 'p-oa'; add another first" "  ... saying so"

# --- daemon down: 503 within the bound, never an allow; then back -----------------------------------
stop_daemon
start=$(date +%s%N)
code=$(curl -sS -o "$TMP/down.json" -w '%{http_code}' -m 20 -H "Authorization: Bearer $AUTO_SECRET" "$REG/p-oa")
ms=$((($(date +%s%N) - start) / 1000000))
is "$code" 503 "daemon down: 503"
if [ "$ms" -le 4000 ]; then pass "  ... within the 3 s timeout (+1 s): ${ms} ms"; else fail "  ... within the 3 s timeout (+1 s): ${ms} ms"; fi
run publish "$RC_AUTO" p-oa 1.6.0
isnt "$RUN_RC" 0 "  ... and a publish is refused"
must_start_daemon --config="$CONFIG"
ok "daemon back: the plugin reconnects by itself" npmx "$RC_AUTO" view p-oa version

# --- no secret in the logs ---------------------------------------------------------------------------
_stop_pid "$VERDACCIO_PID"
secrets=("$AUTO_SECRET" "$PUB_SECRET" "$PUB2_SECRET" "$RO_SECRET" "$SCOPED_SECRET" "$CIDR_SECRET" "$NEW_TOKEN" "$PW_ALICE" "$PW_BOB")
for f in "$TMP"/legacy.npmrc "$TMP"/web.npmrc; do
        t=$(sed -n 's/.*_authToken=\(pkgt_[0-9A-Za-z]*\).*/\1/p' "$f" 2>/dev/null)
        [ -n "$t" ] && secrets+=("$t")
done
leaks=
for s in "${secrets[@]}"; do
        [ -n "$s" ] || continue
        grep -qF -- "$s" "$VLOG" "$TMP"/pkgtokend.*.log && leaks+="${s:0:9}… "
done
is "$leaks" "" "no token or password in Verdaccio's or pkgtokend's logs"
unlike "$(cat "$VLOG")" 'login/done/[A-Za-z0-9_-]{16}' "no web login done id in Verdaccio's log"

done_testing
