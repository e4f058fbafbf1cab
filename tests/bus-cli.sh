#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# pkgtokenctl as a user meets it: every verb, exit codes (0 success, 1 refused or failed,
# 2 usage), --json that jq parses, --no-legend, --help, one-line errors, and a clear error
# when the daemon or the bus is not there.  Also pkgtokend's own --help, --version and
# option errors.

. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
need_binaries
need timeout
start_bus || bail_out "the private dbus-daemon did not start"

VERSION=$(sed -n 's/^AC_INIT(\[pkgtoken\], \[\([^]]*\)\].*/\1/p' "$top_srcdir/configure.ac")

# --- pkgtokend's command line ----------------------------------------------------------------------
run "$PKGTOKEND" --help
is "$RUN_RC" 0 "pkgtokend --help: exit 0"
like "$RUN_OUT" '--state-dir' "  ... mentions --state-dir"
like "$RUN_OUT" '--bus-address' "  ... mentions --bus-address"
run "$PKGTOKEND" --version
is "$RUN_RC" 0 "pkgtokend --version: exit 0"
like "$RUN_OUT" "$VERSION" "  ... prints $VERSION"
mkdir -p "$TMP/unused-state"
run timeout 5 "$PKGTOKEND" --state-dir="$TMP/unused-state" --frobnicate
if [ "$RUN_RC" -ne 0 ] && [ "$RUN_RC" -le 125 ] && [ -s "$RUN_ERR_FILE" ]; then
        pass "pkgtokend --frobnicate: refused with a message (exit $RUN_RC)"
else
        fail "pkgtokend --frobnicate: refused with a message"
        diag_run
fi
if [ -e "$TMP/unused-state/tokens.db" ]; then
        fail "  ... and no database created"
else
        pass "  ... and no database created"
fi
run timeout 5 "$PKGTOKEND" --state-dir="$TMP/unused-state" extra-argument
if [ "$RUN_RC" -ne 0 ] && [ "$RUN_RC" -le 125 ]; then
        pass "pkgtokend with a stray argument: refused (exit $RUN_RC)"
else
        fail "pkgtokend with a stray argument: refused"
        diag_run
fi

# --- no daemon: a clear error, exit 1 ------------------------------------------------------------------
exits 1 "status with the bus up but no daemon: exit 1" ctl status
like "$RUN_ERR" '.' "  ... with an error message"
stderr_one_line "  ... on one line"
exits 1 "account list with no daemon: exit 1" ctl account list
run "$PKGTOKENCTL" --bus-address="unix:path=$TMP/no-such-socket" status
is "$RUN_RC" 1 "status with no bus at all: exit 1"
like "$RUN_ERR" '.' "  ... with an error message"
stderr_one_line "  ... on one line"
printf 'pkgt_x\n' >"$TMP/tok.in"
RUN_STDIN=$TMP/tok.in run ctl authorize pkg publish
is "$RUN_RC" 1 "authorize with no daemon: exit 1 (fail closed)"
unlike "$RUN_OUT" '^allowed' "  ... and never 'allowed'"
run env PKGTOKEN_BUS_ADDRESS="$PKGTOKEN_BUS_ADDRESS" "$PKGTOKENCTL" status
is "$RUN_RC" 1 "PKGTOKEN_BUS_ADDRESS in the environment is used (no daemon there: exit 1)"

must_start_daemon
run env PKGTOKEN_BUS_ADDRESS="$PKGTOKEN_BUS_ADDRESS" "$PKGTOKENCTL" status
is "$RUN_RC" 0 "PKGTOKEN_BUS_ADDRESS in the environment is used (daemon there: exit 0)"

# --- usage: exit 2 -------------------------------------------------------------------------------------------
run "$PKGTOKENCTL" --help
is "$RUN_RC" 0 "--help: exit 0"
for verb in status account package token authorize audit; do
        like "$RUN_OUT" "$verb" "  ... mentions $verb"
done
exits 2 "unknown verb: exit 2" ctl frobnicate
stderr_one_line "  ... one line on stderr"
exits 2 "unknown option: exit 2" ctl --frobnicate status
exits 2 "account without a sub-verb: exit 2" ctl account
exits 2 "account frobnicate: exit 2" ctl account frobnicate
exits 2 "account add without a name: exit 2" ctl account add
exits 2 "account add with two names: exit 2" ctl account add x y
exits 2 "account show without a name: exit 2" ctl account show
exits 2 "package add without a name: exit 2" ctl package add
exits 2 "package policy with one argument: exit 2" ctl package policy x
exits 2 "package maintainer add with one argument: exit 2" ctl package maintainer add x
exits 2 "token create without --type: exit 2" ctl token create alice
exits 2 "token create without an account: exit 2" ctl token create --type=publish
exits 2 "token show without an id: exit 2" ctl token show
exits 2 "token revoke without an id: exit 2" ctl token revoke
exits 2 "authorize without an action: exit 2" ctl authorize pkg
exits 2 "audit --limit=abc: exit 2" ctl audit --limit=abc

# --- every verb, text and --json -------------------------------------------------------------------------------
json_ok() {
        local desc=$1
        shift
        run ctl --json "$@"
        if [ "$RUN_RC" -eq 0 ] && jq -e . <"$RUN_OUT_FILE" >/dev/null 2>&1; then
                pass "$desc --json: exit 0, valid JSON"
        else
                fail "$desc --json: exit 0, valid JSON"
                diag_run
        fi
}

