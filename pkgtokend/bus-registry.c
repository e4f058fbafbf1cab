/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The registry API on the bus (issue 9): Verify and FinishPublish, and what a registry does
 * for an account that proved itself (WhoAmI, GetProfile, ListOwnTokens, CreateOwnToken,
 * RevokeOwnToken, RotateOwnToken, Logout, ChangeMaintainer), under the governance rule of
 * common/governance.c (issue 10).  Callers: root, the daemon's uid and members of
 * RegistryGroup=. */

#include "accounts.h"
#include "bus-auth.h"
#include "bus-authorize.h"
#include "bus-caller.h"
#include "bus-error.h"
#include "bus-methods.h"
#include "bus-records.h"
#include "bus-registry.h"
#include "bus-stages.h"
#include "bus-tokens.h"
#include "bus-trusted.h"
#include "bus-twofa.h"
#include "bus-util.h"
#include "names.h"
#include "packages.h"
#include "registry.h"
#include "strv.h"
#include "tokens.h"
#include "validate.h"

/* ---- Verify ---- */

static int append_token_details(sd_bus_message *reply, const AuthorizeAnswer *a) {
        const TokenRecord *t = &a->token;

        APPEND(sd_bus_message_open_container(reply, 'a', "{sv}"));
        if (t->id) {
                APPEND(append_entry(reply, "account", "s", t->account ?: ""));
                APPEND(append_entry(reply, "owner", "s", token_owner_to_string(t->owner)));
                APPEND(append_entry(reply, "type", "s", token_type_to_string(t->type)));
                APPEND(append_entry(reply, "token_id", "s", t->id));
                APPEND(append_strv_entry(reply, "scope", t->scope));
                APPEND(append_entry(reply, "expires_at", "t", (uint64_t) t->expires_at));
                APPEND(append_entry(reply, "description", "s", t->description ?: ""));
                APPEND(append_entry(reply, "actor", "s", a->actor ?: ""));
                APPEND(append_entry(reply, "bypass_2fa", "b", t->type == TOKEN_AUTOMATION));
        }
        if (a->publish_id) {
                APPEND(append_entry(reply, "publish_id", "s", a->publish_id));
                APPEND(append_entry(reply, "new_package", "b", a->new_package));
        }
        return sd_bus_message_close_container(reply);
}

static int append_verify_answer(sd_bus_message *reply, const void *userdata) {
        const AuthorizeAnswer *answer = userdata;

        APPEND(sd_bus_message_append(reply, "sss", authz_result_to_string(answer->result),
                                     reason_code_to_string(answer->code), answer->reason));
        return append_token_details(reply, answer);
}

int method_verify(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(authorize_call_done) AuthorizeCall c = {};
        int r;

        r = bus_authorize_call(userdata, msg, /* verify= */ true, &c, error);
        if (r < 0)
                return r;
        return bus_reply_record(msg, append_verify_answer, &c.answer);
}

/* ---- FinishPublish ---- */

int method_finish_publish(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(pending_publish_done) PendingPublish done = {};
        Manager *m = userdata;
        Outcome outcome;
        int r;

        r = bus_begin_outcome(m, msg, NULL, &outcome, error);
        if (r < 0)
                return r;

        r = registry_finish_publish(m->store, outcome.id, outcome.succeeded, outcome.reason, m->config.stage_lifetime,
                                    now_realtime_usec(), &done);
        if (r == -ERR_NOT_MAINTAINER)
                return bus_error_set_errnof(error, r, "Package '%s' was created meanwhile by another account.",
                                            done.package ?: "");
        if (r == -ERR_INVALID_ARGUMENT)
                return bus_error_set_errnof(error, r, "%s@%s is staged already: approve or reject the waiting stage "
                                            "first.", done.package ?: "", done.version ?: "");
        if (r < 0)
                return bus_error_set_errno_message(error, r, NULL);
        r = sd_bus_reply_method_return(msg, NULL);
        if (r < 0)
                return r;
        if (outcome.succeeded && done.action == ACTION_STAGE)
                bus_emit_stage_created(m, &done);
        if (outcome.succeeded && done.action == ACTION_PUBLISH)
                bus_emit_package_published(m, done.package, done.version, done.actor, done.token_id);
        return 1;
}

/* ---- Proofs ---- */

