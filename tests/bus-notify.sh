#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Signals a desktop can trust (issue 12): pkgtoken-notify, run by a Unix user linked to an
# account, against a recording notification server (tests/notify-recorder.c) on a private
# session bus; the Notify calls for a version of a package the account maintains published
# and staged, its token used from a new address, revoked, expiring soon.  As root also: a
# second linked user's notifier gets none of them, and an unprivileged listener with a match
# rule on everything pkgtokend sends receives nothing (the receive policy of
# dbus/org.pkgtoken1.conf), while root's listener sees the broadcast signals.

. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
. "$top_srcdir/tests/lib-desktop.sh"
start_linked_maintainer 3 TokenExpiryWarningSec=0
RECORDER=$top_builddir/tests/notify-recorder
[ -x "$RECORDER" ] || bail_out "build tests/notify-recorder first"
BOB=${USERS[1]:-} EVE=${USERS[2]:-}
create_token alice --type=automation --description=alice-auto && AUTO_SECRET=$TOKEN_SECRET
create_token alice --type=read-only --expires=3d --description=soon && SOON=$TOKEN_ID
[ -n "$BOB" ] && ok "account add bob --uid=$BOB (maintains nothing)" ctl account add bob --uid="$BOB"

# expect_notify NAME DESC ERE: a Notify call recorded for NAME matches ERE (waits up to 5 s).
expect_notify() {
        if wait_for 5 grep -qE -- "$3" "$TMP/$1.notify"; then
                pass "$2"
        else
                fail "$2" "Notify calls: $(cat "$TMP/$1.notify")" "expected one to match: /$3/"
        fi
}

# start_recording NAME UID: pkgtoken-notify as UID, its Notify calls recorded in $TMP/NAME.notify.
start_recording() {
        : >"$TMP/$1.notify" && chown "$2" "$TMP/$1.notify"
        start_notifier "$1" "$2" "$RECORDER" "$TMP/$1.notify"
}

start_recording alice "$ALICE"
[ -n "$BOB" ] && start_recording bob "$BOB"
if [ -n "$EVE" ]; then
        uid_argv "$EVE" gdbus monitor --address "$PKGTOKEN_BUS_ADDRESS" --dest org.pkgtoken1
        "${UID_ARGV[@]}" >"$TMP/eve.signals" 2>&1 &
        _pids+=("$!")
        gdbus monitor --address "$PKGTOKEN_BUS_ADDRESS" --dest org.pkgtoken1 >"$TMP/root.signals" 2>&1 &
        _pids+=("$!")
        sleep 0.5
fi
run as_uid "${EVE:-$ALICE}" "$NOTIFY" --version
like "$RUN_OUT" "pkgtoken-notify" "pkgtoken-notify --version"

# ---- a version published, one staged ----
PUBLISH_ID=$(publish_id "$A_SECRET" pkg publish version 1.0.0)
ok "FinishPublish pkg 1.0.0" mgr FinishPublish 'sba{sv}' "$PUBLISH_ID" true 0
expect_notify alice "published: alice is told, by name and version" \
        '^pkgtoken\|A package of yours was published\|pkg 1\.0\.0 was published by alice'
SHA=sha512-$(head -c 64 /dev/zero | base64 -w0)
STAGE_ID=$(publish_id "$AUTO_SECRET" pkg stage version 2.0.0 integrity "$SHA")
ok "FinishPublish of the stage of pkg 2.0.0" mgr FinishPublish 'sba{sv}' "$STAGE_ID" true 0
expect_notify alice "staged: alice is told how to approve it" \
        "waits for approval\|pkg 2\.0\.0 was staged by .*pkgtokenctl stage approve $STAGE_ID"

# ---- a token used from a new address ----
mgr_authorize_with "$A_SECRET" pkg read remote 192.0.2.1
is "$MGR_RESULT" allowed "alice's token read from 192.0.2.1"
sleep 1.5   # the last address is written back in batches (FlushDelay 1 s)
mgr_authorize_with "$A_SECRET" pkg read remote 198.51.100.7
is "$MGR_RESULT" allowed "  ... then from 198.51.100.7"
mgr_authorize_with "$A_SECRET" pkg read remote 198.51.100.7
is "$MGR_RESULT" allowed "  ... and again at once (before the last address is written back)"
expect_notify alice "used from a new address: critical, with the address and how to revoke" \
        "used from a new address\|Token $A_TOKEN \(alice-ci\) was used from 198\.51\.100\.7.*token revoke $A_TOKEN\|2$"
sleep 0.5
is "$(grep -c 'was used from 198\.51\.100\.7' "$TMP/alice.notify")" 1 "  ... told once, not once per use"

# ---- revoked ----
ok "admin revokes alice's token" mgr RevokeToken s "$A_TOKEN"
expect_notify alice "revoked: alice is told" "was revoked\|Token $A_TOKEN \(alice-ci\) no longer works"

# ---- expiring (the maintenance tick, a second after start) ----
stop_daemon
write_config "$CONFIG" TokenExpiryWarningSec=7d
must_start_daemon --config="$CONFIG"
expect_notify alice "expiring soon: the notifier subscribed again to the restarted daemon and is told" \
        "expires soon\|Token $SOON \(soon\) expires at"

if [ -n "$BOB" ]; then
        is "$(grep -c . "$TMP/bob.notify")" 0 "bob (linked, maintains nothing) was told none of it"
        grep -qE "PackagePublished|TokenRevoked|StageCreated" "$TMP/root.signals" &&
                pass "root's listener received the broadcast signals" ||
                fail "root's listener received the broadcast signals" "$(cat "$TMP/root.signals")"
        if grep -qE "org\.pkgtoken1\.Manager\.[A-Za-z]+ \(" "$TMP/eve.signals"; then
                fail "an unprivileged listener received none of pkgtokend's signals" "$(cat "$TMP/eve.signals")"
        else
                pass "an unprivileged listener received none of pkgtokend's signals"
        fi
        like "$(cat "$TMP/eve.signals")" "Monitoring signals" "  ... while it was listening"
        is "$(uid_error "$EVE" SubscribeOwnEvents)" org.pkgtoken1.Error.AccessDenied \
                "an unlinked user may not subscribe"
fi

# A signal from anyone but pkgtokend is not a notification.
if [ -n "$BOB" ]; then
        lines=$(grep -c . "$TMP/alice.notify")
        as_uid "$EVE" "$BUSCTL" --address="$PKGTOKEN_BUS_ADDRESS" emit /org/pkgtoken1 org.pkgtoken1.Manager \
                OwnTokenRevoked ss tk_forgedforged forged >/dev/null 2>&1
        sleep 0.5
        is "$(grep -c . "$TMP/alice.notify")" "$lines" "a forged broadcast signal is no notification"
fi

check_daemon_alive
done_testing
