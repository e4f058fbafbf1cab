#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Token rotation (issue 10): RotateToken (pkgtokenctl token rotate) and RotateOwnToken (a
# registry, for a proven account, under the governance rule) give a new secret with the same
# lineage, type, owner, scope, description and CIDRs; the old secret stops at once or after a
# grace; using it after that revokes the whole lineage, records an alarm in the audit, answers
# reason code "rotated-reuse" and emits TokenRevoked for each token it took down.

. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
need jq
have_gdbus || skip_all "gdbus is needed to watch signals and read error names"

DAY=$((86400 * 1000000))
setup_bus_and_daemon
SIGNALS=$TMP/signals
gdbus monitor --address "$PKGTOKEN_BUS_ADDRESS" --dest org.pkgtoken1 --object-path /org/pkgtoken1 >"$SIGNALS" 2>&1 &
_pids+=("$!")

add_alice_bob_pkg
field() {   # field ID KEY: a field of GetToken
        mgr_json GetToken s "$1" | jq -r "$JQ_ASV | .$2 | if type == \"array\" then join(\",\") else tostring end"
}
# verify SECRET ACTION: Verify's result/code for pkg
verify() {
        mgr_json Verify 'sssa{sv}' "$1" pkg "$2" 1 remote s 127.0.0.1 | jq -r '.data[0] + "/" + .data[1]'
}
# rotate ID [ARGS]: pkgtokenctl token rotate --json; sets NEW_ID, NEW_SECRET
rotate() {
        NEW_ID='' NEW_SECRET=''
        run ctl --json token rotate "$@"
        [ "$RUN_RC" -eq 0 ] || { diag_run; return 1; }
        NEW_ID=$(jq -r '.id' <"$RUN_OUT_FILE")
        NEW_SECRET=$(jq -r '.token' <"$RUN_OUT_FILE")
}

must_create_token CI alice --type=automation --package=pkg --description=ci --cidr=127.0.0.0/8 --expires=10d
rotate "$CI_ID"
is "$RUN_RC" 0 "token rotate: a new secret"
like "$NEW_SECRET" '^pkgt_' "  ... printed once"
isnt "$NEW_ID" "$CI_ID" "  ... under a new id"
is "$(field "$NEW_ID" lineage)/$(field "$CI_ID" lineage)" "$CI_ID/$CI_ID" "  ... in the old token's lineage"
is "$(field "$NEW_ID" type)/$(field "$NEW_ID" scope)/$(field "$NEW_ID" description)/$(field "$NEW_ID" allowed_cidrs)" \
        "automation/pkg/ci/127.0.0.0/8" "  ... type, scope, description and CIDRs kept"
