#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# polkit for the admin methods (issue 12), with the real polkitd on the test's private bus:
# an action the rules allow, one they deny, one that needs authentication (denied without
# interactive authorization, --no-ask-password), polkitd not answering (SIGSTOP: denied within
# PolkitTimeoutSec=, the daemon answering others meanwhile), and polkitd absent.  Root keeps
# working without polkit throughout.  The installed policy/org.pkgtoken1.policy is checked
# against polkit's DTD.
#
# polkitd reads its actions from /usr/share/polkit-1/actions and its rules from
# /etc/polkit-1/rules.d and /usr/share/polkit-1/rules.d, and has no option to look elsewhere:
# it runs in a mount namespace of its own (unshare -m) where temp dirs of this test are bind
# mounted over those three, holding our policy and the test's rules alone; the host's files
# are never touched.  It finds the bus through $DBUS_SYSTEM_BUS_ADDRESS.  Needs root (mounts,
# other uids).

. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
. "$top_srcdir/tests/lib-desktop.sh"

POLICY=$top_srcdir/policy/org.pkgtoken1.policy
DTD=/usr/share/polkit-1/policyconfig-1.dtd
if ! command -v xmllint >/dev/null 2>&1; then
        skip "xmllint not found: cannot validate $POLICY"
elif [ -r "$DTD" ]; then
        ok "org.pkgtoken1.policy is valid against polkit's DTD" xmllint --noout --dtdvalid "$DTD" "$POLICY"
else
        ok "org.pkgtoken1.policy is well-formed XML" xmllint --noout "$POLICY"
fi
for action in manage-accounts manage-packages manage-tokens read-audit backup; do
        like "$(cat "$POLICY")" "id=\"org.pkgtoken1.$action\"" "the policy defines org.pkgtoken1.$action"
done
like "$(grep -c auth_admin_keep "$POLICY")" '^15$' "every action defaults to auth_admin_keep"

POLKITD=${POLKITD:-/usr/lib/polkit-1/polkitd}
if ! is_root; then
        skip "polkitd on a private bus: needs root (mount namespace, other uids; running as uid $(id -u))"
        done_testing
        exit
fi
[ -x "$POLKITD" ] || { skip "polkitd not found at $POLKITD"; done_testing; exit; }
need setpriv unshare gdbus
getent passwd polkitd >/dev/null || { skip "no polkitd user: polkit is not installed as Debian does"; done_testing; exit; }

CONFIG=$TMP/pkgtokend.conf
write_config "$CONFIG" PolkitTimeoutSec=2
start_desktop_bus_and_daemon --config="$CONFIG"
pick_users 2
ALLOWED=${USERS[0]} OTHER=${USERS[1]}
ALLOWED_NAME=$(getent passwd "$ALLOWED" | cut -d: -f1)
OTHER_NAME=$(getent passwd "$OTHER" | cut -d: -f1)

# Before polkitd runs: absent.
is "$(uid_error "$ALLOWED" ListTokens "''" "''")" org.pkgtoken1.Error.AccessDenied \
        "polkit absent: a non-root caller is denied"
run uid_call "$ALLOWED" ListTokens "''" "''"
like "$RUN_OUT" "polkit.*not running" "  ... and told that polkit is not running"

PK=$TMP/polkit
mkdir -p "$PK/actions" "$PK/rules" "$PK/no-rules"
cp "$POLICY" "$PK/actions/"
cat >"$PK/rules/10-pkgtoken-test.rules" <<RULES
polkit.addRule(function(action, subject) {
        if (action.id.indexOf("org.pkgtoken1.") != 0)
                return polkit.Result.NOT_HANDLED;
        if (subject.user == "$ALLOWED_NAME" && action.id == "org.pkgtoken1.manage-tokens")
                return polkit.Result.YES;
        if (subject.user == "$ALLOWED_NAME" && action.id == "org.pkgtoken1.read-audit")
                return polkit.Result.AUTH_ADMIN;
        if (subject.user == "$OTHER_NAME" && action.id == "org.pkgtoken1.manage-accounts")
                return polkit.Result.YES;
        return polkit.Result.NO;
});
RULES
chmod -R a+rX "$PK"

# start_polkitd: polkitd in its own mount namespace, on the test's bus.  Sets POLKITD_PID.
start_polkitd() {
        unshare -m --propagation private sh -c '
                mount --bind "$1/actions" /usr/share/polkit-1/actions &&
                mount --bind "$1/rules" /etc/polkit-1/rules.d &&
                mount --bind "$1/no-rules" /usr/share/polkit-1/rules.d &&
                exec env DBUS_SYSTEM_BUS_ADDRESS="$2" "$3" --no-debug' sh "$PK" "$PKGTOKEN_BUS_ADDRESS" "$POLKITD" \
                </dev/null >>"$TMP/polkitd.log" 2>&1 &
        POLKITD_PID=$!
        _pids+=("$POLKITD_PID")
        wait_for "$PKGTOKEN_TEST_TIMEOUT" polkitd_owns_name
}
polkitd_owns_name() {
        busctl_ status org.freedesktop.PolicyKit1 >/dev/null 2>&1
}
polkitd_gone() {
        ! polkitd_owns_name
}
if start_polkitd; then
        pass "polkitd runs on the private bus with the test's rules"
