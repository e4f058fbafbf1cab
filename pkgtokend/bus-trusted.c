/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Trusted publishing on the bus: ExchangeIdToken for registries (RegistryGroup= members),
 * and for admins AddTrustedPublisher, ListTrustedPublishers, RemoveTrustedPublisher and
 * ListIssuers.  Whether a package requires trusted publishing is one of its options
 * (SetPackageOptions, bus-packages.c). */

#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "bus-caller.h"
#include "bus-trusted.h"
#include "bus-error.h"
#include "bus-methods.h"
#include "bus-records.h"
#include "bus-util.h"
#include "errors.h"
#include "names.h"
#include "strv.h"
#include "trusted-publishers.h"


/* ---- ExchangeIdToken ---- */

static int append_exchange_answer(sd_bus_message *reply, const void *userdata) {
        const TrustedAnswer *a = userdata;
        bool ok = a->code == REASON_OK;

        APPEND(sd_bus_message_append(reply, "sss", authz_result_to_string(ok ? AUTHZ_ALLOWED : AUTHZ_FORBIDDEN),
                                     reason_code_to_string(a->code), a->message));
        APPEND(sd_bus_message_open_container(reply, 'a', "{sv}"));
        if (ok) {
                APPEND(append_entry(reply, "token", "s", a->secret));
                APPEND(append_entry(reply, "token_id", "s", a->token_id));
                APPEND(append_entry(reply, "expires_at", "t", (uint64_t) a->expires_at));
        }
        if (a->provenance)
                APPEND(append_entry(reply, "provenance", "s", a->provenance));
        return sd_bus_message_close_container(reply);
}

int method_exchange_id_token(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(trusted_answer_done) TrustedAnswer answer = {};
        _cleanup_free_ char *package = NULL;
        Manager *m = userdata;
        const char *id_token, *package_arg, *remote = "";
        int r;

        r = bus_begin_call(m, msg, &(BusCall) {
                .verifier = true,
                .check_first = true,
                BUS_OPTIONS({ "remote", OPTION_STRING, &remote }),
        }, error, "ss", &id_token, &package_arg);
        if (r < 0)
                return r;
        r = bus_check_remote(remote, error);
        if (r < 0)
                return r;
        r = bus_read_package_name(package_arg, &package, error);
        if (r < 0)
                return r;

        r = trusted_exchange(&m->trusted, &(TrustedExchange) {
                .id_token = id_token,
                .package = package,
                .remote = remote,
        }, now_realtime_usec(), &answer);
        if (r < 0)
                return bus_error_set_errno_message(error, r, NULL);
        if (answer.code == REASON_OK)
                (void) sd_bus_emit_signal(m->bus, PKGTOKEN_OBJECT_PATH, PKGTOKEN_MANAGER_IFACE, "TokenCreated", "ss",
                                          answer.token_id, token_type_to_string(TOKEN_TRUSTED_PUBLISHING));
        return bus_reply_record(msg, append_exchange_answer, &answer);
}

/* ---- managing publishers (admins) ---- */

