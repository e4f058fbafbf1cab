/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Passwords, TOTP two-factor authentication, recovery codes and lockouts (design §3, §6).
 *
 * Password hashing is slow on purpose, so it runs on the worker pool; the method handlers
 * below that need it return without replying and answer from the job's done() callback, on
 * the event loop, where the store may be used again. */

#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "bus-util.h"
#include "erase.h"
#include "manager.h"
#include "names.h"
#include "otp.h"
#include "password.h"
#include "validate.h"

#define SESSION_DESCRIPTION "login session"

/* ------------------------------------------------------------------------------------------ */
/* Lockouts                                                                                   */

bool manager_locked_out(Manager *m, const char *name, usec_t now, usec_t *ret_until) {
        FailureRecord f;

        /* If the counters cannot be read, treat the name as locked: fail closed. */
        if (store_failures_get(m->store, name, &f) < 0)
                f.locked_until = UINT64_MAX;
        if (ret_until)
                *ret_until = f.locked_until;
        return f.locked_until > now;
}

int manager_note_auth_failure(Manager *m, const char *name, const char *remote, usec_t now) {
        FailureRecord f;
        int r;

        ratelimit_note_failure(m->ratelimit, remote, now);
        r = store_failures_get(m->store, name, &f);
        if (r < 0)
                return r;
        if (f.window_start + m->config.lockout_window <= now) {
                /* A new window for this name: a good moment to forget names whose windows and
                 * lockouts are over, so guessed names do not pile up. */
                r = store_failures_prune(m->store, now - MAX(m->config.lockout_window, m->config.lockout_duration));
                if (r < 0)
                        return r;
                f = (FailureRecord) { .window_start = now, .locked_until = f.locked_until };
        }
        f.count++;
        if (f.count < m->config.lockout_threshold)
                return store_failures_put(m->store, name, &f);

        f = (FailureRecord) { .window_start = now, .locked_until = now + m->config.lockout_duration };
        r = store_failures_put(m->store, name, &f);
        if (r < 0)
                return r;
        r = audit_event(m, "lockout", "", "locked", name, "", remote, "too many failed passwords or OTPs");
        return r < 0 ? r : 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Second factor                                                                              */

static bool remote_is_valid(const char *remote) {
        uint8_t addr[16];
        int family;
        return strlen(remote) <= 64 && address_parse(remote, &family, addr) >= 0;
}

static int verify_totp(Manager *m, const AccountSecrets *secrets, const char *code, usec_t now) {
        uint64_t counter;
        int r;

        r = totp_verify(secrets->totp_secret, secrets->totp_secret_size, code, (time_t) (now / USEC_PER_SEC),
                        secrets->totp_last_counter, &counter);
        if (r < 0)
                return r;
        /* The counter moves in the same transaction as the check: a second request with the
         * same code sees the new counter and is refused as a replay. */
        r = store_account_advance_totp_counter(m->store, secrets->id, counter);
        if (r < 0)
                return r;
        return r == 0 ? -EALREADY : 0;
}

static int verify_recovery_code(Manager *m, const AccountSecrets *secrets, const char *code) {
        char normalized[RECOVERY_CODE_LEN + 1];
        uint8_t hash[RECOVERY_CODE_HASH_SIZE];
        int r;

        r = recovery_code_normalize(code, normalized);
        if (r < 0)
                return -EINVAL;
        r = recovery_code_hash(normalized, hash);
        explicit_bzero(normalized, sizeof normalized);
        if (r < 0)
                return r;
        r = store_recovery_code_consume(m->store, secrets->id, hash);
        if (r < 0)
                return r;
        return r > 0 ? 0 : -EACCES;
}

int manager_verify_second_factor(Manager *m, const AccountSecrets *secrets, const char *code,
                                 bool allow_recovery, usec_t now) {
        if (secrets->totp_secret_size == 0)
                return -EACCES;
        if (otp_code_is_wellformed(code))
                return verify_totp(m, secrets, code, now);
        if (allow_recovery)
                return verify_recovery_code(m, secrets, code);
        return -EINVAL;
}

static int second_factor_error(sd_bus_error *error, int r) {
        switch (r) {
        case -EALREADY:
                return sd_bus_error_set(error, PKGTOKEN_ERROR_REPLAYED_OTP, "This code was used already; wait for the next one.");
        case -EINVAL:
                return sd_bus_error_set(error, PKGTOKEN_ERROR_BAD_OTP, "Malformed code: give the 6 digits from the authenticator app.");
        case -EACCES:
                return sd_bus_error_set(error, PKGTOKEN_ERROR_BAD_OTP, "Wrong code.");
        default:
                return reply_store_error(error, r, SD_BUS_ERROR_FAILED, "account");
        }
}

int check_second_factor_for_management(Manager *m, Transaction *tx, const char *account, const char *otp,
                                       bool allow_recovery, usec_t now, sd_bus_error *error) {
        _cleanup_(account_secrets_done) AccountSecrets secrets = {};
        int r;

        if (isempty(otp))
                return sd_bus_error_set(error, PKGTOKEN_ERROR_OTP_REQUIRED,
                                        "This account has two-factor authentication: give a current code.");
        if (manager_locked_out(m, account, now, NULL))
                return sd_bus_error_set(error, PKGTOKEN_ERROR_RATE_LIMITED,
                                        "Too many failed attempts; the account is locked for a while.");
        r = store_account_get_secrets(m->store, account, &secrets);
        if (r < 0)
                return reply_store_error(error, r, PKGTOKEN_ERROR_NO_SUCH_ACCOUNT, "account");
        r = manager_verify_second_factor(m, &secrets, otp, allow_recovery, now);
        if (r == -EINVAL || r == -EACCES || r == -EALREADY) {
                /* The failure must be counted even though the call fails. */
                int k = manager_note_auth_failure(m, account, "", now);
                if (k >= 0)
                        k = store_commit(tx);
                if (k < 0)
                        return reply_store_error(error, k, SD_BUS_ERROR_FAILED, "account");
        }
        if (r < 0)
                return second_factor_error(error, r);
        return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Password jobs                                                                              */

typedef enum PasswordJobKind {
        JOB_AUTHENTICATE,
        JOB_SET_PASSWORD,
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
        char *remote;
        bool want_session;
        uid_t caller;

        /* Results, written by the worker thread. */
        int verified;            /* 1 match, 0 mismatch, < 0 failure */
        char *new_hash;
        int hash_error;
} PasswordJob;

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
        free(j->remote);
        free(j);
}

static void password_job_run(void *userdata) {
        PasswordJob *j = userdata;

        if (j->kind == JOB_AUTHENTICATE) {
                j->verified = password_verify(j->password, j->stored_hash);
                return;
        }
        j->verified = j->old_password ? password_verify(j->old_password, j->stored_hash) : 1;
        if (j->verified == 1)
                j->hash_error = password_hash(j->password, j->manager->config.password_cost, &j->new_hash);
}

/* The stored hash of an account that can log in with a password, else the dummy, so that
 * an unknown account, a service account and a wrong password all cost one yescrypt. */
static int hash_to_check(Manager *m, const char *name, char **ret) {
        _cleanup_(account_secrets_done) AccountSecrets secrets = {};
        _cleanup_(account_record_done) AccountRecord a = {};
        const char *hash = m->dummy_hash;

        if (account_name_is_valid(name) &&
            store_account_get(m->store, name, &a) >= 0 && a.kind == ACCOUNT_HUMAN &&
            store_account_get_secrets(m->store, name, &secrets) >= 0 && !isempty(secrets.password_hash))
                hash = secrets.password_hash;
        *ret = strdup(hash);
        return *ret ? 0 : -ENOMEM;
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

static int reply_authn(sd_bus_message *msg, AuthnResult result, const char *reason, const char *session_id,
                       const char *session_token, usec_t session_expires_at, usec_t locked_until) {
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
        if (session_token) {
                APPEND(append_entry(reply, "session_id", "s", session_id));
                APPEND(append_entry(reply, "session_token", "s", session_token));
                APPEND(append_entry(reply, "session_expires_at", "t", (uint64_t) session_expires_at));
        }
        if (locked_until)
                APPEND(append_entry(reply, "locked_until", "t", (uint64_t) locked_until));
        APPEND(sd_bus_message_close_container(reply));
        return sd_bus_send(NULL, reply, NULL);
}

static int create_session(Manager *m, const AccountRecord *a, usec_t now, char **ret_id,
                          char secret[static TOKEN_LEN + 1], usec_t *ret_expires) {
        char *empty[] = { NULL };
        TokenRecord t = {
                .type = TOKEN_SESSION,
                .owner = TOKEN_OWNER_ACCOUNT,
                .account_id = a->id,
                .scope = empty,
                .description = (char *) SESSION_DESCRIPTION,
                .created_by = a->name,
                .created_at = now,
                .expires_at = now + m->config.session_lifetime,
                .cidrs = empty,
        };
        int r = insert_new_token(m, &t, secret);
        if (r < 0)
                return r;
        *ret_id = t.id;
        *ret_expires = t.expires_at;
        return 0;
}

typedef struct AuthnOutcome {
        AuthnResult result;
        const char *reason;
        usec_t locked_until;
        char *session_id;
        usec_t session_expires_at;
        char session_token[TOKEN_LEN + 1];
} AuthnOutcome;

/* Everything after the password check, in one write transaction. */
static int finish_authentication(Manager *m, PasswordJob *j, usec_t now, AuthnOutcome *o) {
        _cleanup_(account_secrets_done) AccountSecrets secrets = {};
        _cleanup_(account_record_done) AccountRecord a = {};
        _cleanup_transaction_ Transaction tx = {};
        bool known;
        int r;

        /* Counters and the login audit are written on every login, so they are not fsync'd
         * (they still survive kill -9); a login that spends a TOTP counter or a recovery code
         * is, so that no power loss can make a used code good again. */
        r = isempty(j->otp) ? store_begin_relaxed(m->store, &tx) : store_begin(m->store, &tx);
        if (r < 0)
                return r;

        /* A lockout may have begun while the hash was being computed. */
        if (manager_locked_out(m, j->account, now, &o->locked_until)) {
                *o = (AuthnOutcome) { AUTHN_LOCKED, "too many failed attempts", o->locked_until };
                return 0;
        }

        known = account_name_is_valid(j->account) && store_account_get(m->store, j->account, &a) >= 0 &&
                a.kind == ACCOUNT_HUMAN;
        if (j->verified != 1 || !known) {
                if (account_name_is_valid(j->account)) {
                        r = manager_note_auth_failure(m, j->account, j->remote, now);
                        if (r < 0)
                                return r;
                } else
                        ratelimit_note_failure(m->ratelimit, j->remote, now);
                *o = (AuthnOutcome) { AUTHN_BAD_CREDENTIALS, "wrong account name or password" };
                return store_commit(&tx);
        }

        /* Only now, with the right password, may the answer tell that an admin locked it. */
        if (a.locked) {
                *o = (AuthnOutcome) { AUTHN_LOCKED, "the account is locked" };
                return 0;
        }

        if (a.twofa != TWOFA_DISABLED) {
                if (isempty(j->otp)) {
                        *o = (AuthnOutcome) { AUTHN_OTP_REQUIRED, "give the code from your authenticator app" };
                        return 0;
                }
                r = store_account_get_secrets(m->store, j->account, &secrets);
                if (r < 0)
                        return r;
                r = manager_verify_second_factor(m, &secrets, j->otp, /* allow_recovery= */ true, now);
                if (r == -EINVAL || r == -EACCES || r == -EALREADY) {
                        int k = manager_note_auth_failure(m, j->account, j->remote, now);
                        if (k < 0)
                                return k;
                        *o = (AuthnOutcome) { AUTHN_BAD_OTP, r == -EALREADY ? "code already used" : "wrong code" };
                        return store_commit(&tx);
                }
                if (r < 0)
                        return r;
        }

        r = store_failures_clear(m->store, j->account);
        if (r < 0)
                return r;
        if (j->want_session) {
                r = create_session(m, &a, now, &o->session_id, o->session_token, &o->session_expires_at);
                if (r < 0)
                        return r;
        }
        r = audit_event(m, "login", "", "ok", a.name, o->session_id, j->remote,
                        j->want_session ? "session token issued" : "");
        if (r < 0)
                return r;
        o->result = AUTHN_OK;
        o->reason = "ok";
        return store_commit(&tx);
}

static void authenticate_done(PasswordJob *j) {
        AuthnOutcome o = {};
        int r;

        r = finish_authentication(j->manager, j, now_realtime_usec(), &o);
        if (r < 0)
                (void) sd_bus_reply_method_errorf(j->message, SD_BUS_ERROR_FAILED,
                                                  "The token store failed; see the pkgtokend log.");
        else
                (void) reply_authn(j->message, o.result, o.reason, o.session_id,
                                   o.session_id ? o.session_token : NULL, o.session_expires_at, o.locked_until);
        explicit_bzero(o.session_token, sizeof o.session_token);
        free(o.session_id);
}

int method_authenticate(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *account, *password, *otp, *remote = "";
        bool want_session = false;
        usec_t now = now_realtime_usec(), locked_until;
        PasswordJob *j;
        int r;

        r = verify_verifier(m, msg, error, NULL, NULL);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "sss", &account, &password, &otp);
        if (r < 0)
                return r;
        r = read_options(msg, (const OptionSpec[]) {
                { "remote", OPTION_STRING, &remote },
                { "session", OPTION_BOOL, &want_session },
        }, 2, error);
        if (r < 0)
                return r;
        if (!isempty(remote) && !remote_is_valid(remote))
                return invalid_argument(error, "Invalid remote address: use an IPv4 or IPv6 address.");

        if (ratelimit_exceeded(m->ratelimit, remote, now))
                return reply_authn(msg, AUTHN_RATE_LIMITED, "too many failed attempts from this address", NULL, NULL, 0, 0);
        /* Locked-out names (known or not) are answered without looking at the password, so a
         * guesser learns nothing more until the lockout ends. */
        if (account_name_is_valid(account) && manager_locked_out(m, account, now, &locked_until))
                return reply_authn(msg, AUTHN_LOCKED, "too many failed attempts", NULL, NULL, 0, locked_until);

        j = calloc(1, sizeof *j);
        if (!j)
                return -ENOMEM;
        *j = (PasswordJob) {
                .kind = JOB_AUTHENTICATE,
                .manager = m,
                .message = msg,
                .account = strndup(account, ACCOUNT_NAME_MAX + 1),
                .password = strdup(password),
                .otp = strndup(otp, 64),
                .remote = strndup(remote, 64),
                .want_session = want_session,
        };
        r = hash_to_check(m, account, &j->stored_hash);
        r = submit_password_job(m, j, r >= 0 && j->account && j->password && j->otp && j->remote);
        if (r == -EBUSY)
                return reply_authn(msg, AUTHN_RATE_LIMITED, "too many logins at once; try again", NULL, NULL, 0, 0);
        if (r < 0)
                return r;
        return 1;   /* answered by authenticate_done() */
}

/* ------------------------------------------------------------------------------------------ */
/* SetPassword                                                                                */

static void set_password_done(PasswordJob *j) {
        _cleanup_(account_record_done) AccountRecord a = {};
        _cleanup_transaction_ Transaction tx = {};
        Manager *m = j->manager;
        usec_t now = now_realtime_usec();
        int r;

        r = store_begin(m->store, &tx);
        if (r < 0)
                goto fail;
        if (j->verified != 1) {
                r = manager_note_auth_failure(m, j->account, "", now);
                if (r >= 0)
                        r = store_commit(&tx);
                if (r < 0)
                        goto fail;
                (void) sd_bus_reply_method_errorf(j->message, PKGTOKEN_ERROR_BAD_PASSWORD, "The old password is wrong.");
                return;
        }
        if (j->hash_error < 0 || !j->new_hash) {
                r = j->hash_error ?: -EIO;
                goto fail;
        }
        r = store_account_get(m->store, j->account, &a);
        if (r == -ENOENT) {
                (void) sd_bus_reply_method_errorf(j->message, PKGTOKEN_ERROR_NO_SUCH_ACCOUNT, "No such account '%s'.", j->account);
                return;
        }
        if (r >= 0)
                r = store_account_set_password(m->store, a.id, j->new_hash);
        if (r >= 0)
                r = audit_admin(m, "password-change", "", j->caller, "", a.name);
        if (r >= 0)
                r = store_commit(&tx);
        if (r < 0)
                goto fail;
        (void) sd_bus_reply_method_return(j->message, NULL);
        return;

fail:
        (void) sd_bus_reply_method_errorf(j->message, SD_BUS_ERROR_FAILED, "Could not set the password; see the pkgtokend log.");
}

int method_set_password(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(account_record_done) AccountRecord a = {};
        Manager *m = userdata;
        const char *account, *password, *old_password = NULL, *otp = "", *reason;
        bool admin;
        uid_t caller;
        PasswordJob *j;
        int r;

        r = verify_verifier(m, msg, error, &caller, &admin);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "ss", &account, &password);
        if (r < 0)
                return r;
        r = read_options(msg, (const OptionSpec[]) {
                { "old_password", OPTION_STRING, &old_password },
                { "otp", OPTION_STRING, &otp },
        }, 2, error);
        if (r < 0)
                return r;
        /* A registry front end (PAM's chauthtok) changes a password on the user's behalf and
         * must prove it with the old one; admins may set one outright. */
        if (!admin && !old_password)
                return sd_bus_error_set(error, PKGTOKEN_ERROR_ACCESS_DENIED, "Give the old password.");
        r = load_account(m, account, &a, error);
        if (r < 0)
                return r;
        if (a.kind != ACCOUNT_HUMAN)
                return sd_bus_error_set(error, PKGTOKEN_ERROR_ACCESS_DENIED,
                                        "Service accounts have no password; they only hold tokens.");
        if (password_check_acceptable(password, m->config.min_password_length, &reason) < 0)
                return sd_bus_error_setf(error, PKGTOKEN_ERROR_INVALID_ARGUMENT, "Unacceptable password: %s", reason);
        if (old_password && manager_locked_out(m, account, now_realtime_usec(), NULL))
                return sd_bus_error_set(error, PKGTOKEN_ERROR_RATE_LIMITED,
                                        "Too many failed attempts; the account is locked for a while.");
        if (!admin && a.locked)
                return sd_bus_error_set(error, PKGTOKEN_ERROR_ACCESS_DENIED, "The account is locked.");
        /* On a user's behalf, an account with 2FA proves presence with a code too (the code is
         * spent now, before the slow hash; a wrong old password then still fails the call). */
        if (!admin && a.twofa != TWOFA_DISABLED) {
                _cleanup_transaction_ Transaction tx = {};
                r = store_begin(m->store, &tx);
                if (r < 0)
                        return reply_store_error(error, r, SD_BUS_ERROR_FAILED, "account");
                r = check_second_factor_for_management(m, &tx, a.name, otp, /* allow_recovery= */ true,
                                                       now_realtime_usec(), error);
                if (r < 0)
                        return r;
                r = store_commit(&tx);
                if (r < 0)
                        return reply_store_error(error, r, SD_BUS_ERROR_FAILED, "account");
        }

        j = calloc(1, sizeof *j);
        if (!j)
                return -ENOMEM;
        *j = (PasswordJob) {
                .kind = JOB_SET_PASSWORD,
                .manager = m,
                .message = msg,
                .account = strdup(a.name),
                .password = strdup(password),
                .old_password = old_password ? strdup(old_password) : NULL,
                .caller = caller,
        };
        r = old_password ? hash_to_check(m, a.name, &j->stored_hash) : 0;
        r = submit_password_job(m, j, r >= 0 && j->account && j->password && (!old_password || j->old_password));
        if (r == -EBUSY)
                return sd_bus_error_set(error, PKGTOKEN_ERROR_RATE_LIMITED, "Too many password operations at once; try again.");
        if (r < 0)
                return r;
        return 1;   /* answered by set_password_done() */
}

