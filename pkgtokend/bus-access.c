/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Which admin method needs which polkit action, and the filter that asks (bus-access.h). */

#include <stdio.h>
#include <stdlib.h>

#include "bus-access.h"
#include "bus-error.h"
#include "macro.h"
#include "names.h"

#define ACTION_PREFIX "org.pkgtoken1."

/* Who else may call a method without polkit: its own checks let them in. */
typedef enum AccessExempt {
        EXEMPT_NONE,
        EXEMPT_VERIFIER = 1 << 0,   /* members of RegistryGroup= (the method takes verifiers too) */
        EXEMPT_LINKED = 1 << 1,     /* a Unix user linked to an account, for that account */
} AccessExempt;

typedef struct MethodAccess {
        const char *member;
        const char *action;         /* without ACTION_PREFIX */
        AccessExempt exempt;
} MethodAccess;

/* Methods not listed are not polkit's: the registry API and the proof methods, which
 * members of RegistryGroup= and linked users call on their own terms.  Keep in step with
 * policy/org.pkgtoken1.policy and the header of dbus/org.pkgtoken1.xml. */
static const MethodAccess method_access[] = {
        { "GetStatus",                    "read-audit" },
        { "ListAuditEvents",              "read-audit" },
        { "Backup",                       "backup" },
        { "CreateAccount",                "manage-accounts" },
        { "GetAccount",                   "manage-accounts" },
        { "ListAccounts",                 "manage-accounts" },
        { "SetAccountLocked",             "manage-accounts" },
        { "LiftRecoveryHold",             "manage-accounts" },
        { "SetAccountEmail",              "manage-accounts" },
        { "RemoveAccount",                "manage-accounts" },
        { "LinkAccount",                  "manage-accounts" },
        { "UnlinkAccount",                "manage-accounts" },
        { "SetPassword",                  "manage-accounts", EXEMPT_VERIFIER | EXEMPT_LINKED },
        { "EnrollTOTP",                   "manage-accounts" },
        { "ConfirmTOTP",                  "manage-accounts" },
        { "SetTwoFactorMode",             "manage-accounts" },
        { "RegenerateRecoveryCodes",      "manage-accounts" },
        { "CreatePackage",                "manage-packages" },
        { "GetPackage",                   "manage-packages" },
        { "ListPackages",                 "manage-packages" },
        { "SetPackagePolicy",             "manage-packages" },
        { "SetPackageOptions",            "manage-packages" },
        { "AddMaintainer",                "manage-packages" },
        { "RemoveMaintainer",             "manage-packages" },
        { "AddTrustedPublisher",          "manage-packages" },
        { "ListTrustedPublishers",        "manage-packages" },
        { "RemoveTrustedPublisher",       "manage-packages" },
        { "ListIssuers",                  "manage-packages" },
        { "ListStages",                   "manage-packages", EXEMPT_VERIFIER },
        { "GetStage",                     "manage-packages", EXEMPT_VERIFIER },
        { "ApproveStage",                 "manage-packages" },
        { "RejectStage",                  "manage-packages" },
        { "CreateToken",                  "manage-tokens" },
        { "GetToken",                     "manage-tokens" },
        { "ListTokens",                   "manage-tokens" },
        { "RevokeToken",                  "manage-tokens" },
        { "RotateToken",                  "manage-tokens" },
};

static const MethodAccess *method_access_find(const char *member) {
        for (size_t i = 0; i < ELEMENTSOF(method_access); i++)
                if (streq_ptr(method_access[i].member, member))
                        return &method_access[i];
        return NULL;
}

const char *bus_access_action(const char *member) {
        const MethodAccess *a = method_access_find(member);
        return a ? a->action : NULL;
}

bool bus_access_granted(Manager *m, sd_bus_message *msg) {
        return msg && m->access_granted == msg;
}

/* Whether the call's first argument, an account name, is account or "" (the caller's own). */
static bool names_own_account(sd_bus_message *msg, const char *account) {
        const char *target = NULL;
        bool own = sd_bus_message_read_basic(msg, 's', &target) > 0 && (isempty(target) || streq(target, account));

        (void) sd_bus_message_rewind(msg, true);
        return own;
}

static bool exempt(Manager *m, sd_bus_message *msg, const MethodAccess *a, const Caller *caller) {
        _cleanup_free_ char *account = NULL;

        if (caller->uid == 0 || caller->uid == m->own_uid)
                return true;
        if ((a->exempt & EXEMPT_VERIFIER) && caller->in_registry_group)
                return true;
        /* A linked user acting on its own account needs no polkit (the method holds it to that
         * account); on another account it is asked like anybody else. */
        return (a->exempt & EXEMPT_LINKED) && store_account_by_uid(m->store, caller->uid, &account) >= 0 &&
               names_own_account(msg, account);
}

static int access_filter(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *action = NULL;
        Manager *m = userdata;
        const MethodAccess *a;
        Caller caller;
        int r;

        if (sd_bus_message_is_method_call(msg, PKGTOKEN_MANAGER_IFACE, NULL) <= 0 ||
            !streq_ptr(sd_bus_message_get_path(msg), PKGTOKEN_OBJECT_PATH))
                return 0;
        /* A grant holds for the one call it was given for, dispatched right after this. */
        m->access_granted = sd_bus_message_unref(m->access_granted);

        a = method_access_find(sd_bus_message_get_member(msg));
        if (!a || creds_cache_sender(m->creds, msg, &caller) < 0 || exempt(m, msg, a, &caller))
                return 0;   /* the method's own check decides */

        if (asprintf(&action, ACTION_PREFIX "%s", a->action) < 0)
                return -ENOMEM;
        r = polkit_check(m->polkit, msg, action, error);
        if (r == 0)
                return 1;   /* held: dispatched again when polkit answers */
        if (r < 0)
                return r;   /* sd-bus replies with the error */
        m->access_granted = sd_bus_message_ref(msg);
        return 0;
}

int bus_access_setup(Manager *m) {
        int r;

        r = polkit_new(m->bus, m->config.polkit_timeout, &m->polkit);
        if (r < 0)
                return r;
        return sd_bus_add_filter(m->bus, NULL, access_filter, m);
}

void bus_access_done(Manager *m) {
        m->access_granted = sd_bus_message_unref(m->access_granted);
        m->polkit = polkit_free(m->polkit);
}
