/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Staged publishing on the bus: ListStages, GetStage (registries and admins), ApproveStage and
 * RejectStage (admins: root through pkgtokenctl, as an override or for a named account with
 * its current code), CompleteStage (the registry published the approved bytes), the
 * StageCreated and StageDecided signals, and the decision of an account a registry proved
 * (bus-registry.c). */

#include <stdio.h>
#include <string.h>

#include "bus-caller.h"
#include "bus-error.h"
#include "bus-methods.h"
#include "bus-records.h"
#include "bus-stages.h"
#include "bus-util.h"
#include "log.h"
#include "names.h"
#include "packages.h"
#include "strv.h"
#include "validate.h"

static int append_stage(sd_bus_message *reply, const StageRecord *st) {
        const struct {
                const char *key, *value;
        } strings[] = {
                { "id", st->id },
                { "package", st->package },
                { "version", st->version },
                { "integrity", st->integrity },
                { "staged_by", st->staged_by },
                { "token_id", st->token_id },
                { "state", stage_state_to_string(st->state) },
                { "decided_by", st->decided_by },
                { "reason", st->reason },
        };
        const struct {
                const char *key;
                usec_t value;
        } times[] = {
                { "staged_at", st->staged_at },
                { "expires_at", st->expires_at },
                { "decided_at", st->decided_at },
        };

        APPEND(sd_bus_message_open_container(reply, 'a', "{sv}"));
        for (size_t i = 0; i < ELEMENTSOF(strings); i++)
                APPEND(append_entry(reply, strings[i].key, "s", strings[i].value ?: ""));
        for (size_t i = 0; i < ELEMENTSOF(times); i++)
                APPEND(append_entry(reply, times[i].key, "t", (uint64_t) times[i].value));
        return sd_bus_message_close_container(reply);
}

static int append_stage_record(sd_bus_message *reply, const void *st) {
        return append_stage(reply, st);
}

static int reply_stage(sd_bus_message *msg, const StageRecord *st) {
        return bus_reply_record(msg, append_stage_record, st);
}

static void emit_stage_decided(Manager *m, const StageRecord *st) {
        (void) sd_bus_emit_signal(m->bus, PKGTOKEN_OBJECT_PATH, PKGTOKEN_MANAGER_IFACE, "StageDecided", "ss", st->id,
                                  stage_state_to_string(st->state));
}

void bus_emit_stage_created(Manager *m, const PendingPublish *p) {
        bus_emit_package_staged(m, p->id, p->package, p->version, p->actor);
}

static int expired_cb(const StageRecord *st, void *userdata) {
        emit_stage_decided(userdata, st);
        return 0;
}

void bus_stages_expire(Manager *m) {
        int r = stages_expire(m->store, now_realtime_usec(), expired_cb, m);
        if (r < 0)
                log_warning("cannot expire staged versions: %s", strerror(-r));
        else if (r > 0)
                log_info("%d staged version(s) expired after StageLifetimeSec=", r);
}

/* ---- ListStages, GetStage ---- */

typedef struct StageFilter {
        const char *package;     /* "" all */
        int state;               /* -1 all */
        const char *maintainer;  /* "" all; else packages this account maintains */
        sd_bus_message *reply;
        Store *store;
        usec_t now;
} StageFilter;

static int list_stage_cb(const StageRecord *st, void *userdata) {
        StageFilter *f = userdata;
        StageRecord shown = *st;

        shown.state = stage_state_effective(st->state, st->expires_at, f->now);
        if (f->state >= 0 && (int) shown.state != f->state)
                return 0;
        if (!isempty(f->maintainer)) {
                _cleanup_(package_record_done) PackageRecord p = {};
                int r = store_package_get(f->store, st->package, &p);
                if (r == -ENOENT)
                        return 0;
                if (r < 0)
                        return r;
                if (!strv_contains(p.maintainers, f->maintainer))
                        return 0;
        }
        return append_stage(f->reply, &shown);
}

