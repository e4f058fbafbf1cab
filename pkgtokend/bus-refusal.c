/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* ReportRefusal on the bus: a registry (a verifier) records a publish it refused itself. */

#include <stdio.h>

#include "bus-caller.h"
#include "bus-error.h"
#include "bus-methods.h"
#include "bus-util.h"
#include "refusal.h"
#include "validate.h"

int method_report_refusal(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *package = NULL;
        Manager *m = userdata;
        const char *token, *package_arg, *action, *reason, *remote = "";
        char registry[32];
        uid_t caller;
        int a, r;

        r = bus_begin_call(m, msg, &(BusCall) {
                .verifier = true,
                .ret_uid = &caller,
                BUS_OPTIONS({ "remote", OPTION_STRING, &remote }),
        }, error, "ssss", &token, &package_arg, &action, &reason);
        if (r < 0)
                return r;

        a = action_from_string(action);
        if (a < 0)
                return invalid_argument(error, "Invalid action: use read or publish.");
        if (isempty(reason) || !description_is_valid(reason))
                return invalid_argument(error, "Invalid reason: 1-256 bytes of printable UTF-8.");
        r = bus_check_remote(remote, error);
        if (r < 0)
                return r;
        r = bus_read_optional_package_name(package_arg, &package, error);
        if (r < 0)
                return r;
        snprintf(registry, sizeof registry, "uid %u", (unsigned) caller);

        r = refusal_record(m->store, &(RefusalReport) {
                                   .token = token,
                                   .package = package ?: "",
                                   .action = a,
                                   .reason = reason,
                                   .remote = remote,
                                   .registry = registry,
                           }, now_realtime_usec());
        return bus_reply_done(msg, r, error);
}
