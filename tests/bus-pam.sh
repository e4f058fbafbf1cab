#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The PAM module for real: pam_pkgtoken.so, loaded by libpam from a private
# configuration directory (pam_start_confdir, through tests/pam-driver), against the real
# pkgtokend on a private bus, with scripted conversations.  Each test checks the PAM code
# and what the user was shown: passwords, prompted and appended one-time codes, tokens as
# passwords for every token type and publishing policy, the request line of nginx's
# auth_pam (npm and PyPI layouts), locked and unknown accounts, nullok, use_first_pass,
# PAM_SILENT, bad options, password changes, and a daemon that is absent, stopped (SIGSTOP)
# or killed in the middle of a call: PAM_AUTHINFO_UNAVAIL, never a success.  Waits are
# bounded generously; no test asserts how long anything took.

# shellcheck disable=SC2153 # the *_SECRET variables are set by must_create_token
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

need oathtool timeout
: "${PAM_DRIVER:=$top_builddir/tests/pam-driver}"
: "${PAM_MODULE:=$top_builddir/pam_pkgtoken/.libs/pam_pkgtoken.so}"
[ -x "$PAM_DRIVER" ] || bail_out "tests/pam-driver not built: $PAM_DRIVER"
[ -f "$PAM_MODULE" ] || bail_out "pam_pkgtoken.so not built: $PAM_MODULE"
PAM_MODULE=$(cd "$(dirname "$PAM_MODULE")" && pwd)/$(basename "$PAM_MODULE")

CONFIG=$TMP/pkgtokend.conf
write_config "$CONFIG" PasswordCost=1 LockoutThreshold=5 LockoutAccountThreshold=5 LockoutSec=600
setup_bus_and_daemon --config="$CONFIG"

# Linux-PAM's own pam_echo, pam_deny and pam_exec build the stacks around the module.
for m in pam_echo pam_deny pam_exec; do
        found=
        for d in /lib/*/security /usr/lib/*/security /lib64/security /usr/lib64/security /lib/security /usr/lib/security; do
                [ -e "$d/$m.so" ] && found=1
        done
        [ -n "$found" ] || bail_out "$m.so not found (Linux-PAM's modules: apt-get install libpam-modules)"
done

PAM_DIR=$TMP/pam.d
mkdir -p "$PAM_DIR"
PAM_WAIT=30     # the most any one PAM conversation may take before the test gives up on it
SHOWN_ALL=$TMP/shown.all
: >"$SHOWN_ALL"

# service NAME [MODULE-ARGUMENTS...]: a PAM service of pam_pkgtoken alone (auth, account,
# password), on the private bus.
service() {
        local name=$1 type
        shift
        for type in auth account password; do
                printf '%-8s required %s bus=%s %s\n' "$type" "$PAM_MODULE" "$PKGTOKEN_BUS_ADDRESS" "$*"
        done >"$PAM_DIR/$name"
}

# ignoring_service NAME [MODULE-ARGUMENTS...]: pam_pkgtoken decides when it succeeds or fails;
# when it answers PAM_IGNORE, pam_echo says "pam_pkgtoken ignored this request" and pam_deny
# refuses.  So the message shows that the module ignored the request.
ignoring_service() {
        local name=$1 type
        shift
        for type in auth account password; do
                printf '%-8s [success=done ignore=ignore default=die] %s bus=%s %s\n' \
                        "$type" "$PAM_MODULE" "$PKGTOKEN_BUS_ADDRESS" "$*"
                printf '%-8s required pam_echo.so pam_pkgtoken ignored this request\n' "$type"
                printf '%-8s required pam_deny.so\n' "$type"
        done >"$PAM_DIR/$name"
}
IGNORED="TEXT_INFO: pam_pkgtoken ignored this request"

