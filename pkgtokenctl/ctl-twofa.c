/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdio.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl-bus.h"
#include "ctl-json.h"
#include "ctl-secret.h"
#include "ctl-self.h"
#include "ctl-commands.h"
#include "erase.h"
#include "model.h"
#include "names.h"
#include "qr.h"

/* Reads an "as" of secrets (recovery codes) without copying them: the pointers point into the
 * reply, which is marked sensitive and so wiped when it is freed.  *ret is NULL-terminated;
 * free the array alone. */
static int reply_read_codes(sd_bus_message *reply, const char ***ret) {
        _cleanup_free_ const char **codes = NULL;
        size_t n = 0;
        int r;

        (void) sd_bus_message_sensitive(reply);

        r = sd_bus_message_enter_container(reply, 'a', "s");
        if (r < 0)
                return bus_log_parse_error(r);

        for (;;) {
                const char *code, **a;

                r = sd_bus_message_read_basic(reply, 's', &code);
                if (r < 0)
                        return bus_log_parse_error(r);
                if (r == 0)
                        break;
                if (!secret_is_printable(code))
                        return bus_log_parse_error(-EBADMSG);

                a = reallocarray(codes, n + 2, sizeof *codes);
                if (!a)
                        return log_oom();
                codes = a;
                codes[n++] = code;
                codes[n] = NULL;
        }

        r = sd_bus_message_exit_container(reply);
        if (r < 0)
                return bus_log_parse_error(r);
        if (n == 0)     /* every method that answers with codes makes new ones */
                return bus_log_parse_error(-EBADMSG);

        *ret = codes;
        codes = NULL;
        return 0;
}

static int print_recovery_codes_json(const char * const *codes) {
        _cleanup_json_ json_object *o = NULL, *a = NULL;

        o = json_object_new_object();
        a = json_object_new_array();
        if (!o || !a)
                return log_oom();
        for (const char * const *c = codes; *c; c++) {
                json_object *v = json_object_new_string(*c);

                if (!v || json_object_array_add(a, v) < 0) {
                        json_object_putp(&v);
                        json_erase_strings(a);
                        return log_oom();
                }
        }
        if (json_add(o, "recovery_codes", a) < 0) {
                a = NULL;
                return log_oom();
        }
        a = NULL;
        return print_json_secret(o);
}

/* Recovery codes: one per line on stdout (nothing else there, so "> file" keeps exactly the
 * codes), or {"recovery_codes": [...]}; what they are for goes to stderr. */
static int print_recovery_codes(const char * const *codes, const char *headline) {
        if (arg_json != JSON_OFF)
                return print_recovery_codes_json(codes);

        fprintf(stderr, "%s\n"
                "These recovery codes are shown only this once. Keep them somewhere safe, apart from\n"
                "your phone: each one can be used once instead of a code from the app.\n",
                headline);

        for (const char * const *c = codes; *c; c++) {
                int r = write_secret_line(*c);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The enrolment URI as a QR code to scan and as text to type, on stdout only: it carries the
 * TOTP secret, and stderr is what services and scripts send to logs. */
static int print_enrollment(const char *uri) {
        _cleanup_erase_ char *qr = NULL;
        bool colors;
        int r;

        /* Colours make the code dark on light whatever the terminal's theme; a file gets none. */
        colors = isatty(STDOUT_FILENO) && !streq_ptr(getenv("TERM"), "dumb");

        r = qr_code_render(uri, colors, &qr);
        if (r < 0)
                log_error_errno(r, "Cannot draw the URI as a QR code, enter it by hand: %m");
        else
                fputs("Scan this QR code with your authenticator app, or enter the secret from the "
                      "URI below:\n", stderr);

        if (qr) {
                r = write_secret(qr, false);
                if (r < 0)
                        return r;
        }
        return write_secret_line(uri);
}

static int print_enrollment_json(const char *uri) {
        _cleanup_json_ json_object *o = json_object_new_object();

        if (!o || json_add_string(o, "uri", uri) < 0) {
                json_erase_strings(o);
                return log_oom();
        }
        return print_json_secret(o);
}

/* The account a 2FA verb acts on: NAME, or none given, the caller's linked account (own). */
static int twofa_account(int argc, char *argv[], const char **ret, bool *ret_own) {
        *ret_own = argc == 0;
        if (argc > 0) {
                *ret = argv[0];
                return 0;
        }
        if (self_account(ret) <= 0)
                return log_usage("Name the account (or run this as a Unix user linked to one).");
        if (arg_force)
                return log_usage("--force is an administrator's override of another person's account.");
        return 0;
}

/* One ConfirmTOTP call with the code otp; on failure *ret_retry says whether a person at a
 * terminal may try another code.  own: ConfirmOwnTOTP, the caller's linked account. */
static int confirm_totp_once(const char *account, bool own, const char *otp, bool *ret_retry) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ const char **codes = NULL;
        int r;

        *ret_retry = false;

        r = method_new(&m, own ? "ConfirmOwnTOTP" : "ConfirmTOTP", true);
        if (r < 0)
                return r;
        if (own)
                r = sd_bus_message_append(m, "a{sv}ss", 0, otp, arg_mode ?: "");
        else
                r = sd_bus_message_append(m, "sssa{sv}", account, otp, arg_mode ?: "", 0);
        if (r < 0)
                return bus_log_build_error(m, r);

        r = method_call_quiet(m, &error, &reply);
        if (r < 0) {
                *ret_retry = sd_bus_error_has_names(&error, PKGTOKEN_ERROR_BAD_OTP,
                                                    PKGTOKEN_ERROR_REPLAYED_OTP);
                return log_bus_error("confirm two-factor authentication", &error, r);
        }

        r = reply_read_codes(reply, &codes);
        if (r < 0)
                return r;

        fprintf(stderr, "Two-factor authentication is now on for account '%s'%s%s.\n",
                account, arg_mode ? ", mode " : "", arg_mode ?: "");
        return print_recovery_codes(codes, "Recovery codes:");
}

/* ConfirmTOTP with a code from stdin or the terminal; prints the recovery codes. */
static int confirm_totp(const char *account, bool own) {
        bool tty = isatty(STDIN_FILENO);

        for (unsigned attempt = 1;; attempt++) {
                _cleanup_erase_ char *otp = NULL;
                bool retry;
                int r;

                r = read_otp(OTP_PROMPT_APP, &otp);
                if (r < 0)
                        return r;

                r = confirm_totp_once(account, own, otp, &retry);
                if (r >= 0 || !retry || !tty || attempt >= OTP_ATTEMPTS_MAX)
                        return r;
        }
}

int verb_account_2fa_enable(int argc, char *argv[]) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *uri, *account;
        bool own;
        int r;

        r = twofa_account(argc, argv, &account, &own);
        if (r != 0)
                return r;
        make_undumpable();

        if (own)
                r = method_call_simple("EnrollOwnTOTP", "start two-factor enrolment", &reply, "a{sv}", 0);
        else
                r = method_call_simple("EnrollTOTP", "start two-factor enrolment", &reply, "sa{sv}", account, 0);
        if (r < 0)
                return r;
        (void) sd_bus_message_sensitive(reply);

        r = sd_bus_message_read(reply, "s", &uri);
        if (r < 0)
                return bus_log_parse_error(r);
        if (strncmp(uri, "otpauth://", 10) != 0 || !secret_is_printable(uri))
                return log_error_errno(EBADMSG, "pkgtokend sent an enrolment URI that is not an "
                                       "otpauth:// URI.");

        /* JSON is for programs: one document, no drawing, no prompt. */
        if (arg_json != JSON_OFF)
                return print_enrollment_json(uri);

        r = print_enrollment(uri);
        if (r < 0)
                return r;

        if (!isatty(STDIN_FILENO)) {
                fprintf(stderr, "Then run '%s account 2fa confirm %s%s%s' with a code from the app "
                        "on standard input to turn two-factor authentication on.\n",
                        PROGRAM_NAME, own ? "" : account, arg_mode ? " --mode=" : "", arg_mode ?: "");
                return 0;
        }

        r = confirm_totp(account, own);
        if (r < 0)
                fprintf(stderr, "Two-factor authentication is not on yet; run '%s account 2fa "
                        "confirm %s' to finish.\n", PROGRAM_NAME, own ? "" : account);
        return r;
}

