#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# pkgtokenctl's relative times (--expires, --since) read the one duration grammar of
# common/duration.h, as pkgtokend.conf does (LockoutSec=15min): "15min" and "900s" work next
# to "90d", "12h" and "30m"; the bounds stay a minute to 3650 days, and a bare number (no
# unit) is refused rather than read as seconds.

. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
setup_bus_and_daemon

ok "account add alice" ctl account add alice

expires_at() {
        mgr_json GetToken s "$1" | jq -r "$JQ_ASV | .expires_at"
}

# expires_within NAME SECONDS: the token NAME expires SECONDS after it was made (±60 s).
expires_within() {
        local id_var="${1}_ID" seconds=$2 e now
        e=$(expires_at "${!id_var}")
        now=$(now_usec)
        if [ "$e" -gt $((now + (seconds - 60) * 1000000)) ] && [ "$e" -le $((now + (seconds + 60) * 1000000)) ]; then
                pass "  ... expires_at in $seconds seconds"
        else
                fail "  ... expires_at in $seconds seconds" "expires_at=$e now=$now"
        fi
}

must_create_token E15MIN alice --type=publish --expires=15min
expires_within E15MIN 900
must_create_token E900S alice --type=publish --expires=900s
expires_within E900S 900
must_create_token E30M alice --type=publish --expires=30m
expires_within E30M 1800
must_create_token E2H alice --type=publish --expires=2h
expires_within E2H 7200

exits 2 "--expires=59s: exit 2 (below a minute)" ctl token create alice --type=publish --expires=59s
exits 2 "--expires=0min: exit 2" ctl token create alice --type=publish --expires=0min
exits 2 "--expires=900: exit 2 (no unit)" ctl token create alice --type=publish --expires=900
exits 2 "--expires=3651d: exit 2 (beyond 3650 days)" ctl token create alice --type=publish --expires=3651d
like "$RUN_ERR" "too far away" "  ... says it is too far away"
exits 2 "--expires=15 min: exit 2 (no blanks)" ctl token create alice --type=publish "--expires=15 min"

ok "audit --since=15min" ctl audit --since=15min
ok "audit --since=3650d" ctl audit --since=3650d
exits 2 "audit --since=30s: exit 2 (below a minute)" ctl audit --since=30s

done_testing
