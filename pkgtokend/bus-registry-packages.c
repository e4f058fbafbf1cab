/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The registry API's package methods on the bus (issue 9), for an account (or token) that
 * proved itself (bus-registry.h): GetPackageInfo (npm owner ls, npm access list
 * collaborators) and SetOwnPackagePolicy (npm access set mfa=...); and the one check of who
 * may govern a package, which ChangeMaintainer shares. */

#include "bus-error.h"
#include "bus-methods.h"
#include "bus-records.h"
#include "bus-registry.h"
#include "bus-util.h"
#include "registry-packages.h"
#include "registry.h"

/* A failure of the package methods: the package's name where it does not exist. */
static int package_error(sd_bus_error *error, int r, const char *package, const char *message) {
        if (r == -ERR_NO_SUCH_PACKAGE)
                return bus_error_set_package(error, r, package);
        return bus_error_set_errno_message(error, r, message);
}

int bus_check_package_governance(Manager *m, const Proven *p, const char *package, sd_bus_error *error) {
        const char *message = NULL;
        int r;

        if (p->token)
                /* Verify's "owner": a maintainer, and governance's code checked (decision.c). */
                return bus_check_token_action(m, p, package, ACTION_OWNER, error);
        /* A password proof: the login checked the code when the account has 2FA. */
        r = registry_check_owner_by_password(m->store, p->account, package, &message);
        return r < 0 ? package_error(error, r, package, message) : 0;
}

/* The package argument, canonical. */
static int read_package(sd_bus_message *msg, char **ret, sd_bus_error *error) {
        const char *name;
        int r = sd_bus_message_read(msg, "s", &name);
        return r < 0 ? r : bus_read_package_name(name, ret, error);
}

/* ---- GetPackageInfo ---- */

/* (a{sv} package, aa{sv} maintainers): GetPackage's record, then {name, email} each. */
static int reply_package_info(sd_bus_message *msg, const PackageInfo *i) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;

        APPEND(sd_bus_message_new_method_return(msg, &reply));
        APPEND(bus_append_package(&i->package, reply));
        APPEND(sd_bus_message_open_container(reply, 'a', "a{sv}"));
        for (size_t k = 0; k < i->n_maintainers; k++)
                APPEND(sd_bus_message_append(reply, "a{sv}", 2, "name", "s", i->maintainers[k].name, "email", "s",
                                             i->maintainers[k].email ?: ""));
        APPEND(sd_bus_message_close_container(reply));
        return sd_bus_send(NULL, reply, NULL);
}

/* Anyone the proof lets read the package learns who maintains it, as npm's packuments tell. */
static int get_package_info(Manager *m, sd_bus_message *msg, const Proven *p, sd_bus_error *error) {
        _cleanup_(package_info_done) PackageInfo info = {};
        _cleanup_free_ char *package = NULL;
        int r;

        r = read_package(msg, &package, error);
        if (r >= 0 && p->token)
                r = bus_check_token_action(m, p, package, ACTION_READ, error);
        if (r < 0)
                return r;
        r = registry_package_info(m->store, package, &info);
        if (r < 0)
                return package_error(error, r, package, NULL);
        return reply_package_info(msg, &info);
}

/* ---- SetOwnPackagePolicy ---- */

static int set_own_package_policy(Manager *m, sd_bus_message *msg, const Proven *p, sd_bus_error *error) {
        _cleanup_free_ char *package = NULL;
        const char *policy_arg;
        PackagePolicy policy;
        int r;

        r = read_package(msg, &package, error);
        if (r >= 0)
                r = sd_bus_message_read(msg, "s", &policy_arg);
        if (r >= 0)
                r = read_options(msg, NULL, 0, error);
        if (r >= 0)
                r = bus_read_policy(policy_arg, /* empty_is_default= */ false, &policy, error);
        if (r >= 0)
                r = bus_check_package_governance(m, p, package, error);
        if (r < 0)
                return r;
        r = registry_set_package_policy(m->store, package, policy, p->actor, now_realtime_usec());
        if (r < 0)
                return package_error(error, r, package, NULL);
        return sd_bus_reply_method_return(msg, NULL);
}

DEFINE_PROOF_METHOD(method_get_package_info, get_package_info);
DEFINE_PROOF_METHOD(method_set_own_package_policy, set_own_package_policy, .account_needed = true,
                    .governance = GOVERN_PACKAGE_POLICY);
