#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Guessing is bounded: LockoutThreshold= failed passwords or OTPs per account name
# within LockoutWindowSec= lock that name for LockoutSec=, for unknown names exactly as for
# real accounts; wrong OTPs at login, at publish and in 2FA management count; guesses that
# arrive at once get no more tries; the lockout survives a restart; an admin's unlock ends
# it; each lockout is audited; per remote address, TokenGuessLimit= failures a minute, then
# "rate-limited".  And a bad pkgtokend.conf stops the daemon with a message naming the file
# and line.

. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

need oathtool
have_gdbus || skip_all "gdbus not found: the tests check D-Bus error names"

CONFIG=$TMP/pkgtokend.conf
write_config "$CONFIG" PasswordCost=1 LockoutThreshold=3 LockoutAccountThreshold=3 LockoutSec=600 TokenGuessLimit=5
setup_bus_and_daemon --config="$CONFIG"

PW='lockout password 1'
WRONG='not the password'
E=org.pkgtoken1.Error

# new_2fa_publisher NAME: an account with password $PW maintaining NAME-pkg (2fa-only, a test),
# a publish token in NEW_TOKEN, and 2FA enrolled.
new_2fa_publisher() {
        new_account "$1" "$PW" || bail_out "cannot create account $1"
        ok "CreatePackage $1-pkg (2fa-only)" mgr CreatePackage ssas "$1-pkg" 2fa-only 1 "$1"
        new_token "$1" publish
        enroll_2fa "$1" || bail_out "cannot enrol $1"
}

# peek_otp ACCOUNT: a valid fresh code, for a request that will be refused before the code
# is looked at (so the counter is not used up).
peek_otp() {
        next_otp "$1"
        OTP_LAST[$1]=$((${OTP_LAST[$1]} - 1))
}

# =================================================================================================
# Wrong passwords, a real account and an unknown name side by side.

new_account alice "$PW" || bail_out "cannot create account alice"
known=() unknown=()
for i in 1 2 3; do
        [ "$i" = 3 ] && t0=$(now_usec)
        mgr_authenticate alice "$WRONG" ""
        known+=("$(authn_answer)")
        [ "$i" = 3 ] && t1=$(now_usec)
        mgr_authenticate ghost "$WRONG" ""
        unknown+=("$(authn_answer)")
done
check_wrong_guesses "alice: bad-credentials"
is "$(account_field alice locked)" false "alice is not admin-locked"
locked_until=$(account_field alice locked_until)
if [[ "$locked_until" =~ ^[0-9]+$ ]] && [ "$locked_until" -ge $((t0 + 600000000)) ] && [ "$locked_until" -le $((t1 + 600000000)) ]; then
        pass "  ... but locked out until LockoutSec=600 after the third failure"
else
        fail "  ... but locked out until LockoutSec=600 after the third failure" \
                "locked_until '$locked_until', expected between $((t0 + 600000000)) and $((t1 + 600000000))"
fi
expect_authn locked "alice, right password, after 3 failures" alice "$PW" ""
K=$(authn_answer)
is "$(authn_detail locked_until)" "$locked_until" "  ... details: locked_until as GetAccount says"
expect_authn locked "ghost after 3 failures" ghost "$WRONG" ""
is "$(authn_answer)" "$K" "  ... the same answer as alice's"
like "$(authn_detail locked_until)" '^[1-9][0-9]*$' "  ... with a locked_until too"
expect_authn locked "alice, right password and a session asked for" alice "$PW" "" session b true
is "$(authn_detail session_token)" "" "  ... no session"
expect_authn locked "alice, wrong password while locked" alice "$WRONG" ""
is "$(account_field alice locked_until)" "$locked_until" "  ... guessing while locked does not move the lockout"

# Another account, never guessed at, is not affected.
new_account bob "$PW" || bail_out "cannot create account bob"
expect_authn ok "bob is not affected" bob "$PW" ""

# =================================================================================================
# Guesses that arrive at once get no more tries than the threshold.

