/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Passwords on the bus: Authenticate (logins) and SetPassword.
 *
 * Password hashing is slow on purpose, so it runs on the worker pool: a handler prepares
 * (login.c), queues a PasswordJob and returns without replying; the job hashes on a worker
 * thread, and its done() callback finishes (login.c again) and answers, on the event loop,
 * where the store may be used. */

#include "bus-auth.h"
#include "bus-caller.h"
#include "bus-error.h"
#include "bus-methods.h"
#include "bus-util.h"
#include "erase.h"
#include "input-limits.h"
#include "login.h"
#include "pam-backend.h"
#include "password.h"

typedef enum PasswordJobKind {
        JOB_AUTHENTICATE,
        JOB_SET_PASSWORD,
        JOB_PROOF,               /* a registry's password proof (bus_prove_password()) */
} PasswordJobKind;

typedef struct PasswordJob {
        PasswordJobKind kind;
        Manager *manager;
        sd_bus_message *message;
        char *account;
        char *password;          /* secret: erased */
        char *otp;               /* secret: erased */
        char *old_password;      /* secret: erased; SetPassword with proof */
        char *stored_hash;       /* to verify against: the account's, or the dummy */
        char *pam_service;       /* the account's password is this PAM service's; NULL none */
        PamBackend *pam;
        char *remote;
        bool want_session;
        uid_t caller;
        unsigned long cost;      /* SetPassword: yescrypt cost of the new hash */
        PasswordProven proven;   /* JOB_PROOF: what to do for the proven account */
        const void *proven_userdata;

        /* Results, written by the worker thread. */
        int verified;            /* 1 match, 0 mismatch, < 0 failure */
        char *new_hash;
        int hash_error;
} PasswordJob;

static LoginContext login_context(Manager *m) {
        return (LoginContext) {
                .store = m->store,
                .lockout = &m->lockout,
                .dummy_hash = m->dummy_hash,
                .session_lifetime = m->config.session_lifetime,
                .code_reuse = m->code_reuse,
        };
}

static void password_job_free(PasswordJob *j) {
        if (!j)
                return;
        sd_bus_message_unref(j->message);
        free(j->account);
        erase_and_freep(&j->password);
        erase_and_freep(&j->otp);
        erase_and_freep(&j->old_password);
        erase_and_freep(&j->stored_hash);
        erase_and_freep(&j->new_hash);
        free(j->pam_service);
        free(j->remote);
        free(j);
}

/* On a worker thread: no bus, no store. */
static void password_job_run(void *userdata) {
        PasswordJob *j = userdata;

        if (j->kind != JOB_SET_PASSWORD) {
                j->verified = password_verify(j->password, j->stored_hash);
                if (j->pam_service)
                        j->verified = pam_backend_check(j->pam, j->pam_service, j->account, j->password);
                else if (j->verified != 1)
                        pam_backend_equalise(j->pam);
                return;
        }
        j->verified = j->old_password ? password_verify(j->old_password, j->stored_hash) : 1;
        if (j->verified == 1)
                j->hash_error = password_hash(j->password, j->cost, &j->new_hash);
}

static void password_job_done(void *userdata);

/* Takes ownership of j, also on failure (-ENOMEM when one of its copies failed, -EBUSY when
 * the queue is full); on success the job's message is answered by password_job_done(). */
static int submit_password_job(Manager *m, PasswordJob *j, bool copies_ok) {
        int r = copies_ok ? worker_pool_submit(m->workers, password_job_run, password_job_done, j) : -ENOMEM;
        if (r < 0) {
                j->message = NULL;   /* not referenced yet */
                password_job_free(j);
                return r;
        }
        sd_bus_message_ref(j->message);
        return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Authenticate                                                                               */

static int reply_authn(sd_bus_message *msg, AuthnResult result, const char *reason, const LoginOutcome *o,
                       usec_t locked_until) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        /* The reply may carry a session token: let sd-bus wipe it when freed. */
        r = sd_bus_message_sensitive(reply);
        if (r < 0)
                return r;
        APPEND(sd_bus_message_append(reply, "ss", authn_result_to_string(result), reason));
        APPEND(sd_bus_message_open_container(reply, 'a', "{sv}"));
        if (o && o->session_id) {
                APPEND(append_entry(reply, "session_id", "s", o->session_id));
                APPEND(append_entry(reply, "session_token", "s", o->session_token));
                APPEND(append_entry(reply, "session_expires_at", "t", (uint64_t) o->session_expires_at));
        }
        if (locked_until)
                APPEND(append_entry(reply, "locked_until", "t", (uint64_t) locked_until));
        APPEND(sd_bus_message_close_container(reply));
        return sd_bus_send(NULL, reply, NULL);
}

