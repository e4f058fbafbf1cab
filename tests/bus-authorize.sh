#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The publishing decision end to end over the bus: token types against package
# policies, scopes and patterns, maintainers, CIDR allow-lists (IPv4 and IPv6), invalid
# tokens (unknown, revoked, bad checksum, garbage), account tokens dying with their account,
# package tokens outliving their creator, publishing a new package, locked accounts, audit.

. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
setup_bus_and_daemon

for a in alice bob carol; do
        ok "account add $a" ctl account add "$a"
done
ok "account add ci-bot --kind=service" ctl account add ci-bot --kind=service
ok "package add p-none" ctl package add p-none --policy=none --maintainer=alice --maintainer=ci-bot
ok "package add p-default" ctl package add p-default --maintainer=alice --maintainer=ci-bot
ok "package add p-strict" ctl package add p-strict --policy=2fa-only --maintainer=alice --maintainer=ci-bot
ok "package add @acme/widget" ctl package add @acme/widget --policy=none --maintainer=alice
ok "package add @acme/gadget (bob's)" ctl package add @acme/gadget --policy=none --maintainer=bob
ok "package add acme-tools" ctl package add acme-tools --policy=none --maintainer=alice
ok "package add bob-pkg" ctl package add bob-pkg --policy=none --maintainer=bob
ok "package add shared-pkg (carol and bob)" ctl package add shared-pkg --policy=none --maintainer=carol --maintainer=bob

must_create_token RO alice --type=read-only --description="alice read"
must_create_token PUB alice --type=publish --description="alice laptop"
must_create_token AUTO alice --type=automation --description="alice ci"
must_create_token BOT ci-bot --type=automation --description="github-actions release"

# --- type against policy ---------------------------------------------------------------------------
expect_authz allowed   "read-only, read, p-default"     "$RO_SECRET" p-default read
expect_authz forbidden "read-only, publish, p-none"     "$RO_SECRET" p-none publish
expect_authz forbidden "read-only, publish, p-default"  "$RO_SECRET" p-default publish
expect_authz allowed   "publish, publish, p-none"       "$PUB_SECRET" p-none publish
# alice has no 2FA: an OTP she cannot give is refused outright rather than asked for
# (bus-twofa.sh covers accounts with 2FA).
expect_authz forbidden "publish, publish, p-default (no 2FA)" "$PUB_SECRET" p-default publish
expect_authz forbidden "publish, publish, p-strict (no 2FA)"  "$PUB_SECRET" p-strict publish
expect_authz allowed   "publish, read, p-strict"        "$PUB_SECRET" p-strict read
expect_authz allowed   "automation, publish, p-none"    "$AUTO_SECRET" p-none publish
expect_authz allowed   "automation, publish, p-default" "$AUTO_SECRET" p-default publish
expect_authz forbidden "automation, publish, p-strict"  "$AUTO_SECRET" p-strict publish
expect_authz allowed   "automation, read, p-strict"     "$AUTO_SECRET" p-strict read
expect_authz allowed   "service account automation, publish, p-default" "$BOT_SECRET" p-default publish
expect_authz forbidden "service account automation, publish, p-strict"  "$BOT_SECRET" p-strict publish

# --- maintainers: an unscoped account token covers what its account maintains -------------------------
expect_authz forbidden "automation, publish, bob-pkg (alice is not a maintainer)" "$AUTO_SECRET" bob-pkg publish
expect_authz forbidden "publish, publish, bob-pkg"  "$PUB_SECRET" bob-pkg publish
ok "bob makes alice a maintainer of bob-pkg" ctl package maintainer add bob-pkg alice
expect_authz allowed   "automation, publish, bob-pkg after that" "$AUTO_SECRET" bob-pkg publish
ok "package maintainer remove bob-pkg alice" ctl package maintainer remove bob-pkg alice
expect_authz forbidden "automation, publish, bob-pkg after removal" "$AUTO_SECRET" bob-pkg publish