new_account carol "$PW" || bail_out "cannot create account carol"
BG=()
for i in 1 2 3 4 5 6 7 8; do
        "$BUSCTL" --address="$PKGTOKEN_BUS_ADDRESS" --timeout="$PKGTOKEN_TEST_TIMEOUT" --json=short call \
                org.pkgtoken1 /org/pkgtoken1 org.pkgtoken1.Manager Authenticate 'sssa{sv}' carol "$WRONG$i" "" 0 \
                >"$TMP/burst.$i" 2>&1 &
        BG+=($!)
        _pids+=($!)
done
for p in "${BG[@]}"; do
        wait "$p" 2>/dev/null || true
        _forget_pid "$p"
done
results=$(for i in 1 2 3 4 5 6 7 8; do jq -r '.data[0]' <"$TMP/burst.$i" 2>/dev/null || echo "(no answer)"; done | sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }')
like "$results" '^bad-credentials:3 ((locked|rate-limited):[0-9] )+$' "8 wrong passwords at once: 3 bad-credentials, the rest locked ($results)"
expect_authn locked "  ... carol is locked" carol "$PW" ""

# =================================================================================================
# Wrong OTPs count: at login, at publish, in 2FA management; with wrong passwords alike.

if ! new_account dora "$PW" || ! enroll_2fa dora; then

        bail_out "cannot set up dora"

fi
for i in 1 2 3; do
        wrong_otp dora
        expect_authn bad-otp "dora, right password, wrong code $i of 3" dora "$PW" "$OTP"
done
peek_otp dora
expect_authn locked "dora, right password and a valid code after 3 wrong codes" dora "$PW" "$OTP"

new_2fa_publisher erin
ERIN_TOKEN=$NEW_TOKEN
for i in 1 2 3; do
        wrong_otp erin
        expect_authz_bus bad-otp "erin publishes with wrong code $i of 3" "$ERIN_TOKEN" erin-pkg publish otp "$OTP"
done
peek_otp erin
expect_authz_bus rate-limited "erin publishes with a valid code after 3 wrong ones" "$ERIN_TOKEN" erin-pkg publish otp "$OTP"
expect_authz_bus otp-required "  ... without a code: still just otp-required" "$ERIN_TOKEN" erin-pkg publish
expect_authz_bus allowed "  ... reading needs no code and still works" "$ERIN_TOKEN" erin-pkg read
expect_authn locked "  ... and erin cannot log in" erin "$PW" "$OTP"

if ! new_account fred "$PW" || ! enroll_2fa fred; then

        bail_out "cannot set up fred"

fi
for i in 1 2 3; do
        wrong_otp fred
        is "$(dbus_error_name SetTwoFactorMode fred "'auth-only'" "$(gv "$OTP")" '{}')" $E.BadOTP "SetTwoFactorMode fred, wrong code $i of 3: BadOTP"
done
peek_otp fred
is "$(dbus_error_name SetTwoFactorMode fred "'auth-only'" "$(gv "$OTP")" '{}')" $E.RateLimited "SetTwoFactorMode fred with a valid code after that: RateLimited"
is "$(account_field fred twofa)" auth-and-writes "  ... the mode did not change"
is "$(dbus_error_name CreateToken fred publish '@as []' "'x'" 0 '@as []' "{'otp': <$(gv "$OTP")>}")" $E.RateLimited "  ... CreateToken: RateLimited"
is "$(dbus_error_name RegenerateRecoveryCodes fred "$(gv "$OTP")" '{}')" $E.RateLimited "  ... RegenerateRecoveryCodes: RateLimited"
expect_authn locked "  ... Authenticate: locked" fred "$PW" "$OTP"

new_2fa_publisher gina
GINA_TOKEN=$NEW_TOKEN
expect_authn bad-credentials "gina: a wrong password" gina "$WRONG" ""
wrong_otp gina
expect_authn bad-otp "gina: a wrong code at login" gina "$PW" "$OTP"
wrong_otp gina
expect_authz_bus bad-otp "gina: a wrong code at publish" "$GINA_TOKEN" gina-pkg publish otp "$OTP"
peek_otp gina
expect_authn locked "gina: one of each is three failures: locked" gina "$PW" "$OTP"

new_account hank "$PW" || bail_out "cannot create account hank"
for i in 1 2 3; do
        is "$(dbus_error_name SetPassword hank "'new password $i'" "{'old_password': <'$WRONG'>}")" $E.BadPassword \
                "SetPassword hank with a wrong old_password ($i of 3): BadPassword"
