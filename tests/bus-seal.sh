#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# TOTP seeds are sealed at rest (pkgtokend/seal.c, pkgtokend/seal-setup.c): a copy of
# tokens.db without the key yields no seed.  The key: the systemd credential totp-seal-key,
# else SealKeyFile=, else STATE_DIR/totp-seal.key made at the first start (never again once
# sealed seeds exist).  Key missing or wrong: 2FA checks and enrolments fail with
# SecretsUnavailable, nothing else breaks.  Seeds stored in clear (before sealing) are sealed
# at start-up.

. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
sqlite_only "looks for seeds in the bytes of tokens.db"
need oathtool sqlite3 base32 od
have_gdbus || skip_all "gdbus not found: the tests check D-Bus error names"
CONFIG=$TMP/pkgtokend.conf
write_config "$CONFIG" PasswordCost=1
setup_bus_and_daemon --config="$CONFIG"
DB=$STATE_DIR/tokens.db
KEY=$STATE_DIR/totp-seal.key
PW='seal test password'
E=org.pkgtoken1.Error

hex() {
        od -An -tx1 -v | tr -d ' \n'
}
# no_seed_in_db WHAT BASE32: neither the base32 seed nor its bytes are in tokens.db (or a WAL).
no_seed_in_db() {
        local raw found=
        raw=$(printf '%s' "$2" | base32 -d | hex)
        for f in "$DB" "$DB-wal"; do
                [ -e "$f" ] || continue
                grep -q "$2" "$f" && found+=" base32 in ${f##*/}"
                hex <"$f" | grep -q "$raw" && found+=" bytes in ${f##*/}"
        done
        if [ -z "$found" ]; then
                pass "$1: the seed is not in tokens.db, neither in base32 nor as bytes"
        else
                fail "$1: the seed is not in tokens.db, neither in base32 nor as bytes" "found:$found"
        fi
}

# --- the first start makes a key; seeds are stored sealed -------------------------------------------------
if [ -f "$KEY" ] && [ "$(stat -c '%a %s' "$KEY")" = "400 32" ]; then
        pass "the first start made $KEY: 32 bytes, mode 0400"
else
        fail "the first start made $KEY: 32 bytes, mode 0400" "$(stat -c '%a %s' "$KEY" 2>&1)"
fi
like "$(cat "$DAEMON_LOG")" 'created the key that seals TOTP secrets' "  ... and said so"

new_account alice "$PW" || bail_out "cannot create alice"
ok "CreatePackage apkg" mgr CreatePackage ssas apkg none 1 alice
new_token alice automation
AUTO=$NEW_TOKEN
enroll_2fa alice || bail_out "cannot enrol alice"
ALICE_SEED=${OTP_SECRET[alice]}
new_token alice publish "$(next_otp alice && echo "$OTP")"
PUB=$NEW_TOKEN
new_account bob "$PW" || bail_out "cannot create bob"
new_account carol "$PW" || bail_out "cannot create carol"
run mgr_json EnrollTOTP 'sa{sv}' carol 0
CAROL_SEED=$(uri_secret "$(jq -r '.data[0]' <"$RUN_OUT_FILE")")
isnt "$CAROL_SEED" "" "carol's enrolment waits for its code"
new_account dave "$PW" || bail_out "cannot create dave"

stop_daemon
is "$STOP_RC" 0 "pkgtokend exits 0 on SIGTERM"
is "$(sqlite3 "$DB" "SELECT hex(substr(totp_secret, 1, 4)) FROM accounts WHERE name = 'alice'")" 504B5331 \
        "alice's seed is stored sealed (PKS1...)"
is "$(sqlite3 "$DB" "SELECT hex(substr(totp_pending, 1, 4)) FROM accounts WHERE name = 'carol'")" 504B5331 \
        "carol's pending seed is stored sealed"
no_seed_in_db "alice" "$ALICE_SEED"
no_seed_in_db "carol (pending)" "$CAROL_SEED"

# --- the key missing ---------------------------------------------------------------------------------------
mv "$KEY" "$TMP/saved.key"
must_start_daemon --config="$CONFIG"
[ -e "$KEY" ] && fail "key missing: no new key is made while sealed seeds exist" || \
        pass "key missing: no new key is made while sealed seeds exist"
like "$(cat "$DAEMON_LOG")" 'totp-seal.key: missing, and 2 account\(s\) hold TOTP secrets sealed' "  ... the log says why"
next_otp alice
is "$(dbus_error_name Authenticate alice "$(gv "$PW")" "$(gv "$OTP")" '{}')" $E.SecretsUnavailable \
        "  ... alice's login with password and code: SecretsUnavailable"
