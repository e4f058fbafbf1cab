#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# pkgtoken-issuer-refresh (issue 11): pkgtokend has no network, so this program fetches the
# issuers' keys.  A test issuer on loopback (tests/jwks-server.py) serves OpenID discovery and
# a JWKS; `pkgtokenctl issuer refresh` writes the keys file; the issuer rotates its key and a
# refresh makes the running daemon accept ID tokens of the new key and refuse the dropped one;
# every way the server can fail (500, garbage, oversized with and without Content-Length, a
# hang, a redirect to plain http, a JWKS of HMAC or "none" keys or of keys the issuer may not
# use) fails the refresh in bounded time with the keys file byte-identical; an issuer without
# a fetch source is skipped; one failing issuer does not stop the others.  And ListIssuers.

. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
need jq node python3 cmp

REFRESH_BIN=${PKGTOKEN_ISSUER_REFRESH_BIN:-$top_builddir/issuer-refresh/pkgtoken-issuer-refresh}
[ -x "$REFRESH_BIN" ] || bail_out "pkgtoken-issuer-refresh not built: $REFRESH_BIN"
SIGN="$top_srcdir/tests/jwt-sign.js"
AUD=pkgtoken-test
WWW=$TMP/www
ISSUERS=$TMP/issuers
mkdir -p "$WWW/.well-known" "$ISSUERS" "$TMP/k1" "$TMP/k2" "$TMP/k3" "$TMP/ec"

# --- the issuer's key server --------------------------------------------------------------------
start_fixture jwks-server "$TMP/www.port" python3 "$top_srcdir/tests/jwks-server.py" "$WWW" "$TMP/www.port"
PORT=$FIXTURE_PORT
ISS=http://127.0.0.1:$PORT
server_mode() { echo "$1" >"$WWW/mode"; }

jq -n --arg iss "$ISS" '{issuer: $iss, jwks_uri: ($iss + "/jwks.json"), id_token_signing_alg_values_supported: ["RS256"]}' \
        >"$WWW/.well-known/openid-configuration"
node "$SIGN" keygen "$TMP/k1" k1 rsa && node "$SIGN" keygen "$TMP/k2" k2 rsa && node "$SIGN" keygen "$TMP/k3" k3 rsa &&
        node "$SIGN" keygen "$TMP/ec" ec1 ec || bail_out "cannot make the issuer's keys"
cp "$TMP/k1/jwks.json" "$WWW/jwks.json"

# main: discovery; direct: JwksUri=, ES256 only; offline: keys by hand; liar: its discovery
# document names another issuer (127.0.0.1, not localhost).
printf 'Issuer=%s\nAudience=%s\nAlgorithms=RS256 ES256\nKeysFile=main.jwks\nDiscovery=yes\n' "$ISS" "$AUD" \
        >"$ISSUERS/main.conf"
printf 'Issuer=https://direct.example.com\nAudience=%s\nAlgorithms=ES256\nKeysFile=direct.jwks\nJwksUri=%s/ec.json\n' \
        "$AUD" "$ISS" >"$ISSUERS/direct.conf"
printf 'Issuer=https://offline.example.com\nAudience=%s\nKeysFile=offline.jwks\n' "$AUD" >"$ISSUERS/offline.conf"
cp "$TMP/k3/jwks.json" "$ISSUERS/offline.jwks"
printf 'Issuer=http://localhost:%s\nAudience=%s\nKeysFile=liar.jwks\nDiscovery=yes\n' "$PORT" "$AUD" >"$ISSUERS/liar.conf"
printf 'Issuer=https://both.example.com\nAudience=x\nKeysFile=x\nDiscovery=yes\nJwksUri=https://both.example.com/k\n' \
        >"$ISSUERS/both.conf"

CONFIG=$TMP/pkgtokend.conf
write_config "$CONFIG" "IssuersDirectory=$ISSUERS"
setup_bus_and_daemon --config="$CONFIG"
like "$(cat "$DAEMON_LOG")" "both.conf: Discovery=yes and JwksUri= are two ways" "Discovery= with JwksUri= is refused"

# pkgtokenctl issuer refresh runs $PKGTOKEN_ISSUER_REFRESH: here the built program with this
# test's settings and a short timeout.
cat >"$TMP/refresh" <<WRAPPER
#!/bin/sh
exec "$REFRESH_BIN" --config="$CONFIG" --timeout=2s "\$@"
WRAPPER
chmod +x "$TMP/refresh"
export PKGTOKEN_ISSUER_REFRESH=$TMP/refresh
KEYS=$ISSUERS/main.jwks

