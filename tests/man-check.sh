#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The man pages (man/*.[158]): each formats without a single warning (man --warnings, groff -ww),
# and each documents what its program or API really has, taken from the one place that
# defines it:
#   org.pkgtoken1.5   every method and signal of dbus/org.pkgtoken1.xml with its exact
#                     signature, every reason code (common/model.c), every error (common/names.h)
#   pkgtokenctl.1     every verb and option of pkgtokenctl's tables (pkgtokenctl/pkgtokenctl.c),
#                     and no other; `pkgtokenctl --help` lists the same verbs and options
#   pkgtokend.8       every option of pkgtokend (pkgtokend/main.c) and of its --help
#   pkgtoken-upload-gate.8  likewise for upload-gate/gate.c
#   pkgtoken-issuer-refresh.8  likewise for issuer-refresh/main.c
#   pkgtokend.conf.5  every setting of pkgtokend/config.c's table, and no other
#   pam_pkgtoken.8    every module option of pam_pkgtoken/pam-options.c
# A failure names what is missing or stale, with the line to add where that is mechanical.

. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
. "$top_srcdir/tests/lib-ctl-tables.sh"

need man groff
[ -x "$PKGTOKENCTL" ] || bail_out "pkgtokenctl not built: $PKGTOKENCTL"
[ -x "$PKGTOKEND" ] || bail_out "pkgtokend not built: $PKGTOKEND"

MAN=$top_srcdir/man
XML=$top_srcdir/dbus/org.pkgtoken1.xml

# roff_plain: roff escapes of a tag line removed: "\-" is "-", fonts and "\%" go.
roff_plain() {
        sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\%//g' -e 's/\\(->/->/g' -e 's/\\ / /g'
}

