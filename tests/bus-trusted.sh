#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Trusted publishing over the bus (issue 11) with the real daemon: issuers from a directory
# (a broken file skipped), trusted publishers per package, ExchangeIdToken with ID tokens
# signed by the test's issuer (tests/jwt-sign.js: RSA and EC keys, a key added while the
# daemon runs), every refusal code, the minted token's type, scope and life, the jti spent
# across a restart, packages that require trusted publishing, provenance in the audit, and
# who may call what.

. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
need jq node

SIGN="$top_srcdir/tests/jwt-sign.js"
ISS=https://gitlab.example.com
AUD=pkgtoken-test
KEYS=$TMP/issuers
mkdir -p "$KEYS" "$TMP/stranger"
node "$SIGN" keygen "$KEYS" rsa-1 rsa && node "$SIGN" keygen "$KEYS" ec-1 ec &&
        node "$SIGN" keygen "$TMP/stranger" rsa-1 rsa || bail_out "cannot make the issuer's keys"
printf 'Issuer=%s\nAudience=%s\nAlgorithms=RS256 ES256\nKeysFile=jwks.json\n' "$ISS" "$AUD" >"$KEYS/gitlab.conf"
printf 'Issuer=http://insecure.example.com\nAudience=x\nKeysFile=jwks.json\n' >"$KEYS/broken.conf"
printf 'Issuer=%s\nAudience=x\nAlgorithms=HS256\nKeysFile=jwks.json\n' "https://hmac.example.com" >"$KEYS/hmac.conf"

CONFIG=$TMP/pkgtokend.conf
write_config "$CONFIG" "IssuersDirectory=$KEYS" TrustedPublishingTokenLifetimeSec=10min TrustedPublishingClockSkewSec=30
setup_bus_and_daemon --config="$CONFIG"
like "$(cat "$DAEMON_LOG")" "broken.conf: Issuer= must be an https:// URL; issuer skipped" "a broken issuer file is named and skipped"
like "$(cat "$DAEMON_LOG")" "hmac.conf: Algorithms= takes RS256 and/or ES256 only" "an issuer asking for HS256 is skipped"

ok "account alice" new_account alice ""
ok "package app (alice)" ctl package add app --policy=none --maintainer=alice
ok "package other (alice)" ctl package add other --policy=none --maintainer=alice

# add_publisher PACKAGE ISSUER N NAME VALUE...: AddTrustedPublisher; sets TP_ID.
add_publisher() {
        TP_ID=''
        run mgr_json AddTrustedPublisher 'ssa{ss}a{sv}' "$@" 0
        [ "$RUN_RC" -eq 0 ] || { diag_run; return 1; }
        reply_fields TP_ID
}
WORKFLOW="gitlab.example.com/acme/app//.gitlab-ci.yml@refs/heads/*"
ok "a GitLab publisher for app" add_publisher app "$ISS" 3 project_path acme/app namespace_id 42 \
        ci_config_ref_uri "$WORKFLOW"
APP_TP=$TP_ID
like "$APP_TP" '^tp_' "its id is tp_..."

error_is org.pkgtoken1.Error.InvalidArgument "an unconfigured issuer is refused" \
        AddTrustedPublisher app https://nowhere.example.com "{'project_path': 'acme/app'}" "{}"
error_is org.pkgtoken1.Error.InvalidArgument "the skipped issuer is not configured either" \
        AddTrustedPublisher app http://insecure.example.com "{'project_path': 'acme/app'}" "{}"
error_is org.pkgtoken1.Error.InvalidArgument "a publisher without claims is refused" \
        AddTrustedPublisher app "$ISS" "@a{ss} {}" "{}"
error_is org.pkgtoken1.Error.InvalidArgument "a reserved claim (iss) is refused" \
        AddTrustedPublisher app "$ISS" "{'iss': 'x'}" "{}"
error_is org.pkgtoken1.Error.InvalidArgument "a claim name with a space is refused" \
        AddTrustedPublisher app "$ISS" "{'project path': 'x'}" "{}"
