/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <string.h>

#include "ctl.h"
#include "ctl-verbs.h"
#include "macro.h"

/* How many leading words of name equal argv[0..]; *complete says whether that was all of it. */
static unsigned verb_match_words(const char *name, int argc, char *argv[], bool *complete) {
        unsigned n = 0;
        const char *p = name;

        for (;;) {
                size_t len = strcspn(p, " ");

                if ((int) n >= argc || strlen(argv[n]) != len || strncmp(argv[n], p, len) != 0) {
                        *complete = false;
                        return n;
                }
                n++;
                if (!p[len]) {
                        *complete = true;
                        return n;
                }
                p += len + 1;
        }
}

/* "package" or "package maintainer" without a known subcommand: list the possible ones. */
static int log_missing_subcommand(const Verb *verbs, size_t n_verbs, int argc, char *argv[],
                                  unsigned depth) {
        char list[256] = "";
        const char *prev = NULL;
        size_t prev_len = 0;
        char group[128] = "";

        for (unsigned i = 0; i < depth; i++) {
                if (i > 0)
                        strncat(group, " ", sizeof group - strlen(group) - 1);
                strncat(group, argv[i], sizeof group - strlen(group) - 1);
        }

        for (size_t v = 0; v < n_verbs; v++) {
                const char *word;
                size_t len;
                bool complete;

                if (verb_match_words(verbs[v].name, (int) depth, argv, &complete) != depth || complete)
                        continue;

                word = verbs[v].name;
                for (unsigned i = 0; i < depth; i++)
                        word = strchr(word, ' ') + 1;
                len = strcspn(word, " ");
                if (prev && prev_len == len && strncmp(prev, word, len) == 0)
                        continue;       /* "maintainer add" and "maintainer remove" */

                if (*list)
                        strncat(list, ", ", sizeof list - strlen(list) - 1);
                strncat(list, word, MIN(len, sizeof list - strlen(list) - 1));
                prev = word;
                prev_len = len;
        }

        if ((unsigned) argc == depth)
                return log_usage("'%s' needs a subcommand: %s.", group, list);
        return log_usage("Unknown command '%s %s': '%s' takes %s.", group, argv[depth], group, list);
}

int dispatch_verb(const Verb *verbs, size_t n_verbs, uint64_t seen,
                  const char *(*option_name)(unsigned bit), int argc, char *argv[]) {
        const Verb *verb = NULL;
        unsigned words = 0, best_partial = 0, n_args;

        if (argc <= 0)
                return log_usage("Missing command. See '%s --help'.", PROGRAM_NAME);

        for (size_t v = 0; v < n_verbs; v++) {
                bool complete;
                unsigned n = verb_match_words(verbs[v].name, argc, argv, &complete);

                if (complete) {
                        verb = verbs + v;
                        words = n;
                        break;
                }
                if (n > best_partial)
                        best_partial = n;
        }

        if (!verb) {
                if (best_partial == 0)
                        return log_usage("Unknown command '%s'. See '%s --help'.", argv[0], PROGRAM_NAME);
                return log_missing_subcommand(verbs, n_verbs, argc, argv, best_partial);
        }

        n_args = (unsigned) argc - words;
        if (n_args < verb->min_args || n_args > verb->max_args)
                return log_usage("Wrong number of arguments for '%s'. Usage: %s %s%s%s",
                                 verb->name, PROGRAM_NAME, verb->name,
                                 isempty(verb->usage) ? "" : " ", verb->usage);

        for (unsigned bit = 0; bit < 64; bit++)
                if ((seen & (UINT64_C(1) << bit)) && !(verb->options & (UINT64_C(1) << bit)))
                        return log_usage("Option --%s cannot be used with '%s'.",
                                         option_name(bit), verb->name);

        return verb->run((int) n_args, argv + words);
}
