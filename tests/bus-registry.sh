#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The registry API (issue 9) over the bus, called as a registry server would: a RegistryGroup=
# member when the tests run as root (nobody, with nobody's group as RegistryGroup=), else the
# daemon's own uid.  Verify for every action and reason code, with its details; two-phase
# publish (success, failure, a restart in between, unknown ids); acting for an account proven
# by its token (WhoAmI, GetProfile, ListOwnTokens, CreateOwnToken, RevokeOwnToken, Logout,
# ChangeMaintainer), governance refusals, OTPs for accounts with 2FA, and the audit naming
# the account and the registry.  (Set-up and drivers: tests/lib-registry.sh.)

. "${top_srcdir:-$(dirname "$0")/..}/tests/lib-registry.sh"
restart() {
        stop_daemon
        is "$STOP_RC" 0 "pkgtokend exits 0 on SIGTERM (pending publishes on disk)"
        must_start_daemon --config="$CONFIG"
        is_root && chmod a+x "$TMP/bus" && chmod a+rw "$BUS_SOCKET"
        return 0
}

# --- set-up ----------------------------------------------------------------------------------------
ok "accounts alice, bob, carol, dave" bash -c '
        for a in alice bob carol dave; do
                '"$(declare -f mgr)"'
                BUSCTL='"$BUSCTL"' PKGTOKEN_BUS_ADDRESS='"$PKGTOKEN_BUS_ADDRESS"' mgr CreateAccount sssa{sv} "$a" "$a@example.org" human 0 >/dev/null || exit 1
        done'
ok "alice's password" mgr SetPassword 'ssa{sv}' alice "correct horse battery" 0
ok "package p-none (alice)" ctl package add p-none --policy=none --maintainer=alice
ok "package p-default (alice)" ctl package add p-default --maintainer=alice
ok "package p-strict (alice)" ctl package add p-strict --policy=2fa-only --maintainer=alice
ok "package bob-pkg (bob)" ctl package add bob-pkg --policy=none --maintainer=bob
ok "package c-pkg (carol)" ctl package add c-pkg --maintainer=carol
ok "package d-pkg (dave)" ctl package add d-pkg --policy=none --maintainer=dave

token alice read-only "" "" 0 && RO=$NEW_TOKEN RO_ID=$NEW_ID
token alice publish "" "" 0 && PUB=$NEW_TOKEN PUB_ID=$NEW_ID
token alice automation "" "" 0 && AUTO=$NEW_TOKEN AUTO_ID=$NEW_ID
token alice automation "p-*" "" 0 && SCOPED=$NEW_TOKEN
token alice automation "" "192.0.2.0/24" 0 && CIDR=$NEW_TOKEN
token alice automation p-none "" 0 package_owned b true && PKG=$NEW_TOKEN PKG_ID=$NEW_ID
token alice automation "" "" $(($(now_usec) + 2000000)) && SHORT=$NEW_TOKEN
token alice publish "" "" 0 && DEAD=$NEW_TOKEN DEAD_ID=$NEW_ID
token bob automation "" "" 0 && BOB=$NEW_TOKEN BOB_ID=$NEW_ID
ok "revoke one" mgr RevokeToken s "$DEAD_ID"
[ -n "$RO" ] && [ -n "$PUB" ] && [ -n "$AUTO" ] && [ -n "$PKG" ] && [ -n "$BOB" ] && pass "tokens made" || fail "tokens made"

# --- Verify: identity and its details ------------------------------------------------------------------
expect_verify allowed ok "identity of alice's publish token" "$PUB" "" identity
is "$(detail account)/$(detail owner)/$(detail type)/$(detail token_id)" "alice/account/publish/$PUB_ID" \
        "  ... details: account, owner, type, token_id"
is "$(detail actor)/$(detail bypass_2fa)/$(detail expires_at)" 'alice (Token "alice publish")/false/0' \
        "  ... actor, bypass_2fa, expires_at"
