/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Packages on the bus: CreatePackage, GetPackage, ListPackages, SetPackagePolicy, SetPackageOptions,
 * AddMaintainer, RemoveMaintainer. */

#include "audit.h"
#include "bus-caller.h"
#include "bus-error.h"
#include "bus-methods.h"
#include "bus-records.h"
#include "bus-util.h"
#include "input-limits.h"
#include "lifetime.h"
#include "packages.h"
#include "strv.h"

static int read_name_and_policy(const char *name_arg, const char *policy_arg, bool empty_is_default, char **ret_name,
                                PackagePolicy *ret_policy, sd_bus_error *error) {
        int r;

        r = bus_read_package_name(name_arg, ret_name, error);
        if (r < 0)
                return r;
        return bus_read_policy(policy_arg, empty_is_default, ret_policy, error);
}

int method_create_package(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_strv_free_ char **maintainers = NULL;
        _cleanup_free_ char *name = NULL;
        Manager *m = userdata;
        const char *name_arg, *policy_arg, *account = NULL;
        PackagePolicy policy = PACKAGE_POLICY_DEFAULT;
        int r;

        r = sd_bus_message_read(msg, "ss", &name_arg, &policy_arg);
        if (r >= 0)
                r = read_strv_limited(msg, MAINTAINERS_MAX, &maintainers, error, "maintainers");
        if (r < 0)
                return r;
        r = bus_verify_admin(m, msg, error, NULL);
        if (r < 0)
                return r;
        r = read_name_and_policy(name_arg, policy_arg, true, &name, &policy, error);
        if (r < 0)
                return r;

        r = package_create(m->store, name, policy, maintainers, now_realtime_usec(), &account);
        if (r == -ERR_PACKAGE_EXISTS)
                return bus_error_set_errnof(error, r, "Package '%s' already exists.", name);
        if (r < 0 && account)
                return bus_error_set_account(error, r, account);
        return bus_reply_done(msg, r, error);
}

/* Reads the name of a package (an admin's call) and loads it: canonicalised, and NoSuchPackage
 * names it. */
static int read_package(Manager *m, sd_bus_message *msg, PackageRecord *ret, uid_t *ret_uid, sd_bus_error *error) {
        _cleanup_free_ char *canonical = NULL;
        const char *name;
        int r;

        r = bus_begin_call(m, msg, &(BusCall) { .ret_uid = ret_uid }, error, "s", &name);
        if (r < 0)
                return r;
        r = bus_read_package_name(name, &canonical, error);
        if (r < 0)
                return r;
        r = package_load(m->store, canonical, ret);
        if (r < 0)
                return bus_error_set_package(error, r, canonical);
        return 0;
}

static int append_package(sd_bus_message *reply, const void *p) {
        return bus_append_package(p, reply);
}

int method_get_package(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(package_record_done) PackageRecord p = {};
        int r;

        r = read_package(userdata, msg, &p, NULL, error);
        if (r < 0)
                return r;
        return bus_reply_record(msg, append_package, &p);
}

static int fill_packages(Store *s, sd_bus_message *reply, const void *query) {
        return store_package_foreach(s, bus_append_package, reply);
}

int method_list_packages(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return bus_reply_admin_list(userdata, msg, fill_packages, NULL, error);
}

int method_set_package_policy(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *name = NULL;
        Manager *m = userdata;
        const char *name_arg, *policy_arg;
        PackagePolicy policy = PACKAGE_POLICY_DEFAULT;
        int r;

        r = bus_begin_call(m, msg, &(BusCall) {}, error, "ss", &name_arg, &policy_arg);
        if (r < 0)
                return r;
        r = read_name_and_policy(name_arg, policy_arg, false, &name, &policy, error);
        if (r < 0)
                return r;
        r = package_set_policy(m->store, name, policy);
        return bus_reply_done(msg, r, error);
}

/* Package options besides the policy, each left as it is unless given: "require_approval" b
 * (versions come through approved stages only; direct publishes are refused with code
 * stage-required), "max_token_lifetime" t (microseconds, 0 none: new tokens that can publish
 * the package live at most this long) and "require_trusted_publishing" b (only tokens minted
 * by ExchangeIdToken publish it; others are refused with code trusted-publishing-only). */
int method_set_package_options(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(package_record_done) PackageRecord p = {};
        Manager *m = userdata;
        PackageOptions o;
        char actor[32];
        uid_t uid;
        int r;

        r = read_package(m, msg, &p, &uid, error);
        if (r < 0)
                return r;
        o = (PackageOptions) {
                .requires_approval = p.requires_approval,
                .max_token_lifetime = p.max_token_lifetime,
                .trusted_publishing_only = p.trusted_publishing_only,
        };
        r = read_options(msg, (const OptionSpec[]) {
                { "require_approval",   OPTION_BOOL,   &o.requires_approval },
                { "max_token_lifetime", OPTION_UINT64, &o.max_token_lifetime },
                { "require_trusted_publishing", OPTION_BOOL, &o.trusted_publishing_only },
        }, 3, error);
        if (r < 0)
                return r;
        if (o.max_token_lifetime > TOKEN_LIFETIME_MAX_SEC * USEC_PER_SEC)
                return invalid_argument(error, "A package's max token lifetime is at most ten years (0: none).");
        audit_admin_actor(uid, actor);
        r = package_set_options(m->store, &p, &o, actor, now_realtime_usec());
        return r < 0 ? bus_error_set_package(error, r, p.name) : sd_bus_reply_method_return(msg, NULL);
}

static int change_maintainer(sd_bus_message *msg, Manager *m, bool add, sd_bus_error *error) {
        _cleanup_free_ char *package = NULL;
        const char *package_arg, *account;
        int r;

        r = bus_begin_call(m, msg, &(BusCall) {}, error, "ss", &package_arg, &account);
        if (r < 0)
                return r;
        r = bus_read_package_name(package_arg, &package, error);
        if (r < 0)
                return r;

        r = add ? maintainer_add(m->store, package, account, now_realtime_usec())
                : maintainer_remove(m->store, package, account);
        if (r < 0)
                return bus_error_set_maintainer(error, r, package, account);
        return sd_bus_reply_method_return(msg, NULL);
}

int method_add_maintainer(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return change_maintainer(msg, userdata, true, error);
}

int method_remove_maintainer(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return change_maintainer(msg, userdata, false, error);
}
