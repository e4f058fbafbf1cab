/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Tokens on the bus: CreateToken, GetToken, ListTokens, RevokeToken, RotateToken; the lifetime
 * rules at creation and the expiry warnings of the maintenance tick (issue 10). */

#include <inttypes.h>

#include "accounts.h"
#include "expiry.h"
#include "log.h"
#include "bus-caller.h"
#include "bus-error.h"
#include "bus-methods.h"
#include "bus-records.h"
#include "bus-tokens.h"
#include "bus-util.h"
#include "input-limits.h"
#include "names.h"
#include "rotation.h"
#include "packages.h"
#include "strv.h"
#include "tokens.h"
#include "validate.h"

static int check_cidrs(char * const *cidrs, sd_bus_error *error) {
        STRV_FOREACH(c, cidrs)
                if (!cidr_is_valid(*c))
                        return invalid_argument(error, "Invalid CIDR: use an IPv4 or IPv6 address or network "
                                                       "such as 192.0.2.0/24 or 2001:db8::/32, host bits zero.");
        return 0;
}

/* Reads what CreateToken and CreateOwnToken share, from the type on, into q (*ret_type to
 * check later); q->scope and q->cidrs are allocated. */
int bus_read_token_spec(sd_bus_message *msg, TokenCreateRequest *q, const char **ret_type, sd_bus_error *error) {
        uint64_t expires_at;
        int r;

        r = sd_bus_message_read(msg, "s", ret_type);
        if (r < 0)
                return r;
        r = read_strv_limited(msg, SCOPE_PATTERNS_MAX, &q->scope, error, "package patterns");
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "st", &q->description, &expires_at);
        if (r < 0)
                return r;
        r = read_strv_limited(msg, CIDRS_MAX, &q->cidrs, error, "CIDRs");
        if (r < 0)
                return r;
        q->otp = q->otp ?: "";
        r = read_options(msg, (const OptionSpec[]) {
                { "package_owned", OPTION_BOOL, &q->package_owned },
                { "otp", OPTION_STRING, &q->otp },
        }, 2, error);
        if (r < 0)
                return r;
        q->expires_at = expires_at;
        return 0;
}

static int check_create_token(TokenCreateRequest *q, const char *type_string, usec_t now, sd_bus_error *error) {
        int type = token_type_from_string(type_string);

        if (!token_type_is_made_to_order(type))
                return invalid_argument(error, "Invalid token type: use read-only, publish or automation.");
        q->type = type;
        if (token_scope_normalize(q->scope) < 0)
                return invalid_argument(error, "Invalid package pattern: use a package name, @scope/* or prefix*.");
        if (!description_is_valid(q->description))
                return invalid_argument(error, "Invalid description: at most 256 bytes of printable UTF-8.");
        if (q->expires_at != 0 && q->expires_at <= now)
                return invalid_argument(error, "The expiry time is in the past.");
        return check_cidrs(q->cidrs, error);
}

static int create_token_error(sd_bus_error *error, int r, const TokenCreateRequest *q, const char *message,
                              const char *package) {
        switch (-r) {
        case ERR_ACCESS_DENIED:
                return bus_error_set_errnof(error, r, "Account '%s' is locked.", q->account);
        case ERR_NO_SUCH_PACKAGE:
                return bus_error_set_errnof(error, r, "No such package '%s' (package tokens take exact names).",
                                            package ?: "");
        case ERR_NOT_MAINTAINER:
                return bus_error_set_errnof(error, r, "'%s' does not maintain '%s'.", q->account, package ?: "");
        default:
                /* The account's load errors come without a message; the others say why. */
                if (!message)
                        return bus_error_set_account(error, r, q->account);
                return bus_error_set_errno_message(error, r, message);
        }
}

/* The lifetime rules (common/lifetime.h): q->expires_at becomes the expiry the token gets. */
static int apply_lifetime(Manager *m, TokenCreateRequest *q, usec_t now, sd_bus_error *error) {
        LifetimeAnswer a;
        uint64_t max_sec;
        int r;

        r = token_apply_lifetime(m->store, &m->config.token_lifetimes, q, now, &a);
        if (r != -ERR_INVALID_ARGUMENT)
                return r < 0 ? bus_error_set_errno_message(error, r, NULL) : 0;
        max_sec = a.max / USEC_PER_SEC;
        if (max_sec % 86400 == 0)
                return bus_error_set_errnof(error, r, "Such a token may live at most %" PRIu64 " days (%s): "
                                            "ask for an earlier expiry, or none for the default.",
                                            max_sec / 86400, a.max_from);
        return bus_error_set_errnof(error, r, "Such a token may live at most %" PRIu64 " seconds (%s): "
                                    "ask for an earlier expiry, or none for the default.", max_sec, a.max_from);
}

