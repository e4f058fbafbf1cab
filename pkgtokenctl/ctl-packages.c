/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "ctl.h"
#include "ctl-bus.h"
#include "ctl-views.h"
#include "ctl-commands.h"
#include "model.h"
#include "strv.h"
#include "validate.h"

int verb_package_add(int argc, char *argv[]) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = method_new(&m, "CreatePackage", false);
        if (r < 0)
                return r;

        /* An empty policy lets the daemon apply its default (2fa-or-automation). */
        r = sd_bus_message_append(m, "ss", argv[0], arg_policy ?: "");
        if (r >= 0)
                r = sd_bus_message_append_strv(m, arg_maintainers);
        if (r < 0)
                return bus_log_build_error(m, r);

        return method_call(m, "create package", NULL);
}

int verb_package_list(int argc, char *argv[]) {
        return call_and_print("ListPackages", "list packages", &package_list_view, NULL);
}

int verb_package_show(int argc, char *argv[]) {
        return call_and_print("GetPackage", "get package", &package_show_view, "s", argv[0]);
}

/* SetPackageOptions with the options given (the others stay as they are), in one call: the
 * daemon sets them in one transaction. */
static int set_package_options(const char *package, int require_approval, int require_trusted) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = method_new(&m, "SetPackageOptions", false);
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "s", package);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r >= 0 && require_approval >= 0)
                r = sd_bus_message_append(m, "{sv}", "require_approval", "b", require_approval);
        if (r >= 0 && require_trusted >= 0)
                r = sd_bus_message_append(m, "{sv}", "require_trusted_publishing", "b", require_trusted);
        if (r >= 0 && arg_max_token_lifetime_set)
                r = sd_bus_message_append(m, "{sv}", "max_token_lifetime", "t", (uint64_t) arg_max_token_lifetime);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r < 0)
                return bus_log_build_error(m, r);
        return method_call(m, "set package options", NULL);
}

/* POLICY, --require-approval= (versions only through approved stages),
 * --require-trusted-publishing= and --max-token-lifetime=, any of them. */
int verb_package_policy(int argc, char *argv[]) {
        int r;

        if (argc < 2 && arg_require_approval < 0 && arg_require_trusted_publishing < 0 && !arg_max_token_lifetime_set)
                return log_usage("Give a POLICY, --require-approval=yes|no, --require-trusted-publishing=yes|no, "
                                 "--max-token-lifetime=, or several.");
        if (argc >= 2 && package_policy_from_string(argv[1]) < 0)
                return log_usage("Invalid policy '%s': use none, 2fa-or-automation or 2fa-only.",
                                 argv[1]);

        if (argc >= 2) {
                r = method_call_simple("SetPackagePolicy", "set package policy", NULL, "ss", argv[0], argv[1]);
                if (r < 0)
                        return r;
        }
        if (arg_require_approval < 0 && arg_require_trusted_publishing < 0 && !arg_max_token_lifetime_set)
                return 0;
        return set_package_options(argv[0], arg_require_approval, arg_require_trusted_publishing);
}

/* "trust require PACKAGE yes|no": the same option as package policy --require-trusted-publishing=. */
int verb_trust_require(int argc, char *argv[]) {
        bool on = streq(argv[1], "yes");

        if (!on && !streq(argv[1], "no"))
                return log_usage("Invalid '%s': use yes or no.", argv[1]);
        return set_package_options(argv[0], -1, on);
}

int verb_package_maintainer_add(int argc, char *argv[]) {
        return method_call_simple("AddMaintainer", "add maintainer", NULL, "ss", argv[0], argv[1]);
}

int verb_package_maintainer_remove(int argc, char *argv[]) {
        return method_call_simple("RemoveMaintainer", "remove maintainer", NULL,
                                  "ss", argv[0], argv[1]);
}

int check_package_filter(const char *verb) {
        _cleanup_free_ char *canonical = NULL;

        if (strv_length(arg_packages) > 1)
                return log_usage("--package= may be given only once with '%s'.", verb);
        if (arg_packages && package_name_canonicalize(arg_packages[0], &canonical) < 0)
                return log_usage("Invalid package name '%s' (a name, not a pattern, with '%s').",
                                 arg_packages[0], verb);
        return 0;
}