# pam_run [DRIVER-OPTIONS...] SERVICE USER OPERATION...: pam-driver on the private PAM
# directory.  Sets the RUN_* variables, PAM_RESULT (the last PAM code) and PAM_SHOWN (every
# prompt and message, one per line).
pam_run() {
        local opts=()
        while [ $# -gt 0 ] && [[ $1 == --* ]]; do
                if [ "$1" = --silent ]; then
                        opts+=("$1")
                        shift
                else
                        opts+=("$1" "$2")
                        shift 2
                fi
        done
        run timeout --kill-after=5 "$PAM_WAIT" "$PAM_DRIVER" "${opts[@]}" "$PAM_DIR" "$@"
        PAM_RESULT=$(sed -n 's/^result: //p' "$RUN_OUT_FILE")
        PAM_SHOWN=$(grep -E '^(PROMPT_ECHO_OFF|PROMPT_ECHO_ON|ERROR_MSG|TEXT_INFO): ' "$RUN_OUT_FILE" || true)
        grep -E '^(ERROR_MSG|TEXT_INFO): ' "$RUN_OUT_FILE" >>"$SHOWN_ALL" || true
}

# expect_pam CODE DESC [DRIVER-OPTIONS...] SERVICE USER OPERATION...
expect_pam() {
        local code=$1 desc=$2
        shift 2
        pam_run "$@"
        expect_answer "$code" "$desc" "$RUN_RC" "$PAM_RESULT" "pam-driver exit code $RUN_RC"
}

# shown DESC [LINE...]: what the last pam_run showed the user, exactly.
shown() {
        local desc=$1 expected=
        shift
        [ $# -gt 0 ] && expected=$(printf '%s\n' "$@")
        is "$PAM_SHOWN" "$expected" "$desc"
}

P_PASSWORD="PROMPT_ECHO_OFF: Password: "
P_OTP="PROMPT_ECHO_OFF: One-time code: "

failed_attempts() {
        mgr_json GetAccount s "$1" | jq -r "$JQ_ASV | .failed_attempts"
}

# --- the module itself -------------------------------------------------------------------------------
if command -v nm >/dev/null 2>&1; then
        is "$(nm -D --defined-only "$PAM_MODULE" | awk '{ print $3 }' | sort | tr '\n' ' ')" \
                "pam_sm_acct_mgmt pam_sm_authenticate pam_sm_chauthtok pam_sm_setcred " \
                "the module exports exactly the pam_sm_* functions"
else
        skip "nm not found (binutils)"
fi
ok "dlopen() resolves the module; pam_sm_* found, internals hidden" "$PAM_DRIVER" --check-module "$PAM_MODULE"
if command -v readelf >/dev/null 2>&1; then
        needed=$(readelf -d "$PAM_MODULE" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' |
                 grep -vE '^(libc\.so|ld-linux|libasan|libubsan|liblsan)' | sort | tr '\n' ' ')
        is "$needed" "libpam.so.0 libsystemd.so.0 " "the module links only libpam and libsystemd (and libc)"
else
        skip "readelf not found (binutils)"
fi

# --- accounts, packages, tokens --------------------------------------------------------------------
PW_ALICE='alice password 1'
PW_BOB='bob password 1'
PW_ANN='ann password 1'
PW_NINA='nina password 1'
PW_TESS='tess password 1'
PW_TOM='tom password 1'
PW_BEA='bea password 1'
PW_HANK='hunter2 123456'       # ends in six digits
PW_CAROL='carol password 1'
PW_DAVE='dave password 1'
PW_ERIN='erin password 1'
PW_ERIN2='erin password 2'
for a in alice:"$PW_ALICE" bob:"$PW_BOB" bea:"$PW_BEA" ann:"$PW_ANN" nina:"$PW_NINA" tess:"$PW_TESS" tom:"$PW_TOM" \
         hank:"$PW_HANK" \
         carol:"$PW_CAROL" dave:"$PW_DAVE" erin:"$PW_ERIN"; do
        new_account "${a%%:*}" "${a#*:}" || bail_out "cannot create account ${a%%:*}"
done
new_account svc "" service || bail_out "cannot create the service account"
for p in p-none:none p-oa:2fa-or-automation p-only:2fa-only @acme/widget:none; do
        mgr CreatePackage ssas "${p%%:*}" "${p#*:}" 3 alice tess tom >/dev/null || bail_out "cannot create package ${p%%:*}"
done

must_create_token RO alice --type=read-only --description="alice read"
must_create_token PUB alice --type=publish --description="alice laptop"
must_create_token AUTO alice --type=automation --description="alice ci"
must_create_token PKG alice --type=automation --package=p-none --package-owned --description="p-none release"
must_create_token SC alice --type=automation --package='@acme/*' --description="acme"
must_create_token ONE alice --type=read-only --package=p-none --description="p-none only"
must_create_token NET alice --type=automation --cidr=192.0.2.0/24 --description="net"
must_create_token CAROLT carol --type=automation --description="carol ci"
must_create_token TPUB tess --type=publish --description="tess laptop"
must_create_token TAUTO tess --type=automation --description="tess ci"
must_create_token TOMPUB tom --type=publish --description="tom laptop"
mgr_authenticate alice "$PW_ALICE" "" session b true
SES_SECRET=$(authn_detail session_token)
like "$SES_SECRET" '^pkgt_[0-9A-Za-z]{42}$' "a session token for alice"

# Each account with 2FA is used for at most one TOTP success after its enrolment, so that no
# test waits for the next 30-second step; recovery codes clear failures where needed.
for a in bob bea ann nina tess tom; do
        enroll_2fa "$a" auth-and-writes || bail_out "cannot enrol $a in 2FA"
        [ "$a" = bob ] && BOB_RECOVERY=("${RECOVERY_CODES[@]}")
done

service basic timeout=20
service debug timeout=20 debug
service append timeout=20 otp=append
service nootp timeout=20 otp=none
service notokens timeout=20 tokens=deny
service request timeout=20
service nginx timeout=20 otp=append
service first-alone timeout=20 use_first_pass
service try-alone timeout=20 try_first_pass
service chauthtok-first timeout=20 use_first_pass
service chauthtok-authtok timeout=20 use_authtok
# stacked SERVICE OPTION: pam_exec reads the password (expose_authtok) and leaves it for
# pam_pkgtoken, as any earlier module would.
stacked() {
        {
                printf 'auth required pam_exec.so quiet expose_authtok %s\n' "$(command -v cat)"
                printf 'auth required %s bus=%s timeout=20 %s\n' "$PAM_MODULE" "$PKGTOKEN_BUS_ADDRESS" "$2"
        } >"$PAM_DIR/$1"
}
stacked first use_first_pass
stacked try try_first_pass
ignoring_service nullok timeout=20 nullok

# --- bad options ---------------------------------------------------------------------------------------
for opt in frobnicate timeout=0 timeout=301 timeout=abc timeout= otp=sometimes action=delete package= \
           'package=a b' tokens=maybe layout=maven prefix=npm bus= debug=1; do
        printf 'auth required %s bus=%s [%s]\n' "$PAM_MODULE" "$PKGTOKEN_BUS_ADDRESS" "$opt" >"$PAM_DIR/badopt"
        expect_pam PAM_SERVICE_ERR "option '$opt'" --answer "$PW_ALICE" badopt alice authenticate
done
shown "  ... refused before asking anything"
service badopt2 timeout=20 frobnicate
expect_pam PAM_SERVICE_ERR "unknown option: acct_mgmt" badopt2 alice acct_mgmt
expect_pam PAM_SERVICE_ERR "unknown option: setcred" badopt2 alice setcred
expect_pam PAM_SERVICE_ERR "unknown option: chauthtok" badopt2 alice chauthtok
expect_pam PAM_SUCCESS "setcred with good options" basic alice setcred

# --- passwords ---------------------------------------------------------------------------------------------
expect_pam PAM_SUCCESS "password" --answer "$PW_ALICE" basic alice authenticate acct_mgmt
shown "  ... asked for the password, nothing else" "$P_PASSWORD"
expect_pam PAM_SUCCESS "password, debug" --answer "$PW_ALICE" debug alice authenticate
expect_pam PAM_AUTH_ERR "wrong password" --answer "not the password" basic alice authenticate
shown "  ... no message" "$P_PASSWORD"
expect_pam PAM_AUTH_ERR "unknown account (same answer as a wrong password)" --answer "$PW_ALICE" basic ghost authenticate
shown "  ... asked for a password all the same" "$P_PASSWORD"
expect_pam PAM_USER_UNKNOWN "unknown account: acct_mgmt" basic ghost acct_mgmt
expect_pam PAM_AUTH_ERR "empty password" --answer "" basic alice authenticate
expect_pam PAM_AUTH_ERR "service accounts have no password" --answer "x" basic svc authenticate
expect_pam PAM_CONV_ERR "the conversation fails at the password prompt" basic alice authenticate
expect_pam PAM_SUCCESS "password + otp=append, account without 2FA" --answer "$PW_ALICE" append alice authenticate
expect_pam PAM_SUCCESS "password, otp=none, account without 2FA" --answer "$PW_ALICE" nootp alice authenticate

# nullok: accounts pkgtoken does not know are left to the next module, before any prompt.
expect_pam PAM_AUTH_ERR "nullok, unknown account: authenticate ignored" --answer x nullok ghost authenticate
shown "  ... without asking for a password" "$IGNORED"
expect_pam PAM_AUTH_ERR "nullok, unknown account: acct_mgmt ignored" nullok ghost acct_mgmt
shown "  ... (pam_echo ran)" "$IGNORED"
expect_pam PAM_SUCCESS "nullok, known account" --answer "$PW_ALICE" nullok alice authenticate acct_mgmt
shown "  ... decided by pam_pkgtoken" "$P_PASSWORD"
expect_pam PAM_AUTH_ERR "nullok, known account, wrong password: not ignored" --answer wrong nullok alice authenticate
shown "  ... refused by pam_pkgtoken" "$P_PASSWORD"

# use_first_pass / try_first_pass, after pam_exec asked for the password.
# taken_from_earlier_module SERVICE OPTION: both options take that password, and a wrong one
# is not asked again; without an earlier module they differ.
taken_from_earlier_module() {
        local service=$1 option=$2

        expect_pam PAM_SUCCESS "$option, password from an earlier module" --answer "$PW_ALICE" "$service" alice authenticate
        shown "  ... asked once (by pam_exec)" "$P_PASSWORD"
        expect_pam PAM_AUTH_ERR "$option, wrong password from an earlier module" --answer wrong --answer "$PW_ALICE" \
                "$service" alice authenticate
        shown "  ... not asked again" "$P_PASSWORD"
}
taken_from_earlier_module first use_first_pass
expect_pam PAM_AUTH_ERR "use_first_pass, no earlier module" --answer "$PW_ALICE" first-alone alice authenticate
shown "  ... and no prompt"
taken_from_earlier_module try try_first_pass
expect_pam PAM_SUCCESS "try_first_pass, no earlier module: prompts" --answer "$PW_ALICE" try-alone alice authenticate
shown "  ... the prompt" "$P_PASSWORD"
expect_pam PAM_SUCCESS "  ... alice after those failures" --answer "$PW_ALICE" basic alice authenticate

# --- password + one-time code, prompted ---------------------------------------------------------------------
next_otp bob
expect_pam PAM_SUCCESS "2FA, otp=prompt: password, then the code" --answer "$PW_BOB" --answer "$OTP" basic bob authenticate acct_mgmt
shown "  ... both prompts" "$P_PASSWORD" "$P_OTP"
USED_BOB=$OTP
wrong_otp bob
expect_pam PAM_AUTH_ERR "2FA, otp=prompt: wrong code" --answer "$PW_BOB" --answer "$OTP" basic bob authenticate
shown "  ... says so" "$P_PASSWORD" "$P_OTP" "ERROR_MSG: Wrong or already used one-time code."
expect_pam PAM_AUTH_ERR "2FA, otp=prompt: the code used a moment ago" --answer "$PW_BOB" --answer "$USED_BOB" basic bob authenticate
shown "  ... refused as used" "$P_PASSWORD" "$P_OTP" "ERROR_MSG: Wrong or already used one-time code."
expect_pam PAM_AUTH_ERR "2FA, otp=prompt: wrong password: no code asked for" --answer wrong basic bob authenticate
shown "  ... one prompt" "$P_PASSWORD"
expect_pam PAM_AUTH_ERR "2FA, otp=prompt: empty code" --answer "$PW_BOB" --answer "" basic bob authenticate
shown "  ... a code is needed" "$P_PASSWORD" "$P_OTP" "ERROR_MSG: A one-time code is needed."
expect_pam PAM_CONV_ERR "2FA, otp=prompt: the conversation fails at the code prompt" --answer "$PW_BOB" basic bob authenticate
is "$(failed_attempts bob)" 3 "  ... bob has three failed attempts"
expect_pam PAM_SUCCESS "2FA, otp=prompt: a recovery code" --answer "$PW_BOB" --answer "${BOB_RECOVERY[0]:-none}" basic bob authenticate
is "$(failed_attempts bob)" 0 "  ... a success clears the failed attempts"
expect_pam PAM_AUTH_ERR "2FA, otp=prompt: the same recovery code again" --answer "$PW_BOB" --answer "${BOB_RECOVERY[0]:-none}" \
        basic bob authenticate
next_otp bea
expect_pam PAM_SUCCESS "2FA, otp=prompt: a code typed with a space" --answer "$PW_BEA" --answer "${OTP:0:3} ${OTP:3}" basic bea authenticate
wrong_otp bob
expect_pam PAM_AUTH_ERR "PAM_SILENT: wrong code" --silent --answer "$PW_BOB" --answer "$OTP" basic bob authenticate
shown "  ... prompts, but no message" "$P_PASSWORD" "$P_OTP"
expect_pam PAM_PERM_DENIED "2FA, otp=none" --answer "$PW_BOB" nootp bob authenticate
shown "  ... cannot ask" "$P_PASSWORD" "ERROR_MSG: A one-time code is needed, and this service cannot ask for one."
expect_pam PAM_SUCCESS "  ... bob again (recovery code), which clears his failures" --answer "$PW_BOB" \
        --answer "${BOB_RECOVERY[1]:-none}" basic bob authenticate

# --- password + one-time code, appended (HTTP Basic) --------------------------------------------------------
next_otp ann
expect_pam PAM_SUCCESS "2FA, otp=append: password and code in one" --answer "$PW_ANN$OTP" append ann authenticate acct_mgmt
shown "  ... one prompt" "$P_PASSWORD"
USED_ANN=$OTP
expect_pam PAM_AUTH_ERR "2FA, otp=append: the password alone" --answer "$PW_ANN" append ann authenticate
shown "  ... says to append the code" "$P_PASSWORD" "ERROR_MSG: A one-time code is needed: append its 6 digits to the password."
is "$(failed_attempts ann)" 0 "  ... a right password without its code is no failed attempt"
expect_pam PAM_AUTH_ERR "2FA, otp=append: the code used a moment ago" --answer "$PW_ANN$USED_ANN" append ann authenticate
shown "  ... refused as used" "$P_PASSWORD" "ERROR_MSG: Wrong or already used one-time code."
is "$(failed_attempts ann)" 1 "  ... one failed attempt"
next_otp ann
OTP_LAST[ann]=$((OTP_LAST[ann] - 1))    # the daemon will not get to look at this code
expect_pam PAM_AUTH_ERR "2FA, otp=append: wrong password, fresh code" --answer "wrong password$OTP" append ann authenticate
is "$(failed_attempts ann)" 2 "  ... counts once, not twice"
expect_pam PAM_AUTH_ERR "2FA, otp=append: wrong password without a code" --answer "wrong password" append ann authenticate
is "$(failed_attempts ann)" 3 "  ... counts once"

# A password that ends in six digits, on an account without 2FA: with otp=append the digits
# are taken for a code, so any six digits must follow it (and are ignored); otp=prompt takes
# the password as it is.
expect_pam PAM_AUTH_ERR "otp=append, password ending in 6 digits, alone" --answer "$PW_HANK" append hank authenticate
expect_pam PAM_SUCCESS "otp=append, password ending in 6 digits + 6 more" --answer "${PW_HANK}000000" append hank authenticate
expect_pam PAM_SUCCESS "otp=prompt, password ending in 6 digits" --answer "$PW_HANK" basic hank authenticate

# nginx's auth_pam answers every hidden prompt with the password.
expect_pam PAM_AUTH_ERR "nginx-like client, otp=prompt, 2FA" --hidden-answer "$PW_NINA" --rhost 192.0.2.10 basic nina authenticate
shown "  ... the code prompt got the password" "$P_PASSWORD" "$P_OTP" "ERROR_MSG: A one-time code is needed."
is "$(failed_attempts nina)" 0 "  ... which was not sent as a code (no failed attempt)"
next_otp nina
expect_pam PAM_SUCCESS "nginx-like client, otp=append, 2FA" --hidden-answer "$PW_NINA$OTP" --rhost 192.0.2.10 \
        --env "REQUEST=GET /p-none HTTP/1.1" nginx nina authenticate acct_mgmt

# --- locked accounts ----------------------------------------------------------------------------------------
ok "lock carol" mgr SetAccountLocked sb carol true
expect_pam PAM_MAXTRIES "locked account, right password" --answer "$PW_CAROL" basic carol authenticate
shown "  ... says so" "$P_PASSWORD" "ERROR_MSG: The account is locked."
expect_pam PAM_MAXTRIES "locked account, PAM_SILENT" --silent --answer "$PW_CAROL" basic carol authenticate
shown "  ... no message" "$P_PASSWORD"
expect_pam PAM_PERM_DENIED "locked account: acct_mgmt" basic carol acct_mgmt
shown "  ... says so" "ERROR_MSG: The account is locked."
expect_pam PAM_PERM_DENIED "locked account: its token" --answer "$CAROLT_SECRET" --env PKGTOKEN_PACKAGE=p-none \
        --env PKGTOKEN_ACTION=read basic carol authenticate
shown "  ... says why" "$P_PASSWORD" "ERROR_MSG: Access denied: account locked."
ok "unlock carol" mgr SetAccountLocked sb carol false
expect_pam PAM_SUCCESS "unlocked account" --answer "$PW_CAROL" basic carol authenticate acct_mgmt

for i in 1 2 3 4 5; do
        pam_run --answer "wrong $i" basic dave authenticate
done
is "$PAM_RESULT" PAM_AUTH_ERR "five wrong passwords for dave"
expect_pam PAM_MAXTRIES "then the right one: locked out" --answer "$PW_DAVE" basic dave authenticate
shown "  ... for a while" "$P_PASSWORD" "ERROR_MSG: Too many failed attempts: the account is locked for a while."
expect_pam PAM_MAXTRIES "  ... acct_mgmt too (locked out, not locked by an admin)" basic dave acct_mgmt
ok "unlock dave" mgr SetAccountLocked sb dave false
expect_pam PAM_SUCCESS "dave after the unlock" --answer "$PW_DAVE" basic dave authenticate acct_mgmt

# --- tokens as passwords: every type against every policy -------------------------------------------------
# expect_token CODE DESC TOKEN USER PACKAGE ACTION [DRIVER-OPTIONS...]
expect_token() {
        local code=$1 desc=$2 token=$3 user=$4 package=$5 action=$6
        shift 6
        expect_pam "$code" "$desc" --answer "$token" --env "PKGTOKEN_PACKAGE=$package" \
                --env "PKGTOKEN_ACTION=$action" "$@" basic "$user" authenticate acct_mgmt
}

declare -A WANT=(
        [RO:read]=SSS          [RO:publish]=DDD
        [PUB:read]=SSS         [PUB:publish]=SDD
        [SES:read]=SSS         [SES:publish]=SDD
        [AUTO:read]=SSS        [AUTO:publish]=SSD
)
POLICY_PACKAGES=(p-none p-oa p-only)
for type in RO PUB SES AUTO; do
        secret_var=${type}_SECRET
        for action in read publish; do
                want=${WANT[$type:$action]}
                for i in 0 1 2; do
                        case ${want:$i:1} in
                                S) code=PAM_SUCCESS ;;
                                D) code=PAM_PERM_DENIED ;;
                        esac
                        expect_token "$code" "alice's $type token, $action ${POLICY_PACKAGES[$i]}" \
                                "${!secret_var}" alice "${POLICY_PACKAGES[$i]}" "$action"
                done
        done
