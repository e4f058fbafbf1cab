#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Tokens over the bus: create (format, shown once), list, show, revoke (immediate), expiry
# (relative, absolute, none, and a real expiry a few seconds ahead), package tokens.

. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
setup_bus_and_daemon

ok "account add alice" ctl account add alice
ok "account add bob" ctl account add bob
ok "package add pub-pkg --policy=none" ctl package add pub-pkg --policy=none --maintainer=alice
ok "package add bob-pkg" ctl package add bob-pkg --policy=none --maintainer=bob

# --- create: the secret, its format, shown once ----------------------------------------------------
run ctl token create alice --type=publish --description="laptop"
is "$RUN_RC" 0 "token create (text): exit 0"
secret=$(printf '%s\n' "$RUN_OUT" | grep -m 1 '^pkgt_' || true)
like "$secret" '^pkgt_[0-9A-Za-z]{42}$' "  ... prints the secret on a line of its own"
is "$(printf '%s\n' "$RUN_OUT" | grep -c '^pkgt_')" 1 "  ... exactly once"

must_create_token T1 alice --type=publish --description="release laptop"
run ctl --json token create alice --type=read-only
is "$(jq -r 'has("id") and has("token")' <"$RUN_OUT_FILE")" true "token create --json: {\"id\", \"token\", ...}"
RO_ID=$(jq -r .id <"$RUN_OUT_FILE")
RO_SECRET=$(jq -r .token <"$RUN_OUT_FILE")
isnt "$RO_SECRET" "$T1_SECRET" "  ... a fresh secret each time"
isnt "$RO_ID" "$T1_ID" "  ... a fresh id each time"

# Listings never contain the secret, nor its random part.
random_part=${T1_SECRET:5:36}
for cmd in "token list" "token list --account=alice" "token show $T1_ID"; do
        # shellcheck disable=SC2086
        run ctl --json $cmd
        is "$RUN_RC" 0 "$cmd --json: exit 0"
        if grep -qF -e "$T1_SECRET" -e "$random_part" "$RUN_OUT_FILE"; then
                fail "  ... does not show the secret"
        else
                pass "  ... does not show the secret"
        fi
        # shellcheck disable=SC2086
        run ctl $cmd
        if [ "$RUN_RC" -eq 0 ] && ! grep -qF -e "$T1_SECRET" -e "$random_part" "$RUN_OUT_FILE"; then
                pass "$cmd (text): exit 0, no secret"
        else
                fail "$cmd (text): exit 0, no secret"
                diag_run
        fi
done
run mgr_json GetToken s "$T1_ID"
is "$RUN_RC" 0 "GetToken over the bus"
if grep -qF -e "$T1_SECRET" -e "$random_part" "$RUN_OUT_FILE"; then
        fail "  ... does not show the secret"
else
        pass "  ... does not show the secret"
fi
run mgr_json ListTokens ss "" ""
if [ "$RUN_RC" -eq 0 ] && ! grep -qF -e "$T1_SECRET" -e "$random_part" "$RUN_OUT_FILE"; then
        pass "ListTokens over the bus: no secret"
else
        fail "ListTokens over the bus: no secret"
        diag_run
fi

# --- show: the fields ----------------------------------------------------------------------------------
run ctl --json token show "$T1_ID"
is "$(jq -r .id <"$RUN_OUT_FILE")" "$T1_ID" "token show: id"
is "$(jq -r .type <"$RUN_OUT_FILE")" publish "  ... type publish"
is "$(jq -r .owner <"$RUN_OUT_FILE")" account "  ... owner account"
is "$(jq -r .account <"$RUN_OUT_FILE")" alice "  ... account alice"
is "$(jq -r .description <"$RUN_OUT_FILE")" "release laptop" "  ... description"
is "$(jq -r .prefix <"$RUN_OUT_FILE")" "${T1_SECRET:0:9}" "  ... display prefix = first 9 characters"
is "$(jq -r .state <"$RUN_OUT_FILE")" active "  ... state active"
exits 1 "token show of an unknown id: exit 1" ctl token show tk_000000000000
stderr_one_line "  ... one line on stderr"
error_is org.pkgtoken1.Error.NoSuchToken "GetToken of an unknown id: NoSuchToken" GetToken "'tk_000000000000'"

run mgr_json GetToken s "$T1_ID"
created=$(jq -r "$JQ_ASV | .created_at" <"$RUN_OUT_FILE")
now=$(now_usec)
if [ "$created" -gt $((now - 600000000)) ] && [ "$created" -le "$now" ]; then
        pass "GetToken: created_at is now (usec)"
else
        fail "GetToken: created_at is now (usec)" "created_at=$created now=$now"