done
is "$(dbus_error_name SetPassword hank "'new password 4'" "{'old_password': <$(gv "$PW")>}")" $E.RateLimited \
        "  ... then with the right old_password: RateLimited"
expect_authn locked "  ... and hank cannot log in" hank "$PW" ""

# =================================================================================================
# The audit, and the lockout surviving a restart.

run mgr_json ListAuditEvents stu '' 0 0
jq "$JQ_AASV" <"$RUN_OUT_FILE" >"$TMP/audit.json"
for a in alice ghost carol dora erin fred gina hank; do
        if jq -e --arg a "$a" 'map(select(.action == "lockout" and .actor == $a)) | length == 1' "$TMP/audit.json" >/dev/null; then
                pass "one audit event \"lockout\" for $a"
        else
                fail "one audit event \"lockout\" for $a"
                diag_file audit "$TMP/audit.json"
        fi
done
is "$(jq -r 'map(select(.action == "lockout" and .actor == "bob")) | length' "$TMP/audit.json")" 0 "no lockout event for bob"

stop_daemon
is "$STOP_RC" 0 "pkgtokend exits 0 on SIGTERM"
must_start_daemon --config="$CONFIG"
expect_authn locked "after a restart: alice is still locked" alice "$PW" ""
is "$(authn_detail locked_until)" "$locked_until" "  ... until the same time"
expect_authn locked "after a restart: ghost is still locked" ghost "$WRONG" ""
expect_authn locked "after a restart: dora is still locked" dora "$PW" ""
expect_authn ok "after a restart: bob is fine" bob "$PW" ""

# kill -9 too: the counters were on disk before the answers went out.
new_account ivan "$PW" || bail_out "cannot create account ivan"
for i in 1 2; do
        expect_authn bad-credentials "ivan: wrong password $i" ivan "$WRONG" ""
done
kill9_daemon
must_start_daemon --config="$CONFIG"
expect_authn bad-credentials "after kill -9: ivan's third wrong password" ivan "$WRONG" ""
expect_authn locked "  ... locks him: the first two were kept" ivan "$PW" ""

# =================================================================================================
# An admin's unlock ends a lockout (pkgtokenctl account unlock = SetAccountLocked false).

ok "pkgtokenctl account unlock alice" ctl account unlock alice
is "$(account_field alice locked_until)/$(account_field alice failed_attempts)" 0/0 "  ... no lockout, no failures counted"
expect_authn ok "  ... alice logs in" alice "$PW" ""
for i in 1 2; do
        expect_authn bad-credentials "alice: wrong password $i after the unlock" alice "$WRONG" ""
done
expect_authn ok "  ... two failures do not lock her again" alice "$PW" ""
ok "SetAccountLocked dora false" mgr SetAccountLocked sb dora false
next_otp dora
expect_authn ok "  ... dora logs in with a code" dora "$PW" "$OTP"
ok "SetAccountLocked erin false" mgr SetAccountLocked sb erin false
next_otp erin
expect_authz_bus allowed "  ... erin publishes with a code" "$ERIN_TOKEN" erin-pkg publish otp "$OTP"
is "$(dbus_error_name SetAccountLocked ghost false)" $E.NoSuchAccount "SetAccountLocked on an unknown name: NoSuchAccount"
expect_authn locked "  ... ghost stays locked" ghost "$PW" ""
# An admin lock is not ended by a successful login, and a lockout's end does not end it.
ok "pkgtokenctl account lock bob" ctl account lock bob
expect_authn bad-credentials "admin-locked bob, wrong password" bob "$WRONG" ""
expect_authn locked "admin-locked bob, right password" bob "$PW" ""
ok "pkgtokenctl account unlock bob" ctl account unlock bob
expect_authn ok "  ... unlocked, bob logs in" bob "$PW" ""

# =================================================================================================
# Per remote address: TokenGuessLimit=5 failures, then rate-limited (a fresh daemon, so the
# minute starts now).