done
expect_token PAM_PERM_DENIED "read-only token, publish" "$RO_SECRET" alice p-none publish
shown "  ... says why" "$P_PASSWORD" "ERROR_MSG: Access denied: read-only token."
expect_token PAM_PERM_DENIED "publish token of an account without 2FA, 2fa-or-automation" "$PUB_SECRET" alice p-oa publish
like "$PAM_SHOWN" "ERROR_MSG: Access denied: OTP required" "  ... says why"

# Package tokens claim no account: user __token__, as on PyPI.
expect_token PAM_SUCCESS "package token, user __token__, publish p-none" "$PKG_SECRET" __token__ p-none publish
expect_token PAM_SUCCESS "package token, user __token__, read p-none" "$PKG_SECRET" __token__ p-none read
expect_token PAM_PERM_DENIED "package token, user __token__, publish p-oa (out of scope)" "$PKG_SECRET" __token__ p-oa publish
expect_token PAM_AUTH_ERR "package token, user alice" "$PKG_SECRET" alice p-none publish
shown "  ... not valid for alice" "$P_PASSWORD" "ERROR_MSG: The token is not valid (unknown, revoked or expired)."
expect_token PAM_SUCCESS "alice's token, user __token__" "$AUTO_SECRET" __token__ p-none publish
expect_token PAM_AUTH_ERR "alice's token, user bob" "$AUTO_SECRET" bob p-none publish
expect_token PAM_AUTH_ERR "alice's token, user ghost (unknown)" "$AUTO_SECRET" ghost p-none read
bad=${AUTO_SECRET:0:46}$([ "${AUTO_SECRET: -1}" = A ] && echo B || echo A)
expect_token PAM_AUTH_ERR "token with a wrong checksum" "$bad" alice p-none read
expect_token PAM_AUTH_ERR "truncated token" "${AUTO_SECRET:0:30}" alice p-none read
must_create_token REV alice --type=automation --description="to revoke"
ok "revoke it" ctl token revoke "$REV_ID"
expect_token PAM_AUTH_ERR "revoked token" "$REV_SECRET" alice p-none read

