#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Passwords from a PAM service (pkgtoken-pam-helper, pkgtokend/pam-backend.c): accounts whose
# password a test PAM service checks (pam_matrix from libpam-wrapper, in a private PAM
# directory), with pkgtoken's second factor, lockouts and sessions on top; the same answer
# for an unknown account, a wrong PAM password and a wrong local password, and the unknown
# account's refusal no faster than a PAM check; service names checked (no "../", PamServices=);
# and a helper that hangs, is killed, is missing, answers garbage or does not know the
# service: refused within PamHelperTimeoutSec=, told apart in the log and the audit only.
# The helper is started by the daemon (PamHelper=) and, like systemd's Accept=yes socket,
# through systemd-socket-activate (PamHelperSocket=).

. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

: "${PAM_HELPER:=$top_builddir/pam-helper/pkgtoken-pam-helper}"
[ -x "$PAM_HELPER" ] || bail_out "pkgtoken-pam-helper not built: $PAM_HELPER"
PAM_HELPER=$(cd "$(dirname "$PAM_HELPER")" && pwd)/$(basename "$PAM_HELPER")
need oathtool
have_gdbus || skip_all "gdbus not found: the tests check D-Bus error names"

PAM_MATRIX=
for f in /usr/lib/*/pam_wrapper/pam_matrix.so /usr/lib/pam_wrapper/pam_matrix.so /usr/lib64/pam_wrapper/pam_matrix.so; do
        [ -f "$f" ] && PAM_MATRIX=$f && break
done
if [ -z "$PAM_MATRIX" ]; then
        [ "${CI:-}" = true ] && bail_out "pam_matrix.so not found (CI must install libpam-wrapper)"
        skip_all "pam_matrix.so not found (libpam-wrapper)"
fi

PW_ALICE='alice directory pass'
PW_CAROL='carol directory pass'
PW_BOB='bob local password'
PW_WRONG='not the password at all'

# The directory: pam_matrix's "user:password:service" file, and the service that uses it.
PAM_DIR=$TMP/pam.d
mkdir -p "$PAM_DIR"
printf '%s\n' "alice:$PW_ALICE:pkgtoken-test" "carol:$PW_CAROL:pkgtoken-test" "dave:dave pw:pkgtoken-test" \
        "ghost:ghost pw:pkgtoken-test" >"$TMP/passdb"
for type in auth account; do
        printf '%-8s required %s passdb=%s\n' "$type" "$PAM_MATRIX" "$TMP/passdb"
done >"$PAM_DIR/pkgtoken-test"

# helper NAME BODY: an executable helper script $TMP/NAME (the daemon starts it per check).
helper() {
        printf '#!/bin/sh\n%s\n' "$2" >"$TMP/$1" && chmod +x "$TMP/$1"
}
helper real "exec '$PAM_HELPER' --pam-dir='$PAM_DIR'"
helper slow "sleep 0.6; exec '$PAM_HELPER' --pam-dir='$PAM_DIR'"
helper hang "exec sleep 30"
helper killed "head -c 3 >/dev/null; kill -KILL \$\$"
helper garbage "cat >/dev/null; printf zz >&0"

BASE=(PasswordCost=1 LockoutThreshold=3 LockoutAccountThreshold=3 LockoutSec=600 PamHelperTimeoutSec=1)
CONFIG=$TMP/pkgtokend.conf

# with_config LINE...: (re)starts the daemon with BASE and these settings.
with_config() {
        [ -n "$DAEMON_PID" ] && stop_daemon
        write_config "$CONFIG" "${BASE[@]}" "$@"
        must_start_daemon --config="$CONFIG"
}

need_binaries
start_bus || bail_out "the private dbus-daemon did not start"
with_config PamHelper="$TMP/real"

# elapsed_ms CMD...: runs CMD (in this shell) and sets ELAPSED_MS.
elapsed_ms() {
        local t0 t1
        t0=$(date +%s%N)
        "$@"
        t1=$(date +%s%N)
        ELAPSED_MS=$(((t1 - t0) / 1000000))
}

audit_json() {
        mgr_json ListAuditEvents stu '' 0 0 | jq "$JQ_AASV" >"$TMP/audit.json"
}

# --- accounts that take their password from PAM -------------------------------------------------------------
ok "account add alice --password-from=pam:pkgtoken-test" ctl account add alice --password-from=pam:pkgtoken-test
is "$(account_field alice password_source)" pam:pkgtoken-test "  ... GetAccount: password_source"
is "$(account_field alice has_password)" true "  ... has_password"
like "$(ctl account show alice)" 'Password from: *pam:pkgtoken-test' "  ... account show says where"
ok "account add carol (local), then set-password-source" ctl account add carol
ok "  ... set-password-source carol pam:pkgtoken-test" ctl account set-password-source carol pam:pkgtoken-test
ok "account add bob, a local password" new_account bob "$PW_BOB"
is "$(account_field bob password_source)" local "  ... password_source local"
ok "package add pkg (alice)" ctl package add pkg --policy=none --maintainer=alice

# --- service names ------------------------------------------------------------------------------------------
for bad in 'pam:../../etc/shadow' 'pam:..' 'pam:a/b' 'pam:' 'pam:-x' 'ldap:x'; do
        error_is org.pkgtoken1.Error.InvalidArgument "SetPasswordSource '$bad': InvalidArgument" \
                SetPasswordSource bob "$bad"
done
exits 2 "pkgtokenctl refuses --password-from=pam:../x before calling" ctl account add eve --password-from=pam:../x
is "$(account_field bob password_source)" local "  ... bob's source unchanged"
error_is org.pkgtoken1.Error.NoSuchAccount "SetPasswordSource of an unknown account" \
        SetPasswordSource nobody pam:pkgtoken-test
ok "account add ci-bot --kind=service" ctl account add ci-bot --kind=service
error_is org.pkgtoken1.Error.AccessDenied "SetPasswordSource of a service account: AccessDenied (no password)" \
        SetPasswordSource ci-bot pam:pkgtoken-test
exits 2 "account set-password-source bob 'pam:a b': a usage error" ctl account set-password-source bob 'pam:a b'

# --- logins -------------------------------------------------------------------------------------------------
expect_authn ok "alice, the directory's password" alice "$PW_ALICE"
expect_authn bad-credentials "alice, a wrong password" alice "$PW_WRONG" "" remote s 192.0.2.1
REF=$(authn_answer)
is "$(account_field alice failed_attempts)" 1 "  ... counted toward alice's lockout"
mgr_authenticate ghost "ghost pw" ""
is "$(authn_answer)" "$REF" "an unknown account (known to the directory): the same answer"
mgr_authenticate nobody "$PW_WRONG" ""
is "$(authn_answer)" "$REF" "an unknown account: the same answer"
mgr_authenticate bob "$PW_WRONG" ""
is "$(authn_answer)" "$REF" "a local account, wrong password: the same answer"
expect_authn ok "bob's local password still works beside PAM" bob "$PW_BOB"
error_is org.pkgtoken1.Error.AccessDenied "SetPassword of a PAM account: refused (change it in the directory)" \
        SetPassword alice "a new local password" '{}'

# Sessions and the second factor stay pkgtoken's.
expect_authn ok "alice asks for a session" alice "$PW_ALICE" "" session b true
like "$(jq -r .session_token <<<"$AUTHN_DETAILS")" '^pkgt_' "  ... gets a session token"
enroll_2fa alice || bail_out "2FA enrolment of alice failed"
pass "alice enrols TOTP"
expect_authn otp-required "alice, right password, no code" alice "$PW_ALICE"
next_otp alice
expect_authn ok "alice, right password and a current code" alice "$PW_ALICE" "$OTP" session b true
like "$(jq -r .session_token <<<"$AUTHN_DETAILS")" '^pkgt_' "  ... session"
next_otp alice
expect_authn bad-credentials "alice, wrong password with a current code" alice "$PW_WRONG" "$OTP"
wrong_otp alice
expect_authn bad-otp "alice, right password, wrong code" alice "$PW_ALICE" "$OTP"
next_otp alice
expect_authn ok "alice logs in (which clears her failures)" alice "$PW_ALICE" "$OTP"

# A registry's password proof (npm login, the registry API) goes the same way.
next_otp alice
run mgr_json WhoAmI 'a{sv}' 3 account s alice password s "$PW_ALICE" otp s "$OTP"
is "$(jq -r '.data[0]' <"$RUN_OUT_FILE")" alice "WhoAmI with alice's directory password and a code: alice"
is "$(dbus_error_name WhoAmI "{'account': <'alice'>, 'password': <'$PW_WRONG'>, 'otp': <'123456'>}")" \
        org.pkgtoken1.Error.BadCredentials "WhoAmI with a wrong directory password: BadCredentials"
is "$(dbus_error_name WhoAmI "{'account': <'nobody'>, 'password': <'$PW_WRONG'>}")" \
        org.pkgtoken1.Error.BadCredentials "  ... an unknown account: the same"
next_otp alice
expect_authn ok "alice logs in (which clears her failures)" alice "$PW_ALICE" "$OTP"

# Lockouts count PAM refusals like local ones.
for i in 1 2 3; do
        mgr_authenticate carol "$PW_WRONG" ""
done
is "$AUTHN_RESULT" bad-credentials "carol, three wrong passwords: refused"
expect_authn locked "carol, now the right password: locked out (LockoutThreshold=3)" carol "$PW_CAROL"
ok "an admin unlocks carol" ctl account unlock carol
expect_authn ok "carol logs in again" carol "$PW_CAROL"

# Back to a local password: the PAM password is no longer asked, and there is no local one yet.
ok "set-password-source carol local" ctl account set-password-source carol local
expect_authn bad-credentials "carol, local now, no password set" carol "$PW_CAROL"
ok "carol gets a local password" mgr SetPassword 'ssa{sv}' carol "carol local password" 0
expect_authn ok "  ... and logs in with it" carol "carol local password"
audit_json
audit_has "the audit records the change of password source" "$TMP/audit.json" password-source "carol: local"

# A service the helper has no file for is refused, never replaced by "other".
ok "dave takes his password from pam:not-configured" ctl account add dave --password-from=pam:not-configured
expect_authn bad-credentials "dave: the helper refuses the unknown service" dave "dave pw"
is "$(authn_answer)" "$REF" "  ... the same answer as a wrong password"
like "$(cat "$DAEMON_LOG")" 'password-backend-unavailable: the PAM helper refused the request for service not-configured' \
        "  ... the log says why"
is "$(account_field dave failed_attempts)" 0 "  ... an unavailable backend does not count toward the lockout"
audit_json
audit_has "  ... the audit records it as password-backend-unavailable" "$TMP/audit.json" login failed dave \
        password-backend-unavailable
is "$(jq -r '[.[] | select(.actor == "alice" and .reason == "password-backend-unavailable")] | length' \
        "$TMP/audit.json")" 0 "  ... wrong passwords have no such record"

# --- PamServices= -------------------------------------------------------------------------------------------
with_config PamHelper="$TMP/real" PamServices="pkgtoken-test sshd"
error_is org.pkgtoken1.Error.InvalidArgument "PamServices= set: a service it does not list is refused" \
        SetPasswordSource bob pam:login
ok "  ... one it lists is taken" ctl account set-password-source dave pam:sshd
not_ok "  ... dave's old pam:not-configured is not listed either" ctl account set-password-source dave pam:not-configured
is "$(account_field dave password_source)" pam:sshd "  ... dave's source is the listed one"
write_config "$TMP/bad.conf" PamServices="ok ../etc"
run_daemon_to_exit --config="$TMP/bad.conf"
isnt "$RUN_RC" 0 "a PamServices= with '../etc' stops the daemon"

# --- the same time for unknown accounts -----------------------------------------------------------------------
# A slow directory (0.6 s a check): once the daemon has seen PAM checks take that long, an
# unknown account's refusal and a local wrong password take about as long.
with_config PamHelper="$TMP/slow" PamHelperTimeoutSec=5
expect_authn bad-credentials "slow directory: alice, wrong password" alice "$PW_WRONG"
elapsed_ms mgr_authenticate alice "$PW_WRONG" ""
PAM_MS=$ELAPSED_MS
is "$AUTHN_RESULT" bad-credentials "  ... again (${PAM_MS} ms)"
elapsed_ms mgr_authenticate nobody "$PW_WRONG" ""
is "$(authn_answer)" "$REF" "  ... an unknown account: the same answer"
if [ "$ELAPSED_MS" -ge 400 ]; then
        pass "  ... and no faster than a PAM check: ${ELAPSED_MS} ms (a PAM refusal: ${PAM_MS} ms)"
else
        fail "  ... and no faster than a PAM check: ${ELAPSED_MS} ms (a PAM refusal: ${PAM_MS} ms)"
fi
elapsed_ms mgr_authenticate bob "$PW_WRONG" ""
if [ "$ELAPSED_MS" -ge 400 ]; then
        pass "  ... a local wrong password too: ${ELAPSED_MS} ms"
else
        fail "  ... a local wrong password too: ${ELAPSED_MS} ms"
fi
next_otp alice
expect_authn ok "  ... alice still logs in" alice "$PW_ALICE" "$OTP"

# --- the helper fails: refused, bounded, told apart in the log only ----------------------------------------------
# failing_helper DESC CONFIG LOG-ERE: alice's right password is refused as a wrong one would
# be, within PamHelperTimeoutSec= (1 s) and a margin, with LOG-ERE in the daemon's log.
failing_helper() {
        local desc=$1 setting=$2 ere=$3
        with_config "$setting"
        next_otp alice
        elapsed_ms mgr_authenticate alice "$PW_ALICE" "$OTP"
        is "$(authn_answer)" "$REF" "$desc: refused, the same answer as a wrong password"
        if [ "$ELAPSED_MS" -lt 4000 ]; then
                pass "  ... within the bound (${ELAPSED_MS} ms)"
        else
                fail "  ... within the bound (${ELAPSED_MS} ms)"
        fi
        like "$(cat "$DAEMON_LOG")" "$ere" "  ... the log says why"
        is "$(child_pids "$DAEMON_PID")" "" "  ... no helper left running"
        check_daemon_alive "  ... the daemon is fine"
}
failing_helper "the helper hangs" PamHelper="$TMP/hang" 'password-backend-unavailable: the PAM helper gave no verdict within 1000 ms'
failing_helper "the helper is killed mid-conversation" PamHelper="$TMP/killed" \
        'password-backend-unavailable: the PAM helper failed'
failing_helper "the helper is missing" PamHelper="$TMP/no-such-helper" \
        "password-backend-unavailable: cannot start the PAM helper $TMP/no-such-helper: No such file or directory"
failing_helper "the helper answers garbage" PamHelper="$TMP/garbage" 'password-backend-unavailable: the PAM helper answered 0x7a'
failing_helper "no helper socket" PamHelperSocket="$TMP/no-such.sock" \
        "password-backend-unavailable: cannot connect to the PAM helper $TMP/no-such.sock: .*pkgtoken-pam-helper.socket"
audit_json
is "$(jq -r '[.[] | select(.actor == "alice" and .reason == "password-backend-unavailable") | .count // 1] | add' \
        "$TMP/audit.json")" 5 "the audit counts alice's five refusals as password-backend-unavailable"

# --- socket activation, as pkgtoken-pam-helper.socket does it (Accept=yes) ----------------------------------
if command -v systemd-socket-activate >/dev/null 2>&1; then
        SOCK=$TMP/pam-helper.sock
        systemd-socket-activate --accept --inetd -l "$SOCK" "$PAM_HELPER" --pam-dir="$PAM_DIR" \
                </dev/null >"$TMP/socket-activate.log" 2>&1 &
        _pids+=("$!")
        wait_for "$PKGTOKEN_TEST_TIMEOUT" test -S "$SOCK" || diag "no socket $SOCK"
        with_config PamHelperSocket="$SOCK"
        next_otp alice
        expect_authn ok "through the socket: alice, right password and code" alice "$PW_ALICE" "$OTP"
        next_otp alice
        expect_authn bad-credentials "through the socket: a wrong password" alice "$PW_WRONG" "$OTP"
else
        skip "systemd-socket-activate not found" 2
fi

# --- no secret anywhere ---------------------------------------------------------------------------------------
leaks=()
for pw in "$PW_ALICE" "$PW_CAROL" "$PW_WRONG" "$PW_BOB"; do
        cat "$TMP"/pkgtokend.*.log "$TMP/audit.json" | grep -qF -- "$pw" && leaks+=("$pw")
done
is "${leaks[*]:-}" "" "no password in the daemon's logs or the audit"
check_daemon_alive

done_testing
