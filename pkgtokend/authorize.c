/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "authorize-verdict.h"
#include "authorize.h"
#include "rotation.h"
#include "strv.h"
#include "second-factor.h"
#include "stages.h"
#include "token.h"
#include "tokens.h"

void authorize_answer_done(AuthorizeAnswer *a) {
        free(a->actor);
        a->actor = NULL;
        free(a->publish_id);
        a->publish_id = NULL;
        token_record_done(&a->token);
}

/* Looks the token up unless an earlier fact already decides: a guesser past its limit, or a
 * malformed token, costs no lookup.  Returns 1 when found, 0 when not, or a negative errno. */
static int find_token(const Authorizer *a, const AuthorizeRequest *q, usec_t now, AuthorizeFacts *f,
                      TokenRecord *ret) {
        uint8_t hash[TOKEN_HASH_SIZE];
        int r;

        f->rate_limited = ratelimit_exceeded(a->ratelimit, q->remote, now);
        if (f->rate_limited)
                return 0;
        f->token_format = token_check_format(q->token);
        if (f->token_format < 0)
                return 0;
        token_hash(q->token, hash);
        r = store_token_get_by_hash(a->store, hash, ret);
        if (r == -ENOENT)
                return 0;
        return r < 0 ? r : 1;
}

/* What the decision needs about the package.  A read depends only on the token (scope
 * patterns match names, whether or not the package exists), so reads, the bulk of a
 * registry's requests, cost no package lookup at all; only publishes by account tokens ask
 * about maintainers. */
static int load_package_facts(Store *s, const TokenRecord *t, const AuthorizeRequest *q, PackageFacts *ret) {
        _cleanup_(package_record_done) PackageRecord p = {};
        int r;

        *ret = (PackageFacts) {};
        if (!action_is_write(q->action))
                return 0;
        r = store_package_lookup(s, q->package, &p);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        ret->exists = true;
        ret->policy = p.policy;
        ret->trusted_publishing_only = p.trusted_publishing_only;
        ret->requires_approval = p.requires_approval;
        if (t->owner == TOKEN_OWNER_ACCOUNT) {
                r = store_maintainer_check(s, p.id, t->account_id);
                if (r < 0)
                        return r;
                ret->account_maintains = r > 0;
        }
        return 0;
}

/* Two-phase: an allowed write waits, on disk, for the registry to say how it ended. */
static int record_pending(const Authorizer *a, const AuthorizeRequest *q, const AuthorizeVerdict *v,
                          const TokenRecord *t, const char *actor, usec_t now, AuthorizeAnswer *ret) {
        char id[MAX(TOKEN_ID_LEN, STAGE_ID_LEN) + 1];
        int r;

        /* A stage's pending write has the stage's id, a UUID as npm wants it. */
        if (q->action == ACTION_STAGE)
                r = stage_id_generate(id);
        else
                r = token_id_generate(id);
        if (r < 0)
                return r;
        /* "tk_..." becomes "pb_...": the same alphabet, a different kind of id. */
        if (q->action != ACTION_STAGE) {
                id[0] = 'p';
                id[1] = 'b';
        }
        ret->publish_id = strdup(id);
        if (!ret->publish_id)
                return -ENOMEM;
        return store_pending_insert(a->store, &(PendingPublish) {
                .id = id,
                .created_at = now,
                .action = q->action,
                .package = (char *) q->package,
                .version = (char *) q->version,
                .token_id = t->id,
                .account_id = v->creates_package ? t->account_id : 0,
                .actor = (char *) actor,
                .remote = (char *) q->remote,
                .new_package = v->creates_package,
                .integrity = (char *) q->integrity,
        });
}

/* Every write decision is on disk before the registry hears it; an allowed publish of a new
 * package creates it in the same transaction, with the publishing account as maintainer
 * (two-phase: when FinishPublish says it succeeded, see registry.c). */
static int record_publish(const Authorizer *a, const AuthorizeRequest *q, const AuthorizeVerdict *v,
                          const TokenRecord *t, const char *actor, usec_t now, AuthorizeAnswer *ret) {
        bool pending = q->two_phase && v->result == AUTHZ_ALLOWED;
        int r;

        if (pending) {
                r = record_pending(a, q, v, t, actor, now, ret);
                if (r < 0)
                        return r;
        } else if (v->result == AUTHZ_ALLOWED && v->creates_package) {
                int64_t package_id;
                r = store_package_insert(a->store, q->package, PACKAGE_POLICY_DEFAULT, now, &package_id);
                if (r >= 0)
                        r = store_maintainer_add(a->store, package_id, t->account_id, now);
                if (r < 0)
                        return r;
        }
        if (v->token_identified && v->result == AUTHZ_ALLOWED) {
                r = store_token_touch(a->store, t->rowid, t->hash, now, q->remote);
                if (r < 0)
                        return r;
        }
        /* Refusals that name no token (unknown tokens, guessers) repeat: one row per address
         * and minute with a count (audit.h); everything else gets a row of its own. */
        if (!v->token_identified)
                return audit_record_repeatable(a->store, now, action_to_string(q->action), q->package,
                                               authz_result_to_string(v->result), actor, q->remote, v->reason);
        return store_audit_append(a->store, &(AuditEvent) {
                .time = now,
                .action = action_to_string(q->action),
                .package = q->package,
                .result = authz_result_to_string(v->result),
                .actor = actor,
                .token_id = v->token_identified ? t->id : NULL,
                .remote = q->remote,
                .reason = pending ? "pending" : v->reason,
                .version = q->version,
        });
}