# --- scopes ------------------------------------------------------------------------------------------------
must_create_token SC alice --type=automation --package='@acme/*' --description="acme scope"
expect_authz allowed   "scope @acme/*, publish @acme/widget" "$SC_SECRET" @acme/widget publish
expect_authz forbidden "scope @acme/*, publish acme-tools"   "$SC_SECRET" acme-tools publish
expect_authz forbidden "scope @acme/*, read acme-tools"      "$SC_SECRET" acme-tools read
expect_authz forbidden "scope @acme/*, publish p-none"       "$SC_SECRET" p-none publish
expect_authz forbidden "scope @acme/*, publish @acme/gadget (bob's)" "$SC_SECRET" @acme/gadget publish
must_create_token PFX alice --type=automation --package='acme-*'
expect_authz allowed   "scope acme-*, publish acme-tools"    "$PFX_SECRET" acme-tools publish
expect_authz forbidden "scope acme-*, publish @acme/widget"  "$PFX_SECRET" @acme/widget publish
must_create_token EX alice --type=automation --package=p-none --package=p-default
expect_authz allowed   "scope p-none,p-default, publish p-none"    "$EX_SECRET" p-none publish
expect_authz allowed   "scope p-none,p-default, publish p-default" "$EX_SECRET" p-default publish
expect_authz forbidden "scope p-none,p-default, publish acme-tools" "$EX_SECRET" acme-tools publish
expect_authz forbidden "scope p-none,p-default, publish p-strict"   "$EX_SECRET" p-strict publish

# --- CIDR allow-lists --------------------------------------------------------------------------------------
must_create_token NET alice --type=automation --cidr=192.0.2.0/24 --cidr=2001:db8::/32 --description="net"
expect_authz allowed   "CIDR, remote 192.0.2.7"       "$NET_SECRET" p-none publish --remote=192.0.2.7
expect_authz allowed   "CIDR, remote 192.0.2.255"     "$NET_SECRET" p-none publish --remote=192.0.2.255
expect_authz forbidden "CIDR, remote 192.0.3.1"       "$NET_SECRET" p-none publish --remote=192.0.3.1
expect_authz forbidden "CIDR, remote 198.51.100.1"    "$NET_SECRET" p-none publish --remote=198.51.100.1
expect_authz allowed   "CIDR, remote 2001:db8::1"     "$NET_SECRET" p-none publish --remote=2001:db8::1
expect_authz allowed   "CIDR, remote 2001:db8:ffff::5" "$NET_SECRET" p-none publish --remote=2001:db8:ffff::5
expect_authz forbidden "CIDR, remote 2001:db9::1"     "$NET_SECRET" p-none publish --remote=2001:db9::1
expect_authz forbidden "CIDR, remote ::1"             "$NET_SECRET" p-none publish --remote=::1
expect_authz allowed   "CIDR, IPv4-mapped ::ffff:192.0.2.9" "$NET_SECRET" p-none publish --remote=::ffff:192.0.2.9
expect_authz forbidden "CIDR, no remote address"      "$NET_SECRET" p-none publish
must_create_token HOST alice --type=automation --cidr=203.0.113.5
expect_authz allowed   "bare address, same address"   "$HOST_SECRET" p-none publish --remote=203.0.113.5
expect_authz forbidden "bare address, next address"   "$HOST_SECRET" p-none publish --remote=203.0.113.6
expect_authz allowed   "no allow-list, any remote"    "$AUTO_SECRET" p-none publish --remote=198.51.100.1

# The same decision over the bus.
mgr_authorize "$NET_SECRET" p-none publish 192.0.2.7
is "$MGR_RESULT" allowed "Authorize over the bus, remote inside: allowed"
is "$MGR_TOKEN_ID" "$NET_ID" "  ... names the token id"
mgr_authorize "$NET_SECRET" p-none publish 10.9.8.7
is "$MGR_RESULT" forbidden "Authorize over the bus, remote outside: forbidden"
like "$MGR_REASON" '.' "  ... with a reason"

# --- invalid tokens ------------------------------------------------------------------------------------------
# Flip the last checksum character, and one character of the random part.
last=${AUTO_SECRET: -1}
[ "$last" = A ] && bad_last=B || bad_last=A
expect_authz invalid "wrong checksum character" "${AUTO_SECRET:0:46}$bad_last" p-none publish
mid=${AUTO_SECRET:20:1}
[ "$mid" = x ] && other=y || other=x
expect_authz invalid "one random character changed" "${AUTO_SECRET:0:20}$other${AUTO_SECRET:21}" p-none publish
expect_authz invalid "token too short" "${AUTO_SECRET:0:40}" p-none publish
expect_authz invalid "token with an extra character" "${AUTO_SECRET}x" p-none publish
expect_authz invalid "garbage" "hello" p-none publish
authz "" p-none publish
if [ "$AUTHZ_RC" -eq 1 ] && { [ "$AUTHZ_RESULT" = invalid ] || [ -s "$RUN_ERR_FILE" ]; }; then
        pass "empty token: invalid, or refused with a message (exit 1)"
