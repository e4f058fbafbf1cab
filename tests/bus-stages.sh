#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Staged publishing over the bus, called as a registry server would (tests/lib-registry.sh):
# Verify's "stage" (who may stage, never an OTP, the refusals that still hold), the stage
# created only when the registry kept the tarball (FinishPublish), a package that requires
# approval refusing direct publishes (stage-required), approving and rejecting (a maintainer
# with a current code, never a token alone; admins as such), CompleteStage, ListStages'
# filters, expiry (at read time and by the timer), the StageCreated and StageDecided signals,
# the audit, and pkgtokenctl's stage verbs.

. "${top_srcdir:-$(dirname "$0")/..}/tests/lib-registry.sh"
need sqlite3

# The signals, watched from the start.
"$BUSCTL" --address="$PKGTOKEN_BUS_ADDRESS" --json=short \
        --match="type='signal',interface='org.pkgtoken1.Manager'" monitor >"$TMP/signals.json" 2>/dev/null &
_pids+=("$!")   # stopped with the daemons (lib.sh)
# signal_seen MEMBER STRING...: a signal MEMBER was seen with all STRINGs among its arguments.
signal_seen() {
        local member=$1
        shift
        jq -e -s --arg m "$member" '[.[] | select(.member == $m) | [.payload.data[] | tostring]
                | select(all($ARGS.positional[]; . as $s | index($s) != null))] | length > 0' \
                --args "$@" <"$TMP/signals.json" >/dev/null 2>&1
}
expect_signal() {
        local desc=$1 i
        shift
        for ((i = 0; i < 30; i++)); do
                signal_seen "$@" && { pass "$desc"; return 0; }
                sleep 0.1
        done
        fail "$desc"
        diag_file signals "$TMP/signals.json"
}

SHA=sha512-$(head -c 64 /dev/zero | base64 -w0)
SHA2=sha512-$(head -c 64 /dev/urandom | base64 -w0)
UUID_RE='^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'

# stage TOKEN PACKAGE VERSION [KEY VALUE]...: Verify "stage" with the integrity; STAGE_ID.
stage() {
        local token=$1 package=$2 version=$3
        shift 3
        verify "$token" "$package" stage version "$version" integrity "$SHA" "$@"
        STAGE_ID=$(detail publish_id)
}
# staged TOKEN PACKAGE VERSION: staged and kept (FinishPublish); STAGE_ID.
staged() {
        stage "$@"
        [ "$V_RESULT" = allowed ] && mgr FinishPublish 'sba{sv}' "$STAGE_ID" true 0 >/dev/null
}
stage_field() {
        mgr_json GetStage s "$1" | jq -r "$JQ_ASV | .$2 | tostring"
}
# proof_token TOKEN [OTP]: a token proof as a GVariant.
proof_token() {
        if [ -n "${2:-}" ]; then
                echo "{'token': <'$1'>, 'otp': <'$2'>}"
        else
                echo "{'token': <'$1'>}"
        fi
}

# --- set-up ----------------------------------------------------------------------------------------
for a in alice bob carol; do
        mgr CreateAccount 'sssa{sv}' "$a" "$a@example.org" human 0 >/dev/null || fail "account $a"
done
ok "alice's password" mgr SetPassword 'ssa{sv}' alice "correct horse battery" 0
ok "package st-pkg (alice, carol)" ctl package add st-pkg --maintainer=alice --maintainer=carol
ok "package st-strict (alice, 2fa-only)" ctl package add st-strict --policy=2fa-only --maintainer=alice
ok "package st-gated (alice)" ctl package add st-gated --policy=none --maintainer=alice
ok "package bob-pkg (bob)" ctl package add bob-pkg --maintainer=bob

token alice automation "" "" 0 && AUTO=$NEW_TOKEN
token alice publish "" "" 0 && PUB=$NEW_TOKEN
token alice read-only "" "" 0 && RO=$NEW_TOKEN
token alice automation "" "192.0.2.0/24" 0 && CIDR=$NEW_TOKEN
token alice automation "other-*" "" 0 && SCOPED=$NEW_TOKEN
token alice automation st-pkg "" 0 package_owned b true && PKGT=$NEW_TOKEN
token alice automation st-strict "" 0 package_owned b true && PKGT_STRICT=$NEW_TOKEN
token bob publish "" "" 0 && BOB=$NEW_TOKEN
token carol publish "" "" 0 && CAROL=$NEW_TOKEN
token alice publish "other-*" "" 0 && SCOPED_PUB=$NEW_TOKEN
have_otp=false
if command -v oathtool >/dev/null 2>&1 && enroll_2fa alice auth-only; then
        have_otp=true
        pass "alice has 2FA (auth-only)"
