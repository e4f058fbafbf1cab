#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The registry API's package methods over the bus, called as a registry server would
# (tests/lib-registry.sh): GetPackageInfo (npm owner ls, npm access list collaborators) with
# its read rules; SetOwnPackagePolicy (npm access set mfa=...) under the governance rule
# (common/governance.h: a person with 2FA and a current code) and ChangeMaintainer's check (a
# maintainer), audited as the account via the registry; and proofs that carry both a token
# and the account's password (npm token create), both checked.

. "${top_srcdir:-$(dirname "$0")/..}/tests/lib-registry.sh"

# info_of BUSCTL-ARGS...: GetPackageInfo as the registry (the proof as busctl arguments, then
# the package); sets INFO (the package record, flat JSON) and MAINTAINERS ("name <email>" per
# line), both empty on failure.
info_of() {
        INFO='{}' MAINTAINERS=''
        run reg_json GetPackageInfo 'a{sv}s' "$@"
        [ "$RUN_RC" -eq 0 ] || return 0
        INFO=$(jq -c "$JQ_ASV" <"$RUN_OUT_FILE")
        MAINTAINERS=$(jq -r '.data[1][] | "\(.name.data) <\(.email.data)>"' <"$RUN_OUT_FILE" | paste -sd, -)
}
policy_of() {
        mgr_json GetPackage s "$1" | jq -r "$JQ_ASV | .policy"
}
# proof SECRET [KEY VALUE]...: a proof with a token (and more) as GVariant text for gdbus.
proof() {
        local text="'token': <$(gv "$1")>"
        shift
        while [ $# -ge 2 ]; do
                text+=", '$1': <$(gv "$2")>"
                shift 2
        done
        echo "{$text}"
}

# --- set-up ----------------------------------------------------------------------------------------
for a in alice bob carol; do
        mgr CreateAccount 'sssa{sv}' "$a" "$a@example.org" human 0 >/dev/null &&
                mgr SetPassword 'ssa{sv}' "$a" "$a password 1" 0 >/dev/null || bail_out "account $a"
done
for spec in p-none:none:alice p-oa:2fa-or-automation:alice p-strict:2fa-only:alice bob-pkg:none:bob \
            c-pkg:none:carol; do
        IFS=: read -r name policy maintainer <<<"$spec"
        mgr CreatePackage ssas "$name" "$policy" 1 "$maintainer" >/dev/null || bail_out "package $name"
done
token alice read-only "" "" 0 && RO=$NEW_TOKEN
token alice publish "" "" 0 && PUB=$NEW_TOKEN
token alice automation "" "" 0 && AUTO=$NEW_TOKEN
token alice automation "p-n*" "" 0 && SCOPED=$NEW_TOKEN
token alice publish "" "192.0.2.0/24" 0 && CIDR=$NEW_TOKEN
token alice automation p-none "" 0 package_owned b true && PKG=$NEW_TOKEN
token bob publish "" "" 0 && BOBPUB=$NEW_TOKEN
[ -n "$RO" ] && [ -n "$PUB" ] && [ -n "$AUTO" ] && [ -n "$PKG" ] && [ -n "$BOBPUB" ] || bail_out "tokens"

# --- GetPackageInfo: what npm owner ls and npm access list collaborators show ---------------------------
info_of 1 token s "$RO" p-none
is "$RUN_RC/$(jq -r '.name + "/" + .policy' <<<"$INFO")" "0/p-none/none" "GetPackageInfo(read-only token): the package record"
is "$MAINTAINERS" "alice <alice@example.org>" "  ... its maintainers with their e-mail addresses"
is "$(jq -r '[.require_approval, .require_trusted_publishing] | join(" ")' <<<"$INFO")" "false false" \
        "  ... and its options: require_approval, require_trusted_publishing"
ok "SetPackageOptions p-none require_trusted_publishing (admin)" \
        mgr SetPackageOptions 'sa{sv}' p-none 1 require_trusted_publishing b true
info_of 1 token s "$RO" p-none
is "$(jq -r .require_trusted_publishing <<<"$INFO")" true "  ... GetPackageInfo shows it"
ok "  ... and off again" mgr SetPackageOptions 'sa{sv}' p-none 1 require_trusted_publishing b false
ok "bob joins p-none (admin)" mgr AddMaintainer ss p-none bob
info_of 1 token s "$RO" p-none
is "$MAINTAINERS" "alice <alice@example.org>,bob <bob@example.org>" "  ... both maintainers"
info_of 1 token s "$PKG" p-none
is "$RUN_RC/$(jq -r .name <<<"$INFO")" 0/p-none "GetPackageInfo(package token of p-none)"
info_of 2 account s bob password s "bob password 1" p-strict
is "$RUN_RC/$MAINTAINERS" "0/alice <alice@example.org>" "GetPackageInfo(bob's password): any package"
info_of 1 token s "$CIDR" p-none
isnt "$RUN_RC" 0 "GetPackageInfo(token for 192.0.2.0/24, no remote): refused"
info_of 2 token s "$CIDR" remote s 192.0.2.5 p-none
is "$RUN_RC" 0 "  ... from inside its CIDR: answered"
# Refusals: every rule of a read, then the package.
while IFS='|' read -r expected desc proof_text package; do
        reg_error_is "$expected" "GetPackageInfo: $desc" GetPackageInfo "$(eval "echo \"$proof_text\"")" "$package"