static int proof_refusal(AuthnResult result);

/* After the hash of a login or a registry's password proof: the verdict, then the answer. */
static void login_done(PasswordJob *j) {
        _cleanup_(login_outcome_done) LoginOutcome o = {};
        LoginContext c = login_context(j->manager);
        int r;

        r = login_finish(&c, &(LoginAttempt) {
                                 .account = j->account,
                                 .otp = j->otp,
                                 .password = j->password,
                                 .remote = j->remote,
                                 .want_session = j->want_session,
                                 .verified = j->verified,
                                 .backend_unavailable = j->pam_service && j->verified < 0,
                         }, now_realtime_usec(), &o);
        if (r < 0)
                (void) bus_reply_errno(j->message, r, NULL);
        else if (j->kind == JOB_AUTHENTICATE)
                (void) reply_authn(j->message, o.result, o.reason, &o, o.locked_until);
        else if (o.result != AUTHN_OK)
                (void) bus_reply_errno(j->message, proof_refusal(o.result), o.reason);
        else
                j->proven(j->manager, j->message, j->account, j->caller, j->proven_userdata);
}

/* Queues the check of a login (or proof) for account, password and otp; takes the plan's
 * contents.  Returns 0 when queued, -EBUSY when the queue is full, or a negative errno. */
static int submit_login_job(Manager *m, sd_bus_message *msg, PasswordJob *template, const char *account,
                            const char *password, const char *otp, const char *remote, PasswordCheckPlan *plan) {
        PasswordJob *j = calloc(1, sizeof *j);
        if (!j)
                return -ENOMEM;
        *j = *template;
        j->manager = m;
        j->message = msg;
        j->account = strndup(account, ACCOUNT_NAME_MAX + 1);
        j->password = strdup(password);
        j->otp = strndup(otp, OTP_INPUT_MAX);
        j->remote = strndup(remote, REMOTE_MAX);
        j->stored_hash = plan->hash;
        j->pam_service = plan->pam_service;
        j->pam = &m->pam;
        *plan = (PasswordCheckPlan) {};   /* the job's now */
        return submit_password_job(m, j, j->account && j->password && j->otp && j->remote && j->stored_hash);
}

int method_authenticate(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        LoginContext c = login_context(m);
        const char *account, *password, *otp, *remote = "";
        _cleanup_(password_check_plan_done) PasswordCheckPlan plan = {};
        bool want_session = false;
        LoginVerdict v;
        int r;

        r = bus_begin_call(m, msg, &(BusCall) {
                .verifier = true,
                .check_first = true,
                BUS_OPTIONS({ "remote", OPTION_STRING, &remote }, { "session", OPTION_BOOL, &want_session }),
        }, error, "sss", &account, &password, &otp);
        if (r < 0)
                return r;
        r = bus_check_remote(remote, error);
        if (r < 0)
                return r;

        r = login_prepare(&c, account, remote, now_realtime_usec(), &v, &plan);
        if (r < 0)
                return bus_error_set_errno_message(error, r, NULL);
        if (!v.check_password)
                return reply_authn(msg, v.result, v.reason, NULL, v.locked_until);

        r = submit_login_job(m, msg, &(PasswordJob) { .kind = JOB_AUTHENTICATE, .want_session = want_session },
                             account, password, otp, remote, &plan);
        if (r == -EBUSY) {
                v = login_queue_full();
                return reply_authn(msg, v.result, v.reason, NULL, 0);
        }
        if (r < 0)
                return r;
        return 1;   /* answered by authenticate_done() */
}

/* ------------------------------------------------------------------------------------------ */
/* SetPassword                                                                                */

static void set_password_done(PasswordJob *j) {
        LoginContext c = login_context(j->manager);
        int r;

        r = password_change_finish(&c, j->account, j->verified, j->hash_error < 0 ? NULL : j->new_hash, j->caller,
                                   now_realtime_usec());
        switch (-r) {
        case 0:
                (void) sd_bus_reply_method_return(j->message, NULL);
                break;
        case ERR_BAD_PASSWORD:
                (void) bus_reply_errno(j->message, r, "The old password is wrong.");
                break;
        case ERR_NO_SUCH_ACCOUNT: {
                _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
                (void) bus_error_set_account(&e, r, j->account);
                (void) sd_bus_reply_method_error(j->message, &e);
                break;
        }
        default:
                (void) sd_bus_reply_method_errorf(j->message, SD_BUS_ERROR_FAILED,
                                                  "Could not set the password; see the pkgtokend log.");
        }
}

