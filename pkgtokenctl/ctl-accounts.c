/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl-commands.h"
#include "ctl-bus.h"
#include "ctl-views.h"
#include "ctl-secret.h"
#include "ctl-self.h"
#include "erase.h"
#include "model.h"
#include "pam-request.h"
#include "validate.h"

static int set_password_source(const char *name, const char *source) {
        return method_call_simple("SetPasswordSource", "set password source", NULL, "ss", name, source);
}

int verb_account_add(int argc, char *argv[]) {
        /* The kind is always sent explicitly, so the default lives in one visible place. */
        const char *kind = arg_kind ?: account_kind_to_string(ACCOUNT_HUMAN);
        int r;

        if (arg_uid_set)
                r = method_call_simple("CreateAccount", "create account", NULL, "sssa{sv}", argv[0],
                                       arg_email ?: "", kind, 1, "uid", "t", (uint64_t) arg_uid);
        else
                r = method_call_simple("CreateAccount", "create account", NULL, "sssa{sv}", argv[0],
                                       arg_email ?: "", kind, 0);
        if (r != 0 || !arg_password_from)
                return r;
        return set_password_source(argv[0], arg_password_from);
}

/* account set-password-source NAME local|pam:SERVICE: where the password is checked. */
int verb_account_set_password_source(int argc, char *argv[]) {
        const char *service;

        if (isempty(argv[1]) || password_source_parse(argv[1], &service) < 0)
                return log_usage("Invalid password source '%s': use local or pam:SERVICE.", argv[1]);
        return set_password_source(argv[0], argv[1]);
}

/* account link NAME UID: that Unix user then acts for the account without root. */
int verb_account_link(int argc, char *argv[]) {
        char *end;
        unsigned long uid;

        errno = 0;
        uid = strtoul(argv[1], &end, 10);
        if (errno != 0 || end == argv[1] || *end || argv[1][0] == '-' || uid == 0 || uid >= UINT32_MAX)
                return log_usage("Invalid uid '%s': the number of an ordinary Unix user.", argv[1]);
        return method_call_simple("LinkAccount", "link account", NULL, "su", argv[0], (uint32_t) uid);
}

int verb_account_unlink(int argc, char *argv[]) {
        return method_call_simple("UnlinkAccount", "unlink account", NULL, "s", argv[0]);
}

int verb_account_list(int argc, char *argv[]) {
        return call_and_print("ListAccounts", "list accounts", &account_list_view, NULL);
}

int verb_account_show(int argc, char *argv[]) {
        const char *own;

        if (argc > 0)
                return call_and_print("GetAccount", "get account", &account_show_view, "s", argv[0]);
        if (self_account(&own) <= 0)
                return log_usage("'account show' needs a NAME (or a Unix user linked to an account).");
        return call_and_print("GetProfile", "get account", &account_show_view, "a{sv}", 0);
}

int verb_account_lock(int argc, char *argv[]) {
        return method_call_simple("SetAccountLocked", "lock account", NULL, "sb", argv[0], 1);
}

int verb_account_unlock(int argc, char *argv[]) {
        return method_call_simple("SetAccountLocked", "unlock account", NULL, "sb", argv[0], 0);
}

/* account set-email NAME EMAIL: where recovery would go; starts the recovery hold. */
int verb_account_set_email(int argc, char *argv[]) {
        if (!email_is_valid(argv[1]))
                return log_usage("Invalid e-mail address '%s'.", argv[1]);
        return method_call_simple("SetAccountEmail", "set e-mail address", NULL, "ss", argv[0], argv[1]);
}

int verb_account_lift_hold(int argc, char *argv[]) {
        return method_call_simple("LiftRecoveryHold", "lift the recovery hold", NULL, "s", argv[0]);
}

int verb_account_remove(int argc, char *argv[]) {
        return method_call_simple("RemoveAccount", "remove account", NULL, "s", argv[0]);
}

static int set_password(const char *account, const char *password, const char *old, const char *otp) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = method_new(&m, "SetPassword", true);
        if (r < 0)
                return r;

        r = sd_bus_message_append(m, "ss", account, password);
        if (r >= 0)
                r = bus_append_string_options(m, "old_password", old, "otp", otp, NULL);
        if (r < 0)
                return bus_log_build_error(m, r);

        return method_call(m, "set password", NULL);
}

int verb_account_passwd(int argc, char *argv[]) {
        _cleanup_erase_ char *old = NULL, *password = NULL, *otp = NULL;
        const char *own = NULL;
        int r;

        /* A linked Unix user changes its own password as a registry would: with the old one. */
        if (argc == 0 && self_account(&own) <= 0)
                return log_usage("'account passwd' needs a NAME (or a Unix user linked to an account).");
        if (own)
                arg_old_password = true;

        /* Prompting needs a terminal; without one, the caller says where the password is,
         * rather than this program guessing that stdin holds it. */
        if (!arg_password_stdin && !isatty(STDIN_FILENO))
                return log_usage("Standard input is not a terminal: use --password-stdin and write "
                                 "the password%s to standard input.",
                                 arg_old_password ? "s (old, then new, one per line)" : "");

        make_undumpable();

        if (arg_old_password) {
                r = read_password("old password", "Current password: ", &old);
                if (r < 0)
                        return r;
        }
        r = read_new_password(arg_password_stdin, &password);
        if (r < 0)
                return r;
        if (arg_otp) {
                r = read_otp(OTP_PROMPT_APP, &otp);
                if (r < 0)
                        return r;
        }

        return set_password(own ? "" : argv[0], password, old, otp);
}