static int read_proof(sd_bus_message *msg, Proof *p, sd_bus_error *error) {
        int r;

        *p = (Proof) { .token = "", .account = "", .password = "", .otp = "", .remote = "" };
        r = read_options(msg, (const OptionSpec[]) {
                { "token", OPTION_STRING, &p->token },
                { "account", OPTION_STRING, &p->account },
                { "password", OPTION_STRING, &p->password },
                { "otp", OPTION_STRING, &p->otp },
                { "remote", OPTION_STRING, &p->remote },
        }, 5, error);
        if (r < 0)
                return r;
        return bus_check_remote(p->remote, error);
}

static int proof_error(sd_bus_error *error, int r, const char *message) {
        switch (-r) {
        case ERR_BAD_CREDENTIALS:
                return bus_error_set_errno_message(error, r, "The proof does not prove an account.");
        case ERR_RATE_LIMITED:
                return bus_error_set_errno_message(error, r, "Too many failed attempts; try again later.");
        case ERR_FORBIDDEN:
                return bus_error_set_errno_message(error, r, message ?: "The proof's token may not be used here.");
        default:
                return bus_error_set_errno_message(error, r, message);
        }
}

/* The governance rule for a proof, as a bus error when it refuses (or asks for a code). */
static int check_governance(Manager *m, const ProofRule *rule, ProofKind proof, const TokenRecord *token,
                            const char *account, const char *otp, sd_bus_error *error) {
        GovernanceVerdict v;
        int r;

        if (rule->governance == GOVERN_NONE)
                return 0;
        r = registry_governance(m->store, proof, token, account, !isempty(otp), rule->governance, now_realtime_usec(),
                                &v);
        if (r < 0)
                return proof_error(error, r, NULL);
        switch (v.result) {
        case GOVERNANCE_ALLOWED:
        case GOVERNANCE_CHECK_OTP:
                return 0;
        case GOVERNANCE_OTP_REQUIRED:
                return bus_error_set_errno_message(error, -ERR_OTP_REQUIRED, v.message);
        default:
                if (v.code == REASON_INVALID_ARGUMENT)
                        return invalid_argument(error, v.message);
                return bus_error_set_errno_message(error, -ERR_FORBIDDEN, v.message);
        }
}

/* After a password proof, on the event loop: the method goes on and answers. */
static void password_proven(Manager *m, sd_bus_message *msg, const char *account, uid_t caller, const void *userdata) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *actor = registry_actor(account, caller);
        const ProofRule *rule = userdata;
        int r;

        if (!actor) {
                (void) bus_reply_errno(msg, -ENOMEM, NULL);
                return;
        }
        r = check_governance(m, rule, PROOF_PASSWORD, NULL, account, "", &error);
        if (r >= 0)
                r = rule->handler(m, msg, &(const Proven) {
                        .account = account,
                        .actor = actor,
                        .otp = "",
                        .otp_verified = true,
                }, &error);
        if (r >= 0)
                return;
        if (sd_bus_error_is_set(&error))
                (void) sd_bus_reply_method_error(msg, &error);
        else
                (void) bus_reply_errno(msg, r, NULL);
}

/* A proof with a password goes the way of a login (bus-auth.c); with a token too, the
 * password must be the token's account's (npm token create sends both). */
static int prove_password(Manager *m, sd_bus_message *msg, const ProofRule *rule, const Proof *p, const char *account,
                          uid_t uid, sd_bus_error *error) {
        return bus_prove_password(m, msg, &(const PasswordProof) {
                .account = account,
                .password = p->password,
                .otp = p->otp,
                .remote = p->remote,
        }, uid, password_proven, rule, error);
}

/* A desktop: a caller that is no verifier (an admin too), whose uid is linked to an account,
 * acts for that account with a proof of nothing but the optional "otp" (docs/ARCHITECTURE.md,
 * "uid-linked accounts").  0: not such a caller or proof, the usual proofs apply. */
