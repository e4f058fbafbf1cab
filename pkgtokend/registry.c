/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "errors.h"
#include "packages.h"
#include "registry.h"
#include "rotation.h"
#include "second-factor.h"
#include "stages.h"
#include "strv.h"
#include "tokens.h"

/* What the audit says a finished write did. */
static const char *past_tense(Action a) {
        switch (a) {
        case ACTION_PUBLISH:
                return "published";
        case ACTION_UNPUBLISH:
                return "unpublished";
        case ACTION_DEPRECATE:
                return "deprecated";
        case ACTION_DIST_TAG:
                return "changed dist-tags of";
        case ACTION_OWNER:
                return "changed owners of";
        case ACTION_STAGE:
                return "staged";
        default:
                return "changed";
        }
}

/* A new package gets its first maintainer; when another publish created it meanwhile, only
 * one of its maintainers may go on. */
static int create_package(Store *s, const PendingPublish *p, usec_t now) {
        _cleanup_(package_record_done) PackageRecord existing = {};
        int64_t package_id;
        int r;

        r = store_package_insert(s, p->package, PACKAGE_POLICY_DEFAULT, now, &package_id);
        if (r >= 0)
                return store_maintainer_add(s, package_id, p->account_id, now);
        if (r != -EEXIST)
                return r;
        r = store_package_lookup(s, p->package, &existing);
        if (r < 0)
                return r;
        r = store_maintainer_check(s, existing.id, p->account_id);
        if (r < 0)
                return r;
        return r > 0 ? 0 : -ERR_NOT_MAINTAINER;
}

static int record_finish(Store *s, const PendingPublish *p, bool succeeded, const char *reason, usec_t now) {
        _cleanup_free_ char *text = NULL;
        int r;

        if (succeeded)
                r = asprintf(&text, "%s %s%s%s by %s", past_tense(p->action), p->package,
                             isempty(p->version) ? "" : "@", p->version, p->actor);
        else
                r = asprintf(&text, "%s failed%s%s", action_to_string(p->action), isempty(reason) ? "" : ": ",
                             reason ?: "");
        if (r < 0)
                return -ENOMEM;
        return store_audit_append(s, &(AuditEvent) {
                .time = now,
                .action = action_to_string(p->action),
                .package = p->package,
                .result = succeeded ? AUDIT_RESULT_OK : AUDIT_RESULT_FAILED,
                .actor = p->actor,
                .token_id = p->token_id,
                .remote = p->remote,
                .reason = text,
                .version = p->version,
        });
}

int registry_finish_publish(Store *s, const char *id, bool succeeded, const char *reason, usec_t stage_lifetime,
                            usec_t now, PendingPublish *ret) {
        _cleanup_(pending_publish_done) PendingPublish p = {};
        _cleanup_transaction_ Transaction tx = {};
        int r, outcome = 0;

        r = store_begin(s, &tx);
        if (r < 0)
                return r;
        r = store_pending_prune(s, now > PENDING_PUBLISH_LIFETIME_USEC ? now - PENDING_PUBLISH_LIFETIME_USEC : 0);
        if (r >= 0)
                r = store_pending_take(s, id, &p);
        if (r == -ENOENT) {
                /* The prune is worth keeping even when the id was unknown. */
                r = store_commit(&tx);
                return r < 0 ? r : -ERR_NO_SUCH_PUBLISH;
        }
        if (r < 0)
                return r;

        if (succeeded && p.new_package) {
                outcome = create_package(s, &p, now);
                if (outcome < 0 && outcome != -ERR_NOT_MAINTAINER)
                        return outcome;
                if (outcome < 0) {
                        succeeded = false;
                        reason = "the package was created meanwhile by another account";
                }
        }
        if (succeeded && p.action == ACTION_STAGE) {
                /* A staged version publishes nothing yet: its record waits for a maintainer. */
                const char *message = NULL;
                outcome = stage_create(s, &p, stage_lifetime, now, &message);
                if (outcome < 0 && outcome != -ERR_INVALID_ARGUMENT)
                        return outcome;
                if (outcome < 0) {
                        succeeded = false;
                        reason = message;
                }
        }
        if (succeeded && p.action == ACTION_STAGE)
                r = 0;   /* stage_create() audited it */
        else
                r = record_finish(s, &p, succeeded, reason, now);
        if (r >= 0)
                r = store_commit(&tx);
        if (r < 0)
                return r;
        *ret = p;
        p = (PendingPublish) {};
        return outcome;
}

