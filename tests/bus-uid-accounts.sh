#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Accounts linked to a Unix user (issue 12): `account add --uid=`, `account link`/`unlink`, and
# what such a user may do over the bus without root: read its account, list, create and revoke
# its own tokens and the package tokens of every package it maintains (whoever made them),
# change its password and 2FA with its current code; nothing of another account.  Callers run
# as other uids through setpriv: the whole test as root; unprivileged, the links and the
# caller's own account only (the daemon then runs as the caller, an admin linked to itself).

. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
. "$top_srcdir/tests/lib-desktop.sh"
need jq oathtool
have_gdbus || skip_all "gdbus not found: cannot see D-Bus error names"
start_desktop_bus_and_daemon

# The part any user can run: its own uid linked to an account ("me").
ME=$(id -u)
if [ "$ME" -ne 0 ]; then
        ok "account add me --uid=$ME" ctl account add me --uid="$ME"
        enroll_2fa me || fail "enroll 2FA for me"
        ok "account add other" ctl account add other
        create_token other --type=publish && OTHER_ID=$TOKEN_ID
        next_otp me
        RUN_STDIN=<(echo "$OTP") run ctl --json token create --type=read-only --otp
        is "$RUN_RC" 0 "token create with no account: the linked account's own token"
        MY_ID=$(jq -r '.id // empty' <"$RUN_OUT_FILE")
        is "$(mgr_json GetToken s "$MY_ID" | jq -r "$JQ_ASV | .account")" me "  ... it belongs to me"
        run ctl --json token list
        like "$RUN_OUT" "$MY_ID" "an admin linked to itself: token list with no flag lists its own ..."
        unlike "$RUN_OUT" "$OTHER_ID" "  ... and not another account's"
        run ctl --json account show
        is "$(jq -r .name <"$RUN_OUT_FILE" 2>/dev/null)" me "account show with no name: its own"
        ok "account unlink me" ctl account unlink me
        run ctl --json token list
        like "$RUN_OUT" "$OTHER_ID" "unlinked: token list is the admin's list again"
        check_daemon_alive
        done_testing
        exit
fi
need setpriv

pick_users 4
ALICE=${USERS[0]} BOB=${USERS[1]} CAROL=${USERS[2]} DAVE=${USERS[3]}

ok "account add alice --uid" ctl account add alice --uid=$ALICE
ok "account add bob" ctl account add bob
ok "account link bob" ctl account link bob $BOB
ok "account add carol (no link)" ctl account add carol
ok "account add dave --uid (no 2FA)" ctl account add dave --uid=$DAVE
is "$(mgr_json GetAccount s alice | jq -r "$JQ_ASV | .linked_uid")" "$ALICE" "GetAccount shows the linked uid"
is "$(mgr_json GetAccount s carol | jq -r "$JQ_ASV | .linked_uid")" null "  ... and none for an unlinked account"
run ctl account show alice
like "$RUN_OUT" "Linked Unix user: *$ALICE" "  ... account show too"
run ctl account link carol $ALICE
is "$RUN_RC" 1 "a uid links one account: refused"
like "$RUN_ERR" "linked to another account" "  ... and says why"
error_is org.pkgtoken1.Error.InvalidArgument "LinkAccount to uid 0: refused" LinkAccount "'carol'" "uint32 0"
error_is org.pkgtoken1.Error.NoSuchAccount "LinkAccount of an unknown account" LinkAccount "'zed'" "uint32 60998"
run ctl account add eve --uid=$ALICE
is "$RUN_RC" 1 "account add --uid of a linked uid: refused"
run ctl account show eve
is "$RUN_RC" 1 "  ... and the account was not created"
run ctl account add alice --uid=60999
like "$RUN_ERR" "already exists" "account add of an existing name with --uid: the name is what is taken"

ok "package add pkg (alice and bob)" ctl package add pkg --policy=none --maintainer=alice --maintainer=bob
ok "package add other (carol)" ctl package add other --policy=none --maintainer=carol

create_token alice --type=publish --description=alice-ci && ALICE_TOKEN=$TOKEN_ID
create_token bob --type=publish --description=bob-ci && BOB_TOKEN=$TOKEN_ID
create_token bob --type=automation --package-owned --package=pkg --description=pkg-ci && PKG_TOKEN=$TOKEN_ID
create_token carol --type=automation --package-owned --package=other && OTHER_TOKEN=$TOKEN_ID
enroll_2fa alice || fail "enroll 2FA for alice"
enroll_2fa bob || fail "enroll 2FA for bob"