static int fill_stages(Store *s, sd_bus_message *reply, const void *query) {
        StageFilter f = *(const StageFilter *) query;

        f.reply = reply;
        f.store = s;
        f.now = now_realtime_usec();
        return store_stage_foreach(s, f.package, list_stage_cb, &f);
}

int method_list_stages(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *package = NULL;
        const char *package_arg = "", *state = "", *maintainer = "";
        Manager *m = userdata;
        StageFilter f = { .state = -1 };
        int r;

        r = bus_begin_call(m, msg, &(BusCall) {
                .verifier = true,
                .check_first = true,
                BUS_OPTIONS({ "package", OPTION_STRING, &package_arg },
                            { "state", OPTION_STRING, &state },
                            { "maintainer", OPTION_STRING, &maintainer }),
        }, error, "");
        if (r < 0)
                return r;
        r = bus_read_optional_package_name(package_arg, &package, error);
        if (r < 0)
                return r;
        if (!isempty(state)) {
                f.state = stage_state_from_string(state);
                if (f.state < 0)
                        return invalid_argument(error, "Invalid state: use staged, approved, published, rejected "
                                                       "or expired.");
        }
        if (!isempty(maintainer)) {
                r = bus_check_account_name(maintainer, error);
                if (r < 0)
                        return r;
        }
        f.package = package ?: "";
        f.maintainer = maintainer;
        return bus_reply_list(m->store, msg, fill_stages, &f, error);
}

static int stage_error(sd_bus_error *error, int r, const char *id, const char *message) {
        if (r == -ERR_NO_SUCH_STAGE)
                return bus_error_set_errnof(error, r, "No such staged version '%s'.", id);
        return bus_error_set_errno_message(error, r, message);
}

int method_get_stage(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(stage_record_done) StageRecord st = {};
        Manager *m = userdata;
        const char *id;
        int r;

        r = bus_begin_call(m, msg, &(BusCall) { .verifier = true, .check_first = true }, error, "s", &id);
        if (r < 0)
                return r;
        r = stage_load(m->store, id, now_realtime_usec(), &st);
        if (r < 0)
                return stage_error(error, r, id, NULL);
        return reply_stage(msg, &st);
}

/* ---- deciding ---- */

static int decide_and_reply(Manager *m, sd_bus_message *msg, const StageDecision *q, sd_bus_error *error) {
        _cleanup_(stage_record_done) StageRecord st = {};
        const char *message = NULL;
        int r;

        r = stage_decide(q, now_realtime_usec(), &st, &message);
        if (r < 0)
                return stage_error(error, r, q->id, message);
        r = reply_stage(msg, &st);
        if (r < 0)
                return r;
        emit_stage_decided(m, &st);
        return 1;
}

/* (s id, a{sv} options): "reason", and for admins "account" and "otp".  admin_uid NULL: a
 * registry's caller was checked already; else an admin is, after reading. */
typedef struct DecisionArguments {
        const char *id, *reason, *account, *otp;
} DecisionArguments;

static int read_decision(Manager *m, sd_bus_message *msg, uid_t *admin_uid, DecisionArguments *ret,
                         sd_bus_error *error) {
        int r;

        *ret = (DecisionArguments) { .reason = "", .account = "", .otp = "" };
        r = bus_begin_call(m, msg, &(BusCall) {
                .checked = !admin_uid,
                .ret_uid = admin_uid,
                .has_options = true,
                .options = (const OptionSpec[]) {
                        { "reason", OPTION_STRING, &ret->reason },
                        { "account", OPTION_STRING, &ret->account },
                        { "otp", OPTION_STRING, &ret->otp },
                },
                .n_options = admin_uid ? 3 : 1,
        }, error, "s", &ret->id);
        if (r < 0)
                return r;
        if (!description_is_valid(ret->reason))
                return invalid_argument(error, "Invalid reason: at most 256 bytes of printable UTF-8.");
        return 0;
}

