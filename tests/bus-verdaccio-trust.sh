#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Trusted publishing end to end (issue 11): the unchanged npm 11 CLI in "CI" -> Verdaccio with
# contrib/verdaccio -> the real pkgtokend, whose issuers are this test's (tests/jwt-sign.js).
# GitLab's way: GITLAB_CI=true and NPM_ID_TOKEN set to an ID token signed by the test's key;
# `npm publish` with no token in .npmrc exchanges it and publishes, to a 2fa-only package.
# The same ID token again, or one of another project, is refused and npm has nothing to
# publish with.  GitHub's way: npm fetches the ID token from ACTIONS_ID_TOKEN_REQUEST_URL,
# served by a small server on loopback.  The audit keeps each publish's provenance.

# shellcheck disable=SC2317 # helpers are called through run/ok
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib-verdaccio.sh"
need jq

SIGN="$top_srcdir/tests/jwt-sign.js"
KEYS=$TMP/issuers
GITLAB=https://gitlab.example.com
GITHUB=https://token.actions.githubusercontent.com
mkdir -p "$KEYS"
node "$SIGN" keygen "$KEYS" key-1 rsa || bail_out "cannot make the issuer's key"
# npm asks GitHub for the audience npm:HOST; GitLab pipelines name theirs in id_tokens:.
printf 'Issuer=%s\nAudience=npm:127.0.0.1\nKeysFile=jwks.json\n' "$GITLAB" >"$KEYS/gitlab.conf"
printf 'Issuer=%s\nAudience=npm:127.0.0.1\nKeysFile=jwks.json\n' "$GITHUB" >"$KEYS/github.conf"
# Issuers are read at start: the daemon of lib-verdaccio.sh again, with them (Verdaccio
# reconnects by itself).
printf '[Manager]\nIssuersDirectory=%s\n' "$KEYS" >>"$CONFIG"
stop_daemon
must_start_daemon --config="$CONFIG"

mgr CreatePackage ssas ci-app 2fa-only 1 alice >/dev/null || bail_out "package ci-app"
mgr AddTrustedPublisher 'ssa{ss}a{sv}' ci-app "$GITLAB" 2 project_path acme/ci-app namespace_id 42 0 >/dev/null ||
        bail_out "the GitLab publisher"
mgr AddTrustedPublisher 'ssa{ss}a{sv}' ci-app "$GITHUB" 3 repository acme/ci-app repository_owner_id 7 \
        workflow_ref 'acme/ci-app/.github/workflows/release.yml@*' 0 >/dev/null || bail_out "the GitHub publisher"

# id_token ISSUER EXTRA-CLAIMS-JSON: an ID token of the test's issuer key.
id_token() {
        node "$SIGN" sign "$KEYS" key-1 "$(jq -cn --arg iss "$1" --argjson extra "$2" '{iss: $iss,
                aud: "npm:127.0.0.1", ref: "main", sha: "feedf00d"} + $extra')"
}
# ci_publish VERSION ENV...: npm publish of ci-app@VERSION in a CI environment, no token.
ci_publish() {
        local version=$1
        shift
        (cd "$(make_pkg ci-app "$version")" &&
                env -u GITHUB_ACTIONS -u GITLAB_CI -u NPM_ID_TOKEN CI=true "$@" \
                        timeout 60 npm --userconfig="$RC_NONE" --registry="$REG/" --no-audit --no-fund \
                        --no-update-notifier --loglevel=warn publish)
}
refused() {   # refused DESC: the last run failed without credentials
        if [ "$RUN_RC" -ne 0 ] && grep -qE 'ENEEDAUTH|E401|E403|log in' "$RUN_ERR_FILE"; then pass "$1"; else fail "$1"; diag_run; fi
}

