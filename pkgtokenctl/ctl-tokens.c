/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdio.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl-bus.h"
#include "ctl-views.h"
#include "ctl-json.h"
#include "ctl-commands.h"
#include "ctl-secret.h"
#include "ctl-self.h"
#include "erase.h"
#include "names.h"
#include "strv.h"
#include "token.h"
#include "validate.h"

/* The --json answer of "token create": the secret plus what we asked for, in the key names
 * of GetToken, so a script can treat it like any other token object. */
static int token_create_json(const char *id, const char *token, const char *account,
                             json_object **ret) {
        _cleanup_json_ json_object *o = NULL;
        char prefix[TOKEN_DISPLAY_LEN + 1] = "";

        if (strlen(token) >= TOKEN_DISPLAY_LEN)
                token_display_prefix(token, prefix);

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;

        if (json_add_string(o, "id", id) < 0 ||
            json_add_string(o, "token", token) < 0 ||
            json_add_string(o, "prefix", prefix) < 0 ||
            json_add_string(o, "type", arg_type) < 0 ||
            json_add_string(o, "owner", arg_package_owned ? "package" : "account") < 0 ||
            json_add_string(o, "account", arg_package_owned ? "" : account) < 0 ||
            json_add_strv(o, "scope", arg_packages) < 0 ||
            json_add_string(o, "description", arg_description ?: "") < 0 ||
            json_add(o, "expires_at", json_new_unsigned(arg_expires)) < 0 ||
            json_add_strv(o, "allowed_cidrs", arg_cidrs) < 0) {
                json_erase_strings(o);
                return -ENOMEM;
        }

        *ret = o;
        o = NULL;
        return 0;
}

/* stdout gets the secret alone (or the JSON o, with --json), so "> file" or "grep '^pkgt_'"
 * captures exactly the token; then the warning that it is shown once. */
static int show_new_secret(const char *token, json_object *o) {
        int r = arg_json != JSON_OFF ? print_json_secret(o) : write_secret_line(token);

        if (r < 0)
                return r;
        fputs("This is the only time the token is shown: copy it now, it cannot be recovered.\n", stderr);
        return 0;
}

/* A fresh CreateToken call each time: a message that was sent cannot be sent again.  own: the
 * caller's own account, by its uid (CreateOwnToken; the code goes in the proof). */
static int token_create_message(const char *account, bool own, const char *otp, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = method_new(&m, own ? "CreateOwnToken" : "CreateToken", otp != NULL);
        if (r < 0)
                return r;

        r = own ? self_proof_append(m, otp) : sd_bus_message_append(m, "s", account);
        if (r >= 0)
                r = sd_bus_message_append(m, "s", arg_type);
        if (r >= 0)
                r = sd_bus_message_append_strv(m, arg_packages);
        if (r >= 0)
                r = sd_bus_message_append(m, "st", arg_description ?: "", (uint64_t) arg_expires);
        if (r >= 0)
                r = sd_bus_message_append_strv(m, arg_cidrs);
        if (r >= 0 && own)
                r = sd_bus_message_append(m, "a{sv}", 0);
        else if (r >= 0 && otp)
                r = sd_bus_message_append(m, "a{sv}", 2, "package_owned", "b", (int) arg_package_owned,
                                          "otp", "s", otp);
        else if (r >= 0)
                r = sd_bus_message_append(m, "a{sv}", 1, "package_owned", "b", (int) arg_package_owned);
        if (r < 0)
                return bus_log_build_error(m, r);

        *ret = m;
        m = NULL;
        return 0;
}

/* What a call that may need the account's one-time code builds, given the code (NULL: none). */
typedef int (*OtpCallBuilder)(const char *otp, const void *userdata, sd_bus_message **ret);

/* Makes the call build() builds; when the account has 2FA and no code was given, a person at
 * a terminal is asked for one and the call is made once more, as npm does.  The daemon's
 * error stays in *error, unlogged, for the caller. */