ok "status" ctl status
json_ok "status" status
is "$(jq -r type <"$RUN_OUT_FILE")" object "  ... an object"
ok "account add alice" ctl account add alice --email=alice@example.org
ok "account add bob" ctl account add bob
ok "account add ci --kind=service" ctl account add ci --kind=service
ok "account list" ctl account list
json_ok "account list" account list
is "$(jq -r 'type' <"$RUN_OUT_FILE")" array "  ... an array"
ok "account show alice" ctl account show alice
json_ok "account show alice" account show alice
ok "account lock bob" ctl account lock bob
ok "account unlock bob" ctl account unlock bob
ok "package add pkg" ctl package add pkg --policy=none --maintainer=alice
ok "package add pkg2" ctl package add pkg2 --maintainer=alice
ok "package list" ctl package list
json_ok "package list" package list
ok "package show pkg" ctl package show pkg
json_ok "package show pkg" package show pkg
ok "package policy pkg2 2fa-only" ctl package policy pkg2 2fa-only
ok "package maintainer add pkg bob" ctl package maintainer add pkg bob
ok "package maintainer remove pkg bob" ctl package maintainer remove pkg bob
run ctl token create alice --type=automation --description="cli test"
is "$RUN_RC" 0 "token create"
SECRET=$(printf '%s\n' "$RUN_OUT" | grep -m 1 '^pkgt_' || true)
like "$SECRET" '^pkgt_[0-9A-Za-z]{42}$' "  ... prints the secret"
must_create_token T alice --type=publish --package=pkg --cidr=192.0.2.0/24 --expires=90d --description="json"
ok "token list" ctl token list
json_ok "token list" token list
json_ok "token list --account=alice" token list --account=alice
json_ok "token list --package=pkg" token list --package=pkg
ok "token show" ctl token show "$T_ID"
json_ok "token show" token show "$T_ID"
is "$(jq -c .allowed_cidrs <"$RUN_OUT_FILE")" '["192.0.2.0/24"]' "  ... allowed_cidrs"
is "$(jq -c .scope <"$RUN_OUT_FILE")" '["pkg"]' "  ... scope"
printf '%s\n' "$SECRET" >"$TMP/secret.in"
RUN_STDIN=$TMP/secret.in run ctl authorize pkg publish
is "$RUN_RC" 0 "authorize: exit 0 when allowed"
is "$(printf '%s\n' "$RUN_OUT" | head -n 1)" allowed "  ... first line 'allowed'"
RUN_STDIN=$TMP/secret.in run ctl --json authorize pkg publish
is "$(jq -r .result <"$RUN_OUT_FILE" 2>/dev/null)" allowed "authorize --json: .result"
is "$(jq -r 'has("reason") and has("actor") and has("token_id")' <"$RUN_OUT_FILE" 2>/dev/null)" true \
        "  ... .reason .actor .token_id"
RUN_STDIN=$TMP/secret.in run ctl authorize pkg2 publish
is "$RUN_RC/$(printf '%s\n' "$RUN_OUT" | head -n 1)" 1/forbidden "authorize: exit 1 when forbidden"
RUN_STDIN=$TMP/secret.in run ctl authorize pkg publish --remote=192.0.2.1
is "$RUN_RC" 0 "authorize --remote: exit 0"
ok "audit" ctl audit
json_ok "audit" audit
is "$(jq -r type <"$RUN_OUT_FILE")" array "  ... an array"
json_ok "audit --package=pkg --limit=5" audit --package=pkg --limit=5

# --- refusals: exit 1, one line on stderr ------------------------------------------------------------------------
for args in "account show nobody-here" "account add alice" "package show no-such" \
            "package add pkg --maintainer=alice" "token show tk_000000000000" \
            "token revoke tk_000000000000" "package maintainer remove pkg bob"; do
        # shellcheck disable=SC2086
        exits 1 "$args: exit 1" ctl $args
        stderr_one_line "  ... one line on stderr"
        is "$RUN_OUT" "" "  ... nothing on stdout"
done

# --- --no-legend -------------------------------------------------------------------------------------------------
run ctl --no-legend account list
is "$RUN_RC" 0 "--no-legend account list: exit 0"
is "$(printf '%s\n' "$RUN_OUT" | grep -c .)" 3 "  ... one line per account, nothing else"
is "$(printf '%s\n' "$RUN_OUT" | awk '{ print $1 }' | sort | tr '\n' ' ')" "alice bob ci " "  ... each starting with the name"
run ctl account list
with=$(printf '%s\n' "$RUN_OUT" | grep -c .)
if [ "$with" -gt 3 ]; then
        pass "account list without --no-legend has a legend ($with lines)"
else
        fail "account list without --no-legend has a legend" "$with lines"
fi
run ctl --no-legend package list
is "$(printf '%s\n' "$RUN_OUT" | awk '{ print $1 }' | sort | tr '\n' ' ')" "pkg pkg2 " "--no-legend package list"
run ctl --no-legend token list --account=alice
is "$(printf '%s\n' "$RUN_OUT" | grep -c .)" 2 "--no-legend token list: one line per token"
ok "token revoke" ctl token revoke "$T_ID"

check_daemon_alive
stop_daemon
is "$STOP_RC" 0 "pkgtokend exits 0 on SIGTERM"
exits 1 "status after the daemon stopped: exit 1" ctl status

done_testing