# --- ListIssuers before any refresh -------------------------------------------------------------
run ctl --json issuer list
is "$(jq -r '[.[].name] | join(" ")' "$RUN_OUT_FILE")" "direct liar main offline" "issuer list: the four valid issuers"
is "$(jq -r '.[] | select(.name == "main") | [.keys_file_mtime, .keys, .refresh] | join(" ")' "$RUN_OUT_FILE")" \
        "0 0 discovery" "  ... main: no keys file yet, refreshed by discovery"
is "$(jq -r '.[] | select(.name == "offline") | [.kids[0], .refresh] | join(" ")' "$RUN_OUT_FILE")" "k3 " \
        "  ... offline: its hand-placed key, no fetch source"
is "$(jq -r '.[] | select(.name == "direct") | .algorithms | join(" ")' "$RUN_OUT_FILE")" "ES256" \
        "  ... direct: its algorithms"

# --- the first refresh, and an exchange with the fetched key --------------------------------------
ok "issuer refresh main" ctl issuer refresh main
like "$RUN_ERR" "issuer main .*1 keys from $ISS/jwks.json written" "  ... says what it wrote"
ok "  ... the keys file is the issuer's JWKS" cmp "$KEYS" "$WWW/jwks.json"
is "$(stat -c %a "$KEYS")" 644 "  ... mode 0644"
is "$(find "$ISSUERS" -name '.*' -type f | wc -l)" 0 "  ... no temporary file left"
run ctl issuer list
like "$RUN_OUT" "main +$ISS .* k1 " "issuer list (table): main with kid k1"

ok "account alice" new_account alice ""
ok "package app" ctl package add app --policy=none --maintainer=alice
ok "trust add app --issuer=main" ctl trust add app --issuer="$ISS" --claim=repository=acme/app

# exchange KEYDIR KID: ExchangeIdToken of an ID token for acme/app; sets X_RESULT/X_CODE.
exchange() {
        local jwt
        jwt=$(node "$SIGN" sign "$1" "$2" "$(jq -cn --arg iss "$ISS" --arg aud "$AUD" '{iss: $iss, aud: $aud,
                repository: "acme/app", ref: "refs/heads/main", sha: "abc123", run_id: "42"}')")
        X_RESULT='' X_CODE=''
        run mgr_json ExchangeIdToken 'ssa{sv}' "$jwt" app 1 remote s 192.0.2.7
        [ "$RUN_RC" -eq 0 ] && reply_fields X_RESULT X_CODE
}
exchange "$TMP/k1" k1
is "$X_RESULT/$X_CODE" allowed/ok "an ID token signed with the fetched key is exchanged"

# --- rotation: the issuer replaces k1 by k2 -------------------------------------------------------
exchange "$TMP/k2" k2
is "$X_RESULT/$X_CODE" forbidden/bad-signature "before the refresh, the new key is unknown"
cp "$TMP/k2/jwks.json" "$WWW/jwks.json"
run ctl issuer refresh   # all of them
isnt "$RUN_RC" 0 "issuer refresh (all) exits non-zero: liar's discovery document names another issuer"
like "$RUN_ERR" "issuer liar \(http://localhost:$PORT\): the discovery document .* names another issuer; keys file .*liar.jwks kept" \
        "  ... and says so, naming the issuer"
like "$RUN_ERR" "issuer offline .*no Discovery=yes or JwksUri=; its keys file .* is kept by hand" \
        "  ... offline is skipped with a note"
like "$RUN_ERR" "issuer direct .*ec.json.* kept" "  ... direct fails (nothing at ec.json yet)"
like "$RUN_ERR" "both.conf: Discovery=yes and JwksUri= are two ways .*; issuer skipped" "  ... the unusable issuer file is named"
ok "  ... main was refreshed all the same" cmp "$KEYS" "$WWW/jwks.json"
ok "  ... offline's keys untouched" cmp "$ISSUERS/offline.jwks" "$TMP/k3/jwks.json"
test ! -e "$ISSUERS/liar.jwks" && test ! -e "$ISSUERS/direct.jwks"
is "$?" 0 "  ... no keys file written for the failed issuers"
exchange "$TMP/k2" k2
is "$X_RESULT/$X_CODE" allowed/ok "after the refresh the new key works, without restarting pkgtokend"
exchange "$TMP/k1" k1
is "$X_RESULT/$X_CODE" forbidden/bad-signature "and the dropped key is refused"