else
        fail "polkitd runs on the private bus with the test's rules" "$(cat "$TMP/polkitd.log")"
        bail_out "no polkitd"
fi

# ---- allowed, denied, authentication needed ----
is "$(uid_error "$ALLOWED" ListTokens "''" "''")" ok "allowed by the rules: $ALLOWED_NAME lists every token (manage-tokens)"
run uid_ctl "$ALLOWED" token list
is "$RUN_RC" 0 "  ... pkgtokenctl token list as $ALLOWED_NAME: exit 0"
is "$(uid_error "$ALLOWED" ListAccounts)" org.pkgtoken1.Error.AccessDenied \
        "denied by the rules: $ALLOWED_NAME lists accounts (manage-accounts)"
run uid_call "$ALLOWED" ListAccounts
like "$RUN_OUT" "polkit does not allow org.pkgtoken1.manage-accounts" "  ... the error names the action"
is "$(uid_error "$OTHER" ListTokens "''" "''")" org.pkgtoken1.Error.AccessDenied "denied: another user lists tokens"
is "$(uid_error "$ALLOWED" GetStatus)" org.pkgtoken1.Error.InteractiveAuthorizationRequired \
        "authentication needed (read-audit), the call not allowing interactive authorization"
run uid_ctl "$ALLOWED" --no-ask-password status
is "$RUN_RC" 1 "  ... pkgtokenctl --no-ask-password status: exit 1"
like "$RUN_ERR" "interactive authorization" "  ... saying why"
run as_uid "$ALLOWED" "$BUSCTL" --address="$PKGTOKEN_BUS_ADDRESS" --allow-interactive-authorization=yes call \
        org.pkgtoken1 /org/pkgtoken1 org.pkgtoken1.Manager GetStatus
isnt "$RUN_RC" 0 "  ... allowed to ask, with no polkit agent to ask: still denied"
ok "root needs no polkit" mgr ListAccounts

# ---- a linked user on another account than its own: polkit decides, as for anybody ----
ok "account add linked-a --uid=$ALLOWED" ctl account add linked-a --uid="$ALLOWED"
ok "account add linked-b --uid=$OTHER" ctl account add linked-b --uid="$OTHER"
ok "account add third" ctl account add third
is "$(uid_error "$ALLOWED" SetPassword "'third'" "'Correct-Horse-9'" "{}")" org.pkgtoken1.Error.AccessDenied \
        "a linked user whom polkit does not allow: no password for another account"
run uid_call "$ALLOWED" SetPassword "'third'" "'Correct-Horse-9'" "{}"
like "$RUN_OUT" "polkit does not allow org.pkgtoken1.manage-accounts" "  ... polkit's answer (manage-accounts)"
is "$(uid_error "$OTHER" SetPassword "'third'" "'Correct-Horse-9'" "{}")" ok \
        "a linked user whom polkit allows manage-accounts sets another account's password"
is "$(uid_error "$OTHER" SetPassword "'linked-a'" "'Correct-Horse-9'" "{}")" ok \
        "  ... any account's, as an administrator would"

# ---- polkitd not answering ----
kill -STOP "$POLKITD_PID"
start=$(date +%s%N)
uid_error "$ALLOWED" ListTokens "''" "''" >"$TMP/stopped.out" &
waiter=$!
sleep 0.3
ok "polkitd stopped: root is answered meanwhile (the daemon does not wait)" timeout 1 "$BUSCTL" \
        --address="$PKGTOKEN_BUS_ADDRESS" call org.pkgtoken1 /org/pkgtoken1 org.pkgtoken1.Manager GetStatus
wait "$waiter"
elapsed=$((($(date +%s%N) - start) / 1000000))
is "$(cat "$TMP/stopped.out")" org.pkgtoken1.Error.AuthorizationUnavailable \
        "polkitd stopped: denied as unavailable"
if [ "$elapsed" -ge 1500 ] && [ "$elapsed" -le 6000 ]; then
        pass "  ... after PolkitTimeoutSec=2 ($elapsed ms)"
else
        fail "  ... after PolkitTimeoutSec=2" "took $elapsed ms"
fi
kill -CONT "$POLKITD_PID"
is "$(uid_error "$ALLOWED" ListTokens "''" "''")" ok "polkitd going again: allowed again"

# ---- polkitd gone ----
_stop_pid "$POLKITD_PID"
wait_for "$PKGTOKEN_TEST_TIMEOUT" polkitd_gone
is "$(uid_error "$ALLOWED" ListTokens "''" "''")" org.pkgtoken1.Error.AccessDenied "polkitd gone: denied"
ok "  ... root still works" mgr ListAccounts
grep -q "polkit did not answer" "$DAEMON_LOG" && pass "the daemon logged the silent polkit" ||
        fail "the daemon logged the silent polkit" "$(cat "$DAEMON_LOG")"

check_daemon_alive
done_testing
