/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The registry API on the bus (issue 9): Verify and FinishPublish, and what a registry does
 * for an account that proved itself (WhoAmI, GetProfile, ListOwnTokens, CreateOwnToken,
 * RevokeOwnToken, Logout, ChangeMaintainer).  Callers: root, the daemon's uid and members of
 * RegistryGroup=. */

#include "accounts.h"
#include "bus-caller.h"
#include "bus-error.h"
#include "bus-methods.h"
#include "bus-records.h"
#include "bus-tokens.h"
#include "bus-util.h"
#include "names.h"
#include "packages.h"
#include "registry.h"
#include "strv.h"
#include "tokens.h"
#include "validate.h"

static Authorizer authorizer(Manager *m) {
        return (Authorizer) {
                .store = m->store,
                .lockout = &m->lockout,
                .ratelimit = m->ratelimit,
                .last_used = &m->last_used,
        };
}

/* ---- Verify ---- */

typedef struct VerifyArguments {
        AuthorizeRequest request;
        char *package;          /* canonical; request.package points here */
} VerifyArguments;

static void verify_arguments_done(VerifyArguments *a) {
        free(a->package);
}

static int read_verify_request(sd_bus_message *msg, VerifyArguments *a, sd_bus_error *error) {
        AuthorizeRequest *q = &a->request;
        const char *package, *action;
        int r;

        r = sd_bus_message_read(msg, "sss", &q->token, &package, &action);
        if (r < 0)
                return r;
        q->remote = q->otp = q->account = q->version = "";
        r = read_options(msg, (const OptionSpec[]) {
                { "remote", OPTION_STRING, &q->remote },
                { "otp", OPTION_STRING, &q->otp },
                { "account", OPTION_STRING, &q->account },
                { "version", OPTION_STRING, &q->version },
        }, 4, error);
        if (r < 0)
                return r;
        r = action_from_string(action);
        if (r < 0)
                return invalid_argument(error, "Invalid action: use identity, read, publish, unpublish, deprecate, "
                                               "dist-tag or owner.");
        q->action = r;
        q->two_phase = true;
        if (!description_is_valid(q->version))
                return invalid_argument(error, "Invalid version: at most 256 bytes of printable UTF-8.");
        r = bus_check_remote(q->remote, error);
        if (r < 0)
                return r;
        if (q->action == ACTION_IDENTITY) {
                if (!isempty(package))
                        return invalid_argument(error, "An identity question names no package.");
                q->package = "";
                return 0;
        }
        r = bus_read_package_name(package, &a->package, error);
        if (r < 0)
                return r;
        q->package = a->package;
        return 0;
}

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

int method_verify(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(verify_arguments_done) VerifyArguments args = {};
        _cleanup_(authorize_answer_done) AuthorizeAnswer answer = {};
        Manager *m = userdata;
        Authorizer a = authorizer(m);
        int r;

        r = bus_verify_verifier(m, msg, error, NULL, NULL);
        if (r < 0)
                return r;
        r = read_verify_request(msg, &args, error);
        if (r < 0)
                return r;
        r = authorize(&a, &args.request, now_realtime_usec(), &answer);
        if (r < 0)
                return bus_error_set_errno_message(error, r, NULL);

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_append(reply, "sss", authz_result_to_string(answer.result),
                                  reason_code_to_string(answer.code), answer.reason);
        if (r < 0)
                return r;
        r = append_token_details(reply, &answer);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* ---- FinishPublish ---- */

int method_finish_publish(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(pending_publish_done) PendingPublish done = {};
        Manager *m = userdata;
        const char *id, *reason = "";
        int succeeded, r;

        r = bus_verify_verifier(m, msg, error, NULL, NULL);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "sb", &id, &succeeded);
        if (r < 0)
                return r;
        r = read_options(msg, (const OptionSpec[]) {
                { "reason", OPTION_STRING, &reason },
        }, 1, error);
        if (r < 0)
                return r;
        if (!description_is_valid(reason))
                return invalid_argument(error, "Invalid reason: at most 256 bytes of printable UTF-8.");

        r = registry_finish_publish(m->store, id, succeeded, reason, now_realtime_usec(), &done);
        if (r == -ERR_NOT_MAINTAINER)
                return bus_error_set_errnof(error, r, "Package '%s' was created meanwhile by another account.",
                                            done.package ?: "");
        if (r < 0)
                return bus_error_set_errno_message(error, r, NULL);
        r = sd_bus_reply_method_return(msg, NULL);
        if (r < 0)
                return r;
        if (succeeded && done.action == ACTION_PUBLISH)
                (void) sd_bus_emit_signal(m->bus, PKGTOKEN_OBJECT_PATH, PKGTOKEN_MANAGER_IFACE, "PackagePublished",
                                          "sss", done.package, done.actor, done.token_id);
        return 1;
}

/* ---- Proofs ---- */

typedef struct Proof {
        const char *token;
        const char *account;
        const char *password;
        const char *otp;
        const char *remote;
} Proof;