new_account tok "$PW" || bail_out "cannot create account tok"
ok "CreatePackage rl-pkg (policy none)" mgr CreatePackage ssas rl-pkg none 1 tok
new_token tok automation
TOK=$NEW_TOKEN
declare -A OTPT
for i in 1 2 3; do
        new_account "otp$i" "$PW" || bail_out "cannot create account otp$i"
        new_token "otp$i" publish
        OTPT[$i]=$NEW_TOKEN
        enroll_2fa "otp$i" || bail_out "cannot enrol otp$i"
done
ok "CreatePackage rl-otp (2fa-only)" mgr CreatePackage ssas rl-otp 2fa-only 3 otp1 otp2 otp3
stop_daemon
must_start_daemon --config="$CONFIG"
last=${TOK: -1}
[ "$last" = A ] && other=B || other=A
GUESSES=("pkgt_guess" "${TOK:0:46}$other" "hello" "" "pkgt_$(head -c 42 /dev/zero | tr '\0' 'a')")
for i in 0 1 2 3 4; do
        expect_authz_bus invalid "guess $((i + 1)) of 5 from 192.0.2.1" "${GUESSES[i]}" rl-pkg read remote 192.0.2.1
done
expect_authz_bus rate-limited "the 6th request from 192.0.2.1, with a valid token" "$TOK" rl-pkg read remote 192.0.2.1
expect_authz_bus rate-limited "  ... and a publish" "$TOK" rl-pkg publish remote 192.0.2.1
run mgr_json ListAuditEvents stu rl-pkg 0 0
if jq -e "$JQ_AASV"' | map(select(.action == "publish" and .result == "rate-limited" and .remote == "192.0.2.1")) | length == 1' \
        <"$RUN_OUT_FILE" >/dev/null; then
        pass "  ... the rate-limited publish is in the audit (every publish decision is recorded)"
else
        fail "  ... the rate-limited publish is in the audit (every publish decision is recorded)"
        jq -c "$JQ_AASV"' | .[]' <"$RUN_OUT_FILE" >"$TMP/audit.rl"
        diag_file "audit of rl-pkg" "$TMP/audit.rl"
fi
expect_authn rate-limited "  ... and a login from there" tok "$PW" "" remote s 192.0.2.1
expect_authz_bus allowed "the valid token from 192.0.2.2" "$TOK" rl-pkg publish remote 192.0.2.2
expect_authz_bus allowed "the valid token from 2001:db8::1" "$TOK" rl-pkg read remote 2001:db8::1
expect_authz_bus allowed "the valid token with no remote address" "$TOK" rl-pkg read
expect_authn ok "a login from 192.0.2.2" tok "$PW" "" remote s 192.0.2.2
# Failed logins count against the address too (five different names: no account lockout).
for i in 1 2 3 4 5; do
        expect_authn bad-credentials "wrong login $i of 5 from 198.51.100.7" "nobody$i" "$WRONG" "" remote s 198.51.100.7
done
expect_authn rate-limited "the 6th login from 198.51.100.7, right password" tok "$PW" "" remote s 198.51.100.7
expect_authz_bus rate-limited "  ... and a token check from there" "$TOK" rl-pkg read remote 198.51.100.7
expect_authn ok "  ... tok is not locked: from elsewhere it logs in" tok "$PW" ""
# A wrong OTP is one failure of the address, not two.
for i in 1 2 3; do
        wrong_otp "otp$i"
        expect_authz_bus bad-otp "a wrong code from 203.0.113.5 (account otp$i)" "${OTPT[$i]}" rl-otp publish otp "$OTP" remote 203.0.113.5
done
expect_authz_bus allowed "  ... three wrong codes are three of TokenGuessLimit=5: a valid token from there still works" \
        "$TOK" rl-pkg read remote 203.0.113.5

# =================================================================================================
# Lockouts end after LockoutSec=; failures outside LockoutWindowSec= do not add up.

stop_daemon
SHORT=$TMP/short.conf
write_config "$SHORT" PasswordCost=1 LockoutThreshold=3 LockoutAccountThreshold=3 LockoutSec=2 LockoutWindowSec=1
must_start_daemon --config="$SHORT"
new_account jill "$PW" || bail_out "cannot create account jill"
for i in 1 2 3; do
        mgr_authenticate jill "$WRONG" ""