static void password_job_done(void *userdata) {
        PasswordJob *j = userdata;

        if (j->kind == JOB_AUTHENTICATE)
                authenticate_done(j);
        else
                set_password_done(j);
        password_job_free(j);
}

/* ------------------------------------------------------------------------------------------ */
/* TOTP enrolment and 2FA settings                                                            */

int method_enroll_totp(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(account_record_done) AccountRecord a = {};
        _cleanup_(erase_and_freep) char *uri = NULL;
        uint8_t secret[TOTP_SECRET_SIZE];
        Manager *m = userdata;
        const char *account;
        int r;

        r = verify_caller(m, msg, error, NULL);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "s", &account);
        if (r < 0)
                return r;
        r = read_options(msg, NULL, 0, error);
        if (r < 0)
                return r;
        r = load_account(m, account, &a, error);
        if (r < 0)
                return r;
        if (a.kind != ACCOUNT_HUMAN)
                return sd_bus_error_set(error, PKGTOKEN_ERROR_ACCESS_DENIED, "Service accounts have no second factor.");
        if (a.twofa != TWOFA_DISABLED)
                return sd_bus_error_set(error, PKGTOKEN_ERROR_2FA_ENABLED,
                                        "Two-factor authentication is on already; turn it off first to enrol a new app.");

        r = totp_secret_generate(secret);
        if (r >= 0)
                r = totp_uri(m->config.totp_issuer, a.name, secret, sizeof secret, &uri);
        if (r >= 0)
                r = store_account_set_totp_pending(m->store, a.id, secret, sizeof secret);
        explicit_bzero(secret, sizeof secret);
        if (r < 0)
                return reply_store_error(error, r, PKGTOKEN_ERROR_NO_SUCH_ACCOUNT, "account");
        /* SD_BUS_VTABLE_SENSITIVE on the method: the URI holds the secret. */
        return sd_bus_reply_method_return(msg, "s", uri);
}