# ---- reading ----
run uid_ctl $ALICE --json token list
is "$RUN_RC" 0 "alice (uid $ALICE): token list without root"
like "$RUN_OUT" "$ALICE_TOKEN" "  ... lists her own token"
like "$RUN_OUT" "$PKG_TOKEN" "  ... and the package token of pkg, which bob made (a co-maintainer's)"
unlike "$RUN_OUT" "$BOB_TOKEN" "  ... not bob's account token"
unlike "$RUN_OUT" "$OTHER_TOKEN" "  ... nor another package's token"
run uid_ctl $ALICE --json account show
is "$(jq -r .name <"$RUN_OUT_FILE" 2>/dev/null)" alice "alice: account show with no name shows hers"
is "$(uid_error $ALICE GetAccount "'bob'")" org.pkgtoken1.Error.AccessDenied "alice: GetAccount of bob: denied (polkit absent)"
is "$(uid_error $ALICE ListTokens "'bob'" "''")" org.pkgtoken1.Error.AccessDenied "alice: ListTokens of bob: denied"
is "$(uid_error $ALICE GetToken "'$BOB_TOKEN'")" org.pkgtoken1.Error.AccessDenied "alice: GetToken of bob's: denied"

# ---- an unlinked uid ----
is "$(uid_error $CAROL WhoAmI "{}")" org.pkgtoken1.Error.AccessDenied "uid $CAROL (unlinked): WhoAmI with no proof: denied"
is "$(uid_error $CAROL ListOwnTokens "{}")" org.pkgtoken1.Error.AccessDenied "  ... ListOwnTokens: denied"
run uid_ctl $CAROL token list
is "$RUN_RC" 1 "  ... pkgtokenctl token list: exit 1"
is "$(uid_error $ALICE WhoAmI "{'token': <'pkgt_x'>}")" org.pkgtoken1.Error.AccessDenied \
        "alice with a token proof: the registry's door stays closed to her (not a verifier)"

# ---- governance: the current code ----
is "$(uid_error $ALICE RevokeOwnToken "{}" "'$BOB_TOKEN'" "{}")" org.pkgtoken1.Error.OTPRequired \
        "alice: RevokeOwnToken without a code: OTPRequired (she has 2FA)"
next_otp alice
is "$(uid_error $ALICE RevokeOwnToken "{'otp': <'$OTP'>}" "'$BOB_TOKEN'" "{}")" org.pkgtoken1.Error.NoSuchToken \
        "alice: revoking bob's account token: as good as unknown"
is "$(mgr_json GetToken s "$BOB_TOKEN" | jq -r "$JQ_ASV | .state")" active "  ... bob's token is still active"
next_otp alice
RUN_STDIN=<(echo "$OTP") run uid_ctl $ALICE token revoke "$PKG_TOKEN" --otp
is "$RUN_RC" 0 "alice: token revoke of pkg's package token (bob made it) with her code"
is "$(mgr_json GetToken s "$PKG_TOKEN" | jq -r "$JQ_ASV | .state")" revoked "  ... it is revoked"
run uid_ctl $ALICE token revoke "$OTHER_TOKEN"
is "$RUN_RC" 1 "alice: token revoke of another package's token: exit 1"
is "$(mgr_json GetToken s "$OTHER_TOKEN" | jq -r "$JQ_ASV | .state")" active "  ... still active"
is "$(uid_error $DAVE CreateOwnToken "{}" "'read-only'" "@as []" "''" "uint64 0" "@as []" "{}")" \
        org.pkgtoken1.Error.Forbidden "dave (linked, no 2FA): creating tokens takes a second factor"
next_otp alice
RUN_STDIN=<(echo "$OTP") run uid_ctl $ALICE --json token create --type=publish --otp --description=laptop
is "$RUN_RC" 0 "alice: token create with no account name: her own, with her code"
NEW_ID=$(jq -r '.id // empty' <"$RUN_OUT_FILE")
is "$(mgr_json GetToken s "$NEW_ID" | jq -r "$JQ_ASV | .account")" alice "  ... the token is alice's"
is "$(uid_error $ALICE CreateToken "'bob'" "'publish'" "@as []" "''" "uint64 0" "@as []" "{}")" \
        org.pkgtoken1.Error.AccessDenied "alice: CreateToken for bob: denied"