static int dispatch_uid_proof(Manager *m, sd_bus_message *msg, const ProofRule *rule, sd_bus_error *error) {
        _cleanup_free_ char *account = NULL, *actor = NULL;
        Proof p;
        uid_t uid;
        int r;

        r = bus_caller_linked_account(m, msg, /* even_admin= */ true, &uid, &account);
        if (r <= 0)
                return r;
        r = read_proof(msg, &p, error);
        if (r < 0)
                return r;
        if (!isempty(p.token) || !isempty(p.account) || !isempty(p.password) || !isempty(p.remote)) {
                /* A proof of its own: the usual path reads it again and checks the caller. */
                r = sd_bus_message_rewind(msg, true);
                return r < 0 ? r : 0;
        }
        r = check_governance(m, rule, PROOF_UID, NULL, account, p.otp, error);
        if (r < 0)
                return r;
        if (asprintf(&actor, "%s (uid %u)", account, (unsigned) uid) < 0)
                return -ENOMEM;
        r = rule->handler(m, msg, &(const Proven) { .account = account, .actor = actor, .otp = p.otp }, error);
        return r == 0 ? 1 : r;
}

int bus_dispatch_proof(Manager *m, sd_bus_message *msg, const ProofRule *rule, sd_bus_error *error) {
        _cleanup_(authorize_answer_done) AuthorizeAnswer token = {};
        _cleanup_free_ char *actor = NULL;
        Authorizer a = bus_authorizer(m);
        Proof p;
        uid_t uid;
        int r;

        if (rule->by_uid) {
                r = dispatch_uid_proof(m, msg, rule, error);
                if (r != 0)
                        return r;
        }
        r = bus_verify_verifier(m, msg, error, &uid, NULL);
        if (r < 0)
                return r;
        r = read_proof(msg, &p, error);
        if (r < 0)
                return r;

        if (isempty(p.token)) {
                if (isempty(p.account) || isempty(p.password))
                        return invalid_argument(error, "A proof is a \"token\", or an \"account\" and its "
                                                       "\"password\", or both.");
                return prove_password(m, msg, rule, &p, p.account, uid, error);
        }
        if (!isempty(p.account) && isempty(p.password))
                return invalid_argument(error, "An \"account\" in a proof comes with its \"password\".");

        r = registry_prove_token(&a, p.token, p.remote, now_realtime_usec(), &token);
        if (r < 0)
                return proof_error(error, r, NULL);
        if (rule->account_needed && token.token.owner != TOKEN_OWNER_ACCOUNT)
                return proof_error(error, -ERR_FORBIDDEN, "A package token stands for no account.");
        r = check_governance(m, rule, PROOF_TOKEN, &token.token, NULL, p.otp, error);
        if (r < 0)
                return r;
        if (!isempty(p.password)) {
                /* The token's account is the one to prove (its code, when the rule asks for
                 * one, is the login's to check); another account's name, or a package token
                 * (no account), is as good as a wrong password. */
                if (token.token.owner != TOKEN_OWNER_ACCOUNT ||
                    (!isempty(p.account) && !streq_ptr(p.account, token.token.account)))
                        return proof_error(error, -ERR_BAD_CREDENTIALS, NULL);
                return prove_password(m, msg, rule, &p, token.token.account, uid, error);
        }
        actor = registry_actor(token.token.account ?: "", uid);
        if (!actor)
                return -ENOMEM;
        return rule->handler(m, msg, &(const Proven) {
                .account = token.token.account ?: "",
                .actor = actor,
                .otp = p.otp,
                .token = &token,
                .proof = &p,
        }, error);
}

/* ---- Acting for a proven account ---- */

