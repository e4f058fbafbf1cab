# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash disable=SC2034
#
# Sourced by the tests of the registry API (bus-registry.sh, bus-registry-packages.sh): a bus
# and pkgtokend whose registry callers are a RegistryGroup= member when the tests run as root
# (nobody, with nobody's group as RegistryGroup=), else the daemon's own uid; and drivers for
# calls as the registry (reg_json, reg_error_is, reg_ok, verify, expect_verify), tokens made by
# the admin (token) and the audit (audit_json).  $REGISTRY is how the audit names the caller.

. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
need jq

CONFIG=$TMP/pkgtokend.conf
conf=(PasswordCost=1 LockoutThreshold=50)
if is_root; then
        need setpriv
        REG_UID=$(id -u nobody)
        REG_GROUP=$(id -gn nobody)
        conf+=("RegistryGroup=$REG_GROUP")
        AS_REG=(setpriv --reuid="$REG_UID" --regid="$REG_GROUP" --clear-groups -- env HOME="$TMP/home")
        chmod 0711 "$TMP"
else
        REG_UID=$(id -u)
        AS_REG=()
fi
write_config "$CONFIG" "${conf[@]}"
setup_bus_and_daemon --config="$CONFIG"
is_root && chmod a+x "$TMP/bus" && chmod a+rw "$BUS_SOCKET"
REGISTRY="registry uid $REG_UID"

# reg_json METHOD SIGNATURE ARGS...: a Manager call as the registry, the reply as JSON.
reg_json() {
        "${AS_REG[@]}" "$BUSCTL" --address="$PKGTOKEN_BUS_ADDRESS" --json=short call \
                org.pkgtoken1 /org/pkgtoken1 org.pkgtoken1.Manager "$@"
}

# reg_error METHOD GVARIANT-ARGS...: the D-Bus error name of a call as the registry, or "ok".
reg_error() {
        local DBUS_CALLER=("${AS_REG[@]}")
        dbus_error_name "$@"
}

# reg_error_message METHOD GVARIANT-ARGS...: the error message of a call as the registry.
reg_error_message() {
        local method=$1
        shift
        "${AS_REG[@]}" gdbus call --address "$PKGTOKEN_BUS_ADDRESS" --dest org.pkgtoken1 \
                --object-path /org/pkgtoken1 --method "org.pkgtoken1.Manager.$method" "$@" 2>&1 || :
}

# reg_error_is EXPECTED DESC METHOD GVARIANT-ARGS...: error_is, as the registry.
reg_error_is() {
        local DBUS_CALLER=("${AS_REG[@]}") expected=$1
        shift
        error_is "org.pkgtoken1.Error.$expected" "$@"
}
# reg_ok DESC METHOD GVARIANT-ARGS...: the call succeeds, as the registry.
reg_ok() {
        local DBUS_CALLER=("${AS_REG[@]}")
        error_is ok "$@"
}

# verify TOKEN PACKAGE ACTION [KEY VALUE]...: Verify with string options; sets V_RESULT,
# V_CODE, V_MESSAGE, V_DETAILS (flat JSON) and V_RC.
verify() {
        V_RESULT='' V_CODE='' V_MESSAGE='' V_DETAILS='{}'
        authz_call V_RC reg_json Verify "$@" || return 0
        reply_fields V_RESULT V_CODE V_MESSAGE
        V_DETAILS=$(jq -c '.data[3] | with_entries(.value |= .data)' <"$RUN_OUT_FILE")
}
detail() {
        jq -r --arg k "$1" 'if has($k) then .[$k] | (if type == "array" then join(",") else tostring end) else "" end' \
                <<<"$V_DETAILS"
}

# expect_verify RESULT CODE DESC TOKEN PACKAGE ACTION [KEY VALUE]...
expect_verify() {
        local result=$1 code=$2 desc=$3
        shift 3
        verify "$@"
        expect_answer "$result/$code" "$desc" "$V_RC" "$V_RESULT/$V_CODE" "$V_MESSAGE"
}

# token ACCOUNT TYPE SCOPE CIDR EXPIRES [OPTION-TRIPLES]: CreateToken as admin; sets NEW_ID,
# NEW_TOKEN.  SCOPE and CIDR: one entry or "".
token() {
        local account=$1 type=$2 scope=$3 cidr=$4 expires=$5 s=(0) c=(0)
        shift 5
        [ -n "$scope" ] && s=(1 "$scope")
        [ -n "$cidr" ] && c=(1 "$cidr")
        NEW_ID='' NEW_TOKEN=''
        run mgr_json CreateToken 'ssasstasa{sv}' "$account" "$type" "${s[@]}" "$account $type" "$expires" \
                "${c[@]}" $(($# / 3)) "$@"
        [ "$RUN_RC" -eq 0 ] || { diag_run; return 1; }
        reply_fields NEW_ID NEW_TOKEN
}

audit_json() {
        mgr_json ListAuditEvents 'stu' "${1:-}" 0 1000 | jq "$JQ_AASV" >"$TMP/audit.json"
}