/* An account proven by a proof: the token that proved it (and the audit's actor). */
typedef struct Proven {
        AuthorizeAnswer answer;
        char *actor;              /* "alice (registry uid 998)" */
        const char *otp;
} Proven;

static void proven_done(Proven *p) {
        authorize_answer_done(&p->answer);
        free(p->actor);
}

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

/* Checks the caller and the proof.  Only token proofs are taken here; a password proof needs
 * the worker pool (see bus-auth.c) and is refused as unsupported for now. */
static int prove(Manager *m, sd_bus_message *msg, const Proof *p, bool account_needed, bool governance,
                 Proven *ret, sd_bus_error *error) {
        Authorizer a = authorizer(m);
        const char *message = NULL;
        uid_t uid;
        int r;

        r = bus_verify_verifier(m, msg, error, &uid, NULL);
        if (r < 0)
                return r;
        if (isempty(p->token)) {
                if (!isempty(p->account) || !isempty(p->password))
                        return bus_error_set_errno_message(error, -ERR_UNAVAILABLE,
                                                           "Password proofs are not supported yet: prove by token.");
                return invalid_argument(error, "A proof needs a \"token\" (or \"account\" and \"password\").");
        }
        r = registry_prove_token(&a, p->token, p->remote, now_realtime_usec(), &ret->answer);
        if (r < 0)
                return proof_error(error, r, NULL);
        if (account_needed && ret->answer.token.owner != TOKEN_OWNER_ACCOUNT)
                return proof_error(error, -ERR_FORBIDDEN, "A package token stands for no account.");
        if (governance) {
                r = registry_check_governance(&ret->answer.token, &message);
                if (r < 0)
                        return proof_error(error, r, message);
        }
        ret->actor = registry_actor(ret->answer.token.account ?: "", uid);
        if (!ret->actor)
                return -ENOMEM;
        ret->otp = p->otp;
        return 0;
}

static int read_and_prove(Manager *m, sd_bus_message *msg, bool account_needed, bool governance, Proven *ret,
                          sd_bus_error *error) {
        Proof p;
        int r;

        r = read_proof(msg, &p, error);
        if (r < 0)
                return r;
        return prove(m, msg, &p, account_needed, governance, ret, error);
}

/* ---- Acting for a proven account ---- */

