/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* "stage list|show|approve|reject": staged versions waiting for a maintainer (pkgtokend's
 * staged publishing).  Root decides as an administrator (audited as such), or, with
 * --account= and --otp, for that maintainer with the account's current code. */

#include "ctl.h"
#include "ctl-bus.h"
#include "ctl-commands.h"
#include "ctl-secret.h"
#include "ctl-views.h"
#include "erase.h"
#include "model.h"

int verb_stage_list(int argc, char *argv[]) {
        int r = check_package_filter("stage list");
        if (r != 0)
                return r;
        return call_and_print("ListStages", "list staged versions", &stage_list_view, "a{sv}", 2,
                              "package", "s", arg_packages ? arg_packages[0] : "",
                              "state", "s", arg_state ?: "");
}

int verb_stage_show(int argc, char *argv[]) {
        return call_and_print("GetStage", "get staged version", &stage_show_view, "s", argv[0]);
}

static int decide(const char *method, const char *what, const char *id) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_erase_ char *otp = NULL;
        int r;

        /* A code belongs to an account: without one the decision is the administrator's. */
        if (arg_otp && !arg_account)
                return log_usage("--otp needs --account=: the code is that maintainer's.");
        r = read_otp_if(arg_otp, OTP_PROMPT_APP, &otp);
        if (r < 0)
                return r;

        r = method_new(&m, method, /* sensitive= */ true);
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "s", id);
        if (r >= 0)
                r = bus_append_string_options(m, "reason", arg_reason, "account", arg_account, "otp", otp, NULL);
        if (r < 0)
                return bus_log_build_error(m, r);
        r = method_call(m, what, NULL);
        if (r < 0)
                return r;
        if (arg_json == JSON_OFF)
                printf("%s %s.\n", streq(method, "ApproveStage") ? "Approved" : "Rejected", id);
        return 0;
}

int verb_stage_approve(int argc, char *argv[]) {
        return decide("ApproveStage", "approve staged version", argv[0]);
}

int verb_stage_reject(int argc, char *argv[]) {
        return decide("RejectStage", "reject staged version", argv[0]);
}