error_is org.pkgtoken1.Error.NoSuchPackage "a publisher for a missing package is refused" \
        AddTrustedPublisher nope "$ISS" "{'project_path': 'acme/app'}" "{}"

run mgr_json ListTrustedPublishers s app
is "$(jq -r "$JQ_AASV | length" <"$RUN_OUT_FILE")" 1 "ListTrustedPublishers app: one publisher"
is "$(jq -r "$JQ_AASV | .[0].issuer" <"$RUN_OUT_FILE")" "$ISS" "its issuer"
is "$(jq -r "$JQ_AASV | .[0].claims | fromjson | .namespace_id" <"$RUN_OUT_FILE")" 42 "its claims (JSON)"
is "$(jq -r "$JQ_AASV | .[0].created_by" <"$RUN_OUT_FILE")" "uid $(id -u)" "who added it"

# id_token KEY-DIR KID EXTRA-CLAIMS-JSON: a GitLab-like ID token for acme/app.
id_token() {
        local claims
        claims=$(jq -cn --arg iss "$ISS" --arg aud "$AUD" --argjson extra "$3" '{iss: $iss, aud: $aud,
                project_path: "acme/app", namespace_id: "42", ref: "main", sha: "0123abcd",
                pipeline_id: "777", ci_config_ref_uri: "gitlab.example.com/acme/app//.gitlab-ci.yml@refs/heads/main"}
                + $extra')
        node "$SIGN" sign "$1" "$2" "$claims"
}

# exchange JWT PACKAGE: ExchangeIdToken; sets X_RC, X_RESULT, X_CODE, X_MESSAGE, X_DETAILS.
exchange() {
        X_RESULT='' X_CODE='' X_MESSAGE='' X_DETAILS='{}'
        run mgr_json ExchangeIdToken 'ssa{sv}' "$1" "$2" 1 remote s 192.0.2.7
        X_RC=$RUN_RC
        [ "$RUN_RC" -eq 0 ] || { diag_run; return 0; }
        reply_fields X_RESULT X_CODE X_MESSAGE
        X_DETAILS=$(jq -c '.data[3] | with_entries(.value |= .data)' <"$RUN_OUT_FILE")
}
# expect_exchange RESULT/CODE DESC JWT PACKAGE
expect_exchange() {
        exchange "$3" "$4"
        expect_answer "$1" "$2" "$X_RC" "$X_RESULT/$X_CODE" "$X_MESSAGE"
}

# --- a good exchange ---------------------------------------------------------------------------
GOOD=$(id_token "$KEYS" rsa-1 '{}')
expect_exchange allowed/ok "an ID token of the trusted pipeline is exchanged" "$GOOD" app
TP_TOKEN=$(jq -r .token <<<"$X_DETAILS")
TP_TOKEN_ID=$(jq -r .token_id <<<"$X_DETAILS")
like "$TP_TOKEN" '^pkgt_' "the answer holds a pkgtoken token"
now_us=$(($(date +%s) * 1000000))
expires=$(jq -r .expires_at <<<"$X_DETAILS")
ok "it expires in TrustedPublishingTokenLifetimeSec= (10 min)" \
        test $((expires - now_us)) -gt 590000000 -a $((expires - now_us)) -le 601000000
like "$(jq -r .provenance <<<"$X_DETAILS")" "repository=acme/app workflow=.* ref=main sha=0123abcd run_id=777" \
        "the provenance: repository, workflow, ref, sha, run id"

run mgr_json GetToken s "$TP_TOKEN_ID"
is "$(jq -r "$JQ_ASV | .type" <"$RUN_OUT_FILE")" trusted-publishing "GetToken: type trusted-publishing"
is "$(jq -r "$JQ_ASV | .owner" <"$RUN_OUT_FILE")" package "GetToken: owned by the package"
is "$(jq -r "$JQ_ASV | .scope | join(\",\")" <"$RUN_OUT_FILE")" app "GetToken: scoped to app alone"

