/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdarg.h>

#include "bus-caller.h"
#include "bus-error.h"

/* Who sent msg: the peer of a direct connection (bus-direct.c), else the sender on the bus.
 * Either way a Caller, to which check_caller() applies one set of rules. */
static int message_caller(Manager *m, sd_bus_message *msg, Caller *ret) {
        sd_bus *bus = sd_bus_message_get_bus(msg);

        if (bus != m->bus)
                /* Not on the bus: a direct connection we know, or nobody we accept. */
                return direct_server_caller(m->direct, bus, ret) > 0 ? 0 : -EPERM;
        return creds_cache_sender(m->creds, msg, ret);
}

static int sender(Manager *m, sd_bus_message *msg, Caller *ret, sd_bus_error *error) {
        int r = message_caller(m, msg, ret);
        if (r < 0)
                return bus_error_set_errno_message(error, -ERR_ACCESS_DENIED, "Cannot determine the caller's identity.");
        return 0;
}

static bool is_admin(Manager *m, sd_bus_message *msg, const Caller *caller) {
        /* polkit allowed this very call (bus-access.c asked before the method ran). */
        return caller->uid == 0 || caller->uid == m->own_uid || bus_access_granted(m, msg);
}

int bus_caller_linked_account(Manager *m, sd_bus_message *msg, bool even_admin, uid_t *ret_uid, char **ret_account) {
        Caller caller;
        int r;

        r = sender(m, msg, &caller, NULL);
        if (r < 0 || (!even_admin && is_admin(m, msg, &caller)) || caller.in_registry_group)
                return 0;   /* the usual proofs and checks apply */
        r = store_account_by_uid(m->store, caller.uid, ret_account);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        *ret_uid = caller.uid;
        return 1;
}

static int check_caller(Manager *m, sd_bus_message *msg, bool verifier_suffices, sd_bus_error *error,
                        uid_t *ret_uid, bool *ret_admin) {
        Caller caller;
        bool admin;
        int r;

        r = sender(m, msg, &caller, error);
        if (r < 0)
                return r;
        admin = is_admin(m, msg, &caller);
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

static int check_call_caller(Manager *m, sd_bus_message *msg, const BusCall *call, sd_bus_error *error) {
        uid_t uid;
        int r;

        if (call->checked)
                return 0;
        if (call->ret_linked) {
                r = bus_caller_linked_account(m, msg, /* even_admin= */ false, &uid, call->ret_linked);
                if (r != 0) {
                        if (r > 0 && call->ret_uid)
                                *call->ret_uid = uid;
                        if (r > 0 && call->ret_admin)
                                *call->ret_admin = false;
                        return MIN(r, 0);
                }
        }
        return check_caller(m, msg, call->verifier, error, call->ret_uid, call->ret_admin);
}

int bus_begin_call(Manager *m, sd_bus_message *msg, const BusCall *call, sd_bus_error *error, const char *types, ...) {
        va_list ap;
        int r;

        if (call->check_first) {
                r = check_call_caller(m, msg, call, error);
                if (r < 0)
                        return r;
        }
        va_start(ap, types);
        r = isempty(types) ? 0 : sd_bus_message_readv(msg, types, ap);
        va_end(ap);
        if (r >= 0 && call->has_options)
                r = read_options(msg, call->options, call->n_options, error);
        if (r < 0)
                return r;
        return call->check_first ? 0 : check_call_caller(m, msg, call, error);
}

int bus_reply_admin_list(Manager *m, sd_bus_message *msg, BusListFill fill, const void *query, sd_bus_error *error) {
        int r = bus_verify_admin(m, msg, error, NULL);
        if (r < 0)
                return r;
        return bus_reply_list(m->store, msg, fill, query, error);
}
