#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Bad input through the CLI and straight over the bus: empty, huge, invalid
# names, invalid UTF-8, wrong signatures, bad CIDRs, patterns, types and policies.  Each gets
# a clear error, the daemon stays up, and nothing changes.

. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
setup_bus_and_daemon

ok "account add alice" ctl account add alice --email=alice@example.org
ok "package add pkg" ctl package add pkg --policy=none --maintainer=alice
must_create_token A alice --type=automation --description="good token"

# The whole state, as the API shows it (without timestamps that may move, e.g. last_used).
snapshot() {
        {
                mgr_json ListAccounts | jq -cS "$JQ_AASV"
                mgr_json ListPackages | jq -cS "$JQ_AASV"
                mgr_json ListTokens ss "" "" | jq -cS "$JQ_AASV | map(del(.last_used_at, .last_used_from))"
        } 2>&1
}
SNAP=$(snapshot)
like "$SNAP" '"alice"' "the state snapshot shows the account"
like "$SNAP" '"pkg"' "  ... and the package"
like "$SNAP" "\"$A_ID\"" "  ... and the token"
unchanged() {
        is "$(snapshot)" "$SNAP" "${1:-  ... nothing changed}"
}

# refused DESC CMD...: a refusal (exit 1 or 2), with a message, and not a crash.
refused() {
        local desc=$1
        shift
        run "$@"
        if { [ "$RUN_RC" -eq 1 ] || [ "$RUN_RC" -eq 2 ]; } && [ -s "$RUN_ERR_FILE" ]; then
                pass "$desc"
        else
                fail "$desc" "expected exit code 1 or 2 and an error message"
                diag_run
        fi
}

# authorize_refused DESC [NOTE]: the `ctl authorize` just run was refused, with exit code 1 or
# 2 (not a crash): "DESC: refused (exit N[NOTE])".
authorize_refused() {
        if [ "$RUN_RC" -eq 1 ] || [ "$RUN_RC" -eq 2 ]; then
                pass "$1: refused (exit $RUN_RC${2:-})"
        else
                fail "$1: refused"
                diag_run
        fi
}

long=$(head -c 120000 /dev/zero | tr '\0' a)       # argv strings stop at 128 KiB
bad_utf8=$'caf\xc3\x28'

# --- accounts -------------------------------------------------------------------------------------
refused "account add ''"                   ctl account add ''
refused "account add 'bad name'"           ctl account add 'bad name'
refused "account add -- -dash"             ctl account add -- -dash
refused "account add a/b"                  ctl account add a/b
refused "account add Alice (upper case)"   ctl account add Alice
refused "account add with 65 characters"   ctl account add "$(printf 'a%.0s' $(seq 65))"
refused "account add with 120000 characters" ctl account add "$long"
refused "account add with invalid UTF-8"   ctl account add "$bad_utf8"
refused "account add with a newline"       ctl account add $'ali\nce'
refused "account add --email=not-an-email" ctl account add dave --email=not-an-email
refused "account add --email with a space" ctl account add dave --email='a b@example.org'
refused "account add --kind=robot"         ctl account add dave --kind=robot
refused "account show ''"                  ctl account show ''
refused "account remove ''"                ctl account remove ''
unchanged
check_daemon_alive

# --- packages -------------------------------------------------------------------------------------
refused "package add ''"                   ctl package add '' --maintainer=alice
refused "package add 'bad name'"           ctl package add 'bad name' --maintainer=alice
refused "package add .hidden"              ctl package add .hidden --maintainer=alice
refused "package add _under"               ctl package add _under --maintainer=alice
refused "package add @scope/"              ctl package add @scope/ --maintainer=alice
refused "package add @/name"               ctl package add @/name --maintainer=alice
refused "package add a/b/c"                ctl package add a/b/c --maintainer=alice
refused "package add with 215 characters"  ctl package add "$(printf 'p%.0s' $(seq 215))" --maintainer=alice
refused "package add with 120000 characters" ctl package add "$long" --maintainer=alice
refused "package add with invalid UTF-8"   ctl package add "$bad_utf8" --maintainer=alice
refused "package add --policy=sometimes"   ctl package add newpkg --policy=sometimes --maintainer=alice
refused "package add --policy=''"          ctl package add newpkg --policy= --maintainer=alice
refused "package add --maintainer=''"      ctl package add newpkg --maintainer=
refused "package policy pkg bogus"         ctl package policy pkg bogus
refused "package policy pkg ''"            ctl package policy pkg ''
refused "package maintainer add pkg ''"    ctl package maintainer add pkg ''
unchanged
check_daemon_alive