expect_authz_bus allowed "the minted token publishes app" "$TP_TOKEN" app publish remote 192.0.2.7
expect_authz_bus forbidden "but not another package" "$TP_TOKEN" other publish remote 192.0.2.7
run mgr_json Verify 'sssa{sv}' "$TP_TOKEN" app unpublish 0
is "$(jq -r '.data[1]' <"$RUN_OUT_FILE")" governance "nor unpublish it (governance)"
error_is org.pkgtoken1.Error.InvalidArgument "CreateToken never makes trusted-publishing tokens" \
        CreateToken alice trusted-publishing "['app']" "x" 0 "@as []" "{}"

# --- refusals ----------------------------------------------------------------------------------
expect_exchange forbidden/replayed-jti "the same ID token again" "$GOOD" app
now=$(date +%s)
cases=(
        "forbidden/claim-mismatch|another project|$(id_token "$KEYS" rsa-1 '{"project_path":"evil/app"}')|app"
        "forbidden/claim-mismatch|another namespace id (a resurrected name)|$(id_token "$KEYS" rsa-1 '{"namespace_id":"43"}')|app"
        "forbidden/claim-mismatch|a pipeline definition from another repository|$(id_token "$KEYS" rsa-1 '{"ci_config_ref_uri":"gitlab.example.com/evil/x//.gitlab-ci.yml@refs/heads/main"}')|app"
        "forbidden/wrong-audience|another audience|$(id_token "$KEYS" rsa-1 '{"aud":"npm:registry.npmjs.org"}')|app"
        "forbidden/expired|an expired ID token|$(id_token "$KEYS" rsa-1 "{\"iat\":$((now - 900)),\"exp\":$((now - 600))}")|app"
        "forbidden/expired|an ID token issued in the future|$(id_token "$KEYS" rsa-1 "{\"iat\":$((now + 600)),\"exp\":$((now + 900))}")|app"
        "forbidden/unknown-issuer|another issuer|$(id_token "$KEYS" rsa-1 '{"iss":"https://evil.example.com"}')|app"
        "forbidden/bad-signature|a stranger's key under the issuer's kid|$(id_token "$TMP/stranger" rsa-1 '{}')|app"
        "forbidden/bad-signature|not a JWT|not.a.jwt|app"
        "forbidden/no-trusted-publisher|a package that trusts nobody|$(id_token "$KEYS" rsa-1 '{}')|other"
        "forbidden/no-such-package|a package that does not exist|$(id_token "$KEYS" rsa-1 '{}')|nope"
        "forbidden/claim-mismatch|an ID token without jti|$(id_token "$KEYS" rsa-1 '{"jti":null}')|app"
)
for c in "${cases[@]}"; do
        IFS='|' read -r want desc jwt pkg <<<"$c"
        expect_exchange "$want" "$desc" "$jwt" "$pkg"
done
expect_exchange allowed/ok "an ES256 ID token" "$(id_token "$KEYS" ec-1 '{}')" app

# A key the refresh service adds while the daemon runs is used at once (rotation).
NEW_KEY=$(node "$SIGN" keygen "$KEYS" rsa-2 rsa && id_token "$KEYS" rsa-2 '{}')
expect_exchange allowed/ok "a key added to the JWKS file while the daemon runs" "$NEW_KEY" app

# --- packages that require trusted publishing ------------------------------------------------
new_token alice automation
AUTO=$NEW_TOKEN
ok "SetPackageOptions app require_trusted_publishing true" \
        mgr SetPackageOptions 'sa{sv}' app 1 require_trusted_publishing b true
run mgr_json GetPackage s app
is "$(jq -r "$JQ_ASV | .require_trusted_publishing" <"$RUN_OUT_FILE")" true "GetPackage shows require_trusted_publishing"
run mgr_json Verify 'sssa{sv}' "$AUTO" app publish 0
is "$(jq -r '.data[0] + "/" + .data[1]' <"$RUN_OUT_FILE")" forbidden/trusted-publishing-only \
        "an automation token's publish is refused: trusted-publishing-only"
