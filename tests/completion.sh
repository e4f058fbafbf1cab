#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bash completion for pkgtokenctl (shell-completion/bash/pkgtokenctl), run the way bash runs
# it: bash-completion's bash_completion and the file sourced, COMP_WORDS/COMP_CWORD/COMP_LINE
# set as bash splits a command line, _pkgtokenctl called, COMPREPLY checked.  Verbs,
# sub-verbs, options and their values; account, package and token names from a real
# pkgtokend on a private bus; nothing (and quickly) when no daemon answers.  Every verb of
# pkgtokenctl's table completes.

. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
. "$top_srcdir/tests/lib-ctl-tables.sh"

BASH_COMPLETION=${BASH_COMPLETION:-/usr/share/bash-completion/bash_completion}
if [ ! -f "$BASH_COMPLETION" ]; then
        [ "${CI:-}" = true ] && bail_out "$BASH_COMPLETION not found (CI must install bash-completion)"
        skip_all "bash-completion is not installed ($BASH_COMPLETION)"
fi
setup_bus_and_daemon

# bash_completion is not written for set -u.
set +u
# shellcheck disable=SC1090
. "$BASH_COMPLETION"
# shellcheck disable=SC1091
. "$top_srcdir/shell-completion/bash/pkgtokenctl"
# The program the completion asks (the one just built).
export PKGTOKENCTL_COMPLETION_PROGRAM=$PKGTOKENCTL

ok "complete -F _pkgtokenctl pkgtokenctl is registered" bash -c true
is "$(complete -p pkgtokenctl 2>/dev/null)" "complete -F _pkgtokenctl pkgtokenctl" \
        "the file registers _pkgtokenctl for pkgtokenctl"

