#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Token lifetimes (issue 10) over the bus and the CLI: DefaultWriteTokenLifetimeSec= and
# MaxWriteTokenLifetimeSec= (here npm's strict 7 d / 90 d), MaxReadTokenLifetimeSec=, a
# package's shorter maximum (pkgtokenctl package policy --max-token-lifetime=) for the tokens
# whose scope covers it; it survives a restart.  TokenExpiring once per token (also across a
# restart), its log line, and pkgtokenctl token list --expiring=.

. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
need jq

DAY=$((86400 * 1000000))
CONFIG=$TMP/pkgtokend.conf
LIMITS=(DefaultWriteTokenLifetimeSec=7d MaxWriteTokenLifetimeSec=90d MaxReadTokenLifetimeSec=1d)
# No warnings until the watcher below is ready (TokenExpiryWarningSec=0 is off).
write_config "$CONFIG" "${LIMITS[@]}" TokenExpiryWarningSec=0
setup_bus_and_daemon --config="$CONFIG"

add_alice_bob_pkg
ok "package add other (alice)" ctl package add other --policy=none --maintainer=alice

# expires_in ID: days (rounded) until the token expires, "never" for none.
expires_in() {
        local e
        e=$(mgr_json GetToken s "$1" | jq -r "$JQ_ASV | .expires_at")
        if [ "$e" = 0 ]; then echo never; else echo $(((e - $(now_usec) + DAY / 2) / DAY)); fi
}
# bus_token ACCOUNT TYPE SCOPE EXPIRES [OPTION-TRIPLES]: CreateToken; sets NEW_ID or CALL_ERROR.
bus_token() {
        local account=$1 type=$2 scope=$3 expires=$4 s=(0)
        shift 4
        [ -n "$scope" ] && s=(1 "$scope")
        NEW_ID=
        run mgr_json CreateToken 'ssasstasa{sv}' "$account" "$type" "${s[@]}" "lifetime test" "$expires" 0 \
                $(($# / 3)) "$@"
        [ "$RUN_RC" -eq 0 ] && NEW_ID=$(jq -r '.data[0]' <"$RUN_OUT_FILE")
        return 0
}

# --- the settings -----------------------------------------------------------------------------
bus_token alice automation "" 0
is "$(expires_in "$NEW_ID")" 7 "an automation token without an expiry gets DefaultWriteTokenLifetimeSec= (7 d)"
bus_token alice publish "" $(($(now_usec) + 90 * DAY - 60000000))
is "$(expires_in "$NEW_ID")" 90 "  ... 90 days asked for: allowed (MaxWriteTokenLifetimeSec=90d)"
bus_token alice publish "" $(($(now_usec) + 91 * DAY))
is "$RUN_RC/$NEW_ID" 1/ "  ... 91 days: refused"
like "$(cat "$RUN_ERR_FILE")" 'at most 90 days \(MaxWriteTokenLifetimeSec=\)' "  ... saying the limit and where it comes from"
error_is org.pkgtoken1.Error.InvalidArgument "  ... InvalidArgument" CreateToken "'alice'" "'publish'" "@as []" "'x'" \
        "uint64 $(($(now_usec) + 91 * DAY))" "@as []" "@a{sv} {}"
exits 1 "pkgtokenctl token create --expires=100d: refused" ctl token create alice --type=automation --expires=100d
like "$(cat "$RUN_ERR_FILE")" 'at most 90 days' "  ... with the daemon's message"
bus_token alice read-only "" 0
is "$(expires_in "$NEW_ID")" 1 "a read-only token without an expiry: capped at MaxReadTokenLifetimeSec= (1 d)"
bus_token alice read-only "" $(($(now_usec) + 2 * DAY))
is "$RUN_RC" 1 "  ... 2 days: refused"
like "$(cat "$RUN_ERR_FILE")" 'MaxReadTokenLifetimeSec=' "  ... by MaxReadTokenLifetimeSec="

# --- a package's maximum --------------------------------------------------------------------------
ok "package policy pkg --max-token-lifetime=2d" ctl package policy pkg --max-token-lifetime=2d
is "$(mgr_json GetPackage s pkg | jq -r "$JQ_ASV | .max_token_lifetime")" $((2 * DAY)) "  ... GetPackage: max_token_lifetime"
like "$(ctl package show pkg)" 'Max token lifetime: 2d' "  ... package show: 2d"
is "$(mgr_json GetPackage s pkg | jq -r "$JQ_ASV | .policy")" none "  ... the policy is unchanged"
bus_token alice automation pkg 0
is "$(expires_in "$NEW_ID")" 2 "a token scoped to pkg without an expiry: the package's 2 d"
bus_token alice automation pkg $(($(now_usec) + 3 * DAY))
is "$RUN_RC" 1 "  ... 3 days: refused"
like "$(cat "$RUN_ERR_FILE")" "at most 2 days \\(a package in the token's scope\\)" "  ... saying the package's limit binds"
bus_token alice automation "pk*" $(($(now_usec) + 3 * DAY))
is "$RUN_RC" 1 "a pattern covering pkg: refused too"
bus_token alice automation "" 0
is "$(expires_in "$NEW_ID")" 2 "an unscoped token of a maintainer of pkg: 2 d"
bus_token bob automation "" 0
is "$(expires_in "$NEW_ID")" 7 "an unscoped token of bob (no maintainer of pkg): the default 7 d"
bus_token alice automation other 0
is "$(expires_in "$NEW_ID")" 7 "a token scoped to another package: the default 7 d"
bus_token alice automation pkg $(($(now_usec) + 3 * DAY)) package_owned b true
is "$RUN_RC" 1 "a package token of pkg for 3 days: refused"
ok "package policy pkg 2fa-only --max-token-lifetime=none" ctl package policy pkg 2fa-only --max-token-lifetime=none
is "$(ctl --json package show pkg | jq -r '.policy + "/" + (.max_token_lifetime | tostring)')" 2fa-only/0 \
        "  ... both changed: policy 2fa-only, no package maximum"
ok "package set-policy pkg --max-token-lifetime=36h" ctl package set-policy pkg --max-token-lifetime=36h
exits 2 "package policy pkg without a policy or a lifetime: usage error" ctl package policy pkg
exits 2 "--max-token-lifetime=3661d: a usage error" ctl package policy pkg --max-token-lifetime=3661d
error_is org.pkgtoken1.Error.NoSuchPackage "SetPackageOptions(unknown package, max_token_lifetime): NoSuchPackage" \
        SetPackageOptions "'nope'" "{'max_token_lifetime': <uint64 0>}"
error_is org.pkgtoken1.Error.InvalidArgument "SetPackageOptions(max_token_lifetime 11 years): InvalidArgument" \
        SetPackageOptions "'pkg'" "{'max_token_lifetime': <uint64 $((4018 * DAY))>}"
ok "SetPackageOptions sets both options at once" mgr SetPackageOptions 'sa{sv}' pkg 2 \
        require_approval b true max_token_lifetime t $((2 * DAY))
is "$(ctl --json package show pkg | jq -r '(.require_approval | tostring) + "/" + (.max_token_lifetime | tostring)')" \
        "true/$((2 * DAY))" "  ... require_approval and the maximum, read back"
ok "  ... and puts them back" mgr SetPackageOptions 'sa{sv}' pkg 2 require_approval b false max_token_lifetime t $((36 * 3600 * 1000000))

# --- expiry warnings (TokenExpiryWarningSec=, default 7 d) -----------------------------------------
bus_token bob automation "" $(($(now_usec) + 3 * DAY)) && SOON=$NEW_ID
bus_token bob automation "" $(($(now_usec) + 30 * DAY)) && LATER=$NEW_ID
bus_token bob automation "" $(($(now_usec) + 2 * DAY)) && GONE=$NEW_ID
ok "  ... one of them revoked" ctl token revoke "$GONE"
run ctl --json token list --expiring=7d
is "$(jq -r "[.[] | select(.id == \"$SOON\" or .id == \"$LATER\" or .id == \"$GONE\") | .id] | join(\",\")" \
        <"$RUN_OUT_FILE")" "$SOON" "token list --expiring=7d: the active token expiring in 3 d only"
run ctl --json token list --expiring=40d --account=bob
is "$(jq -r "[.[] | select(.id == \"$SOON\" or .id == \"$LATER\")] | length" <"$RUN_OUT_FILE")" 2 \
        "token list --expiring=40d --account=bob: both"
exits 2 "token list --expiring=soon: a usage error" ctl token list --expiring=soon

SIGNALS=$TMP/signals
have_gdbus || bail_out "gdbus is needed to watch signals"
# The daemon's maintenance tick runs a second after start: restart it with a watcher ready.
gdbus monitor --address "$PKGTOKEN_BUS_ADDRESS" --dest org.pkgtoken1 --object-path /org/pkgtoken1 >"$SIGNALS" 2>&1 &
MONITOR_PID=$!
_pids+=("$MONITOR_PID")
sleep 0.5

# --- it survives a restart ------------------------------------------------------------------------
stop_daemon
is "$STOP_RC" 0 "pkgtokend exits 0 on SIGTERM"
is "$(grep -c TokenExpiring "$SIGNALS")" 0 "TokenExpiryWarningSec=0: no warnings"
write_config "$CONFIG" "${LIMITS[@]}"
must_start_daemon --config="$CONFIG"
is "$(mgr_json GetPackage s pkg | jq -r "$JQ_ASV | .max_token_lifetime")" $((36 * 3600 * 1000000)) \
        "after a restart: the package's maximum is still 36 h"
if wait_for 15 grep -q "TokenExpiring ('$SOON', 'bob'" "$SIGNALS"; then
        pass "TokenExpiring(id, account, expires_at) for the token expiring in 3 d"
else
        fail "TokenExpiring(id, account, expires_at) for the token expiring in 3 d"
        diag_file signals "$SIGNALS"
fi
sleep 1
is "$(grep -c "TokenExpiring ('$LATER'\|TokenExpiring ('$GONE'" "$SIGNALS")" 0 "  ... none for the one in 30 d nor the revoked one"
like "$(cat "$DAEMON_LOG")" "token $SOON of bob expires at [^ ]" "  ... and a log line (the id, no secret)"
stop_daemon
must_start_daemon --config="$CONFIG"
sleep 3
is "$(grep -c "TokenExpiring ('$SOON'" "$SIGNALS")" 1 "  ... once: not again after a restart"

check_daemon_alive
stop_daemon
is "$STOP_RC" 0 "pkgtokend exits 0 on SIGTERM"
done_testing