/* Makes ten recovery codes, stores their hashes and replies with the codes, once. */
static int replace_recovery_codes_and_reply(Manager *m, Transaction *tx, sd_bus_message *msg, int64_t account_id,
                                            sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        uint8_t hashes[RECOVERY_CODES_COUNT][RECOVERY_HASH_SIZE];
        char *codes[RECOVERY_CODES_COUNT + 1] = {};   /* NULL-terminated for append_strv */
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
                r = store_recovery_codes_replace(m->store, account_id, (const uint8_t (*)[RECOVERY_HASH_SIZE]) hashes,
                                                 RECOVERY_CODES_COUNT);
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
                return reply_store_error(error, r, SD_BUS_ERROR_FAILED, "recovery codes");
        return sd_bus_send(NULL, reply, NULL);
}

static int parse_twofa_mode(const char *s, bool empty_is_default, TwoFactorMode *ret, sd_bus_error *error) {
        int mode = empty_is_default && isempty(s) ? TWOFA_AUTH_AND_WRITES : twofa_mode_from_string(s);
        if (mode < 0)
                return invalid_argument(error, "Invalid 2FA mode: use disabled, auth-only or auth-and-writes.");
        *ret = mode;
        return 0;
}

int method_confirm_totp(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(account_secrets_done) AccountSecrets secrets = {};
        _cleanup_(account_record_done) AccountRecord a = {};
        _cleanup_transaction_ Transaction tx = {};
        Manager *m = userdata;
        const char *account, *otp, *mode_string;
        TwoFactorMode mode = TWOFA_AUTH_AND_WRITES;
        uint64_t counter;
        usec_t now = now_realtime_usec();
        int r;

        r = verify_caller(m, msg, error, NULL);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "sss", &account, &otp, &mode_string);
        if (r < 0)
                return r;
        r = read_options(msg, NULL, 0, error);
        if (r < 0)
                return r;
        r = parse_twofa_mode(mode_string, true, &mode, error);
        if (r < 0)
                return r;
        if (mode == TWOFA_DISABLED)
                return invalid_argument(error, "Confirm with auth-only or auth-and-writes.");

        r = store_begin(m->store, &tx);
        if (r < 0)
                return reply_store_error(error, r, SD_BUS_ERROR_FAILED, "account");
        r = load_account(m, account, &a, error);
        if (r < 0)
                return r;
        r = store_account_get_secrets(m->store, a.name, &secrets);
        if (r < 0)
                return reply_store_error(error, r, PKGTOKEN_ERROR_NO_SUCH_ACCOUNT, "account");
        if (secrets.totp_pending_size == 0)
                return sd_bus_error_set(error, PKGTOKEN_ERROR_NO_PENDING_2FA, "No enrolment waits for a code: enable 2FA first.");

        /* The pending secret has never produced a code here, so any counter is fresh. */
        r = totp_verify(secrets.totp_pending, secrets.totp_pending_size, otp, (time_t) (now / USEC_PER_SEC), 0, &counter);
        if (r == -EINVAL || r == -EACCES || r == -EALREADY) {
                /* Counted like any wrong code, and kept although the call fails. */
                int k = manager_note_auth_failure(m, a.name, "", now);
                if (k >= 0)
                        k = store_commit(&tx);
                if (k < 0)
                        return reply_store_error(error, k, SD_BUS_ERROR_FAILED, "account");
        }
        if (r < 0)
                return second_factor_error(error, r);
        r = store_account_activate_totp(m->store, a.id, mode, counter);
        if (r >= 0)
                r = audit_event(m, "2fa-enable", "", "ok", a.name, "", "", twofa_mode_to_string(mode));
        if (r < 0)
                return reply_store_error(error, r, PKGTOKEN_ERROR_NO_SUCH_ACCOUNT, "account");
        return replace_recovery_codes_and_reply(m, &tx, msg, a.id, error);
}