# complete_line LINE: COMPREPLY for the end of LINE, sorted, space-separated, in $REPLY_WORDS.
# COMP_WORDS as bash makes them: split at blanks, and at "=" and ":" (COMP_WORDBREAKS), each
# of which is a word of its own.
complete_line() {
        local line=$1 w
        local -a cw=()
        for w in $line; do
                while [[ $w =~ ^([^=:]*)([=:])(.*)$ ]]; do
                        [ -n "${BASH_REMATCH[1]}" ] && cw+=("${BASH_REMATCH[1]}")
                        cw+=("${BASH_REMATCH[2]}")
                        w=${BASH_REMATCH[3]}
                done
                [ -n "$w" ] && cw+=("$w")
        done
        # A line ending in a blank (or in "=" or ":") completes an empty word.
        [[ $line == *[\ =:] ]] && cw+=("")
        COMP_WORDS=("${cw[@]}")
        COMP_CWORD=$((${#cw[@]} - 1))
        COMP_LINE=$line
        COMP_POINT=${#line}
        COMPREPLY=()
        _pkgtokenctl pkgtokenctl "${cw[COMP_CWORD]}" "${cw[COMP_CWORD - 1]}" 2>"$TMP/completion.err"
        REPLY_WORDS=$(printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d' | sort | tr '\n' ' ' | sed 's/ $//')
}

# completes LINE EXPECTED DESC: exactly these words.
completes() {
        complete_line "$1"
        is "$REPLY_WORDS" "$2" "${3:-'$1' completes '$2'}"
}
# completes_with LINE WORD...: at least these words.
completes_with() {
        local line=$1 w missing=""
        shift
        complete_line "$line"
        for w in "$@"; do
                [[ " $REPLY_WORDS " == *" $w "* ]] || missing+=" $w"
        done
        if [ -z "$missing" ]; then
                pass "'$line' completes $*"
        else
                fail "'$line' completes $*" "missing:$missing" "got: $REPLY_WORDS"
        fi
}

# --- verbs ---------------------------------------------------------------------------------------------
completes "pkgtokenctl " "account audit authorize backup help issuer login package stage status token trust"
completes "pkgtokenctl ac" "account"
completes "pkgtokenctl account " \
        "2fa add lift-hold link list lock passwd remove set-email set-password-source show unlink unlock"
completes "pkgtokenctl account 2fa " "confirm disable enable mode recovery-codes"
completes "pkgtokenctl package maintainer " "add remove"
completes "pkgtokenctl --json=short token r" "revoke rotate" "options before the verb are skipped"

# Every verb of pkgtokenctl's table completes word by word, and the completion knows no other.
ctl_verbs >"$TMP/verbs"
missing=""
while read -r verb; do
        prefix="pkgtokenctl "
        for w in $verb; do
                complete_line "$prefix"
                [[ " $REPLY_WORDS " == *" $w "* ]] || { missing+=" '$verb'"; break; }
                prefix+="$w "
        done
done <"$TMP/verbs"
is "$missing" "" "every verb of pkgtokenctl's table ($(wc -l <"$TMP/verbs")) completes"
# shellcheck disable=SC2154 # set by the completion file
is "$(printf '%s\n' "${_pkgtokenctl_verbs[@]}" | sort)" "$(sort "$TMP/verbs")" \
        "the completion's verbs are the table's"

# --- options and their values -------------------------------------------------------------------------------
completes "pkgtokenctl account add --" \
        "--bus-address= --email= --help --json --json= --kind= --no-ask-password --no-legend --password-from= --uid= --version" \
        "account add: its options and the global ones, no other"
completes "pkgtokenctl token create alice --ty" "--type="
completes "pkgtokenctl token create alice --type=" "automation publish read-only"
completes "pkgtokenctl token create alice --type=p" "publish"
completes "pkgtokenctl token create alice --type p" "publish" "'--type p' (value as the next word)"
completes "pkgtokenctl --json=" "pretty short"
completes "pkgtokenctl package add x --policy=" "2fa-only 2fa-or-automation none"
completes "pkgtokenctl stage list --state=" "approved expired published rejected staged"
completes "pkgtokenctl account 2fa mode alice " "auth-and-writes auth-only disabled"
completes "pkgtokenctl authorize left-pad " "publish read"
completes "pkgtokenctl package policy x --require-t" "--require-trusted-publishing="
completes "pkgtokenctl package policy x --require-trusted-publishing=" "no yes"
completes "pkgtokenctl issuer " "list refresh"

# --- names and ids from the daemon ---------------------------------------------------------------------------
new_account alice "" || bail_out "cannot create alice"
new_account bob "" || bail_out "cannot create bob"
mgr CreatePackage 'ssas' left-pad "" 1 alice >/dev/null || bail_out "cannot create left-pad"
mgr CreatePackage 'ssas' right-pad "" 1 bob >/dev/null || bail_out "cannot create right-pad"
new_token alice publish || bail_out "cannot create a token"
token_id=$NEW_ID

completes "pkgtokenctl account show " "alice bob"
completes "pkgtokenctl account show a" "alice"
completes "pkgtokenctl login " "alice bob"
completes "pkgtokenctl token create " "alice bob"
completes "pkgtokenctl package show " "left-pad right-pad"
completes "pkgtokenctl package maintainer add left-pad " "alice bob" "maintainer add: PACKAGE then ACCOUNT"
completes "pkgtokenctl package maintainer add l" "left-pad"
completes "pkgtokenctl token list --package=" "left-pad right-pad"
completes "pkgtokenctl token create alice --type=publish --package=r" "right-pad"
completes "pkgtokenctl token list --account=b" "bob"
completes "pkgtokenctl token revoke " "$token_id"
completes "pkgtokenctl token show tk_" "$token_id"
completes "pkgtokenctl stage approve " "" "no staged versions: nothing"
completes "pkgtokenctl account show alice " "" "nothing after the last operand"
is "$(cat "$TMP/completion.err")" "" "completion writes nothing on stderr"

# The bus given on the command line is the one asked.
address=$PKGTOKEN_BUS_ADDRESS
unset PKGTOKEN_BUS_ADDRESS
completes "pkgtokenctl --bus-address=$address account show " "alice bob" "--bus-address=ADDRESS is used"
completes "pkgtokenctl account show " "" "no bus address, no system bus here: nothing"

# No daemon: nothing, quickly and quietly.
export PKGTOKEN_BUS_ADDRESS="unix:path=$TMP/no-such-socket"
start=$(date +%s%N)
completes "pkgtokenctl account show " "" "no daemon: no names"
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
ok "no daemon: answered within 3 s (${elapsed_ms} ms)" test "$elapsed_ms" -lt 3000
is "$(cat "$TMP/completion.err")" "" "no daemon: nothing on stderr"
completes "pkgtokenctl account " \
        "2fa add lift-hold link list lock passwd remove set-email set-password-source show unlink unlock" "no daemon: verbs still complete"

set -u
done_testing
