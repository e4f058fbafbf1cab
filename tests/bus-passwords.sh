#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Passwords and login sessions over the bus: SetPassword and
# Authenticate; a wrong password, an unknown account, an account without a password and a
# service account all get the same answer; password length limits (MinPasswordLength=, 4096
# bytes) refuse without changing anything; old_password; session tokens (type "session",
# listed, good for reading, expiring after SessionLifetimeSec=, revocable); no password in
# the daemon's log, its errors or the audit.

. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

CONFIG=$TMP/pkgtokend.conf
# Cheap hashes; a minimum length to test; a session lifetime to measure; no lockouts in the
# way (bus-lockout.sh tests those).
write_config "$CONFIG" PasswordCost=1 MinPasswordLength=10 SessionLifetimeSec=120 LockoutThreshold=1000
setup_bus_and_daemon --config="$CONFIG"

PW_ALICE='correct horse battery'
PW_ALICE2='staple 4 horses, correct'
PW_WRONG='incorrect horse battery'
PW_CAROL='exactly10!'                 # MinPasswordLength characters
PW_UTF8_10='ééééééééé€'               # 10 characters, 21 bytes
PW_UTF8_9='ééééééééé'                 # 9 characters, 18 bytes
PW_4096=$(head -c 4096 /dev/zero | tr '\0' 'p')
PW_4097=$(head -c 4097 /dev/zero | tr '\0' 'q')
ALL_PASSWORDS=("$PW_ALICE" "$PW_ALICE2" "$PW_WRONG" "$PW_CAROL" "$PW_UTF8_10" "$PW_UTF8_9" "${PW_4096:0:64}" "${PW_4097:0:64}")

# Every D-Bus error text seen, to look for passwords in them at the end.
ERRORS=$TMP/errors.txt
: >"$ERRORS"

# set_password_error ACCOUNT PASSWORD [GVARIANT-OPTIONS]: the D-Bus error name of SetPassword
# ("ok" when it worked), by gdbus; the text goes to $ERRORS.
set_password_error() {
        local out name
        if out=$(gdbus call --address "$PKGTOKEN_BUS_ADDRESS" --dest org.pkgtoken1 --object-path /org/pkgtoken1 \
                        --method org.pkgtoken1.Manager.SetPassword -- "$1" "$2" "${3:-{\}}" 2>&1); then
                echo ok
                return 0
        fi
        printf '%s\n' "$out" >>"$ERRORS"
        name=$(printf '%s\n' "$out" | grep -oE 'GDBus\.Error:[A-Za-z0-9_.]+' | head -n 1)
        echo "${name#GDBus.Error:}"
}

have_gdbus || skip_all "gdbus not found: the tests check D-Bus error names"

for a in alice bob carol dave nopw; do
        ok "CreateAccount $a" mgr CreateAccount 'sssa{sv}' "$a" "" human 0
done
ok "CreateAccount ci-bot (service)" mgr CreateAccount 'sssa{sv}' ci-bot "" service 0
ok "CreatePackage pw-open (policy none, alice)" mgr CreatePackage ssas pw-open none 1 alice
ok "CreatePackage pw-default (2fa-or-automation, alice)" mgr CreatePackage ssas pw-default 2fa-or-automation 1 alice

# --- SetPassword, Authenticate ---------------------------------------------------------------------------------
is "$(mgr_json GetAccount s alice | jq -r "$JQ_ASV | .has_password")" false "alice has no password yet"
expect_authn bad-credentials "alice before she has a password" alice "$PW_ALICE"
is "$(set_password_error alice "$PW_ALICE")" ok "SetPassword alice"
is "$(mgr_json GetAccount s alice | jq -r "$JQ_ASV | .has_password")" true "  ... has_password"
expect_authn ok "Authenticate alice, right password" alice "$PW_ALICE"
is "$AUTHN_REASON" ok "  ... reason ok"
is "$AUTHN_DETAILS" '{}' "  ... no session asked for: no details"
expect_authn ok "  ... with remote and session=false" alice "$PW_ALICE" "" remote s 192.0.2.10 session b false
is "$AUTHN_DETAILS" '{}' "  ... still no session"

