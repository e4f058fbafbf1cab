/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Two-factor authentication on the bus: EnrollTOTP, ConfirmTOTP, SetTwoFactorMode,
 * RegenerateRecoveryCodes. */

#include "accounts.h"
#include "audit.h"
#include "bus-caller.h"
#include "bus-error.h"
#include "bus-methods.h"
#include "bus-twofa.h"
#include "bus-util.h"
#include "erase.h"
#include "otp.h"
#include "second-factor.h"

/* Errors of the 2FA calls: the account's load errors name it, the others say why. */
static int twofa_error(sd_bus_error *error, int r, const char *account, const char *message) {
        if (!message)
                return bus_error_set_account(error, r, account);
        return bus_error_set_errno_message(error, r, message);
}

int method_enroll_totp(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *account;
        int r;

        r = bus_begin_call(m, msg, &(BusCall) { .check_first = true, BUS_NO_OPTIONS }, error, "s", &account);
        if (r < 0)
                return r;
        return bus_enroll_totp(m, msg, account, error);
}

int bus_enroll_totp(Manager *m, sd_bus_message *msg, const char *account, sd_bus_error *error) {
        _cleanup_(erase_and_freep) char *uri = NULL;
        const char *message = NULL;
        int r;

        r = second_factor_enroll(m->store, m->config.totp_issuer, account, &uri, &message);
        if (r < 0)
                return twofa_error(error, r, account, message);
        /* SD_BUS_VTABLE_SENSITIVE on the method: the URI holds the secret. */
        return sd_bus_reply_method_return(msg, "s", uri);
}

/* Makes new recovery codes, commits tx and replies with the codes, once. */
static int reply_new_recovery_codes(Manager *m, Transaction *tx, sd_bus_message *msg, int64_t account_id,
                                    sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        char *codes[RECOVERY_CODES_COUNT + 1] = {};   /* NULL-terminated for append_strv */
        int r;

        r = second_factor_new_recovery_codes(m->store, account_id, codes);
        if (r >= 0)
                r = store_commit(tx);
        if (r >= 0)
                r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_sensitive(reply);
        if (r >= 0)
                r = sd_bus_message_append_strv(reply, codes);
        recovery_codes_free(codes);
        if (r < 0)
                return bus_error_set_errno_message(error, r, NULL);
        return sd_bus_send(NULL, reply, NULL);
}

int method_confirm_totp(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *account, *otp, *mode_string;
        int r;

        r = bus_begin_call(m, msg, &(BusCall) { .check_first = true, BUS_NO_OPTIONS }, error, "sss", &account, &otp,
                           &mode_string);
        if (r < 0)
                return r;
        return bus_confirm_totp(m, msg, account, otp, mode_string, error);
}

int bus_confirm_totp(Manager *m, sd_bus_message *msg, const char *account, const char *otp, const char *mode_string,
                     sd_bus_error *error) {
        _cleanup_transaction_ Transaction tx = {};
        TwoFactorMode mode = TWOFA_AUTH_AND_WRITES;
        const char *message = NULL;
        int64_t account_id;
        int r;

        r = bus_read_twofa_mode(mode_string, true, &mode, error);
        if (r < 0)
                return r;
        if (mode == TWOFA_DISABLED)
                return invalid_argument(error, "Confirm with auth-only or auth-and-writes.");

        r = store_begin(m->store, &tx);
        if (r >= 0)
                r = second_factor_confirm(&m->lockout, &tx, account, otp, mode, now_realtime_usec(), &account_id,
                                          &message);
        if (r < 0)
                return twofa_error(error, r, account, message);
        return reply_new_recovery_codes(m, &tx, msg, account_id, error);
}

/* Reads the account and the code of a 2FA change (SetTwoFactorMode has its mode between the
 * two) and checks the caller's proof: a current code or recovery code, or admin_override. */
static int begin_twofa_change(Manager *m, sd_bus_message *msg, Transaction *tx, AccountRecord *a,
                              const char **ret_mode, sd_bus_error *error) {
        const char *account, *otp;
        bool admin_override = false;
        int r;

        r = sd_bus_message_read(msg, "s", &account);
        if (r < 0)
                return r;
        if (ret_mode) {
                r = sd_bus_message_read(msg, "s", ret_mode);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_read(msg, "s", &otp);
        if (r < 0)
                return r;
        r = read_options(msg, (const OptionSpec[]) {
                { "admin_override", OPTION_BOOL, &admin_override },
        }, 1, error);
        if (r < 0)
                return r;

        r = bus_begin_twofa_change(m, tx, account, otp, admin_override, a, error);
        if (r < 0 || !admin_override)
                return r;
        /* An admin resetting 2FA may have been talked into it by whoever took the account
         * over: reads only for a while (RecoveryHoldSec=), in the same transaction. */
        r = account_start_hold(m->store, a, m->lockout.recovery_hold, now_realtime_usec(),
                               "two-factor authentication changed by an admin override");
        return r < 0 ? bus_error_set_errno_message(error, r, NULL) : 0;
}

int bus_begin_twofa_change(Manager *m, Transaction *tx, const char *account, const char *otp, bool proven,
                           AccountRecord *a, sd_bus_error *error) {
        const char *message = NULL;
        int r;

        r = second_factor_begin_change(&m->lockout, tx, account, otp, proven, now_realtime_usec(), a, &message);
        if (r < 0)
                return twofa_error(error, r, account, message);
        return 0;
}

int method_set_two_factor_mode(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(account_record_done) AccountRecord a = {};
        _cleanup_transaction_ Transaction tx = {};
        Manager *m = userdata;
        const char *mode_string = NULL;
        int r;

        r = bus_verify_admin(m, msg, error, NULL);
        if (r < 0)
                return r;
        r = begin_twofa_change(m, msg, &tx, &a, &mode_string, error);
        if (r < 0)
                return r;
        return bus_set_twofa_mode(m, msg, &tx, &a, mode_string, error);
}

int bus_set_twofa_mode(Manager *m, sd_bus_message *msg, Transaction *tx, const AccountRecord *a,
                       const char *mode_string, sd_bus_error *error) {
        TwoFactorMode mode = TWOFA_AUTH_AND_WRITES;
        int r;

        r = bus_read_twofa_mode(mode_string, false, &mode, error);
        if (r < 0)
                return r;
        r = second_factor_set_mode(m->store, a, mode, now_realtime_usec());
        if (r >= 0)
                r = store_commit(tx);
        return bus_reply_done(msg, r, error);
}

int method_regenerate_recovery_codes(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(account_record_done) AccountRecord a = {};
        _cleanup_transaction_ Transaction tx = {};
        Manager *m = userdata;
        int r;

        r = bus_verify_admin(m, msg, error, NULL);
        if (r < 0)
                return r;
        r = begin_twofa_change(m, msg, &tx, &a, NULL, error);
        if (r < 0)
                return r;
        r = audit_record(m->store, now_realtime_usec(), AUDIT_RECOVERY_CODES, NULL, AUDIT_RESULT_OK, a.name, NULL, NULL,
                         "regenerated");
        if (r < 0)
                return bus_error_set_errno_message(error, r, NULL);
        return reply_new_recovery_codes(m, &tx, msg, a.id, error);
}
