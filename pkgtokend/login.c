/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <string.h>

#include "accounts.h"
#include "audit.h"
#include "erase.h"
#include "errors.h"
#include "log.h"
#include "pam-request.h"
#include "login.h"
#include "password.h"
#include "second-factor.h"
#include "tokens.h"
#include "validate.h"

#define SESSION_DESCRIPTION "login session"

void password_check_plan_done(PasswordCheckPlan *p) {
        erase_and_freep(&p->hash);
        free(p->pam_service);
        *p = (PasswordCheckPlan) {};
}

/* The stored hash of an account that can log in with a password, else the dummy, so that
 * an unknown account, a service account and a wrong password all cost one yescrypt.  An
 * account whose password is a PAM service's costs the dummy's yescrypt too, and then asks
 * the service. */
static int plan_check(const LoginContext *c, const char *name, PasswordCheckPlan *ret) {
        _cleanup_(account_secrets_done) AccountSecrets secrets = {};
        _cleanup_(account_record_done) AccountRecord a = {};
        const char *hash = c->dummy_hash, *service = NULL;

        *ret = (PasswordCheckPlan) {};
        if (account_name_is_valid(name) && store_account_get(c->store, name, &a) >= 0 && a.kind == ACCOUNT_HUMAN) {
                if (password_source_parse(a.password_source, &service) < 0)
                        return -EUCLEAN;   /* the store holds what SetPasswordSource never writes */
                if (!service && store_account_get_secrets(c->store, name, &secrets) >= 0 &&
                    !isempty(secrets.password_hash))
                        hash = secrets.password_hash;
        }
        ret->hash = strdup(hash);
        ret->pam_service = service ? strdup(service) : NULL;
        if (!ret->hash || (service && !ret->pam_service)) {
                password_check_plan_done(ret);
                return -ENOMEM;
        }
        return 0;
}

int login_prepare(const LoginContext *c, const char *account, const char *remote, usec_t now,
                  LoginVerdict *ret, PasswordCheckPlan *ret_plan) {
        LoginFacts f = {
                .rate_limited = ratelimit_exceeded(c->lockout->ratelimit, remote, now),
                .name_valid = account_name_is_valid(account),
                .password = PASSWORD_UNCHECKED,
        };

        *ret_plan = (PasswordCheckPlan) {};
        if (!f.rate_limited && f.name_valid)
                f.locked_out = lockout_active_from(c->lockout, account, remote, now, &f.locked_until);
        *ret = login_verdict(&f, NULL, NULL);
        if (!ret->check_password)
                return 0;
        return plan_check(c, account, ret_plan);
}

LoginVerdict login_queue_full(void) {
        return login_verdict(&(LoginFacts) { .password = PASSWORD_QUEUE_FULL }, NULL, NULL);
}

void login_outcome_done(LoginOutcome *o) {
        explicit_bzero(o->session_token, sizeof o->session_token);
        free(o->session_id);
        o->session_id = NULL;
}

static int issue_session(const LoginContext *c, const AccountRecord *a, usec_t now, LoginOutcome *o) {
        char *empty[] = { NULL };
        TokenRecord t = {
                .type = TOKEN_SESSION,
                .owner = TOKEN_OWNER_ACCOUNT,
                .account_id = a->id,
                .scope = empty,
                .description = (char *) SESSION_DESCRIPTION,
                .created_by = a->name,
                .created_at = now,
                .expires_at = now + c->session_lifetime,
                .cidrs = empty,
        };
        int r = token_mint(c->store, &t, o->session_token);
        if (r < 0)
                return r;
        o->session_id = t.id;
        o->session_expires_at = t.expires_at;
        return 0;
}

static int carry_out(const LoginContext *c, const LoginAttempt *q, const LoginVerdict *v, const AccountRecord *a,
                     usec_t now, LoginOutcome *o) {
        int r;

        if (v->count_failure == LOGIN_FAILURE_ACCOUNT) {
                r = lockout_note_failure(c->lockout, q->account, q->remote, now);
                if (r < 0)
                        return r;
        } else if (v->count_failure == LOGIN_FAILURE_REMOTE)
                ratelimit_note_failure(c->lockout->ratelimit, q->remote, now);

        if (v->clear_failures) {
                r = lockout_clear(c->lockout, q->account, q->remote);
                if (r < 0)
                        return r;
        }
        if (v->issue_session) {
                r = issue_session(c, a, now, o);
                if (r < 0)
                        return r;
        }
        if (v->audit_refusal) {
                log_warning("login of %s refused: %s", q->account, v->audit_refusal);
                r = audit_record_repeatable(c->store, now, AUDIT_LOGIN, NULL, AUDIT_RESULT_FAILED, q->account,
                                            q->remote, v->audit_refusal);
                if (r < 0)
                        return r;
        }
        if (v->audit_login) {
                r = audit_record(c->store, now, AUDIT_LOGIN, NULL, AUDIT_RESULT_OK, a->name, o->session_id, q->remote,
                                 v->audit_reason);
                if (r < 0)
                        return r;
        }
        return 0;
}