else
        skip "oathtool or enrolment not available"
fi

# --- staging: who may, never an OTP ---------------------------------------------------------------
stage "$AUTO" st-pkg 1.0.0
expect_answer allowed/ok "an automation token stages, no OTP" "$V_RC" "$V_RESULT/$V_CODE" "$V_MESSAGE"
[[ "$STAGE_ID" =~ $UUID_RE ]] && pass "  ... the stage id is a UUID" || fail "  ... the stage id is a UUID ($STAGE_ID)"
FIRST=$STAGE_ID
run mgr_json ListStages 'a{sv}' 0
is "$(jq -r "$JQ_AASV | length" <"$RUN_OUT_FILE")" 0 "  ... no stage before the registry kept the tarball"
error_is org.pkgtoken1.Error.NoSuchStage "  ... GetStage: NoSuchStage" GetStage "'$FIRST'"
audit_json st-pkg
audit_has "  ... the decision is audited (stage, allowed, pending, version)" "$TMP/audit.json" stage allowed pending 1.0.0
ok "FinishPublish: the registry kept it" mgr FinishPublish 'sba{sv}' "$FIRST" true 0
is "$(stage_field "$FIRST" state)/$(stage_field "$FIRST" version)/$(stage_field "$FIRST" package)" \
        staged/1.0.0/st-pkg "  ... GetStage: staged st-pkg 1.0.0"
is "$(stage_field "$FIRST" integrity)" "$SHA" "  ... the integrity"
is "$(stage_field "$FIRST" staged_by)" 'alice (Token "alice automation")' "  ... staged by the token's actor"
exp=$(stage_field "$FIRST" expires_at) at=$(stage_field "$FIRST" staged_at)
is "$((exp - at))" $((7 * 86400 * 1000000)) "  ... expires after StageLifetimeSec= (default 7 days)"
expect_signal "StageCreated (id, package, version, staged_by)" StageCreated "$FIRST" st-pkg 1.0.0 'alice (Token "alice automation")'
audit_json st-pkg
audit_has "  ... audited: staged st-pkg@1.0.0" "$TMP/audit.json" stage ok "staged st-pkg@1.0.0 by alice (Token \"alice automation\")" 1.0.0

stage "$AUTO" st-pkg 1.0.0
is "$V_RESULT" allowed "the same version staged again: Verify allows ..."
error_is org.pkgtoken1.Error.InvalidArgument "  ... FinishPublish refuses a second waiting stage of it" \
        FinishPublish "'$STAGE_ID'" true "{}"
stage "$AUTO" st-pkg 1.0.1
ok "FinishPublish(false): the registry could not keep it" mgr FinishPublish 'sba{sv}' "$STAGE_ID" false 1 reason s "disk full"
error_is org.pkgtoken1.Error.NoSuchStage "  ... no stage" GetStage "'$STAGE_ID'"
audit_json st-pkg
audit_has "  ... audited as failed" "$TMP/audit.json" failed "stage failed: disk full"

stage "$PUB" st-pkg 1.1.0
expect_answer allowed/ok "a publish token of an account with 2FA stages without an OTP" "$V_RC" "$V_RESULT/$V_CODE" "$V_MESSAGE"
stage "$PKGT" st-pkg 1.1.1
expect_answer allowed/ok "a package token stages" "$V_RC" "$V_RESULT/$V_CODE" "$V_MESSAGE"
stage "$PUB" st-strict 1.0.0
expect_answer allowed/ok "a publish token stages on a 2fa-only package (no OTP: the approval asks)" "$V_RC" \
        "$V_RESULT/$V_CODE" "$V_MESSAGE"
