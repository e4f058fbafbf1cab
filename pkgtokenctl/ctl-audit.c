/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "ctl.h"
#include "ctl-commands.h"
#include "ctl-bus.h"
#include "ctl-views.h"

int verb_status(int argc, char *argv[]) {
        return call_and_print("GetStatus", "get status", &status_view, NULL);
}

int verb_audit(int argc, char *argv[]) {
        int r;

        r = check_package_filter("audit");
        if (r != 0)
                return r;

        return call_and_print("ListAuditEvents", "list audit events", &audit_view,
                              "stu", arg_packages ? arg_packages[0] : "",
                              (uint64_t) arg_since, arg_limit);
}