done
expect_authn locked "jill after 3 failures (LockoutSec=2)" jill "$PW" ""
# shellcheck disable=SC2317 # called by wait_for
jill_ok() {
        mgr_authenticate jill "$PW" ""
        [ "$AUTHN_RESULT" = ok ]
}
if wait_for "$PKGTOKEN_TEST_TIMEOUT" jill_ok; then
        pass "  ... the lockout ends by itself"
else
        fail "  ... the lockout ends by itself" "still '$AUTHN_RESULT' after ${PKGTOKEN_TEST_TIMEOUT}s"
fi
new_account kate "$PW" || bail_out "cannot create account kate"
expect_authn bad-credentials "kate: wrong password 1 (LockoutWindowSec=1)" kate "$WRONG" ""
t_after=$(now_usec)
expect_authn bad-credentials "kate: wrong password 2" kate "$WRONG" ""
# shellcheck disable=SC2317 # called by wait_for
window_passed() {
        [ "$(now_usec)" -gt $((t_after + 1200000)) ]
}
wait_for "$PKGTOKEN_TEST_TIMEOUT" window_passed || bail_out "the clock does not move"
expect_authn bad-credentials "kate: wrong password 3, more than a window later" kate "$WRONG" ""
expect_authn ok "  ... does not lock her: the window started again" kate "$PW" ""
check_daemon_alive

# =================================================================================================
# A bad pkgtokend.conf stops the daemon, naming the file and the line.

stop_daemon
bad_config() {
        local desc=$1 file=$2 want=$3
        run_daemon_to_exit --config="$file"
        expect_refused_start "$desc"
        like "$RUN_ERR" "^pkgtokend: $want\$" "  ... saying: $(head -n 1 "$RUN_ERR_FILE")"
        stderr_one_line "  ... in one line"
        if ping_daemon; then
                fail "  ... and does not serve"
        else
                pass "  ... and does not serve"
        fi
}
printf '[Manager]\nPasswordCost=1\nLockoutTreshold=3\n' >"$TMP/typo.conf"
bad_config "a misspelt key" "$TMP/typo.conf" "$TMP/typo.conf:3: unknown key"
printf '# comment\n[Manager]\n\nLockoutThreshold=0\n' >"$TMP/zero.conf"
bad_config "LockoutThreshold=0" "$TMP/zero.conf" "$TMP/zero.conf:4: invalid value"
printf '[Manager]\nLockoutSec=10 minutes\n' >"$TMP/unit.conf"
bad_config "LockoutSec=10 minutes" "$TMP/unit.conf" "$TMP/unit.conf:2: invalid value"
printf '[Manager]\nPasswordCost=12\n' >"$TMP/cost.conf"
bad_config "PasswordCost=12" "$TMP/cost.conf" "$TMP/cost.conf:2: invalid value"
printf '[Manager]\nPasswordCost=1\n[Service]\nUser=root\n' >"$TMP/section.conf"
bad_config "an unknown section" "$TMP/section.conf" "$TMP/section.conf:3: unknown section.*"
printf 'LockoutThreshold=3\n[Manager]\n' >"$TMP/outside.conf"
bad_config "a setting before [Manager]" "$TMP/outside.conf" "$TMP/outside.conf:1: setting outside the \\[Manager\\] section"
printf '[Manager]\nTOTPIssuer=a:b\n' >"$TMP/issuer.conf"
bad_config "TOTPIssuer with a colon" "$TMP/issuer.conf" "$TMP/issuer.conf:2: invalid value"
bad_config "a missing --config= file" "$TMP/missing.conf" "cannot read $TMP/missing.conf: .*"

# ... while an empty file and comments only are fine.
: >"$TMP/empty.conf"
if start_daemon --config="$TMP/empty.conf"; then
        pass "an empty config file: pkgtokend starts"
        stop_daemon
else
        fail "an empty config file: pkgtokend starts"
fi
printf '# only\n; comments\n\n[Manager]\n' >"$TMP/comments.conf"
if start_daemon --config="$TMP/comments.conf"; then
        pass "comments and an empty [Manager]: pkgtokend starts"
else
        fail "comments and an empty [Manager]: pkgtokend starts"
fi
expect_authn locked "  ... the defaults (LockoutSec=15min) do not undo ghost's lockout" ghost "$PW" ""

done_testing