expect_authz_bus allowed "it still reads" "$AUTO" app read
exchange "$(id_token "$KEYS" rsa-1 '{}')" app
expect_authz_bus allowed "a fresh trusted-publishing token publishes" "$(jq -r .token <<<"$X_DETAILS")" app publish
ok "SetPackageOptions app require_trusted_publishing false" \
        mgr SetPackageOptions 'sa{sv}' app 1 require_trusted_publishing b false
expect_authz_bus allowed "the automation token publishes again" "$AUTO" app publish
error_is org.pkgtoken1.Error.NoSuchPackage "require_trusted_publishing on a missing package" \
        SetPackageOptions nope "{'require_trusted_publishing': <true>}"

# --- provenance in the audit -----------------------------------------------------------------
mgr_json ListAuditEvents 'stu' app 0 1000 | jq "$JQ_AASV" >"$TMP/audit.json"
audit_has "the exchange is audited with its provenance and token" "$TMP/audit.json" token-exchange ok \
        "$TP_TOKEN_ID" "ok: repository=acme/app workflow=gitlab.example.com/acme/app//.gitlab-ci.yml@refs/heads/main ref=main sha=0123abcd run_id=777" 192.0.2.7
audit_has "the replay is audited" "$TMP/audit.json" token-exchange forbidden \
        "replayed-jti: repository=acme/app workflow=gitlab.example.com/acme/app//.gitlab-ci.yml@refs/heads/main ref=main sha=0123abcd run_id=777"
audit_has "the publish names the token" "$TMP/audit.json" publish allowed "$TP_TOKEN_ID" 'Token "trusted publishing: acme/app"'
audit_has "adding the publisher is audited" "$TMP/audit.json" trusted-publisher-add ok "uid $(id -u)"
audit_has "requiring trusted publishing is audited" "$TMP/audit.json" trusted-publishing-only ok on
is "$(jq -r --arg t "$TP_TOKEN_ID" '[.[] | select(.action == "token-exchange" and .token_id == $t)][0].provenance
        | [.issuer, .repository, .workflow, .ref, .sha, .run_id] | join(" ")' "$TMP/audit.json")" \
        "$ISS acme/app gitlab.example.com/acme/app//.gitlab-ci.yml@refs/heads/main main 0123abcd 777" \
        "the exchange's record has the provenance as a{ss}: issuer, repository, workflow, ref, sha, run_id"
is "$(jq -r --arg t "$TP_TOKEN_ID" '[.[] | select(.action == "publish" and .token_id == $t)][0].provenance.repository' \
        "$TMP/audit.json")" acme/app "the publish by the minted token inherits it"
is "$(jq -r '[.[] | select(.action == "trusted-publisher-add")][0].provenance | length' "$TMP/audit.json")" 0 \
        "other records have an empty provenance"
run ctl --json audit --package=app --provenance
ok "audit --provenance shows only records with provenance" \
        jq -e 'length > 0 and all(.provenance | length > 0)' "$RUN_OUT_FILE"
run ctl --json package provenance app
ok "package provenance app: the publishes, with their provenance" \
        jq -e --arg t "$TP_TOKEN_ID" 'any(.token_id == $t and .action == "publish" and .provenance.sha == "0123abcd")
        and all(.action != "token-exchange")' "$RUN_OUT_FILE"
run ctl package provenance app
like "$RUN_OUT" "PROVENANCE" "package provenance: a table with a provenance column"
like "$RUN_OUT" "repository=acme/app" "  ... showing repository=acme/app"
run ctl --json package provenance app 9.9.9
is "$(jq length "$RUN_OUT_FILE")" 0 "package provenance for a version never published: nothing"

# --- the jti is spent in the store, across a restart -------------------------------------------
stop_daemon
must_start_daemon --config="$CONFIG"
expect_exchange forbidden/replayed-jti "after a restart the ID token is still spent" "$GOOD" app