like "$V_DETAILS" '"scope":\[\]' "  ... scope (empty)"
expect_verify allowed ok "identity of an automation token" "$AUTO" "" identity
is "$(detail bypass_2fa)" true "  ... bypass_2fa"
expect_verify allowed ok "identity of a package token" "$PKG" "" identity
is "$(detail account)/$(detail owner)/$(detail scope)" "/package/p-none" "  ... no account, owner package"
verify "$PUB" p-none identity
is "$V_RC" 1 "identity with a package is refused as an invalid call"
run reg_json Authorize 'sssa{sv}' "$PUB" p-none unpublish 0
is "$RUN_RC" 1 "Authorize keeps its two actions (unpublish is Verify's)"

# --- Verify: reason codes ---------------------------------------------------------------------------
expect_verify invalid unknown "garbage" "not-a-token" "" identity
is "$(detail token_id)" "" "  ... no details for an unknown token"
# (The last character changed: a token that ends in "x" gets a "y".)
BADSUM=${PUB%?}x
[ "$BADSUM" = "$PUB" ] && BADSUM=${PUB%?}y
expect_verify invalid unknown "bad checksum" "$BADSUM" p-none read
expect_verify invalid revoked "revoked token" "$DEAD" p-none read
is "$(detail token_id)" "$DEAD_ID" "  ... details also on refusals"
sleep 2.1
expect_verify invalid expired "expired token" "$SHORT" "" identity
expect_verify forbidden out-of-scope "scope p-*, bob-pkg" "$SCOPED" bob-pkg read
expect_verify allowed ok "scope p-*, publish p-none" "$SCOPED" p-none publish version 1.0.1
expect_verify forbidden address-not-allowed "CIDR, outside" "$CIDR" p-none read remote 203.0.113.9
expect_verify allowed ok "CIDR, inside" "$CIDR" p-none read remote 192.0.2.7
expect_verify forbidden read-only "read-only publish" "$RO" p-none publish
expect_verify allowed ok "read-only read" "$RO" p-strict read
expect_verify forbidden tokens-disallowed "automation on 2fa-only" "$AUTO" p-strict publish
expect_verify forbidden otp-required "publish token, 2fa policy, account without 2FA" "$PUB" p-default publish
expect_verify forbidden not-maintainer "alice on bob-pkg" "$AUTO" bob-pkg publish
expect_verify forbidden no-such-package "unpublish of a missing package" "$AUTO" no-such unpublish
expect_verify forbidden out-of-scope "package token, another package" "$PKG" bob-pkg read
expect_verify forbidden governance "automation token, owner" "$AUTO" p-none owner
expect_verify forbidden governance "package token, owner" "$PKG" p-none owner
# Maintainers are governance (issue 10): a token of an account without 2FA publishes without a
# code, so it changes no maintainers, whatever the package's policy.
expect_verify forbidden governance "publish token of an account without 2FA, owner, policy none" "$PUB" p-none owner
like "$V_MESSAGE" 'enable two-factor' "  ... the message says what would be accepted"
expect_verify allowed ok "automation token, unpublish" "$AUTO" p-default unpublish version 1.0.0
expect_verify allowed ok "automation token, deprecate" "$AUTO" p-default deprecate version 1.0.0
expect_verify allowed ok "automation token, dist-tag" "$AUTO" p-default dist-tag
expect_verify forbidden tokens-disallowed "automation token, dist-tag on 2fa-only" "$AUTO" p-strict dist-tag
ok "lock bob" ctl account lock bob
expect_verify forbidden account-locked "locked account" "$BOB" bob-pkg read
ok "unlock bob" ctl account unlock bob

# --- two-phase publish ---------------------------------------------------------------------------------
expect_verify allowed ok "publish of a new package" "$AUTO" newpkg publish version 1.0.0
ID1=$(detail publish_id)
like "$ID1" '^pb_' "  ... a publish id"
is "$(detail new_package)" true "  ... new_package"
error_is org.pkgtoken1.Error.NoSuchPackage "  ... and no package yet" GetPackage newpkg
audit_json newpkg
audit_has "  ... audited as allowed, pending, with the version" "$TMP/audit.json" publish newpkg allowed pending 1.0.0
reg_ok "FinishPublish(succeeded)" FinishPublish "$ID1" true '{}'
is "$(mgr_json GetPackage s newpkg | jq -r "$JQ_ASV | .maintainers | join(\",\")")" alice \
        "  ... the package now exists, alice its maintainer"
