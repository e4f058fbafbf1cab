#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Helpers of the desktop tests (bus-uid-accounts.sh, bus-polkit.sh, bus-notify*.sh): callers
# as other Unix users (setpriv, root only), their D-Bus error names, and the notifier's setup
# (its user's session bus, a notification server, pkgtoken-notify).

# uid_argv UID COMMAND...: sets UID_ARGV to the command line that runs COMMAND as UID (and its
# own gid, no groups, no capabilities); as the test's own user when UID is it (unprivileged
# runs).  Start a background process with "${UID_ARGV[@]}" ... &, not as_uid ... &: $! must be
# the process itself, not a subshell running the function, or stopping it leaves it running.
uid_argv() {
        local uid=$1
        shift
        if [ "$uid" = "$(id -u)" ]; then
                UID_ARGV=(env HOME="$TMP/home" "$@")
        else
                UID_ARGV=(setpriv --reuid="$uid" --regid="$uid" --clear-groups --inh-caps=-all env HOME="$TMP/home" "$@")
        fi
}

# as_uid UID COMMAND...: runs COMMAND as UID (uid_argv).
as_uid() {
        uid_argv "$@"
        "${UID_ARGV[@]}"
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

# start_linked_maintainer N [SETTING=VALUE...]: the notifier tests' start: the desktop bus and
# the daemon (config $CONFIG with the SETTINGs); as root N users picked (USERS), unprivileged
# none; account alice linked to ALICE (USERS[0], or the test's own uid) maintaining pkg, with a
# publish token (A_TOKEN, A_SECRET).  Sets NOTIFY, the pkgtoken-notify to run.
start_linked_maintainer() {
        local n=$1
        shift
        need jq
        have_gdbus || skip_all "gdbus not found"
        NOTIFY=${PKGTOKEN_NOTIFY:-$top_builddir/notify/pkgtoken-notify}
        [ -x "$NOTIFY" ] || bail_out "build notify/pkgtoken-notify first"
        CONFIG=$TMP/pkgtokend.conf
        write_config "$CONFIG" "$@"
        start_desktop_bus_and_daemon --config="$CONFIG"
        if is_root; then
                need setpriv
                pick_users "$n"
                ALICE=${USERS[0]}
        else
                USERS=()
                ALICE=$(id -u)
        fi
        ok "account add alice --uid=$ALICE" ctl account add alice --uid="$ALICE"
        ok "package add pkg --maintainer=alice" ctl package add pkg --policy=none --maintainer=alice
        create_token alice --type=publish --description=alice-ci && A_TOKEN=$TOKEN_ID A_SECRET=$TOKEN_SECRET
}

# publish_id TOKEN PACKAGE ACTION [KEY VALUE]...: Verify as the admin (a verifier too); prints
# the pending publish's id of an allowed write.
publish_id() {
        authz_call RC mgr_json Verify "$@" && jq -r '.data[3].publish_id.data // empty' <"$RUN_OUT_FILE"
}

# start_session_bus NAME UID: a private session bus (tests/bus.conf.in) run by UID in
# $TMP/session-NAME (SESSION_DIR); sets SESSION_ADDRESS.
start_session_bus() {
        local name=$1 uid=$2
        SESSION_DIR=$TMP/session-$name
        mkdir -p "$SESSION_DIR" && chown "$uid" "$SESSION_DIR" && chmod 0700 "$SESSION_DIR"
        sed -e "s|@SOCKET@|$SESSION_DIR/socket|g" "$top_srcdir/tests/bus.conf.in" >"$SESSION_DIR/bus.conf"
        uid_argv "$uid" "$DBUS_DAEMON" --config-file="$SESSION_DIR/bus.conf" --nofork --nopidfile --print-address=3
        "${UID_ARGV[@]}" 3>"$SESSION_DIR/address" </dev/null >"$SESSION_DIR/dbus.log" 2>&1 &
        _pids+=("$!")
        wait_for "$PKGTOKEN_TEST_TIMEOUT" grep -q guid= "$SESSION_DIR/address" || bail_out "the $name session bus did not start"
        SESSION_ADDRESS=$(head -n 1 "$SESSION_DIR/address")
}

# notification_server_up UID: org.freedesktop.Notifications has an owner on SESSION_ADDRESS.
notification_server_up() {
        as_uid "$1" "$BUSCTL" --address="$SESSION_ADDRESS" call org.freedesktop.DBus /org/freedesktop/DBus \
                org.freedesktop.DBus NameHasOwner s org.freedesktop.Notifications 2>/dev/null | grep -q true
}

# start_notifier NAME UID SERVER...: a session bus, the notification server SERVER... (its
# output in $SESSION_DIR/server.log) and, once the server owns its name, pkgtoken-notify, all
# as UID.
start_notifier() {
        local name=$1 uid=$2
        shift 2
        start_session_bus "$name" "$uid"
        uid_argv "$uid" env DBUS_SESSION_BUS_ADDRESS="$SESSION_ADDRESS" "$@"
        "${UID_ARGV[@]}" </dev/null >"$SESSION_DIR/server.log" 2>&1 &
        _pids+=("$!")
        if ! wait_for "$PKGTOKEN_TEST_TIMEOUT" notification_server_up "$uid"; then
                diag_file "$name's notification server" "$SESSION_DIR/server.log"
                bail_out "the $name notification server did not take org.freedesktop.Notifications"
        fi
        uid_argv "$uid" env DBUS_SESSION_BUS_ADDRESS="$SESSION_ADDRESS" PKGTOKEN_BUS_ADDRESS="$PKGTOKEN_BUS_ADDRESS" "$NOTIFY"
        "${UID_ARGV[@]}" </dev/null >"$SESSION_DIR/notify.log" 2>&1 &
        _pids+=("$!")
        if wait_for "$PKGTOKEN_TEST_TIMEOUT" grep -q "watching the events" "$SESSION_DIR/notify.log"; then
                pass "pkgtoken-notify as $name subscribes to its account's events"
        else
                fail "pkgtoken-notify as $name subscribes to its account's events" "$(cat "$SESSION_DIR/notify.log")"
        fi
}