int login_finish(const LoginContext *c, const LoginAttempt *q, usec_t now, LoginOutcome *o) {
        _cleanup_(account_record_done) AccountRecord a = {};
        _cleanup_transaction_ Transaction tx = {};
        OtpRepeat repeat = {
                .reuse = c->code_reuse,
                .subject = q->account,
                .secret = q->password,
                .remote = q->remote,
        };
        OtpCheckRequest otp = {
                .store = c->store,
                .account = q->account,
                .code = q->otp,
                .allow_recovery = true,
                .repeat = q->verified == 1 ? &repeat : NULL,
                .recovery_hold = c->lockout->recovery_hold,
                .now = now,
        };
        LoginFacts f = {
                .name_valid = account_name_is_valid(q->account),
                .password = q->verified == 1      ? PASSWORD_MATCH :
                            q->backend_unavailable ? PASSWORD_BACKEND_UNAVAILABLE : PASSWORD_MISMATCH,
                .otp_given = !isempty(q->otp),
        };
        LoginVerdict v;
        int r;

        /* Counters and the login audit are written on every login, so they are not fsync'd
         * (they still survive kill -9); a login that spends a TOTP counter or a recovery code
         * is, so that no power loss can make a used code good again. */
        r = f.otp_given ? store_begin(c->store, &tx) : store_begin_relaxed(c->store, &tx);
        if (r < 0)
                return r;

        f.locked_out = lockout_active_from(c->lockout, q->account, q->remote, now, &f.locked_until);
        if (!f.locked_out && f.name_valid && store_account_get(c->store, q->account, &a) >= 0) {
                f.account_known = a.kind == ACCOUNT_HUMAN;
                f.account_locked = a.locked;
                f.twofa = a.twofa;
        }
        f.session_requested = q->want_session;

        v = login_verdict(&f, second_factor_checker, &otp);
        if (v.error < 0)
                return v.error;
        /* The same client sending the same password and code again (pip's second request) is
         * the login already recorded, not a new one. */
        if (repeat.repeated)
                v.audit_login = false;

        *o = (LoginOutcome) {
                .result = v.result,
                .reason = v.reason,
                .locked_until = v.locked_until,
        };
        r = carry_out(c, q, &v, &a, now, o);
        if (r < 0)
                return r;
        return v.commit ? store_commit(&tx) : 0;
}

int password_change_prepare(const LoginContext *c, const PasswordChange *q, usec_t now, char **ret_hash,
                            const char **ret_message) {
        _cleanup_(password_check_plan_done) PasswordCheckPlan plan = {};
        _cleanup_(account_record_done) AccountRecord a = {};
        int r;

        *ret_hash = NULL;
        r = account_load(c->store, q->account, &a);
        if (r < 0)
                return r;
        if (a.kind != ACCOUNT_HUMAN) {
                *ret_message = "Service accounts have no password; they only hold tokens.";
                return -ERR_ACCESS_DENIED;
        }
        if (!isempty(a.password_source)) {
                *ret_message = "The account's password comes from a PAM service of the system; change it there "
                               "(or make it local first: SetPasswordSource).";
                return -ERR_ACCESS_DENIED;
        }
        if (password_check_acceptable(q->password, q->min_length, ret_message) < 0)
                return -ERR_INVALID_ARGUMENT;
        if (q->old_password && lockout_active_from(c->lockout, q->account, "", now, NULL)) {
                *ret_message = "Too many failed attempts; the account is locked for a while.";
                return -ERR_RATE_LIMITED;
        }
        if (!q->admin && a.locked) {
                *ret_message = "The account is locked.";
                return -ERR_ACCESS_DENIED;
        }
        /* On a user's behalf, an account with 2FA proves presence with a code too (the code is
         * spent now, before the slow hash; a wrong old password then still fails the call). */
        if (!q->admin && a.twofa != TWOFA_DISABLED) {
                r = second_factor_require_now(c->lockout, a.name, q->otp, /* allow_recovery= */ true, now, ret_message);
                if (r < 0)
                        return r;
        }
        if (!q->old_password)
                return 0;
        r = plan_check(c, a.name, &plan);
        if (r < 0)
                return r;
        *ret_hash = plan.hash;
        plan.hash = NULL;   /* the caller's now */
        return 0;
}

int password_change_finish(const LoginContext *c, const char *account, int verified, const char *new_hash,
                           uid_t caller, usec_t now) {
        _cleanup_(account_record_done) AccountRecord a = {};
        _cleanup_transaction_ Transaction tx = {};
        int r;

        r = store_begin(c->store, &tx);
        if (r < 0)
                return r;
        if (verified != 1)
                return lockout_refuse(c->lockout, &tx, account, "", now, -ERR_BAD_PASSWORD);
        if (!new_hash)
                return -EIO;
        r = store_account_get(c->store, account, &a);
        if (r == -ENOENT)
                return -ERR_NO_SUCH_ACCOUNT;
        if (r >= 0)
                r = store_account_set_password(c->store, a.id, new_hash);
        if (r >= 0)
                r = audit_admin(c->store, now, AUDIT_PASSWORD_CHANGE, caller, NULL, a.name);
        if (r >= 0)
                r = store_commit(&tx);
        return r;
}