# --- nothing tells which accounts exist ---------------------------------------------------------------------------
expect_authn bad-credentials "alice, wrong password" alice "$PW_WRONG"
REF_REASON=$AUTHN_REASON
REF_DETAILS=$AUTHN_DETAILS
like "$REF_REASON" . "  ... with a reason ($REF_REASON)"
unlike "$REF_REASON" 'alice|unknown|exist|no such' "  ... that names neither the account nor whether it exists"
check_same_answer() {
        local desc=$1
        shift
        mgr_authenticate "$@"
        if [ "$AUTHN_RESULT" = bad-credentials ] && [ "$AUTHN_REASON" = "$REF_REASON" ] && [ "$AUTHN_DETAILS" = "$REF_DETAILS" ]; then
                pass "$desc: the same answer as a wrong password"
        else
                fail "$desc: the same answer as a wrong password" \
                        "     got: '$AUTHN_RESULT' '$AUTHN_REASON' $AUTHN_DETAILS" \
                        "expected: 'bad-credentials' '$REF_REASON' $REF_DETAILS"
                diag_run
        fi
}
check_same_answer "unknown account" no-such-user "$PW_WRONG" ""
check_same_answer "unknown account, alice's password" no-such-user "$PW_ALICE" ""
check_same_answer "a name no account can have" 'Not A Valid Name!' "$PW_ALICE" ""
check_same_answer "an empty name" '' "$PW_ALICE" ""
check_same_answer "an account without a password" nopw "$PW_ALICE" ""
check_same_answer "an account without a password, empty password" nopw '' ""
check_same_answer "alice, empty password" alice '' ""
check_same_answer "alice, her password with a space added" alice "$PW_ALICE " ""
check_same_answer "alice, a 4097-byte password" alice "$PW_4097" ""
check_same_answer "service account ci-bot" ci-bot "$PW_ALICE" ""
check_same_answer "service account ci-bot, with an OTP and a session asked for" ci-bot "$PW_ALICE" 123456 session b true
check_same_answer "unknown account, with a remote" no-such-user "$PW_WRONG" "" remote s 192.0.2.11
is "$(set_password_error ci-bot "$PW_ALICE")" org.pkgtoken1.Error.AccessDenied "SetPassword on a service account: AccessDenied"
is "$(mgr_json GetAccount s ci-bot | jq -r "$JQ_ASV | .has_password")" false "  ... ci-bot still has no password"
check_same_answer "  ... so ci-bot still cannot log in" ci-bot "$PW_ALICE" ""
is "$(set_password_error no-such-user "$PW_ALICE")" org.pkgtoken1.Error.NoSuchAccount "SetPassword on an unknown account: NoSuchAccount"

# --- unacceptable passwords change nothing ------------------------------------------------------------------------
still_alice() {
        mgr_authenticate alice "$PW_ALICE" ""
        if [ "$AUTHN_RESULT" = ok ]; then
                pass "  ... alice's password is unchanged"
        else
                fail "  ... alice's password is unchanged" "Authenticate with the old password: '$AUTHN_RESULT'"
        fi
}
is "$(set_password_error alice '')" org.pkgtoken1.Error.InvalidArgument "SetPassword, empty: InvalidArgument"
still_alice
is "$(set_password_error alice 'ninechars')" org.pkgtoken1.Error.InvalidArgument "SetPassword, 9 characters (MinPasswordLength=10): InvalidArgument"
still_alice
expect_authn bad-credentials "  ... the refused password does not work" alice ninechars
is "$(set_password_error alice "$PW_UTF8_9")" org.pkgtoken1.Error.InvalidArgument "SetPassword, 9 characters in 18 bytes: InvalidArgument (characters count, not bytes)"
still_alice
is "$(set_password_error alice "$PW_4097")" org.pkgtoken1.Error.InvalidArgument "SetPassword, 4097 bytes: InvalidArgument"
still_alice
expect_authn bad-credentials "  ... the refused 4097-byte password does not work" alice "$PW_4097"
is "$(set_password_error alice "$PW_ALICE2" '{"bogus": <"x">}')" org.pkgtoken1.Error.InvalidArgument "SetPassword, unknown option: InvalidArgument"
still_alice
is "$(set_password_error alice "$PW_ALICE2" '{"old_password": <true>}')" org.pkgtoken1.Error.InvalidArgument "SetPassword, old_password of the wrong type: InvalidArgument"
still_alice

is "$(set_password_error carol "$PW_CAROL")" ok "SetPassword, exactly 10 characters: ok"
expect_authn ok "  ... and it works" carol "$PW_CAROL"
is "$(set_password_error dave "$PW_UTF8_10")" ok "SetPassword, 10 characters in 21 bytes: ok"
expect_authn ok "  ... and it works" dave "$PW_UTF8_10"
expect_authn bad-credentials "  ... its first 9 characters do not" dave "$PW_UTF8_9"
is "$(set_password_error bob "$PW_4096")" ok "SetPassword, 4096 bytes: ok"
expect_authn ok "  ... and it works" bob "$PW_4096"
expect_authn bad-credentials "  ... its first 4095 bytes do not" bob "${PW_4096:0:4095}"
expect_authn bad-credentials "  ... nor with the last byte changed" bob "${PW_4096:0:4095}x"
expect_authn bad-credentials "  ... nor with the first byte changed" bob "x${PW_4096:1}"