# 2FA publish tokens: the code by prompt, appended, or not at all.
next_otp tess
expect_token PAM_SUCCESS "publish token with 2FA, 2fa-or-automation, otp=prompt" "$TPUB_SECRET" tess p-oa publish --answer "$OTP"
shown "  ... asked for the code" "$P_PASSWORD" "$P_OTP"
USED_TESS=$OTP
expect_token PAM_AUTH_ERR "  ... the same code again" "$TPUB_SECRET" tess p-oa publish --answer "$USED_TESS"
shown "  ... refused as used" "$P_PASSWORD" "$P_OTP" "ERROR_MSG: Wrong or already used one-time code."
wrong_otp tess
expect_token PAM_AUTH_ERR "  ... a wrong code" "$TPUB_SECRET" tess p-oa publish --answer "$OTP"
expect_token PAM_SUCCESS "publish token with 2FA, read p-only: no code" "$TPUB_SECRET" tess p-only read
shown "  ... one prompt" "$P_PASSWORD"
next_otp tom
expect_pam PAM_SUCCESS "publish token with 2FA, 2fa-only, otp=append" --answer "$TOMPUB_SECRET$OTP" \
        --env PKGTOKEN_PACKAGE=p-only --env PKGTOKEN_ACTION=publish append tom authenticate acct_mgmt
