#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Staged publishing end to end (the set-up of tests/lib-verdaccio.sh): the real npm 11 CLI's
# `npm stage publish|list|view|download|approve|reject` -> Verdaccio with the plugin -> the real
# pkgtokend.  An automation token stages without a code; the staged version is invisible until
# a maintainer approves it with --otp, then npm view and npm install see exactly those bytes; a
# rejected version never appears; an automation token cannot approve; a package that requires
# approval refuses a direct npm publish with a message that says to stage; an approval made
# with pkgtokenctl is published by the plugin on its own.

# shellcheck disable=SC2317 # helpers are called through run/ok
VERDACCIO_PLUGIN_SETTINGS='    stage_poll: 1s'
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib-verdaccio.sh"

mgr CreatePackage ssas s-pkg 2fa-or-automation 1 alice >/dev/null || bail_out "package s-pkg"
mgr CreatePackage ssas s-gated 2fa-or-automation 1 alice >/dev/null || bail_out "package s-gated"
ok "s-gated requires approval" ctl package policy s-gated --require-approval=yes

# in_dir DIR COMMAND...: COMMAND run in DIR.
in_dir() {
        (cd "$1" && shift && "$@")
}
# stage RC NAME VERSION: npm stage publish; STAGE_ID from npm's "(staged with id ...)".
stage() {
        run in_dir "$(make_pkg "$2" "$3")" npmx "$1" stage publish
        STAGE_ID=$(grep -oE 'staged with id [0-9a-f-]{36}' "$RUN_OUT_FILE" | awk '{print $4}')
}
# visible RC NAME@VERSION: npm view finds that version.
visible() {
        npmx "$1" view "$2" version >/dev/null 2>&1
}

# --- staging with an automation token, never a code ------------------------------------------
stage "$RC_AUTO" s-pkg 1.0.0
if [ "$RUN_RC" -eq 0 ] && [ -n "$STAGE_ID" ]; then pass "npm stage publish with an automation token, no OTP"; else fail "npm stage publish with an automation token"; diag_run; fi
S1=$STAGE_ID
run visible "$RC_AUTO" s-pkg@1.0.0
isnt "$RUN_RC" 0 "  ... npm view does not see the staged version"
is "$(curl -s -o /dev/null -w '%{http_code}' "$REG/s-pkg/-/s-pkg-1.0.0.tgz")" 404 "  ... nor can its tarball be fetched"
run npmx "$RC_AUTO" stage list --json
is "$(jq -r --arg id "$S1" '[.[] | select(.id == $id) | .packageName + "@" + .version] | join(",")' <"$RUN_OUT_FILE" 2>/dev/null)" \
        "s-pkg@1.0.0" "npm stage list shows it"
run npmx "$RC_AUTO" stage view "$S1" --json
is "$(jq -r '.state + " " + .actor' <"$RUN_OUT_FILE" 2>/dev/null)" 'staged alice (Token "alice ci")' "npm stage view: staged, by whom"
run in_dir "$TMP" npmx "$RC_AUTO" stage download "$S1"
is "$RUN_RC" 0 "npm stage download"
is "$(ctl --json stage show "$S1" | jq -r .state)" staged "pkgtokenctl stage show: staged"