char *registry_actor(const char *account, uid_t registry_uid) {
        char *s;

        if (asprintf(&s, "%s (registry uid %u)", account, (unsigned) registry_uid) < 0)
                return NULL;
        return s;
}

int registry_prove_token(const Authorizer *a, const char *token, const char *remote, usec_t now,
                         AuthorizeAnswer *ret) {
        int r;

        r = authorize(a, &(AuthorizeRequest) {
                .token = token,
                .package = "",
                .action = ACTION_IDENTITY,
                .remote = remote,
                .otp = "",
                .account = "",
        }, now, ret);
        if (r < 0)
                return r;
        switch (ret->result) {
        case AUTHZ_ALLOWED:
                return 0;
        case AUTHZ_RATE_LIMITED:
                return -ERR_RATE_LIMITED;
        case AUTHZ_INVALID:
                return -ERR_BAD_CREDENTIALS;
        default:
                return -ERR_FORBIDDEN;
        }
}

int registry_governance(Store *s, ProofKind proof, const TokenRecord *token, const char *account, bool otp_given,
                        GovernanceAct act, usec_t now, GovernanceVerdict *ret) {
        _cleanup_(account_record_done) AccountRecord a = {};
        GovernanceFacts f = {
                .proof = token ? PROOF_TOKEN : proof,
                .type = token ? token->type : TOKEN_READ_ONLY,
                .owner = token ? token->owner : TOKEN_OWNER_ACCOUNT,
                .account_2fa = TWOFA_DISABLED,
                .otp_given = otp_given,
        };
        int r;

        /* A package token has no person behind it: no account to load. */
        if (f.owner == TOKEN_OWNER_ACCOUNT) {
                r = store_account_get(s, token ? token->account : account, &a);
                if (r < 0)
                        return r == -ENOENT ? -ERR_BAD_CREDENTIALS : r;
                f.account_2fa = a.twofa;
                f.on_hold = a.hold_until > now;
        }
        *ret = governance_decide(&f, act);
        return 0;
}

/* A package token belongs to the maintainers of its packages. */
static int maintains_any(Store *s, const char *account, char * const *packages) {
        STRV_FOREACH(name, packages) {
                _cleanup_(package_record_done) PackageRecord p = {};
                int r = store_package_get(s, *name, &p);
                if (r == -ENOENT)
                        continue;
                if (r < 0)
                        return r;
                if (strv_contains(p.maintainers, account))
                        return 1;
        }
        return 0;
}

int registry_token_is_own(Store *s, const char *account, const TokenRecord *t) {
        if (t->owner == TOKEN_OWNER_ACCOUNT)
                return streq_ptr(t->account, account);
        return maintains_any(s, account, t->scope);
}

typedef struct PrefixSearch {
        const char *prefix;
        char *found;
        unsigned n;
} PrefixSearch;

static int prefix_cb(const TokenRecord *t, void *userdata) {
        PrefixSearch *q = userdata;

        if (!streq_ptr(t->prefix, q->prefix) || t->revoked_at != 0)
                return 0;
        if (q->n++ == 0) {
                q->found = strdup(t->id);
                if (!q->found)
                        return -ENOMEM;
        }
        return 0;
}

/* npm shows (and sends back) a token's key; ours is the display prefix. */
static int resolve_own_token(Store *s, const char *account, const char *id_or_prefix, TokenRecord *ret) {
        _cleanup_free_ char *found = NULL;
        const char *id = id_or_prefix;
        int r;

        if (!token_id_is_valid(id_or_prefix)) {
                PrefixSearch q = { .prefix = id_or_prefix };

                r = registry_foreach_own_token(s, account, prefix_cb, &q);
                found = q.found;
                if (r < 0)
                        return r;
                if (q.n == 0)
                        return -ERR_NO_SUCH_TOKEN;
                if (q.n > 1)
                        return -ERR_INVALID_ARGUMENT;
                id = found;
        }
        r = token_load(s, id, ret);
        if (r < 0)
                return r;
        r = registry_token_is_own(s, account, ret);
        if (r < 0)
                return r;
        /* Another account's token is as good as unknown. */
        return r > 0 ? 0 : -ERR_NO_SUCH_TOKEN;
}