/* Checks q, creates the token and replies with it: CreateToken's and CreateOwnToken's end. */
int bus_create_token_reply(Manager *m, sd_bus_message *msg, TokenCreateRequest *q, const char *type,
                           sd_bus_error *error) {
        _cleanup_free_ char *token_id = NULL;
        char secret[TOKEN_LEN + 1] = {};
        const char *message = NULL, *package = NULL;
        usec_t now = now_realtime_usec();
        int r;

        r = check_create_token(q, type, now, error);
        if (r >= 0)
                r = apply_lifetime(m, q, now, error);
        if (r < 0)
                return r;
        r = token_create(&m->lockout, q, now, &token_id, secret, &message, &package);
        if (r < 0)
                return create_token_error(error, r, q, message, package);
        return bus_reply_new_token(m, msg, token_id, secret, q->type);
}

int bus_reply_new_token(Manager *m, sd_bus_message *msg, const char *id, char secret[static TOKEN_LEN + 1],
                        TokenType type) {
        int r;

        /* The one and only time the secret leaves the daemon.  The method is marked
         * SD_BUS_VTABLE_SENSITIVE, so sd-bus keeps it out of its debug output. */
        r = sd_bus_reply_method_return(msg, "ss", id, secret);
        explicit_bzero(secret, TOKEN_LEN + 1);
        if (r < 0)
                return r;
        (void) sd_bus_emit_signal(m->bus, PKGTOKEN_OBJECT_PATH, PKGTOKEN_MANAGER_IFACE, "TokenCreated",
                                  "ss", id, token_type_to_string(type));
        return 1;   /* replied: 0 would make sd-bus answer again with UnknownMethod */
}

int bus_check_grace(uint64_t grace, sd_bus_error *error) {
        if (grace > TOKEN_ROTATION_GRACE_MAX_USEC)
                return invalid_argument(error, "The grace of a rotated-out token is at most 24 hours.");
        return 0;
}

int bus_reply_rotated(Manager *m, sd_bus_message *msg, const char *new_id, char secret[static TOKEN_LEN + 1]) {
        _cleanup_(token_record_done) TokenRecord t = {};
        int r;

        r = token_load(m->store, new_id, &t);   /* its type, for TokenCreated */
        if (r >= 0)
                return bus_reply_new_token(m, msg, new_id, secret, t.type);
        explicit_bzero(secret, TOKEN_LEN + 1);
        return r;
}

int method_rotate_token(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *new_id = NULL;
        char secret[TOKEN_LEN + 1] = {};
        TokenRotation q = {};
        const char *message = NULL;
        Manager *m = userdata;
        int r;

        r = bus_begin_call(m, msg, &(BusCall) {
                .check_first = true,
                .ret_uid = &q.caller,
                BUS_OPTIONS({ "grace", OPTION_UINT64, &q.grace }),
        }, error, "s", &q.id);
        if (r >= 0)
                r = bus_check_grace(q.grace, error);
        if (r < 0)
                return r;
        r = token_rotate(m->store, &m->config.token_lifetimes, &q, now_realtime_usec(), &new_id, secret, &message);
        if (r < 0)
                return message ? bus_error_set_errno_message(error, r, message) : bus_token_error(error, r, q.id);
        return bus_reply_rotated(m, msg, new_id, secret);
}

int method_create_token(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        TokenCreateRequest q = {};
        const char *type = NULL;
        Manager *m = userdata;
        int r;

        r = sd_bus_message_read(msg, "s", &q.account);
        if (r >= 0)
                r = bus_read_token_spec(msg, &q, &type, error);
        if (r >= 0)
                r = bus_verify_admin(m, msg, error, &q.caller);
        if (r >= 0)
                r = bus_create_token_reply(m, msg, &q, type, error);
        strv_free(q.scope);
        strv_free(q.cidrs);
        return r;
}

