/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The login verdict and CheckAccount's answer (common/login-verdict.c).
 *
 * 1. Named cases with the reasons a person reads.
 * 2. The whole table: every combination of the facts, decided by login_verdict() and by an
 *    oracle written here from the rules in prose, which shares no code with it:
 *      - before the hash: a rate-limited remote, then a locked-out (well-formed) name, are
 *        answered without the password; a full queue is "rate-limited"; else hash;
 *      - after the hash: a lockout that began meanwhile; then a PAM service that gave no
 *        verdict: a wrong password to the user, counted against the remote only, with a
 *        reason code for the audit; then a wrong password or an unknown
 *        (or service) account alike, counted (toward the name's lockout when it is
 *        well-formed, else only against the remote) and committed; then an admin's lock;
 *        then 2FA: no code → otp-required; a code is checked once: a wrong one is counted
 *        and committed; then ok: failures cleared, session if asked, audited, committed. */

#include "login-verdict.h"
#include "macro.h"
#include "model.h"
#include "otp-checker.h"
#include "tap.h"

static const char *name(AuthnResult r) {
        return authn_result_to_string(r) ?: "(unknown)";
}

static LoginFacts good_login(void) {
        return (LoginFacts) {
                .name_valid = true,
                .password = PASSWORD_MATCH,
                .account_known = true,
                .twofa = TWOFA_DISABLED,
        };
}

static void expect(const char *what, const LoginFacts *f, int outcome, AuthnResult result, const char *reason) {
        Checker c = { outcome, 0 };
        LoginVerdict v = login_verdict(f, check_otp, &c);

        if (!CHECK(!v.check_password && v.result == result && streq_ptr(v.reason, reason), "%s → %s (%s)", what,
                   name(result), reason))
                tap_diag("  got %s (\"%s\"), check_password=%d", name(v.result), v.reason ?: "(null)", v.check_password);
}

static void test_named_cases(void) {
        LoginFacts f;
        LoginVerdict v;
        Checker c = { OTP_CHECK_VALID, 0 };

        f = (LoginFacts) { .name_valid = true };
        v = login_verdict(&f, check_otp, &c);
        CHECK(v.check_password && !v.commit && v.count_failure == LOGIN_FAILURE_NONE, "fresh login: hash the password");

        f.rate_limited = true;
        f.locked_out = true;
        expect("rate-limited remote", &f, OTP_CHECK_VALID, AUTHN_RATE_LIMITED, "too many failed attempts from this address");
        f.rate_limited = false;
        f.locked_until = 42;
        v = login_verdict(&f, check_otp, &c);
        expect("locked-out name, before the hash", &f, OTP_CHECK_VALID, AUTHN_LOCKED, "too many failed attempts");
        CHECK(v.locked_until == 42, "  ... says until when");
        f.name_valid = false;
        v = login_verdict(&f, check_otp, &c);
        CHECK(v.check_password, "a malformed name has no lockout: hash (so it costs the same)");

        f = (LoginFacts) { .name_valid = true, .password = PASSWORD_QUEUE_FULL };
        expect("hashing queue full", &f, OTP_CHECK_VALID, AUTHN_RATE_LIMITED, "too many logins at once; try again");

        f = good_login();
        f.password = PASSWORD_MISMATCH;
        v = login_verdict(&f, check_otp, &c);
        expect("wrong password", &f, OTP_CHECK_VALID, AUTHN_BAD_CREDENTIALS, "wrong account name or password");
        CHECK(v.count_failure == LOGIN_FAILURE_ACCOUNT && v.commit && !v.audit_login, "  ... counted and committed");

        f = good_login();
        f.account_known = false;
        expect("unknown account", &f, OTP_CHECK_VALID, AUTHN_BAD_CREDENTIALS, "wrong account name or password");
        f.name_valid = false;
        v = login_verdict(&f, check_otp, &c);
        CHECK(v.count_failure == LOGIN_FAILURE_REMOTE && v.commit, "malformed name: counted against the remote only");

        f = good_login();
        f.password = PASSWORD_BACKEND_UNAVAILABLE;
        v = login_verdict(&f, check_otp, &c);
        expect("PAM service unavailable: a wrong password to the user", &f, OTP_CHECK_VALID, AUTHN_BAD_CREDENTIALS,
               "wrong account name or password");
        CHECK(v.count_failure == LOGIN_FAILURE_REMOTE && v.commit && !v.audit_login &&
              streq_ptr(v.audit_refusal, "password-backend-unavailable"),
              "  ... counted against the remote only, audited with its reason code");
        f.password = PASSWORD_MISMATCH;
        v = login_verdict(&f, check_otp, &c);
        CHECK(!v.audit_refusal, "a wrong password has no refusal code for the audit");

        f = good_login();
        f.locked_out = true;
        f.locked_until = 7;
        v = login_verdict(&f, check_otp, &c);
        expect("lockout began during the hash", &f, OTP_CHECK_VALID, AUTHN_LOCKED, "too many failed attempts");
        CHECK(v.locked_until == 7 && !v.commit, "  ... says until when, writes nothing");

        f = good_login();
        f.account_locked = true;
        v = login_verdict(&f, check_otp, &c);
        expect("locked by an admin, right password", &f, OTP_CHECK_VALID, AUTHN_LOCKED, "the account is locked");
        CHECK(v.locked_until == 0 && !v.commit, "  ... no lockout time, nothing written");
        f.password = PASSWORD_MISMATCH;
        expect("locked by an admin, wrong password: not told", &f, OTP_CHECK_VALID, AUTHN_BAD_CREDENTIALS,
               "wrong account name or password");

        f = good_login();
        f.twofa = TWOFA_AUTH_ONLY;
        expect("2FA, no code", &f, OTP_CHECK_VALID, AUTHN_OTP_REQUIRED, "give the code from your authenticator app");
        f.otp_given = true;
        expect("2FA, wrong code", &f, OTP_CHECK_WRONG, AUTHN_BAD_OTP, "wrong code");
        expect("2FA, malformed code", &f, OTP_CHECK_MALFORMED, AUTHN_BAD_OTP, "wrong code");
        expect("2FA, replayed code", &f, OTP_CHECK_REPLAYED, AUTHN_BAD_OTP, "code already used");
        expect("2FA, right code", &f, OTP_CHECK_VALID, AUTHN_OK, "ok");
        v = login_verdict(&f, check_otp, &(Checker) { -EIO, 0 });
        CHECK(v.error == -EIO, "2FA, the check failed: the call fails");

        f = good_login();
        f.session_requested = true;
        v = login_verdict(&f, check_otp, &c);
        CHECK(v.result == AUTHN_OK && v.issue_session && v.audit_login && v.clear_failures && v.commit &&
              streq_ptr(v.audit_reason, "session token issued"), "ok with a session: issued, audited, committed");
        f.session_requested = false;
        v = login_verdict(&f, check_otp, &c);
        CHECK(v.result == AUTHN_OK && !v.issue_session && streq_ptr(v.audit_reason, ""), "ok without a session");
}