/* Loads an account with 2FA for a change of its 2FA settings, checking the caller's proof:
 * a current code (or recovery code), or an admin's override. */
static int begin_twofa_change(Manager *m, sd_bus_message *msg, Transaction *tx, AccountRecord *a,
                              const char **ret_otp, sd_bus_error *error) {
        const char *account, *otp;
        bool admin_override = false;
        int r;

        r = sd_bus_message_read(msg, "s", &account);
        if (r < 0)
                return r;
        if (ret_otp) {   /* SetTwoFactorMode has the mode between account and otp */
                r = sd_bus_message_read(msg, "s", ret_otp);
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

        r = store_begin(m->store, tx);
        if (r < 0)
                return reply_store_error(error, r, SD_BUS_ERROR_FAILED, "account");
        r = load_account(m, account, a, error);
        if (r < 0)
                return r;
        if (a->twofa == TWOFA_DISABLED)
                return sd_bus_error_set(error, PKGTOKEN_ERROR_2FA_NOT_ENABLED, "Two-factor authentication is not on.");
        /* Every caller allowed here is an admin for now; once registries call on behalf of
         * users (a registry group), only admins may set admin_override. */
        if (admin_override)
                return 0;
        return check_second_factor_for_management(m, tx, a->name, otp, /* allow_recovery= */ true,
                                                  now_realtime_usec(), error);
}

int method_set_two_factor_mode(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(account_record_done) AccountRecord a = {};
        _cleanup_transaction_ Transaction tx = {};
        Manager *m = userdata;
        const char *mode_string = NULL;
        TwoFactorMode mode = TWOFA_AUTH_AND_WRITES;
        int r;

        r = verify_caller(m, msg, error, NULL);
        if (r < 0)
                return r;
        r = begin_twofa_change(m, msg, &tx, &a, &mode_string, error);
        if (r < 0)
                return r;
        r = parse_twofa_mode(mode_string, false, &mode, error);
        if (r < 0)
                return r;
        r = store_account_set_twofa_mode(m->store, a.id, mode);
        if (r >= 0)
                r = audit_event(m, mode == TWOFA_DISABLED ? "2fa-disable" : "2fa-mode", "", "ok", a.name, "", "",
                                twofa_mode_to_string(mode));
        if (r >= 0)
                r = store_commit(&tx);
        if (r < 0)
                return reply_store_error(error, r, PKGTOKEN_ERROR_NO_SUCH_ACCOUNT, "account");
        return sd_bus_reply_method_return(msg, NULL);
}

int method_regenerate_recovery_codes(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(account_record_done) AccountRecord a = {};
        _cleanup_transaction_ Transaction tx = {};
        Manager *m = userdata;
        int r;

        r = verify_caller(m, msg, error, NULL);
        if (r < 0)
                return r;
        r = begin_twofa_change(m, msg, &tx, &a, NULL, error);
        if (r < 0)
                return r;
        r = audit_event(m, "recovery-codes", "", "ok", a.name, "", "", "regenerated");
        if (r < 0)
                return reply_store_error(error, r, SD_BUS_ERROR_FAILED, "account");
        return replace_recovery_codes_and_reply(m, &tx, msg, a.id, error);
}

/* ------------------------------------------------------------------------------------------ */
/* CheckAccount: may this account use the registry now (PAM's account management)?           */

int method_check_account(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(account_record_done) AccountRecord a = {};
        Manager *m = userdata;
        const char *account, *state = "active", *reason = "ok";
        usec_t now = now_realtime_usec();
        int r;

        r = verify_verifier(m, msg, error, NULL, NULL);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "s", &account);
        if (r < 0)
                return r;
        r = read_options(msg, NULL, 0, error);
        if (r < 0)
                return r;

        r = account_name_is_valid(account) ? store_account_get(m->store, account, &a) : -ENOENT;
        if (r == -ENOENT) {
                state = "unknown";
                reason = "no such account";
        } else if (r < 0)
                return reply_store_error(error, r, SD_BUS_ERROR_FAILED, "account");
        else if (a.locked) {
                state = "locked";
                reason = "the account is locked";
        } else if (manager_locked_out(m, a.name, now, NULL)) {
                state = "locked-out";   /* for a while, unlike an admin's lock */
                reason = "too many failed attempts";
        }
        return sd_bus_reply_method_return(msg, "ss", state, reason);
}