/* Reads an a{ss} of claims into name, value pairs. */
static int read_claims(sd_bus_message *msg, char ***ret, sd_bus_error *error) {
        _cleanup_strv_free_ char **pairs = NULL;
        const char *name, *value;
        int r;

        r = sd_bus_message_enter_container(msg, 'a', "{ss}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(msg, "{ss}", &name, &value)) > 0) {
                if (strv_length(pairs) >= 2 * TRUSTED_CLAIMS_MAX)
                        return invalid_argument(error, "Too many claims.");
                r = strv_extend(&pairs, name);
                if (r >= 0)
                        r = strv_extend(&pairs, value);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(msg);
        if (r < 0)
                return r;
        *ret = pairs;
        pairs = NULL;
        return 0;
}

/* AddTrustedPublisher's arguments after the caller (or the proof): package, issuer, claims,
 * options. */
typedef struct PublisherArgs {
        char *package;                 /* canonical */
        const char *issuer;
        char **claims;
} PublisherArgs;

static void publisher_args_done(PublisherArgs *a) {
        free(a->package);
        strv_free(a->claims);
}

static int read_publisher_args(sd_bus_message *msg, PublisherArgs *ret, sd_bus_error *error) {
        const char *package_arg;
        int r;

        r = sd_bus_message_read(msg, "ss", &package_arg, &ret->issuer);
        if (r >= 0)
                r = read_claims(msg, &ret->claims, error);
        if (r >= 0)
                r = read_options(msg, NULL, 0, error);
        if (r >= 0)
                r = bus_read_package_name(package_arg, &ret->package, error);
        return r;
}

static int add_publisher_reply(Manager *m, sd_bus_message *msg, const PublisherArgs *a, const char *actor,
                               sd_bus_error *error) {
        _cleanup_free_ char *id = NULL;
        const char *message = NULL;
        int r;

        r = trusted_publisher_add(&m->trusted, &(TrustedAdd) { .package = a->package, .issuer = a->issuer, .actor = actor },
                                  a->claims, now_realtime_usec(), &id, &message);
        if (r == -ERR_INVALID_ARGUMENT)
                return invalid_argument(error, message);
        if (r < 0)
                return bus_error_set_package(error, r, a->package);
        return sd_bus_reply_method_return(msg, "s", id);
}

int method_add_trusted_publisher(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(publisher_args_done) PublisherArgs args = {};
        Manager *m = userdata;
        char actor[32];
        uid_t uid;
        int r;

        r = bus_verify_admin(m, msg, error, &uid);
        if (r >= 0)
                r = read_publisher_args(msg, &args, error);
        if (r < 0)
                return r;
        audit_admin_actor(uid, actor);
        return add_publisher_reply(m, msg, &args, actor, error);
}

static int append_publisher(const TrustedPublisherRecord *t, void *userdata) {
        sd_bus_message *reply = userdata;

        APPEND(sd_bus_message_open_container(reply, 'a', "{sv}"));
        APPEND(append_entry(reply, "id", "s", t->id));
        APPEND(append_entry(reply, "package", "s", t->package));
        APPEND(append_entry(reply, "issuer", "s", t->issuer));
        APPEND(append_entry(reply, "claims", "s", t->claims));
        APPEND(append_entry(reply, "created_by", "s", t->created_by));
        APPEND(append_entry(reply, "created_at", "t", (uint64_t) t->created_at));
        return sd_bus_message_close_container(reply);
}

static int fill_publishers(Store *s, sd_bus_message *reply, const void *query) {
        return store_trusted_foreach(s, query, append_publisher, reply);
}

/* A package argument, canonical; optional: "" is none (NULL). */
static int read_package_arg(sd_bus_message *msg, bool optional, char **ret, sd_bus_error *error) {
        const char *arg;
        int r = sd_bus_message_read(msg, "s", &arg);

        if (r < 0)
                return r;
        return optional ? bus_read_optional_package_name(arg, ret, error) : bus_read_package_name(arg, ret, error);
}

int method_list_trusted_publishers(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *package = NULL;
        int r = read_package_arg(msg, /* optional= */ true, &package, error);

        if (r < 0)
                return r;
        return bus_reply_admin_list(userdata, msg, fill_publishers, package, error);
}

int method_remove_trusted_publisher(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *id;
        char actor[32];
        uid_t uid;
        int r;

        r = bus_begin_call(m, msg, &(BusCall) { .ret_uid = &uid }, error, "s", &id);
        if (r < 0)
                return r;
        audit_admin_actor(uid, actor);
        r = trusted_publisher_remove(m->store, id, actor, now_realtime_usec());
        if (r == -ENOENT)
                return invalid_argument(error, "No such trusted publisher.");
        return bus_reply_done(msg, r, error);
}

/* ---- ListIssuers (admins) ---- */

static int append_issuer(sd_bus_message *reply, const Issuer *i) {
        _cleanup_(issuer_keys_state_done) IssuerKeysState k = {};
        _cleanup_strv_free_ char **algorithms = NULL;
        int r;

        r = issuer_keys_state(i, &k);
        if (r < 0)
                return r;
        for (JwtAlg a = 0; a < _JWT_ALG_MAX; a++)
                if ((i->algorithms & JWT_ALG_MASK(a)) && strv_extend(&algorithms, jwt_alg_to_string(a)) < 0)
                        return -ENOMEM;
        APPEND(sd_bus_message_open_container(reply, 'a', "{sv}"));
        APPEND(append_entry(reply, "name", "s", i->name));
        APPEND(append_entry(reply, "issuer", "s", i->url));
        APPEND(append_entry(reply, "audience", "s", i->audience));
        APPEND(append_strv_entry(reply, "algorithms", algorithms));
        APPEND(append_entry(reply, "keys_file", "s", i->keys_file));
        APPEND(append_entry(reply, "keys", "u", (uint32_t) k.n_keys));
        APPEND(append_strv_entry(reply, "kids", k.kids));
        APPEND(append_entry(reply, "keys_file_mtime", "t", (uint64_t) k.mtime));
        APPEND(append_entry(reply, "keys_error", "s", k.error < 0 ? strerror(-k.error) : ""));
        APPEND(append_entry(reply, "refresh", "s", i->jwks_uri ?: i->discovery ? "discovery" : ""));
        return sd_bus_message_close_container(reply);
}

static int fill_issuers(Store *s, sd_bus_message *reply, const void *query) {
        const Issuers *l = query;

        for (size_t k = 0; k < l->n; k++) {
                int r = append_issuer(reply, &l->items[k]);
                if (r < 0)
                        return r;
        }
        return 0;
}

int method_list_issuers(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return bus_reply_admin_list(m, msg, fill_issuers, &m->trusted.issuers, error);
}

/* ---- the same for a maintainer, through a registry (proofs: bus-registry.c) ---- */

static int check_governor(Manager *m, const TrustedGovernor *g, const char *package, bool need_otp,
                          sd_bus_error *error) {
        const char *message = NULL;
        int r = trusted_check_governor(&m->lockout, g, package, need_otp, now_realtime_usec(), &message);

        if (r == -ERR_NO_SUCH_PACKAGE || r == -ERR_NOT_MAINTAINER)
                return bus_error_set_package(error, r, package);
        return r < 0 ? bus_error_set_errno_message(error, r, message) : 0;
}

int bus_add_own_trusted_publisher(Manager *m, sd_bus_message *msg, const TrustedGovernor *g, sd_bus_error *error) {
        _cleanup_(publisher_args_done) PublisherArgs args = {};
        int r;

        r = read_publisher_args(msg, &args, error);
        if (r >= 0)
                r = check_governor(m, g, args.package, /* need_otp= */ true, error);
        if (r < 0)
                return r;
        return add_publisher_reply(m, msg, &args, g->actor, error);
}

int bus_list_own_trusted_publishers(Manager *m, sd_bus_message *msg, const TrustedGovernor *g, sd_bus_error *error) {
        _cleanup_free_ char *package = NULL;
        int r;

        r = read_package_arg(msg, /* optional= */ false, &package, error);
        if (r >= 0)
                r = check_governor(m, g, package, /* need_otp= */ false, error);
        if (r < 0)
                return r;
        return bus_reply_list(m->store, msg, fill_publishers, package, error);
}

int bus_remove_own_trusted_publisher(Manager *m, sd_bus_message *msg, const TrustedGovernor *g,
                                     sd_bus_error *error) {
        _cleanup_free_ char *package = NULL;
        const char *id;
        int r;

        r = sd_bus_message_read(msg, "s", &id);
        if (r < 0)
                return r;
        r = trusted_publisher_package(m->store, id, &package);
        if (r == -ENOENT)
                return invalid_argument(error, "No such trusted publisher.");
        if (r >= 0)
                r = check_governor(m, g, package, /* need_otp= */ true, error);
        if (r < 0)
                return r;
        r = trusted_publisher_remove(m->store, id, g->actor, now_realtime_usec());
        return bus_reply_done(msg, r, error);
}
