#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# TOTP two-factor authentication over the bus, with codes computed by
# oathtool, independently of the daemon:
#   * the window: ±1 step accepted, ±2 refused, at enrolment and at login;
#   * enrolment: pending until ConfirmTOTP gets a valid code; the otpauth:// URI; TOTPIssuer=;
#   * Authenticate: otp-required, ok, replay refused (also for two requests at once);
#   * recovery codes: single use, regenerated, accepted by Authenticate and 2FA management but
#     not by Authorize or CreateToken;
#   * SetTwoFactorMode and RegenerateRecoveryCodes: a code or admin_override; disabling;
#   * CreateToken for an account with 2FA: OTPRequired, BadOTP, ReplayedOTP;
#   * the publish decision: token types × account 2FA modes × package policies, with the OTP
#     absent, wrong, valid and reused;
#   * malformed codes everywhere: refused, never a crash.
#
# A code is accepted once per account and only with a counter above the last one accepted,
# and the window holds three counters; so every check that needs a fresh code gets its own
# account, or a code from next_otp (tests/lib.sh), which hands out increasing counters and
# waits for the next step when they are used up.  Checks of the window's edges wait until
# the clock is in the middle of a step and are repeated once, on fresh accounts, when a step
# boundary passed anyway.

. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

need oathtool
have_gdbus || skip_all "gdbus not found: the tests check D-Bus error names"

CONFIG=$TMP/pkgtokend.conf
# Cheap hashes; no lockouts in the way (bus-lockout.sh tests those).
# RecoveryHoldSec=0: the recovery codes used here would put accounts on hold (issue 10;
# tests/bus-recovery-hold.sh); this file is about the codes themselves.
write_config "$CONFIG" PasswordCost=1 LockoutThreshold=1000 RecoveryHoldSec=0
setup_bus_and_daemon --config="$CONFIG"

PW='twofa password 1'
E=org.pkgtoken1.Error

# new_session ACCOUNT: a session token from Authenticate (no 2FA yet); sets NEW_ID, NEW_TOKEN.
new_session() {
        NEW_ID='' NEW_TOKEN=''
        mgr_authenticate "$1" "$PW" "" session b true
        [ "$AUTHN_RESULT" = ok ] || return 1
        NEW_ID=$(authn_detail session_id)
        NEW_TOKEN=$(authn_detail session_token)
}

# enroll_only ACCOUNT: EnrollTOTP without confirming; sets ENROLL_URI and OTP_SECRET.
enroll_only() {
        run mgr_json EnrollTOTP 'sa{sv}' "$1" 0
        [ "$RUN_RC" -eq 0 ] || return 1
        ENROLL_URI=$(jq -r '.data[0]' <"$RUN_OUT_FILE")
        OTP_SECRET[$1]=$(uri_secret "$ENROLL_URI")
        OTP_LAST[$1]=0
        [ -n "${OTP_SECRET[$1]}" ]
}

# expect_authz RESULT DESC TOKEN PACKAGE ACTION [OTP]: Authorize over the bus.
expect_authz_otp() {
        if [ $# -ge 6 ]; then
                expect_authz_bus "${@:1:5}" otp "$6"
        else
                expect_authz_bus "$@"
        fi
}

# wait_for_step N: waits (bounded) until the TOTP step is at least N and the clock is in the
# middle of it (wait_mid_step).
# shellcheck disable=SC2317 # called by wait_for
not_in_step() {
        ! still_in_step
}
wait_for_step() {
        local i
        for ((i = 0; i < 5; i++)); do
                wait_mid_step || return 1
                [ "$STEP" -ge "$1" ] && return 0
                wait_for 31 not_in_step || return 1
        done
        return 1
}

# Background calls, stopped by PID like everything else.
BG=()
bg_busctl() {
        local out=$1
        shift
        "$BUSCTL" --address="$PKGTOKEN_BUS_ADDRESS" --timeout="$PKGTOKEN_TEST_TIMEOUT" --json=short call \
                org.pkgtoken1 /org/pkgtoken1 org.pkgtoken1.Manager "$@" >"$out" 2>&1 &
        BG+=($!)
        _pids+=($!)
}
bg_wait() {
        local p
        for p in "${BG[@]}"; do
                wait "$p" 2>/dev/null || true
                _forget_pid "$p"
        done
        BG=()
}

# =================================================================================================
# The window at enrolment: ConfirmTOTP with codes 60 and 30 seconds before and after now.

declare -A EDGE_RESULT
# confirm_edges TAG: four accounts cw-TAG-{m60,m30,p30,p60}, confirmed with codes from one
# fixed time in the middle of a step.  Returns 1 when a step boundary passed meanwhile.
confirm_edges() {
        local tag=$1 off name code
        for off in m60 m30 p30 p60; do
                name=cw-$tag-$off
                if ! new_account "$name" "$PW" || ! enroll_only "$name"; then
                        EDGE_RESULT[$off]="setup failed"
                        continue
                fi
        done
        wait_mid_step || bail_out "the clock does not move"
        for off in m60 m30 p30 p60; do
                name=cw-$tag-$off
                case $off in
                m60) code=$(totp "${OTP_SECRET[$name]}" $((STEP_TIME - 60))) ;;
                m30) code=$(totp "${OTP_SECRET[$name]}" $((STEP_TIME - 30))) ;;
                p30) code=$(totp "${OTP_SECRET[$name]}" $((STEP_TIME + 30))) ;;
                p60) code=$(totp "${OTP_SECRET[$name]}" $((STEP_TIME + 60))) ;;
                esac
                EDGE_RESULT[$off]=$(dbus_error_name ConfirmTOTP "$name" "$(gv "$code")" "''" '{}')
        done
        OTP_LAST[cw-$tag-m30]=$((STEP - 1))
        OTP_LAST[cw-$tag-p30]=$((STEP + 1))
        EDGE_ACCOUNT=cw-$tag-m30
        still_in_step
}

