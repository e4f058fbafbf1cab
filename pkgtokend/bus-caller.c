/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "bus-caller.h"
#include "bus-error.h"

static int check_caller(Manager *m, sd_bus_message *msg, bool verifier_suffices, sd_bus_error *error,
                        uid_t *ret_uid, bool *ret_admin) {
        Caller caller;
        bool admin;
        int r;

        r = creds_cache_sender(m->creds, msg, &caller);
        if (r < 0)
                return bus_error_set_errno_message(error, -ERR_ACCESS_DENIED, "Cannot determine the caller's identity.");
        admin = caller.uid == 0 || caller.uid == m->own_uid;
        if (!admin && !(verifier_suffices && caller.in_registry_group))
                return bus_error_set_errno_message(error, -ERR_ACCESS_DENIED, "Access denied.");
        if (ret_uid)
                *ret_uid = caller.uid;
        if (ret_admin)
                *ret_admin = admin;
        return 1;
}

int bus_verify_admin(Manager *m, sd_bus_message *msg, sd_bus_error *error, uid_t *ret_uid) {
        return check_caller(m, msg, false, error, ret_uid, NULL);
}

int bus_verify_verifier(Manager *m, sd_bus_message *msg, sd_bus_error *error, uid_t *ret_uid, bool *ret_admin) {
        return check_caller(m, msg, true, error, ret_uid, ret_admin);
}