/* ---------------------------------------------------------------------------------------- */
/* The oracle */

typedef struct Expected {
        bool check_password;
        AuthnResult result;
        LoginFailure failure;
        bool commit, ok, checked;
        bool backend_unavailable;
        int error;
} Expected;

static Expected oracle(const LoginFacts *f, int outcome) {
        bool hashed = f->password == PASSWORD_MATCH || f->password == PASSWORD_MISMATCH ||
                      f->password == PASSWORD_BACKEND_UNAVAILABLE;
        bool right = f->password == PASSWORD_MATCH && f->account_known;

        if (!hashed) {
                if (f->rate_limited)
                        return (Expected) { .result = AUTHN_RATE_LIMITED };
                if (f->name_valid && f->locked_out)
                        return (Expected) { .result = AUTHN_LOCKED };
                if (f->password == PASSWORD_QUEUE_FULL)
                        return (Expected) { .result = AUTHN_RATE_LIMITED };
                return (Expected) { .check_password = true };
        }
        if (f->locked_out)
                return (Expected) { .result = AUTHN_LOCKED };
        if (f->password == PASSWORD_BACKEND_UNAVAILABLE)
                return (Expected) { .result = AUTHN_BAD_CREDENTIALS, .commit = true, .failure = LOGIN_FAILURE_REMOTE,
                                    .backend_unavailable = true };
        if (!right)
                return (Expected) { .result = AUTHN_BAD_CREDENTIALS, .commit = true,
                                    .failure = f->name_valid ? LOGIN_FAILURE_ACCOUNT : LOGIN_FAILURE_REMOTE };
        if (f->account_locked)
                return (Expected) { .result = AUTHN_LOCKED };
        if (f->twofa != TWOFA_DISABLED && !f->otp_given)
                return (Expected) { .result = AUTHN_OTP_REQUIRED };
        if (f->twofa != TWOFA_DISABLED) {
                if (outcome < 0)
                        return (Expected) { .error = outcome, .checked = true };
                if (outcome == OTP_CHECK_LOCKED_OUT)
                        return (Expected) { .result = AUTHN_LOCKED, .checked = true };
                if (outcome != OTP_CHECK_VALID)
                        return (Expected) { .result = AUTHN_BAD_OTP, .failure = LOGIN_FAILURE_ACCOUNT,
                                            .commit = true, .checked = true };
        }
        return (Expected) { .result = AUTHN_OK, .commit = true, .ok = true, .checked = f->twofa != TWOFA_DISABLED };
}

static const int outcomes[] = {
        OTP_CHECK_VALID, OTP_CHECK_MALFORMED, OTP_CHECK_WRONG, OTP_CHECK_REPLAYED, OTP_CHECK_LOCKED_OUT, -EIO,
};

