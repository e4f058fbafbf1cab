/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "ctl.h"
#include "ctl-commands.h"
#include "ctl-bus.h"
#include "ctl-json.h"
#include "ctl-views.h"

/* The daemon's most records per ListAuditEvents. */
#define AUDIT_LIST_MAX 10000

int verb_status(int argc, char *argv[]) {
        return call_and_print("GetStatus", "get status", &status_view, NULL);
}

static bool has_provenance(json_object *o) {
        json_object *p = json_get(o, "provenance");
        return json_object_is_type(p, json_type_object) && json_object_object_length(p) > 0;
}

static bool keep_with_provenance(json_object *o, const void *userdata) {
        return has_provenance(o);
}

/* What was published with a trusted-publishing token: its writes that were allowed or done,
 * not the exchange itself nor the "pending" half of a registry's two-phase publish. */
static bool keep_published(json_object *o, const void *userdata) {
        const char *version = userdata, *result = json_get_string(o, "result");

        return has_provenance(o) && !streq_ptr(json_get_string(o, "action"), "token-exchange") &&
               (streq_ptr(result, "ok") || streq_ptr(result, "allowed")) &&
               !streq_ptr(json_get_string(o, "reason"), "pending") &&
               (!version || streq_ptr(json_get_string(o, "version"), version));
}

int verb_audit(int argc, char *argv[]) {
        int r;

        r = check_package_filter("audit");
        if (r != 0)
                return r;

        return call_and_print_where(arg_provenance ? keep_with_provenance : NULL, NULL, "ListAuditEvents",
                                    "list audit events", &audit_view,
                                    "stu", arg_packages ? arg_packages[0] : "", (uint64_t) arg_since, arg_limit);
}

/* "package provenance NAME [VERSION]": among the package's newest audit records. */
int verb_package_provenance(int argc, char *argv[]) {
        return call_and_print_where(keep_published, argc > 1 ? argv[1] : NULL, "ListAuditEvents",
                                    "list audit events", &audit_view, "stu", argv[0], (uint64_t) 0,
                                    (uint32_t) AUDIT_LIST_MAX);
}
