/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl-bus.h"
#include "ctl-json.h"
#include "ctl-commands.h"
#include "ctl-secret.h"
#include "erase.h"
#include "model.h"

/* The result word on the first line (as "authorize" does), then "reason: ...", then
 * "locked until: TIME" for a lockout that ends. */
static const Field login_fields[] = {
        { "result",       NULL,           FIELD_STRING,    "" },
        { "reason",       "reason",       FIELD_STRING },
        { "locked_until", "locked until", FIELD_TIMESTAMP, .omit_empty = true },
};

static int authenticate_call(const char *account, const char *password, const char *otp,
                             sd_bus_message **ret_reply) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = method_new(&m, "Authenticate", true);
        if (r < 0)
                return r;

        r = sd_bus_message_append(m, "sss", account, password, otp ?: "");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r >= 0 && arg_remote)
                r = sd_bus_message_append(m, "{sv}", "remote", "s", arg_remote);
        if (r >= 0 && arg_session)
                r = sd_bus_message_append(m, "{sv}", "session", "b", 1);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r < 0)
                return bus_log_build_error(m, r);

        r = method_call(m, "authenticate", ret_reply);
        if (r < 0)
                return r;

        /* A session token may be in the reply. */
        (void) sd_bus_message_sensitive(*ret_reply);
        return 0;
}

/* {"result", "reason"} and whatever details the daemon sent (session_id, session_token,
 * session_expires_at, locked_until), so fields it adds later reach scripts without changes
 * here. */
static int login_json(const char *result, const char *reason, json_object *details,
                      json_object **ret) {
        _cleanup_json_ json_object *o = json_object_new_object();

        if (!o || json_add_string(o, "result", result) < 0 ||
            json_add_string(o, "reason", reason) < 0)
                return -ENOMEM;

        json_object_object_foreach(details, key, value)
                if (json_add(o, key, json_object_get(value)) < 0) {
                        json_erase_strings(o);
                        return -ENOMEM;
                }

        *ret = o;
        o = NULL;
        return 0;
}

/* Authenticate.  As npm does, the code is asked for only once the password is known to be
 * right, and only of a person at a terminal; the password is sent again rather than the
 * daemon keeping a half-finished login around. */
static int login(const char *account, const char *password, char **otp, json_object **ret) {
        for (;;) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
                _cleanup_json_ json_object *details = NULL;
                const char *result, *reason;
                int r;

                r = authenticate_call(account, password, *otp, &reply);
                if (r < 0)
                        return r;
                r = sd_bus_message_read(reply, "ss", &result, &reason);
                if (r < 0)
                        return bus_log_parse_error(r);

                if (!*otp && isatty(STDIN_FILENO) &&
                    streq(result, authn_result_to_string(AUTHN_OTP_REQUIRED))) {
                        r = read_otp(OTP_PROMPT_ANY, otp);
                        if (r < 0)
                                return r;
                        continue;
                }

                r = reply_read_json(reply, json_type_object, &details);
                if (r < 0)
                        return r;

                /* The answer shares the details' values, and is wiped when it is printed. */
                r = login_json(result, reason, details, ret);
                if (r < 0) {
                        json_erase_strings(details);
                        return log_oom();
                }
                return 0;
        }
}

/* For a session, "session: ID expires TIME" and the session token alone on its line. */
static int print_session(json_object *o) {
        _cleanup_free_ char *id_clean = NULL;
        const char *id, *token;
        char when[64];
        uint64_t u;

        token = json_get_string(o, "session_token");
        if (!token)
                return 0;
        if (!secret_is_printable(token))
                return log_error_errno(EBADMSG, "pkgtokend sent a session token that is not printable.");

        id = json_get_string(o, "session_id");
        id_clean = text_sanitize(isempty(id) ? "-" : id);
        if (!id_clean)
                return log_oom();
        if (!json_get_unsigned(o, "session_expires_at", &u) || u == 0)
                strcpy(when, "never");
        else if (format_timestamp_utc(u, when, sizeof when) < 0)
                snprintf(when, sizeof when, "@%" PRIu64, u / USEC_PER_SEC);
        printf("session: %s expires %s\n", id_clean, when);

        return write_secret_line(token);
}

static int print_login(json_object *o) {
        int r;

        if (arg_json != JSON_OFF)
                return print_json_secret(o);

        r = print_fields(o, login_fields, ELEMENTSOF(login_fields));
        if (r < 0)
                return r;
        return print_session(o);
}

int verb_login(int argc, char *argv[]) {
        _cleanup_erase_ char *password = NULL, *otp = NULL;
        _cleanup_json_ json_object *o = NULL;
        bool ok;
        int r;

        make_undumpable();

        r = read_password("password", "Password: ", &password);
        if (r >= 0)
                r = read_otp_if(arg_otp, OTP_PROMPT_ANY, &otp);
        if (r < 0)
                return r;

        r = login(argv[0], password, &otp, &o);
        if (r < 0)
                return r;
        erase_and_freep(&password);
        password = NULL;

        ok = streq_ptr(json_get_string(o, "result"), authn_result_to_string(AUTHN_OK));
        if (ok && arg_session && !json_get_string(o, "session_token")) {
                json_erase_strings(o);
                return log_error_errno(EBADMSG, "pkgtokend accepted the login but sent no session token.");
        }

        r = print_login(o);
        json_erase_strings(o);
        if (r < 0)
                return r;

        /* Fail closed: any answer but "ok", including one this version does not know. */
        return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