for c in "forbidden/tokens-disallowed|automation token, 2fa-only package|$AUTO|st-strict" \
         "forbidden/tokens-disallowed|package token, 2fa-only package|$PKGT_STRICT|st-strict" \
         "forbidden/read-only|read-only token|$RO|st-pkg" \
         "forbidden/not-maintainer|bob on alice's package|$BOB|st-pkg" \
         "forbidden/out-of-scope|token scoped elsewhere|$SCOPED|st-pkg" \
         "forbidden/address-not-allowed|CIDR token, no address|$CIDR|st-pkg" \
         "forbidden/no-such-package|a package that does not exist|$AUTO|st-new" \
         "invalid/unknown|an unknown token|pkgt_nope|st-pkg"; do
        IFS='|' read -r want desc tok pkg <<<"$c"
        stage "$tok" "$pkg" 2.0.0
        expect_answer "$want" "stage refused: $desc" "$V_RC" "$V_RESULT/$V_CODE" "$V_MESSAGE"
done
like "$(verify "$AUTO" st-strict stage version 2.0.0 integrity "$SHA"; echo "$V_MESSAGE")" "cannot stage" \
        "  ... the 2fa-only refusal says why"
stage "$CIDR" st-pkg 2.0.0 remote 192.0.2.9
expect_answer allowed/ok "CIDR token from inside its list stages" "$V_RC" "$V_RESULT/$V_CODE" "$V_MESSAGE"

verify "$AUTO" st-pkg stage version 3.0.0
is "$V_RC" 1 "a stage without an integrity is an invalid call"
verify "$AUTO" st-pkg stage version 3.0.0 integrity sha1-abc
is "$V_RC" 1 "  ... so is a sha1 integrity"
verify "$AUTO" st-pkg stage integrity "$SHA"
is "$V_RC" 1 "  ... and a stage without a version"
verify "$AUTO" st-pkg publish version 3.0.0 integrity "$SHA"
is "$V_RC" 1 "only a stage takes an integrity"

# --- a package that requires approval -------------------------------------------------------------
ok "SetPackageOptions require_approval" mgr SetPackageOptions 'sa{sv}' st-gated 1 require_approval b true
is "$(mgr_json GetPackage s st-gated | jq -r "$JQ_ASV | .require_approval")" true "  ... GetPackage shows it"
ok "SetPackageOptions without the option" mgr SetPackageOptions 'sa{sv}' st-gated 0
is "$(mgr_json GetPackage s st-gated | jq -r "$JQ_ASV | .require_approval")" true "  ... leaves it as it was"
expect_verify forbidden stage-required "a direct publish is refused" "$AUTO" st-gated publish version 1.0.0
like "$V_MESSAGE" "npm stage publish" "  ... the message says to stage"
if $have_otp; then
        next_otp alice
        expect_verify forbidden stage-required "  ... also with a publish token and a current OTP" "$PUB" st-gated \
                publish version 1.0.0 otp "$OTP"
fi
expect_authz_bus forbidden "  ... Authorize refuses a publish too" "$AUTO" st-gated publish
expect_verify allowed ok "  ... unpublish is not a publish" "$AUTO" st-gated unpublish version 0.9.0
staged "$AUTO" st-gated 1.0.0
is "$V_RESULT/$(stage_field "$STAGE_ID" state)" allowed/staged "  ... a stage is the way in"
GATED=$STAGE_ID
error_is org.pkgtoken1.Error.NoSuchPackage "SetPackageOptions of an unknown package" SetPackageOptions "'nope'" \
        "{'require_approval': <true>}"
error_is org.pkgtoken1.Error.InvalidArgument "SetPackageOptions with an unknown option" SetPackageOptions "'st-gated'" \
        "{'bogus': <true>}"

# --- approving and rejecting through the registry --------------------------------------------------
staged "$AUTO" st-pkg 4.0.0 && S4=$STAGE_ID
for c in "Forbidden|an automation token (with a code)|$AUTO" \
         "Forbidden|a package token|$PKGT" \
         "Forbidden|a read-only token|$RO" \
         "NotMaintainer|bob, no maintainer|$BOB" \
         "Forbidden|carol, a maintainer without 2FA|$CAROL" \
         "Forbidden|alice's token scoped to other packages|$SCOPED_PUB"; do
        IFS='|' read -r want desc tok <<<"$c"
        reg_error_is "$want" "ApproveOwnStage refused: $desc" ApproveOwnStage "$(proof_token "$tok" 123456)" "'$S4'" "{}"
