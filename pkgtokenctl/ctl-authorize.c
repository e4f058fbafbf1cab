/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdlib.h>

#include "ctl.h"
#include "ctl-commands.h"
#include "ctl-bus.h"
#include "ctl-json.h"
#include "ctl-secret.h"
#include "erase.h"
#include "model.h"

/* The result word alone on the first line, then what decided it. */
static const Field authorize_fields[] = {
        { "result",   NULL,     FIELD_STRING, "" },
        { "reason",   "reason", FIELD_STRING },
        { "actor",    "actor",  FIELD_STRING },
        { "token_id", "token",  FIELD_STRING },
};

static int authorize_call(const char *package, const char *action, const char *token,
                          const char *otp, sd_bus_message **ret_reply) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = method_new(&m, "Authorize", true);
        if (r < 0)
                return r;

        r = sd_bus_message_append(m, "sss", token, package, action);
        if (r >= 0)
                r = bus_append_string_options(m, "remote", arg_remote, "otp", otp, NULL);
        if (r < 0)
                return bus_log_build_error(m, r);

        return method_call(m, "authorize", ret_reply);
}

/* The four strings of the reply as {"result", "reason", "actor", "token_id"}. */
static int reply_read_decision(sd_bus_message *reply, json_object **ret) {
        static const char *const keys[] = { "result", "reason", "actor", "token_id" };
        _cleanup_json_ json_object *o = NULL;
        const char *v[ELEMENTSOF(keys)];
        int r;

        r = sd_bus_message_read(reply, "ssss", &v[0], &v[1], &v[2], &v[3]);
        if (r < 0)
                return bus_log_parse_error(r);

        o = json_object_new_object();
        if (!o)
                return log_oom();
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (json_add_string(o, keys[i], v[i]) < 0)
                        return log_oom();

        *ret = o;
        o = NULL;
        return 0;
}

int verb_authorize(int argc, char *argv[]) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_erase_ char *token = NULL, *otp = NULL;
        _cleanup_json_ json_object *decision = NULL;
        int r;

        r = action_from_string(argv[1]);
        if (r < 0 || !action_is_basic(r))
                return log_usage("Invalid action '%s': use read or publish.", argv[1]);

        make_undumpable();

        r = read_secret("token", "Token: ", &token);
        if (r < 0)
                return r;
        if (arg_otp) {
                r = read_secret("OTP", "OTP: ", &otp);
                if (r < 0)
                        return r;
        }

        r = authorize_call(argv[0], argv[1], token, otp, &reply);
        if (r < 0)
                return r;

        r = reply_read_decision(reply, &decision);
        if (r < 0)
                return r;

        r = print_object(decision, authorize_fields, ELEMENTSOF(authorize_fields), NULL, NULL);
        if (r < 0)
                return r;

        /* Fail closed: any answer but "allowed", including one this version does not know, is
         * a refusal. */
        return streq_ptr(json_get_string(decision, "result"), authz_result_to_string(AUTHZ_ALLOWED)) ?
                EXIT_SUCCESS : EXIT_FAILURE;
}