# --- failures keep the keys file byte for byte, in bounded time ------------------------------------
cp "$KEYS" "$TMP/keys.before"
# fails_keeping DESC MESSAGE-ERE: a refresh of main fails within 10 s, says MESSAGE, changes nothing.
fails_keeping() {
        local start=$SECONDS
        run ctl issuer refresh main
        if [ "$RUN_RC" -ne 0 ] && [ "$RUN_RC" -le 125 ] && [ $((SECONDS - start)) -le 10 ] &&
                printf '%s' "$RUN_ERR" | grep -qE -- "issuer main \($ISS\): .*$2" && cmp -s "$KEYS" "$TMP/keys.before"; then
                pass "$1: refused, keys file kept"
        else
                fail "$1: refused, keys file kept" "took $((SECONDS - start)) s"
                diag_run
        fi
}
server_mode 500;      fails_keeping "HTTP 500" "HTTP status 500"
server_mode garbage;  fails_keeping "not JSON (discovery)" "discovery document .* is not a JSON object"
server_mode huge;     fails_keeping "300 KiB without Content-Length" "larger than"
server_mode huge-cl;  fails_keeping "300 KiB announced by Content-Length" "larger than"
server_mode hang;     fails_keeping "a server that never answers (--timeout=2s)" "no complete answer within 2000 ms"
server_mode redirect; fails_keeping "a redirect to plain http" "openid-configuration"
server_mode ok
# The JWKS itself, after a good discovery document.
jwks_case() {
        printf '%s' "$2" >"$WWW/jwks.json"
        fails_keeping "$1" "$3"
}
K2=$(cat "$TMP/k2/jwks.json")
jwks_case "a JWKS of an HS256 key" '{"keys":[{"kty":"oct","alg":"HS256","kid":"h","k":"c2VjcmV0c2VjcmV0c2VjcmV0"}]}' \
        "no usable key"
jwks_case "a JWKS whose only key says alg none" "$(jq -c '.keys[0].alg = "none"' <<<"$K2")" "no usable key"
jwks_case "a JWKS without keys" '{"keys":[]}' "no usable key"
jwks_case "not a JWKS" '{"kys":[]}' "not a JWKS"
jwks_case "a JWKS that is not JSON" 'keys' "not a JWKS"
head -c 300000 /dev/zero | tr '\0' x >"$TMP/pad"
jwks_case "a JWKS over 256 KiB" "$(jq -c --rawfile pad "$TMP/pad" '.pad = $pad' <<<"$K2")" \
        "jwks.json: the answer is larger than 262144 bytes"
cp "$WWW/.well-known/openid-configuration" "$TMP/discovery.good"
jq '.jwks_uri = "http://keys.example.com/jwks.json"' "$TMP/discovery.good" >"$WWW/.well-known/openid-configuration"
fails_keeping "a discovery document naming a plain-http jwks_uri" "has no https:// jwks_uri"
cp "$TMP/discovery.good" "$WWW/.well-known/openid-configuration"
printf '%s' "$K2" >"$WWW/jwks.json"
exchange "$TMP/k2" k2
is "$X_RESULT/$X_CODE" allowed/ok "after all that, the kept key still works"

# --- JwksUri= and the issuer's algorithms ----------------------------------------------------------
cp "$TMP/k1/jwks.json" "$WWW/ec.json"
not_ok "direct (ES256 only) refuses a JWKS of RSA keys" ctl issuer refresh direct
like "$RUN_ERR" "issuer direct .*no key for the algorithms the issuer allows" "  ... saying why"
cp "$TMP/ec/jwks.json" "$WWW/ec.json"
ok "direct takes a JWKS with an EC key from JwksUri=" ctl issuer refresh direct
ok "  ... written" cmp "$ISSUERS/direct.jwks" "$WWW/ec.json"
exits 1 "an unknown issuer name fails" ctl issuer refresh nosuch
like "$RUN_ERR" "No issuer 'nosuch'" "  ... naming it"
exits 2 "a bad --timeout= is a usage error" "$REFRESH_BIN" --timeout=0
run ctl --json issuer list
is "$(jq -r '.[] | select(.name == "main") | [.keys, (.keys_file_mtime > 0)] | join(" ")' "$RUN_OUT_FILE")" "1 true" \
        "issuer list after the refreshes: main has one key and a keys file"

# --- who may list --------------------------------------------------------------------------------
if is_root && command -v setpriv >/dev/null 2>&1; then
        chmod 0711 "$TMP" && chmod a+x "$TMP/bus" && chmod a+rw "$BUS_SOCKET"
        DBUS_CALLER=(setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups --)
        error_is org.pkgtoken1.Error.AccessDenied "ListIssuers is for admins" ListIssuers
        DBUS_CALLER=()
else
        skip "not root: cannot call as another user" 1
fi

done_testing