# --- who may call ------------------------------------------------------------------------------
if is_root && command -v setpriv >/dev/null 2>&1; then
        chmod 0711 "$TMP" && chmod a+x "$TMP/bus" && chmod a+rw "$BUS_SOCKET"
        DBUS_CALLER=(setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups --)
        error_is org.pkgtoken1.Error.AccessDenied "a user outside RegistryGroup= may not exchange" \
                ExchangeIdToken "$GOOD" app "{}"
        error_is org.pkgtoken1.Error.AccessDenied "nor add trusted publishers" \
                AddTrustedPublisher app "$ISS" "{'project_path': 'x'}" "{}"
        error_is org.pkgtoken1.Error.AccessDenied "nor require trusted publishing" \
                SetPackageOptions app "{'require_trusted_publishing': <false>}"
        DBUS_CALLER=()
else
        skip "not root: cannot call as another user" 3
fi

# --- pkgtokenctl trust ------------------------------------------------------------------------
run ctl trust add other --gitlab=acme/other --workflow=.gitlab-ci.yml --issuer="$ISS" --claim=namespace_id=42 \
        --environment=production
is "$RUN_RC" 0 "trust add --gitlab= --workflow= --issuer= --claim= --environment="
CLI_TP=$RUN_OUT
run ctl --json trust list other
is "$(jq -r '.[0].claims | fromjson | [.project_path, .ci_config_ref_uri, .namespace_id, .environment] | join(" ")' \
        <"$RUN_OUT_FILE")" "acme/other */acme/other//.gitlab-ci.yml@* 42 production" "trust list: the GitLab claims"
is "$(jq -r '.[0].id' <"$RUN_OUT_FILE")" "$CLI_TP" "trust list: the id trust add printed"
expect_exchange allowed/ok "an ID token of that pipeline in that environment" \
        "$(id_token "$KEYS" rsa-1 '{"project_path":"acme/other","environment":"production","ci_config_ref_uri":"gitlab.example.com/acme/other//.gitlab-ci.yml@refs/tags/v1"}')" other
expect_exchange forbidden/claim-mismatch "the same pipeline in another environment" \
        "$(id_token "$KEYS" rsa-1 '{"project_path":"acme/other","environment":"staging","ci_config_ref_uri":"gitlab.example.com/acme/other//.gitlab-ci.yml@refs/tags/v1"}')" other
run ctl trust add other --github=acme/other --workflow=release.yml --issuer="$ISS"
is "$RUN_RC" 0 "trust add --github= --workflow="
run ctl --json trust list other
is "$(jq -r '[.[].claims | fromjson | .workflow_ref // empty] | join(" ")' <"$RUN_OUT_FILE")" \
        "acme/other/.github/workflows/release.yml@*" "trust list: the GitHub workflow claim"
exits 2 "trust add without whom to trust is a usage error" ctl trust add other
exits 2 "--github= and --gitlab= together are a usage error" ctl trust add other --github=a/b --gitlab=a/b
exits 2 "--claim= without = is a usage error" ctl trust add other --issuer="$ISS" --claim=x
exits 1 "the daemon's refusal of a reserved claim fails" ctl trust add other --issuer="$ISS" --claim=iss=x
ok "trust require other yes" ctl trust require other yes
run mgr_json Verify 'sssa{sv}' "$AUTO" other publish 0
is "$(jq -r '.data[1]' <"$RUN_OUT_FILE")" trusted-publishing-only "then an automation token's publish is refused"
ok "trust require other no" ctl trust require other no
ok "package policy --require-trusted-publishing=yes" ctl package policy other --require-trusted-publishing=yes
run ctl --json package show other
is "$(jq -r .require_trusted_publishing "$RUN_OUT_FILE")" true "package show: require_trusted_publishing"
run ctl package show other
like "$RUN_OUT" "Requires trusted publishing: yes" "package show: 'Requires trusted publishing: yes'"
ok "package policy --require-trusted-publishing=no --require-approval=no" \
        ctl package policy other --require-trusted-publishing=no --require-approval=no
