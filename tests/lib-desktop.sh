#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Helpers of the desktop tests (bus-uid-accounts.sh, bus-polkit.sh, bus-notify.sh): callers
# as other Unix users (setpriv, root only), and their D-Bus error names.

# as_uid UID COMMAND...: runs COMMAND as UID (and its own gid, no groups, no capabilities);
# as the test's own user when UID is it (unprivileged runs).
as_uid() {
        local uid=$1
        shift
        if [ "$uid" = "$(id -u)" ]; then
                env HOME="$TMP/home" "$@"
                return
        fi
        setpriv --reuid="$uid" --regid="$uid" --clear-groups --inh-caps=-all env HOME="$TMP/home" "$@"
}

# pick_users N: sets USERS to the uids of N users of the system other than root (dbus-daemon
# refuses a uid the user database does not know), or skips the test.
pick_users() {
        local n=$1 name uid
        USERS=()
        for name in nobody daemon bin sys games man lp mail news uucp proxy www-data backup list irc; do
                uid=$(getent passwd "$name" | cut -d: -f3) || continue
                [ -n "$uid" ] && [ "$uid" != 0 ] && USERS+=("$uid")
                [ ${#USERS[@]} -ge "$n" ] && return 0
        done
        skip_all "needs $n users in the user database besides root (found ${#USERS[@]})"
}

# open_bus_to_others: lets other users reach the private bus socket (and only that).
open_bus_to_others() {
        mkdir -p "$TMP/home"
        chmod 0777 "$TMP/home"
        chmod 0711 "$TMP" "$TMP/bus"
        chmod 0666 "$BUS_SOCKET" 2>/dev/null || true
}

# uid_error UID METHOD GVARIANT-ARGS...: the D-Bus error name of a Manager call as UID, or "ok".
uid_error() {
        local uid=$1
        shift
        DBUS_CALLER=(as_uid "$uid")
        dbus_error_name "$@"
        DBUS_CALLER=()
}

# uid_call UID METHOD GVARIANT-ARGS...: the reply of a Manager call as UID (gdbus's text).
uid_call() {
        local uid=$1 method=$2
        shift 2
        as_uid "$uid" gdbus call --address "$PKGTOKEN_BUS_ADDRESS" --dest org.pkgtoken1 \
                --object-path /org/pkgtoken1 --method "org.pkgtoken1.Manager.$method" "$@" 2>&1
}

# uid_ctl UID ARGS...: pkgtokenctl as UID (no terminal: no prompts).
uid_ctl() {
        local uid=$1
        shift
        as_uid "$uid" "$PKGTOKENCTL" --bus-address="$PKGTOKEN_BUS_ADDRESS" "$@"
}

# start_desktop_bus_and_daemon [DAEMON-ARGS...]: as root, a bus with the system bus's policy,
# the real dbus/org.pkgtoken1.conf and room for polkitd (tests/bus-desktop.conf.in), reachable
# by other users; unprivileged, the usual permissive bus (the real policy lets only root and
# the pkgtoken user own org.pkgtoken1).
start_desktop_bus_and_daemon() {
        need_binaries
        if is_root; then
                start_bus "$top_srcdir/tests/bus-desktop.conf.in" || bail_out "the private dbus-daemon did not start"
                open_bus_to_others
        else
                start_bus || bail_out "the private dbus-daemon did not start"
        fi
        must_start_daemon "$@"
}