# --- old_password ---------------------------------------------------------------------------------------------------
is "$(set_password_error alice "$PW_ALICE2" "{\"old_password\": <\"$PW_WRONG\">}")" org.pkgtoken1.Error.BadPassword \
        "SetPassword with a wrong old_password: BadPassword"
still_alice
expect_authn bad-credentials "  ... the new password was not set" alice "$PW_ALICE2"
is "$(set_password_error alice "$PW_ALICE2" '{"old_password": <"">}')" org.pkgtoken1.Error.BadPassword \
        "SetPassword with an empty old_password: BadPassword"
still_alice
is "$(set_password_error nopw "$PW_ALICE2" "{\"old_password\": <\"$PW_ALICE\">}")" org.pkgtoken1.Error.BadPassword \
        "SetPassword with old_password on an account without one: BadPassword"
is "$(set_password_error alice "$PW_ALICE2" "{\"old_password\": <\"$PW_ALICE\">}")" ok \
        "SetPassword with the right old_password: ok"
expect_authn ok "  ... the new password works" alice "$PW_ALICE2"
expect_authn bad-credentials "  ... the old one does not" alice "$PW_ALICE"
is "$(set_password_error alice "$PW_ALICE" '{}')" ok "SetPassword without old_password (admin): ok"
expect_authn ok "  ... alice's first password works again" alice "$PW_ALICE"

# --- sessions ---------------------------------------------------------------------------------------------------------
tokens_before=$(mgr_json ListTokens ss alice '' | jq -r "$JQ_AASV | length")
expect_authn bad-credentials "a session asked for with a wrong password" alice "$PW_WRONG" "" session b true
is "$(authn_detail session_token)" "" "  ... gives no session token"
is "$(mgr_json ListTokens ss alice '' | jq -r "$JQ_AASV | length")" "$tokens_before" "  ... and creates no token"

before=$(now_usec)
expect_authn ok "Authenticate alice with session=true" alice "$PW_ALICE" "" session b true remote s 192.0.2.12
after=$(now_usec)
SESSION_ID=$(authn_detail session_id)
SESSION_TOKEN=$(authn_detail session_token)
SESSION_EXPIRES=$(authn_detail session_expires_at)
like "$SESSION_ID" '^tk_[0-9A-Za-z]{12}$' "  ... session_id is a token id ($SESSION_ID)"
like "$SESSION_TOKEN" '^pkgt_[0-9A-Za-z]{42}$' "  ... session_token is a token"
lo=$((before + 120000000))
hi=$((after + 120000000))
if [[ "$SESSION_EXPIRES" =~ ^[0-9]+$ ]] && [ "$SESSION_EXPIRES" -ge "$lo" ] && [ "$SESSION_EXPIRES" -le "$hi" ]; then
        pass "  ... session_expires_at is SessionLifetimeSec=120 after the login"
else
        fail "  ... session_expires_at is SessionLifetimeSec=120 after the login" \
                "got '$SESSION_EXPIRES', expected between $lo and $hi"
fi

run mgr_json ListTokens ss alice ''
session_json=$(jq -c --arg id "$SESSION_ID" "$JQ_AASV | map(select(.id == \$id)) | .[0] // empty" <"$RUN_OUT_FILE")
if [ -n "$session_json" ]; then
        pass "ListTokens alice lists the session"
else
        fail "ListTokens alice lists the session"
        diag_run
        session_json='{}'
fi
is "$(jq -r .type <<<"$session_json")" session "  ... type session"
is "$(jq -r .account <<<"$session_json")" alice "  ... account alice"
is "$(jq -r .owner <<<"$session_json")" account "  ... owned by the account"
is "$(jq -r .state <<<"$session_json")" active "  ... active"
is "$(jq -r .expires_at <<<"$session_json")" "$SESSION_EXPIRES" "  ... expires_at as Authenticate said"
is "$(jq -r '.scope | length' <<<"$session_json")" 0 "  ... no scope (the account's packages)"
is "$(jq -r .prefix <<<"$session_json")" "${SESSION_TOKEN:0:9}" "  ... its display prefix"
is "$(mgr_json GetToken s "$SESSION_ID" | jq -r "$JQ_ASV | .type")" session "GetToken: type session"
run ctl --json token list --account=alice
is "$(jq -r --arg id "$SESSION_ID" 'map(select(.id == $id)) | .[0].type // empty' <"$RUN_OUT_FILE" 2>/dev/null)" session \
        "pkgtokenctl token list --account=alice lists the session token"