shown "  ... one prompt" "$P_PASSWORD"
expect_pam PAM_AUTH_ERR "publish token with 2FA, otp=append, no code" --answer "$TPUB_SECRET" \
        --env PKGTOKEN_PACKAGE=p-oa --env PKGTOKEN_ACTION=publish append tess authenticate
shown "  ... says to append it" "$P_PASSWORD" "ERROR_MSG: A one-time code is needed: append its 6 digits to the token."
expect_pam PAM_PERM_DENIED "publish token with 2FA, otp=none" --answer "$TPUB_SECRET" \
        --env PKGTOKEN_PACKAGE=p-oa --env PKGTOKEN_ACTION=publish nootp tess authenticate
expect_token PAM_SUCCESS "automation token, 2FA account, 2fa-or-automation: no code" "$TAUTO_SECRET" tess p-oa publish
shown "  ... one prompt" "$P_PASSWORD"
expect_token PAM_PERM_DENIED "automation token, 2fa-only" "$TAUTO_SECRET" tess p-only publish
shown "  ... says why" "$P_PASSWORD" "ERROR_MSG: Access denied: automation tokens are not allowed for this package."

expect_pam PAM_PERM_DENIED "tokens=deny" --answer "$AUTO_SECRET" --env PKGTOKEN_PACKAGE=p-none \
        --env PKGTOKEN_ACTION=read notokens alice authenticate
shown "  ... says so" "$P_PASSWORD" "ERROR_MSG: Tokens are not accepted here; log in with the account's password."
expect_pam PAM_SUCCESS "tokens=deny, password" --answer "$PW_ALICE" notokens alice authenticate
expect_pam PAM_PERM_DENIED "token, no package or action known" --answer "$AUTO_SECRET" basic alice authenticate
shown "  ... says so" "$P_PASSWORD" "ERROR_MSG: Access denied: cannot tell which package this request is for."
expect_pam PAM_PERM_DENIED "token, package but no action" --answer "$AUTO_SECRET" --env PKGTOKEN_PACKAGE=p-none basic alice authenticate
expect_pam PAM_PERM_DENIED "PKGTOKEN_ACTION neither read nor publish" --answer "$AUTO_SECRET" \
        --env PKGTOKEN_PACKAGE=p-none --env PKGTOKEN_ACTION=delete basic alice authenticate
expect_pam PAM_PERM_DENIED "a password cannot publish" --answer "$PW_ALICE" --env PKGTOKEN_ACTION=publish basic alice authenticate
shown "  ... says so" "$P_PASSWORD" "ERROR_MSG: Publishing needs a token; a password only logs in."

# Module arguments: package= and action=, which the PAM environment overrides.
service pinned timeout=20 package=p-none action=read
expect_pam PAM_SUCCESS "package=p-none action=read, read-only token" --answer "$RO_SECRET" pinned alice authenticate
expect_pam PAM_PERM_DENIED "  ... PKGTOKEN_ACTION=publish overrides action=" --answer "$RO_SECRET" \
        --env PKGTOKEN_ACTION=publish pinned alice authenticate
expect_pam PAM_PERM_DENIED "  ... PKGTOKEN_PACKAGE=p-oa overrides package= (out of the token's scope)" --answer "$ONE_SECRET" \
        --env PKGTOKEN_PACKAGE=p-oa pinned alice authenticate
expect_pam PAM_SUCCESS "  ... the p-none-only token on p-none" --answer "$ONE_SECRET" pinned alice authenticate

# PAM_RHOST is the remote address: CIDR allow-lists apply.
expect_token PAM_SUCCESS "allow-list 192.0.2.0/24, PAM_RHOST 192.0.2.7" "$NET_SECRET" alice p-none publish --rhost 192.0.2.7
expect_token PAM_PERM_DENIED "  ... PAM_RHOST 198.51.100.1" "$NET_SECRET" alice p-none publish --rhost 198.51.100.1
shown "  ... says why" "$P_PASSWORD" "ERROR_MSG: Access denied: address not allowed."
expect_token PAM_PERM_DENIED "  ... PAM_RHOST a host name (no address sent)" "$NET_SECRET" alice p-none publish --rhost host.example
expect_token PAM_PERM_DENIED "  ... no PAM_RHOST" "$NET_SECRET" alice p-none publish

