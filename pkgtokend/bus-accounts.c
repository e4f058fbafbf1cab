/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Accounts on the bus: CreateAccount, GetAccount, ListAccounts, SetAccountLocked,
 * RemoveAccount, and CheckAccount (PAM's account management). */

#include <inttypes.h>

#include "accounts.h"
#include "bus-caller.h"
#include "bus-error.h"
#include "bus-methods.h"
#include "bus-records.h"
#include "bus-util.h"
#include "pam-request.h"
#include "validate.h"

/* A Unix uid to link an account to: not root (root is an admin anyway), not (uid_t) -1. */
static int check_link_uid(uint64_t uid, sd_bus_error *error) {
        if (uid == 0 || uid >= UINT32_MAX)
                return invalid_argument(error, "Invalid uid: link an account to an ordinary Unix user.");
        return 0;
}

static int link_error(sd_bus_error *error, int r, const char *name, uint64_t uid) {
        if (r == -ERR_ACCOUNT_EXISTS)
                return bus_error_set_errnof(error, r, "Unix user %" PRIu64 " is linked to another account already.",
                                            uid);
        return bus_error_set_account(error, r, name);
}

int method_create_account(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *name, *email, *kind_string;
        uint64_t uid = UINT64_MAX;
        uid_t caller;
        int kind, r;

        r = bus_begin_call(m, msg, &(BusCall) { .ret_uid = &caller, BUS_OPTIONS({ "uid", OPTION_UINT64, &uid }) },
                           error, "sss", &name, &email, &kind_string);
        if (r < 0)
                return r;
        r = bus_check_account_name(name, error);
        if (r < 0)
                return r;
        if (!email_is_valid(email))
                return invalid_argument(error, "Invalid e-mail address.");
        kind = isempty(kind_string) ? ACCOUNT_HUMAN : account_kind_from_string(kind_string);
        if (kind < 0)
                return invalid_argument(error, "Invalid account kind: use human or service.");
        if (uid != UINT64_MAX) {
                r = check_link_uid(uid, error);
                if (r < 0)
                        return r;
        }

        /* Either the name or, with a link, the uid may be taken: the name first. */
        r = account_create_linked(m->store, name, email, kind, uid == UINT64_MAX ? -1 : (int64_t) uid, caller,
                                  now_realtime_usec());
        if (r == -ERR_ACCOUNT_EXISTS && store_account_get_uid(m->store, name, &(int64_t) {0}) >= 0)
                return bus_error_set_errnof(error, r, "Account '%s' already exists.", name);
        if (r == -ERR_ACCOUNT_EXISTS)
                return link_error(error, r, name, uid);
        return bus_reply_done(msg, r, error);
}

/* LinkAccount(name, uid), UnlinkAccount(name): admins. */
static int link_account(sd_bus_message *msg, Manager *m, bool link, sd_bus_error *error) {
        const char *name;
        uint32_t uid = 0;
        uid_t caller;
        int r;

        r = bus_begin_call(m, msg, &(BusCall) { .check_first = true, .ret_uid = &caller }, error, "s", &name);
        if (r >= 0 && link)
                r = sd_bus_message_read(msg, "u", &uid);
        if (r >= 0)
                r = bus_check_account_name(name, error);
        if (r >= 0 && link)
                r = check_link_uid(uid, error);
        if (r < 0)
                return r;
        r = account_link(m->store, name, link ? (int64_t) uid : -1, caller, now_realtime_usec());
        return r < 0 ? link_error(error, r, name, uid) : sd_bus_reply_method_return(msg, NULL);
}

int method_link_account(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return link_account(msg, userdata, true, error);
}

int method_unlink_account(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return link_account(msg, userdata, false, error);
}

/* The start of the admin methods on one account: its name, the caller, the name's form. */
static int read_account_name(Manager *m, sd_bus_message *msg, const char **ret_name, sd_bus_error *error) {
        int r;

        r = bus_begin_call(m, msg, &(BusCall) {}, error, "s", ret_name);
        if (r < 0)
                return r;
        return bus_check_account_name(*ret_name, error);
}

typedef struct AccountView {
        AccountRecord record;
        AccountDetails details;
} AccountView;

static int append_account_view(sd_bus_message *reply, const void *userdata) {
        const AccountView *v = userdata;
        return bus_append_account_details(reply, &v->record, &v->details);
}

int method_get_account(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        AccountView v = {};
        const char *name;
        int r;

        r = read_account_name(m, msg, &name, error);
        if (r < 0)
                return r;
        r = account_get_details(m->store, m->config.lockout_window, name, now_realtime_usec(), &v.record,
                                &v.details);
        if (r >= 0)
                r = bus_reply_record(msg, append_account_view, &v);
        else
                r = bus_error_set_errno_message(error, r, NULL);
        account_record_done(&v.record);
        return r;
}

static int fill_accounts(Store *s, sd_bus_message *reply, const void *query) {
        return store_account_foreach(s, bus_append_account, reply);
}

int method_list_accounts(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return bus_reply_admin_list(userdata, msg, fill_accounts, NULL, error);
}

int method_set_account_locked(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *name;
        int locked, r;

        r = read_account_name(m, msg, &name, error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "b", &locked);
        if (r < 0)
                return r;
        r = account_set_locked(m->store, name, locked);
        return bus_reply_done(msg, r, error);
}

int method_lift_recovery_hold(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *name;
        uid_t caller;
        int r;

        r = bus_begin_call(m, msg, &(BusCall) { .check_first = true, .ret_uid = &caller }, error, "s", &name);
        if (r >= 0)
                r = bus_check_account_name(name, error);
        if (r < 0)
                return r;
        r = account_lift_hold(m->store, name, caller, now_realtime_usec());
        return r < 0 ? bus_error_set_account(error, r, name) : sd_bus_reply_method_return(msg, NULL);
}

/* The start of an admin change of one account that is audited with the caller's uid: the
 * name (its form checked) and one string. */
static int begin_account_change(Manager *m, sd_bus_message *msg, uid_t *ret_caller, const char **ret_name,
                                const char **ret_value, sd_bus_error *error) {
        int r = bus_begin_call(m, msg, &(BusCall) { .check_first = true, .ret_uid = ret_caller }, error, "ss",
                               ret_name, ret_value);
        return r < 0 ? r : bus_check_account_name(*ret_name, error);
}

/* SetAccountEmail(name, email): admins; a change starts the recovery hold (RecoveryHoldSec=). */
int method_set_account_email(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *name, *email;
        uid_t caller;
        int r;

        r = begin_account_change(m, msg, &caller, &name, &email, error);
        if (r < 0)
                return r;
        if (!email_is_valid(email))
                return invalid_argument(error, "Invalid e-mail address.");
        r = account_set_email(m->store, name, email, m->config.recovery_hold, caller, now_realtime_usec());
        return r < 0 ? bus_error_set_account(error, r, name) : sd_bus_reply_method_return(msg, NULL);
}

/* SetPasswordSource(name, source): admins; "local" or "pam:SERVICE", a service PamServices=
 * allows (when set).  Whether the helper knows the service shows at the first login. */
int method_set_password_source(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *name, *source, *service;
        uid_t caller;
        int r;

        r = begin_account_change(m, msg, &caller, &name, &source, error);
        if (r < 0)
                return r;
        if (password_source_parse(source, &service) < 0)
                return invalid_argument(error, "Invalid password source: use local or pam:SERVICE (a PAM service "
                                        "name: letters, digits, '.', '_', '-').");
        if (service && !config_pam_service_allowed(&m->config, service))
                return bus_error_set_errnof(error, -ERR_INVALID_ARGUMENT,
                                            "PAM service '%s' is not one of PamServices=.", service);
        r = account_set_password_source(m->store, name, service, caller, now_realtime_usec());
        if (r == -ERR_ACCESS_DENIED)
                return bus_error_set_errno_message(error, r, "Service accounts have no password.");
        return r < 0 ? bus_error_set_account(error, r, name) : sd_bus_reply_method_return(msg, NULL);
}

int method_remove_account(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *name;
        int r;

        r = read_account_name(m, msg, &name, error);
        if (r < 0)
                return r;
        r = account_remove(m->store, name);
        return bus_reply_done(msg, r, error);
}

int method_check_account(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *account, *reason = NULL;
        int state, r;

        r = bus_begin_call(m, msg, &(BusCall) { .verifier = true, .check_first = true, BUS_NO_OPTIONS }, error, "s",
                           &account);
        if (r < 0)
                return r;

        state = account_check(m->store, account, now_realtime_usec(), &reason);
        if (state < 0)
                return bus_error_set_errno_message(error, state, NULL);
        return sd_bus_reply_method_return(msg, "ss", account_state_to_string(state), reason);
}