done <<'EOF_TABLE'
Forbidden|package token, another package|$(proof "$PKG")|bob-pkg
Forbidden|token scoped to p-n*, bob-pkg|$(proof "$SCOPED")|bob-pkg
Forbidden|outside the token's CIDRs|$(proof "$CIDR" remote 203.0.113.9)|p-none
NoSuchPackage|a package that does not exist|$(proof "$RO")|no-such
BadCredentials|an unknown token|$(proof pkgt_nope)|p-none
BadCredentials|a wrong password|{'account': <'bob'>, 'password': <'wrong'>}|p-none
InvalidArgument|a malformed package name|$(proof "$RO")|Not A Name!
InvalidArgument|an empty proof|@a{sv} {}|p-none
EOF_TABLE

# --- SetOwnPackagePolicy: npm access set mfa=... ----------------------------------------------------------
if ! command -v oathtool >/dev/null 2>&1 || ! enroll_2fa alice auth-only; then
        bail_out "alice cannot enrol in 2FA (oathtool?)"
fi
pass "alice enrols in 2FA (auth-only): only people with a second factor govern"
reg_error_is OTPRequired "SetOwnPackagePolicy(alice's publish token, no code)" SetOwnPackagePolicy "$(proof "$PUB")" \
        p-none 2fa-only '{}'
next_otp alice
reg_ok "SetOwnPackagePolicy(publish token + code, p-none -> 2fa-only)" SetOwnPackagePolicy \
        "$(proof "$PUB" otp "$OTP")" p-none 2fa-only '{}'
is "$(policy_of p-none)" 2fa-only "  ... p-none is 2fa-only"
audit_json p-none
audit_has "  ... audited as alice via the registry, with the change" "$TMP/audit.json" package-policy \
        "alice ($REGISTRY)" "policy none -> 2fa-only"
reg_error_is ReplayedOTP "  ... the same code again" SetOwnPackagePolicy "$(proof "$PUB" otp "$OTP")" p-none none '{}'
wrong_otp alice
reg_error_is BadOTP "  ... a wrong code" SetOwnPackagePolicy "$(proof "$PUB" otp "$OTP")" p-none none '{}'
# Refusals: governance first, then the package, the policy, the options.  (A code that is
# never reached is not spent.)
while IFS='|' read -r expected desc proof_text package policy options; do
        [ -n "$options" ] || options='{}'
        reg_error_is "$expected" "SetOwnPackagePolicy: $desc" SetOwnPackagePolicy "$(eval "echo \"$proof_text\"")" \
                "$package" "$policy" "$options"