# ---- password and 2FA ----
ok "admin sets alice's password" sh -c "printf 'old-password-1\n' | $(printf '%q' "$PKGTOKENCTL") --bus-address=$(printf '%q' "$PKGTOKEN_BUS_ADDRESS") account passwd alice --password-stdin"
is "$(uid_error $ALICE SetPassword "'bob'" "'new-password-22'" "{'old_password': <'old-password-1'>}")" \
        org.pkgtoken1.Error.AccessDenied "alice: SetPassword of bob: denied"
is "$(uid_error $ALICE SetPassword "''" "'new-password-22'" "{}")" org.pkgtoken1.Error.AccessDenied \
        "alice: SetPassword without the old password: denied"
is "$(uid_error $ALICE SetPassword "''" "'new-password-22'" "{'old_password': <'old-password-1'>}")" \
        org.pkgtoken1.Error.OTPRequired "alice: SetPassword with the old password but no code: OTPRequired"
next_otp alice
is "$(uid_error $ALICE SetPassword "''" "'new-password-22'" "{'old_password': <'old-password-1'>, 'otp': <'$OTP'>}")" \
        ok "alice: her own password, with the old one and her code"
next_otp alice
is "$(mgr_json Authenticate 'sssa{sv}' alice new-password-22 "$OTP" 0 | jq -r '.data[0]')" ok "  ... the new password works"
next_otp alice
RUN_STDIN=<(printf 'new-password-22\nthird-password-333\n%s\n' "$OTP") run uid_ctl $ALICE account passwd --password-stdin --otp
is "$RUN_RC" 0 "alice: pkgtokenctl account passwd with no name: old password, new one, code on stdin"
next_otp alice
is "$(mgr_json Authenticate 'sssa{sv}' alice third-password-333 "$OTP" 0 | jq -r '.data[0]')" ok "  ... the new password works"
is "$(uid_error $ALICE SetOwnTwoFactorMode "{}" "'auth-only'")" org.pkgtoken1.Error.OTPRequired \
        "alice: SetOwnTwoFactorMode without a code: OTPRequired"
next_otp alice
is "$(uid_error $ALICE SetOwnTwoFactorMode "{'otp': <'$OTP'>}" "'auth-only'")" ok "  ... with her code: done"
is "$(mgr_json GetAccount s alice | jq -r "$JQ_ASV | .twofa")" auth-only "  ... alice's 2FA mode is auth-only"
run uid_ctl $DAVE --json account 2fa enable
like "$RUN_OUT" "otpauth://" "dave (no 2FA): account 2fa enable with no name starts his own enrolment, no code needed"
OTP_SECRET[dave]=$(uri_secret "$(jq -r '.uri // .otpauth_uri // empty' <"$RUN_OUT_FILE" 2>/dev/null || true)")
[ -n "${OTP_SECRET[dave]}" ] || OTP_SECRET[dave]=$(uri_secret "$(grep -o 'otpauth://[^"]*' "$RUN_OUT_FILE" | head -n 1)")
OTP_LAST[dave]=0
next_otp dave
RUN_STDIN=<(echo "$OTP") run uid_ctl $DAVE account 2fa confirm
is "$RUN_RC" 0 "  ... account 2fa confirm with a code from the app"
is "$(mgr_json GetAccount s dave | jq -r "$JQ_ASV | .twofa")" auth-and-writes "  ... dave has 2FA now"
next_otp dave
RUN_STDIN=<(echo "$OTP") run uid_ctl $DAVE account 2fa mode auth-only
is "$RUN_RC" 0 "dave: account 2fa mode auth-only with his code (no name)"
is "$(mgr_json GetAccount s dave | jq -r "$JQ_ASV | .twofa")" auth-only "  ... his mode is auth-only"
is "$(uid_error $BOB ChangeMaintainer "{}" "'pkg'" "'carol'" "true")" org.pkgtoken1.Error.AccessDenied \
        "bob: maintainers stay the registry's and admins' (no uid proof there)"

# ---- unlinked ----
ok "account unlink alice" ctl account unlink alice
run uid_ctl $ALICE token list
is "$RUN_RC" 1 "alice unlinked: token list: exit 1"
is "$(uid_error $ALICE ListOwnTokens "{}")" org.pkgtoken1.Error.AccessDenied "  ... ListOwnTokens: denied"
run ctl audit --json
like "$RUN_OUT" "account-unlink" "the audit records links and unlinks"

check_daemon_alive
done_testing