# --- GitLab: NPM_ID_TOKEN ------------------------------------------------------------------------
GOOD=$(id_token "$GITLAB" '{"project_path":"acme/ci-app","namespace_id":"42","pipeline_id":"4242"}')
run ci_publish 1.0.0 GITLAB_CI=true NPM_ID_TOKEN="$GOOD"
is "$RUN_RC" 0 "GitLab CI: npm publish with NPM_ID_TOKEN and no token publishes ci-app@1.0.0 (a 2fa-only package)"
[ "$RUN_RC" -eq 0 ] || { diag_run; diag_file "verdaccio log" "$VLOG"; }
ok "  ... npm view sees it" npmx "$RC_NONE" view ci-app@1.0.0 version
is "$(cat "$RC_NONE")" "" "  ... and nothing was written to .npmrc"

run ci_publish 1.0.1 GITLAB_CI=true NPM_ID_TOKEN="$GOOD"
refused "the same ID token again is refused: npm has no token to publish with"
run ci_publish 1.0.1 GITLAB_CI=true NPM_ID_TOKEN="$(id_token "$GITLAB" '{"project_path":"evil/ci-app","namespace_id":"42","pipeline_id":"4242"}')"
refused "an ID token of another project is refused"
run ci_publish 1.0.1 GITLAB_CI=true NPM_ID_TOKEN="$(id_token https://evil.example.com '{"project_path":"acme/ci-app","namespace_id":"42"}')"
refused "an ID token of an issuer nobody configured is refused"
run npmx "$RC_NONE" view ci-app@1.0.1 version
isnt "$RUN_RC" 0 "  ... and ci-app@1.0.1 does not exist"

# --- GitHub: ACTIONS_ID_TOKEN_REQUEST_URL ----------------------------------------------------------
GH_TOKEN_FILE=$TMP/gh-id-token
id_token "$GITHUB" '{"repository":"acme/ci-app","repository_owner_id":"7","run_id":"99","workflow_ref":"acme/ci-app/.github/workflows/release.yml@refs/tags/v1.1.0"}' >"$GH_TOKEN_FILE"
GH_PORT=$(free_tcp_port) || bail_out "no free port"
# GitHub's token service: the request token as bearer, the audience as a parameter.
node -e '
        const [port, file] = process.argv.slice(1);
        require("http").createServer((req, res) => {
                const u = new URL(req.url, "http://x");
                const ok = req.headers.authorization === "Bearer gh-request-token" && u.searchParams.get("audience") === "npm:127.0.0.1";
                res.writeHead(ok ? 200 : 403, { "content-type": "application/json" });
                res.end(JSON.stringify(ok ? { value: require("fs").readFileSync(file, "utf8") } : { message: "no" }));
        }).listen(Number(port), "127.0.0.1");' "$GH_PORT" "$GH_TOKEN_FILE" &
_pids+=("$!")
wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$GH_PORT/" || bail_out "the GitHub token server did not start"
run ci_publish 1.1.0 GITHUB_ACTIONS=true ACTIONS_ID_TOKEN_REQUEST_URL="http://127.0.0.1:$GH_PORT/token" \
        ACTIONS_ID_TOKEN_REQUEST_TOKEN=gh-request-token
is "$RUN_RC" 0 "GitHub Actions: npm fetches the ID token from ACTIONS_ID_TOKEN_REQUEST_URL and publishes ci-app@1.1.0"
[ "$RUN_RC" -eq 0 ] || diag_run
id_token "$GITHUB" '{"repository":"acme/ci-app","repository_owner_id":"8","workflow_ref":"acme/ci-app/.github/workflows/release.yml@refs/tags/v1.2.0"}' >"$GH_TOKEN_FILE"
run ci_publish 1.2.0 GITHUB_ACTIONS=true ACTIONS_ID_TOKEN_REQUEST_URL="http://127.0.0.1:$GH_PORT/token" \
        ACTIONS_ID_TOKEN_REQUEST_TOKEN=gh-request-token
refused "a resurrected repository (another owner id) is refused"