confirm_edges_ok() {
        [ "${EDGE_RESULT[m60]}" = $E.BadOTP ] && [ "${EDGE_RESULT[m30]}" = ok ] &&
                [ "${EDGE_RESULT[p30]}" = ok ] && [ "${EDGE_RESULT[p60]}" = $E.BadOTP ]
}

if ! confirm_edges a && ! confirm_edges_ok; then
        diag "a step boundary passed during the enrolment window checks: once more"
        confirm_edges b
fi
is "${EDGE_RESULT[m60]}" $E.BadOTP "ConfirmTOTP with the code of 60 s ago (2 steps): BadOTP"
is "${EDGE_RESULT[m30]}" ok "ConfirmTOTP with the code of 30 s ago (1 step): ok"
is "${EDGE_RESULT[p30]}" ok "ConfirmTOTP with the code of 30 s ahead (1 step): ok"
is "${EDGE_RESULT[p60]}" $E.BadOTP "ConfirmTOTP with the code of 60 s ahead (2 steps): BadOTP"
LOGIN_EDGE_ACCOUNT=$EDGE_ACCOUNT
tag=${EDGE_ACCOUNT#cw-}
tag=${tag%-m30}
is "$(account_field "cw-$tag-m60" twofa)/$(account_field "cw-$tag-m60" twofa_pending)" disabled/true \
        "  ... the refused enrolment is still pending, 2FA still off"
is "$(account_field "cw-$tag-m30" twofa)/$(account_field "cw-$tag-m30" twofa_pending)" auth-and-writes/false \
        "  ... the confirmed one has 2FA on (auth-and-writes by default), nothing pending"

# =================================================================================================
# Enrolment: nothing changes until ConfirmTOTP gets a valid code.

new_account pend "$PW" || bail_out "cannot create account pend"
run mgr_json EnrollTOTP 'sa{sv}' pend 0
is "$RUN_RC" 0 "EnrollTOTP pend"
URI=$(jq -r '.data[0]' <"$RUN_OUT_FILE")
like "$URI" '^otpauth://totp/pkgtoken:pend\?' "  ... otpauth://totp/ URI labelled pkgtoken:pend ($(printf '%s' "$URI" | sed 's/secret=[A-Z2-7]*/secret=.../'))"
like "$URI" '[?&]secret=[A-Z2-7]{32}(&|$)' "  ... a base32 secret= of 160 bits"
like "$URI" '[?&]issuer=pkgtoken(&|$)' "  ... issuer=pkgtoken"
like "$URI" '[?&]digits=6(&|$)' "  ... digits=6"
like "$URI" '[?&]period=30(&|$)' "  ... period=30"
unlike "$URI" '[?&]algorithm=(SHA256|SHA512)' "  ... no algorithm other than SHA1"
OTP_SECRET[pend]=$(uri_secret "$URI")
OTP_LAST[pend]=0
is "$(account_field pend twofa)/$(account_field pend twofa_pending)" disabled/true "  ... GetAccount: twofa disabled, twofa_pending"
expect_authn ok "pending enrolment: Authenticate without a code" pend "$PW" ""
new_token pend publish
like "$NEW_ID" '^tk_' "pending enrolment: CreateToken without a code works"
wrong_otp pend
is "$(dbus_error_name ConfirmTOTP pend "$(gv "$OTP")" "''" '{}')" $E.BadOTP "ConfirmTOTP with a wrong code: BadOTP"
is "$(account_field pend twofa)/$(account_field pend twofa_pending)" disabled/true "  ... still pending, 2FA still off"
expect_authn ok "  ... Authenticate still needs no code" pend "$PW" ""
is "$(dbus_error_name ConfirmTOTP pend "'12345'" "''" '{}')" $E.BadOTP "ConfirmTOTP with 5 digits: BadOTP"
# (A refused confirmation uses no code up: the pending secret has no counter yet.)
OTP=$(totp "${OTP_SECRET[pend]}")
is "$(dbus_error_name ConfirmTOTP pend "$(gv "$OTP")" "'disabled'" '{}')" $E.InvalidArgument "ConfirmTOTP with mode disabled: InvalidArgument"
is "$(dbus_error_name ConfirmTOTP pend "$(gv "$OTP")" "'sometimes'" '{}')" $E.InvalidArgument "ConfirmTOTP with mode sometimes: InvalidArgument"
is "$(dbus_error_name ConfirmTOTP pend "$(gv "$OTP")" "''" '{"bogus": <true>}')" $E.InvalidArgument "ConfirmTOTP with an unknown option: InvalidArgument"
is "$(account_field pend twofa)/$(account_field pend twofa_pending)" disabled/true "  ... still pending, 2FA still off"
# A second EnrollTOTP replaces the pending secret: the first one's codes stop working.
old_secret=${OTP_SECRET[pend]}
run mgr_json EnrollTOTP 'sa{sv}' pend 0
URI2=$(jq -r '.data[0]' <"$RUN_OUT_FILE")
OTP_SECRET[pend]=$(uri_secret "$URI2")
OTP_LAST[pend]=0
isnt "${OTP_SECRET[pend]}" "$old_secret" "EnrollTOTP again: a new secret"
is "$(dbus_error_name ConfirmTOTP pend "$(gv "$(totp "$old_secret")")" "''" '{}')" $E.BadOTP "  ... the first secret's code no longer confirms: BadOTP"
next_otp pend
run mgr_json ConfirmTOTP 'sssa{sv}' pend "$OTP" "" 0
is "$RUN_RC" 0 "ConfirmTOTP with a valid code: ok"
mapfile -t codes < <(jq -r '.data[0][]' <"$RUN_OUT_FILE" 2>/dev/null)
is "${#codes[@]}" 10 "  ... ten recovery codes"
is "$(printf '%s\n' "${codes[@]}" | sort -u | wc -l)" 10 "  ... all different"
is "$(printf '%s\n' "${codes[@]}" | grep -cvE '^[0-9a-z]{5}-[0-9a-z]{5}$')" 0 "  ... each like xxxxx-xxxxx"
is "$(account_field pend twofa)/$(account_field pend twofa_pending)/$(account_field pend recovery_codes_left)" \
        auth-and-writes/false/10 "  ... GetAccount: auth-and-writes (the default), nothing pending, 10 recovery codes"
is "$(dbus_error_name ConfirmTOTP pend "$(gv "$OTP")" "''" '{}')" $E.NoPendingEnrollment "ConfirmTOTP again: NoPendingEnrollment"
expect_authn bad-otp "the code that confirmed the enrolment cannot log in (used once)" pend "$PW" "$OTP"
is "$(dbus_error_name EnrollTOTP pend '{}')" $E.TwoFactorAlreadyEnabled "EnrollTOTP with 2FA on: TwoFactorAlreadyEnabled"
is "$(dbus_error_name EnrollTOTP no-such-account '{}')" $E.NoSuchAccount "EnrollTOTP for an unknown account: NoSuchAccount"
ok "CreateAccount svc (service)" mgr CreateAccount 'sssa{sv}' svc "" service 0
is "$(dbus_error_name EnrollTOTP svc '{}')" $E.AccessDenied "EnrollTOTP for a service account: AccessDenied"
is "$(dbus_error_name ConfirmTOTP svc "'123456'" "''" '{}')" $E.NoPendingEnrollment "ConfirmTOTP for a service account: NoPendingEnrollment"

# =================================================================================================
# Login with 2FA.

expect_authn otp-required "2FA on: Authenticate without a code" pend "$PW" ""
like "$AUTHN_REASON" . "  ... with a reason ($AUTHN_REASON)"
is "$AUTHN_DETAILS" '{}' "  ... and no session"
expect_authn otp-required "  ... even when a session is asked for" pend "$PW" "" session b true
is "$(authn_detail session_token)" "" "  ... which is not given"
next_otp pend
expect_authn bad-credentials "wrong password with a valid code" pend "wrong password" "$OTP"
expect_authn bad-credentials "wrong password without a code (the password comes first)" pend "wrong password" ""
expect_authn ok "  ... the code the wrong password came with was not used up" pend "$PW" "$OTP"
expect_authn bad-otp "the same code again (replay)" pend "$PW" "$OTP"
like "$AUTHN_REASON" . "  ... with a reason ($AUTHN_REASON)"
wrong_otp pend
expect_authn bad-otp "a wrong code" pend "$PW" "$OTP"
new_account sess "$PW" || bail_out "cannot create account sess"
enroll_2fa sess || bail_out "cannot enrol sess"
next_otp sess
t0=$(now_usec)
expect_authn ok "a code and a session" sess "$PW" "$OTP" session b true
t1=$(now_usec)
like "$(authn_detail session_token)" '^pkgt_' "  ... a session token"
exp=$(authn_detail session_expires_at)
if [[ "$exp" =~ ^[0-9]+$ ]] && [ "$exp" -ge $((t0 + 7200000000)) ] && [ "$exp" -le $((t1 + 7200000000)) ]; then
        pass "  ... expiring after the default 2 hours"
else
        fail "  ... expiring after the default 2 hours" "session_expires_at '$exp', expected between $((t0 + 7200000000)) and $((t1 + 7200000000))"
fi
is "$(mgr_json GetToken s "$(authn_detail session_id)" | jq -r "$JQ_ASV | .type")" session "  ... of type session"

# Two logins at once with one code: exactly one gets in.
new_account conc "$PW" || bail_out "cannot create account conc"
enroll_2fa conc || bail_out "cannot enrol conc"
next_otp conc
bg_busctl "$TMP/conc1" Authenticate 'sssa{sv}' conc "$PW" "$OTP" 0
bg_busctl "$TMP/conc2" Authenticate 'sssa{sv}' conc "$PW" "$OTP" 0
bg_wait
r1=$(jq -r '.data[0]' <"$TMP/conc1" 2>/dev/null)
r2=$(jq -r '.data[0]' <"$TMP/conc2" 2>/dev/null)
is "$(printf '%s\n' "$r1" "$r2" | sort | tr '\n' ' ')" "bad-otp ok " "two Authenticate calls at once with one code: one ok, one bad-otp"
# ... and two publishes at once with one code.
new_account conc2 "$PW" || bail_out "cannot create account conc2"
ok "CreatePackage conc-pkg (2fa-only)" mgr CreatePackage ssas conc-pkg 2fa-only 1 conc2
new_token conc2 publish
CONC_TOKEN=$NEW_TOKEN
enroll_2fa conc2 || bail_out "cannot enrol conc2"
next_otp conc2
bg_busctl "$TMP/conc3" Authorize 'sssa{sv}' "$CONC_TOKEN" conc-pkg publish 1 otp s "$OTP"
bg_busctl "$TMP/conc4" Authorize 'sssa{sv}' "$CONC_TOKEN" conc-pkg publish 1 otp s "$OTP"
bg_wait
r1=$(jq -r '.data[0]' <"$TMP/conc3" 2>/dev/null)
r2=$(jq -r '.data[0]' <"$TMP/conc4" 2>/dev/null)
is "$(printf '%s\n' "$r1" "$r2" | sort | tr '\n' ' ')" "allowed bad-otp " "two publishes at once with one code: one allowed, one bad-otp"

# One counter per account, whatever the method: a code used at login cannot publish, and the
# other way round.
if ! new_account cross1 "$PW" || ! new_account cross2 "$PW"; then
        bail_out "cannot create accounts cross1, cross2"
fi
ok "CreatePackage cross-pkg (2fa-only)" mgr CreatePackage ssas cross-pkg 2fa-only 2 cross1 cross2
new_token cross1 publish
CROSS1_TOKEN=$NEW_TOKEN
new_token cross2 publish
CROSS2_TOKEN=$NEW_TOKEN
if ! enroll_2fa cross1 || ! enroll_2fa cross2; then
        bail_out "cannot enrol cross1, cross2"
fi
next_otp cross1
expect_authn ok "cross1 logs in with a code" cross1 "$PW" "$OTP"
expect_authz_otp bad-otp "  ... the same code cannot publish" "$CROSS1_TOKEN" cross-pkg publish "$OTP"
next_otp cross2
expect_authz_otp allowed "cross2 publishes with a code" "$CROSS2_TOKEN" cross-pkg publish "$OTP"
expect_authn bad-otp "  ... the same code cannot log in" cross2 "$PW" "$OTP"
is "$(dbus_error_name CreateToken cross2 publish '@as []' "'x'" 0 '@as []' "{'otp': <$(gv "$OTP")>}")" $E.ReplayedOTP \
        "  ... nor make a token: ReplayedOTP"

# =================================================================================================
# Recovery codes.

new_account rec "$PW" || bail_out "cannot create account rec"
ok "CreatePackage rec-pkg (2fa-only)" mgr CreatePackage ssas rec-pkg 2fa-only 1 rec
new_token rec publish
REC_TOKEN=$NEW_TOKEN
enroll_2fa rec || bail_out "cannot enrol rec"
rc=("${RECOVERY_CODES[@]}")
expect_authn ok "Authenticate with a recovery code" rec "$PW" "${rc[0]}"
expect_authn bad-otp "  ... the same recovery code again" rec "$PW" "${rc[0]}"
is "$(account_field rec recovery_codes_left)" 9 "  ... 9 recovery codes left"
upper=${rc[1]^^}
expect_authn ok "a recovery code in capitals without its dash" rec "$PW" "${upper//-/}"
expect_authn bad-otp "  ... and then in its usual form" rec "$PW" "${rc[1]}"
expect_authz_otp bad-otp "Authorize (publish) does not take a recovery code" "$REC_TOKEN" rec-pkg publish "${rc[2]}"
expect_authn ok "  ... which is still good for a login" rec "$PW" "${rc[2]}"
is "$(dbus_error_name CreateToken rec publish '@as []' "'x'" 0 '@as []' "{'otp': <$(gv "${rc[3]}")>}")" $E.BadOTP \
        "CreateToken does not take a recovery code: BadOTP"
is "$(dbus_error_name RegenerateRecoveryCodes rec "''" '{}')" $E.OTPRequired "RegenerateRecoveryCodes without a code: OTPRequired"
wrong_otp rec
is "$(dbus_error_name RegenerateRecoveryCodes rec "$(gv "$OTP")" '{}')" $E.BadOTP "RegenerateRecoveryCodes with a wrong code: BadOTP"
expect_authn ok "  ... the recovery codes are unchanged" rec "$PW" "${rc[4]}"
run mgr_json RegenerateRecoveryCodes 'ssa{sv}' rec "${rc[3]}" 0
is "$RUN_RC" 0 "RegenerateRecoveryCodes with a recovery code (the one CreateToken refused): ok"
mapfile -t rc2 < <(jq -r '.data[0][]' <"$RUN_OUT_FILE" 2>/dev/null)
is "${#rc2[@]}" 10 "  ... ten new codes"
is "$(account_field rec recovery_codes_left)" 10 "  ... 10 recovery codes left"
expect_authn bad-otp "  ... an unused old code no longer works" rec "$PW" "${rc[5]}"
expect_authn ok "  ... a new one does" rec "$PW" "${rc2[0]}"
next_otp rec
run mgr_json RegenerateRecoveryCodes 'ssa{sv}' rec "$OTP" 0
is "$RUN_RC" 0 "RegenerateRecoveryCodes with a TOTP code: ok"
mapfile -t rc3 < <(jq -r '.data[0][]' <"$RUN_OUT_FILE" 2>/dev/null)
expect_authn bad-otp "  ... the previous codes no longer work" rec "$PW" "${rc2[1]}"
is "$(dbus_error_name RegenerateRecoveryCodes rec "$(gv "$OTP")" '{}')" $E.ReplayedOTP "RegenerateRecoveryCodes with the same TOTP code: ReplayedOTP"
run mgr_json RegenerateRecoveryCodes 'ssa{sv}' rec "" 1 admin_override b true
is "$RUN_RC" 0 "RegenerateRecoveryCodes with admin_override: ok"
mapfile -t rc4 < <(jq -r '.data[0][]' <"$RUN_OUT_FILE" 2>/dev/null)
expect_authn bad-otp "  ... the previous codes no longer work" rec "$PW" "${rc3[0]}"
expect_authn ok "  ... the new ones do" rec "$PW" "${rc4[0]}"
is "$(dbus_error_name RegenerateRecoveryCodes pend-nobody "''" '{}')" $E.NoSuchAccount "RegenerateRecoveryCodes for an unknown account: NoSuchAccount"
new_account no2fa "$PW" || bail_out "cannot create account no2fa"
is "$(dbus_error_name RegenerateRecoveryCodes no2fa "''" '{"admin_override": <true>}')" $E.TwoFactorNotEnabled \
        "RegenerateRecoveryCodes without 2FA: TwoFactorNotEnabled"

# =================================================================================================
# SetTwoFactorMode: a code, a recovery code or admin_override.

new_account mode "$PW" || bail_out "cannot create account mode"
enroll_2fa mode auth-only || bail_out "cannot enrol mode"
mrc=("${RECOVERY_CODES[@]}")
is "$(account_field mode twofa)" auth-only "ConfirmTOTP with mode auth-only: twofa auth-only"
is "$(dbus_error_name SetTwoFactorMode mode "'auth-and-writes'" "''" '{}')" $E.OTPRequired "SetTwoFactorMode without a code: OTPRequired"
wrong_otp mode
is "$(dbus_error_name SetTwoFactorMode mode "'auth-and-writes'" "$(gv "$OTP")" '{}')" $E.BadOTP "SetTwoFactorMode with a wrong code: BadOTP"
is "$(dbus_error_name SetTwoFactorMode mode "'auth-and-writes'" "'abcdef'" '{}')" $E.BadOTP "SetTwoFactorMode with letters: BadOTP"
is "$(account_field mode twofa)" auth-only "  ... still auth-only"
next_otp mode
is "$(dbus_error_name SetTwoFactorMode mode "'auth-and-writes'" "$(gv "$OTP")" '{}')" ok "SetTwoFactorMode with a code: ok"
is "$(account_field mode twofa)" auth-and-writes "  ... now auth-and-writes"
is "$(dbus_error_name SetTwoFactorMode mode "'auth-only'" "$(gv "$OTP")" '{}')" $E.ReplayedOTP "SetTwoFactorMode with the same code: ReplayedOTP"
is "$(account_field mode twofa)" auth-and-writes "  ... still auth-and-writes"
is "$(dbus_error_name SetTwoFactorMode mode "'sometimes'" "''" '{"admin_override": <true>}')" $E.InvalidArgument "SetTwoFactorMode to an unknown mode: InvalidArgument"
is "$(dbus_error_name SetTwoFactorMode mode "'auth-only'" "''" '{"admin_override": <true>}')" ok "SetTwoFactorMode with admin_override and no code: ok"
is "$(account_field mode twofa)" auth-only "  ... now auth-only"
is "$(dbus_error_name SetTwoFactorMode mode "'auth-and-writes'" "$(gv "${mrc[0]}")" '{}')" ok "SetTwoFactorMode with a recovery code: ok"
is "$(account_field mode twofa)" auth-and-writes "  ... now auth-and-writes"
is "$(dbus_error_name SetTwoFactorMode mode "'auth-only'" "$(gv "${mrc[0]}")" '{}')" $E.BadOTP "  ... that recovery code again: BadOTP"
is "$(dbus_error_name SetTwoFactorMode nobody-here "'auth-only'" "''" '{"admin_override": <true>}')" $E.NoSuchAccount "SetTwoFactorMode for an unknown account: NoSuchAccount"
is "$(dbus_error_name SetTwoFactorMode no2fa "'auth-only'" "''" '{"admin_override": <true>}')" $E.TwoFactorNotEnabled "SetTwoFactorMode without 2FA: TwoFactorNotEnabled"
expect_authn otp-required "before disabling: a code is needed" mode "$PW" ""
is "$(dbus_error_name SetTwoFactorMode mode "'disabled'" "$(gv "${mrc[2]}")" '{}')" ok "SetTwoFactorMode disabled with a recovery code: ok"
is "$(account_field mode twofa)/$(account_field mode twofa_pending)/$(account_field mode recovery_codes_left)" disabled/false/0 \
        "  ... 2FA off, nothing pending, no recovery codes"
expect_authn ok "  ... Authenticate without a code" mode "$PW" ""
new_token mode publish
like "$NEW_ID" '^tk_' "  ... CreateToken without a code"
is "$(dbus_error_name SetTwoFactorMode mode "'auth-only'" "''" '{"admin_override": <true>}')" $E.TwoFactorNotEnabled "  ... SetTwoFactorMode: TwoFactorNotEnabled"
old_secret=${OTP_SECRET[mode]}
enroll_2fa mode auth-only
is "$?" 0 "enrolling again after disabling works"
isnt "${OTP_SECRET[mode]}" "$old_secret" "  ... with a new secret"
expect_authn bad-otp "  ... the old recovery codes are gone" mode "$PW" "${mrc[1]}"
is "$(dbus_error_name SetTwoFactorMode mode "'disabled'" "''" '{"admin_override": <true>}')" ok "SetTwoFactorMode disabled with admin_override: ok"
expect_authn ok "  ... Authenticate without a code" mode "$PW" ""

# =================================================================================================
# CreateToken for an account with 2FA.

new_account ct "$PW" || bail_out "cannot create account ct"
enroll_2fa ct || bail_out "cannot enrol ct"
count_tokens() {
        mgr_json ListTokens ss "$1" '' | jq -r "$JQ_AASV | length"
}
n0=$(count_tokens ct)
is "$(dbus_error_name CreateToken ct publish '@as []' "'x'" 0 '@as []' '{}')" $E.OTPRequired "CreateToken for a 2FA account without a code: OTPRequired"
wrong_otp ct
is "$(dbus_error_name CreateToken ct automation '@as []' "'x'" 0 '@as []' "{'otp': <$(gv "$OTP")>}")" $E.BadOTP "CreateToken with a wrong code: BadOTP"
is "$(dbus_error_name CreateToken ct read-only '@as []' "'x'" 0 '@as []' "{'otp': <'12 34 56'>}")" $E.BadOTP "CreateToken with a malformed code: BadOTP"
is "$(count_tokens ct)" "$n0" "  ... no token was made"
next_otp ct
new_token ct automation "$OTP"
like "$NEW_TOKEN" '^pkgt_' "CreateToken with a code: a token"
is "$(dbus_error_name CreateToken ct automation '@as []' "'x'" 0 '@as []' "{'otp': <$(gv "$OTP")>}")" $E.ReplayedOTP "CreateToken with the same code: ReplayedOTP"
is "$(count_tokens ct)" $((n0 + 1)) "  ... one token made in all"

# =================================================================================================
# The publish decision: token type × account 2FA mode × package policy, OTP absent, wrong,
# valid, reused.  One account per case, so that every case has fresh codes.

MODES=(disabled auth-only auth-and-writes)
TYPES=(publish session automation read-only)
POLICIES=(none 2fa-or-automation 2fa-only)
declare -A SHORT=([disabled]=off [auth-only]=ao [auth-and-writes]=aw [none]=none
                  [2fa-or-automation]=oa [2fa-only]=only [publish]=pub [session]=ses [automation]=auto [read-only]=ro)
declare -A CELL_TOKEN
cells=()
for mode in "${MODES[@]}"; do
        for type in "${TYPES[@]}"; do
                for policy in "${POLICIES[@]}"; do
                        cells+=("dt-${SHORT[$mode]}-${SHORT[$type]}-${SHORT[$policy]}")
                done
        done
done
setup_failed=0
for mode in "${MODES[@]}"; do
        for type in "${TYPES[@]}"; do
                for policy in "${POLICIES[@]}"; do
                        a=dt-${SHORT[$mode]}-${SHORT[$type]}-${SHORT[$policy]}
                        new_account "$a" "$PW" || { setup_failed=1; continue; }
                        if [ "$type" = session ]; then
                                new_session "$a"
                        else
                                new_token "$a" "$type"
                        fi
                        CELL_TOKEN[$a]=$NEW_TOKEN
                        [ -n "$NEW_TOKEN" ] || setup_failed=1
                        if [ "$mode" != disabled ]; then
                                enroll_2fa "$a" "$mode" || setup_failed=1
                        fi
                done
        done
done
for policy in "${POLICIES[@]}"; do
        mgr CreatePackage ssas "dt-$policy" "$policy" "${#cells[@]}" "${cells[@]}" >/dev/null || setup_failed=1
done
is "$setup_failed" 0 "decision table: ${#cells[@]} accounts, their tokens and 2FA, three packages"

# expected_without_otp MODE TYPE POLICY: the answer to a publish without an OTP.
expected_without_otp() {
        local mode=$1 type=$2 policy=$3
        case $type in
        read-only) echo forbidden; return ;;
        automation) [ "$policy" = 2fa-only ] && echo forbidden || echo allowed; return ;;
        esac
        # publish and session: a person, who gives an OTP where the policy or the mode asks.
        if [ "$policy" = none ] && [ "$mode" != auth-and-writes ]; then
                echo allowed
        elif [ "$mode" = disabled ]; then
                echo forbidden          # asked for an OTP it can never give
        else
                echo otp-required
        fi
}