exp=$(field "$NEW_ID" expires_at)
is "$(((exp - $(now_usec) + DAY / 2) / DAY))" 10 "  ... and its 10-day lifetime, counted from now"
is "$(field "$CI_ID" state)" rotated "the old token: state rotated"
R1=$NEW_SECRET R1_ID=$NEW_ID
is "$(verify "$R1" read)" allowed/ok "the new secret works"
is "$(verify "$CI_SECRET" read)" invalid/rotated-reuse "the old secret, used again: invalid, rotated-reuse"
is "$(field "$R1_ID" state)/$(field "$CI_ID" state)" revoked/revoked "  ... the whole lineage is revoked"
is "$(verify "$R1" read)" invalid/revoked "  ... the new secret too"
run mgr_json ListAuditEvents stu "" 0 100
is "$(jq -r "$JQ_AASV | map(select(.action == \"token-reuse\" and .result == \"alarm\" and .token_id == \"$CI_ID\")) | length" \
        <"$RUN_OUT_FILE")" 1 "  ... an alarm in the audit"
like "$(jq -r "$JQ_AASV | map(select(.action == \"token-reuse\")) | .[0].reason" <"$RUN_OUT_FILE")" \
        "revoked its lineage $CI_ID \\(2 tokens\\)" "  ... naming the lineage"
wait_for 5 grep -q "TokenRevoked ('$R1_ID'" "$SIGNALS"
like "$(grep TokenRevoked "$SIGNALS")" "'$CI_ID'" "  ... TokenRevoked for the old token"
like "$(grep TokenRevoked "$SIGNALS")" "'$R1_ID'" "  ... and for its rotation"
is "$(jq -r "$JQ_AASV | map(select(.action == \"token-rotate\" and .token_id == \"$R1_ID\")) | .[0].reason" \
        <"$RUN_OUT_FILE")" "rotated from $CI_ID (grace 0s)" "the rotation is audited"

# --- a grace, rotations of rotations ---------------------------------------------------------------
must_create_token G alice --type=publish --description=laptop
rotate "$G_ID" --grace=4s
G1=$NEW_SECRET G1_ID=$NEW_ID
is "$(verify "$G_SECRET" read)" allowed/ok "with --grace=4s the old secret still works"
is "$(field "$G_ID" state)" active "  ... and shows active"
rotate "$G1_ID"
G2=$NEW_SECRET G2_ID=$NEW_ID
is "$(field "$G2_ID" lineage)" "$G_ID" "a rotation of a rotation stays in the first token's lineage"
is "$(verify "$G2" read)" allowed/ok "  ... and works"
exits 1 "rotating a rotated-out token: refused" ctl token rotate "$G1_ID"
like "$(cat "$RUN_ERR_FILE")" 'rotated already' "  ... it says to rotate the newest"
sleep 4.2
is "$(verify "$G_SECRET" read)" invalid/rotated-reuse "after the grace: rotated-reuse"
is "$(field "$G2_ID" state)" revoked "  ... the newest rotation is revoked with it"

exits 2 "--grace=25h: a usage error" ctl token rotate "$G2_ID" --grace=25h
error_is org.pkgtoken1.Error.InvalidArgument "RotateToken(grace 25 h): InvalidArgument" RotateToken "'$G2_ID'" \
        "{'grace': <uint64 $((25 * 3600 * 1000000))>}"
error_is org.pkgtoken1.Error.NoSuchToken "RotateToken(unknown): NoSuchToken" RotateToken "'tk_000000000000'" "@a{sv} {}"
must_create_token DEAD alice --type=publish
ok "  ... revoked" ctl token revoke "$DEAD_ID"
exits 1 "rotating a revoked token: refused" ctl token rotate "$DEAD_ID"

must_create_token PKGT alice --type=automation --package=pkg --package-owned --description=release
rotate "$PKGT_ID"
is "$(field "$NEW_ID" owner)/$(field "$NEW_ID" scope)/$(field "$NEW_ID" account)" "package/pkg/" \
        "a package token's rotation stays a package token of pkg"

# --- RotateOwnToken: the governance rule -------------------------------------------------------------
must_create_token AUTO alice --type=automation
error_is org.pkgtoken1.Error.Forbidden "RotateOwnToken(automation token): governance" RotateOwnToken \
        "{'token': <'$AUTO_SECRET'>}" "'$AUTO_ID'" "@a{sv} {}"
must_create_token APUB alice --type=publish
error_is org.pkgtoken1.Error.Forbidden "RotateOwnToken(publish token, account without 2FA): governance" RotateOwnToken \
        "{'token': <'$APUB_SECRET'>}" "'$APUB_ID'" "@a{sv} {}"
if command -v oathtool >/dev/null 2>&1 && enroll_2fa bob auth-only; then
        next_otp bob
        printf '%s\n' "$OTP" >"$TMP/otp.in"
        RUN_STDIN=$TMP/otp.in must_create_token BPUB bob --type=publish --description=desk --otp
        error_is org.pkgtoken1.Error.OTPRequired "RotateOwnToken(bob's publish token, no code): OTPRequired" \
                RotateOwnToken "{'token': <'$BPUB_SECRET'>}" "'$BPUB_ID'" "@a{sv} {}"
        next_otp bob
        run mgr_json RotateOwnToken 'a{sv}sa{sv}' 2 token s "$BPUB_SECRET" otp s "$OTP" "$BPUB_ID" 1 grace t 60000000
        is "$RUN_RC" 0 "RotateOwnToken(bob's publish token + code, grace 60 s)"
        B1_ID=$(jq -r '.data[0]' <"$RUN_OUT_FILE")
        is "$(field "$B1_ID" lineage)/$(field "$B1_ID" description)" "$BPUB_ID/desk" "  ... in its lineage"
        run mgr_json ListAuditEvents stu "" 0 200
        like "$(jq -c "$JQ_AASV | map(select(.action == \"token-rotate\" and .token_id == \"$B1_ID\"))" <"$RUN_OUT_FILE")" \
                '"actor":"bob \(registry uid [0-9]+\)"' "  ... audited as bob via the registry"
        error_is org.pkgtoken1.Error.NoSuchToken "RotateOwnToken(alice's token): NoSuchToken" \
                RotateOwnToken "{'token': <'$BPUB_SECRET'>, 'otp': <'000000'>}" "'$APUB_ID'" "@a{sv} {}"
else
        skip "oathtool or enrolment not available" 5
fi

check_daemon_alive
stop_daemon
is "$STOP_RC" 0 "pkgtokend exits 0 on SIGTERM"
done_testing