# tags FILE SECTION: the tag lines (after .TP or .TQ) of ".SH SECTION", without their macro,
# quotes and escapes: ".BI "account add " NAME" is "account add  NAME".  Tags of a nested
# list (between .RS and .RE: the values of an option) are not the section's.
tags() {
        awk -v section="$2" '
                /^\.SH / { sub(/^\.SH +/, ""); gsub(/"/, ""); in_section = ($0 == section); next }
                !in_section { next }
                /^\.RS/ { depth++ }
                /^\.RE/ { depth-- }
                depth > 0 { next }
                /^\.(TP|TQ)/ { tag = 1; next }
                tag { tag = 0; sub(/^\.[A-Z]+ */, ""); gsub(/"/, ""); print }
        ' "$1" | roff_plain
}

# same_set DESC WHAT_A A_FILE WHAT_B B_FILE: one test, that the sorted word lists are equal.
same_set() {
        local desc=$1 what_a=$2 a=$3 what_b=$4 b=$5 only_a only_b
        only_a=$(comm -23 <(sort -u "$a") <(sort -u "$b"))
        only_b=$(comm -13 <(sort -u "$a") <(sort -u "$b"))
        if [ -z "$only_a" ] && [ -z "$only_b" ] && [ -s "$a" ]; then
                pass "$desc ($(sort -u "$a" | wc -l) entries)"
        else
                fail "$desc" \
                        "in $what_a but not in $what_b:" "${only_a:-  (none)}" \
                        "in $what_b but not in $what_a:" "${only_b:-  (none)}"
        fi
}

# --- every page formats without warnings ---------------------------------------------------------
pages=("$MAN"/*.[1-8])
for page in "${pages[@]}"; do
        name=$(basename "$page")
        warnings=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 \
                man --warnings -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 >/dev/null)
        is "$warnings" "" "$name formats without warnings (man --warnings)"
        warnings=$(groff -man -ww -z -Tutf8 "$page" 2>&1)
        is "$warnings" "" "$name: groff -ww -z"
done
for page in pkgtokend.8 pkgtokenctl.1 pkgtokend.conf.5 org.pkgtoken1.5 pam_pkgtoken.8 pkgtoken-upload-gate.8 \
        pkgtoken-issuer-refresh.8; do
        ok "man/$page exists" test -f "$MAN/$page"
done

# --- org.pkgtoken1.5 --------------------------------------------------------------------------------
# dbus_entries: ".B "\%Name(t arg, ...) \(-> (t out, ...)"" for each method and signal of the XML.
dbus_entries() {
        awk '
                /<method name=|<signal name=/ {
                        match($0, /name="[^"]*"/); name = substr($0, RSTART + 6, RLENGTH - 7)
                        ins = ""; outs = ""; next
                }
                /<arg / && name != "" {
                        match($0, /type="[^"]*"/); t = substr($0, RSTART + 6, RLENGTH - 7)
                        match($0, /name="[^"]*"/); n = substr($0, RSTART + 6, RLENGTH - 7)
                        if ($0 ~ /direction="out"/) outs = outs (outs == "" ? "" : ", ") t " " n
                        else ins = ins (ins == "" ? "" : ", ") t " " n
                        next
                }
                /<\/method>|<\/signal>/ && name != "" {
                        s = name "(" ins ")"
                        if (outs != "") s = s " \\(-> (" outs ")"
                        printf ".B \"\\%%%s\"\n", s
                        name = ""
                }
        ' "$XML"
}
page=$MAN/org.pkgtoken1.5
dbus_entries >"$TMP/dbus-expected"
grep -E '^\.B "\\%[A-Za-z]+\(' "$page" >"$TMP/dbus-documented"
n=$(wc -l <"$TMP/dbus-expected")
[ "$n" -gt 50 ] || fail "the introspection XML has methods" "only $n found in $XML"
same_set "org.pkgtoken1.5: every method and signal of the XML, with its signature, and no other" \
        "dbus/org.pkgtoken1.xml" "$TMP/dbus-expected" "man/org.pkgtoken1.5" "$TMP/dbus-documented"

# Reason codes: the closed set of common/model.c; errors: common/names.h.
sed -n '/reason_code_table\[/,/^};/p' "$top_srcdir/common/model.c" |
        sed -n 's/.*= *"\([a-z-]*\)".*/\1/p' >"$TMP/codes"
[ -s "$TMP/codes" ] || fail "common/model.c has a reason code table"
tags "$page" "REASON CODES" | awk '{ print $1 }' >"$TMP/codes-documented"
same_set "org.pkgtoken1.5: every reason code of common/model.c, and no other" \
        "common/model.c" "$TMP/codes" "REASON CODES" "$TMP/codes-documented"
sed -n 's/.*PKGTOKEN_ERROR_PREFIX *"\([A-Za-z]*\)".*/\1/p' "$top_srcdir/common/names.h" >"$TMP/errors"
tags "$page" "ERRORS" | awk '{ print $1 }' >"$TMP/errors-documented"
same_set "org.pkgtoken1.5: every error of common/names.h, and no other" \
        "common/names.h" "$TMP/errors" "ERRORS" "$TMP/errors-documented"

# --- pkgtokenctl.1 and pkgtokenctl --help ---------------------------------------------------------
ctl_verbs >"$TMP/verbs"
[ "$(wc -l <"$TMP/verbs")" -gt 20 ] || fail "pkgtokenctl.c has a verb table" "$(cat "$TMP/verbs")"
ctl_options >"$TMP/options"
[ "$(wc -l <"$TMP/options")" -gt 20 ] || fail "pkgtokenctl.c has an option table" "$(cat "$TMP/options")"

# A verb in the man page: the leading lower-case words of its tag ("package policy NAME
# [POLICY]" is "package policy").
verb_words() {
        awk '{ v = ""; for (i = 1; i <= NF && $i ~ /^[a-z0-9][a-z0-9-]*$/; i++) v = v (v == "" ? "" : " ") $i
               if (v != "") print v }'
}
long_options() {
        grep -oE -- '--[a-z][a-z0-9-]*' | sed 's/^--//'
}
tags "$MAN/pkgtokenctl.1" COMMANDS | verb_words >"$TMP/verbs-man"
same_set "pkgtokenctl.1 COMMANDS: every verb of pkgtokenctl's table, and no other" \
        "the verb table (pkgtokenctl.c)" "$TMP/verbs" "pkgtokenctl.1" "$TMP/verbs-man"
tags "$MAN/pkgtokenctl.1" OPTIONS | long_options >"$TMP/options-man"
same_set "pkgtokenctl.1 OPTIONS: every option of pkgtokenctl's table, and no other" \
        "the option table (pkgtokenctl.c)" "$TMP/options" "pkgtokenctl.1" "$TMP/options-man"

run "$PKGTOKENCTL" --help
is "$RUN_RC" 0 "pkgtokenctl --help"
# Its commands: the lines of the Commands: block that start with two blanks and a word;
# an alias is named in its verb's line ("(also: set-policy; ...").
sed -n '/^Commands:/,/^$/p' "$RUN_OUT_FILE" | grep -E '^  [a-z]' | cut -c3- | verb_words >"$TMP/verbs-help"
while read -r verb; do
        last=${verb##* }
        if ! grep -qxF "$verb" "$TMP/verbs-help" && grep -qE "\(also: ${last}[;)]" "$RUN_OUT_FILE"; then
                echo "$verb" >>"$TMP/verbs-help"
        fi
done <"$TMP/verbs"
same_set "pkgtokenctl --help: every verb of the table, and no other" \
        "the verb table (pkgtokenctl.c)" "$TMP/verbs" "pkgtokenctl --help" "$TMP/verbs-help"
long_options <"$RUN_OUT_FILE" | sort -u >"$TMP/options-help"
same_set "pkgtokenctl --help: every option of the table, and no other" \
        "the option table (pkgtokenctl.c)" "$TMP/options" "pkgtokenctl --help" "$TMP/options-help"

# --- pkgtokend.8, pkgtoken-upload-gate.8, pkgtoken-issuer-refresh.8 ---------------------------------
# check_program_options NAME SOURCE BINARY: the option table of SOURCE against the OPTIONS of
# man/NAME.8 and BINARY --help.
check_program_options() {
        local name=$1 src=$2 binary=$3
        program_options "$src" >"$TMP/$name-options"
        tags "$MAN/$name.8" OPTIONS | long_options >"$TMP/$name-options-man"
        same_set "$name.8 OPTIONS: every option of $name, and no other" \
                "${src#"$top_srcdir"/}" "$TMP/$name-options" "$name.8" "$TMP/$name-options-man"
        run "$binary" --help
        long_options <"$RUN_OUT_FILE" >"$TMP/$name-options-help"
        same_set "$name --help: every option of $name, and no other" \
                "${src#"$top_srcdir"/}" "$TMP/$name-options" "$name --help" "$TMP/$name-options-help"
}
check_program_options pkgtokend "$top_srcdir/pkgtokend/main.c" "$PKGTOKEND"
check_program_options pkgtoken-upload-gate "$top_srcdir/upload-gate/gate.c" \
        "${top_builddir:-$top_srcdir/build}/upload-gate/pkgtoken-upload-gate"
check_program_options pkgtoken-issuer-refresh "$top_srcdir/issuer-refresh/main.c" \
        "${top_builddir:-$top_srcdir/build}/issuer-refresh/pkgtoken-issuer-refresh"
check_program_options pkgtoken-pam-helper "$top_srcdir/pam-helper/pam-helper.c" \
        "${top_builddir:-$top_srcdir/build}/pam-helper/pkgtoken-pam-helper"

# --- pkgtokend.conf.5 -------------------------------------------------------------------------------
# A row is { "Key", SETTING_..., or a macro's ROW("Key", SETTING_...
sed -nE 's/.*(\{ *|[A-Z_]+\()"([A-Za-z0-9]+)", *SETTING_.*/\2/p' "$top_srcdir/pkgtokend/config.c" >"$TMP/settings"
[ "$(wc -l <"$TMP/settings")" -gt 20 ] || fail "config.c has a settings table" "$(cat "$TMP/settings")"
# Every tag "Name=VALUE" of every section but ISSUERS (the keys of issuers.d files).
awk '/^\.SH ISSUERS/ { skip = 1; next } /^\.SH / { skip = 0 } !skip' "$MAN/pkgtokend.conf.5" >"$TMP/conf-page"
grep -A1 -E '^\.(TP|TQ)' "$TMP/conf-page" | grep -E '^\.BI? [A-Za-z0-9]+=' |
        sed -E 's/^\.BI? ([A-Za-z0-9]+)=.*/\1/' >"$TMP/settings-man"
same_set "pkgtokend.conf.5: every setting of pkgtokend/config.c, and no other" \
        "pkgtokend/config.c" "$TMP/settings" "pkgtokend.conf.5" "$TMP/settings-man"

# --- pam_pkgtoken.8 ---------------------------------------------------------------------------------
src=$top_srcdir/pam_pkgtoken/pam-options.c
{
        sed -n 's/.*streq(a, "\([a-z_]*\)").*/\1/p' "$src"
        sed -n 's/.*startswith(a, "\([a-z_]*=\)".*/\1/p' "$src"
} | sort -u >"$TMP/pam-options"
[ "$(wc -l <"$TMP/pam-options")" -gt 10 ] || fail "pam-options.c has options" "$(cat "$TMP/pam-options")"
tags "$MAN/pam_pkgtoken.8" OPTIONS | awk '{ print $1 }' |
        sed -E 's/^([a-z_]+=).*/\1/' | sort -u >"$TMP/pam-options-man"
same_set "pam_pkgtoken.8 OPTIONS: every option of pam-options.c, and no other" \
        "pam_pkgtoken/pam-options.c" "$TMP/pam-options" "pam_pkgtoken.8" "$TMP/pam-options-man"

done_testing