done
run reg_json ApproveOwnStage 'a{sv}sa{sv}' 2 token s "$AUTO" otp s 123456 "$S4" 0
like "$(cat "$RUN_ERR_FILE")" "automation" "  ... the automation refusal says why"
run reg_json ApproveOwnStage 'a{sv}sa{sv}' 1 token s "$CAROL" "$S4" 0
like "$(cat "$RUN_ERR_FILE")" "enable two-factor" "  ... carol is told to enable 2FA"
is "$(stage_field "$S4" state)" staged "  ... still staged"
if $have_otp; then
        reg_error_is OTPRequired "alice's publish token without a code: OTPRequired" ApproveOwnStage \
                "$(proof_token "$PUB")" "'$S4'" "{}"
        wrong_otp alice
        reg_error_is BadOTP "  ... with a wrong code: BadOTP" ApproveOwnStage "$(proof_token "$PUB" "$OTP")" "'$S4'" "{}"
        next_otp alice
        run reg_json ApproveOwnStage 'a{sv}sa{sv}' 2 token s "$PUB" otp s "$OTP" "$S4" 0
        is "$RUN_RC/$(jq -r "$JQ_ASV | .state" <"$RUN_OUT_FILE")" 0/approved "alice's publish token and a current code approve"
        is "$(stage_field "$S4" decided_by)" "alice ($REGISTRY)" "  ... decided by alice through the registry"
        expect_signal "  ... StageDecided approved" StageDecided "$S4" approved
        reg_error_is StageNotPending "  ... a second approval: StageNotPending" ApproveOwnStage \
                "$(proof_token "$PUB" "$OTP")" "'$S4'" "{}"
        audit_json st-pkg
        audit_has "  ... audited: approved, with the version" "$TMP/audit.json" stage-approve ok \
                "approved st-pkg@4.0.0 by alice ($REGISTRY)" 4.0.0

        staged "$AUTO" st-pkg 4.1.0 && S41=$STAGE_ID
        next_otp alice
        run reg_json RejectOwnStage 'a{sv}sa{sv}' 3 account s alice password s "correct horse battery" otp s "$OTP" \
                "$S41" 1 reason s "not ours"
        is "$RUN_RC/$(jq -r "$JQ_ASV | .state + \" \" + .reason" <"$RUN_OUT_FILE")" "0/rejected not ours" \
                "a password proof with alice's code rejects, with a reason"
        audit_json st-pkg
        audit_has "  ... audited with the reason" "$TMP/audit.json" stage-reject "rejected st-pkg@4.1.0 by alice ($REGISTRY): not ours" 4.1.0
        expect_signal "  ... StageDecided rejected" StageDecided "$S41" rejected
        reg_error_is OTPRequired "a password proof without the code: OTPRequired" ApproveOwnStage \
                "{'account': <'alice'>, 'password': <'correct horse battery'>}" "'$GATED'" "{}"

        # The recovery hold (RecoveryHoldSec=): an admin's 2FA override puts alice on hold.
        staged "$AUTO" st-pkg 4.2.0 && S42=$STAGE_ID
        ok "admin override: new recovery codes for alice (starts her hold)" \
                mgr RegenerateRecoveryCodes 'ssa{sv}' alice "" 1 admin_override b true
        next_otp alice
        run reg_json ApproveOwnStage 'a{sv}sa{sv}' 2 token s "$PUB" otp s "$OTP" "$S42" 0
        is "$RUN_RC/$(stage_field "$S42" state)" 1/staged "alice on hold cannot approve, with a current code"
        like "$(cat "$RUN_ERR_FILE")" "on hold after a recovery" "  ... and is told why"
        ok "the admin lifts alice's hold" mgr LiftRecoveryHold s alice
        next_otp alice
        run reg_json ApproveOwnStage 'a{sv}sa{sv}' 2 token s "$PUB" otp s "$OTP" "$S42" 0
        is "$RUN_RC/$(stage_field "$S42" state)" 0/approved "  ... after the lift she can"
else
        skip "no OTP: approving through the registry" 15
        ok "admin approval instead" mgr ApproveStage 'sa{sv}' "$S4" 0