static int call_asking_otp(OtpCallBuilder build, const void *userdata, const char *account, sd_bus_error *error,
                           sd_bus_message **ret_reply) {
        _cleanup_erase_ char *otp = NULL;
        int r;

        if (arg_otp) {
                r = read_otp(OTP_PROMPT_APP, &otp);
                if (r < 0)
                        return r;
        }
        for (;;) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;

                r = build(otp, userdata, &m);
                if (r < 0)
                        return r;
                r = method_call_quiet(m, error, ret_reply);
                if (r >= 0 || otp || !isatty(STDIN_FILENO) || !sd_bus_error_has_name(error, PKGTOKEN_ERROR_OTP_REQUIRED))
                        return r;

                fprintf(stderr, "Account '%s' uses two-factor authentication.\n", account);
                r = read_otp(OTP_PROMPT_APP, &otp);
                if (r < 0)
                        return r;
                sd_bus_error_free(error);
        }
}

typedef struct CreateCall {
        const char *account;
        bool own;
} CreateCall;

static int build_create(const char *otp, const void *userdata, sd_bus_message **ret) {
        const CreateCall *c = userdata;
        return token_create_message(c->account, c->own, otp, ret);
}

static int token_create_call(const char *account, bool own, sd_bus_message **ret_reply) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = call_asking_otp(build_create, &(CreateCall) { account, own }, account, &error, ret_reply);
        return r < 0 && sd_bus_error_is_set(&error) ? log_bus_error("create token", &error, r) : MIN(r, 0);
}

static char *scope_describe(char * const *scope) {
        if (strv_length(scope) == 0)
                return strdup("all maintained packages");
        return strv_join(scope, ',');
}

/* The (id, secret) reply of CreateToken and RotateToken.  The reply carries the secret:
 * sd-bus wipes sensitive messages when freeing them. */
static int read_new_secret(sd_bus_message *reply, const char **ret_id, const char **ret_token) {
        int r;

        (void) sd_bus_message_sensitive(reply);
        r = sd_bus_message_read(reply, "ss", ret_id, ret_token);
        return r < 0 ? bus_log_parse_error(r) : 0;
}

int verb_token_create(int argc, char *argv[]) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_json_ json_object *o = NULL;
        _cleanup_free_ char *scope = NULL;
        const char *id, *token, *account = argc > 0 ? argv[0] : NULL, *own = NULL;
        int r;

        /* Checked here rather than by the daemon: a missing option is a usage error. */
        if (!arg_type)
                return log_usage("'token create' needs --type=read-only, --type=publish or "
                                 "--type=automation.");
        STRV_FOREACH(p, arg_packages)
                if (!scope_pattern_is_valid(*p))
                        return log_usage("Invalid package name or pattern '%s' (lowercase names, "
                                         "\"@scope/*\" or \"prefix*\").", *p);

        /* No account named: a linked Unix user makes its own token (CreateOwnToken). */
        if (!account && !arg_package_owned && self_account(&own) > 0)
                account = own;
        if (!account)
                return log_usage("'token create' needs an ACCOUNT (or a Unix user linked to one: pkgtokenctl "
                                 "account link).");

        make_undumpable();

        r = token_create_call(account, !!own, &reply);
        if (r < 0)
                return r;
        r = read_new_secret(reply, &id, &token);
        if (r < 0)
                return r;

        scope = scope_describe(arg_packages);
        if (!scope)
                return log_oom();

        fprintf(stderr, "Created token %s (%s, %s).\n", id, arg_type, scope);
        if (arg_json != JSON_OFF && token_create_json(id, token, account, &o) < 0)
                return log_oom();
        return show_new_secret(token, o);
}

/* token rotate ID [--grace=]: a new secret for the token's lineage, printed once as by
 * "token create"; the old secret stops working after the grace. */