/* The facts of the verdict; t holds the token (when found), package and token the facts
 * f points to. */
static int gather_facts(const Authorizer *a, const AuthorizeRequest *q, usec_t now, TokenRecord *t,
                        TokenFacts *token, PackageFacts *package, AuthorizeFacts *f) {
        int r;

        *f = (AuthorizeFacts) {
                .package_name = q->package,
                .action = q->action,
                .remote = q->remote,
                .claimed_account = q->account,
                .otp_given = !isempty(q->otp),
                .two_phase = q->two_phase,
                .now = now,
        };
        r = find_token(a, q, now, f, t);
        if (r <= 0)
                return r;
        r = load_package_facts(a->store, t, q, package);
        if (r < 0)
                return r;
        *token = (TokenFacts) {
                .type = t->type,
                .owner = t->owner,
                .revoked_at = t->revoked_at,
                .expires_at = t->expires_at,
                .account_locked = t->account_locked,
                .account_2fa = t->account_2fa,
                .scope = t->scope,
                .cidrs = t->cidrs,
                .rotated_until = t->rotated_until,
                .account_on_hold = t->account_hold_until > now,
        };
        f->token_found = true;
        f->token = token;
        f->token_account = t->account;
        f->package = package;
        return 0;
}

/* Does what the verdict says; a publish's records, and a revoked lineage, are committed in tx
 * before the answer. */
static int carry_out(const Authorizer *a, const AuthorizeRequest *q, const AuthorizeVerdict *v, Transaction *tx,
                     const TokenRecord *t, const char *actor, usec_t now, AuthorizeAnswer *ret) {
        _cleanup_strv_free_ char **revoked = NULL;
        int r;

        if (v->count_account_failure) {
                r = lockout_note_failure(a->lockout, t->account, q->remote, now);
                if (r < 0)
                        return r;
        }
        /* A rotated-out secret came back, even for a read: every rotation goes at once. */
        if (v->revoke_lineage) {
                r = tx->open ? 0 : store_begin(a->store, tx);
                if (r >= 0)
                        r = token_revoke_lineage(a->store, t, actor, q->remote, now, &revoked);
                if (r < 0)
                        return r;
        }
        if (v->record) {
                r = record_publish(a, q, v, t, actor, now, ret);
                if (r < 0)
                        return r;
        }
        if (tx->open) {
                r = store_commit(tx);
                if (r < 0)
                        return r;
        }
        STRV_FOREACH(id, revoked)
                if (a->revoked)
                        a->revoked(*id, a->userdata);
        if (v->note_use)
                last_used_note(a->last_used, t, now, q->remote);
        if (v->count_remote_failure)
                ratelimit_note_failure(a->ratelimit, q->remote, now);
        return 0;
}

int authorize(const Authorizer *a, const AuthorizeRequest *q, usec_t now, AuthorizeAnswer *ret) {
        _cleanup_transaction_ Transaction tx = {};
        PackageFacts package = {};
        TokenFacts token = {};
        AuthorizeFacts f;
        AuthorizeVerdict v;
        int r;

        *ret = (AuthorizeAnswer) {};
        r = gather_facts(a, q, now, &ret->token, &token, &package, &f);
        if (r < 0)
                return r;

        /* A publish is decided and recorded in one write transaction: an OTP's counter moves
         * in it too, so a code works once, even for two concurrent requests. */
        if (action_is_write(q->action)) {
                r = store_begin(a->store, &tx);
                if (r < 0)
                        return r;
        }

        v = authorize_verdict(&f, second_factor_checker, &(OtpCheckRequest) {
                                      .store = a->store,
                                      .account = ret->token.account,
                                      .code = q->otp,
                                      .allow_recovery = false,
                                      .lockout = a->lockout,
                                      .remote = q->remote,
                                      .repeat = &(OtpRepeat) {
                                              .reuse = a->code_reuse,
                                              .subject = "token",
                                              .secret = q->token,
                                              .remote = q->remote,
                                      },
                                      .now = now,
                              });
        if (v.error < 0)
                return v.error;

        if (v.token_identified) {
                ret->actor = token_format_actor(&ret->token);
                if (!ret->actor)
                        return -ENOMEM;
        } else
                token_record_done(&ret->token);

        r = carry_out(a, q, &v, &tx, &ret->token, ret->actor ?: v.anonymous_actor, now, ret);
        if (r < 0)
                return r;

        ret->result = v.result;
        ret->code = v.code;
        ret->new_package = v.creates_package;
        ret->reason = v.reason;
        ret->announce = v.announce;
        return 0;
}
