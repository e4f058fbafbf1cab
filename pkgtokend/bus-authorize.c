/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Authorize on the bus: the registry's question for every request. */

#include "authorize.h"
#include "bus-authorize.h"
#include "bus-caller.h"
#include "bus-error.h"
#include "bus-methods.h"
#include "bus-util.h"
#include "names.h"
#include "stage-rules.h"
#include "validate.h"

void authorize_arguments_done(AuthorizeArguments *a) {
        free(a->package);
}

static int read_authorize_request(sd_bus_message *msg, bool verify, AuthorizeArguments *a, sd_bus_error *error) {
        AuthorizeRequest *q = &a->request;
        const char *package, *action;
        int r;

        /* read_basic() three times rather than a format string: this runs on every check. */
        r = sd_bus_message_read_basic(msg, 's', &q->token);
        if (r >= 0)
                r = sd_bus_message_read_basic(msg, 's', &package);
        if (r >= 0)
                r = sd_bus_message_read_basic(msg, 's', &action);
        if (r < 0)
                return r;
        q->remote = q->otp = q->account = q->version = q->integrity = "";
        /* Verify knows "version" and "integrity"; Authorize refuses them as unknown options. */
        r = read_options(msg, (const OptionSpec[]) {
                { "remote", OPTION_STRING, &q->remote },
                { "otp", OPTION_STRING, &q->otp },
                { "account", OPTION_STRING, &q->account },
                { "version", OPTION_STRING, &q->version },
                { "integrity", OPTION_STRING, &q->integrity },
        }, verify ? 5 : 3, error);
        if (r < 0)
                return r;
        r = action_from_string(action);
        if (r < 0 || (!verify && !action_is_basic(r)))
                return invalid_argument(error, verify ? "Invalid action: use identity, read, publish, unpublish, "
                                                        "deprecate, dist-tag, owner or stage."
                                                      : "Invalid action: use read or publish.");
        q->action = r;
        q->two_phase = verify;
        if (!description_is_valid(q->version))
                return invalid_argument(error, "Invalid version: at most 256 bytes of printable UTF-8.");
        /* A stage records what a maintainer will approve: the version and its bytes' digest. */
        if (q->action == ACTION_STAGE && (isempty(q->version) || !stage_integrity_is_valid(q->integrity)))
                return invalid_argument(error, "A stage needs its \"version\" and the tarball's \"integrity\" "
                                               "(sha512-BASE64).");
        if (q->action != ACTION_STAGE && !isempty(q->integrity))
                return invalid_argument(error, "Only a stage takes an \"integrity\".");
        r = bus_check_remote(q->remote, error);
        if (r < 0)
                return r;
        /* An identity question names no package; "" for a publish means the registry could not
         * tell the package: the answer is a refusal, recorded. */
        if (q->action == ACTION_IDENTITY || (isempty(package) && q->action == ACTION_PUBLISH)) {
                if (q->action == ACTION_IDENTITY && !isempty(package))
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

static void emit_token_revoked(const char *id, void *userdata) {
        bus_emit_token_revoked(userdata, id);
}

Authorizer bus_authorizer(Manager *m) {
        return (Authorizer) {
                .store = m->store,
                .lockout = &m->lockout,
                .ratelimit = m->ratelimit,
                .last_used = &m->last_used,
                .code_reuse = m->code_reuse,
                .revoked = emit_token_revoked,
                .userdata = m,
        };
}

void authorize_call_done(AuthorizeCall *c) {
        authorize_arguments_done(&c->args);
        authorize_answer_done(&c->answer);
}

int bus_authorize_call(Manager *m, sd_bus_message *msg, bool verify, AuthorizeCall *c, sd_bus_error *error) {
        Authorizer a = bus_authorizer(m);
        int r;

        r = bus_verify_verifier(m, msg, error, NULL, NULL);
        if (r < 0)
                return r;
        r = read_authorize_request(msg, verify, &c->args, error);
        if (r < 0)
                return r;
        r = authorize(&a, &c->args.request, now_realtime_usec(), &c->answer);
        if (r < 0)
                return bus_error_set_errno_message(error, r, NULL);
        if (c->answer.result == AUTHZ_ALLOWED)
                bus_note_token_address(m, &c->answer.token, c->args.request.remote);
        return 0;
}

int method_authorize(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(authorize_call_done) AuthorizeCall c = {};
        const AuthorizeAnswer *answer = &c.answer;
        Manager *m = userdata;
        int r;

        r = bus_authorize_call(m, msg, /* verify= */ false, &c, error);
        if (r < 0)
                return r;

        r = sd_bus_reply_method_return(msg, "ssss", authz_result_to_string(answer->result), answer->reason,
                                       answer->actor ?: "", answer->token.id ?: "");
        if (r < 0)
                return r;
        if (answer->announce)
                bus_emit_package_published(m, c.args.request.package, c.args.request.version, answer->actor,
                                           answer->token.id);
        return 1;   /* replied: 0 would make sd-bus answer again with UnknownMethod */
}