else
        fail "empty token: invalid, or refused with a message (exit 1)" "got '$AUTHZ_RESULT', exit code $AUTHZ_RC"
        diag_run
fi
expect_authz invalid "wrong prefix" "npm_${AUTO_SECRET:5}" p-none publish
mgr_authorize "${AUTO_SECRET:0:46}$bad_last" p-none publish
is "$MGR_RESULT" invalid "Authorize over the bus, bad checksum: invalid"
is "$MGR_ACTOR" "" "  ... names no actor"

must_create_token REV alice --type=automation
expect_authz allowed "before revocation" "$REV_SECRET" p-none publish
ok "token revoke" ctl token revoke "$REV_ID"
expect_authz invalid "revoked" "$REV_SECRET" p-none publish

# --- locked accounts ---------------------------------------------------------------------------------------------
must_create_token BOBT bob --type=automation
expect_authz allowed "bob's token, bob-pkg" "$BOBT_SECRET" bob-pkg publish
ok "account lock bob" ctl account lock bob
authz "$BOBT_SECRET" bob-pkg publish
if [ "$AUTHZ_RESULT" != allowed ] && [ "$AUTHZ_RC" -eq 1 ]; then
        pass "bob locked: his token is refused ($AUTHZ_RESULT)"
else
        fail "bob locked: his token is refused" "got '$AUTHZ_RESULT', exit code $AUTHZ_RC"
fi
ok "account unlock bob" ctl account unlock bob
expect_authz allowed "bob unlocked: his token works again" "$BOBT_SECRET" bob-pkg publish

# --- account tokens die with the account; package tokens outlive their creator ------------------------------------
must_create_token CARA carol --type=automation --description="carol personal"
must_create_token CARP carol --type=automation --package=shared-pkg --package-owned --description="shared-pkg release"
expect_authz allowed "carol's account token, shared-pkg" "$CARA_SECRET" shared-pkg publish
expect_authz allowed "carol's package token, shared-pkg" "$CARP_SECRET" shared-pkg publish
expect_authz forbidden "carol's package token, bob-pkg" "$CARP_SECRET" bob-pkg publish
is "$(ctl --json token list --package=shared-pkg | jq -r --arg id "$CARP_ID" 'map(.id) | index($id) != null')" true \
        "token list --package=shared-pkg lists the package token"
ok "account remove carol" ctl account remove carol
expect_authz invalid "carol's account token after her removal" "$CARA_SECRET" shared-pkg publish
expect_authz allowed "carol's package token after her removal" "$CARP_SECRET" shared-pkg publish
is "$(ctl --json token list --package=shared-pkg | jq -r --arg id "$CARP_ID" 'map(.id) | index($id) != null')" true \
        "  ... still listed for shared-pkg"
is "$(ctl --json package show shared-pkg | jq -r '.maintainers | join(" ")')" bob "shared-pkg: bob is the maintainer left"

# --- publishing a new package creates it, with the account as maintainer ------------------------------------------
exits 1 "brand-new does not exist yet" ctl package show brand-new
expect_authz allowed "automation token publishes brand-new" "$AUTO_SECRET" brand-new publish
run ctl --json package show brand-new
is "$RUN_RC" 0 "brand-new now exists"
is "$(jq -r '.maintainers | join(" ")' <"$RUN_OUT_FILE")" alice "  ... with alice as maintainer"
is "$(jq -r '.policy' <"$RUN_OUT_FILE")" 2fa-or-automation "  ... and the default policy"
expect_authz allowed "alice publishes brand-new again" "$AUTO_SECRET" brand-new publish
expect_authz forbidden "bob's token (not a maintainer) publishes brand-new" "$BOBT_SECRET" brand-new publish
expect_authz forbidden "ci-bot's token (not a maintainer) publishes brand-new" "$BOT_SECRET" brand-new publish
expect_authz allowed "scoped token publishes a new @acme/thing" "$SC_SECRET" @acme/thing publish
is "$(ctl --json package show @acme/thing | jq -r '.maintainers | join(" ")')" alice "  ... maintained by alice"
expect_authz forbidden "scoped token cannot publish a new package outside its scope" "$SC_SECRET" other-new publish
exits 1 "  ... and other-new was not created" ctl package show other-new
expect_authz forbidden "read-only token cannot create a package" "$RO_SECRET" ro-new publish
exits 1 "  ... ro-new was not created" ctl package show ro-new

