/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Dispatch of multi-word verbs ("account 2fa enable NAME"), systemd's verbs pattern: a table
 * of verbs, each with its operand counts and the verb options it accepts.  Unknown and
 * incomplete commands, wrong operand counts and options given to a verb that does not take
 * them are usage errors (EXIT_USAGE, logged). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct Verb {
        const char *name;       /* words separated by single spaces */
        const char *usage;      /* operands, for the wrong-number-of-arguments message */
        unsigned min_args;
        unsigned max_args;      /* operands after the verb words */
        int (*run)(int argc, char *argv[]);
        uint64_t options;       /* the verb options accepted, a bit each (OPT()) */
} Verb;

/* seen: the option bits given on the command line; option_name(bit) names one for the
 * "cannot be used with" message.  Returns what the verb returns, or EXIT_USAGE. */
int dispatch_verb(const Verb *verbs, size_t n_verbs, uint64_t seen,
                  const char *(*option_name)(unsigned bit), int argc, char *argv[]);