int method_who_am_i(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(proven_done) Proven p = {};
        int r;

        r = read_and_prove(userdata, msg, false, false, &p, error);
        if (r < 0)
                return r;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_append(reply, "s", p.answer.token.account ?: "");
        if (r < 0)
                return r;
        r = append_token_details(reply, &p.answer);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

int method_get_profile(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(account_record_done) AccountRecord a = {};
        _cleanup_(proven_done) Proven p = {};
        Manager *m = userdata;
        int r;

        r = read_and_prove(m, msg, true, false, &p, error);
        if (r < 0)
                return r;
        r = account_load(m->store, p.answer.token.account, &a);
        if (r < 0)
                return bus_error_set_account(error, r, p.answer.token.account);
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

typedef struct OwnTokenList {
        const char *account;
        sd_bus_message *reply;
        usec_t now;
} OwnTokenList;

static int append_own_token(const TokenRecord *t, void *userdata) {
        const OwnTokenList *q = userdata;
        return bus_append_token(q->reply, t, q->now);
}

static int fill_own_tokens(Store *s, sd_bus_message *reply, const void *query) {
        OwnTokenList q = *(const OwnTokenList *) query;

        q.reply = reply;
        q.now = now_realtime_usec();
        return registry_foreach_own_token(s, q.account, append_own_token, &q);
}

int method_list_own_tokens(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(proven_done) Proven p = {};
        Manager *m = userdata;
        int r;

        r = read_and_prove(m, msg, true, false, &p, error);
        if (r < 0)
                return r;
        return bus_reply_list(m->store, msg, fill_own_tokens, &(OwnTokenList) { .account = p.answer.token.account },
                              error);
}

int method_create_own_token(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(proven_done) Proven p = {};
        TokenCreateRequest q = {};
        const char *type = NULL;
        Manager *m = userdata;
        int r;

        r = read_and_prove(m, msg, true, true, &p, error);
        if (r < 0)
                return r;
        q.account = p.answer.token.account;
        q.otp = p.otp;
        q.actor = p.actor;
        r = bus_read_token_spec(msg, &q, &type, error);
        /* A package token is made by an admin (or by pkgtokenctl): a registry's user asks
         * for an account token, as on npm. */
        if (r >= 0 && q.package_owned)
                r = invalid_argument(error, "CreateOwnToken makes account tokens only.");
        if (r >= 0)
                r = bus_create_token_reply(m, msg, &q, type, error);
        strv_free(q.scope);
        strv_free(q.cidrs);
        return r;
}

int method_revoke_own_token(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(proven_done) Proven p = {};
        _cleanup_free_ char *revoked = NULL;
        const char *id, *message = NULL;
        Manager *m = userdata;
        int r;

        r = read_and_prove(m, msg, true, true, &p, error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "s", &id);
        if (r < 0)
                return r;
        r = read_options(msg, NULL, 0, error);
        if (r < 0)
                return r;
        r = registry_revoke_own_token(&(OwnRevoke) {
                .lockout = &m->lockout,
                .account = p.answer.token.account,
                .id_or_prefix = id,
                .otp = p.otp,
                .actor = p.actor,
        }, now_realtime_usec(), &revoked, &message);
        if (r == -ERR_INVALID_ARGUMENT)
                return invalid_argument(error, "That prefix names more than one token: use the token id.");
        if (r < 0)
                return message ? bus_error_set_errno_message(error, r, message) : bus_token_error(error, r, id);
        (void) sd_bus_emit_signal(m->bus, PKGTOKEN_OBJECT_PATH, PKGTOKEN_MANAGER_IFACE, "TokenRevoked", "s", revoked);
        return sd_bus_reply_method_return(msg, NULL);
}

int method_logout(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(proven_done) Proven p = {};
        Manager *m = userdata;
        const char *token;
        int r;

        r = sd_bus_message_read(msg, "s", &token);
        if (r < 0)
                return r;
        r = prove(m, msg, &(const Proof) { .token = token, .remote = "" }, true, false, &p, error);
        if (r < 0)
                return r;
        if (p.answer.token.type != TOKEN_SESSION)
                return invalid_argument(error, "Only a session token logs out; revoke other tokens instead.");
        r = token_revoke_as(m->store, p.answer.token.id, p.actor, now_realtime_usec());
        if (r < 0)
                return bus_error_set_errno_message(error, r, NULL);
        (void) sd_bus_emit_signal(m->bus, PKGTOKEN_OBJECT_PATH, PKGTOKEN_MANAGER_IFACE, "TokenRevoked", "s",
                                  p.answer.token.id);
        return sd_bus_reply_method_return(msg, NULL);
}

/* The proof's token must be allowed "owner" on the package (Verify's rules: a maintainer,
 * the OTP where 2FA asks, never automation or package tokens). */
int method_change_maintainer(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(authorize_answer_done) AuthorizeAnswer owner = {};
        _cleanup_(proven_done) Proven p = {};
        _cleanup_free_ char *package = NULL;
        Manager *m = userdata;
        Authorizer a = authorizer(m);
        const char *package_arg, *account;
        Proof proof;
        int add, r;

        r = read_proof(msg, &proof, error);
        if (r < 0)
                return r;
        r = prove(m, msg, &proof, true, true, &p, error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "ssb", &package_arg, &account, &add);
        if (r < 0)
                return r;
        r = bus_read_package_name(package_arg, &package, error);
        if (r < 0)
                return r;
        r = bus_check_account_name(account, error);
        if (r < 0)
                return r;
        r = authorize(&a, &(AuthorizeRequest) {
                .token = proof.token,
                .package = package,
                .action = ACTION_OWNER,
                .remote = proof.remote,
                .otp = proof.otp,
                .account = "",
                .version = "",
        }, now_realtime_usec(), &owner);
        if (r < 0)
                return bus_error_set_errno_message(error, r, NULL);
        switch (owner.code) {
        case REASON_OK:
                break;
        case REASON_NO_SUCH_PACKAGE:
                return bus_error_set_package(error, -ERR_NO_SUCH_PACKAGE, package);
        case REASON_NOT_MAINTAINER:
                return bus_error_set_errnof(error, -ERR_NOT_MAINTAINER, "'%s' does not maintain '%s'.",
                                            p.answer.token.account, package);
        case REASON_OTP_REQUIRED:
                return bus_error_set_errno_message(error, -ERR_OTP_REQUIRED, owner.reason);
        case REASON_BAD_OTP:
                return bus_error_set_errno_message(error, -ERR_BAD_OTP, owner.reason);
        case REASON_REPLAYED_OTP:
                return bus_error_set_errno_message(error, -ERR_REPLAYED_OTP, owner.reason);
        case REASON_RATE_LIMITED:
                return bus_error_set_errno_message(error, -ERR_RATE_LIMITED, owner.reason);
        default:
                return bus_error_set_errno_message(error, -ERR_FORBIDDEN, owner.reason);
        }
        r = maintainer_change_as(m->store, package, account, add, p.actor, now_realtime_usec());
        if (r == -ERR_NO_SUCH_ACCOUNT)
                return bus_error_set_account(error, r, account);
        if (r < 0)
                return bus_error_set_errno_message(error, r, NULL);
        return sd_bus_reply_method_return(msg, NULL);
}

/* 2FA changes need a password proof, which needs the worker pool; until then they say so. */
int method_own_twofa_unsupported(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        Proof p;
        int r;

        r = bus_verify_verifier(m, msg, error, NULL, NULL);
        if (r < 0)
                return r;
        r = read_proof(msg, &p, error);
        if (r < 0)
                return r;
        return bus_error_set_errno_message(error, -ERR_UNAVAILABLE,
                                           "Two-factor changes by a registry need a password proof, not supported yet.");
}