# acct_mgmt after a token login with user __token__ (nginx calls both).
expect_pam PAM_SUCCESS "__token__: authenticate, then acct_mgmt" --answer "$PKG_SECRET" --env PKGTOKEN_PACKAGE=p-none \
        --env PKGTOKEN_ACTION=read basic __token__ authenticate acct_mgmt
expect_pam PAM_USER_UNKNOWN "__token__: acct_mgmt alone" basic __token__ acct_mgmt

# --- the request line of nginx's auth_pam (REQUEST) --------------------------------------------------------
# expect_request CODE DESC TOKEN "METHOD /path" [SERVICE]
expect_request() {
        local code=$1 desc=$2 token=$3 line=$4 svc=${5:-request}
        expect_pam "$code" "$desc" --answer "$token" --env "REQUEST=$line HTTP/1.1" "$svc" alice authenticate acct_mgmt
}
expect_request PAM_SUCCESS     "npm GET /p-none, read-only token"             "$RO_SECRET"   "GET /p-none"
expect_request PAM_SUCCESS     "npm HEAD /p-none, read-only token"            "$RO_SECRET"   "HEAD /p-none"
expect_request PAM_PERM_DENIED "npm PUT /p-none (publish), read-only token"   "$RO_SECRET"   "PUT /p-none"
expect_request PAM_SUCCESS     "npm PUT /p-none, automation token"            "$AUTO_SECRET" "PUT /p-none"
expect_request PAM_SUCCESS     "npm GET /p-none/-/p-none-1.0.0.tgz"           "$ONE_SECRET"  "GET /p-none/-/p-none-1.0.0.tgz"
expect_request PAM_SUCCESS     "npm GET /p-none/1.0.0"                        "$ONE_SECRET"  "GET /p-none/1.0.0"
expect_request PAM_SUCCESS     "npm GET /p-none?write=true (query ignored)"   "$ONE_SECRET"  "GET /p-none?write=true"
expect_request PAM_PERM_DENIED "npm GET /p-oa, token for p-none only"         "$ONE_SECRET"  "GET /p-oa"
expect_request PAM_PERM_DENIED "npm DELETE /p-none/-rev/1-abc, read-only"     "$RO_SECRET"   "DELETE /p-none/-rev/1-abc"
expect_request PAM_SUCCESS     "npm DELETE /p-none/-rev/1-abc, automation"    "$AUTO_SECRET" "DELETE /p-none/-rev/1-abc"
expect_request PAM_PERM_DENIED "npm PATCH /p-none, read-only"                 "$RO_SECRET"   "PATCH /p-none"
expect_request PAM_SUCCESS     "npm GET /@acme%2fwidget, token for @acme/*"   "$SC_SECRET"   "GET /@acme%2fwidget"
expect_request PAM_SUCCESS     "npm PUT /@acme%2Fwidget, token for @acme/*"   "$SC_SECRET"   "PUT /@acme%2Fwidget"
expect_request PAM_SUCCESS     "npm GET /@acme/widget/-/widget-1.0.0.tgz"     "$SC_SECRET"   "GET /@acme/widget/-/widget-1.0.0.tgz"
expect_request PAM_PERM_DENIED "npm GET /p-none, token for @acme/*"           "$SC_SECRET"   "GET /p-none"
expect_request PAM_SUCCESS     "npm PUT /-/package/@acme%2fwidget/dist-tags/latest" "$SC_SECRET" "PUT /-/package/@acme%2fwidget/dist-tags/latest"
expect_request PAM_PERM_DENIED "npm GET /-/whoami (no package)"               "$AUTO_SECRET" "GET /-/whoami"
shown "  ... says so" "$P_PASSWORD" "ERROR_MSG: Access denied: cannot tell which package this request is for."
expect_request PAM_PERM_DENIED "npm GET /p-oa/../p-none ('..': no package)"   "$ONE_SECRET"  "GET /p-oa/../p-none"
expect_request PAM_PERM_DENIED "npm GET //p-none (empty segment: no package)" "$ONE_SECRET"  "GET //p-none"
expect_request PAM_SUCCESS     "PyPI GET /simple/p-none/"                     "$ONE_SECRET"  "GET /simple/p-none/"
expect_request PAM_SUCCESS     "PyPI GET /simple/P_None/ (PEP 503: p-none)"   "$ONE_SECRET"  "GET /simple/P_None/"
expect_request PAM_SUCCESS     "PyPI GET /simple/P..none (PEP 503: p-none)"   "$ONE_SECRET"  "GET /simple/P..none"
expect_request PAM_PERM_DENIED "PyPI GET /simple/p-oa/, token for p-none"     "$ONE_SECRET"  "GET /simple/p-oa/"
expect_request PAM_SUCCESS     "PyPI GET /pypi/p-none/json"                   "$ONE_SECRET"  "GET /pypi/p-none/json"
expect_request PAM_PERM_DENIED "PyPI GET /simple/ (the index: no package)"    "$ONE_SECRET"  "GET /simple/"
expect_request PAM_SUCCESS     "PyPI GET /packages/.../p_none-1.0.tar.gz (the file names p-none)" "$ONE_SECRET" "GET /packages/ab/cd/p_none-1.0.tar.gz"
expect_request PAM_PERM_DENIED "PyPI GET /packages/.../p_oa-1.0-py3-none-any.whl, token for p-none" "$ONE_SECRET" "GET /packages/ab/cd/p_oa-1.0-py3-none-any.whl"
expect_request PAM_PERM_DENIED "PyPI GET /packages/... (not a distribution file: no package)" "$ONE_SECRET" "GET /packages/ab/cd/README"
expect_request PAM_SUCCESS     "PyPI GET /simple/p-none/p_none-1.0.tar.gz (a file below its page)" "$ONE_SECRET" "GET /simple/p-none/p_none-1.0.tar.gz"
expect_pam PAM_SUCCESS "PyPI POST /legacy/p-none/ (per-project upload), package token" --answer "$PKG_SECRET" \
        --env "REQUEST=POST /legacy/p-none/ HTTP/1.1" request __token__ authenticate acct_mgmt
