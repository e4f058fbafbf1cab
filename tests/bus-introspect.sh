#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The API contract: what pkgtokend introspects for org.pkgtoken1.Manager equals
# dbus/org.pkgtoken1.xml, every argument is named, and every method of the API is there.

. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
setup_bus_and_daemon

XML=$top_srcdir/dbus/org.pkgtoken1.xml
IFACE=org.pkgtoken1.Manager

# manager_block: the <interface name="org.pkgtoken1.Manager"> ... </interface> element of the
# XML on stdin, with comments dropped and whitespace normalised, one element per line.
manager_block() {
        tr '\n\t' '  ' |
                sed -e 's/<!--\([^-]\|-[^-]\)*-->//g' |
                sed -e 's/[[:space:]]\{1,\}/ /g' -e 's/> *</></g' -e 's/ *\/>/\/>/g' -e 's/ *>/>/g' |
                awk -v start="<interface name=\"$IFACE\">" '{
                        i = index($0, start)
                        if (i == 0) exit
                        rest = substr($0, i)
                        j = index(rest, "</interface>")
                        if (j == 0) exit
                        print substr(rest, 1, j + length("</interface>") - 1)
                }' |
                sed -e 's/></>\n</g'
}

if [ ! -f "$XML" ]; then
        fail "dbus/org.pkgtoken1.xml exists" "not found: $XML"
        done_testing
fi

run busctl_ introspect --xml-interface org.pkgtoken1 /org/pkgtoken1
is "$RUN_RC" 0 "busctl introspect --xml-interface"
live=$(manager_block <"$RUN_OUT_FILE")
file=$(manager_block <"$XML")
like "$live" "^<interface name=\"$IFACE\">" "the daemon introspects $IFACE"
like "$file" "^<interface name=\"$IFACE\">" "dbus/org.pkgtoken1.xml describes $IFACE"
if [ -n "$live" ] && [ "$live" = "$file" ]; then
        pass "the daemon's $IFACE equals dbus/org.pkgtoken1.xml"
else
        fail "the daemon's $IFACE equals dbus/org.pkgtoken1.xml"
        printf '%s\n' "$file" >"$TMP/file.xml"
        printf '%s\n' "$live" >"$TMP/live.xml"
        diag "$(diff -u --label dbus/org.pkgtoken1.xml --label introspected "$TMP/file.xml" "$TMP/live.xml" | head -n 80)"
fi

# Every argument has a name (SD_BUS_METHOD_WITH_ARGS).
unnamed=$(printf '%s\n' "$live" | grep '^<arg ' | grep -v ' name="' || true)
is "$unnamed" "" "every method argument is named"

methods="CreateAccount GetAccount ListAccounts SetAccountLocked RemoveAccount CreatePackage
GetPackage ListPackages SetPackagePolicy AddMaintainer RemoveMaintainer CreateToken GetToken
ListTokens RevokeToken Authorize ListAuditEvents GetStatus"
for m in $methods; do
        like "$live" "<method name=\"$m\">" "method $m"
done

# The signatures that clients code against.
signature() {
        # the in and out argument types of method $1, as "in1in2...->out1out2..."
        printf '%s\n' "$live" | awk -v m="<method name=\"$1\">" '
                $0 == m { on = 1; next }
                on && /^<\/method>/ { exit }
                on && /^<arg / {
                        t = $0; sub(/.* type="/, "", t); sub(/".*/, "", t)
                        if ($0 ~ /direction="out"/) o = o t; else i = i t
                }
                END { print i "->" o }'
}
is "$(signature CreateAccount)" 'sssa{sv}->' "CreateAccount(s name, s email, s kind, a{sv} options)"
is "$(signature GetAccount)" 's->a{sv}' "GetAccount(s) -> a{sv}"
is "$(signature ListAccounts)" '->aa{sv}' "ListAccounts() -> aa{sv}"
is "$(signature CreatePackage)" 'ssas->' "CreatePackage(s, s, as)"
is "$(signature CreateToken)" 'ssasstasa{sv}->ss' "CreateToken(s, s, as, s, t, as, a{sv}) -> (s id, s token)"
is "$(signature Authorize)" 'sssa{sv}->ssss' "Authorize(s, s, s, a{sv}) -> (s, s, s, s)"
is "$(signature ListAuditEvents)" 'stu->aa{sv}' "ListAuditEvents(s, t, u) -> aa{sv}"
is "$(signature GetStatus)" '->a{sv}' "GetStatus() -> a{sv}"

# The standard interfaces are there too (the bus policy lets everybody call them).
for i in org.freedesktop.DBus.Peer org.freedesktop.DBus.Introspectable org.freedesktop.DBus.Properties; do
        if grep -q "<interface name=\"$i\">" "$RUN_OUT_FILE"; then
                pass "interface $i"
        else
                fail "interface $i"
        fi
done

# The installed XML is well-formed enough for xmllint, where it is installed.
if command -v xmllint >/dev/null 2>&1; then
        ok "dbus/org.pkgtoken1.xml is well-formed XML" xmllint --noout "$XML"
else
        skip "xmllint not installed"
fi

check_daemon_alive
done_testing
