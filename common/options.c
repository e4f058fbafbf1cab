/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>

#include "log.h"
#include "macro.h"
#include "options.h"

int options_parse(int argc, char *argv[], const char *program, const char *shortopts, const struct option *options,
                  int (*help)(void), OptionHandler handle, void *userdata) {
        int c, r;

        while ((c = getopt_long(argc, argv, shortopts, options, NULL)) >= 0) {
                if (c == 'h') {
                        (void) help();
                        return 0;
                }
                if (c == OPTION_VERSION_ID) {
                        printf("%s %s\n", program, PKGTOKEN_VERSION);
                        return 0;
                }
                r = handle(c, optarg, userdata);
                if (r != 0)
                        return r < 0 ? r : 0;
        }
        return 1;
}

int options_parse_no_arguments(int argc, char *argv[], const char *program, const char *shortopts,
                               const struct option *options, int (*help)(void), OptionHandler handle,
                               void *userdata) {
        int r;

        r = options_parse(argc, argv, program, shortopts, options, help, handle, userdata);
        if (r <= 0)
                return r;
        if (optind < argc) {
                log_error("unexpected argument '%s'", argv[optind]);
                return -EINVAL;
        }
        return 1;
}

int option_nonempty(const char *arg, const char *message, const char **ret) {
        if (isempty(arg))
                return log_error_errno(EINVAL, "%s", message);
        *ret = arg;
        return 0;
}
