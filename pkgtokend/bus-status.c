/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* GetStatus and ListAuditEvents. */

#include "bus-caller.h"
#include "bus-error.h"
#include "bus-methods.h"
#include "bus-records.h"
#include "bus-util.h"
#include "validate.h"

int method_get_status(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Manager *m = userdata;
        StoreCounts counts;
        int r;

        r = bus_verify_admin(m, msg, error, NULL);
        if (r < 0)
                return r;
        r = store_counts(m->store, now_realtime_usec(), &counts);
        if (r < 0)
                return bus_error_set_errno_message(error, r, NULL);

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        APPEND(sd_bus_message_open_container(reply, 'a', "{sv}"));
        APPEND(append_entry(reply, "version", "s", PKGTOKEN_VERSION));
        APPEND(append_entry(reply, "schema_version", "u", (uint32_t) STORE_SCHEMA_VERSION));
        APPEND(append_entry(reply, "state_directory", "s", m->state_dir));
        APPEND(append_entry(reply, "accounts", "t", counts.accounts));
        APPEND(append_entry(reply, "packages", "t", counts.packages));
        APPEND(append_entry(reply, "tokens", "t", counts.tokens));
        APPEND(append_entry(reply, "active_tokens", "t", counts.active_tokens));
        APPEND(sd_bus_message_close_container(reply));
        return sd_bus_send(NULL, reply, NULL);
}

typedef struct AuditQuery {
        const char *package;
        usec_t since;
        unsigned limit;
} AuditQuery;

static int fill_audit_events(Store *s, sd_bus_message *reply, const void *query) {
        const AuditQuery *q = query;
        return store_audit_foreach(s, q->package, q->since, q->limit, bus_append_audit_event, reply);
}

int method_list_audit_events(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *package = NULL;
        Manager *m = userdata;
        const char *package_arg;
        uint64_t since;
        uint32_t limit;
        int r;

        r = bus_begin_call(m, msg, &(BusCall) {}, error, "stu", &package_arg, &since, &limit);
        if (r < 0)
                return r;
        r = bus_read_optional_package_name(package_arg, &package, error);
        if (r < 0)
                return r;
        if (limit == 0 || limit > 10000)
                limit = 10000;

        return bus_reply_list(m->store, msg, fill_audit_events, &(AuditQuery) { package, since, limit }, error);
}