fi
is "$(jq -r "$JQ_ASV | .expires_at" <"$RUN_OUT_FILE")" 0 "  ... expires_at 0 (never) by default"
is "$(jq -r "$JQ_ASV | .revoked_at" <"$RUN_OUT_FILE")" 0 "  ... revoked_at 0"
is "$(jq -r "$JQ_ASV | .type" <"$RUN_OUT_FILE")" publish "  ... type"

# --- list filters --------------------------------------------------------------------------------------
must_create_token BOB bob --type=automation --description="bob ci"
is "$(ctl --json token list --account=alice | jq -r --arg id "$T1_ID" 'map(.id) | index($id) != null')" true \
        "token list --account=alice has alice's token"
is "$(ctl --json token list --account=alice | jq -r --arg id "$BOB_ID" 'map(.id) | index($id) != null')" false \
        "token list --account=alice lacks bob's token"
is "$(ctl --json token list | jq -r --arg id "$BOB_ID" 'map(.id) | index($id) != null')" true \
        "token list has bob's token"
exits 1 "token list --account of an unknown account: exit 1" ctl token list --account=nobody-here

# --- revoke --------------------------------------------------------------------------------------------
expect_authz allowed "publish token on a 'none' package" "$T1_SECRET" pub-pkg publish
ok "token revoke" ctl token revoke "$T1_ID"
expect_authz invalid "right after revocation" "$T1_SECRET" pub-pkg publish
expect_authz invalid "  ... and for reading" "$T1_SECRET" pub-pkg read
run ctl --json token show "$T1_ID"
is "$(jq -r .state <"$RUN_OUT_FILE")" revoked "token show: state revoked"
run mgr_json GetToken s "$T1_ID"
isnt "$(jq -r "$JQ_ASV | .revoked_at" <"$RUN_OUT_FILE")" 0 "GetToken: revoked_at set"
exits 1 "token revoke of an unknown id: exit 1" ctl token revoke tk_000000000000
error_is org.pkgtoken1.Error.NoSuchToken "RevokeToken of an unknown id: NoSuchToken" RevokeToken "'tk_000000000000'"
ok "RevokeToken over the bus" mgr RevokeToken s "$RO_ID"
expect_authz invalid "read-only token after RevokeToken" "$RO_SECRET" pub-pkg read

# --- expiry: the CLI's forms --------------------------------------------------------------------------
expires_at() {
        mgr_json GetToken s "$1" | jq -r "$JQ_ASV | .expires_at"
}
day=$((86400 * 1000000))
must_create_token E90 alice --type=publish --expires=90d
e=$(expires_at "$E90_ID")
now=$(now_usec)
if [ "$e" -gt $((now + 89 * day)) ] && [ "$e" -le $((now + 91 * day)) ]; then
        pass "--expires=90d: expires_at in 90 days"
else
        fail "--expires=90d: expires_at in 90 days" "expires_at=$e now=$now"
fi
must_create_token E12 alice --type=publish --expires=12h
e=$(expires_at "$E12_ID")
if [ "$e" -gt $((now + 11 * 3600000000)) ] && [ "$e" -le $((now + 13 * 3600000000)) ]; then
        pass "--expires=12h: expires_at in 12 hours"
else
        fail "--expires=12h: expires_at in 12 hours" "expires_at=$e now=$now"
fi
must_create_token EDATE alice --type=publish --expires=2099-01-01
e=$(expires_at "$EDATE_ID")
d2099=$(($(date -u -d 2099-01-01 +%s) * 1000000))
if [ "$e" -ge $((d2099 - day)) ] && [ "$e" -le $((d2099 + day)) ]; then
        pass "--expires=2099-01-01: expires_at on that day"
else
        fail "--expires=2099-01-01: expires_at on that day" "expires_at=$e, 2099-01-01=$d2099"
fi
must_create_token ENONE alice --type=publish --expires=none
is "$(expires_at "$ENONE_ID")" 0 "--expires=none: expires_at 0"
expect_authz allowed "a token expiring in 90 days works" "$E90_SECRET" pub-pkg publish

before=$(ctl --json token list | jq -c 'map(.id) | sort')
not_ok "--expires=30s refused (below a minute)" ctl token create alice --type=publish --expires=30s
not_ok "--expires=2000-01-01 (in the past) refused" ctl token create alice --type=publish --expires=2000-01-01
not_ok "--expires=soon refused" ctl token create alice --type=publish --expires=soon
not_ok "--expires=-5d refused" ctl token create alice --type=publish --expires=-5d
is "$(ctl --json token list | jq -c 'map(.id) | sort')" "$before" "  ... no token created by the refused ones"