/* The own token q names, once the account's current code is checked where its 2FA asks. */
static int own_token_for_change(const OwnRevoke *q, usec_t now, TokenRecord *ret, const char **ret_message) {
        _cleanup_(account_record_done) AccountRecord a = {};
        Store *s = q->lockout->store;
        int r;

        r = store_account_get(s, q->account, &a);
        if (r < 0)
                return r == -ENOENT ? -ERR_BAD_CREDENTIALS : r;
        r = resolve_own_token(s, q->account, q->id_or_prefix, ret);
        if (r < 0 || a.twofa == TWOFA_DISABLED || q->otp_verified)
                return r;
        return second_factor_require_now(q->lockout, q->account, q->otp, /* allow_recovery= */ false, now,
                                         ret_message);
}

int registry_rotate_own_token(const OwnRevoke *q, const LifetimeLimits *l, usec_t grace, usec_t now, char **ret_id,
                              char secret[static TOKEN_LEN + 1], const char **ret_message) {
        _cleanup_(token_record_done) TokenRecord t = {};
        int r;

        r = own_token_for_change(q, now, &t, ret_message);
        if (r < 0)
                return r;
        return token_rotate(q->lockout->store, l, &(const TokenRotation) {
                .id = t.id,
                .grace = grace,
                .actor = q->actor,
        }, now, ret_id, secret, ret_message);
}

int registry_revoke_own_token(const OwnRevoke *q, usec_t now, char **ret_id, const char **ret_message) {
        _cleanup_(token_record_done) TokenRecord t = {};
        Store *s = q->lockout->store;
        int r;

        r = own_token_for_change(q, now, &t, ret_message);
        if (r < 0)
                return r;
        r = token_revoke_as(s, t.id, q->actor, now);
        if (r < 0)
                return r;
        *ret_id = t.id;
        t.id = NULL;
        return 0;
}

typedef struct OwnTokens {
        Store *store;
        const char *account;
        char **seen;
        OwnTokenCallback cb;
        void *userdata;
} OwnTokens;

static int own_package_token_cb(const TokenRecord *t, void *userdata) {
        OwnTokens *o = userdata;

        if (t->owner != TOKEN_OWNER_PACKAGE || strv_contains(o->seen, t->id))
                return 0;
        if (strv_extend(&o->seen, t->id) < 0)
                return -ENOMEM;
        return o->cb(t, o->userdata);
}

static int own_package_cb(const PackageRecord *p, void *userdata) {
        OwnTokens *o = userdata;

        if (!strv_contains(p->maintainers, o->account))
                return 0;
        return store_token_foreach(o->store, NULL, p->name, own_package_token_cb, o);
}

int registry_foreach_own_token(Store *s, const char *account, OwnTokenCallback cb, void *userdata) {
        OwnTokens o = { .store = s, .account = account, .cb = cb, .userdata = userdata };
        int r;

        r = store_token_foreach(s, account, NULL, cb, userdata);
        if (r >= 0)
                r = store_package_foreach(s, own_package_cb, &o);
        strv_free(o.seen);
        return r;
}

int registry_check_owner_by_password(Store *s, const char *account, const char *package, const char **ret_message) {
        _cleanup_(package_record_done) PackageRecord p = {};
        _cleanup_(account_record_done) AccountRecord a = {};
        int r;

        r = package_load(s, package, &p);
        if (r < 0)
                return r;
        r = store_account_get(s, account, &a);
        if (r < 0)
                return r == -ENOENT ? -ERR_BAD_CREDENTIALS : r;
        if (!strv_contains(p.maintainers, account))
                return -ERR_NOT_MAINTAINER;
        /* As for a publish: a person proves presence with an OTP where the package asks. */
        if (p.policy != POLICY_NONE && a.twofa == TWOFA_DISABLED) {
                *ret_message = "OTP required: enable two-factor authentication for the account.";
                return -ERR_FORBIDDEN;
        }
        return 0;
}