int verb_token_rotate(int argc, char *argv[]) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_json_ json_object *o = NULL;
        const char *id, *token;
        int r;

        make_undumpable();
        r = method_call_simple("RotateToken", "rotate token", &reply, "sa{sv}", argv[0], 1, "grace", "t",
                               (uint64_t) arg_grace);
        if (r < 0)
                return r;
        r = read_new_secret(reply, &id, &token);
        if (r < 0)
                return r;

        fprintf(stderr, "Rotated token %s: the new token is %s; the old secret works %s.\n", argv[0], id,
                arg_grace == 0 ? "no more" : "until the grace ends");
        if (arg_json != JSON_OFF) {
                o = json_object_new_object();
                if (!o || json_add_string(o, "id", id) < 0 || json_add_string(o, "token", token) < 0 ||
                    json_add_string(o, "rotated", argv[0]) < 0) {
                        if (o)
                                json_erase_strings(o);
                        return log_oom();
                }
        }
        return show_new_secret(token, o);
}

/* --expiring=: active tokens that expire before *userdata. */
static bool expiring_soon(json_object *o, const void *userdata) {
        uint64_t expires_at;

        return streq_ptr(json_get_string(o, "state"), "active") && json_get_unsigned(o, "expires_at", &expires_at) &&
               expires_at != 0 && expires_at <= *(const usec_t *) userdata;
}

int verb_token_list(int argc, char *argv[]) {
        const char *own;
        int r;

        r = check_package_filter("token list");
        if (r != 0)
                return r;

        /* No filter from a linked Unix user: its own tokens and its packages' (ListOwnTokens). */
        if (!arg_account && !arg_packages && self_account(&own) > 0) {
                if (arg_expiring_set)
                        return call_and_print_where(expiring_soon,
                                                    &(usec_t) { now_realtime_usec() + arg_expiring },
                                                    "ListOwnTokens", "list tokens", &token_list_view, "a{sv}", 0);
                return call_and_print("ListOwnTokens", "list tokens", &token_list_view, "a{sv}", 0);
        }

        if (arg_expiring_set)
                return call_and_print_where(expiring_soon, &(usec_t) { now_realtime_usec() + arg_expiring },
                                            "ListTokens", "list tokens", &token_list_view,
                                            "ss", arg_account ?: "", arg_packages ? arg_packages[0] : "");
        return call_and_print("ListTokens", "list tokens", &token_list_view,
                              "ss", arg_account ?: "", arg_packages ? arg_packages[0] : "");
}

int verb_token_show(int argc, char *argv[]) {
        return call_and_print("GetToken", "get token", &token_show_view, "s", argv[0]);
}

static int build_revoke_own(const char *otp, const void *userdata, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = method_new(&m, "RevokeOwnToken", otp != NULL);
        if (r >= 0)
                r = self_proof_append(m, otp);
        if (r >= 0)
                r = sd_bus_message_append(m, "sa{sv}", (const char *) userdata, 0);
        if (r < 0)
                return bus_log_build_error(m, r);
        *ret = m;
        m = NULL;
        return 0;
}

/* RevokeOwnToken for a linked Unix user, with a code when its account has 2FA.  -ENOENT: not
 * one of its tokens. */
static int revoke_own(const char *account, const char *id) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = call_asking_otp(build_revoke_own, id, account, &error, NULL);

        if (sd_bus_error_has_name(&error, PKGTOKEN_ERROR_NO_SUCH_TOKEN))
                return -ENOENT;
        return r < 0 && sd_bus_error_is_set(&error) ? log_bus_error("revoke token", &error, r) : MIN(r, 0);
}

int verb_token_revoke(int argc, char *argv[]) {
        const char *own;
        int r;

        if (self_account(&own) > 0) {
                r = revoke_own(own, argv[0]);
                if (r != -ENOENT)
                        return r;
                /* Another's token: the admin method, which polkit may allow. */
        }
        return method_call_simple("RevokeToken", "revoke token", NULL, "s", argv[0]);
}
