#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Packages over the bus: create (npm and @scope names, canonical lower case), list, show,
# publishing policy, maintainers; errors by name.

. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
setup_bus_and_daemon

package_names() {
        ctl --json package list | jq -r '.[].name' | sort | tr '\n' ' '
}
maintainers() {
        ctl --json package show "$1" | jq -r '.maintainers | sort | join(" ")'
}
policy() {
        ctl --json package show "$1" | jq -r '.policy'
}

# maintainer_refused VERB PACKAGE ACCOUNT ERROR CLI-DESC BUS-DESC: `package maintainer VERB
# PACKAGE ACCOUNT` exits 1, and the same change over the bus fails with ERROR.
maintainer_refused() {
        local verb=$1 package=$2 account=$3 error=$4 method=AddMaintainer
        [ "$verb" = remove ] && method=RemoveMaintainer
        exits 1 "$5: exit 1" ctl package maintainer "$verb" "$package" "$account"
        error_is "org.pkgtoken1.Error.$error" "$6: $error" "$method" "'$package'" "'$account'"
}

ok "account add alice" ctl account add alice
ok "account add bob" ctl account add bob
ok "account add carol" ctl account add carol

# --- create ------------------------------------------------------------------------------------
ok "package add left-pad --maintainer=alice" ctl package add left-pad --maintainer=alice
is "$(policy left-pad)" 2fa-or-automation "  ... default policy 2fa-or-automation"
is "$(maintainers left-pad)" alice "  ... maintainer alice"

ok "package add with --policy=none and two maintainers" \
        ctl package add right-pad --policy=none --maintainer=alice --maintainer=bob
is "$(policy right-pad)" none "  ... policy none"
is "$(maintainers right-pad)" "alice bob" "  ... maintainers alice bob"

ok "package add @acme/widget --policy=2fa-only" \
        ctl package add @acme/widget --policy=2fa-only --maintainer=bob
is "$(policy @acme/widget)" 2fa-only "  ... policy 2fa-only"

ok "package add MixedCase (canonicalised)" ctl package add MixedCase --maintainer=carol
ok "  ... shown as mixedcase" ctl package show mixedcase
exits 1 "package add mixedcase again: exit 1 (same package)" ctl package add mixedcase --maintainer=carol

exits 1 "package add left-pad again: exit 1" ctl package add left-pad --maintainer=bob
stderr_one_line "  ... one line on stderr"
is "$(maintainers left-pad)" alice "  ... maintainers unchanged"
error_is org.pkgtoken1.Error.PackageExists "CreatePackage of an existing name: PackageExists" \
        CreatePackage "'left-pad'" "'none'" "['bob']"

exits 1 "package add with an unknown maintainer: exit 1" ctl package add ghost-pkg --maintainer=nobody-here
exits 1 "  ... package not created" ctl package show ghost-pkg
error_is org.pkgtoken1.Error.NoSuchAccount "CreatePackage with an unknown maintainer: NoSuchAccount" \
        CreatePackage "'ghost-pkg'" "'none'" "['nobody-here']"

not_ok "package add --policy=sometimes refused" ctl package add odd-pkg --policy=sometimes --maintainer=alice
exits 1 "  ... package not created" ctl package show odd-pkg

# --- list and show -------------------------------------------------------------------------------
is "$(package_names)" "@acme/widget left-pad mixedcase right-pad " "package list --json"
run ctl package list
is "$RUN_RC" 0 "package list (text): exit 0"
like "$RUN_OUT" '@acme/widget' "  ... lists @acme/widget"
run ctl package show left-pad
is "$RUN_RC" 0 "package show (text): exit 0"
like "$RUN_OUT" 'alice' "  ... lists the maintainer"
like "$RUN_OUT" '2fa-or-automation' "  ... shows the policy"
exits 1 "package show of an unknown package: exit 1" ctl package show no-such-pkg
stderr_one_line "  ... one line on stderr"
error_is org.pkgtoken1.Error.NoSuchPackage "GetPackage of an unknown name: NoSuchPackage" \
        GetPackage "'no-such-pkg'"

ok "CreatePackage over the bus" mgr CreatePackage ssas bus-pkg none 2 alice carol
run mgr_json GetPackage s bus-pkg
is "$RUN_RC" 0 "GetPackage bus-pkg"
is "$(jq -r "$JQ_ASV | .name" <"$RUN_OUT_FILE")" bus-pkg "  ... name"
is "$(jq -r "$JQ_ASV | .policy" <"$RUN_OUT_FILE")" none "  ... policy"
is "$(jq -r "$JQ_ASV | .maintainers | sort | join(\" \")" <"$RUN_OUT_FILE")" "alice carol" "  ... maintainers"
run mgr_json ListPackages
is "$RUN_RC" 0 "ListPackages"
is "$(jq -r "$JQ_AASV | map(.name) | sort | join(\" \")" <"$RUN_OUT_FILE")" \
        "@acme/widget bus-pkg left-pad mixedcase right-pad" "  ... all five packages"

# --- policy ------------------------------------------------------------------------------------------
ok "package policy left-pad 2fa-only" ctl package policy left-pad 2fa-only
is "$(policy left-pad)" 2fa-only "  ... changed"
ok "package policy left-pad none" ctl package policy left-pad none
is "$(policy left-pad)" none "  ... changed"
ok "SetPackagePolicy over the bus" mgr SetPackagePolicy ss left-pad 2fa-or-automation
is "$(policy left-pad)" 2fa-or-automation "  ... changed"
not_ok "package policy left-pad bogus refused" ctl package policy left-pad bogus
is "$(policy left-pad)" 2fa-or-automation "  ... unchanged"
error_is org.pkgtoken1.Error.InvalidArgument "SetPackagePolicy with a bad policy: InvalidArgument" \
        SetPackagePolicy "'left-pad'" "'bogus'"
exits 1 "package policy of an unknown package: exit 1" ctl package policy no-such-pkg none
error_is org.pkgtoken1.Error.NoSuchPackage "SetPackagePolicy of an unknown package: NoSuchPackage" \
        SetPackagePolicy "'no-such-pkg'" "'none'"

# --- maintainers ---------------------------------------------------------------------------------------
ok "package maintainer add left-pad bob" ctl package maintainer add left-pad bob
is "$(maintainers left-pad)" "alice bob" "  ... alice bob"
maintainer_refused add left-pad bob AlreadyMaintainer "package maintainer add left-pad bob again" \
        "AddMaintainer twice"
maintainer_refused add left-pad nobody-here NoSuchAccount "package maintainer add of an unknown account" \
        "AddMaintainer of an unknown account"
maintainer_refused add no-such-pkg bob NoSuchPackage "package maintainer add to an unknown package" \
        "AddMaintainer to an unknown package"

ok "package maintainer remove left-pad alice" ctl package maintainer remove left-pad alice
is "$(maintainers left-pad)" "bob" "  ... bob"
maintainer_refused remove left-pad carol NotMaintainer "package maintainer remove left-pad carol (not one)" \
        "RemoveMaintainer of a non-maintainer"
ok "AddMaintainer over the bus" mgr AddMaintainer ss left-pad carol
ok "RemoveMaintainer over the bus" mgr RemoveMaintainer ss left-pad carol
is "$(maintainers left-pad)" "bob" "  ... back to bob"

check_daemon_alive
stop_daemon
is "$STOP_RC" 0 "pkgtokend exits 0 on SIGTERM"

done_testing
