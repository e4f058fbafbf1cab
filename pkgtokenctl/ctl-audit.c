/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "ctl.h"
#include "ctl-commands.h"
#include "ctl-bus.h"

static const Field status_fields[] = {
        { "version",         "Version",         FIELD_STRING },
        { "schema_version",  "Schema version",  FIELD_NUMBER },
        { "state_directory", "State directory", FIELD_STRING },
        { "accounts",        "Accounts",        FIELD_NUMBER },
        { "packages",        "Packages",        FIELD_NUMBER },
        { "tokens",          "Tokens",          FIELD_NUMBER },
        { "active_tokens",   "Active tokens",   FIELD_NUMBER },
};

static const Field audit_columns[] = {
        { "time",         "TIME",        FIELD_TIMESTAMP },
        { "action",       "ACTION",      FIELD_STRING },
        { "package",      "PACKAGE",     FIELD_STRING },
        { "result",       "RESULT",      FIELD_STRING },
        { "actor",        "ACTOR",       FIELD_STRING,    NULL, FREE_TEXT_COLUMN_MAX },
        { "token_id",     "TOKEN",       FIELD_STRING },
        { "remote",       "REMOTE",      FIELD_STRING },
        { "reason",       "REASON",      FIELD_STRING },
};

int verb_status(int argc, char *argv[]) {
        return call_and_print("GetStatus", "get status", json_type_object,
                              status_fields, ELEMENTSOF(status_fields), NULL, NULL, NULL);
}

int verb_audit(int argc, char *argv[]) {
        int r;

        r = check_package_filter("audit");
        if (r != 0)
                return r;

        return call_and_print("ListAuditEvents", "list audit events", json_type_array,
                              audit_columns, ELEMENTSOF(audit_columns), "event", "events",
                              "stu", arg_packages ? arg_packages[0] : "",
                              (uint64_t) arg_since, arg_limit);
}
