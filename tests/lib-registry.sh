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
        local method=$1 out name
        shift
        if out=$("${AS_REG[@]}" gdbus call --address "$PKGTOKEN_BUS_ADDRESS" --dest org.pkgtoken1 \
                        --object-path /org/pkgtoken1 --method "org.pkgtoken1.Manager.$method" "$@" 2>&1); then
                echo ok
                return
        fi
        name=$(printf '%s\n' "$out" | grep -oE 'GDBus\.Error:[A-Za-z0-9_.]+' | head -n 1)
        if [ -n "$name" ]; then
                echo "${name#GDBus.Error:}"
        else
                echo "error: $(printf '%s' "$out" | head -n 1)"
        fi
}

# reg_error_is EXPECTED DESC METHOD GVARIANT-ARGS...
reg_error_is() {
        local expected=$1 desc=$2
        shift 2
        if ! have_gdbus; then
                skip "gdbus not found: cannot see D-Bus error names"
                return 0
        fi
        is "$(reg_error "$@")" "org.pkgtoken1.Error.$expected" "$desc"
}
reg_ok() {
        local desc=$1
        shift
        if ! have_gdbus; then
                skip "gdbus not found"
                return 0
        fi
        is "$(reg_error "$@")" ok "$desc"
}

# verify TOKEN PACKAGE ACTION [KEY VALUE]...: Verify with string options; sets V_RESULT,
# V_CODE, V_MESSAGE, V_DETAILS (flat JSON) and V_RC.
verify() {
        local token=$1 package=$2 action=$3
        shift 3
        string_options "$@"
        V_RESULT='' V_CODE='' V_MESSAGE='' V_DETAILS='{}'
        run reg_json Verify 'sssa{sv}' "$token" "$package" "$action" "${OPTS[@]}"
        V_RC=$RUN_RC
        [ "$RUN_RC" -eq 0 ] || return 0
        V_RESULT=$(jq -r '.data[0]' <"$RUN_OUT_FILE")
        V_CODE=$(jq -r '.data[1]' <"$RUN_OUT_FILE")
        V_MESSAGE=$(jq -r '.data[2]' <"$RUN_OUT_FILE")
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
        NEW_ID=$(jq -r '.data[0]' <"$RUN_OUT_FILE")
        NEW_TOKEN=$(jq -r '.data[1]' <"$RUN_OUT_FILE")
}

audit_json() {
        mgr_json ListAuditEvents 'stu' "${1:-}" 0 1000 | jq "$JQ_AASV" >"$TMP/audit.json"
}