expect_request PAM_PERM_DENIED "PyPI POST /legacy/p-none/, read-only token"   "$ONE_SECRET"  "POST /legacy/p-none/"
expect_pam PAM_PERM_DENIED "PyPI POST /legacy/ (upload: no package), package token" --answer "$PKG_SECRET" \
        --env "REQUEST=POST /legacy/ HTTP/1.1" request __token__ authenticate acct_mgmt
# The daemon refused it, so the refusal is in the audit, with the token that tried.
mgr_json ListAuditEvents stu "" 0 1000 | jq -c "[.data[0][] | with_entries(.value |= .data)]" >"$TMP/audit.json"
audit_has "  ... the refused upload is in the audit" "$TMP/audit.json" publish forbidden "the request names no package"
expect_pam PAM_SUCCESS "PyPI POST /legacy/ with PKGTOKEN_PACKAGE=p-none, package token" --answer "$PKG_SECRET" \
        --env "REQUEST=POST /legacy/ HTTP/1.1" --env PKGTOKEN_PACKAGE=p-none request __token__ authenticate acct_mgmt
service pypi-files timeout=20 package=p-none
expect_request PAM_SUCCESS     "PyPI GET /packages/... with package=p-none"   "$ONE_SECRET"  "GET /packages/ab/cd/p_none-1.0.tar.gz" pypi-files
expect_request PAM_PERM_DENIED "PyPI POST /legacy/ with package=p-none, read-only token" "$ONE_SECRET" "POST /legacy/" pypi-files
service readonly-arg timeout=20 action=read
expect_request PAM_PERM_DENIED "action=read does not make PUT a read"         "$RO_SECRET"   "PUT /p-none" readonly-arg
expect_pam PAM_SUCCESS "PKGTOKEN_ACTION=read (the application) overrides the method" --answer "$RO_SECRET" \
        --env "REQUEST=POST /p-none HTTP/1.1" --env PKGTOKEN_ACTION=read request alice authenticate
service npm-only timeout=20 layout=npm
expect_request PAM_PERM_DENIED "layout=npm: /simple/p-none/ is not PyPI"      "$ONE_SECRET"  "GET /simple/p-none/" npm-only
service pypi-only timeout=20 layout=pypi
expect_request PAM_PERM_DENIED "layout=pypi: /p-none is not npm"              "$ONE_SECRET"  "GET /p-none" pypi-only
service prefixed timeout=20 prefix=/npm/
expect_request PAM_SUCCESS     "prefix=/npm/: GET /npm/p-none"                "$ONE_SECRET"  "GET /npm/p-none" prefixed
expect_request PAM_PERM_DENIED "prefix=/npm/: GET /p-none (outside)"          "$ONE_SECRET"  "GET /p-none" prefixed
expect_pam PAM_SUCCESS "absolute-form request target" --answer "$ONE_SECRET" \
        --env "REQUEST=GET http://registry.example/p-none HTTP/1.1" request alice authenticate
expect_pam PAM_SUCCESS "HTTP/2 request line" --answer "$ONE_SECRET" --env "REQUEST=GET /p-none HTTP/2.0" request alice authenticate
for line in "GET /p-none" "get /p-none HTTP/1.1" "GET p-none HTTP/1.1" "GET /%zz HTTP/1.1" "GET  /p-none HTTP/1.1" \
            "GET /p-none HTTP/1.1 extra" "GET /p%00none HTTP/1.1" ""; do
        expect_pam PAM_PERM_DENIED "malformed REQUEST '$line'" --answer "$ONE_SECRET" --env "REQUEST=$line" request alice authenticate
done
expect_pam PAM_PERM_DENIED "malformed REQUEST, password" --answer "$PW_ALICE" --env "REQUEST=GET /p-none" request alice authenticate
expect_pam PAM_SUCCESS "REQUEST GET, password" --answer "$PW_ALICE" --env "REQUEST=GET /p-none HTTP/1.1" request alice authenticate
expect_pam PAM_PERM_DENIED "REQUEST PUT, password" --answer "$PW_ALICE" --env "REQUEST=PUT /p-none HTTP/1.1" request alice authenticate
expect_pam PAM_SUCCESS "nginx-like: token publish by PUT" --hidden-answer "$AUTO_SECRET" --rhost 192.0.2.10 \
        --env "REQUEST=PUT /p-none HTTP/1.1" --env "HOST=registry.example" nginx alice authenticate acct_mgmt

# --- password changes -----------------------------------------------------------------------------------------
P_OLD="PROMPT_ECHO_OFF: Current password: "
P_NEW="PROMPT_ECHO_OFF: New password: "
P_RETYPE="PROMPT_ECHO_OFF: Retype new password: "
expect_pam PAM_SUCCESS "chauthtok: old, new, retype" --answer "$PW_ERIN" --answer "$PW_ERIN2" --answer "$PW_ERIN2" \
        basic erin chauthtok
shown "  ... the three prompts" "$P_OLD" "$P_NEW" "$P_RETYPE"
expect_pam PAM_SUCCESS "  ... the new password works" --answer "$PW_ERIN2" basic erin authenticate
expect_pam PAM_AUTH_ERR "  ... the old one does not" --answer "$PW_ERIN" basic erin authenticate
expect_pam PAM_AUTH_ERR "chauthtok: wrong current password" --answer "wrong" --answer "$PW_ERIN" --answer "$PW_ERIN" \
        basic erin chauthtok
shown "  ... says so" "$P_OLD" "$P_NEW" "$P_RETYPE" "ERROR_MSG: The current password is wrong."
expect_pam PAM_AUTHTOK_ERR "chauthtok: retyped differently" --answer "$PW_ERIN2" --answer "erin password 3" \
        --answer "erin password 4" basic erin chauthtok
shown "  ... says so" "$P_OLD" "$P_NEW" "$P_RETYPE" "ERROR_MSG: Sorry, passwords do not match."
expect_pam PAM_AUTHTOK_ERR "chauthtok: unacceptable new password" --answer "$PW_ERIN2" --answer "x" --answer "x" \
        basic erin chauthtok
