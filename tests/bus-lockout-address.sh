#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Lockouts that nobody can trigger from afar: LockoutThreshold= failed passwords or codes for
# one name from one remote address lock that name for that address only (addresses counted
# as the rate limiter counts them: an IPv4-mapped address is its IPv4 address, IPv6 by /64);
# LockoutAccountThreshold= failures from all addresses together lock the whole account, which
# is what CheckAccount and GetAccount report.  Unknown names get the same answers; both kinds
# of lockout survive a restart; tokens keep working during either.

. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

CONFIG=$TMP/pkgtokend.conf
write_config "$CONFIG" PasswordCost=1 LockoutThreshold=3 LockoutAccountThreshold=7 LockoutSec=600 \
        TokenGuessLimit=1000
setup_bus_and_daemon --config="$CONFIG"

PW='address lockout password'
WRONG='not the password'

check_account() {
        mgr_json CheckAccount 'sa{sv}' "$1" 0 | jq -r '.data[0]'
}

new_account vic "$PW" || bail_out "cannot create account vic"
ok "CreatePackage vic-pkg" mgr CreatePackage ssas vic-pkg none 1 vic
new_token vic automation
VIC_TOKEN=$NEW_TOKEN

# --- one address guesses: only that address is locked out ---------------------------------------------
known=() unknown=()
for i in 1 2 3; do
        mgr_authenticate vic "$WRONG" "" remote s 192.0.2.66
        known+=("$(authn_answer)")
        mgr_authenticate ghost "$WRONG" "" remote s 192.0.2.66
        unknown+=("$(authn_answer)")
done
check_wrong_guesses "vic from 192.0.2.66"
expect_authn locked "vic from 192.0.2.66, right password: locked out" vic "$PW" "" remote s 192.0.2.66
K=$(authn_answer)
like "$(authn_detail locked_until)" '^[1-9][0-9]*$' "  ... with a locked_until"
expect_authn locked "ghost from 192.0.2.66: locked out too" ghost "$PW" "" remote s 192.0.2.66
is "$(authn_answer)" "$K" "  ... the same answer as vic's"
expect_authn locked "vic from ::ffff:192.0.2.66 (the same address, written as IPv6): locked out" \
        vic "$PW" "" remote s ::ffff:192.0.2.66
expect_authn ok "vic from 192.0.2.77: logs in (the lockout is for that address only)" vic "$PW" "" remote s 192.0.2.77
expect_authn ok "vic with no remote address: logs in" vic "$PW" ""
is "$(account_field vic locked_until)" 0 "GetAccount: vic is not locked out (no lockout from all addresses)"
is "$(check_account vic)" active "CheckAccount vic: active"
expect_authz_bus allowed "vic's token from 192.0.2.66 still works" "$VIC_TOKEN" vic-pkg publish remote 192.0.2.66

# IPv6 by /64.
for i in 1 2 3; do
        expect_authn bad-credentials "wrong password $i of 3 for vic from 2001:db8:1::1" vic "$WRONG" "" remote s 2001:db8:1::1
done
expect_authn locked "vic from 2001:DB8:1:0::ffff (the same /64): locked out" vic "$PW" "" remote s 2001:DB8:1:0::ffff
expect_authn ok "vic from 2001:db8:2::1 (another /64): logs in" vic "$PW" "" remote s 2001:db8:2::1

# --- many addresses: LockoutAccountThreshold=7 locks the whole account ----------------------------------
new_account wes "$PW" || bail_out "cannot create account wes"
new_token wes automation
WES_TOKEN=$NEW_TOKEN
ok "CreatePackage wes-pkg" mgr CreatePackage ssas wes-pkg none 1 wes
for a in 198.51.100.1 198.51.100.2 198.51.100.3; do
        for i in 1 2; do
                mgr_authenticate wes "$WRONG" "" remote s "$a"
                mgr_authenticate nobody "$WRONG" "" remote s "$a"
        done
done
is "$(check_account wes)" active "six failures from three addresses: wes is not locked out yet"
expect_authn bad-credentials "the 7th failure, from a 4th address" wes "$WRONG" "" remote s 198.51.100.4
expect_authn bad-credentials "  ... for the unknown name nobody too" nobody "$WRONG" "" remote s 198.51.100.4
expect_authn locked "wes from a fresh address: locked out (all addresses)" wes "$PW" "" remote s 198.51.100.200
expect_authn locked "nobody from a fresh address: the same" nobody "$PW" "" remote s 198.51.100.200
expect_authn locked "wes with no remote address: locked out" wes "$PW" ""
like "$(account_field wes locked_until)" '^[1-9][0-9]*$' "GetAccount: wes is locked out"
is "$(check_account wes)" locked-out "CheckAccount wes: locked-out"
expect_authz_bus allowed "wes's token still works during the lockout" "$WES_TOKEN" wes-pkg publish remote 198.51.100.200

# --- the audit: one lockout event per lockout ------------------------------------------------------------
run mgr_json ListAuditEvents stu '' 0 0
jq "$JQ_AASV" <"$RUN_OUT_FILE" >"$TMP/audit.json"
is "$(jq -r 'map(select(.action == "lockout" and .actor == "vic")) | map(.remote) | sort | join(" ")' "$TMP/audit.json")" \
        "192.0.2.66 2001:db8:1::1" "vic: one lockout event for each locked address"
is "$(jq -r 'map(select(.action == "lockout" and .actor == "wes")) | map(.reason) | join("|")' "$TMP/audit.json")" \
        "too many failed passwords or OTPs from all addresses" "wes: one lockout event, for all addresses"

# --- both survive a restart ------------------------------------------------------------------------------
stop_daemon
is "$STOP_RC" 0 "pkgtokend exits 0 on SIGTERM"
must_start_daemon --config="$CONFIG"
expect_authn locked "after a restart: vic is still locked out from 192.0.2.66" vic "$PW" "" remote s 192.0.2.66
expect_authn ok "  ... and logs in from 192.0.2.77" vic "$PW" "" remote s 192.0.2.77
expect_authn locked "after a restart: ghost is still locked out from 192.0.2.66" ghost "$PW" "" remote s 192.0.2.66
expect_authn locked "after a restart: wes is still locked out everywhere" wes "$PW" "" remote s 192.0.2.77

# --- an admin's unlock ends both kinds ------------------------------------------------------------------
ok "pkgtokenctl account unlock vic" ctl account unlock vic
expect_authn ok "  ... vic logs in from 192.0.2.66 again" vic "$PW" "" remote s 192.0.2.66
ok "pkgtokenctl account unlock wes" ctl account unlock wes
expect_authn ok "  ... wes logs in again" wes "$PW" "" remote s 198.51.100.1

done_testing
