# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# Sourced by tests/man-check.sh and tests/completion.sh: what pkgtokenctl's tables
# (pkgtokenctl/pkgtokenctl.c) define, read from the source, one a line.  Entries are
# recognised by their shape, whether written out or through a macro:
#   verbs:   { "account add", ...   or   SOME_VERB("package policy")   inside verbs[]
#   options: { "email", required_argument, ...   or   X("email", required_argument, ...),
#            and OPTION_HELP / OPTION_VERSION (common/options.h) as "help" and "version".

ctl_source=${top_srcdir:?}/pkgtokenctl/pkgtokenctl.c

ctl_verbs() {
        sed -n '/^static const Verb verbs\[\]/,/^};/p' "$ctl_source" |
                sed -nE 's/^[[:space:]]*(\{ *|[A-Z_]+\()"([a-z0-9 -]+)".*/\2/p'
}

# program_options SOURCE: the long options of a program's option table(s).
program_options() {
        sed -nE 's/.*(\{ *|[A-Z_]+\()"([a-z0-9-]+)", *(no|required|optional)_argument.*/\2/p' "$1"
        sed -nE 's/.*OPTION_(HELP|VERSION)\b.*/\1/p' "$1" | grep -v '^$' | tr '[:upper:]' '[:lower:]' | sort -u
}

ctl_options() {
        program_options "$ctl_source"
}