done <<'EOF_TABLE'
Forbidden|automation token (governance)|$(proof "$AUTO" otp 123456)|p-oa|none
Forbidden|package token (governance)|$(proof "$PKG" otp 123456)|p-none|none
Forbidden|read-only token|$(proof "$RO" otp 123456)|p-none|none
Forbidden|a token of bob, who has no 2FA|$(proof "$BOBPUB" otp 123456)|bob-pkg|none
Forbidden|bob's password, no 2FA|{'account': <'bob'>, 'password': <'bob password 1'>}|bob-pkg|none
NotMaintainer|alice on bob's bob-pkg|$(proof "$PUB" otp 123456)|bob-pkg|none
NoSuchPackage|a package that does not exist|$(proof "$PUB" otp 123456)|no-such|none
InvalidArgument|an unknown policy|$(proof "$PUB" otp 123456)|p-none|sometimes
InvalidArgument|an empty policy|$(proof "$PUB" otp 123456)|p-none|
InvalidArgument|an unknown option|$(proof "$PUB" otp 123456)|p-none|none|{'force': <true>}
BadCredentials|a wrong password|{'account': <'alice'>, 'password': <'wrong'>}|p-none|none
EOF_TABLE
is "$(policy_of p-none)/$(policy_of p-oa)/$(policy_of bob-pkg)" "2fa-only/2fa-or-automation/none" "  ... no policy changed"
next_otp alice
reg_ok "SetOwnPackagePolicy(alice's password + code, p-none -> 2fa-or-automation)" SetOwnPackagePolicy \
        "{'account': <'alice'>, 'password': <'alice password 1'>, 'otp': <'$OTP'>}" p-none 2fa-or-automation '{}'
is "$(policy_of p-none)" 2fa-or-automation "  ... p-none is 2fa-or-automation"
audit_json p-none
audit_has "  ... audited" "$TMP/audit.json" package-policy "alice ($REGISTRY)" "policy 2fa-only -> 2fa-or-automation"

# --- proofs with a token and the password (npm token create sends both): both are checked ------------------
CREATE=(publish "@as []" "npm token create" 0 "@as []" '{}')
reg_error_is OTPRequired "CreateOwnToken(alice's token + password, no code)" CreateOwnToken \
        "$(proof "$PUB" password "alice password 1")" "${CREATE[@]}"
next_otp alice
reg_ok "CreateOwnToken(token + the right password + code)" CreateOwnToken \
        "$(proof "$PUB" password "alice password 1" otp "$OTP")" "${CREATE[@]}"
audit_json
audit_has "  ... audited as alice via the registry" "$TMP/audit.json" token-create "alice ($REGISTRY)"
next_otp alice
wrong=$(reg_error CreateOwnToken "$(proof "$PUB" password "wrong password" otp "$OTP")" "${CREATE[@]}")
other=$(reg_error CreateOwnToken "$(proof "$PUB" account bob password "bob password 1" otp "$OTP")" "${CREATE[@]}")
is "$wrong" org.pkgtoken1.Error.BadCredentials "CreateOwnToken(token + a wrong password): BadCredentials"
is "$other" "$wrong" "  ... another account's name and password: the same answer"
while IFS='|' read -r expected desc proof_text; do
        reg_error_is "$expected" "CreateOwnToken: $desc" CreateOwnToken "$(eval "echo \"$proof_text\"")" "${CREATE[@]}"
done <<'EOF_TABLE'
BadCredentials|an unknown token with the right password|$(proof pkgt_nope password "alice password 1")
Forbidden|an automation token with the right password (governance)|$(proof "$AUTO" password "alice password 1" otp 123456)
Forbidden|a package token with a password|$(proof "$PKG" password "alice password 1")
Forbidden|a read-only token with the right password|$(proof "$RO" password "alice password 1" otp 123456)
InvalidArgument|a token and an account without a password|$(proof "$PUB" account alice)
EOF_TABLE
run reg_json WhoAmI 'a{sv}' 2 token s "$BOBPUB" password s "bob password 1"
is "$RUN_RC/$(jq -r '.data[0]' <"$RUN_OUT_FILE")" 0/bob "WhoAmI(bob's token + password): bob"
reg_error_is BadCredentials "WhoAmI(bob's token + a wrong password)" WhoAmI "$(proof "$BOBPUB" password wrong)"
reg_error_is BadCredentials "WhoAmI(package token + a password): no account to prove" WhoAmI \
        "$(proof "$PKG" password "alice password 1")"

check_daemon_alive
stop_daemon
is "$STOP_RC" 0 "pkgtokend exits 0 on SIGTERM"
done_testing