# --- expiry for real: a few seconds ahead through the bus -----------------------------------------------
exp=$(($(now_usec) + 3000000))
run mgr_json CreateToken 'ssasstasa{sv}' alice automation 0 "short-lived" "$exp" 0 0
is "$RUN_RC" 0 "CreateToken over the bus, expiring in 3 s"
SHORT_ID=$(jq -r '.data[0]' <"$RUN_OUT_FILE" 2>/dev/null)
SHORT_SECRET=$(jq -r '.data[1]' <"$RUN_OUT_FILE" 2>/dev/null)
like "$SHORT_SECRET" '^pkgt_[0-9A-Za-z]{42}$' "  ... returns (id, token)"
is "$(expires_at "$SHORT_ID")" "$exp" "  ... expires_at stored as given"
authz "$SHORT_SECRET" pub-pkg publish
first=$AUTHZ_RESULT
if [ "$(now_usec)" -lt "$exp" ]; then
        is "$first" allowed "  ... allowed before it expires"
else
        skip "the machine was too slow to check before expiry"
fi
expired_yet() {
        authz "$SHORT_SECRET" pub-pkg publish
        [ "$AUTHZ_RESULT" = invalid ]
}
if wait_for $((PKGTOKEN_TEST_TIMEOUT + 5)) expired_yet; then
        pass "  ... invalid once expired"
else
        fail "  ... invalid once expired" "last result: $AUTHZ_RESULT"
fi
if [ "$(now_usec)" -ge "$exp" ]; then
        pass "  ... and not before its time"
else
        fail "  ... and not before its time" "invalid at $(now_usec), expires_at $exp"
fi
is "$(ctl --json token show "$SHORT_ID" | jq -r .state)" expired "  ... token show: state expired"

# A token that expired before it was made is no token.
run mgr_json CreateToken 'ssasstasa{sv}' alice automation 0 "stillborn" 1 0 0
if [ "$RUN_RC" -ne 0 ]; then
        pass "CreateToken with expires_at in the past: refused"
else
        authz "$(jq -r '.data[1]' <"$RUN_OUT_FILE")" pub-pkg publish
        is "$AUTHZ_RESULT" invalid "CreateToken with expires_at in the past: refused or invalid"
fi

# --- package tokens -------------------------------------------------------------------------------------
must_create_token PKG alice --type=automation --package=pub-pkg --package-owned --description="pub-pkg release"
run ctl --json token show "$PKG_ID"
is "$(jq -r .owner <"$RUN_OUT_FILE")" package "package token: owner package"
is "$(jq -c .scope <"$RUN_OUT_FILE")" '["pub-pkg"]' "  ... scope [pub-pkg]"
is "$(ctl --json token list --package=pub-pkg | jq -r --arg id "$PKG_ID" 'map(.id) | index($id) != null')" true \
        "  ... in token list --package=pub-pkg"
is "$(ctl --json token list --package=bob-pkg | jq -r --arg id "$PKG_ID" 'map(.id) | index($id) != null')" false \
        "  ... not in token list --package=bob-pkg"
exits 1 "token list --package of an unknown package: exit 1" ctl token list --package=no-such-pkg
before=$(ctl --json token list | jq -c 'map(.id) | sort')
not_ok "--package-owned for a package alice does not maintain: refused" \
        ctl token create alice --type=automation --package=bob-pkg --package-owned
not_ok "--package-owned with a pattern: refused" \
        ctl token create alice --type=automation --package='pub-*' --package-owned
not_ok "--package-owned without --package: refused" \
        ctl token create alice --type=automation --package-owned
is "$(ctl --json token list | jq -c 'map(.id) | sort')" "$before" "  ... no token created by the refused ones"
run mgr_json CreateToken 'ssasstasa{sv}' alice automation 1 pub-pkg "bus package token" 0 0 1 package_owned b true
is "$RUN_RC" 0 "CreateToken with package_owned over the bus"
is "$(mgr_json GetToken s "$(jq -r '.data[0]' <"$RUN_OUT_FILE")" | jq -r "$JQ_ASV | .owner")" package \
        "  ... owner package"

# --- bad arguments are refused and change nothing --------------------------------------------------------
before=$(ctl --json token list | jq -c 'map(.id) | sort')
not_ok "token create --type=admin refused" ctl token create alice --type=admin
not_ok "token create without --type refused" ctl token create alice
exits 1 "token create for an unknown account: exit 1" ctl token create nobody-here --type=publish
error_is org.pkgtoken1.Error.NoSuchAccount "CreateToken for an unknown account: NoSuchAccount" \
        CreateToken "'nobody-here'" "'publish'" "@as []" "''" "@t 0" "@as []" "@a{sv} {}"
error_is org.pkgtoken1.Error.InvalidArgument "CreateToken with a bad type: InvalidArgument" \
        CreateToken "'alice'" "'admin'" "@as []" "''" "@t 0" "@as []" "@a{sv} {}"
is "$(ctl --json token list | jq -c 'map(.id) | sort')" "$before" "  ... no token created"

check_daemon_alive
stop_daemon
is "$STOP_RC" 0 "pkgtokend exits 0 on SIGTERM"

done_testing
