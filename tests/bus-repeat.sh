#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A code sent again by the same client (pkgtokend/code-reuse.h): pip, npm and twine repeat the
# same HTTP Basic credentials on every request of one operation.  A password + code, or a token
# + code, accepted once works again for exactly the same credentials from the same address
# while the code is still valid, and is recorded as one login; any other address, password,
# token or code is refused as a replay, and recovery codes never repeat.

. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

need oathtool jq
# RecoveryHoldSec=0: the recovery code used below would put alice on hold (issue 10;
# tests/bus-recovery-hold.sh); this file is about codes sent again.
write_config "$TMP/pkgtokend.conf" RecoveryHoldSec=0
setup_bus_and_daemon --config="$TMP/pkgtokend.conf"

PW='repeat password 1'
A=192.0.2.7
B=192.0.2.8
new_account alice "$PW" || bail_out "cannot create alice"
mgr CreatePackage ssas p-rep 2fa-or-automation 1 alice >/dev/null || bail_out "cannot create p-rep"
new_token alice publish || bail_out "cannot create a publish token"
PUB=$NEW_TOKEN
new_token alice publish || bail_out "cannot create a second publish token"
PUB2=$NEW_TOKEN
enroll_2fa alice auth-and-writes || bail_out "cannot enrol alice in 2FA"
RECOVERY=${RECOVERY_CODES[0]}

# Logins counted in the audit, for "recorded as one login".
logins() {
        mgr_json ListAuditEvents 'stu' "" 0 1000 | jq "[.data[0][] | with_entries(.value |= .data) |
                select(.action == \"login\" and .actor == \"alice\")] | length"
}

# --- password + code -------------------------------------------------------------------------------
next_otp alice || bail_out "no code"
CODE=$OTP
before=$(logins)
expect_authn ok "password + code from $A" alice "$PW" "$CODE" remote s "$A"
expect_authn ok "  ... the same again from $A (pip's second request)" alice "$PW" "$CODE" remote s "$A"
expect_authn ok "  ... and a third time (twine's next file)" alice "$PW" "$CODE" remote s "$A"
is "$(logins)" "$((before + 1))" "  ... recorded as one login"
expect_authn bad-otp "  ... the same code from $B: replayed" alice "$PW" "$CODE" remote s "$B"
expect_authn bad-credentials "  ... from $A with another password: refused" alice "wrong password" "$CODE" remote s "$A"
expect_authn bad-otp "  ... from an unknown address: replayed" alice "$PW" "$CODE"

next_otp alice || bail_out "no code"
expect_authn ok "password + code with no address" alice "$PW" "$OTP"
expect_authn bad-otp "  ... again with no address: replayed (an unknown client never repeats)" alice "$PW" "$OTP"

expect_authn ok "password + recovery code from $A" alice "$PW" "$RECOVERY" remote s "$A"
expect_authn bad-otp "  ... the recovery code again from $A: spent" alice "$PW" "$RECOVERY" remote s "$A"

# --- token + code (auth-and-writes: every publish needs a code) -------------------------------------
next_otp alice || bail_out "no code"
CODE=$OTP
expect_authz_bus allowed "publish with token + code from $A" "$PUB" p-rep publish otp "$CODE" remote "$A"
expect_authz_bus allowed "  ... the same again from $A (the next file of dist/*)" "$PUB" p-rep publish otp "$CODE" remote "$A"
expect_authz_bus bad-otp "  ... the same from $B: replayed" "$PUB" p-rep publish otp "$CODE" remote "$B"
expect_authz_bus bad-otp "  ... another token with the same code from $A: replayed" "$PUB2" p-rep publish otp "$CODE" remote "$A"
# The login above and this publish used different codes; a code accepted with a token does not
# open a password login either.
expect_authn bad-otp "  ... the token's code as a login code from $A: replayed" alice "$PW" "$CODE" remote s "$A"

# --- management calls never repeat ----------------------------------------------------------------
next_otp alice || bail_out "no code"
run mgr CreateToken 'ssasstasa{sv}' alice read-only 0 "" 0 0 1 otp s "$OTP"
is "$RUN_RC" 0 "token creation with a code"
run mgr CreateToken 'ssasstasa{sv}' alice read-only 0 "" 0 0 1 otp s "$OTP"
isnt "$RUN_RC" 0 "  ... the same code again: refused"

check_daemon_alive
done_testing
