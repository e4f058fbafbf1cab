#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The real system-bus policy, dbus/org.pkgtoken1.conf, on a private bus with the system bus's
# default-deny rules (tests/bus-policy.conf.in): it parses, root may own org.pkgtoken1, an
# unprivileged user may not, and an unprivileged user may call the Manager and standard
# interfaces (the daemon then decides) but nothing else.  Needs root: the policy lets only
# root and the "pkgtoken" user own the name.

. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
need_binaries
is_root || skip_all "needs root (the policy lets only root and the pkgtoken user own org.pkgtoken1; running as uid $(id -u))"
need setpriv timeout

NOBODY=65534
as_nobody() {
        setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups --inh-caps=-all \
                env HOME="$TMP/home" "$@"
}

if start_bus "$top_srcdir/tests/bus-policy.conf.in"; then
        pass "dbus-daemon accepts dbus/org.pkgtoken1.conf"
else
        fail "dbus-daemon accepts dbus/org.pkgtoken1.conf"
        bail_out "the policy bus did not start"
fi
if grep -iE 'error|fail' "$BUS_LOG" | grep -viE 'fd limit|Unknown username "pkgtoken"' | grep -q .; then
        fail "  ... without complaints" "$(cat "$BUS_LOG")"
else
        pass "  ... without complaints"
fi
[ -s "$BUS_LOG" ] && diag_file "dbus-daemon said" "$BUS_LOG"

if start_daemon; then
        pass "root may own org.pkgtoken1 under the real policy"
else
        fail "root may own org.pkgtoken1 under the real policy"
        bail_out "pkgtokend did not start under the real policy"
fi
ok "root: Manager.GetStatus" mgr GetStatus
ok "root: account add alice" ctl account add alice

# Let the unprivileged user reach the socket (and only that).
mkdir -p "$TMP/home"
chown $NOBODY:$NOBODY "$TMP/home"
chmod 0711 "$TMP" "$TMP/bus"
chmod 0666 "$BUS_SOCKET" 2>/dev/null || true

ok "nobody: Peer.Ping" as_nobody "$BUSCTL" --address="$PKGTOKEN_BUS_ADDRESS" call \
        org.pkgtoken1 /org/pkgtoken1 org.freedesktop.DBus.Peer Ping
ok "nobody: Introspectable.Introspect" as_nobody "$BUSCTL" --address="$PKGTOKEN_BUS_ADDRESS" call \
        org.pkgtoken1 /org/pkgtoken1 org.freedesktop.DBus.Introspectable Introspect

if have_gdbus; then
        nobody_error() {
                as_nobody gdbus call --address "$PKGTOKEN_BUS_ADDRESS" --dest org.pkgtoken1 \
                        --object-path /org/pkgtoken1 --method "$@" 2>&1 |
                        grep -oE 'GDBus\.Error:[A-Za-z0-9_.]+' | head -n 1 | sed 's/^GDBus\.Error://'
        }
        e=$(nobody_error org.pkgtoken1.Manager.GetStatus)
        isnt "$e" org.freedesktop.DBus.Error.AccessDenied "nobody: Manager.GetStatus passes the bus policy (${e:-answered})"
        e=$(nobody_error org.pkgtoken1.Manager.CreateAccount "'mallory'" "''" "'human'" "@a{sv} {}")
        is "$e" org.pkgtoken1.Error.AccessDenied "nobody: CreateAccount reaches the daemon, which refuses it"
        exits 1 "  ... mallory was not created" ctl account show mallory
        e=$(nobody_error org.pkgtoken1.Manager.RemoveAccount "'alice'")
        is "$e" org.pkgtoken1.Error.AccessDenied "nobody: RemoveAccount refused by the daemon"
        ok "  ... alice is still there" ctl account show alice
        e=$(nobody_error org.pkgtoken1.Secret.Steal)
        is "$e" org.freedesktop.DBus.Error.AccessDenied "nobody: another interface is refused by the bus"
else
        skip "gdbus not found: cannot see D-Bus error names" 6
fi

# An unprivileged user cannot take the name (stop the real daemon first, so it is free).
stop_daemon
is "$STOP_RC" 0 "pkgtokend exits 0 on SIGTERM"
if as_nobody test -x "$PKGTOKEND"; then
        mkdir -p "$TMP/state-nobody"
        chown $NOBODY:$NOBODY "$TMP/state-nobody"
        run as_nobody timeout --kill-after=2 "$PKGTOKEN_TEST_TIMEOUT" "$PKGTOKEND" \
                --state-dir="$TMP/state-nobody" --bus-address="$PKGTOKEN_BUS_ADDRESS"
        if [ "$RUN_RC" -ne 0 ] && [ "$RUN_RC" -ne 124 ] && [ "$RUN_RC" -le 125 ]; then
                pass "nobody may not own org.pkgtoken1: pkgtokend exits $RUN_RC"
        else
                fail "nobody may not own org.pkgtoken1" "expected pkgtokend to give up (124: still running)"
                diag_run
        fi
        like "$RUN_ERR" '.' "  ... with a message"
else
        skip "pkgtokend is not reachable for uid $NOBODY ($PKGTOKEND)" 2
fi

done_testing