fi

# --- CompleteStage --------------------------------------------------------------------------------
reg_error_is StageNotPending "CompleteStage of a staged (unapproved) version" CompleteStage "'$GATED'" true "{}"
run reg_json CompleteStage 'sba{sv}' "$S4" false 1 reason s "HTTP 500"
is "$RUN_RC/$(stage_field "$S4" state)" 0/approved "CompleteStage(false): still approved, to try again"
run reg_json CompleteStage 'sba{sv}' "$S4" true 0
is "$RUN_RC/$(stage_field "$S4" state)" 0/published "CompleteStage(true): published"
expect_signal "  ... StageDecided published" StageDecided "$S4" published
expect_signal "  ... PackagePublished" PackagePublished st-pkg
reg_error_is StageNotPending "  ... twice: StageNotPending" CompleteStage "'$S4'" true "{}"
audit_json st-pkg
DECIDER=$(stage_field "$S4" decided_by)
audit_has "  ... audited: the publish of the approved stage, with the version" "$TMP/audit.json" publish ok \
        "published st-pkg@4.0.0 as approved by $DECIDER (reported by $REGISTRY)" 4.0.0
audit_has "  ... and the failed attempt" "$TMP/audit.json" publish failed \
        "publish of approved st-pkg@4.0.0 failed: HTTP 500" 4.0.0

# --- admins ---------------------------------------------------------------------------------------
staged "$AUTO" st-pkg 5.0.0 && S5=$STAGE_ID
if is_root; then
        reg_error_is AccessDenied "a registry cannot call the admin ApproveStage" ApproveStage "'$S5'" "{}"
else
        skip "not root: the registry is the daemon's uid, an admin"
fi
run mgr_json ApproveStage 'sa{sv}' "$S5" 0
is "$RUN_RC/$(jq -r "$JQ_ASV | .state + \" \" + .decided_by" <"$RUN_OUT_FILE")" "0/approved admin (uid $(id -u))" \
        "an admin approves, audited as such"
staged "$AUTO" st-pkg 5.1.0 && S51=$STAGE_ID
error_is org.pkgtoken1.Error.Forbidden "an admin naming carol (no 2FA) cannot decide for her" RejectStage "'$S51'" \
        "{'account': <'carol'>, 'otp': <'123456'>}"
error_is org.pkgtoken1.Error.InvalidArgument "an otp without an account" RejectStage "'$S51'" "{'otp': <'123456'>}"
if $have_otp; then
        next_otp alice
        run mgr_json RejectStage 'sa{sv}' "$S51" 2 account s alice otp s "$OTP"
        is "$RUN_RC/$(jq -r "$JQ_ASV | .decided_by" <"$RUN_OUT_FILE")" "0/alice (by uid $(id -u))" \
                "an admin decides for alice with her code"
else
        skip "no OTP"
fi
error_is org.pkgtoken1.Error.NoSuchStage "an unknown stage" ApproveStage "'0b7f5a2e-4c1d-4e8a-9f3b-2d6c8e1a7b90'" "{}"
error_is org.pkgtoken1.Error.NoSuchStage "a malformed stage id" ApproveStage "'../x'" "{}"

# --- ListStages -----------------------------------------------------------------------------------
list() {
        reg_json ListStages 'a{sv}' "$@" | jq -r "$JQ_AASV | map(.version) | join(\",\")"
}
is "$(list 1 package s st-gated)" 1.0.0 "ListStages by package"
is "$(list 2 package s st-pkg state s staged)" "1.0.0" "  ... and state (only what the registry kept)"
is "$(list 1 state s published)" 4.0.0 "  ... published ones"
is "$(list 1 maintainer s bob)" "" "  ... of the packages bob maintains: none"
is "$(list 1 maintainer s alice | tr ',' '\n' | wc -l)" "$(list 0 | tr ',' '\n' | wc -l)" "  ... alice maintains them all"
error_is org.pkgtoken1.Error.InvalidArgument "  ... an unknown state" ListStages "{'state': <'bogus'>}"

