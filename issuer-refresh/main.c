/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* pkgtoken-issuer-refresh: fetches the signing keys (JWKS) of the OIDC issuers pkgtokend trusts
 * and writes their keys files (issuers.h).  pkgtokend has no network; this small program has,
 * and runs from pkgtoken-issuer-refresh.timer or `pkgtokenctl issuer refresh`.  The issuers
 * are those of IssuersDirectory= in pkgtokend.conf, read with the daemon's own parsers.  Every
 * issuer is tried; one that fails keeps its old keys file and makes the exit status 1, as does
 * an issuer file that cannot be used (when no NAME is given). */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "duration.h"
#include "fetch.h"
#include "issuers.h"
#include "log.h"
#include "macro.h"
#include "options.h"
#include "refresh.h"
#include "strv.h"

#define PROGRAM_NAME "pkgtoken-issuer-refresh"
#define TIMEOUT_DEFAULT (30 * USEC_PER_SEC)
#define CONNECT_TIMEOUT_MAX (10 * USEC_PER_SEC)

static const char *arg_config = NULL;
static const char *arg_directory = NULL;
static usec_t arg_timeout = TIMEOUT_DEFAULT;

static int help(void) {
        printf("%s [OPTIONS...] [NAME...]\n\n"
               "Fetch the signing keys of the trusted-publishing issuers (Discovery=yes or JwksUri=\n"
               "in their files) and replace their KeysFile= atomically once the keys are checked.\n"
               "NAME: only these issuers (their file names without .conf).\n\n"
               "  -h --help              Show this help\n"
               "     --version           Show the version\n"
               "     --config=FILE       pkgtokend's settings, for IssuersDirectory=\n"
               "                         (default: " CONFIG_FILE_DEFAULT ")\n"
               "     --directory=DIR     The issuers directory itself (overrides --config=)\n"
               "     --timeout=DURATION  At most this long per request (default: 30s; at most 5min)\n",
               PROGRAM_NAME);
        return 0;
}

enum {
        ARG_CONFIG = 0x100,
        ARG_DIRECTORY,
        ARG_TIMEOUT,
};

static int parse_option(int c, const char *arg, void *userdata) {
        switch (c) {
        case ARG_CONFIG:
                return option_nonempty(arg, "--config= needs a file.", &arg_config);
        case ARG_DIRECTORY:
                return option_nonempty(arg, "--directory= needs a directory.", &arg_directory);
        case ARG_TIMEOUT:
                if (parse_duration_bounded(arg, USEC_PER_SEC, 300 * USEC_PER_SEC, &arg_timeout) < 0)
                        return log_error_errno(EINVAL, "Invalid --timeout='%s': 1s to 5min.", arg);
                return 0;
        case ':':
        case '?':
                return log_error_errno(EINVAL, "Unknown option or missing value. See '%s --help'.", PROGRAM_NAME);
        default:
                return log_error_errno(EINVAL, "Unhandled option.");
        }
}

static int issuers_directory(char **ret) {
        Config c;
        int r;

        if (arg_directory) {
                *ret = strdup(arg_directory);
                return *ret ? 0 : log_oom();
        }
        config_init_defaults(&c);
        r = config_load(&c, arg_config ?: CONFIG_FILE_DEFAULT, /* optional= */ !arg_config);
        if (r < 0)
                return r;
        *ret = strdup(isempty(c.issuers_directory) ? ISSUERS_DIRECTORY_DEFAULT : c.issuers_directory);
        return *ret ? 0 : log_oom();
}

static bool is_wanted(const Issuer *i, char **names) {
        return !names || strv_contains(names, i->name);
}

/* Each named issuer must exist: a typo must not look like success. */
static int check_names(const Issuers *l, char **names, const char *dir) {
        int r = 0;

        STRV_FOREACH(n, names) {
                bool found = false;
                for (size_t k = 0; k < l->n; k++)
                        found = found || streq(l->items[k].name, *n);
                if (!found)
                        r = log_error_errno(ENOENT, "No issuer '%s' in %s (or its file is invalid).", *n, dir);
        }
        return r;
}

static int refresh_all(const Issuers *l, char **names) {
        const FetchLimits limits = {
                .connect_timeout = MIN(arg_timeout, CONNECT_TIMEOUT_MAX),
                .total_timeout = arg_timeout,
                .max_size = JWKS_MAX_SIZE,
                .max_redirects = 3,
        };
        int failed = 0;

        for (size_t k = 0; k < l->n; k++) {
                if (!is_wanted(&l->items[k], names))
                        continue;
                if (issuer_refresh(&l->items[k], &limits) < 0)
                        failed++;
        }
        return failed;
}

static const struct option options[] = {
        { "config",    required_argument, NULL, ARG_CONFIG    },
        { "directory", required_argument, NULL, ARG_DIRECTORY },
        { "timeout",   required_argument, NULL, ARG_TIMEOUT   },
        OPTION_HELP,
        OPTION_VERSION,
        {}
};

int main(int argc, char *argv[]) {
        _cleanup_free_ char *dir = NULL;
        _cleanup_strv_free_ char **names = NULL;
        Issuers issuers = {};
        int r, failed;

        log_setup(PROGRAM_NAME);
        opterr = 0;
        r = options_parse(argc, argv, PROGRAM_NAME, ":h", options, help, parse_option, NULL);
        if (r <= 0)
                return r < 0 ? 2 : EXIT_SUCCESS;
        for (int k = optind; k < argc; k++)
                if (strv_extend(&names, argv[k]) < 0)
                        return log_oom(), EXIT_FAILURE;

        r = issuers_directory(&dir);
        if (r < 0)
                return EXIT_FAILURE;
        r = issuers_load(dir, &issuers);
        if (r < 0)
                return log_oom(), EXIT_FAILURE;
        r = check_names(&issuers, names, dir);
        if (r >= 0 && issuers.n == 0)
                log_info("No issuers in %s: nothing to refresh.", dir);
        if (fetch_global_init() < 0) {
                issuers_done(&issuers);
                return log_error_errno(EIO, "Cannot initialise libcurl."), EXIT_FAILURE;
        }
        failed = refresh_all(&issuers, names);
        /* A file the daemon skips is a failure of the whole run (the timer's unit shows it
         * failed) unless only named issuers were asked for. */
        if (!names && issuers.n_invalid > 0)
                failed++;
        fetch_global_done();
        issuers_done(&issuers);
        return r < 0 || failed > 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