int bus_decide_stage_for(Manager *m, sd_bus_message *msg, const StageProver *p, bool approve, sd_bus_error *error) {
        DecisionArguments a;
        int r;

        r = read_decision(m, msg, NULL, &a, error);
        if (r < 0)
                return r;
        return decide_and_reply(m, msg, &(StageDecision) {
                .lockout = &m->lockout,
                .id = a.id,
                .approve = approve,
                .decider = p->token ? STAGE_DECIDER_CODE : STAGE_DECIDER_PASSWORD,
                .account = p->account,
                .token = p->token,
                .otp = p->otp,
                .actor = p->actor,
                .reason = a.reason,
        }, error);
}

/* Admins decide as such ("admin (uid 0)"), or for a maintainer they name, with that
 * account's current code, audited as that account through the admin's uid. */
static int admin_decide(sd_bus_message *msg, Manager *m, bool approve, sd_bus_error *error) {
        _cleanup_free_ char *actor = NULL;
        DecisionArguments a;
        uid_t uid;
        int r;

        r = read_decision(m, msg, &uid, &a, error);
        if (r < 0)
                return r;
        if (!isempty(a.account)) {
                r = bus_check_account_name(a.account, error);
                if (r < 0)
                        return r;
        } else if (!isempty(a.otp))
                return invalid_argument(error, "An \"otp\" belongs to the \"account\" it is given for.");
        if (isempty(a.account) ? asprintf(&actor, "admin (uid %u)", (unsigned) uid) < 0
                               : asprintf(&actor, "%s (by uid %u)", a.account, (unsigned) uid) < 0)
                return -ENOMEM;
        return decide_and_reply(m, msg, &(StageDecision) {
                .lockout = &m->lockout,
                .id = a.id,
                .approve = approve,
                .decider = isempty(a.account) ? STAGE_DECIDER_ADMIN : STAGE_DECIDER_CODE,
                .account = a.account,
                .otp = a.otp,
                .actor = actor,
                .reason = a.reason,
        }, error);
}

int method_approve_stage(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return admin_decide(msg, userdata, true, error);
}

int method_reject_stage(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return admin_decide(msg, userdata, false, error);
}

/* ---- CompleteStage ---- */

int bus_begin_outcome(Manager *m, sd_bus_message *msg, uid_t *ret_uid, Outcome *ret, sd_bus_error *error) {
        int succeeded, r;

        *ret = (Outcome) { .reason = "" };
        r = bus_begin_call(m, msg, &(BusCall) {
                .verifier = true,
                .check_first = true,
                .ret_uid = ret_uid,
                BUS_OPTIONS({ "reason", OPTION_STRING, &ret->reason }),
        }, error, "sb", &ret->id, &succeeded);
        if (r < 0)
                return r;
        ret->succeeded = succeeded;
        if (!description_is_valid(ret->reason))
                return invalid_argument(error, "Invalid reason: at most 256 bytes of printable UTF-8.");
        return 0;
}

int method_complete_stage(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(stage_record_done) StageRecord st = {};
        _cleanup_free_ char *actor = NULL;
        Manager *m = userdata;
        Outcome outcome;
        uid_t uid;
        int r;

        r = bus_begin_outcome(m, msg, &uid, &outcome, error);
        if (r >= 0 && asprintf(&actor, "registry uid %u", (unsigned) uid) < 0)
                r = -ENOMEM;
        if (r < 0)
                return r;
        r = stage_complete(m->store, outcome.id, outcome.succeeded, outcome.reason, actor, now_realtime_usec(), &st);
        if (r < 0)
                return stage_error(error, r, outcome.id, r == -ERR_STAGE_NOT_PENDING ? "The staged version is not approved "
                                                                               "(or was published already)." : NULL);
        r = sd_bus_reply_method_return(msg, NULL);
        if (r < 0)
                return r;
        if (outcome.succeeded) {
                emit_stage_decided(m, &st);
                bus_emit_package_published(m, st.package, st.version, st.decided_by, st.token_id);
        }
        return 1;
}