# --- tokens ---------------------------------------------------------------------------------------
refused "token create --type=admin"        ctl token create alice --type=admin
refused "token create --type=''"           ctl token create alice --type=
refused "token create --package='*'"       ctl token create alice --type=publish --package='*'
refused "token create --package=''"        ctl token create alice --type=publish --package=
refused "token create --package='@/*'"     ctl token create alice --type=publish --package='@/*'
refused "token create --package='Bad Name'" ctl token create alice --type=publish --package='Bad Name'
refused "token create --package='*foo'"    ctl token create alice --type=publish --package='*foo'
refused "token create --cidr=300.1.1.0/24" ctl token create alice --type=publish --cidr=300.1.1.0/24
refused "token create --cidr=192.0.2.0/33" ctl token create alice --type=publish --cidr=192.0.2.0/33
refused "token create --cidr=192.0.2.1/24 (host bits set)" ctl token create alice --type=publish --cidr=192.0.2.1/24
refused "token create --cidr=2001:db8::/129" ctl token create alice --type=publish --cidr=2001:db8::/129
refused "token create --cidr=2001:db8:::1" ctl token create alice --type=publish --cidr=2001:db8:::1
refused "token create --cidr=garbage"      ctl token create alice --type=publish --cidr=garbage
refused "token create --cidr=''"           ctl token create alice --type=publish --cidr=
refused "token create --cidr=192.0.2.0/-1" ctl token create alice --type=publish --cidr=192.0.2.0/-1
refused "token create, control character in the description" ctl token create alice --type=publish --description=$'a\x01b'
refused "token create, invalid UTF-8 in the description" ctl token create alice --type=publish --description="$bad_utf8"
refused "token create, 257-byte description" ctl token create alice --type=publish --description="$(printf 'd%.0s' $(seq 257))"
refused "token create, 120000-byte description" ctl token create alice --type=publish --description="$long"
refused "token create --expires=0d"        ctl token create alice --type=publish --expires=0d
refused "token create --expires=99999999999d" ctl token create alice --type=publish --expires=99999999999d
refused "token create --expires=2026-13-45" ctl token create alice --type=publish --expires=2026-13-45
refused "token create for ''"              ctl token create '' --type=publish
refused "token show ''"                    ctl token show ''
refused "token show not-an-id"             ctl token show not-an-id
refused "token revoke ''"                  ctl token revoke ''
refused "token revoke with invalid UTF-8"  ctl token revoke "tk_$bad_utf8"
unchanged
check_daemon_alive

# --- authorize: bad tokens on stdin are answered "invalid", bad requests refused --------------------------
authz "$long" pkg publish
if { [ "$AUTHZ_RC" -eq 1 ] || [ "$AUTHZ_RC" -eq 2 ]; } &&
   { [ "$AUTHZ_RESULT" = invalid ] || [ -s "$RUN_ERR_FILE" ]; }; then
        pass "a 120000-byte token: invalid or refused (exit $AUTHZ_RC)"
else
        fail "a 120000-byte token: invalid or refused" "got '$AUTHZ_RESULT', exit code $AUTHZ_RC"
        diag_run
fi
head -c 1048576 /dev/zero | tr '\0' b >"$TMP/huge.in"
RUN_STDIN=$TMP/huge.in run ctl authorize pkg publish
authorize_refused "a 1 MB token on stdin" ", $(head -n 1 "$RUN_OUT_FILE")"
printf '%s\n' "$bad_utf8" >"$TMP/utf8.in"
RUN_STDIN=$TMP/utf8.in run ctl authorize pkg publish
authorize_refused "an invalid UTF-8 token"
RUN_STDIN=/dev/null run ctl authorize pkg publish
authorize_refused "no token at all (empty stdin)"
authz "$A_SECRET" '' publish
authorize_refused "authorize for package ''"
authz "$A_SECRET" 'Bad Name' publish
authorize_refused "authorize for package 'Bad Name'"
authz "$A_SECRET" pkg ''
authorize_refused "authorize for action ''"
unchanged "  ... nothing changed (a refused publish creates no package)"
check_daemon_alive

# --- straight over the bus: wrong signatures --------------------------------------------------------------
not_ok "CreateAccount with signature i" mgr CreateAccount i 42
check_daemon_alive "  ... daemon still alive"
not_ok "CreateAccount with too few arguments (ss)" mgr CreateAccount ss x y
not_ok "CreateAccount with too many arguments" mgr CreateAccount 'sssa{sv}s' x y human 0 extra
not_ok "CreateToken with its arguments in the wrong order" mgr CreateToken 'sasssta{sv}as' alice 0 publish d 0 0 0
not_ok "Authorize with no arguments" mgr Authorize
not_ok "GetStatus with an argument" mgr GetStatus s x
not_ok "SetAccountLocked with s instead of b" mgr SetAccountLocked ss alice yes
not_ok "ListAuditEvents with a negative limit as int" mgr ListAuditEvents sti pkg 0 -1
not_ok "an unknown method" mgr NoSuchMethod
not_ok "an unknown interface" busctl_ call org.pkgtoken1 /org/pkgtoken1 org.pkgtoken1.NoSuchInterface Foo
not_ok "an unknown object path" busctl_ call org.pkgtoken1 /org/pkgtoken1/nothing org.pkgtoken1.Manager GetStatus
error_is org.freedesktop.DBus.Error.UnknownMethod "an unknown method: UnknownMethod" NoSuchMethod
unchanged
check_daemon_alive "daemon still alive after wrong signatures"

