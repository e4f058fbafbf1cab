/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "login-verdict.h"

static LoginVerdict answer(AuthnResult result, const char *reason) {
        return (LoginVerdict) {
                .result = result,
                .reason = reason,
        };
}

/* Before the hash: answers that need no password, so a guesser learns nothing more. */
static LoginVerdict before_hash(const LoginFacts *f) {
        if (f->rate_limited)
                return answer(AUTHN_RATE_LIMITED, "too many failed attempts from this address");
        /* Locked-out names (known or not) are answered without looking at the password. */
        if (f->name_valid && f->locked_out) {
                LoginVerdict v = answer(AUTHN_LOCKED, "too many failed attempts");
                v.locked_until = f->locked_until;
                return v;
        }
        if (f->password == PASSWORD_QUEUE_FULL)
                return answer(AUTHN_RATE_LIMITED, "too many logins at once; try again");
        return (LoginVerdict) { .check_password = true };
}

static LoginVerdict counted(AuthnResult result, const char *reason, LoginFailure failure) {
        LoginVerdict v = answer(result, reason);
        v.count_failure = failure;
        v.commit = true;
        return v;
}

LoginVerdict login_verdict(const LoginFacts *f, OtpChecker check_otp, void *userdata) {
        LoginVerdict v;

        if (f->password == PASSWORD_UNCHECKED || f->password == PASSWORD_QUEUE_FULL)
                return before_hash(f);

        /* A lockout may have begun while the hash was being computed. */
        if (f->locked_out) {
                v = answer(AUTHN_LOCKED, "too many failed attempts");
                v.locked_until = f->locked_until;
                return v;
        }

        /* The account's password lives in a PAM service that could not answer: the user sees
         * a wrong password (nothing about where passwords live), the admin sees why.  It counts
         * against the address only, so that an outage of the directory locks nobody out. */
        if (f->password == PASSWORD_BACKEND_UNAVAILABLE) {
                v = counted(AUTHN_BAD_CREDENTIALS, "wrong account name or password", LOGIN_FAILURE_REMOTE);
                v.audit_refusal = LOGIN_REFUSAL_BACKEND_UNAVAILABLE;
                return v;
        }

        /* Unknown accounts and wrong passwords look alike.  Only well-formed names have
         * failure counters; the others count against the remote alone. */
        if (f->password != PASSWORD_MATCH || !f->account_known)
                return counted(AUTHN_BAD_CREDENTIALS, "wrong account name or password",
                               f->name_valid ? LOGIN_FAILURE_ACCOUNT : LOGIN_FAILURE_REMOTE);

        /* Only now, with the right password, may the answer tell that an admin locked it. */
        if (f->account_locked)
                return answer(AUTHN_LOCKED, "the account is locked");

        if (f->twofa != TWOFA_DISABLED) {
                int r;

                if (!f->otp_given)
                        return answer(AUTHN_OTP_REQUIRED, "give the code from your authenticator app");
                r = check_otp ? check_otp(userdata) : -EINVAL;
                if (r < 0)
                        return (LoginVerdict) { .error = r };
                if (r == OTP_CHECK_LOCKED_OUT)
                        return answer(AUTHN_LOCKED, "too many failed attempts");
                if (r != OTP_CHECK_VALID)
                        return counted(AUTHN_BAD_OTP, r == OTP_CHECK_REPLAYED ? "code already used" : "wrong code",
                                       LOGIN_FAILURE_ACCOUNT);
        }

        v = answer(AUTHN_OK, "ok");
        v.commit = true;
        v.clear_failures = true;
        v.issue_session = f->session_requested;
        v.audit_login = true;
        v.audit_reason = f->session_requested ? "session token issued" : "";
        return v;
}

AccountState account_check_verdict(bool exists, bool locked, bool locked_out, const char **ret_reason) {
        AccountState s;
        const char *reason;

        if (!exists) {
                s = ACCOUNT_STATE_UNKNOWN;
                reason = "no such account";
        } else if (locked) {
                s = ACCOUNT_STATE_LOCKED;
                reason = "the account is locked";
        } else if (locked_out) {
                s = ACCOUNT_STATE_LOCKED_OUT;   /* for a while, unlike an admin's lock */
                reason = "too many failed attempts";
        } else {
                s = ACCOUNT_STATE_ACTIVE;
                reason = "ok";
        }
        if (ret_reason)
                *ret_reason = reason;
        return s;
}