static void test_whole_table(void) {
        size_t n = 0, bad = 0, by_result[_AUTHN_RESULT_MAX] = {}, hashes = 0;

        for (unsigned bits = 0; bits < (1u << 8); bits++)
        for (PasswordCheck pw = 0; pw < _PASSWORD_CHECK_MAX; pw++)
        for (TwoFactorMode mode = 0; mode < _TWOFA_MODE_MAX; mode++)
        for (size_t o = 0; o < ELEMENTSOF(outcomes); o++) {
                LoginFacts f = {
                        .rate_limited = bits & 1,
                        .name_valid = bits & 2,
                        .locked_out = bits & 4,
                        .locked_until = (bits & 4) ? 99 : 0,
                        .password = pw,
                        .account_known = bits & 8,
                        .account_locked = bits & 16,
                        .twofa = mode,
                        .otp_given = bits & 32,
                        .session_requested = bits & 64,
                };
                Checker c = { outcomes[o], 0 };
                LoginVerdict v;
                Expected e;
                bool ok;

                if (bits & 128)   /* the rate limit only matters before the hash */
                        continue;
                v = login_verdict(&f, check_otp, &c);
                e = oracle(&f, outcomes[o]);
                n++;

                if (e.error < 0)
                        ok = v.error == e.error && c.calls == 1;
                else if (e.check_password)
                        ok = v.check_password && c.calls == 0 && !v.commit;
                else
                        ok = !v.check_password && v.error == 0 && v.result == e.result && v.reason &&
                             v.count_failure == e.failure && v.commit == e.commit && c.calls == (e.checked ? 1u : 0u) &&
                             v.clear_failures == e.ok && v.audit_login == e.ok &&
                             v.issue_session == (e.ok && f.session_requested) &&
                             !!v.audit_refusal == e.backend_unavailable &&
                             (v.locked_until != 0) == (v.result == AUTHN_LOCKED && f.locked_out);
                if (!ok && bad++ < 5)
                        tap_diag("  facts %#x password %d 2fa %s outcome %d: got %s (%s) check=%d failure=%d commit=%d "
                                 "calls=%u error=%d", bits, pw, twofa_mode_to_string(mode), outcomes[o], name(v.result),
                                 v.reason ?: "(null)", v.check_password, v.count_failure, v.commit, c.calls, v.error);
                if (ok && !e.check_password && e.error == 0)
                        by_result[e.result]++;
                if (ok && e.check_password)
                        hashes++;
        }

        CHECK(bad == 0, "table: %zu combinations agree with the oracle (%zu disagree)", n, bad);
        tap_diag("outcomes: %zu hash, %zu ok, %zu otp-required, %zu bad-credentials, %zu bad-otp, %zu locked, "
                 "%zu rate-limited", hashes, by_result[AUTHN_OK], by_result[AUTHN_OTP_REQUIRED],
                 by_result[AUTHN_BAD_CREDENTIALS], by_result[AUTHN_BAD_OTP], by_result[AUTHN_LOCKED],
                 by_result[AUTHN_RATE_LIMITED]);
        CHECK(hashes > 0 && by_result[AUTHN_OK] > 0 && by_result[AUTHN_OTP_REQUIRED] > 0 &&
              by_result[AUTHN_BAD_CREDENTIALS] > 0 && by_result[AUTHN_BAD_OTP] > 0 && by_result[AUTHN_LOCKED] > 0 &&
              by_result[AUTHN_RATE_LIMITED] > 0, "table: every outcome occurs");
}

static void test_account_check(void) {
        const char *reason = NULL;

        CHECK(account_check_verdict(false, true, true, &reason) == ACCOUNT_STATE_UNKNOWN &&
              streq_ptr(reason, "no such account"), "CheckAccount: unknown account");
        CHECK(account_check_verdict(true, true, true, &reason) == ACCOUNT_STATE_LOCKED &&
              streq_ptr(reason, "the account is locked"), "CheckAccount: an admin's lock wins over a lockout");
        CHECK(account_check_verdict(true, false, true, &reason) == ACCOUNT_STATE_LOCKED_OUT &&
              streq_ptr(reason, "too many failed attempts"), "CheckAccount: locked out after failures");
        CHECK(account_check_verdict(true, false, false, &reason) == ACCOUNT_STATE_ACTIVE && streq_ptr(reason, "ok"),
              "CheckAccount: active");
        CHECK(streq_ptr(account_state_to_string(ACCOUNT_STATE_LOCKED_OUT), "locked-out") &&
              streq_ptr(account_state_to_string(ACCOUNT_STATE_UNKNOWN), "unknown"),
              "CheckAccount's words are spelled in model.c");
}

int main(void) {
        test_named_cases();
        test_whole_table();
        test_account_check();

        return tap_finish();
}