for mode in "${MODES[@]}"; do
        for type in "${TYPES[@]}"; do
                for policy in "${POLICIES[@]}"; do
                        a=dt-${SHORT[$mode]}-${SHORT[$type]}-${SHORT[$policy]}
                        t=${CELL_TOKEN[$a]}
                        what="$type token, account $mode, policy $policy"
                        e0=$(expected_without_otp "$mode" "$type" "$policy")
                        if [ "$e0" = otp-required ]; then
                                ewrong=bad-otp evalid=allowed ereused=bad-otp
                        else
                                ewrong=$e0 evalid=$e0 ereused=$e0    # an OTP nobody asked for changes nothing
                        fi
                        expect_authz_otp "$e0" "$what, no OTP" "$t" "dt-$policy" publish
                        if [ "$mode" = disabled ]; then
                                OTP=314159
                        else
                                wrong_otp "$a"
                        fi
                        expect_authz_otp "$ewrong" "$what, wrong OTP" "$t" "dt-$policy" publish "$OTP"
                        if [ "$mode" = disabled ]; then
                                OTP=271828
                        else
                                next_otp "$a"
                        fi
                        expect_authz_otp "$evalid" "$what, valid OTP" "$t" "dt-$policy" publish "$OTP"
                        expect_authz_otp "$ereused" "$what, the same OTP again" "$t" "dt-$policy" publish "$OTP"
                        expect_authz_otp allowed "$what, read" "$t" "dt-$policy" read
                done
        done