# --- npm trust: a maintainer adds a publisher with a current code ---------------------------------
next_otp alice
new_token alice publish "$OTP" || bail_out "alice's publish token"
RC_ALICE=$(rc_with alice "$NEW_TOKEN")
# npm_trust ARGS...: the subcommand first (npm 11.19 miscounts positionals after options).
npm_trust() {
        local sub=$1
        shift
        timeout 60 npm trust "$sub" "$@" --userconfig="$RC_ALICE" --registry="$REG/" --no-update-notifier --loglevel=warn
}
run npm_trust github ci-app --repository=acme/other --file=ci.yml --allow-publish --yes
isnt "$RUN_RC" 0 "npm trust github without a code is refused"
next_otp alice
run npm_trust github ci-app --repository=acme/other --file=ci.yml --allow-publish --yes --otp="$OTP"
is "$RUN_RC" 0 "npm trust github with --otp adds a trusted publisher"
[ "$RUN_RC" -eq 0 ] || diag_run
run npm_trust list ci-app --json
like "$(cat "$RUN_OUT_FILE")" "acme/other" "npm trust list shows it"
id_token "$GITHUB" '{"repository":"acme/other","repository_owner_id":"7","run_id":"5","workflow_ref":"acme/other/.github/workflows/ci.yml@refs/heads/main"}' >"$GH_TOKEN_FILE"
run ci_publish 1.3.0 GITHUB_ACTIONS=true ACTIONS_ID_TOKEN_REQUEST_URL="http://127.0.0.1:$GH_PORT/token" \
        ACTIONS_ID_TOKEN_REQUEST_TOKEN=gh-request-token
is "$RUN_RC" 0 "  ... and that workflow now publishes ci-app@1.3.0"
[ "$RUN_RC" -eq 0 ] || diag_run

# --- provenance ------------------------------------------------------------------------------------
mgr_json ListAuditEvents 'stu' ci-app 0 1000 | jq "$JQ_AASV" >"$TMP/audit.json"
audit_has "the GitLab exchange is audited with its provenance" "$TMP/audit.json" token-exchange ok \
        "ok: repository=acme/ci-app ref=main sha=feedf00d run_id=4242"
audit_has "the GitHub exchange too" "$TMP/audit.json" token-exchange ok \
        "ok: repository=acme/ci-app workflow=acme/ci-app/.github/workflows/release.yml@refs/tags/v1.1.0 ref=main sha=feedf00d run_id=99"
audit_has "the replay is audited" "$TMP/audit.json" token-exchange forbidden \
        "replayed-jti: repository=acme/ci-app ref=main sha=feedf00d run_id=4242"
audit_has "the other project's refusal is audited" "$TMP/audit.json" token-exchange forbidden \
        "claim-mismatch: repository=evil/ci-app ref=main sha=feedf00d run_id=4242"
is "$(jq '[.[] | select(.action == "publish" and .result == "allowed" and .version == "1.0.0"
        and (.actor | test("trusted publishing: acme/ci-app")))] | length' <"$TMP/audit.json")" 1 \
        "ci-app@1.0.0 was published by the trusted-publishing token"
is "$(jq -r '[.[] | select(.action == "publish" and .version == "1.1.0" and .result == "ok")][0].provenance
        | [.issuer, .repository, .workflow, .run_id] | join(" ")' <"$TMP/audit.json")" \
        "$GITHUB acme/ci-app acme/ci-app/.github/workflows/release.yml@refs/tags/v1.1.0 99" \
        "ci-app@1.1.0's publish record carries its provenance (issuer, repository, workflow, run id)"
run ctl --json package provenance ci-app 1.0.0
is "$(jq -r '[.[].provenance.run_id] | unique | join(" ")' "$RUN_OUT_FILE")" 4242 \
        "pkgtokenctl package provenance ci-app 1.0.0: from pipeline 4242"

done_testing