# --- approving: never a token alone --------------------------------------------------------------
run npmx "$RC_AUTO" stage approve "$S1" --otp=123456
isnt "$RUN_RC" 0 "an automation token cannot approve (even with a code)"
like "$(cat "$RUN_OUT_FILE" "$RUN_ERR_FILE")" '403 Forbidden.*automation and package tokens.*cannot approve' "  ... npm shows why"
run npmx "$RC_PUB" stage approve "$S1"
if [ "$RUN_RC" -ne 0 ] && grep -qE 'EOTP|one-time' "$RUN_ERR_FILE"; then pass "alice's publish token without a code: EOTP"; else fail "alice's publish token without a code: EOTP"; diag_run; fi
next_otp alice
ok "alice approves with --otp" npmx "$RC_PUB" stage approve "$S1" --otp="$OTP"
is "$(npmx "$RC_NONE" view s-pkg@1.0.0 version 2>/dev/null)" 1.0.0 "  ... npm view sees s-pkg@1.0.0"
mkdir -p "$TMP/consumer"
printf '{"name":"consumer","version":"1.0.0","private":true}\n' >"$TMP/consumer/package.json"
run in_dir "$TMP/consumer" npmx "$RC_NONE" install s-pkg@1.0.0
is "$RUN_RC/$(jq -r .version "$TMP/consumer/node_modules/s-pkg/package.json" 2>/dev/null)" 0/1.0.0 "  ... npm install installs it"
is "$(ctl --json stage show "$S1" | jq -r '.state + " " + .decided_by')" "published alice (registry uid $(is_root && id -u nobody || id -u))" \
        "  ... pkgtokend: published, decided by alice through the registry"
run ctl --json audit --package=s-pkg
like "$(cat "$RUN_OUT_FILE")" '"published s-pkg@1.0.0 as approved by alice' "  ... audited as published with the version"

# --- rejecting -----------------------------------------------------------------------------------
stage "$RC_AUTO" s-pkg 1.1.0
S2=$STAGE_ID
[ -n "$S2" ] && pass "s-pkg@1.1.0 staged" || { fail "s-pkg@1.1.0 staged"; diag_run; }
next_otp alice
ok "alice rejects it with --otp" npmx "$RC_PUB" stage reject "$S2" --otp="$OTP"
run visible "$RC_AUTO" s-pkg@1.1.0
isnt "$RUN_RC" 0 "  ... npm view never sees s-pkg@1.1.0"
run npmx "$RC_AUTO" stage list --json
is "$(jq -r --arg id "$S2" '[.[] | select(.id == $id)] | length' <"$RUN_OUT_FILE" 2>/dev/null)" 0 "  ... nor does npm stage list"
is "$(ctl --json stage show "$S2" | jq -r .state)" rejected "  ... pkgtokend: rejected"

# --- a package that requires approval ---------------------------------------------------------------
run publish "$RC_AUTO" s-gated 1.0.0
isnt "$RUN_RC" 0 "npm publish of a package that requires approval is refused"
like "$(cat "$RUN_OUT_FILE" "$RUN_ERR_FILE")" '403 Forbidden.*requires approval.*npm stage publish' "  ... npm says to stage"
next_otp alice
run publish "$RC_PUB" s-gated 1.0.0 --otp="$OTP"
isnt "$RUN_RC" 0 "  ... also with a publish token and a code"
stage "$RC_AUTO" s-gated 1.0.0
S3=$STAGE_ID
[ -n "$S3" ] && pass "s-gated@1.0.0 staged" || { fail "s-gated@1.0.0 staged"; diag_run; }
ok "an administrator approves it with pkgtokenctl" ctl stage approve "$S3"
if wait_for 30 visible "$RC_NONE" s-gated@1.0.0; then pass "  ... the plugin publishes it on its own"; else fail "  ... the plugin publishes it on its own"; diag_file "verdaccio log" "$VLOG"; fi
is "$(ctl --json stage show "$S3" | jq -r .state)" published "  ... pkgtokend: published"

# --- bob, no maintainer ---------------------------------------------------------------------------
RC_BOBAUTO=$(rc_with bobauto "$BOBAUTO_SECRET")
stage "$RC_BOBAUTO" s-pkg 2.0.0
if [ "$RUN_RC" -ne 0 ] && grep -q 'E403' "$RUN_ERR_FILE"; then pass "bob cannot stage alice's package: 403"; else fail "bob cannot stage alice's package: 403"; diag_run; fi

! grep -q 'pkgt_' "$VLOG" && pass "no token in Verdaccio's log" || fail "no token in Verdaccio's log"
done_testing