done

# =================================================================================================
# Malformed codes: refused everywhere, never a crash, and they use nothing up.

new_account bad "$PW" || bail_out "cannot create account bad"
ok "CreatePackage bad-pkg (2fa-only)" mgr CreatePackage ssas bad-pkg 2fa-only 1 bad
new_token bad publish
BAD_TOKEN=$NEW_TOKEN
enroll_2fa bad || bail_out "cannot enrol bad"
if ! new_account badpend "$PW" || ! enroll_only badpend; then
        bail_out "cannot create account badpend"
fi
hundred_digits=$(head -c 100 /dev/zero | tr '\0' '7')
hundred_x=$(head -c 100 /dev/zero | tr '\0' 'x')
MALFORMED=(abcdef 12345 1234567 "$hundred_digits" "$hundred_x" " 123456" "123456 " "12 456" 12345a "１２３４５６" "١٢٣٤٥٦" "12345\\" "'12345" "%s%s%s")
for m in "${MALFORMED[@]}"; do
        show=${m:0:12}
        [ ${#m} -gt 12 ] && show="$show... (${#m} characters)"
        expect_authn bad-otp "OTP '$show' at login" bad "$PW" "$m"
        expect_authz_otp bad-otp "OTP '$show' for a publish" "$BAD_TOKEN" bad-pkg publish "$m"
        is "$(dbus_error_name SetTwoFactorMode bad "'auth-and-writes'" "$(gv "$m")" '{}')" $E.BadOTP "OTP '$show' for SetTwoFactorMode: BadOTP"
        is "$(dbus_error_name CreateToken bad publish '@as []' "'x'" 0 '@as []' "{'otp': <$(gv "$m")>}")" $E.BadOTP "OTP '$show' for CreateToken: BadOTP"
        is "$(dbus_error_name ConfirmTOTP badpend "$(gv "$m")" "''" '{}')" $E.BadOTP "OTP '$show' for ConfirmTOTP: BadOTP"
done
check_daemon_alive "the daemon survived the malformed codes"
next_otp bad
expect_authn ok "a valid code still works after them" bad "$PW" "$OTP"
is "$(account_field badpend twofa_pending)" true "  ... and badpend's enrolment is still pending"

# =================================================================================================
# The window at login: with the last accepted counter at least three steps behind, codes of
# 60 s ago and ahead are refused; 30 s ago and ahead are accepted, in increasing order only.

declare -A LOGIN_EDGE
# login_edges ACCOUNT: all from one fixed time in the middle of a step.  Returns 1 when a
# step boundary passed meanwhile.
login_edges() {
        local a=$1 s=${OTP_SECRET[$1]}
        wait_for_step $((${OTP_LAST[$a]} + 3)) || bail_out "the clock does not move"
        mgr_authenticate "$a" "$PW" "$(totp "$s" $((STEP_TIME - 60)))"; LOGIN_EDGE[m60]=$AUTHN_RESULT
        mgr_authenticate "$a" "$PW" "$(totp "$s" $((STEP_TIME + 60)))"; LOGIN_EDGE[p60]=$AUTHN_RESULT
        mgr_authenticate "$a" "$PW" "$(totp "$s" $((STEP_TIME - 30)))"; LOGIN_EDGE[m30]=$AUTHN_RESULT
        mgr_authenticate "$a" "$PW" "$(totp "$s" $((STEP_TIME - 30)))"; LOGIN_EDGE[m30again]=$AUTHN_RESULT
        mgr_authenticate "$a" "$PW" "$(totp "$s" $((STEP_TIME + 30)))"; LOGIN_EDGE[p30]=$AUTHN_RESULT
        mgr_authenticate "$a" "$PW" "$(totp "$s" "$STEP_TIME")"; LOGIN_EDGE[now]=$AUTHN_RESULT
        OTP_LAST[$a]=$((STEP + 1))
        still_in_step
}
login_edges_ok() {
        [ "${LOGIN_EDGE[m60]}" = bad-otp ] && [ "${LOGIN_EDGE[p60]}" = bad-otp ] && [ "${LOGIN_EDGE[m30]}" = ok ] &&
                [ "${LOGIN_EDGE[m30again]}" = bad-otp ] && [ "${LOGIN_EDGE[p30]}" = ok ] && [ "${LOGIN_EDGE[now]}" = bad-otp ]
}
if [ -n "$LOGIN_EDGE_ACCOUNT" ] && mgr SetPassword 'ssa{sv}' "$LOGIN_EDGE_ACCOUNT" "$PW" 0 >/dev/null; then
        if ! login_edges "$LOGIN_EDGE_ACCOUNT" && ! login_edges_ok; then
                diag "a step boundary passed during the login window checks: once more"
                if ! new_account edge-again "$PW" || ! enroll_2fa edge-again; then
                        bail_out "cannot create account edge-again"
                fi
                login_edges edge-again
        fi
        is "${LOGIN_EDGE[m60]}" bad-otp "login with the code of 60 s ago: bad-otp"
        is "${LOGIN_EDGE[p60]}" bad-otp "login with the code of 60 s ahead: bad-otp"
        is "${LOGIN_EDGE[m30]}" ok "login with the code of 30 s ago: ok"
        is "${LOGIN_EDGE[m30again]}" bad-otp "  ... the same code again: bad-otp"
        is "${LOGIN_EDGE[p30]}" ok "login with the code of 30 s ahead: ok"
        is "${LOGIN_EDGE[now]}" bad-otp "  ... after which the current code (an older counter) is refused: bad-otp"
else
        fail "login window checks: no account"
fi

# =================================================================================================
# TOTPIssuer=, and 2FA survives a restart.

stop_daemon
is "$STOP_RC" 0 "pkgtokend exits 0 on SIGTERM"
write_config "$CONFIG" PasswordCost=1 LockoutThreshold=1000 RecoveryHoldSec=0 "TOTPIssuer=Example Registry"
must_start_daemon --config="$CONFIG"
expect_authn otp-required "after a restart, 2FA is still on" ct "$PW" ""
next_otp ct
expect_authn ok "  ... and a fresh code works" ct "$PW" "$OTP"
expect_authn bad-otp "  ... once" ct "$PW" "$OTP"
new_account issuer "$PW" || bail_out "cannot create account issuer"
run mgr_json EnrollTOTP 'sa{sv}' issuer 0
URI=$(jq -r '.data[0]' <"$RUN_OUT_FILE")
like "$URI" '^otpauth://totp/Example%20Registry:issuer\?' "TOTPIssuer=Example Registry: the label"
like "$URI" '[?&]issuer=Example%20Registry(&|$)' "  ... and issuer=Example%20Registry"
like "$URI" '[?&]secret=[A-Z2-7]{32}(&|$)' "  ... still with a secret"

for f in "$TMP"/pkgtokend.*.log; do
        if grep -qiE 'otpauth|secret=' "$f"; then
                fail "no TOTP secret in $(basename "$f")"
        else
                pass "no TOTP secret in $(basename "$f")"
        fi
done
check_daemon_alive

done_testing