int verb_account_2fa_confirm(int argc, char *argv[]) {
        const char *account;
        bool own;
        int r = twofa_account(argc, argv, &account, &own);

        if (r != 0)
                return r;
        make_undumpable();
        return confirm_totp(account, own);
}

/* Calls a 2FA management method as "METHOD(account, [mode,] otp, {admin_override})": the
 * one-time code of the account's owner, from stdin or the terminal, unless --force (an
 * administrator's override for an owner who lost both the phone and the recovery codes). */
static int call_with_owner_otp(const char *method, const char *what, const char *account,
                               const char *mode, sd_bus_message **ret_reply) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_erase_ char *otp = NULL;
        int r;

        make_undumpable();

        if (!arg_force) {
                r = read_otp(OTP_PROMPT_ANY, &otp);
                if (r < 0)
                        return r;
        }

        /* No account: the caller's linked one, by its uid (SetOwnTwoFactorMode). */
        if (!account) {
                r = method_new(&m, "SetOwnTwoFactorMode", true);
                if (r >= 0)
                        r = sd_bus_message_append(m, "a{sv}s", 1, "otp", "s", otp, mode);
                if (r < 0)
                        return bus_log_build_error(m, r);
                return method_call(m, what, ret_reply);
        }

        r = method_new(&m, method, true);
        if (r < 0)
                return r;

        r = sd_bus_message_append(m, "s", account);
        if (r >= 0 && mode)
                r = sd_bus_message_append(m, "s", mode);
        if (r >= 0)
                r = sd_bus_message_append(m, "sa{sv}", otp ?: "", 1, "admin_override", "b", (int) arg_force);
        if (r < 0)
                return bus_log_build_error(m, r);

        return method_call(m, what, ret_reply);
}

int verb_account_2fa_disable(int argc, char *argv[]) {
        const char *account;
        bool own;
        int r = twofa_account(argc, argv, &account, &own);

        if (r != 0)
                return r;
        return call_with_owner_otp("SetTwoFactorMode", "set two-factor mode", own ? NULL : account,
                                   twofa_mode_to_string(TWOFA_DISABLED), NULL);
}

/* account 2fa mode [NAME] MODE */
int verb_account_2fa_mode(int argc, char *argv[]) {
        const char *account, *mode = argv[argc - 1];
        bool own;
        int r;

        if (twofa_mode_from_string(mode) < 0)
                return log_usage("Invalid 2FA mode '%s': use auth-only, auth-and-writes or disabled.", mode);
        r = twofa_account(argc - 1, argv, &account, &own);
        if (r != 0)
                return r;
        return call_with_owner_otp("SetTwoFactorMode", "set two-factor mode", own ? NULL : account, mode, NULL);
}

int verb_account_2fa_recovery_codes(int argc, char *argv[]) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ const char **codes = NULL;
        int r;

        r = call_with_owner_otp("RegenerateRecoveryCodes", "make new recovery codes", argv[0],
                                NULL, &reply);
        if (r < 0)
                return r;

        r = reply_read_codes(reply, &codes);
        if (r < 0)
                return r;

        return print_recovery_codes(codes, "New recovery codes; the old ones no longer work.");
}