# --- straight over the bus: bad values -----------------------------------------------------------------------
inv=org.pkgtoken1.Error.InvalidArgument
error_is $inv "CreateAccount '': InvalidArgument" CreateAccount "''" "''" "'human'" "@a{sv} {}"
error_is $inv "CreateAccount 'bad name': InvalidArgument" CreateAccount "'bad name'" "''" "'human'" "@a{sv} {}"
error_is $inv "CreateAccount kind robot: InvalidArgument" CreateAccount "'dave'" "''" "'robot'" "@a{sv} {}"
error_is $inv "CreateAccount bad e-mail: InvalidArgument" CreateAccount "'dave'" "'nope'" "'human'" "@a{sv} {}"
error_is $inv "CreatePackage bad name: InvalidArgument" CreatePackage "'.bad'" "'none'" "['alice']"
error_is $inv "CreatePackage bad policy: InvalidArgument" CreatePackage "'newpkg'" "'sometimes'" "['alice']"
error_is $inv "CreateToken bad type: InvalidArgument" \
        CreateToken "'alice'" "'admin'" "@as []" "''" "@t 0" "@as []" "@a{sv} {}"
error_is $inv "CreateToken bad pattern '*': InvalidArgument" \
        CreateToken "'alice'" "'publish'" "['*']" "''" "@t 0" "@as []" "@a{sv} {}"
error_is $inv "CreateToken bad CIDR: InvalidArgument" \
        CreateToken "'alice'" "'publish'" "@as []" "''" "@t 0" "['10.0.0.0/99']" "@a{sv} {}"
error_is $inv "CreateToken control character in the description: InvalidArgument" \
        CreateToken "'alice'" "'publish'" "@as []" "'a\\u0001b'" "@t 0" "@as []" "@a{sv} {}"
error_is $inv "CreateToken package_owned of the wrong type: InvalidArgument" \
        CreateToken "'alice'" "'automation'" "['pkg']" "''" "@t 0" "@as []" "{'package_owned': <'yes'>}"
error_is $inv "SetPackagePolicy bad policy: InvalidArgument" SetPackagePolicy "'pkg'" "'bogus'"
error_is $inv "GetToken of a malformed id: InvalidArgument" GetToken "'not an id'"
error_is $inv "Authorize with an unknown action: InvalidArgument" \
        Authorize "'$A_SECRET'" "'pkg'" "'delete'" "@a{sv} {}"
error_is $inv "Authorize with an unparsable remote address: InvalidArgument" \
        Authorize "'$A_SECRET'" "'pkg'" "'publish'" "{'remote': <'not-an-address'>}"

# Huge: 1 MB in one call, as 8192 scope patterns of 128 bytes (one argv string stops at
# 128 KiB, so busctl cannot send a single 1 MB string), and a 120000-byte name.
pat=$(printf 'x%.0s' $(seq 126))
pats=()
for ((i = 0; i < 8192; i++)); do pats+=("$pat$i"); done
not_ok "CreateToken with 1 MB of scope patterns (8192 of them)" \
        mgr CreateToken 'ssasstasa{sv}' alice automation 8192 "${pats[@]}" d 0 0 0
check_daemon_alive "  ... daemon still alive"
not_ok "CreateToken with 8192 CIDRs" \
        mgr CreateToken 'ssasstasa{sv}' alice automation 0 d 0 8192 "${pats[@]}" 0
not_ok "CreateAccount with a 120000-byte name" mgr CreateAccount 'sssa{sv}' "$long" '' human 0
not_ok "CreateAccount with a 120000-byte e-mail" mgr CreateAccount 'sssa{sv}' dave "$long@example.org" human 0
mgr_authorize "$long" pkg publish
is "$MGR_RC/$MGR_RESULT" 0/invalid "Authorize with a 120000-byte token: invalid"
mgr_authorize "$A_SECRET" "$long" publish
if [ "$MGR_RC" -ne 0 ] || { [ -n "$MGR_RESULT" ] && [ "$MGR_RESULT" != allowed ]; }; then
        pass "Authorize with a 120000-byte package name: refused (${MGR_RESULT:-error})"
else
        fail "Authorize with a 120000-byte package name: refused"
        diag_run
fi
unchanged
check_daemon_alive

# Invalid UTF-8 never reaches the daemon: the client library or the bus refuses it.
not_ok "CreateAccount with an invalid UTF-8 name (busctl)" mgr CreateAccount 'sssa{sv}' "$bad_utf8" '' human 0
not_ok "Authorize with an invalid UTF-8 token (busctl)" mgr Authorize 'sssa{sv}' "pkgt_$bad_utf8" pkg publish 0
not_ok "CreateToken with an invalid UTF-8 description (busctl)" \
        mgr CreateToken 'ssasstasa{sv}' alice publish 0 "$bad_utf8" 0 0 0
unchanged
check_daemon_alive

# The good token still works after all that.
expect_authz allowed "the good token still works" "$A_SECRET" pkg publish

stop_daemon
is "$STOP_RC" 0 "pkgtokend exits 0 on SIGTERM"

done_testing