exits 2 "--require-trusted-publishing=maybe is a usage error" ctl package policy other --require-trusted-publishing=maybe
ok "trust remove" ctl trust remove "$CLI_TP"

# --- maintainers manage publishers through a registry (governance) ------------------------------
ok "account bob" new_account bob ""
new_token alice publish && ALICE_PUB=$NEW_TOKEN
new_token bob publish && BOB_PUB=$NEW_TOKEN
CLAIMS="{'project_path': 'acme/own'}"
error_is org.pkgtoken1.Error.Forbidden "a maintainer without 2FA may not add a trusted publisher" \
        AddOwnTrustedPublisher "{'token': <$(gv "$ALICE_PUB")>}" app "$ISS" "$CLAIMS" "{}"
enroll_2fa alice || bail_out "cannot enrol alice in 2FA"
error_is org.pkgtoken1.Error.OTPRequired "with 2FA, but without a current code" \
        AddOwnTrustedPublisher "{'token': <$(gv "$ALICE_PUB")>}" app "$ISS" "$CLAIMS" "{}"
error_is org.pkgtoken1.Error.Forbidden "never with an automation token" \
        AddOwnTrustedPublisher "{'token': <$(gv "$AUTO")>}" app "$ISS" "$CLAIMS" "{}"
enroll_2fa bob || bail_out "cannot enrol bob in 2FA"
next_otp bob
error_is org.pkgtoken1.Error.NotMaintainer "never by someone who does not maintain the package" \
        AddOwnTrustedPublisher "{'token': <$(gv "$BOB_PUB")>, 'otp': <'$OTP'>}" app "$ISS" "$CLAIMS" "{}"
error_is org.pkgtoken1.Error.Forbidden "never with the package's own trusted-publishing token" \
        AddOwnTrustedPublisher "{'token': <$(gv "$TP_TOKEN")>}" app "$ISS" "$CLAIMS" "{}"
next_otp alice
run mgr_json AddOwnTrustedPublisher 'a{sv}ssa{ss}a{sv}' 2 token s "$ALICE_PUB" otp s "$OTP" app "$ISS" 1 \
        project_path acme/own 0
is "$RUN_RC" 0 "a maintainer with a current code adds one"
[ "$RUN_RC" -eq 0 ] || diag_run
reply_fields OWN_TP
run mgr_json ListOwnTrustedPublishers 'a{sv}s' 1 token s "$ALICE_PUB" app
ok "  ... ListOwnTrustedPublishers shows it" jq -e --arg id "$OWN_TP" "$JQ_AASV | any(.id == \$id)" "$RUN_OUT_FILE"
error_is org.pkgtoken1.Error.NotMaintainer "bob may not list app's publishers" \
        ListOwnTrustedPublishers "{'token': <$(gv "$BOB_PUB")>}" app
mgr_json ListAuditEvents 'stu' app 0 1000 | jq "$JQ_AASV" >"$TMP/audit.json"
audit_has "  ... audited as alice through the registry" "$TMP/audit.json" trusted-publisher-add ok \
        "alice (registry uid $(id -u))"
error_is org.pkgtoken1.Error.OTPRequired "removing needs a current code too" \
        RemoveOwnTrustedPublisher "{'token': <$(gv "$ALICE_PUB")>}" "$OWN_TP"
next_otp alice
ok "  ... and with one it goes" mgr RemoveOwnTrustedPublisher 'a{sv}s' 2 token s "$ALICE_PUB" otp s "$OTP" "$OWN_TP"

# --- removing ----------------------------------------------------------------------------------
ok "RemoveTrustedPublisher" mgr RemoveTrustedPublisher s "$APP_TP"
expect_exchange forbidden/no-trusted-publisher "after the removal nothing is exchanged" "$(id_token "$KEYS" rsa-1 '{}')" app
error_is org.pkgtoken1.Error.InvalidArgument "removing it again" RemoveTrustedPublisher "$APP_TP"

done_testing