audit_json newpkg
audit_has "  ... audited as published" "$TMP/audit.json" ok "published newpkg@1.0.0 by alice (Token \"alice automation\")" 1.0.0
reg_error_is NoSuchPublish "  ... a second FinishPublish: NoSuchPublish" FinishPublish "$ID1" true '{}'
reg_error_is NoSuchPublish "unknown publish id" FinishPublish pb_000000000000 true '{}'

expect_verify allowed ok "publish of another new package" "$AUTO" failpkg publish version 2.0.0
ID2=$(detail publish_id)
reg_ok "FinishPublish(failed, reason)" FinishPublish "$ID2" false "{'reason': <'HTTP 422'>}"
error_is org.pkgtoken1.Error.NoSuchPackage "  ... no ghost package" GetPackage failpkg
audit_json failpkg
audit_has "  ... audited as failed" "$TMP/audit.json" failed "publish failed: HTTP 422"
if json_object_has "$TMP/audit.json" "published failpkg@2.0.0 by alice (Token \"alice automation\")"; then
        fail "  ... and never as published"
else
        pass "  ... and never as published"
fi

expect_verify allowed ok "publish before a restart" "$AUTO" restartpkg publish version 3.0.0
ID3=$(detail publish_id)
restart
reg_ok "FinishPublish after the restart" FinishPublish "$ID3" true '{}'
ok "  ... the package exists" mgr GetPackage s restartpkg

expect_verify allowed ok "unpublish (existing package)" "$AUTO" p-default unpublish version 1.0.0
ID4=$(detail publish_id)
is "$(detail new_package)" false "  ... not a new package"
reg_ok "FinishPublish(unpublish)" FinishPublish "$ID4" true '{}'
audit_json p-default
audit_has "  ... audited as unpublished" "$TMP/audit.json" "unpublished p-default@1.0.0 by alice (Token \"alice automation\")"

# --- acting for a proven account ---------------------------------------------------------------------
run reg_json WhoAmI 'a{sv}' 1 token s "$PUB"
is "$(jq -r '.data[0]' <"$RUN_OUT_FILE")" alice "WhoAmI(publish token): alice"
is "$(jq -r '.data[1].token_id.data' <"$RUN_OUT_FILE")" "$PUB_ID" "  ... with Verify's details"
run reg_json WhoAmI 'a{sv}' 1 token s "$PKG"
is "$RUN_RC/$(jq -r '.data[0]' <"$RUN_OUT_FILE")/$(jq -r '.data[1].owner.data' <"$RUN_OUT_FILE")" "0//package" \
        "WhoAmI(package token): no account, owner package"
reg_error_is BadCredentials "WhoAmI(garbage)" WhoAmI "{'token': <'pkgt_nope'>}"
reg_error_is BadCredentials "WhoAmI(revoked)" WhoAmI "{'token': <$(gv "$DEAD")>}"
reg_error_is Forbidden "WhoAmI from outside the token's CIDRs" WhoAmI "{'token': <$(gv "$CIDR")>, 'remote': <'203.0.113.9'>}"
reg_error_is InvalidArgument "an empty proof" WhoAmI "@a{sv} {}"

run reg_json GetProfile 'a{sv}' 1 token s "$RO"
is "$(jq -r "$JQ_ASV | [.name, .email, .twofa, (.has_password|tostring)] | join(\"/\")" <"$RUN_OUT_FILE")" \
        "alice/alice@example.org/disabled/true" "GetProfile(read-only token)"
reg_error_is Forbidden "GetProfile(package token)" GetProfile "{'token': <$(gv "$PKG")>}"