like "$PAM_SHOWN" "ERROR_MSG: Unacceptable password" "  ... says why"
expect_pam PAM_SUCCESS "  ... erin's password is unchanged" --answer "$PW_ERIN2" basic erin authenticate
expect_pam PAM_CONV_ERR "chauthtok: the conversation fails at the new password" --answer "$PW_ERIN2" basic erin chauthtok
expect_pam PAM_USER_UNKNOWN "chauthtok: unknown account" --answer x --answer y --answer y basic ghost chauthtok
shown "  ... without prompts"
expect_pam PAM_AUTHTOK_ERR "chauthtok, nullok: unknown account ignored" --answer x --answer y --answer y nullok ghost chauthtok
shown "  ... without prompts" "$IGNORED"
expect_pam PAM_PERM_DENIED "chauthtok: service account" --answer x --answer "svc password 1" --answer "svc password 1" \
        basic svc chauthtok
shown "  ... says so" "$P_OLD" "$P_NEW" "$P_RETYPE" "ERROR_MSG: This account's password cannot be changed here."
expect_pam PAM_AUTHTOK_RECOVERY_ERR "chauthtok: use_first_pass, no earlier module" --answer "$PW_ERIN2" \
        chauthtok-first erin chauthtok
shown "  ... no prompts"
expect_pam PAM_AUTHTOK_ERR "chauthtok: use_authtok, no earlier module" --answer "$PW_ERIN2" --answer x --answer x \
        chauthtok-authtok erin chauthtok
shown "  ... only the current password asked for" "$P_OLD"
expect_pam PAM_SUCCESS "chauthtok back to the first password" --answer "$PW_ERIN2" --answer "$PW_ERIN" --answer "$PW_ERIN" \
        basic erin chauthtok
expect_pam PAM_SUCCESS "  ... which works" --answer "$PW_ERIN" basic erin authenticate

# --- the daemon absent, stopped, killed ---------------------------------------------------------------------
printf 'auth required %s bus=unix:path=%s timeout=5\n' "$PAM_MODULE" "$TMP/no-such-socket" >"$PAM_DIR/nobus"
expect_pam PAM_AUTHINFO_UNAVAIL "no bus at all" --answer "$PW_ALICE" nobus alice authenticate
shown "  ... says so" "$P_PASSWORD" "ERROR_MSG: The package registry's login service is not available; try again later."

service slow timeout=2
service patient timeout=60
ignoring_service unavail timeout=5 ignore_authinfo_unavail

kill -STOP "$DAEMON_PID"
expect_pam PAM_AUTHINFO_UNAVAIL "daemon stopped (SIGSTOP), timeout=2: password" --answer "$PW_ALICE" slow alice authenticate
expect_pam PAM_AUTHINFO_UNAVAIL "daemon stopped (SIGSTOP), timeout=2: token" --answer "$AUTO_SECRET" \
        --env PKGTOKEN_PACKAGE=p-none --env PKGTOKEN_ACTION=read slow alice authenticate
expect_pam PAM_AUTHINFO_UNAVAIL "daemon stopped (SIGSTOP), timeout=2: acct_mgmt" slow alice acct_mgmt
kill -CONT "$DAEMON_PID"
expect_pam PAM_SUCCESS "daemon continued: works again" --answer "$PW_ALICE" basic alice authenticate

# Killed in the middle of a call: stopped, so the call waits; then SIGKILL.  The answer must
# come from the bus noticing, long before timeout=60 (the wait is bounded at $PAM_WAIT s).
kill -STOP "$DAEMON_PID"
timeout --kill-after=5 "$PAM_WAIT" "$PAM_DRIVER" --answer "$PW_ALICE" "$PAM_DIR" patient alice authenticate \
        >"$TMP/killed.out" 2>&1 &
bg=$!
_pids+=("$bg")
wait_for 10 grep -q "^$P_PASSWORD" "$TMP/killed.out" || diag "pam-driver did not prompt"
sleep 0.5
kill9_daemon
bg_rc=0
wait "$bg" || bg_rc=$?
_forget_pid "$bg"
is "$bg_rc:$(sed -n 's/^result: //p' "$TMP/killed.out")" "0:PAM_AUTHINFO_UNAVAIL" \
        "daemon killed (SIGKILL) during the call: PAM_AUTHINFO_UNAVAIL, before the module's own timeout"

expect_pam PAM_AUTHINFO_UNAVAIL "daemon not running: password" --answer "$PW_ALICE" basic alice authenticate
shown "  ... says so" "$P_PASSWORD" "ERROR_MSG: The package registry's login service is not available; try again later."
expect_pam PAM_AUTHINFO_UNAVAIL "daemon not running: token" --answer "$AUTO_SECRET" --env PKGTOKEN_PACKAGE=p-none \
        --env PKGTOKEN_ACTION=read basic alice authenticate
expect_pam PAM_AUTHINFO_UNAVAIL "daemon not running: acct_mgmt" basic alice acct_mgmt
expect_pam PAM_AUTHINFO_UNAVAIL "daemon not running: chauthtok" --answer x --answer y --answer y basic erin chauthtok
expect_pam PAM_AUTHINFO_UNAVAIL "daemon not running, PAM_SILENT" --silent --answer "$PW_ALICE" basic alice authenticate
shown "  ... the prompt, no message" "$P_PASSWORD"
expect_pam PAM_AUTH_ERR "daemon not running, ignore_authinfo_unavail" --answer "$PW_ALICE" unavail alice authenticate
shown "  ... ignored, so the next module decides" "$P_PASSWORD" "$IGNORED"

must_start_daemon --config="$CONFIG"
expect_pam PAM_SUCCESS "daemon restarted: password" --answer "$PW_ALICE" basic alice authenticate acct_mgmt
expect_token PAM_SUCCESS "daemon restarted: token" "$AUTO_SECRET" alice p-none publish

# --- no secret was ever shown -------------------------------------------------------------------------------
leaked=
for secret in "$PW_ALICE" "$PW_BOB" "$PW_ANN" "$PW_NINA" "$PW_CAROL" "$PW_DAVE" "$PW_ERIN" "$PW_ERIN2" "$PW_HANK" \
              "$PW_TESS" "$PW_TOM" "$PW_BEA" "$RO_SECRET" "$PUB_SECRET" "$AUTO_SECRET" "$PKG_SECRET" "$TPUB_SECRET" \
              "$TOMPUB_SECRET" "$SES_SECRET" "$USED_BOB" "${BOB_RECOVERY[0]:-none}"; do
        grep -qF -- "$secret" "$SHOWN_ALL" && leaked+=" ${secret:0:9}..."
done
is "$leaked" "" "no password, token or code appears in any message shown ($(wc -l <"$SHOWN_ALL") messages)"
check_daemon_alive

done_testing
