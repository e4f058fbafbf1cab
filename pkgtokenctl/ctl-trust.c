/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* "trust add|list|remove" and "issuer list|refresh": trusted publishing's publishers per
 * package and the issuers they name ("trust require" is a package option: ctl-packages.c).
 * --github= and --gitlab= spell the claims a GitHub Actions workflow or a GitLab CI pipeline
 * is recognised by; --issuer= with --claim=NAME=VALUE says it for any other issuer. */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl-bus.h"
#include "ctl-commands.h"
#include "ctl-views.h"
#include "strv.h"

#define GITHUB_ISSUER "https://token.actions.githubusercontent.com"
#define GITLAB_ISSUER "https://gitlab.com"

/* Appends name, value to pairs; value is formatted. */
static int add_claim(char ***pairs, const char *name, const char *format, ...) _printf_(3, 4);
static int add_claim(char ***pairs, const char *name, const char *format, ...) {
        char *value = NULL;
        va_list ap;
        int r;

        va_start(ap, format);
        r = vasprintf(&value, format, ap);
        va_end(ap);
        if (r < 0 || strv_extend(pairs, name) < 0 || strv_push(pairs, value) < 0)
                return log_oom();
        return 0;
}

/* The claims of the preset, then those of --claim= (NAME=VALUE). */
static int collect_claims(char ***pairs, const char **ret_issuer) {
        int r = 0;

        *ret_issuer = arg_issuer;
        if (arg_github) {
                *ret_issuer = arg_issuer ?: GITHUB_ISSUER;
                r = add_claim(pairs, "repository", "%s", arg_github);
                /* workflow_ref is "OWNER/REPO/.github/workflows/FILE@REF": any ref of that file. */
                if (r >= 0 && arg_workflow)
                        r = add_claim(pairs, "workflow_ref", "%s/.github/workflows/%s@*", arg_github, arg_workflow);
        } else if (arg_gitlab) {
                *ret_issuer = arg_issuer ?: GITLAB_ISSUER;
                r = add_claim(pairs, "project_path", "%s", arg_gitlab);
                /* ci_config_ref_uri is "HOST/PATH//FILE@REF"; project_path pins the project. */
                if (r >= 0 && arg_workflow)
                        r = add_claim(pairs, "ci_config_ref_uri", "*/%s//%s@*", arg_gitlab, arg_workflow);
        }
        if (r >= 0 && arg_environment)
                r = add_claim(pairs, "environment", "%s", arg_environment);
        STRV_FOREACH(c, arg_claims) {
                const char *eq = strchr(*c, '=');
                _cleanup_free_ char *name = eq ? strndup(*c, (size_t) (eq - *c)) : NULL;
                if (r < 0)
                        break;
                if (!eq)
                        return log_usage("Invalid --claim='%s': use NAME=VALUE.", *c);
                if (!name)
                        return log_oom();
                r = add_claim(pairs, name, "%s", eq + 1);
        }
        return r;
}

int verb_trust_add(int argc, char *argv[]) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_strv_free_ char **pairs = NULL;
        const char *issuer = NULL, *id;
        int r;

        if (!!arg_github + !!arg_gitlab > 1)
                return log_usage("Use --github= or --gitlab=, not both.");
        if (arg_workflow && !arg_github && !arg_gitlab)
                return log_usage("--workflow= goes with --github= or --gitlab=.");
        r = collect_claims(&pairs, &issuer);
        if (r != 0)
                return r;
        if (!issuer)
                return log_usage("Say whom to trust: --github=OWNER/REPO, --gitlab=PATH, or --issuer=URL "
                                 "with --claim=NAME=VALUE.");
        if (!pairs || !pairs[0])
                return log_usage("A trusted publisher needs claims (--claim=NAME=VALUE).");

        r = method_new(&m, "AddTrustedPublisher", false);
        if (r >= 0)
                r = sd_bus_message_append(m, "ss", argv[0], issuer);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "{ss}");
        for (size_t i = 0; r >= 0 && pairs[i]; i += 2)
                r = sd_bus_message_append(m, "{ss}", pairs[i], pairs[i + 1]);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_append(m, "a{sv}", 0);
        if (r < 0)
                return bus_log_build_error(m, r);
        r = method_call(m, "add trusted publisher", &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "s", &id);
        if (r < 0)
                return bus_log_parse_error(r);
        printf("%s\n", id);
        return 0;
}

int verb_trust_list(int argc, char *argv[]) {
        return call_and_print("ListTrustedPublishers", "list trusted publishers", &trusted_publisher_list_view, "s",
                              argc > 0 ? argv[0] : "");
}

int verb_trust_remove(int argc, char *argv[]) {
        return method_call_simple("RemoveTrustedPublisher", "remove trusted publisher", NULL, "s", argv[0]);
}

/* ---- issuers ---- */

int verb_issuer_list(int argc, char *argv[]) {
        return call_and_print("ListIssuers", "list issuers", &issuer_list_view, NULL);
}

/* Runs pkgtoken-issuer-refresh (pkgtokend has no network; that program has) in place of this
 * process, so its messages and exit status are the command's.  $PKGTOKEN_ISSUER_REFRESH names
 * another program (tests). */
int verb_issuer_refresh(int argc, char *argv[]) {
        const char *program = getenv("PKGTOKEN_ISSUER_REFRESH");
        _cleanup_free_ char **args = calloc((size_t) argc + 2, sizeof *args);

        if (isempty(program))
                program = ISSUER_REFRESH_PATH;
        if (!args)
                return log_oom();
        args[0] = (char *) program;
        for (int k = 0; k < argc; k++)
                args[k + 1] = argv[k];
        (void) fflush(stdout);
        execv(program, args);
        return log_error_errno(errno, "Cannot run %s: %m", program);
}