run reg_json ListOwnTokens 'a{sv}' 1 token s "$RO"
jq "$JQ_AASV" <"$RUN_OUT_FILE" >"$TMP/own.json"
is "$(jq -r "[.[] | select(.id == \"$PUB_ID\" or .id == \"$PKG_ID\")] | length" "$TMP/own.json")" 2 \
        "ListOwnTokens: alice's tokens and the package token of p-none"
is "$(jq -r "[.[] | select(.id == \"$BOB_ID\")] | length" "$TMP/own.json")" 0 "  ... not bob's"

# Governance (issue 10): tokens that publish without a code (automation, package tokens, and
# those of an account without 2FA) manage no tokens; read-only ones neither.
reg_error_is Forbidden "CreateOwnToken(publish token, account without 2FA): governance" CreateOwnToken \
        "{'token': <$(gv "$PUB")>}" read-only "@as []" x 0 "@as []" '{}'
like "$(reg_error_message CreateOwnToken "{'token': <$(gv "$PUB")>}" read-only "@as []" x 0 "@as []" '{}')" \
        'cannot create, revoke or rotate tokens: enable two-factor' "  ... the message says what would be accepted"
reg_error_is Forbidden "CreateOwnToken(automation token): governance" CreateOwnToken \
        "{'token': <$(gv "$AUTO")>}" publish "@as []" x 0 "@as []" '{}'
reg_error_is Forbidden "CreateOwnToken(package token): governance" CreateOwnToken \
        "{'token': <$(gv "$PKG")>}" publish "@as []" x 0 "@as []" '{}'
reg_error_is Forbidden "CreateOwnToken(read-only token)" CreateOwnToken \
        "{'token': <$(gv "$RO")>}" publish "@as []" x 0 "@as []" '{}'
reg_error_is Forbidden "CreateOwnToken(alice's password, no 2FA): governance" CreateOwnToken \
        "{'account': <'alice'>, 'password': <'correct horse battery'>}" read-only "@as []" x 0 "@as []" '{}'
reg_error_is Forbidden "RevokeOwnToken(automation token): governance" RevokeOwnToken \
        "{'token': <$(gv "$AUTO")>}" "$PUB_ID" '{}'
reg_error_is Forbidden "RevokeOwnToken(publish token, account without 2FA): governance" RevokeOwnToken \
        "{'token': <$(gv "$PUB")>}" "$PUB_ID" '{}'
is "$(mgr_json GetToken s "$PUB_ID" | jq -r "$JQ_ASV | .state")" active "  ... nothing revoked"
reg_error_is Forbidden "ChangeMaintainer(publish token, account without 2FA): governance" ChangeMaintainer \
        "{'token': <$(gv "$PUB")>}" p-none bob true
reg_error_is Forbidden "ChangeMaintainer(automation token): governance" ChangeMaintainer "{'token': <$(gv "$AUTO")>}" p-none bob false

# dave has 2FA (auth-only): his publish token and a current code govern.
if command -v oathtool >/dev/null 2>&1 && enroll_2fa dave auth-only; then
        next_otp dave
        token dave publish "" "" 0 otp s "$OTP" && DPUB=$NEW_TOKEN
        reg_error_is OTPRequired "CreateOwnToken(dave's publish token, no code): OTP required" CreateOwnToken \
                "{'token': <$(gv "$DPUB")>}" read-only "@as []" x 0 "@as []" '{}'
        reg_error_is InvalidArgument "CreateOwnToken: no session tokens to order" CreateOwnToken \
                "{'token': <$(gv "$DPUB")>, 'otp': <'000000'>}" session "@as []" x 0 "@as []" '{}'
        next_otp dave
        run reg_json CreateOwnToken 'a{sv}sasstasa{sv}' 2 token s "$DPUB" otp s "$OTP" read-only 1 "p-*" "npm cli" 0 \
                1 192.0.2.0/24 0
        is "$RUN_RC" 0 "CreateOwnToken(publish token + code): a read-only token with scope and CIDR"
        OWN_ID=$(jq -r '.data[0]' <"$RUN_OUT_FILE")
        OWN=$(jq -r '.data[1]' <"$RUN_OUT_FILE")
        expect_verify allowed ok "  ... it works, from inside its CIDR" "$OWN" p-none read remote 192.0.2.1
        is "$(detail type)/$(detail account)" read-only/dave "  ... dave's read-only token"
        audit_json
        audit_has "  ... audited as dave via the registry" "$TMP/audit.json" token-create "dave ($REGISTRY)" "$OWN_ID"

        reg_error_is NoSuchToken "RevokeOwnToken(bob's token)" RevokeOwnToken \
                "{'token': <$(gv "$DPUB")>, 'otp': <'000000'>}" "$BOB_ID" '{}'
        next_otp dave
        reg_ok "RevokeOwnToken(by id, with a code)" RevokeOwnToken "{'token': <$(gv "$DPUB")>, 'otp': <'$OTP'>}" \
                "$OWN_ID" '{}'
        expect_verify invalid revoked "  ... revoked" "$OWN" p-none read remote 192.0.2.1
        audit_json
        audit_has "  ... audited as dave via the registry" "$TMP/audit.json" token-revoke "dave ($REGISTRY)" "$OWN_ID"
        next_otp dave
        run reg_json CreateOwnToken 'a{sv}sasstasa{sv}' 2 token s "$DPUB" otp s "$OTP" publish 0 "by prefix" 0 0 0
        OWN2_ID=$(jq -r '.data[0]' <"$RUN_OUT_FILE")
        PREFIX=$(mgr_json GetToken s "$OWN2_ID" | jq -r "$JQ_ASV | .prefix")
        next_otp dave
        reg_ok "RevokeOwnToken(by display prefix)" RevokeOwnToken "{'token': <$(gv "$DPUB")>, 'otp': <'$OTP'>}" \
                "$PREFIX" '{}'
        is "$(mgr_json GetToken s "$OWN2_ID" | jq -r "$JQ_ASV | .state")" revoked "  ... revoked"

        reg_error_is OTPRequired "ChangeMaintainer(dave's publish token, no code, policy none): OTP required" \
                ChangeMaintainer "{'token': <$(gv "$DPUB")>}" d-pkg bob true
        next_otp dave
        reg_ok "ChangeMaintainer(publish token + code, add bob to d-pkg)" ChangeMaintainer \
                "{'token': <$(gv "$DPUB")>, 'otp': <'$OTP'>}" d-pkg bob true
        is "$(mgr_json GetPackage s d-pkg | jq -r "$JQ_ASV | .maintainers | join(\",\")")" bob,dave "  ... bob maintains d-pkg"
        audit_json d-pkg
        audit_has "  ... audited as dave via the registry" "$TMP/audit.json" maintainer-add "dave ($REGISTRY)" bob
        next_otp dave
        reg_error_is AlreadyMaintainer "  ... again: AlreadyMaintainer" ChangeMaintainer \
                "{'token': <$(gv "$DPUB")>, 'otp': <'$OTP'>}" d-pkg bob true
        reg_error_is NotMaintainer "ChangeMaintainer on bob's package" ChangeMaintainer \
                "{'token': <$(gv "$DPUB")>, 'otp': <'000000'>}" bob-pkg dave true
        reg_error_is NoSuchPackage "ChangeMaintainer on a missing package" ChangeMaintainer \
                "{'token': <$(gv "$DPUB")>, 'otp': <'000000'>}" no-such dave true
        next_otp dave
        reg_ok "ChangeMaintainer(remove bob)" ChangeMaintainer "{'token': <$(gv "$DPUB")>, 'otp': <'$OTP'>}" d-pkg bob false
        next_otp dave
        reg_error_is LastMaintainer "ChangeMaintainer(remove the last)" ChangeMaintainer \
                "{'token': <$(gv "$DPUB")>, 'otp': <'$OTP'>}" d-pkg dave false
else
        skip "oathtool or enrolment not available" 21
fi

mgr_authenticate alice "correct horse battery" "" session b true
SESSION=$(authn_detail session_token)
is "$AUTHN_RESULT" ok "a session for alice"
reg_error_is InvalidArgument "Logout(publish token)" Logout "$(gv "$PUB")"
reg_error_is InvalidArgument "Logout(automation token)" Logout "$(gv "$AUTO")"
reg_ok "Logout(session token of an account without 2FA): a session ends itself" Logout "$(gv "$SESSION")"
reg_error_is BadCredentials "  ... the session is gone" WhoAmI "{'token': <$(gv "$SESSION")>}"

# --- proof by password (+ OTP): the login path ------------------------------------------------------
run reg_json WhoAmI 'a{sv}' 2 account s alice password s "correct horse battery"
is "$RUN_RC/$(jq -r '.data[0]' <"$RUN_OUT_FILE")" "0/alice" "WhoAmI(alice's password): alice"
wrong=$("${AS_REG[@]}" gdbus call --address "$PKGTOKEN_BUS_ADDRESS" --dest org.pkgtoken1 --object-path /org/pkgtoken1 \
        --method org.pkgtoken1.Manager.WhoAmI "{'account': <'alice'>, 'password': <'wrong password'>}" 2>&1)
unknown=$("${AS_REG[@]}" gdbus call --address "$PKGTOKEN_BUS_ADDRESS" --dest org.pkgtoken1 --object-path /org/pkgtoken1 \
        --method org.pkgtoken1.Manager.WhoAmI "{'account': <'nobody-here'>, 'password': <'wrong password'>}" 2>&1)
like "$wrong" "org.pkgtoken1.Error.BadCredentials" "wrong password: BadCredentials"
is "$unknown" "$wrong" "  ... an unknown account gets the very same answer"
reg_error_is InvalidArgument "a password without an account" WhoAmI "{'password': <'x'>}"
reg_error_is Forbidden "EnrollOwnTOTP with a token proof: needs the password" EnrollOwnTOTP "{'token': <$(gv "$PUB")>}"
run reg_json GetProfile 'a{sv}' 2 account s alice password s "correct horse battery"
is "$(jq -r "$JQ_ASV | .name" <"$RUN_OUT_FILE")" alice "GetProfile(password)"
run reg_json ListOwnTokens 'a{sv}' 2 account s alice password s "correct horse battery"
is "$(jq -r "$JQ_AASV | map(select(.id == \"$PUB_ID\")) | length" <"$RUN_OUT_FILE")" 1 "ListOwnTokens(password)"

ok "bob's password" mgr SetPassword 'ssa{sv}' bob "bob's long password" 0
BOBPW="{'account': <'bob'>, 'password': <$(gv "bob's long password")>}"
run reg_json EnrollOwnTOTP 'a{sv}' 2 account s bob password s "bob's long password"
is "$RUN_RC" 0 "EnrollOwnTOTP(bob's password)"
OTP_SECRET[bob]=$(uri_secret "$(jq -r '.data[0]' <"$RUN_OUT_FILE")")
OTP_LAST[bob]=0
if command -v oathtool >/dev/null 2>&1 && [ -n "${OTP_SECRET[bob]}" ]; then
        next_otp bob
        run reg_json ConfirmOwnTOTP 'a{sv}ss' 2 account s bob password s "bob's long password" "$OTP" auth-only
        is "$RUN_RC/$(jq -r '.data[0] | length' <"$RUN_OUT_FILE")" "0/10" "ConfirmOwnTOTP: ten recovery codes"
        is "$(account_field bob twofa)" auth-only "  ... bob has 2FA (auth-only)"
        reg_error_is OTPRequired "WhoAmI(bob's password, no OTP)" WhoAmI "$BOBPW"
        wrong_otp bob
        reg_error_is BadOTP "WhoAmI(bob's password, wrong OTP)" WhoAmI \
                "{'account': <'bob'>, 'password': <$(gv "bob's long password")>, 'otp': <'$OTP'>}"
        next_otp bob
        run reg_json SetOwnTwoFactorMode 'a{sv}s' 3 account s bob password s "bob's long password" otp s "$OTP" \
                auth-and-writes
        is "$RUN_RC" 0 "SetOwnTwoFactorMode(password + OTP)"
        is "$(account_field bob twofa)" auth-and-writes "  ... auth-and-writes"
        next_otp bob
        run reg_json CreateOwnToken 'a{sv}sasstasa{sv}' 3 account s bob password s "bob's long password" otp s "$OTP" \
                publish 0 "made by password" 0 0 0
        is "$RUN_RC" 0 "CreateOwnToken(password + OTP)"
        BOB2_ID=$(jq -r '.data[0]' <"$RUN_OUT_FILE")
        audit_json
        audit_has "  ... audited as bob via the registry" "$TMP/audit.json" token-create "bob ($REGISTRY)" "$BOB2_ID"
        next_otp bob
        run reg_json ChangeMaintainer 'a{sv}ssb' 3 account s bob password s "bob's long password" otp s "$OTP" \
                bob-pkg alice true
        is "$RUN_RC" 0 "ChangeMaintainer(password + OTP): bob adds alice to bob-pkg"
        next_otp bob
        run reg_json ChangeMaintainer 'a{sv}ssb' 3 account s bob password s "bob's long password" otp s "$OTP" \
                p-default bob true
        isnt "$RUN_RC" 0 "  ... but not to a package bob does not maintain"
        next_otp bob
        run reg_json RevokeOwnToken 'a{sv}sa{sv}' 3 account s bob password s "bob's long password" otp s "$OTP" \
                "$BOB2_ID" 0
        is "$RUN_RC" 0 "RevokeOwnToken(password + OTP)"
else
        skip "oathtool or enrolment not available" 13
fi

# --- an account with 2FA: OTPs for writes and governance ---------------------------------------------------
if command -v oathtool >/dev/null 2>&1 && enroll_2fa carol auth-and-writes; then
        pass "carol enrols in 2FA (auth-and-writes)"
        next_otp carol
        token carol publish "" "" 0 otp s "$OTP" && CPUB=$NEW_TOKEN CPUB_ID=$NEW_ID
        expect_verify otp-required otp-required "carol publishes without an OTP" "$CPUB" c-pkg publish
        next_otp carol
        expect_verify allowed ok "  ... with one" "$CPUB" c-pkg publish otp "$OTP" version 0.1.0
        expect_verify bad-otp replayed-otp "  ... the same code again" "$CPUB" c-pkg publish otp "$OTP"
        wrong_otp carol
        expect_verify bad-otp bad-otp "  ... a wrong code" "$CPUB" c-pkg publish otp "$OTP"
        expect_verify otp-required otp-required "carol unpublishes without an OTP" "$CPUB" c-pkg unpublish
        expect_verify otp-required otp-required "carol changes owners without an OTP" "$CPUB" c-pkg owner
        reg_error_is OTPRequired "CreateOwnToken without an OTP" CreateOwnToken \
                "{'token': <$(gv "$CPUB")>}" read-only "@as []" x 0 "@as []" '{}'
        next_otp carol
        reg_ok "CreateOwnToken with an OTP" CreateOwnToken \
                "{'token': <$(gv "$CPUB")>, 'otp': <'$OTP'>}" read-only "@as []" x 0 "@as []" '{}'
        reg_error_is OTPRequired "ChangeMaintainer without an OTP" ChangeMaintainer "{'token': <$(gv "$CPUB")>}" c-pkg bob true
        next_otp carol
        reg_ok "ChangeMaintainer with an OTP" ChangeMaintainer "{'token': <$(gv "$CPUB")>, 'otp': <'$OTP'>}" c-pkg bob true
        reg_error_is OTPRequired "RevokeOwnToken without an OTP" RevokeOwnToken "{'token': <$(gv "$CPUB")>}" "$CPUB_ID" '{}'
else
        skip "oathtool or enrolment not available" 14
fi

check_daemon_alive
stop_daemon
is "$STOP_RC" 0 "pkgtokend exits 0 on SIGTERM"
done_testing
