#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The recovery hold (issue 10): after a recovery code is used or an admin resets 2FA, the
# account reads but does not publish or govern for RecoveryHoldSec= (default 72 h): Verify's
# code "recovery-hold", governance refused; it survives a restart; pkgtokenctl account
# lift-hold ends it early, audited.  (pkgtoken has no e-mail change yet: the hook is
# account_start_hold().)

. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
need jq oathtool

CONFIG=$TMP/pkgtokend.conf
write_config "$CONFIG" PasswordCost=1
setup_bus_and_daemon --config="$CONFIG"
PW='alice password 1'

ok "account add alice" ctl account add alice
ok "  ... her password" mgr SetPassword 'ssa{sv}' alice "$PW" 0
ok "package add pkg" ctl package add pkg --policy=none --maintainer=alice
must_create_token AUTO alice --type=automation --description=ci
enroll_2fa alice auth-only || bail_out "cannot enrol alice in 2FA"
verify() {   # verify ACTION: Verify's result/code of alice's automation token on pkg
        mgr_json Verify 'sssa{sv}' "$AUTO_SECRET" pkg "$1" 0 | jq -r '.data[0] + "/" + .data[1]'
}
hold_until() {
        mgr_json GetAccount s alice | jq -r "$JQ_ASV | .hold_until"
}
is "$(verify publish)" allowed/ok "before: the automation token publishes"
is "$(hold_until)" 0 "  ... no hold"

mgr_authenticate alice "$PW" "${RECOVERY_CODES[0]}" session b true
is "$AUTHN_RESULT" ok "a login with a recovery code"
SESSION=$(authn_detail session_token)
h=$(hold_until)
is "$(((h - $(now_usec)) / 3600000000))" 71 "  ... puts the account on hold for 72 h (RecoveryHoldSec= default)"
like "$(ctl account show alice)" 'On hold until' "  ... account show says so"
run mgr_json ListAuditEvents stu "" 0 100
like "$(jq -c "$JQ_AASV | map(select(.action == \"recovery-hold\"))" <"$RUN_OUT_FILE")" \
        '"actor":"alice".*recovery code used: reads only until' "  ... audited"
is "$(verify publish)" forbidden/recovery-hold "on hold: a publish is refused (recovery-hold)"
is "$(verify read)" allowed/ok "  ... a read is allowed"
is "$(mgr_json Verify 'sssa{sv}' "$SESSION" pkg read 0 | jq -r '.data[0]')" allowed "  ... the new session reads"
echo "$AUTO_SECRET" >"$TMP/auto.in"
RUN_STDIN=$TMP/auto.in run ctl authorize pkg publish
isnt "$RUN_RC" 0 "  ... Authorize refuses a publish too"
next_otp alice
error_is org.pkgtoken1.Error.Forbidden "  ... governance: CreateOwnToken(password + code) refused" CreateOwnToken \
        "{'account': <'alice'>, 'password': <'$PW'>, 'otp': <'$OTP'>}" "'read-only'" "@as []" "'x'" "uint64 0" \
        "@as []" "@a{sv} {}"
like "$(gdbus call --address "$PKGTOKEN_BUS_ADDRESS" --dest org.pkgtoken1 --object-path /org/pkgtoken1 \
        --method org.pkgtoken1.Manager.ChangeMaintainer "{'token': <'$SESSION'>, 'otp': <'000000'>}" pkg bob true 2>&1)" \
        'on hold after a recovery' "  ... ChangeMaintainer refused, saying why"

stop_daemon
must_start_daemon --config="$CONFIG"
is "$(verify publish)" forbidden/recovery-hold "after a restart: still on hold"

ok "pkgtokenctl account lift-hold alice" ctl account lift-hold alice
is "$(hold_until)" 0 "  ... the hold is over"
is "$(verify publish)" allowed/ok "  ... publishing works again"
run mgr_json ListAuditEvents stu "" 0 100
is "$(jq -r "$JQ_AASV | map(select(.action == \"recovery-hold-lift\" and .reason == \"alice\")) | length" \
        <"$RUN_OUT_FILE")" 1 "  ... audited"
exits 1 "lift-hold of an unknown account" ctl account lift-hold nobody-here
error_is org.pkgtoken1.Error.NoSuchAccount "  ... NoSuchAccount" LiftRecoveryHold "'nobody-here'"

# RecoveryHoldSec=0 turns it off.
stop_daemon
write_config "$CONFIG" PasswordCost=1 RecoveryHoldSec=0
must_start_daemon --config="$CONFIG"
mgr_authenticate alice "$PW" "${RECOVERY_CODES[1]}"
is "$AUTHN_RESULT/$(hold_until)" ok/0 "RecoveryHoldSec=0: a recovery code starts no hold"
stop_daemon
write_config "$CONFIG" PasswordCost=1 RecoveryHoldSec=1h
must_start_daemon --config="$CONFIG"

ok "an admin turns alice's 2FA off (--force)" ctl account 2fa disable alice --force
h=$(hold_until)
is "$(((h - $(now_usec) + 60000000) / 60000000))" 60 "  ... a hold of RecoveryHoldSec=1h"
is "$(verify publish)" forbidden/recovery-hold "  ... the account publishes nothing meanwhile"
run mgr_json ListAuditEvents stu "" 0 100
like "$(jq -c "$JQ_AASV | map(select(.action == \"recovery-hold\"))" <"$RUN_OUT_FILE")" \
        'changed by an admin override' "  ... audited as an admin override"

check_daemon_alive
stop_daemon
is "$STOP_RC" 0 "pkgtokend exits 0 on SIGTERM"
done_testing
