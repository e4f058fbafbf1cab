#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# An upgrade from schema 2 (a pkgtokend before issue 8's lockouts, audit counts and sealed
# seeds): a lockout survives it (as a lockout from all addresses), a TOTP seed stored in clear
# is sealed at the first start and still gives valid codes, the audit keeps its records.
# Needs the older daemon: PKGTOKEND_OLD=/path/to/old/pkgtokend (skipped otherwise), e.g.
#   git archive f001ef5 | tar -x -C /tmp/old && (cd /tmp/old && autoreconf -fi && ./configure && make)

. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
sqlite_only "an older pkgtokend on an SQLite file"
[ -x "${PKGTOKEND_OLD:-}" ] || skip_all "PKGTOKEND_OLD is not set to an older pkgtokend"
need oathtool sqlite3 base32 od
CONFIG=$TMP/pkgtokend.conf
write_config "$CONFIG" PasswordCost=1 LockoutThreshold=3 LockoutSec=600
NEW=$PKGTOKEND
PKGTOKEND=$PKGTOKEND_OLD setup_bus_and_daemon --config="$CONFIG"
DB=$STATE_DIR/tokens.db
PW='upgrade password'

new_account alice "$PW" || bail_out "cannot create alice"
enroll_2fa alice || bail_out "cannot enrol alice"
SEED=${OTP_SECRET[alice]}
new_account mallet "$PW" || bail_out "cannot create mallet"
for i in 1 2 3; do
        mgr_authenticate mallet wrong ""
done
expect_authn locked "the old daemon locked mallet out" mallet "$PW" ""
stop_daemon
is "$(sqlite3 "$DB" 'PRAGMA user_version')" 2 "the old daemon wrote schema 2"
raw=$(printf '%s' "$SEED" | base32 -d | od -An -tx1 -v | tr -d ' \n')
is "$(sqlite3 "$DB" "SELECT lower(hex(totp_secret)) FROM accounts WHERE name = 'alice'")" "$raw" \
        "  ... with alice's seed in clear"
audit_before=$(sqlite3 "$DB" 'SELECT count(*) FROM audit')

PKGTOKEND=$NEW
must_start_daemon --config="$CONFIG"
is "$(mgr_json GetStatus | jq -r "$JQ_ASV | .schema_version")" 3 "the new daemon migrated to schema 3"
like "$(cat "$DAEMON_LOG")" 'sealed 1 TOTP secret' "  ... and sealed alice's seed, saying so"
expect_authn locked "mallet is still locked out" mallet "$PW" "" remote s 192.0.2.1
like "$(account_field mallet locked_until)" '^[1-9][0-9]*$' "  ... from all addresses (GetAccount)"
next_otp alice
expect_authn ok "alice logs in with a code of her seed" alice "$PW" "$OTP"
stop_daemon
is "$(sqlite3 "$DB" "SELECT hex(substr(totp_secret, 1, 4)) FROM accounts WHERE name = 'alice'")" 504B5331 \
        "alice's seed is stored sealed"
if od -An -tx1 -v "$DB" | tr -d ' \n' | grep -q "$raw"; then
        fail "  ... and its bytes are gone from tokens.db"
else
        pass "  ... and its bytes are gone from tokens.db"
fi
[ "$(sqlite3 "$DB" 'SELECT count(*) FROM audit')" -ge "$audit_before" ] && pass "the audit kept its records" || \
        fail "the audit kept its records"

done_testing
