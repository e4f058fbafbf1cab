#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The token-guess limiter counts an address however it is written: an IPv4-mapped IPv6
# address is its IPv4 address, IPv6 addresses count by their /64 (TokenGuessIPv6PrefixLength=).
# (tests/test-ratelimit covers a full table and a flood of addresses.)

. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
need_binaries
need jq
start_bus || bail_out "the private dbus-daemon did not start"
must_start_daemon
ok "account add alice" ctl account add alice
ok "package add pkg" ctl package add pkg --policy=none --maintainer=alice
must_create_token A alice --type=automation
stop_daemon

# guesses N REMOTE: N invalid tokens from REMOTE.
guesses() {
        local i
        for ((i = 0; i < $1; i++)); do
                mgr_authorize "pkgt_guess$i" pkg read "$2"
        done
        [ "$MGR_RESULT" = invalid ]
}

# limited EXPECTED DESC REMOTE: the valid token from REMOTE gets EXPECTED.
limited() {
        mgr_authorize "$A_SECRET" pkg read "$3"
        is "$MGR_RESULT" "$1" "$2"
}

CONFIG=$TMP/pkgtokend.conf
write_config "$CONFIG" "TokenGuessLimit=3"
must_start_daemon --config="$CONFIG"
ok "3 guesses from 192.0.2.9" guesses 3 192.0.2.9
limited rate-limited "then 192.0.2.9 is limited" 192.0.2.9
limited rate-limited "  ... and so is ::ffff:192.0.2.9, the same address" ::ffff:192.0.2.9
limited allowed "  ... but not 192.0.2.10" 192.0.2.10
mixed_guesses() {
        guesses 2 ::ffff:192.0.2.20 && guesses 1 192.0.2.20
}
ok "2 guesses from ::ffff:192.0.2.20 and 1 from 192.0.2.20" mixed_guesses
limited rate-limited "  ... add up: 192.0.2.20 is limited" 192.0.2.20

ok "3 guesses from 2001:db8::9" guesses 3 2001:db8::9
limited rate-limited "then 2001:db8::9 is limited" 2001:db8::9
limited rate-limited "  ... and 2001:DB8:0::9, the same address" 2001:DB8:0::9
limited rate-limited "  ... and 2001:db8::a, in the same /64" 2001:db8::a
limited allowed "  ... but not 2001:db8:0:1::9, in the next /64" 2001:db8:0:1::9
stop_daemon

write_config "$CONFIG" "TokenGuessLimit=3" "TokenGuessIPv6PrefixLength=128"
must_start_daemon --config="$CONFIG"
ok "TokenGuessIPv6PrefixLength=128: 3 guesses from 2001:db8::9" guesses 3 2001:db8::9
limited rate-limited "  ... 2001:DB8:0::9 is limited" 2001:DB8:0::9
limited allowed "  ... 2001:db8::a is not" 2001:db8::a
stop_daemon

write_config "$CONFIG" "TokenGuessIPv6PrefixLength=129"
run_daemon_to_exit --config="$CONFIG"
isnt "$RUN_RC" 0 "TokenGuessIPv6PrefixLength=129 is refused"

done_testing