# --- bad requests --------------------------------------------------------------------------------------------------
authz "$AUTO_SECRET" p-none delete
if [ "$AUTHZ_RC" -ne 0 ] && [ "$AUTHZ_RC" -le 125 ] && [ "$AUTHZ_RESULT" != allowed ]; then
        pass "unknown action refused (exit $AUTHZ_RC)"
else
        fail "unknown action refused" "got '$AUTHZ_RESULT', exit code $AUTHZ_RC"
fi
authz "$NET_SECRET" p-none publish --remote=not-an-address
if [ "$AUTHZ_RC" -ne 0 ] && [ "$AUTHZ_RC" -le 125 ] && [ "$AUTHZ_RESULT" != allowed ]; then
        pass "unparsable remote address refused (exit $AUTHZ_RC)"
else
        fail "unparsable remote address refused" "got '$AUTHZ_RESULT', exit code $AUTHZ_RC"
fi

# --- --json and the audit ------------------------------------------------------------------------------------------
printf '%s\n' "$BOT_SECRET" >"$TMP/bot.in"
RUN_STDIN=$TMP/bot.in run ctl --json authorize p-none publish
is "$RUN_RC" 0 "authorize --json: exit 0"
is "$(jq -r .result <"$RUN_OUT_FILE")" allowed "  ... result"
is "$(jq -r .token_id <"$RUN_OUT_FILE")" "$BOT_ID" "  ... token_id"
bot_actor=$(jq -r .actor <"$RUN_OUT_FILE")
like "$bot_actor" '^(ci-bot|Token "github-actions release"|ci-bot \(Token "github-actions release"\))$' \
        "  ... actor: the account and/or Token \"github-actions release\" ($bot_actor)"
like "$(jq -r .reason <"$RUN_OUT_FILE")" '.' "  ... a reason"
RUN_STDIN=$TMP/bot.in run ctl --json authorize p-strict publish
is "$RUN_RC" 1 "authorize --json, forbidden: exit 1"
is "$(jq -r .result <"$RUN_OUT_FILE")" forbidden "  ... result forbidden"

expect_authz allowed "package token publishes shared-pkg (for the audit)" "$CARP_SECRET" shared-pkg publish
run ctl --json audit --package=shared-pkg
is "$RUN_RC" 0 "audit --package=shared-pkg --json: exit 0"
audit_has "  ... the package token's publish: actor Token \"shared-pkg release\", its id, allowed" \
        "$RUN_OUT_FILE" 'Token "shared-pkg release"' "$CARP_ID" allowed
run ctl --json audit --package=p-none
audit_has "audit --package=p-none: ci-bot's allowed publish" "$RUN_OUT_FILE" "$bot_actor" "$BOT_ID" allowed
audit_has "  ... the refused publish from 198.51.100.1, with its remote address" \
        "$RUN_OUT_FILE" "$NET_ID" 198.51.100.1 forbidden
run ctl --json audit --package=p-strict
audit_has "audit --package=p-strict: the forbidden publishes are recorded too" \
        "$RUN_OUT_FILE" "$BOT_ID" forbidden
run ctl audit --package=p-strict
is "$RUN_RC" 0 "audit (text): exit 0"
like "$RUN_OUT" forbidden "  ... shows the result"
run ctl --json audit --package=p-none --limit=1
is "$(jq -r 'length' <"$RUN_OUT_FILE")" 1 "audit --limit=1: one event"
run mgr_json ListAuditEvents stu p-none 0 2
is "$(jq -r "$JQ_AASV | length" <"$RUN_OUT_FILE")" 2 "ListAuditEvents limit 2: two events"
for secret in "$AUTO_SECRET" "$BOT_SECRET" "$CARP_SECRET" "$NET_SECRET"; do
        if ctl --json audit | grep -qF "${secret:5:36}"; then
                fail "the audit never contains a secret (${secret:0:9}...)"
        else
                pass "the audit never contains a secret (${secret:0:9}...)"
        fi
done
if grep -qF -e "${AUTO_SECRET:5:36}" -e "${BOT_SECRET:5:36}" "$DAEMON_LOG"; then
        fail "the daemon's log never contains a secret"
else
        pass "the daemon's log never contains a secret"
fi

# --- a token unknown to this database ------------------------------------------------------------------------------
stop_daemon
is "$STOP_RC" 0 "pkgtokend exits 0 on SIGTERM"
STATE_DIR=$TMP/state-empty
must_start_daemon
expect_authz invalid "a well-formed token unknown to a fresh database" "$AUTO_SECRET" p-none publish
expect_authz invalid "  ... for reading too" "$AUTO_SECRET" p-none read
check_daemon_alive

done_testing