if mgr_json ListTokens ss alice '' | grep -qF "${SESSION_TOKEN:9}"; then
        fail "  ... and no list shows its secret"
else
        pass "  ... and no list shows its secret"
fi

mgr_authorize_with "$SESSION_TOKEN" pw-open read remote 192.0.2.12
is "$MGR_RESULT" allowed "the session token reads pw-open"
is "$MGR_TOKEN_ID" "$SESSION_ID" "  ... as the session's token id"
mgr_authorize_with "$SESSION_TOKEN" some-other-package read
is "$MGR_RESULT" allowed "the session token reads a package alice does not maintain"
mgr_authorize_with "$SESSION_TOKEN" pw-open publish remote 192.0.2.12
is "$MGR_RESULT" allowed "the session token publishes pw-open (policy none, no 2FA): allowed"
mgr_authorize_with "$SESSION_TOKEN" pw-default publish
is "$MGR_RESULT" forbidden "the session token publishes pw-default (2fa-or-automation, alice has no 2FA): forbidden"
is "$(mgr_json GetToken s "$SESSION_ID" | jq -r "$JQ_ASV | .last_used_from")" 192.0.2.12 "  ... its last use is recorded"

expect_authn ok "a second login with a session" alice "$PW_ALICE" "" session b true
SESSION2_ID=$(authn_detail session_id)
SESSION2_TOKEN=$(authn_detail session_token)
isnt "$SESSION2_ID" "$SESSION_ID" "  ... is another session"
isnt "$SESSION2_TOKEN" "$SESSION_TOKEN" "  ... with another secret"

ok "RevokeToken the first session" mgr RevokeToken s "$SESSION_ID"
mgr_authorize_with "$SESSION_TOKEN" pw-open read
is "$MGR_RESULT" invalid "the revoked session token: invalid"
is "$(mgr_json GetToken s "$SESSION_ID" | jq -r "$JQ_ASV | .state")" revoked "  ... state revoked"
mgr_authorize_with "$SESSION2_TOKEN" pw-open read
is "$MGR_RESULT" allowed "the second session still works"

expect_authn ok "bob (4096-byte password) gets a session too" bob "$PW_4096" "" session b true
like "$(authn_detail session_token)" '^pkgt_' "  ... with a token"

# Sessions come from logins only, with the configured lifetime: CreateToken makes none.
is "$(dbus_error_name CreateToken alice session '@as []' 'fake session' 0 '@as []' '{}')" \
        org.pkgtoken1.Error.InvalidArgument "CreateToken with type session: InvalidArgument (sessions come from Authenticate)"

# --- the same behaviour after a restart ---------------------------------------------------------------------------
stop_daemon
is "$STOP_RC" 0 "pkgtokend exits 0 on SIGTERM"
must_start_daemon --config="$CONFIG"
expect_authn ok "after a restart: alice's password" alice "$PW_ALICE"
expect_authn ok "after a restart: bob's 4096-byte password" bob "$PW_4096"
check_same_answer "after a restart: unknown account" no-such-user "$PW_WRONG" ""
mgr_authorize_with "$SESSION2_TOKEN" pw-open read
is "$MGR_RESULT" allowed "after a restart: the session still works"

# --- no password anywhere it should not be -------------------------------------------------------------------------
leaks=()
for pw in "${ALL_PASSWORDS[@]}"; do
        for f in "$TMP"/pkgtokend.*.log "$ERRORS"; do
                grep -qF -- "$pw" "$f" && leaks+=("${pw:0:12}... in $(basename "$f")")
        done
done
for f in "$TMP"/pkgtokend.*.log; do
        grep -qF -e "${SESSION_TOKEN:9}" -e "${SESSION2_TOKEN:9}" "$f" && leaks+=("a session token in $(basename "$f")")
done
is "${leaks[*]:-}" "" "no password or session token in the daemon's log or in D-Bus error texts"
run mgr_json ListAuditEvents stu '' 0 0
leaks=()
for pw in "${ALL_PASSWORDS[@]}"; do
        grep -qF -- "$pw" "$RUN_OUT_FILE" && leaks+=("${pw:0:12}...")
done
grep -qF "${SESSION_TOKEN:9}" "$RUN_OUT_FILE" && leaks+=("a session token")
is "${leaks[*]:-}" "" "no password or session token in the audit"
jq "$JQ_AASV" <"$RUN_OUT_FILE" >"$TMP/audit.json"
audit_has "the audit records alice's login with its session id and remote address" \
        "$TMP/audit.json" login alice "$SESSION_ID" 192.0.2.12
check_daemon_alive

done_testing
