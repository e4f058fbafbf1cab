/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <string.h>
#include <time.h>

#include "accounts.h"
#include "audit.h"
#include "erase.h"
#include "errors.h"
#include "otp.h"
#include "second-factor.h"

static int otp_check_from_errno(int r) {
        switch (r) {
        case 0:
                return OTP_CHECK_VALID;
        case -EINVAL:
                return OTP_CHECK_MALFORMED;
        case -EACCES:
                return OTP_CHECK_WRONG;
        case -EALREADY:
                return OTP_CHECK_REPLAYED;
        default:
                return r;
        }
}

static int verify_totp(Store *s, const AccountSecrets *secrets, const char *code, OtpRepeat *repeat, usec_t now) {
        uint64_t counter;
        int r;

        r = totp_verify(secrets->totp_secret, secrets->totp_secret_size, code, (time_t) (now / USEC_PER_SEC),
                        secrets->totp_last_counter, &counter);
        if (r == -EALREADY && repeat &&
            code_reuse_matches(repeat->reuse, repeat->subject, repeat->secret, repeat->remote, code, now)) {
                repeat->repeated = true;
                return OTP_CHECK_VALID;
        }
        if (r < 0)
                return otp_check_from_errno(r);
        /* The counter moves in the same transaction as the check: a second request with the
         * same code sees the new counter and is refused as a replay. */
        r = store_account_advance_totp_counter(s, secrets->id, counter);
        if (r < 0)
                return r;
        if (r == 0)
                return OTP_CHECK_REPLAYED;
        /* The code is accepted up to TOTP_WINDOW steps after its own: until then the same
         * client may send it again (code-reuse.h). */
        if (repeat)
                code_reuse_remember(repeat->reuse, repeat->subject, repeat->secret, repeat->remote, code,
                                    (counter + 1 + TOTP_WINDOW) * TOTP_STEP * USEC_PER_SEC, now);
        return OTP_CHECK_VALID;
}

static int verify_recovery_code(Store *s, const AccountSecrets *secrets, const char *code) {
        char normalized[RECOVERY_CODE_LEN + 1];
        uint8_t hash[RECOVERY_CODE_HASH_SIZE];
        int r;

        r = recovery_code_normalize(code, normalized);
        if (r < 0)
                return OTP_CHECK_MALFORMED;
        r = recovery_code_hash(normalized, hash);
        explicit_bzero(normalized, sizeof normalized);
        if (r < 0)
                return r;
        r = store_recovery_code_consume(s, secrets->id, hash);
        if (r < 0)
                return r;
        return r > 0 ? OTP_CHECK_VALID : OTP_CHECK_WRONG;
}

int second_factor_verify(Store *s, const AccountSecrets *secrets, const char *code, bool allow_recovery,
                         OtpRepeat *repeat, usec_t now) {
        if (secrets->seeds_unavailable)
                return -ERR_SECRETS_UNAVAILABLE;
        if (secrets->totp_secret_size == 0)
                return OTP_CHECK_WRONG;
        if (otp_code_is_wellformed(code))
                return verify_totp(s, secrets, code, repeat, now);
        if (allow_recovery)
                return verify_recovery_code(s, secrets, code);
        return OTP_CHECK_MALFORMED;
}

int second_factor_checker(void *userdata) {
        _cleanup_(account_secrets_done) AccountSecrets secrets = {};
        const OtpCheckRequest *q = userdata;
        int r;

        if (q->lockout && lockout_active_from(q->lockout, q->account, q->remote, q->now, NULL))
                return OTP_CHECK_LOCKED_OUT;
        r = store_account_get_secrets(q->store, q->account, &secrets);
        if (r < 0)
                return r;
        r = second_factor_verify(q->store, &secrets, q->code, q->allow_recovery, q->repeat, q->now);
        /* Who needed a recovery code may be whoever took the account over: reads only for a
         * while (in the caller's transaction, with the code spent). */
        if (r == OTP_CHECK_VALID && q->allow_recovery && q->recovery_hold != 0 && !otp_code_is_wellformed(q->code)) {
                _cleanup_(account_record_done) AccountRecord a = {};
                int k = store_account_get(q->store, q->account, &a);
                if (k >= 0)
                        k = account_start_hold(q->store, &a, q->recovery_hold, q->now, "recovery code used");
                if (k < 0)
                        return k;
        }
        return r;
}

