#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# pkgtoken-notify against a real notification daemon (issue 12): dunst, on an Xvfb display
# and a private session bus, all run by the Unix user linked to an account (as root a user
# picked from the user database, unprivileged the test's own).  A version of the account's
# package is published; dunst's own history (dunstctl, over the session bus) must hold the
# notification pkgtoken-notify sent, and no secret.

. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
. "$top_srcdir/tests/lib-desktop.sh"
need Xvfb dunst dunstctl dbus-send
start_linked_maintainer 1

# start_xvfb UID: an X server run by UID on a display number it picks itself (-displayfd),
# listening on an abstract socket only: no TCP, nothing in /tmp/.X11-unix.  Sets DISPLAY_NAME.
start_xvfb() {
        local dir=$TMP/xvfb
        mkdir -p "$dir" && chown "$1" "$dir"
        : >"$dir/display"
        uid_argv "$1" Xvfb -displayfd 3 -nolisten tcp -nolisten unix -screen 0 640x480x24
        "${UID_ARGV[@]}" 3>"$dir/display" </dev/null >"$dir/xvfb.log" 2>&1 &
        _pids+=("$!")
        if ! wait_for "$PKGTOKEN_TEST_TIMEOUT" grep -q '^[0-9]' "$dir/display"; then
                diag_file "Xvfb" "$dir/xvfb.log"
                bail_out "Xvfb did not start"
        fi
        DISPLAY_NAME=:$(head -n 1 "$dir/display")
}

# A config of its own: no sounds, no scripts, no browser or dmenu; notifications stay until
# closed, and the history keeps them.
DUNSTRC=$TMP/dunstrc
cat >"$DUNSTRC" <<'EOF'
[global]
    monitor = 0
    follow = none
    font = Monospace 8
    history_length = 20
    sticky_history = yes
    idle_threshold = 0
    show_indicators = no
    mouse_left_click = none
    mouse_middle_click = none
    mouse_right_click = none

[urgency_low]
    timeout = 0

[urgency_normal]
    timeout = 0

[urgency_critical]
    timeout = 0
EOF
chmod 0644 "$DUNSTRC"

start_xvfb "$ALICE"
start_notifier alice "$ALICE" env -u WAYLAND_DISPLAY DISPLAY="$DISPLAY_NAME" dunst -config "$DUNSTRC"

# dunst_history: dunst's history (JSON) as alice sees it, after closing what is displayed
# (closed notifications move to the history).
dunst_history() {
        as_uid "$ALICE" env DBUS_SESSION_BUS_ADDRESS="$SESSION_ADDRESS" dunstctl close-all >/dev/null 2>&1
        as_uid "$ALICE" env DBUS_SESSION_BUS_ADDRESS="$SESSION_ADDRESS" dunstctl history
}

# history_has_published: dunst's history holds pkgtoken's notification of pkg 1.0.0.
history_has_published() {
        dunst_history >"$TMP/history.json" 2>&1 && jq -e '.data[0][]
                | select(.appname.data == "pkgtoken"
                         and .summary.data == "A package of yours was published"
                         and (.body.data | startswith("pkg 1.0.0 was published by alice")))' "$TMP/history.json" >/dev/null
}

PUBLISH_ID=$(publish_id "$A_SECRET" pkg publish version 1.0.0)
ok "FinishPublish pkg 1.0.0" mgr FinishPublish 'sba{sv}' "$PUBLISH_ID" true 0
if wait_for 5 history_has_published; then
        pass "dunst received the notification: app pkgtoken, its summary and body"
else
        fail "dunst received the notification: app pkgtoken, its summary and body" \
                "dunstctl history: $(cat "$TMP/history.json")" "dunst: $(cat "$SESSION_DIR/server.log")"
fi
is "$(jq '[.data[0][] | select(.appname.data == "pkgtoken")] | length' "$TMP/history.json")" 1 \
        "  ... once"
unlike "$(cat "$TMP/history.json")" "$A_SECRET" "  ... and no secret in it"
like "$(cat "$SESSION_DIR/notify.log")" "A package of yours was published" "pkgtoken-notify logged what it sent"
unlike "$(cat "$SESSION_DIR/notify.log")" "refused a notification|cannot send" "  ... and dunst took it"

check_daemon_alive
done_testing