is "$(dbus_error_name Authorize "$(gv "$PUB")" "'apkg'" "'publish'" "{'otp': <$(gv "$OTP")>}")" $E.SecretsUnavailable \
        "  ... a publish that needs alice's code: SecretsUnavailable"
is "$(dbus_error_name EnrollTOTP dave '{}')" $E.SecretsUnavailable "  ... EnrollTOTP dave: SecretsUnavailable"
is "$(dbus_error_name ConfirmTOTP carol "'123456'" "''" '{}')" $E.SecretsUnavailable "  ... ConfirmTOTP carol: SecretsUnavailable"
like "$(cat "$DAEMON_LOG")" 'cannot open the sealed TOTP secrets: the seal key is missing' "  ... logged"
expect_authn ok "  ... bob (no 2FA) logs in with his password" bob "$PW" ""
expect_authz_bus allowed "  ... alice's automation token publishes" "$AUTO" apkg publish
expect_authz_bus allowed "  ... her publish token reads" "$PUB" apkg read
ok "  ... account list works" ctl account list
ok "  ... account add erin works" ctl account add erin
stop_daemon

# --- a wrong key -------------------------------------------------------------------------------------------
head -c 32 /dev/urandom >"$KEY" && chmod 0400 "$KEY"
must_start_daemon --config="$CONFIG"
like "$(cat "$DAEMON_LOG")" 'this key does not open the sealed TOTP secrets' "a wrong key: the log says so"
next_otp alice
is "$(dbus_error_name Authenticate alice "$(gv "$PW")" "$(gv "$OTP")" '{}')" $E.SecretsUnavailable \
        "  ... alice's login: SecretsUnavailable"
is "$(dbus_error_name EnrollTOTP dave '{}')" $E.SecretsUnavailable "  ... EnrollTOTP dave: SecretsUnavailable (nothing sealed with it)"
expect_authn ok "  ... bob logs in" bob "$PW" ""
stop_daemon

# --- the right key again ------------------------------------------------------------------------------------
rm -f "$KEY"
cp -p "$TMP/saved.key" "$KEY"
must_start_daemon --config="$CONFIG"
next_otp alice
expect_authn ok "the key restored: alice logs in with a code" alice "$PW" "$OTP"
stop_daemon

# --- the key as a systemd credential, and SealKeyFile= --------------------------------------------------------
mkdir -p "$TMP/creds" && mv "$KEY" "$TMP/creds/totp-seal-key"
CREDENTIALS_DIRECTORY=$TMP/creds must_start_daemon --config="$CONFIG"
next_otp alice
expect_authn ok "the key from \$CREDENTIALS_DIRECTORY/totp-seal-key: alice logs in with a code" alice "$PW" "$OTP"
stop_daemon
[ -e "$KEY" ] && fail "  ... no key was made in the state directory" || pass "  ... no key was made in the state directory"
write_config "$TMP/keyfile.conf" PasswordCost=1 "SealKeyFile=$TMP/creds/totp-seal-key"
must_start_daemon --config="$TMP/keyfile.conf"
next_otp alice
expect_authn ok "the key from SealKeyFile=: alice logs in with a code" alice "$PW" "$OTP"
stop_daemon
mv "$TMP/creds/totp-seal-key" "$KEY"

# --- seeds stored in clear are sealed at start-up -----------------------------------------------------------
# What a database written before sealing holds: the raw 20-byte seed.
PLAIN=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP
sqlite3 "$DB" "UPDATE accounts SET totp_secret = X'$(printf '%s' "$PLAIN" | base32 -d | hex)', totp_last_counter = 0
               WHERE name = 'alice'; UPDATE accounts SET totp_pending = X'$(printf '%s' "$CAROL_SEED" | base32 -d | hex)'
               WHERE name = 'carol';" || bail_out "cannot write plain seeds"
must_start_daemon --config="$CONFIG"
like "$(cat "$DAEMON_LOG")" 'sealed 2 TOTP secret\(s\) stored in clear' "plain seeds: sealed at start-up, with a count in the log"
OTP_SECRET[alice]=$PLAIN OTP_LAST[alice]=0
next_otp alice
expect_authn ok "  ... alice logs in with a code of the migrated seed" alice "$PW" "$OTP"
OTP_SECRET[carol]=$CAROL_SEED OTP_LAST[carol]=0
next_otp carol
ok "  ... carol confirms her migrated pending enrolment" mgr ConfirmTOTP 'sssa{sv}' carol "$OTP" "" 0
stop_daemon
is "$(sqlite3 "$DB" "SELECT count(*) FROM accounts WHERE substr(totp_secret, 1, 4) = CAST('PKS1' AS BLOB)")" 2 \
        "  ... both seeds are stored sealed now"
no_seed_in_db "the migrated seed" "$PLAIN"
no_seed_in_db "carol's migrated seed" "$CAROL_SEED"

done_testing