int second_factor_refusal(OtpCheck outcome, const char **ret_message) {
        switch (outcome) {
        case OTP_CHECK_REPLAYED:
                *ret_message = "This code was used already; wait for the next one.";
                return -ERR_REPLAYED_OTP;
        case OTP_CHECK_MALFORMED:
                *ret_message = "Malformed code: give the 6 digits from the authenticator app.";
                return -ERR_BAD_OTP;
        case OTP_CHECK_LOCKED_OUT:
                *ret_message = "Too many failed attempts; the account is locked for a while.";
                return -ERR_RATE_LIMITED;
        default:
                *ret_message = "Wrong code.";
                return -ERR_BAD_OTP;
        }
}

int second_factor_require(const Lockout *l, Transaction *tx, const char *account, const char *otp,
                          bool allow_recovery, usec_t now, const char **ret_message) {
        OtpCheckRequest q = {
                .store = l->store,
                .account = account,
                .code = otp,
                .allow_recovery = allow_recovery,
                .lockout = l,
                .remote = "",
                .recovery_hold = l->recovery_hold,
                .now = now,
        };
        int r;

        if (isempty(otp)) {
                *ret_message = "This account has two-factor authentication: give a current code.";
                return -ERR_OTP_REQUIRED;
        }
        r = second_factor_checker(&q);
        if (r == -ENOENT)
                return -ERR_NO_SUCH_ACCOUNT;
        if (r < 0 || r == OTP_CHECK_VALID)
                return r;
        if (r == OTP_CHECK_LOCKED_OUT)
                return second_factor_refusal(r, ret_message);
        return lockout_refuse(l, tx, account, "", now, second_factor_refusal(r, ret_message));
}

int second_factor_enroll(Store *s, const char *issuer, const char *account, char **ret_uri, const char **ret_message) {
        _cleanup_(account_record_done) AccountRecord a = {};
        _cleanup_(erase_and_freep) char *uri = NULL;
        uint8_t secret[TOTP_SECRET_SIZE];
        int r;

        r = account_load(s, account, &a);
        if (r < 0)
                return r;
        if (a.kind != ACCOUNT_HUMAN) {
                *ret_message = "Service accounts have no second factor.";
                return -ERR_ACCESS_DENIED;
        }
        if (a.twofa != TWOFA_DISABLED) {
                *ret_message = "Two-factor authentication is on already; turn it off first to enrol a new app.";
                return -ERR_2FA_ENABLED;
        }

        r = totp_secret_generate(secret);
        if (r >= 0)
                r = totp_uri(issuer, a.name, secret, sizeof secret, &uri);
        if (r >= 0)
                r = store_account_set_totp_pending(s, a.id, secret, sizeof secret);
        explicit_bzero(secret, sizeof secret);
        if (r == -ENOENT)
                return -ERR_NO_SUCH_ACCOUNT;
        if (r < 0)
                return r;
        *ret_uri = uri;
        uri = NULL;
        return 0;
}

