#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Accounts over the bus: create, list, show, lock/unlock, remove, through pkgtokenctl and
# through busctl; errors by name (AccountExists, NoSuchAccount, InvalidArgument).

. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
setup_bus_and_daemon

account_names() {
        ctl --json account list | jq -r '.[].name' | sort | tr '\n' ' '
}

# --- create ---------------------------------------------------------------------------------
ok "account add alice" ctl account add alice --email=alice@example.org
ok "account add bob (no e-mail)" ctl account add bob
ok "account add ci-bot --kind=service" ctl account add ci-bot --kind=service --email=ci@example.org
ok "account add carol --kind=human" ctl account add carol --kind=human

exits 1 "account add alice again: exit 1" ctl account add alice
like "$RUN_ERR" '.' "  ... with an error message"
stderr_one_line "  ... on one line"
error_is org.pkgtoken1.Error.AccountExists "CreateAccount of an existing name: AccountExists" \
        CreateAccount "'alice'" "''" "'human'" "@a{sv} {}"

not_ok "account add dave --kind=robot refused" ctl account add dave --kind=robot
exits 1 "account show dave: not created" ctl account show dave

# --- list and show --------------------------------------------------------------------------
is "$(account_names)" "alice bob carol ci-bot " "account list --json lists the accounts"

run ctl --json account show alice
is "$RUN_RC" 0 "account show alice --json: exit 0"
is "$(jq -r .name <"$RUN_OUT_FILE")" alice "  ... name"
is "$(jq -r .email <"$RUN_OUT_FILE")" alice@example.org "  ... email"
is "$(jq -r .kind <"$RUN_OUT_FILE")" human "  ... kind human (the default)"
is "$(jq -r .locked <"$RUN_OUT_FILE")" false "  ... not locked"
is "$(ctl --json account show ci-bot | jq -r .kind)" service "account show ci-bot: kind service"

run ctl account show alice
is "$RUN_RC" 0 "account show alice (text): exit 0"
like "$RUN_OUT" 'alice@example.org' "  ... shows the e-mail"

exits 1 "account show nobody-here: exit 1" ctl account show nobody-here
stderr_one_line "  ... one line on stderr"
error_is org.pkgtoken1.Error.NoSuchAccount "GetAccount of an unknown name: NoSuchAccount" \
        GetAccount "'nobody-here'"

# --- the same over busctl ---------------------------------------------------------------------
ok "CreateAccount over the bus" mgr CreateAccount 'sssa{sv}' dave dave@example.org service 0
run mgr_json GetAccount s dave
is "$RUN_RC" 0 "GetAccount dave"
is "$(jq -r "$JQ_ASV | .name" <"$RUN_OUT_FILE")" dave "  ... name"
is "$(jq -r "$JQ_ASV | .kind" <"$RUN_OUT_FILE")" service "  ... kind"
is "$(jq -r "$JQ_ASV | .email" <"$RUN_OUT_FILE")" dave@example.org "  ... email"
run mgr_json ListAccounts
is "$RUN_RC" 0 "ListAccounts"
is "$(jq -r "$JQ_AASV | map(.name) | sort | join(\" \")" <"$RUN_OUT_FILE")" "alice bob carol ci-bot dave" \
        "  ... lists all five accounts"

# --- lock / unlock ------------------------------------------------------------------------------
ok "account lock bob" ctl account lock bob
is "$(ctl --json account show bob | jq -r .locked)" true "  ... bob is locked"
ok "account lock bob again (idempotent)" ctl account lock bob
ok "account unlock bob" ctl account unlock bob
is "$(ctl --json account show bob | jq -r .locked)" false "  ... bob is unlocked"
exits 1 "account lock of an unknown account: exit 1" ctl account lock nobody-here
ok "SetAccountLocked over the bus" mgr SetAccountLocked sb carol true
is "$(ctl --json account show carol | jq -r .locked)" true "  ... carol is locked"
error_is org.pkgtoken1.Error.NoSuchAccount "SetAccountLocked of an unknown name: NoSuchAccount" \
        SetAccountLocked "'nobody-here'" true

# --- remove ---------------------------------------------------------------------------------------
ok "account remove carol" ctl account remove carol
exits 1 "account show carol after removal: exit 1" ctl account show carol
is "$(account_names)" "alice bob ci-bot dave " "account list no longer has carol"
exits 1 "account remove carol again: exit 1" ctl account remove carol
error_is org.pkgtoken1.Error.NoSuchAccount "RemoveAccount of an unknown name: NoSuchAccount" \
        RemoveAccount "'carol'"
ok "RemoveAccount over the bus" mgr RemoveAccount s dave
is "$(account_names)" "alice bob ci-bot " "account list no longer has dave"
ok "a removed name can be created again" ctl account add carol

check_daemon_alive
stop_daemon
is "$STOP_RC" 0 "pkgtokend exits 0 on SIGTERM"

done_testing