# --- expiry ---------------------------------------------------------------------------------------
stage "$AUTO" st-pkg 6.0.0 && PENDING=$STAGE_ID
stop_daemon
store_sql "UPDATE stages SET expires_at = 1 WHERE public_id = '$FIRST'"
must_start_daemon --config="$CONFIG"
is_root && chmod a+x "$TMP/bus" && chmod a+rw "$BUS_SOCKET"
is "$(stage_field "$FIRST" state)" expired "a stage past its time reads as expired"
error_is org.pkgtoken1.Error.StageNotPending "  ... and cannot be approved" ApproveStage "'$FIRST'" "{}"
ok "a stage pending before the restart is kept after it" mgr FinishPublish 'sba{sv}' "$PENDING" true 0
for ((i = 0; i < 50; i++)); do
        [ "$(store_sql "SELECT state FROM stages WHERE public_id = '$FIRST'" 2>/dev/null)" = expired ] && break
        sleep 0.1
done 2>/dev/null
audit_json st-pkg
audit_has "  ... the timer marks it expired and audits it" "$TMP/audit.json" stage-expire \
        "expired st-pkg@1.0.0: not decided within StageLifetimeSec=" 1.0.0
expect_signal "  ... StageDecided expired" StageDecided "$FIRST" expired

# --- pkgtokenctl ----------------------------------------------------------------------------------
ok "ctl package policy --require-approval=yes" ctl package policy bob-pkg --require-approval=yes
is "$(ctl --json package show bob-pkg | jq -r .require_approval)" true "  ... package show says so"
like "$(ctl package show bob-pkg)" "Requires approval: yes" "  ... in text too"
ok "ctl package policy POLICY --require-approval=no" ctl package policy bob-pkg none --require-approval=no
is "$(ctl --json package show bob-pkg | jq -r '.require_approval, .policy' | tr '\n' ' ')" "false none " \
        "  ... both changed"
exits 2 "ctl package policy without POLICY or --require-approval: usage" ctl package policy bob-pkg
exits 2 "ctl package policy --require-approval=maybe: usage" ctl package policy bob-pkg --require-approval=maybe

run ctl --json stage list --package=st-gated
is "$RUN_RC/$(jq -r 'map(.id) | join(",")' <"$RUN_OUT_FILE")" "0/$GATED" "ctl stage list --package= --json"
run ctl stage list --state=staged
is "$RUN_RC" 0 "ctl stage list --state=staged (text)"
like "$(cat "$RUN_OUT_FILE")" "$GATED" "  ... lists the waiting stage"
unlike "$(cat "$RUN_OUT_FILE")" "$S4" "  ... not the published one"
exits 2 "ctl stage list --state=bogus: usage" ctl stage list --state=bogus
run ctl stage show "$GATED"
like "$(cat "$RUN_OUT_FILE")" "Integrity: $SHA" "ctl stage show: the integrity"
like "$(cat "$RUN_OUT_FILE")" "Staged by: alice" "  ... who staged it"
exits 1 "ctl stage show of an unknown id" ctl stage show 0b7f5a2e-4c1d-4e8a-9f3b-2d6c8e1a7b90
exits 2 "ctl stage approve --otp without --account: usage" ctl stage approve "$GATED" --otp
staged "$AUTO" st-gated 1.1.0 && G2=$STAGE_ID
run ctl stage reject "$G2" --reason="wrong build"
is "$RUN_RC/$(stage_field "$G2" state)/$(stage_field "$G2" reason)" "0/rejected/wrong build" \
        "ctl stage reject --reason= (as admin)"
like "$(cat "$RUN_OUT_FILE")" "Rejected $G2" "  ... says so"
if $have_otp; then
        next_otp alice
        printf '%s\n' "$OTP" >"$TMP/otp"
        RUN_STDIN=$TMP/otp run ctl stage approve "$GATED" --account=alice --otp
        is "$RUN_RC/$(stage_field "$GATED" state)/$(stage_field "$GATED" decided_by)" "0/approved/alice (by uid $(id -u))" \
                "ctl stage approve --account=alice --otp"
else
        ok "ctl stage approve (as admin)" ctl stage approve "$GATED"
fi
exits 1 "ctl stage approve twice: refused" ctl stage approve "$GATED"
audit_json st-gated
audit_has "  ... audited" "$TMP/audit.json" stage-approve 1.0.0

done_testing
