/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "audit.h"
#include "errors.h"
#include "packages.h"
#include "random-util.h"
#include "second-factor.h"
#include "stages.h"
#include "strv.h"
#include "validate.h"

/* Expired stages are marked in batches, so that a backlog never holds the loop for long. */
#define EXPIRE_BATCH 100

int stage_id_generate(char ret[static STAGE_ID_LEN + 1]) {
        uint8_t b[16];
        int r;

        r = random_bytes(b, sizeof b);
        if (r < 0)
                return r;
        b[6] = (b[6] & 0x0f) | 0x40;   /* version 4 */
        b[8] = (b[8] & 0x3f) | 0x80;   /* the RFC 4122 variant */
        snprintf(ret, STAGE_ID_LEN + 1,
                 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                 b[15]);
        return 0;
}

/* One audit record per step of a stage, naming its version; the reason's words are format's. */
static int audit_stage(Store *s, const StageRecord *st, const char *action, const char *result, const char *actor,
                       usec_t now, const char *format, ...) _printf_(7, 8);
static int audit_stage(Store *s, const StageRecord *st, const char *action, const char *result, const char *actor,
                       usec_t now, const char *format, ...) {
        _cleanup_free_ char *text = NULL;
        va_list ap;
        int r;

        va_start(ap, format);
        r = vasprintf(&text, format, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return store_audit_append(s, &(AuditEvent) {
                .time = now,
                .action = action,
                .package = st->package,
                .result = result,
                .actor = actor,
                .token_id = st->token_id,
                .remote = st->remote,
                .reason = text,
                .version = st->version,
        });
}

typedef struct LiveSearch {
        const char *version;
        usec_t now;
        bool found;
} LiveSearch;

static int live_cb(const StageRecord *r, void *userdata) {
        LiveSearch *q = userdata;
        StageState state = stage_state_effective(r->state, r->expires_at, q->now);

        if (streq(r->version, q->version) && (state == STAGE_STAGED || state == STAGE_APPROVED))
                q->found = true;
        return 0;
}

int stage_create(Store *s, const PendingPublish *p, usec_t lifetime, usec_t now, const char **ret_message) {
        LiveSearch q = { .version = p->version, .now = now };
        StageRecord st = {
                .id = p->id,
                .package = p->package,
                .version = p->version,
                .integrity = p->integrity,
                .staged_by = p->actor,
                .token_id = p->token_id,
                .remote = p->remote,
                .staged_at = now,
                .expires_at = now + lifetime,
                .state = STAGE_STAGED,
        };
        int r;

        /* One version waits once: a second stage of it would only race the first's approval. */
        r = store_stage_foreach(s, p->package, live_cb, &q);
        if (r < 0)
                return r;
        if (q.found) {
                *ret_message = "That version is staged already: approve or reject the waiting stage first.";
                return -ERR_INVALID_ARGUMENT;
        }
        r = store_stage_insert(s, &st);
        if (r < 0)
                return r;
        return audit_stage(s, &st, AUDIT_STAGE, AUDIT_RESULT_OK, p->actor, now, "staged %s@%s by %s", st.package,
                           st.version, p->actor);
}

int stage_load(Store *s, const char *id, usec_t now, StageRecord *ret) {
        int r;

        if (!stage_id_is_valid(id))
                return -ERR_NO_SUCH_STAGE;
        r = store_stage_get(s, id, ret);
        if (r == -ENOENT)
                return -ERR_NO_SUCH_STAGE;
        if (r < 0)
                return r;
        ret->state = stage_state_effective(ret->state, ret->expires_at, now);
        return 0;
}

static int verdict_to_errno(const StageDecisionVerdict *v, TwoFactorMode account_2fa) {
        if (v->not_pending)
                return -ERR_STAGE_NOT_PENDING;
        switch (v->code) {
        case REASON_NOT_MAINTAINER:
                return -ERR_NOT_MAINTAINER;
        case REASON_OTP_REQUIRED:
                /* Asked for, or impossible: the account has no second factor to give. */
                return account_2fa == TWOFA_DISABLED ? -ERR_FORBIDDEN : -ERR_OTP_REQUIRED;
        case REASON_INVALID_ARGUMENT:
                return -ERR_INVALID_ARGUMENT;
        default:
                return -ERR_FORBIDDEN;
        }
}

/* An account token's scope: empty for all the account maintains, else patterns. */
static bool token_scope_covers(const TokenRecord *t, const char *package) {
        if (strv_length(t->scope) == 0)
                return true;
        STRV_FOREACH(p, t->scope)
                if (scope_pattern_matches(*p, package))
                        return true;
        return false;
}

/* The facts of a decision; the package's maintainers and the account's 2FA come from the
 * store. */
static int gather_decision_facts(const StageDecision *q, Store *s, const StageRecord *st, usec_t now,
                                 StageDecisionFacts *ret) {
        _cleanup_(package_record_done) PackageRecord p = {};
        _cleanup_(account_record_done) AccountRecord a = {};
        int r;

        *ret = (StageDecisionFacts) {
                .decider = q->decider,
                .by_token = q->token != NULL,
                .token_type = q->token ? q->token->type : TOKEN_SESSION,
                .token_owner = q->token ? q->token->owner : TOKEN_OWNER_ACCOUNT,
                .out_of_scope = q->token && !token_scope_covers(q->token, st->package),
                .otp_given = !isempty(q->otp),
                .state = st->state,
        };
        if (q->decider == STAGE_DECIDER_ADMIN)
                return 0;
        r = store_package_get(s, st->package, &p);
        if (r < 0 && r != -ENOENT)
                return r;
        r = isempty(q->account) ? -ENOENT : store_account_get(s, q->account, &a);
        if (r == -ENOENT)
                return 0;   /* nobody: no maintainer, no second factor */
        if (r < 0)
                return r;
        ret->maintainer = strv_contains(p.maintainers, a.name) && !a.locked;
        ret->account_2fa = a.twofa;
        ret->on_hold = a.hold_until > now;
        return 0;
}

int stage_decide(const StageDecision *q, usec_t now, StageRecord *ret, const char **ret_message) {
        _cleanup_(stage_record_done) StageRecord st = {};
        _cleanup_transaction_ Transaction tx = {};
        Store *s = q->lockout->store;
        StageDecisionFacts f;
        StageDecisionVerdict v;
        StageState to = q->approve ? STAGE_APPROVED : STAGE_REJECTED;
        int r;

        r = store_begin(s, &tx);
        if (r < 0)
                return r;
        r = stage_load(s, q->id, now, &st);
        if (r < 0)
                return r;
        r = gather_decision_facts(q, s, &st, now, &f);
        if (r < 0)
                return r;
        v = stage_decision_verdict(&f);
        if (v.code != REASON_OK) {
                *ret_message = v.message;
                return verdict_to_errno(&v, f.account_2fa);
        }
        if (v.check_otp) {
                r = second_factor_require(q->lockout, &tx, q->account, q->otp, /* allow_recovery= */ false, now,
                                          ret_message);
                if (r < 0)
                        return r;
        }

        r = store_stage_set_state(s, st.id, STAGE_STAGED, to, q->actor, now, q->reason);
        if (r == 0)
                return -ERR_STAGE_NOT_PENDING;
        if (r >= 0)
                r = audit_stage(s, &st, q->approve ? AUDIT_STAGE_APPROVE : AUDIT_STAGE_REJECT, AUDIT_RESULT_OK,
                                q->actor, now, "%s %s@%s by %s%s%s", q->approve ? "approved" : "rejected", st.package,
                                st.version, q->actor, isempty(q->reason) ? "" : ": ", q->reason ?: "");
        if (r >= 0)
                r = store_commit(&tx);
        if (r < 0)
                return r;
        st.state = to;
        free(st.decided_by);
        free(st.reason);
        st.decided_by = strdup(q->actor);
        st.reason = strdup(q->reason ?: "");
        if (!st.decided_by || !st.reason)
                return -ENOMEM;
        st.decided_at = now;
        *ret = st;
        st = (StageRecord) {};
        return 0;
}

int stage_complete(Store *s, const char *id, bool succeeded, const char *reason, const char *actor, usec_t now,
                   StageRecord *ret) {
        _cleanup_(stage_record_done) StageRecord st = {};
        _cleanup_transaction_ Transaction tx = {};
        int r;

        r = store_begin(s, &tx);
        if (r < 0)
                return r;
        r = stage_load(s, id, now, &st);
        if (r < 0)
                return r;
        if (st.state != STAGE_APPROVED)
                return -ERR_STAGE_NOT_PENDING;
        if (succeeded) {
                /* Who decided stays on record; the publish is theirs, the registry only carried it out. */
                r = store_stage_set_state(s, st.id, STAGE_APPROVED, STAGE_PUBLISHED, st.decided_by, st.decided_at,
                                          st.reason);
                if (r == 0)
                        return -ERR_STAGE_NOT_PENDING;
                if (r >= 0)
                        r = audit_stage(s, &st, action_to_string(ACTION_PUBLISH), AUDIT_RESULT_OK, st.decided_by, now,
                                        "published %s@%s as approved by %s (reported by %s)", st.package, st.version,
                                        st.decided_by, actor);
        } else
                r = audit_stage(s, &st, action_to_string(ACTION_PUBLISH), AUDIT_RESULT_FAILED, actor, now,
                                "publish of approved %s@%s failed%s%s", st.package, st.version,
                                isempty(reason) ? "" : ": ", reason ?: "");
        if (r >= 0)
                r = store_commit(&tx);
        if (r < 0)
                return r;
        if (succeeded)
                st.state = STAGE_PUBLISHED;
        *ret = st;
        st = (StageRecord) {};
        return 0;
}

int stages_expire(Store *s, usec_t now, StageCallback cb, void *userdata) {
        int r, count;

        for (count = 0; count < EXPIRE_BATCH; count++) {
                _cleanup_(stage_record_done) StageRecord st = {};
                _cleanup_transaction_ Transaction tx = {};

                r = store_begin(s, &tx);
                if (r >= 0)
                        r = store_stage_next_expired(s, now, &st);
                if (r == -ENOENT)
                        break;
                if (r >= 0)
                        r = store_stage_set_state(s, st.id, STAGE_STAGED, STAGE_EXPIRED, "", now,
                                                  "not decided within StageLifetimeSec=");
                if (r >= 0)
                        r = audit_stage(s, &st, AUDIT_STAGE_EXPIRE, AUDIT_RESULT_OK, "pkgtokend", now,
                                        "expired %s@%s: not decided within StageLifetimeSec=", st.package, st.version);
                if (r >= 0)
                        r = store_commit(&tx);
                if (r < 0)
                        return r;
                st.state = STAGE_EXPIRED;
                if (cb)
                        (void) cb(&st, userdata);
        }
        return count;
}