int second_factor_confirm(const Lockout *l, Transaction *tx, const char *account, const char *otp,
                          TwoFactorMode mode, usec_t now, int64_t *ret_account_id, const char **ret_message) {
        _cleanup_(account_secrets_done) AccountSecrets secrets = {};
        _cleanup_(account_record_done) AccountRecord a = {};
        uint64_t counter;
        int r;

        r = account_load(l->store, account, &a);
        if (r < 0)
                return r;
        r = store_account_get_secrets(l->store, a.name, &secrets);
        if (r == -ENOENT)
                return -ERR_NO_SUCH_ACCOUNT;
        if (r < 0)
                return r;
        if (secrets.seeds_unavailable)
                return -ERR_SECRETS_UNAVAILABLE;
        if (secrets.totp_pending_size == 0) {
                *ret_message = "No enrolment waits for a code: enable 2FA first.";
                return -ERR_NO_PENDING_2FA;
        }

        /* The pending secret has never produced a code here, so any counter is fresh. */
        r = otp_check_from_errno(totp_verify(secrets.totp_pending, secrets.totp_pending_size, otp,
                                             (time_t) (now / USEC_PER_SEC), 0, &counter));
        if (r < 0)
                return r;
        if (r != OTP_CHECK_VALID)
                /* Counted like any wrong code, and kept although the call fails. */
                return lockout_refuse(l, tx, a.name, "", now, second_factor_refusal(r, ret_message));

        r = store_account_activate_totp(l->store, a.id, mode, counter);
        if (r >= 0)
                r = audit_record(l->store, now, AUDIT_2FA_ENABLE, NULL, AUDIT_RESULT_OK, a.name, NULL, NULL,
                                 twofa_mode_to_string(mode));
        if (r == -ENOENT)
                return -ERR_NO_SUCH_ACCOUNT;
        if (r < 0)
                return r;
        *ret_account_id = a.id;
        return 0;
}

int second_factor_begin_change(const Lockout *l, Transaction *tx, const char *account, const char *otp,
                               bool admin_override, usec_t now, AccountRecord *ret, const char **ret_message) {
        int r;

        r = store_begin(l->store, tx);
        if (r < 0)
                return r;
        r = account_load(l->store, account, ret);
        if (r < 0)
                return r;
        if (ret->twofa == TWOFA_DISABLED) {
                *ret_message = "Two-factor authentication is not on.";
                return -ERR_2FA_NOT_ENABLED;
        }
        /* Every caller allowed here is an admin for now; once registries call on behalf of
         * users (a registry group), only admins may set admin_override. */
        if (admin_override)
                return 0;
        return second_factor_require(l, tx, ret->name, otp, /* allow_recovery= */ true, now, ret_message);
}

int second_factor_set_mode(Store *s, const AccountRecord *a, TwoFactorMode mode, usec_t now) {
        int r;

        r = store_account_set_twofa_mode(s, a->id, mode);
        if (r >= 0)
                r = audit_record(s, now, mode == TWOFA_DISABLED ? AUDIT_2FA_DISABLE : AUDIT_2FA_MODE, NULL, AUDIT_RESULT_OK,
                                 a->name, NULL, NULL, twofa_mode_to_string(mode));
        return not_found_as(r, -ERR_NO_SUCH_ACCOUNT);
}

int second_factor_new_recovery_codes(Store *s, int64_t account_id, char **codes) {
        uint8_t hashes[RECOVERY_CODES_COUNT][RECOVERY_HASH_SIZE];
        int r;

        r = recovery_codes_generate(codes);
        for (size_t i = 0; r >= 0 && i < RECOVERY_CODES_COUNT; i++) {
                char normalized[RECOVERY_CODE_LEN + 1];
                r = recovery_code_normalize(codes[i], normalized);
                if (r >= 0)
                        r = recovery_code_hash(normalized, hashes[i]);
                explicit_bzero(normalized, sizeof normalized);
        }
        if (r >= 0)
                r = store_recovery_codes_replace(s, account_id, (const uint8_t (*)[RECOVERY_HASH_SIZE]) hashes,
                                                 RECOVERY_CODES_COUNT);
        return r;
}

int second_factor_require_now(const Lockout *l, const char *account, const char *otp, bool allow_recovery, usec_t now,
                              const char **ret_message) {
        _cleanup_transaction_ Transaction tx = {};
        int r;

        r = store_begin(l->store, &tx);
        if (r < 0)
                return r;
        r = second_factor_require(l, &tx, account, otp, allow_recovery, now, ret_message);
        if (r < 0)
                return r;
        return store_commit(&tx);
}