static int who_am_i(Manager *m, sd_bus_message *msg, const Proven *p, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_append(reply, "s", p->account);
        if (r < 0)
                return r;
        if (p->token)
                r = append_token_details(reply, p->token);
        else
                r = sd_bus_message_append(reply, "a{sv}", 2, "account", "s", p->account, "owner", "s",
                                          token_owner_to_string(TOKEN_OWNER_ACCOUNT));
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int get_profile(Manager *m, sd_bus_message *msg, const Proven *p, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(account_record_done) AccountRecord a = {};
        int r;

        r = account_load(m->store, p->account, &a);
        if (r < 0)
                return bus_error_set_account(error, r, p->account);
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        APPEND(sd_bus_message_open_container(reply, 'a', "{sv}"));
        APPEND(append_entry(reply, "name", "s", a.name));
        APPEND(append_entry(reply, "email", "s", a.email));
        APPEND(append_entry(reply, "twofa", "s", twofa_mode_to_string(a.twofa)));
        APPEND(append_entry(reply, "created_at", "t", (uint64_t) a.created_at));
        APPEND(append_entry(reply, "has_password", "b", a.has_password));
        APPEND(sd_bus_message_close_container(reply));
        return sd_bus_send(NULL, reply, NULL);
}

static int foreach_own_token(Store *s, const char *account, const char *package, TokenCallback cb, void *userdata) {
        return registry_foreach_own_token(s, account, cb, userdata);
}

static int list_own_tokens(Manager *m, sd_bus_message *msg, const Proven *p, sd_bus_error *error) {
        return bus_reply_token_list(m->store, msg, foreach_own_token, p->account, NULL, error);
}

static int create_own_token(Manager *m, sd_bus_message *msg, const Proven *p, sd_bus_error *error) {
        TokenCreateRequest q = {
                .account = p->account,
                .otp = p->otp,
                .otp_verified = p->otp_verified,
                .actor = p->actor,
        };
        const char *type = NULL;
        int r;

        r = bus_read_token_spec(msg, &q, &type, error);
        /* Package tokens are made by admins: a registry's user asks for account tokens, as on npm. */
        if (r >= 0 && q.package_owned)
                r = invalid_argument(error, "CreateOwnToken makes account tokens only.");
        if (r >= 0)
                r = bus_create_token_reply(m, msg, &q, type, error);
        strv_free(q.scope);
        strv_free(q.cidrs);
        return r;
}

/* What RevokeOwnToken and RotateOwnToken ask of the registry domain for a proven account. */
static OwnRevoke own_change(Manager *m, const Proven *p, const char *id) {
        return (OwnRevoke) {
                .lockout = &m->lockout,
                .account = p->account,
                .id_or_prefix = id,
                .otp = p->otp,
                .otp_verified = p->otp_verified,
                .actor = p->actor,
        };
}

static int own_token_error(sd_bus_error *error, int r, const char *id, const char *message) {
        if (message)
                return bus_error_set_errno_message(error, r, message);
        if (r == -ERR_INVALID_ARGUMENT)
                return invalid_argument(error, "That prefix names more than one token: use the token id.");
        return bus_token_error(error, r, id);
}

static int revoke_own_token(Manager *m, sd_bus_message *msg, const Proven *p, sd_bus_error *error) {
        _cleanup_free_ char *revoked = NULL;
        const char *id, *message = NULL;
        int r;

        r = bus_begin_call(m, msg, &(BusCall) { .checked = true, BUS_NO_OPTIONS }, error, "s", &id);
        if (r < 0)
                return r;
        OwnRevoke q = own_change(m, p, id);
        r = registry_revoke_own_token(&q, now_realtime_usec(), &revoked, &message);
        if (r < 0)
                return own_token_error(error, r, id, message);
        bus_emit_token_revoked(m, revoked);
        return sd_bus_reply_method_return(msg, NULL);
}

static int rotate_own_token(Manager *m, sd_bus_message *msg, const Proven *p, sd_bus_error *error) {
        _cleanup_free_ char *new_id = NULL;
        char secret[TOKEN_LEN + 1] = {};
        const char *id, *message = NULL;
        uint64_t grace = 0;
        int r;

        r = bus_begin_call(m, msg, &(BusCall) { .checked = true, BUS_OPTIONS({ "grace", OPTION_UINT64, &grace }) },
                           error, "s", &id);
        if (r >= 0)
                r = bus_check_grace(grace, error);
        if (r < 0)
                return r;
        OwnRevoke q = own_change(m, p, id);
        r = registry_rotate_own_token(&q, &m->config.token_lifetimes, grace, now_realtime_usec(), &new_id, secret,
                                      &message);
        if (r < 0)
                return own_token_error(error, r, id, message);
        return bus_reply_rotated(m, msg, new_id, secret);
}

/* Verify's rules for a token proof, with the refusal as the error a client sees. */
int bus_check_token_action(Manager *m, const Proven *p, const char *package, Action action, sd_bus_error *error) {
        _cleanup_(authorize_answer_done) AuthorizeAnswer owner = {};
        Authorizer a = bus_authorizer(m);
        int r;

        r = authorize(&a, &(AuthorizeRequest) {
                .token = p->proof->token,
                .package = package,
                .action = action,
                .remote = p->proof->remote,
                .otp = p->proof->otp,
                .account = "",
                .version = "",
        }, now_realtime_usec(), &owner);
        if (r < 0)
                return bus_error_set_errno_message(error, r, NULL);
        switch (owner.code) {
        case REASON_OK:
                return 0;
        case REASON_NO_SUCH_PACKAGE:
                return bus_error_set_package(error, -ERR_NO_SUCH_PACKAGE, package);
        case REASON_NOT_MAINTAINER:
                return bus_error_set_errnof(error, -ERR_NOT_MAINTAINER, "'%s' does not maintain '%s'.", p->account,
                                            package);
        case REASON_OTP_REQUIRED:
                /* Asked for (otp-required), or impossible: the account has no 2FA (forbidden). */
                return bus_error_set_errno_message(error, owner.result == AUTHZ_OTP_REQUIRED ? -ERR_OTP_REQUIRED
                                                                                             : -ERR_FORBIDDEN,
                                                   owner.reason);
        case REASON_BAD_OTP:
                return bus_error_set_errno_message(error, -ERR_BAD_OTP, owner.reason);
        case REASON_REPLAYED_OTP:
                return bus_error_set_errno_message(error, -ERR_REPLAYED_OTP, owner.reason);
        case REASON_RATE_LIMITED:
                return bus_error_set_errno_message(error, -ERR_RATE_LIMITED, owner.reason);
        default:
                return bus_error_set_errno_message(error, -ERR_FORBIDDEN, owner.reason);
        }
}

static int change_maintainer(Manager *m, sd_bus_message *msg, const Proven *p, sd_bus_error *error) {
        _cleanup_free_ char *package = NULL;
        const char *package_arg, *account;
        int add, r;

        r = sd_bus_message_read(msg, "ssb", &package_arg, &account, &add);
        if (r < 0)
                return r;
        r = bus_read_package_name(package_arg, &package, error);
        if (r < 0)
                return r;
        r = bus_check_account_name(account, error);
        if (r < 0)
                return r;
        r = bus_check_package_governance(m, p, package, error);
        if (r < 0)
                return r;
        r = maintainer_change_as(m->store, package, account, add, p->actor, now_realtime_usec());
        if (r < 0)
                return bus_error_set_maintainer(error, r, package, account);
        return sd_bus_reply_method_return(msg, NULL);
}

static int enroll_own_totp(Manager *m, sd_bus_message *msg, const Proven *p, sd_bus_error *error) {
        return bus_enroll_totp(m, msg, p->account, error);
}

static int confirm_own_totp(Manager *m, sd_bus_message *msg, const Proven *p, sd_bus_error *error) {
        const char *otp, *mode;
        int r;

        r = sd_bus_message_read(msg, "ss", &otp, &mode);
        if (r < 0)
                return r;
        return bus_confirm_totp(m, msg, p->account, otp, mode, error);
}

/* The password proof checked a current code when 2FA is on (a login asks for one). */
static int set_own_two_factor_mode(Manager *m, sd_bus_message *msg, const Proven *p, sd_bus_error *error) {
        _cleanup_(account_record_done) AccountRecord a = {};
        _cleanup_transaction_ Transaction tx = {};
        const char *mode;
        int r;

        r = sd_bus_message_read(msg, "s", &mode);
        if (r < 0)
                return r;
        /* A password proof checked the code; a uid proof brings it (p->otp). */
        r = bus_begin_twofa_change(m, &tx, p->account, p->otp, p->otp_verified, &a, error);
        if (r < 0)
                return r;
        return bus_set_twofa_mode(m, msg, &tx, &a, mode, error);
}

/* Staged versions: bus-stages.c decides; a token proof gives its code, a password proof
 * checked it already.  No governance rule here: the stage rules refuse tokens that publish
 * without an OTP with a message of their own. */
static int decide_own_stage(Manager *m, sd_bus_message *msg, const Proven *p, bool approve, sd_bus_error *error) {
        return bus_decide_stage_for(m, msg, &(const StageProver) {
                .account = p->account,
                .actor = p->actor,
                .otp = p->otp,
                .token = p->token ? &p->token->token : NULL,
        }, approve, error);
}

static int approve_own_stage(Manager *m, sd_bus_message *msg, const Proven *p, sd_bus_error *error) {
        return decide_own_stage(m, msg, p, true, error);
}

static int reject_own_stage(Manager *m, sd_bus_message *msg, const Proven *p, sd_bus_error *error) {
        return decide_own_stage(m, msg, p, false, error);
}

/* by_uid: a linked Unix user may call it with a uid proof; each of these checks the code a
 * uid proof brings where the governance rule says GOVERNANCE_CHECK_OTP. */
DEFINE_PROOF_METHOD(method_who_am_i, who_am_i, .by_uid = true);
DEFINE_PROOF_METHOD(method_get_profile, get_profile, .account_needed = true, .by_uid = true);
DEFINE_PROOF_METHOD(method_list_own_tokens, list_own_tokens, .account_needed = true, .by_uid = true);
DEFINE_PROOF_METHOD(method_create_own_token, create_own_token, .account_needed = true, .governance = GOVERN_TOKENS,
                    .by_uid = true);
DEFINE_PROOF_METHOD(method_revoke_own_token, revoke_own_token, .account_needed = true, .governance = GOVERN_TOKENS,
                    .by_uid = true);
DEFINE_PROOF_METHOD(method_rotate_own_token, rotate_own_token, .account_needed = true, .governance = GOVERN_TOKENS,
                    .by_uid = true);
DEFINE_PROOF_METHOD(method_change_maintainer, change_maintainer, .account_needed = true,
                    .governance = GOVERN_MAINTAINERS);
DEFINE_PROOF_METHOD(method_enroll_own_totp, enroll_own_totp, .account_needed = true, .governance = GOVERN_TWOFA_ENROL,
                    .by_uid = true);
DEFINE_PROOF_METHOD(method_confirm_own_totp, confirm_own_totp, .account_needed = true,
                    .governance = GOVERN_TWOFA_ENROL, .by_uid = true);
DEFINE_PROOF_METHOD(method_set_own_two_factor_mode, set_own_two_factor_mode, .account_needed = true,
                    .governance = GOVERN_TWOFA, .by_uid = true);
DEFINE_PROOF_METHOD(method_approve_own_stage, approve_own_stage);
DEFINE_PROOF_METHOD(method_reject_own_stage, reject_own_stage);

/* Trusted publishers, for a maintainer (bus-trusted.c): governance, like maintainers. */
#define DEFINE_TRUSTED_HANDLER(name, fn)                                                        \
        static int name(Manager *m, sd_bus_message *msg, const Proven *p, sd_bus_error *error) { \
                return fn(m, msg, &(const TrustedGovernor) {                                    \
                        .account = p->account, .actor = p->actor,                               \
                        .otp = p->otp, .otp_verified = p->otp_verified,                         \
                }, error);                                                                      \
        }
DEFINE_TRUSTED_HANDLER(add_own_trusted, bus_add_own_trusted_publisher);
DEFINE_TRUSTED_HANDLER(list_own_trusted, bus_list_own_trusted_publishers);
DEFINE_TRUSTED_HANDLER(remove_own_trusted, bus_remove_own_trusted_publisher);
DEFINE_PROOF_METHOD(method_add_own_trusted_publisher, add_own_trusted, .account_needed = true,
                    .governance = GOVERN_MAINTAINERS);
DEFINE_PROOF_METHOD(method_list_own_trusted_publishers, list_own_trusted, .account_needed = true);
DEFINE_PROOF_METHOD(method_remove_own_trusted_publisher, remove_own_trusted, .account_needed = true,
                    .governance = GOVERN_MAINTAINERS);

/* A session token revokes itself (npm logout). */
int method_logout(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(authorize_answer_done) AuthorizeAnswer token = {};
        _cleanup_free_ char *actor = NULL;
        Manager *m = userdata;
        Authorizer a = bus_authorizer(m);
        const char *secret;
        uid_t uid;
        int r;

        r = bus_verify_verifier(m, msg, error, &uid, NULL);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "s", &secret);
        if (r < 0)
                return r;
        r = registry_prove_token(&a, secret, "", now_realtime_usec(), &token);
        if (r < 0)
                return proof_error(error, r, NULL);
        /* The governance rule's exception: a session ends itself, whatever the account's 2FA. */
        r = check_governance(m, &(const ProofRule) { .governance = GOVERN_LOGOUT }, PROOF_TOKEN, &token.token, NULL, "",
                             error);
        if (r < 0)
                return r;
        actor = registry_actor(token.token.account, uid);
        if (!actor)
                return -ENOMEM;
        r = token_revoke_as(m->store, token.token.id, actor, now_realtime_usec());
        if (r < 0)
                return bus_error_set_errno_message(error, r, NULL);
        bus_emit_token_revoked(m, token.token.id);
        return sd_bus_reply_method_return(msg, NULL);
}