bool bus_warn_expiring_tokens(Manager *m, usec_t now) {
        ExpiringToken *due = NULL;
        size_t n = 0;
        int r;

        if (m->config.token_expiry_warning == 0)
                return false;
        r = expiry_take_due(m->store, now, m->config.token_expiry_warning, &due, &n);
        if (r < 0) {
                log_warning("cannot look for expiring tokens: %s", strerror(-r));
                return false;
        }
        for (size_t i = 0; i < n; i++) {
                char when[64];

                if (format_timestamp_utc(due[i].expires_at, when, sizeof when) < 0)
                        snprintf(when, sizeof when, "@%llu", (unsigned long long) (due[i].expires_at / USEC_PER_SEC));
                log_info("token %s of %s expires at %s", due[i].id,
                         isempty(due[i].account) ? "(package)" : due[i].account, when);
                bus_emit_token_expiring(m, due[i].id, due[i].account, due[i].expires_at);
        }
        expiring_tokens_free(due, n);
        return n == EXPIRY_WARN_BATCH;
}

/* Load errors of a token name its id. */
int bus_token_error(sd_bus_error *error, int r, const char *id) {
        switch (-r) {
        case ERR_INVALID_ARGUMENT:
                return invalid_argument(error, "Invalid token id: ids look like tk_ followed by 12 letters and digits.");
        case ERR_NO_SUCH_TOKEN:
                return bus_error_set_errnof(error, r, "No such token '%s'.", id);
        default:
                return bus_error_set_errno_message(error, r, NULL);
        }
}

static int append_token_now(sd_bus_message *reply, const void *t) {
        return bus_append_token(reply, t, now_realtime_usec());
}

int method_get_token(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(token_record_done) TokenRecord t = {};
        Manager *m = userdata;
        const char *id;
        int r;

        r = bus_begin_call(m, msg, &(BusCall) {}, error, "s", &id);
        if (r < 0)
                return r;
        r = token_load(m->store, id, &t);
        if (r < 0)
                return bus_token_error(error, r, id);
        return bus_reply_record(msg, append_token_now, &t);
}

typedef struct TokenList {
        BusTokenForeach foreach;
        const char *account, *package;
        sd_bus_message *reply;
        usec_t now;
} TokenList;

static int list_token_cb(const TokenRecord *t, void *userdata) {
        const TokenList *q = userdata;
        return bus_append_token(q->reply, t, q->now);
}

static int fill_tokens(Store *s, sd_bus_message *reply, const void *query) {
        TokenList q = *(const TokenList *) query;

        q.reply = reply;
        q.now = now_realtime_usec();
        return q.foreach(s, q.account, q.package, list_token_cb, &q);
}

int bus_reply_token_list(Store *s, sd_bus_message *msg, BusTokenForeach foreach, const char *account,
                         const char *package, sd_bus_error *error) {
        return bus_reply_list(s, msg, fill_tokens,
                              &(TokenList) { .foreach = foreach, .account = account, .package = package }, error);
}

int method_list_tokens(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *package = NULL;
        Manager *m = userdata;
        const char *account, *package_arg;
        int r;

        r = bus_begin_call(m, msg, &(BusCall) {}, error, "ss", &account, &package_arg);
        if (r < 0)
                return r;
        if (!isempty(account) && !isempty(package_arg))
                return invalid_argument(error, "List the tokens of an account or of a package, not both.");
        /* A filter that names nothing is a typo to report, not an empty list. */
        if (!isempty(account)) {
                _cleanup_(account_record_done) AccountRecord a = {};
                r = account_load(m->store, account, &a);
                if (r < 0)
                        return bus_error_set_account(error, r, account);
        }
        if (!isempty(package_arg)) {
                _cleanup_(package_record_done) PackageRecord p = {};
                r = bus_read_package_name(package_arg, &package, error);
                if (r < 0)
                        return r;
                r = package_load(m->store, package, &p);
                if (r < 0)
                        return bus_error_set_package(error, r, package);
        }

        return bus_reply_token_list(m->store, msg, store_token_foreach, isempty(account) ? NULL : account, package,
                                    error);
}

int method_revoke_token(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *id;
        uid_t caller;
        int r;

        r = bus_begin_call(m, msg, &(BusCall) { .ret_uid = &caller }, error, "s", &id);
        if (r < 0)
                return r;
        r = token_revoke(m->store, id, caller, now_realtime_usec());
        if (r < 0)
                return bus_token_error(error, r, id);
        bus_emit_token_revoked(m, id);
        return sd_bus_reply_method_return(msg, NULL);
}