int method_set_password(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(erase_and_freep) char *hash = NULL;
        _cleanup_free_ char *linked = NULL;
        Manager *m = userdata;
        LoginContext c = login_context(m);
        const char *account, *password, *old_password = NULL, *otp = "", *message = NULL;
        bool admin;
        uid_t caller;
        PasswordJob *j;
        int r;

        r = bus_begin_call(m, msg, &(BusCall) {
                .verifier = true,
                .check_first = true,
                .ret_uid = &caller,
                .ret_admin = &admin,
                .ret_linked = &linked,
                BUS_OPTIONS({ "old_password", OPTION_STRING, &old_password }, { "otp", OPTION_STRING, &otp }),
        }, error, "ss", &account, &password);
        if (r < 0)
                return r;
        /* A linked Unix user changes its own account's password only; "" names it. */
        if (linked && isempty(account))
                account = linked;
        if (linked && !streq(account, linked))
                return bus_error_set_errno_message(error, -ERR_ACCESS_DENIED, "Access denied: a linked Unix user "
                                                   "changes its own account's password only.");
        /* A registry front end (PAM's chauthtok) and a linked user change a password on the
         * user's behalf and must prove it with the old one (and the current code where the
         * account has 2FA); admins may set one outright. */
        if (!admin && !old_password)
                return bus_error_set_errno_message(error, -ERR_ACCESS_DENIED, "Give the old password.");

        r = password_change_prepare(&c, &(PasswordChange) {
                                            .account = account,
                                            .password = password,
                                            .old_password = old_password,
                                            .otp = otp,
                                            .admin = admin,
                                            .min_length = m->config.min_password_length,
                                    }, now_realtime_usec(), &hash, &message);
        if (r == -ERR_INVALID_ARGUMENT && message)
                return bus_error_set_errnof(error, r, "Unacceptable password: %s", message);
        if (r < 0 && !message)
                return bus_error_set_account(error, r, account);
        if (r < 0)
                return bus_error_set_errno_message(error, r, message);

        j = calloc(1, sizeof *j);
        if (!j)
                return -ENOMEM;
        *j = (PasswordJob) {
                .kind = JOB_SET_PASSWORD,
                .manager = m,
                .message = msg,
                .account = strdup(account),
                .password = strdup(password),
                .old_password = old_password ? strdup(old_password) : NULL,
                .stored_hash = hash,
                .caller = caller,
                .cost = m->config.password_cost,
        };
        hash = NULL;   /* the job's now */
        r = submit_password_job(m, j, j->account && j->password && (!old_password || j->old_password) &&
                                      (!old_password || j->stored_hash));
        if (r == -EBUSY)
                return bus_error_set_errno_message(error, -ERR_RATE_LIMITED,
                                                   "Too many password operations at once; try again.");
        if (r < 0)
                return r;
        return 1;   /* answered by set_password_done() */
}

/* ------------------------------------------------------------------------------------------ */
/* Password proofs of the registry API                                                        */

/* A login's refusal as the error of the registry's call: unknown account and wrong password
 * alike. */
static int proof_refusal(AuthnResult result) {
        switch (result) {
        case AUTHN_OTP_REQUIRED:
                return -ERR_OTP_REQUIRED;
        case AUTHN_BAD_OTP:
                return -ERR_BAD_OTP;
        case AUTHN_LOCKED:
                return -ERR_FORBIDDEN;
        case AUTHN_RATE_LIMITED:
                return -ERR_RATE_LIMITED;
        default:
                return -ERR_BAD_CREDENTIALS;
        }
}

int bus_prove_password(Manager *m, sd_bus_message *msg, const PasswordProof *p, uid_t caller,
                       PasswordProven proven, const void *userdata, sd_bus_error *error) {
        _cleanup_(password_check_plan_done) PasswordCheckPlan plan = {};
        LoginContext c = login_context(m);
        LoginVerdict v;
        int r;

        r = login_prepare(&c, p->account, p->remote, now_realtime_usec(), &v, &plan);
        if (r < 0)
                return bus_error_set_errno_message(error, r, NULL);
        if (!v.check_password)
                return bus_error_set_errno_message(error, proof_refusal(v.result), v.reason);

        r = submit_login_job(m, msg, &(PasswordJob) {
                                     .kind = JOB_PROOF,
                                     .caller = caller,
                                     .proven = proven,
                                     .proven_userdata = userdata,
                             }, p->account, p->password, p->otp, p->remote, &plan);
        if (r == -EBUSY)
                return bus_error_set_errno_message(error, -ERR_RATE_LIMITED, "Too many logins at once; try again.");
        if (r < 0)
                return r;
        return 1;   /* answered by proof_done() and proven() */
}

static void password_job_done(void *userdata) {
        PasswordJob *j = userdata;

        if (j->kind == JOB_SET_PASSWORD)
                set_password_done(j);
        else
                login_done(j);
        password_job_free(j);
}
