/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <grp.h>
#include <search.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "decision.h"
#include "strv.h"
#include "bus-util.h"
#include "log.h"
#include "manager.h"
#include "names.h"
#include "password.h"
#include "token.h"
#include "validate.h"

/* A last-used time older than this is rewritten; newer ones are left alone, so a token used
 * a thousand times a second costs one write a minute. */
#define LAST_USED_GRANULARITY (60 * USEC_PER_SEC)
/* How long collected last-used times wait before they are written together. */
#define FLUSH_DELAY (1 * USEC_PER_SEC)
#define REMOTE_MAX 64

/* ------------------------------------------------------------------------------------------ */
/* Errors                                                                                     */

/* ------------------------------------------------------------------------------------------ */
/* Callers                                                                                    */

/* Admins are root and the uid the daemon runs as (which lets the tests run unprivileged);
 * polkit comes later.  Verifiers are admins and members of the registry group (design §4):
 * the registry front ends that check passwords, OTPs and tokens for their users. */
static int check_caller(Manager *m, sd_bus_message *msg, bool verifier_suffices, sd_bus_error *error,
                        uid_t *ret_uid, bool *ret_admin) {
        Caller caller;
        bool admin;
        int r;

        r = creds_cache_sender(m->creds, msg, &caller);
        if (r < 0)
                return sd_bus_error_set(error, PKGTOKEN_ERROR_ACCESS_DENIED, "Cannot determine the caller's identity.");
        admin = caller.uid == 0 || caller.uid == m->own_uid;
        if (!admin && !(verifier_suffices && caller.in_registry_group))
                return sd_bus_error_set(error, PKGTOKEN_ERROR_ACCESS_DENIED, "Access denied.");
        if (ret_uid)
                *ret_uid = caller.uid;
        if (ret_admin)
                *ret_admin = admin;
        return 1;
}

int verify_caller(Manager *m, sd_bus_message *msg, sd_bus_error *error, uid_t *ret_uid) {
        return check_caller(m, msg, false, error, ret_uid, NULL);
}

int verify_verifier(Manager *m, sd_bus_message *msg, sd_bus_error *error, uid_t *ret_uid, bool *ret_admin) {
        return check_caller(m, msg, true, error, ret_uid, ret_admin);
}

static void format_caller(uid_t uid, char buf[static 32]) {
        snprintf(buf, 32, "uid %u", (unsigned) uid);
}

/* ------------------------------------------------------------------------------------------ */
/* Reading arguments                                                                          */

/* Reads an "as" into a newly allocated NULL-terminated vector (never NULL on success). */
static int read_strv_limited(sd_bus_message *msg, size_t max, char ***ret, sd_bus_error *error, const char *what) {
        _cleanup_strv_free_ char **l = NULL;
        int r;

        r = sd_bus_message_read_strv(msg, &l);
        if (r < 0)
                return r;
        if (!l) {
                l = calloc(1, sizeof(char *));
                if (!l)
                        return -ENOMEM;
        }
        if (strv_length(l) > max)
                return sd_bus_error_setf(error, PKGTOKEN_ERROR_INVALID_ARGUMENT, "Too many %s (at most %zu).", what, max);
        *ret = l;
        l = NULL;
        return 0;
}

static int canonical_package_name(const char *name, char **ret, sd_bus_error *error) {
        int r = package_name_canonicalize(name, ret);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return invalid_argument(error, "Invalid package name: use an npm name (name or @scope/name) "
                                               "or a PyPI name.");
        return 0;
}

static int parse_policy(const char *s, bool empty_is_default, PackagePolicy *ret, sd_bus_error *error) {
        if (empty_is_default && isempty(s)) {
                *ret = PACKAGE_POLICY_DEFAULT;
                return 0;
        }
        int p = package_policy_from_string(s);
        if (p < 0)
                return invalid_argument(error, "Invalid publishing policy: use none, 2fa-or-automation or 2fa-only.");
        *ret = p;
        return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Writing records                                                                            */

static int append_account_fields(sd_bus_message *reply, const AccountRecord *a) {
        APPEND(append_entry(reply, "name", "s", a->name));
        APPEND(append_entry(reply, "email", "s", a->email));
        APPEND(append_entry(reply, "kind", "s", account_kind_to_string(a->kind)));
        APPEND(append_entry(reply, "locked", "b", (int) a->locked));
        APPEND(append_entry(reply, "created_at", "t", (uint64_t) a->created_at));
        APPEND(append_entry(reply, "twofa", "s", twofa_mode_to_string(a->twofa)));
        APPEND(append_entry(reply, "twofa_pending", "b", (int) a->twofa_pending));
        APPEND(append_entry(reply, "has_password", "b", (int) a->has_password));
        return 0;
}

static int append_account(sd_bus_message *reply, const AccountRecord *a) {
        APPEND(sd_bus_message_open_container(reply, 'a', "{sv}"));
        APPEND(append_account_fields(reply, a));
        return sd_bus_message_close_container(reply);
}

/* GetAccount adds what costs extra lookups: recovery codes left and the lockout state. */
static int append_account_details(Manager *m, sd_bus_message *reply, const AccountRecord *a) {
        FailureRecord f;
        usec_t now = now_realtime_usec();
        int codes, r;

        codes = store_recovery_codes_count(m->store, a->id);
        if (codes < 0)
                return codes;
        r = store_failures_get(m->store, a->name, &f);
        if (r < 0)
                return r;
        APPEND(sd_bus_message_open_container(reply, 'a', "{sv}"));
        APPEND(append_account_fields(reply, a));
        APPEND(append_entry(reply, "recovery_codes_left", "u", (uint32_t) codes));
        APPEND(append_entry(reply, "locked_until", "t", (uint64_t) (f.locked_until > now ? f.locked_until : 0)));
        APPEND(append_entry(reply, "failed_attempts", "u", (uint32_t) (f.window_start + m->config.lockout_window > now ? f.count : 0)));
        return sd_bus_message_close_container(reply);
}

static int append_package(sd_bus_message *reply, const PackageRecord *p) {
        APPEND(sd_bus_message_open_container(reply, 'a', "{sv}"));
        APPEND(append_entry(reply, "name", "s", p->name));
        APPEND(append_entry(reply, "policy", "s", package_policy_to_string(p->policy)));
        APPEND(append_strv_entry(reply, "maintainers", p->maintainers));
        APPEND(append_entry(reply, "created_at", "t", (uint64_t) p->created_at));
        return sd_bus_message_close_container(reply);
}

static const char *token_state(const TokenRecord *t, usec_t now) {
        if (t->revoked_at != 0)
                return "revoked";
        if (t->expires_at != 0 && now >= t->expires_at)
                return "expired";
        return "active";
}

/* Everything about a token except its secret, which is not stored and so cannot leak here. */
static int append_token(sd_bus_message *reply, const TokenRecord *t, usec_t now) {
        APPEND(sd_bus_message_open_container(reply, 'a', "{sv}"));
        APPEND(append_entry(reply, "id", "s", t->id));
        APPEND(append_entry(reply, "prefix", "s", t->prefix));
        APPEND(append_entry(reply, "type", "s", token_type_to_string(t->type)));
        APPEND(append_entry(reply, "owner", "s", token_owner_to_string(t->owner)));
        APPEND(append_entry(reply, "account", "s", t->account));
        APPEND(append_strv_entry(reply, "scope", t->scope));
        APPEND(append_entry(reply, "description", "s", t->description));
        APPEND(append_entry(reply, "created_by", "s", t->created_by));
        APPEND(append_entry(reply, "created_at", "t", (uint64_t) t->created_at));
        APPEND(append_entry(reply, "expires_at", "t", (uint64_t) t->expires_at));
        APPEND(append_entry(reply, "last_used_at", "t", (uint64_t) t->last_used_at));
        APPEND(append_entry(reply, "last_used_from", "s", t->last_used_from));
        APPEND(append_strv_entry(reply, "allowed_cidrs", t->cidrs));
        APPEND(append_entry(reply, "revoked_at", "t", (uint64_t) t->revoked_at));
        APPEND(append_entry(reply, "state", "s", token_state(t, now)));
        return sd_bus_message_close_container(reply);
}

static int append_audit_event(sd_bus_message *reply, const AuditEvent *e) {
        APPEND(sd_bus_message_open_container(reply, 'a', "{sv}"));
        APPEND(append_entry(reply, "time", "t", (uint64_t) e->time));
        APPEND(append_entry(reply, "action", "s", e->action));
        APPEND(append_entry(reply, "package", "s", e->package));
        APPEND(append_entry(reply, "result", "s", e->result));
        APPEND(append_entry(reply, "actor", "s", e->actor));
        APPEND(append_entry(reply, "token_id", "s", e->token_id));
        APPEND(append_entry(reply, "remote", "s", e->remote));
        APPEND(append_entry(reply, "reason", "s", e->reason));
        return sd_bus_message_close_container(reply);
}

/* Replies with an aa{sv} that fill() appends records to: the shape of every List method. */
typedef int (*ListFill)(Manager *m, sd_bus_message *reply, const void *query);

static int reply_list(Manager *m, sd_bus_message *msg, ListFill fill, const void *query, const char *what,
                      sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        APPEND(sd_bus_message_open_container(reply, 'a', "a{sv}"));
        r = fill(m, reply, query);
        if (r < 0)
                return reply_store_error(error, r, SD_BUS_ERROR_FAILED, what);
        APPEND(sd_bus_message_close_container(reply));
        return sd_bus_send(NULL, reply, NULL);
}

/* ------------------------------------------------------------------------------------------ */
/* Status                                                                                     */

static int method_get_status(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Manager *m = userdata;
        StoreCounts counts;
        int r;

        r = verify_caller(m, msg, error, NULL);
        if (r < 0)
                return r;
        r = store_counts(m->store, now_realtime_usec(), &counts);
        if (r < 0)
                return reply_store_error(error, r, SD_BUS_ERROR_FAILED, "status");

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        APPEND(sd_bus_message_open_container(reply, 'a', "{sv}"));
        APPEND(append_entry(reply, "version", "s", PKGTOKEN_VERSION));
        APPEND(append_entry(reply, "schema_version", "u", (uint32_t) STORE_SCHEMA_VERSION));
        APPEND(append_entry(reply, "state_directory", "s", m->state_dir));
        APPEND(append_entry(reply, "accounts", "t", counts.accounts));
        APPEND(append_entry(reply, "packages", "t", counts.packages));
        APPEND(append_entry(reply, "tokens", "t", counts.tokens));
        APPEND(append_entry(reply, "active_tokens", "t", counts.active_tokens));
        APPEND(sd_bus_message_close_container(reply));
        return sd_bus_send(NULL, reply, NULL);
}

/* ------------------------------------------------------------------------------------------ */
/* Accounts                                                                                   */

static int method_create_account(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *name, *email, *kind_string;
        int kind, r;

        r = sd_bus_message_read(msg, "sss", &name, &email, &kind_string);
        if (r < 0)
                return r;
        r = read_options(msg, NULL, 0, error);
        if (r < 0)
                return r;
        r = verify_caller(m, msg, error, NULL);
        if (r < 0)
                return r;

        r = check_account_name(name, error);
        if (r < 0)
                return r;
        if (!email_is_valid(email))
                return invalid_argument(error, "Invalid e-mail address.");
        kind = isempty(kind_string) ? ACCOUNT_HUMAN : account_kind_from_string(kind_string);
        if (kind < 0)
                return invalid_argument(error, "Invalid account kind: use human or service.");

        r = store_account_insert(m->store, name, email, kind, now_realtime_usec());
        if (r == -EEXIST)
                return sd_bus_error_setf(error, PKGTOKEN_ERROR_ACCOUNT_EXISTS, "Account '%s' already exists.", name);
        if (r < 0)
                return reply_store_error(error, r, SD_BUS_ERROR_FAILED, "account");
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_get_account(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(account_record_done) AccountRecord a = {};
        Manager *m = userdata;
        const char *name;
        int r;

        r = sd_bus_message_read(msg, "s", &name);
        if (r < 0)
                return r;
        r = verify_caller(m, msg, error, NULL);
        if (r < 0)
                return r;
        r = check_account_name(name, error);
        if (r < 0)
                return r;
        r = store_account_get(m->store, name, &a);
        if (r < 0)
                return reply_store_error(error, r, PKGTOKEN_ERROR_NO_SUCH_ACCOUNT, "account");

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = append_account_details(m, reply, &a);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int list_account_cb(const AccountRecord *a, void *userdata) {
        return append_account(userdata, a);
}

static int fill_accounts(Manager *m, sd_bus_message *reply, const void *query) {
        return store_account_foreach(m->store, list_account_cb, reply);
}

static int method_list_accounts(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        int r = verify_caller(m, msg, error, NULL);
        if (r < 0)
                return r;
        return reply_list(m, msg, fill_accounts, NULL, "account", error);
}

static int method_set_account_locked(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *name;
        int locked, r;

        r = sd_bus_message_read(msg, "sb", &name, &locked);
        if (r < 0)
                return r;
        r = verify_caller(m, msg, error, NULL);
        if (r < 0)
                return r;
        r = check_account_name(name, error);
        if (r < 0)
                return r;
        r = store_account_set_locked(m->store, name, locked);
        /* Unlocking also ends a lockout from failed attempts: an admin vouched for the user. */
        if (r >= 0 && !locked)
                r = store_failures_clear(m->store, name);
        if (r < 0)
                return reply_store_error(error, r, PKGTOKEN_ERROR_NO_SUCH_ACCOUNT, "account");
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_remove_account(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *name;
        int r;

        r = sd_bus_message_read(msg, "s", &name);
        if (r < 0)
                return r;
        r = verify_caller(m, msg, error, NULL);
        if (r < 0)
                return r;
        r = check_account_name(name, error);
        if (r < 0)
                return r;
        /* Its account tokens and maintainerships go with it (ON DELETE CASCADE); package tokens
         * it created stay, owned by their packages. */
        r = store_account_delete(m->store, name);
        if (r < 0)
                return reply_store_error(error, r, PKGTOKEN_ERROR_NO_SUCH_ACCOUNT, "account");
        return sd_bus_reply_method_return(msg, NULL);
}

/* ------------------------------------------------------------------------------------------ */
/* Packages                                                                                   */

int load_account(Manager *m, const char *name, AccountRecord *ret, sd_bus_error *error) {
        int r = check_account_name(name, error);
        if (r < 0)
                return r;
        r = store_account_get(m->store, name, ret);
        if (r == -ENOENT)
                return sd_bus_error_setf(error, PKGTOKEN_ERROR_NO_SUCH_ACCOUNT, "No such account '%s'.", name);
        if (r < 0)
                return reply_store_error(error, r, PKGTOKEN_ERROR_NO_SUCH_ACCOUNT, "account");
        return 0;
}

static int load_package(Manager *m, const char *name, PackageRecord *ret, sd_bus_error *error) {
        _cleanup_free_ char *canonical = NULL;
        int r = canonical_package_name(name, &canonical, error);
        if (r < 0)
                return r;
        r = store_package_get(m->store, canonical, ret);
        if (r == -ENOENT)
                return sd_bus_error_setf(error, PKGTOKEN_ERROR_NO_SUCH_PACKAGE, "No such package '%s'.", canonical);
        if (r < 0)
                return reply_store_error(error, r, PKGTOKEN_ERROR_NO_SUCH_PACKAGE, "package");
        return 0;
}

static int method_create_package(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_transaction_ Transaction tx = {};
        _cleanup_strv_free_ char **maintainers = NULL;
        _cleanup_free_ char *name = NULL;
        Manager *m = userdata;
        const char *name_arg, *policy_arg;
        PackagePolicy policy = PACKAGE_POLICY_DEFAULT;
        int64_t package_id;
        usec_t now = now_realtime_usec();
        int r;

        r = sd_bus_message_read(msg, "ss", &name_arg, &policy_arg);
        if (r < 0)
                return r;
        r = read_strv_limited(msg, 64, &maintainers, error, "maintainers");
        if (r < 0)
                return r;
        r = verify_caller(m, msg, error, NULL);
        if (r < 0)
                return r;
        r = canonical_package_name(name_arg, &name, error);
        if (r < 0)
                return r;
        r = parse_policy(policy_arg, true, &policy, error);
        if (r < 0)
                return r;

        r = store_begin(m->store, &tx);
        if (r < 0)
                return reply_store_error(error, r, SD_BUS_ERROR_FAILED, "package");
        r = store_package_insert(m->store, name, policy, now, &package_id);
        if (r == -EEXIST)
                return sd_bus_error_setf(error, PKGTOKEN_ERROR_PACKAGE_EXISTS, "Package '%s' already exists.", name);
        if (r < 0)
                return reply_store_error(error, r, SD_BUS_ERROR_FAILED, "package");
        STRV_FOREACH(a, maintainers) {
                _cleanup_(account_record_done) AccountRecord account = {};
                r = load_account(m, *a, &account, error);
                if (r < 0)
                        return r;
                r = store_maintainer_add(m->store, package_id, account.id, now);
                if (r < 0 && r != -EEXIST)   /* a name given twice is harmless */
                        return reply_store_error(error, r, SD_BUS_ERROR_FAILED, "maintainer");
        }
        r = store_commit(&tx);
        if (r < 0)
                return reply_store_error(error, r, SD_BUS_ERROR_FAILED, "package");
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_get_package(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(package_record_done) PackageRecord p = {};
        Manager *m = userdata;
        const char *name;
        int r;

        r = sd_bus_message_read(msg, "s", &name);
        if (r < 0)
                return r;
        r = verify_caller(m, msg, error, NULL);
        if (r < 0)
                return r;
        r = load_package(m, name, &p, error);
        if (r < 0)
                return r;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = append_package(reply, &p);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int list_package_cb(const PackageRecord *p, void *userdata) {
        return append_package(userdata, p);
}

static int fill_packages(Manager *m, sd_bus_message *reply, const void *query) {
        return store_package_foreach(m->store, list_package_cb, reply);
}

static int method_list_packages(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        int r = verify_caller(m, msg, error, NULL);
        if (r < 0)
                return r;
        return reply_list(m, msg, fill_packages, NULL, "package", error);
}

static int method_set_package_policy(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *name = NULL;
        Manager *m = userdata;
        const char *name_arg, *policy_arg;
        PackagePolicy policy = PACKAGE_POLICY_DEFAULT;
        int r;

        r = sd_bus_message_read(msg, "ss", &name_arg, &policy_arg);
        if (r < 0)
                return r;
        r = verify_caller(m, msg, error, NULL);
        if (r < 0)
                return r;
        r = canonical_package_name(name_arg, &name, error);
        if (r < 0)
                return r;
        r = parse_policy(policy_arg, false, &policy, error);
        if (r < 0)
                return r;
        r = store_package_set_policy(m->store, name, policy);
        if (r < 0)
                return reply_store_error(error, r, PKGTOKEN_ERROR_NO_SUCH_PACKAGE, "package");
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_change_maintainer(sd_bus_message *msg, Manager *m, bool add, sd_bus_error *error) {
        _cleanup_(package_record_done) PackageRecord p = {};
        _cleanup_(account_record_done) AccountRecord a = {};
        _cleanup_transaction_ Transaction tx = {};
        const char *package, *account;
        int r;

        r = sd_bus_message_read(msg, "ss", &package, &account);
        if (r < 0)
                return r;
        r = verify_caller(m, msg, error, NULL);
        if (r < 0)
                return r;

        r = store_begin(m->store, &tx);
        if (r < 0)
                return reply_store_error(error, r, SD_BUS_ERROR_FAILED, "maintainer");
        r = load_package(m, package, &p, error);
        if (r < 0)
                return r;
        r = load_account(m, account, &a, error);
        if (r < 0)
                return r;

        if (add) {
                r = store_maintainer_add(m->store, p.id, a.id, now_realtime_usec());
                if (r == -EEXIST)
                        return sd_bus_error_setf(error, PKGTOKEN_ERROR_ALREADY_MAINTAINER,
                                                 "'%s' already maintains '%s'.", a.name, p.name);
        } else {
                /* As on npm, a package keeps at least one maintainer; an admin removes the
                 * account instead when its owner leaves. */
                if (strv_length(p.maintainers) == 1 && strv_contains(p.maintainers, a.name))
                        return sd_bus_error_setf(error, PKGTOKEN_ERROR_LAST_MAINTAINER,
                                                 "'%s' is the last maintainer of '%s'; add another first.", a.name, p.name);
                r = store_maintainer_remove(m->store, p.id, a.id);
                if (r == -ENOENT)
                        return sd_bus_error_setf(error, PKGTOKEN_ERROR_NOT_MAINTAINER,
                                                 "'%s' does not maintain '%s'.", a.name, p.name);
        }
        if (r < 0)
                return reply_store_error(error, r, SD_BUS_ERROR_FAILED, "maintainer");
        r = store_commit(&tx);
        if (r < 0)
                return reply_store_error(error, r, SD_BUS_ERROR_FAILED, "maintainer");
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_add_maintainer(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return method_change_maintainer(msg, userdata, true, error);
}

static int method_remove_maintainer(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return method_change_maintainer(msg, userdata, false, error);
}

/* ------------------------------------------------------------------------------------------ */
/* Tokens                                                                                     */

/* Lowercases and validates scope patterns in place, dropping duplicates. */
static int normalize_scope(char **scope, sd_bus_error *error) {
        size_t n = 0;

        STRV_FOREACH(p, scope) {
                for (char *c = *p; *c; c++)
                        if (*c >= 'A' && *c <= 'Z')
                                *c = (char) (*c - 'A' + 'a');
                if (!scope_pattern_is_valid(*p))
                        return invalid_argument(error, "Invalid package pattern: use a package name, "
                                                       "@scope/* or prefix*.");
        }
        for (size_t i = 0; scope[i]; i++) {
                bool seen = false;
                for (size_t j = 0; j < n; j++)
                        if (streq(scope[i], scope[j]))
                                seen = true;
                if (seen)
                        free(scope[i]);
                else
                        scope[n++] = scope[i];
        }
        scope[n] = NULL;
        return 0;
}

/* A package token belongs to packages, so each must exist and be maintained by its creator. */
static int check_package_token_scope(Manager *m, const AccountRecord *creator, char * const *scope,
                                     sd_bus_error *error) {
        if (strv_length(scope) == 0)
                return invalid_argument(error, "A package token needs the packages it belongs to.");
        STRV_FOREACH(name, scope) {
                _cleanup_(package_record_done) PackageRecord p = {};
                int r = store_package_get(m->store, *name, &p);
                if (r == -ENOENT)
                        return sd_bus_error_setf(error, PKGTOKEN_ERROR_NO_SUCH_PACKAGE,
                                                 "No such package '%s' (package tokens take exact names).", *name);
                if (r < 0)
                        return reply_store_error(error, r, PKGTOKEN_ERROR_NO_SUCH_PACKAGE, "package");
                if (!strv_contains(p.maintainers, creator->name))
                        return sd_bus_error_setf(error, PKGTOKEN_ERROR_NOT_MAINTAINER,
                                                 "'%s' does not maintain '%s'.", creator->name, *name);
        }
        return 0;
}

static int check_cidrs(char * const *cidrs, sd_bus_error *error) {
        STRV_FOREACH(c, cidrs)
                if (!cidr_is_valid(*c))
                        return invalid_argument(error, "Invalid CIDR: use an IPv4 or IPv6 address or network "
                                                       "such as 192.0.2.0/24 or 2001:db8::/32, host bits zero.");
        return 0;
}

int audit_event(Manager *m, const char *action, const char *package, const char *result, const char *actor,
                const char *token_id, const char *remote, const char *reason) {
        return store_audit_append(m->store, &(AuditEvent) {
                .time = now_realtime_usec(),
                .action = action,
                .package = package ?: "",
                .result = result,
                .actor = actor,
                .token_id = token_id ?: "",
                .remote = remote ?: "",
                .reason = reason ?: "",
        });
}

int audit_admin(Manager *m, const char *action, const char *package, uid_t caller, const char *token_id,
                const char *reason) {
        char actor[32];

        format_caller(caller, actor);
        return audit_event(m, action, package, "ok", actor, token_id, "", reason);
}

int insert_new_token(Manager *m, TokenRecord *t, char secret[static TOKEN_LEN + 1]) {
        uint8_t hash[TOKEN_HASH_SIZE];
        char prefix[TOKEN_DISPLAY_LEN + 1];
        char id[TOKEN_ID_LEN + 1];
        int r;

        /* Both the id and the hash are unique columns; a collision is astronomically unlikely,
         * but a retry is cheaper than an argument. */
        for (unsigned attempt = 0; attempt < 3; attempt++) {
                r = token_generate(secret);
                if (r < 0)
                        return r;
                r = token_id_generate(id);
                if (r < 0)
                        return r;
                token_hash(secret, hash);
                token_display_prefix(secret, prefix);
                t->id = id;
                t->prefix = prefix;
                r = store_token_insert(m->store, t, hash);
                t->id = t->prefix = NULL;
                explicit_bzero(hash, sizeof hash);
                if (r != -EEXIST)
                        break;
        }
        if (r >= 0) {
                t->id = strdup(id);
                if (!t->id)
                        return -ENOMEM;
        }
        return r;
}

static int method_create_token(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_strv_free_ char **scope = NULL, **cidrs = NULL;
        _cleanup_(account_record_done) AccountRecord creator = {};
        _cleanup_transaction_ Transaction tx = {};
        _cleanup_free_ char *token_id = NULL;
        char secret[TOKEN_LEN + 1] = {};
        Manager *m = userdata;
        const char *account, *type_string, *description;
        bool package_owned = false;
        const char *otp = "";
        uint64_t expires_at;
        usec_t now = now_realtime_usec();
        uid_t caller;
        int type, r;

        r = sd_bus_message_read(msg, "ss", &account, &type_string);
        if (r < 0)
                return r;
        r = read_strv_limited(msg, SCOPE_PATTERNS_MAX, &scope, error, "package patterns");
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "st", &description, &expires_at);
        if (r < 0)
                return r;
        r = read_strv_limited(msg, CIDRS_MAX, &cidrs, error, "CIDRs");
        if (r < 0)
                return r;
        r = read_options(msg, (const OptionSpec[]) {
                { "package_owned", OPTION_BOOL, &package_owned },
                { "otp", OPTION_STRING, &otp },
        }, 2, error);
        if (r < 0)
                return r;
        r = verify_caller(m, msg, error, &caller);
        if (r < 0)
                return r;

        type = token_type_from_string(type_string);
        /* Session tokens are what a login hands out (Authenticate), never made to order. */
        if (type < 0 || type == TOKEN_SESSION)
                return invalid_argument(error, "Invalid token type: use read-only, publish or automation.");
        r = normalize_scope(scope, error);
        if (r < 0)
                return r;
        if (!description_is_valid(description))
                return invalid_argument(error, "Invalid description: at most 256 bytes of printable UTF-8.");
        if (expires_at != 0 && expires_at <= now)
                return invalid_argument(error, "The expiry time is in the past.");
        r = check_cidrs(cidrs, error);
        if (r < 0)
                return r;

        r = store_begin(m->store, &tx);
        if (r < 0)
                return reply_store_error(error, r, SD_BUS_ERROR_FAILED, "token");
        r = load_account(m, account, &creator, error);
        if (r < 0)
                return r;
        if (creator.locked)
                return sd_bus_error_setf(error, PKGTOKEN_ERROR_ACCESS_DENIED, "Account '%s' is locked.", creator.name);
        /* As on npm: a token outlives the session that made it, so an account with 2FA
         * proves presence with a current code before one is minted. */
        if (creator.twofa != TWOFA_DISABLED) {
                r = check_second_factor_for_management(m, &tx, creator.name, otp, /* allow_recovery= */ false, now, error);
                if (r < 0)
                        return r;
        }
        if (package_owned) {
                r = check_package_token_scope(m, &creator, scope, error);
                if (r < 0)
                        return r;
        }

        TokenRecord t = {
                .type = type,
                .owner = package_owned ? TOKEN_OWNER_PACKAGE : TOKEN_OWNER_ACCOUNT,
                .account_id = package_owned ? 0 : creator.id,
                .scope = scope,
                .description = (char *) description,
                .created_by = creator.name,
                .created_at = now,
                .expires_at = expires_at,
                .cidrs = cidrs,
        };
        r = insert_new_token(m, &t, secret);
        token_id = t.id;
        if (r < 0) {
                explicit_bzero(secret, sizeof secret);
                return reply_store_error(error, r, SD_BUS_ERROR_FAILED, "token");
        }
        r = audit_admin(m, "token-create", NULL, caller, token_id, token_type_to_string(type));
        if (r >= 0)
                r = store_commit(&tx);
        if (r < 0) {
                explicit_bzero(secret, sizeof secret);
                return reply_store_error(error, r, SD_BUS_ERROR_FAILED, "token");
        }

        /* The one and only time the secret leaves the daemon.  The method is marked
         * SD_BUS_VTABLE_SENSITIVE, so sd-bus keeps it out of its debug output. */
        r = sd_bus_reply_method_return(msg, "ss", token_id, secret);
        explicit_bzero(secret, sizeof secret);
        if (r < 0)
                return r;
        (void) sd_bus_emit_signal(m->bus, PKGTOKEN_OBJECT_PATH, PKGTOKEN_MANAGER_IFACE, "TokenCreated",
                                  "ss", token_id, token_type_to_string(type));
        return 1;   /* replied: 0 would make sd-bus answer again with UnknownMethod */
}

static int load_token(Manager *m, const char *id, TokenRecord *ret, sd_bus_error *error) {
        if (!token_id_is_valid(id))
                return invalid_argument(error, "Invalid token id: ids look like tk_ followed by 12 letters and digits.");
        int r = store_token_get(m->store, id, ret);
        if (r == -ENOENT)
                return sd_bus_error_setf(error, PKGTOKEN_ERROR_NO_SUCH_TOKEN, "No such token '%s'.", id);
        if (r < 0)
                return reply_store_error(error, r, PKGTOKEN_ERROR_NO_SUCH_TOKEN, "token");
        return 0;
}

static int method_get_token(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(token_record_done) TokenRecord t = {};
        Manager *m = userdata;
        const char *id;
        int r;

        r = sd_bus_message_read(msg, "s", &id);
        if (r < 0)
                return r;
        r = verify_caller(m, msg, error, NULL);
        if (r < 0)
                return r;
        r = load_token(m, id, &t, error);
        if (r < 0)
                return r;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = append_token(reply, &t, now_realtime_usec());
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

typedef struct ListTokensContext {
        sd_bus_message *reply;
        usec_t now;
} ListTokensContext;

static int list_token_cb(const TokenRecord *t, void *userdata) {
        ListTokensContext *c = userdata;
        return append_token(c->reply, t, c->now);
}

typedef struct TokenQuery {
        const char *account, *package;
} TokenQuery;

static int fill_tokens(Manager *m, sd_bus_message *reply, const void *query) {
        const TokenQuery *q = query;
        return store_token_foreach(m->store, q->account, q->package, list_token_cb,
                                   &(ListTokensContext) { reply, now_realtime_usec() });
}

static int method_list_tokens(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *package = NULL;
        Manager *m = userdata;
        const char *account, *package_arg;
        int r;

        r = sd_bus_message_read(msg, "ss", &account, &package_arg);
        if (r < 0)
                return r;
        r = verify_caller(m, msg, error, NULL);
        if (r < 0)
                return r;
        if (!isempty(account) && !isempty(package_arg))
                return invalid_argument(error, "List the tokens of an account or of a package, not both.");
        /* A filter that names nothing is a typo to report, not an empty list. */
        if (!isempty(account)) {
                _cleanup_(account_record_done) AccountRecord a = {};
                r = load_account(m, account, &a, error);
                if (r < 0)
                        return r;
        }
        if (!isempty(package_arg)) {
                _cleanup_(package_record_done) PackageRecord p = {};
                r = load_package(m, package_arg, &p, error);
                if (r < 0)
                        return r;
                package = strdup(p.name);
                if (!package)
                        return -ENOMEM;
        }

        return reply_list(m, msg, fill_tokens, &(TokenQuery) { isempty(account) ? NULL : account, package },
                          "token", error);
}

static int method_revoke_token(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(token_record_done) TokenRecord t = {};
        _cleanup_transaction_ Transaction tx = {};
        Manager *m = userdata;
        const char *id;
        uid_t caller;
        int r;

        r = sd_bus_message_read(msg, "s", &id);
        if (r < 0)
                return r;
        r = verify_caller(m, msg, error, &caller);
        if (r < 0)
                return r;
        r = store_begin(m->store, &tx);
        if (r < 0)
                return reply_store_error(error, r, SD_BUS_ERROR_FAILED, "token");
        r = load_token(m, id, &t, error);
        if (r < 0)
                return r;
        /* Revoking twice succeeds and keeps the first revocation time. */
        r = store_token_revoke(m->store, t.id, now_realtime_usec());
        if (r > 0)
                r = audit_admin(m, "token-revoke", NULL, caller, t.id, "");
        if (r >= 0)
                r = store_commit(&tx);
        if (r < 0)
                return reply_store_error(error, r, PKGTOKEN_ERROR_NO_SUCH_TOKEN, "token");
        (void) sd_bus_emit_signal(m->bus, PKGTOKEN_OBJECT_PATH, PKGTOKEN_MANAGER_IFACE, "TokenRevoked", "s", t.id);
        return sd_bus_reply_method_return(msg, NULL);
}

/* ------------------------------------------------------------------------------------------ */
/* Authorize: the hot path                                                                    */

typedef struct PendingUse {
        int64_t rowid;
        usec_t time;
        char remote[REMOTE_MAX + 1];
} PendingUse;

static int pending_use_compare(const void *a, const void *b) {
        int64_t x = ((const PendingUse *) a)->rowid, y = ((const PendingUse *) b)->rowid;
        return (x > y) - (x < y);
}

static int schedule_flush(Manager *m);
static int schedule_flush_in(Manager *m, usec_t delay);

/* Records that a read check used a token.  Nothing is written when the stored time is recent;
 * otherwise the use is remembered and written with others by the flush timer. */
static void manager_note_use(Manager *m, const TokenRecord *t, usec_t now, const char *remote) {
        PendingUse key = { .rowid = t->rowid }, *use;
        PendingUse **found;

        if (t->last_used_at + LAST_USED_GRANULARITY > now && streq_ptr(t->last_used_from, remote))
                return;
        found = tfind(&key, &m->pending_uses, pending_use_compare);
        if (found) {
                use = *found;
        } else {
                use = calloc(1, sizeof *use);
                if (!use)
                        return;   /* last-used is informational: losing one update is acceptable */
                use->rowid = t->rowid;
                if (!tsearch(use, &m->pending_uses, pending_use_compare)) {
                        free(use);
                        return;
                }
                m->n_pending_uses++;
                if (m->n_pending_uses == 1)
                        (void) schedule_flush(m);
        }
        use->time = now;
        snprintf(use->remote, sizeof use->remote, "%s", remote ?: "");
}

/* At most this many last-used times are written per transaction, so one flush never holds
 * the event loop (and the token checks queued behind it) for long. */
#define FLUSH_BATCH 256

typedef struct FlushBatch {
        PendingUse *uses[FLUSH_BATCH];
        size_t n;
} FlushBatch;

static FlushBatch *flush_batch;   /* twalk(3) passes no userdata */

static void collect_one(const void *node, VISIT which, int depth) {
        if ((which == postorder || which == leaf) && flush_batch->n < FLUSH_BATCH)
                flush_batch->uses[flush_batch->n++] = *(PendingUse * const *) node;
}

static int flush_some_uses(Manager *m, bool *ret_more) {
        _cleanup_transaction_ Transaction tx = {};
        FlushBatch batch = {};
        int r = 0;

        flush_batch = &batch;
        twalk(m->pending_uses, collect_one);
        flush_batch = NULL;

        r = store_begin(m->store, &tx);
        for (size_t i = 0; r >= 0 && i < batch.n; i++)
                r = store_token_touch(m->store, batch.uses[i]->rowid, batch.uses[i]->time, batch.uses[i]->remote);
        if (r >= 0)
                r = store_commit(&tx);
        /* Dropped even when the write failed: last-used is informational, and retrying a
         * failing store forever would only repeat the error. */
        for (size_t i = 0; i < batch.n; i++) {
                tdelete(batch.uses[i], &m->pending_uses, pending_use_compare);
                free(batch.uses[i]);
        }
        m->n_pending_uses -= batch.n;
        *ret_more = m->n_pending_uses > 0;
        return r;
}

int manager_flush_uses(Manager *m) {
        bool more = m->n_pending_uses > 0;
        int r = 0;

        while (more && r >= 0)
                r = flush_some_uses(m, &more);
        return r;
}

/* One batch per tick; token checks that arrived meanwhile run between batches. */
static int on_flush_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        bool more = false;

        (void) flush_some_uses(m, &more);
        if (more)
                (void) schedule_flush_in(m, 0);
        return 0;
}

static int schedule_flush_in(Manager *m, usec_t delay) {
        int r;

        if (!m->flush_timer)
                return sd_event_add_time_relative(m->event, &m->flush_timer, CLOCK_MONOTONIC, delay, 0,
                                                  on_flush_timer, m);
        r = sd_event_source_set_time_relative(m->flush_timer, delay);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(m->flush_timer, SD_EVENT_ONESHOT);
}

static int schedule_flush(Manager *m) {
        return schedule_flush_in(m, FLUSH_DELAY);
}

/* The actor as people read it in the audit log and in the registry's UI. */
static char *format_actor(const TokenRecord *t) {
        char *s = NULL;
        int r;

        if (t->owner == TOKEN_OWNER_PACKAGE)
                r = isempty(t->description) ? asprintf(&s, "Token %s", t->id)
                                            : asprintf(&s, "Token \"%s\"", t->description);
        else
                r = isempty(t->description) ? asprintf(&s, "%s", t->account)
                                            : asprintf(&s, "%s (Token \"%s\")", t->account, t->description);
        return r < 0 ? NULL : s;
}

typedef struct AuthorizeRequest {
        const char *token;
        char *package;          /* canonical */
        Action action;
        const char *remote;     /* "" when unknown or unparseable */
        const char *otp;
        const char *account;    /* "" or PKGTOKEN_ANY_ACCOUNT: any; else the token must be its */
} AuthorizeRequest;

static void authorize_request_done(AuthorizeRequest *q) {
        free(q->package);
}

static int read_authorize_request(sd_bus_message *msg, AuthorizeRequest *q, sd_bus_error *error) {
        const char *package, *action;
        int family, a, r;
        uint8_t addr[16];

        r = sd_bus_message_read(msg, "sss", &q->token, &package, &action);
        if (r < 0)
                return r;
        q->remote = q->otp = q->account = "";
        r = read_options(msg, (const OptionSpec[]) {
                { "remote", OPTION_STRING, &q->remote },
                { "otp", OPTION_STRING, &q->otp },
                { "account", OPTION_STRING, &q->account },
        }, 3, error);
        if (r < 0)
                return r;
        a = action_from_string(action);
        if (a < 0)
                return invalid_argument(error, "Invalid action: use read or publish.");
        q->action = a;
        /* "" means the registry does not know the address (an allow-list then refuses);
         * anything else must be an address, so a registry's mistake shows up at once. */
        if (!isempty(q->remote) && (strlen(q->remote) > REMOTE_MAX || address_parse(q->remote, &family, addr) < 0))
                return invalid_argument(error, "Invalid remote address: use an IPv4 or IPv6 address.");
        return canonical_package_name(package, &q->package, error);
}

/* Loads what the decision needs about the package.  A read depends only on the token (scope
 * patterns match names, whether or not the package exists), so reads, the bulk of a
 * registry's requests, cost no package lookup at all; only publishes by account tokens ask
 * about maintainers. */
static int load_package_facts(Manager *m, const TokenRecord *t, const AuthorizeRequest *q,
                              PackageFacts *ret, int64_t *ret_package_id) {
        _cleanup_(package_record_done) PackageRecord p = {};
        int r;

        *ret = (PackageFacts) {};
        *ret_package_id = 0;
        if (q->action == ACTION_READ)
                return 0;
        r = store_package_lookup(m->store, q->package, &p);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        ret->exists = true;
        ret->policy = p.policy;
        *ret_package_id = p.id;
        if (q->action == ACTION_PUBLISH && t->owner == TOKEN_OWNER_ACCOUNT) {
                r = store_maintainer_check(m->store, p.id, t->account_id);
                if (r < 0)
                        return r;
                ret->account_maintains = r > 0;
        }
        return 0;
}

/* Every publish decision is on disk before the registry hears it; an allowed publish of a
 * new package creates it in the same transaction, with the publishing account as maintainer.
 * Runs inside the caller's write transaction. */
static int record_publish(Manager *m, const TokenRecord *t, const AuthorizeRequest *q, const Decision *d,
                          const char *actor, usec_t now) {
        int r;

        if (d->result == AUTHZ_ALLOWED && d->creates_package) {
                int64_t package_id;
                r = store_package_insert(m->store, q->package, PACKAGE_POLICY_DEFAULT, now, &package_id);
                if (r >= 0)
                        r = store_maintainer_add(m->store, package_id, t->account_id, now);
                if (r < 0)
                        return r;
        }
        if (t && d->result == AUTHZ_ALLOWED) {
                r = store_token_touch(m->store, t->rowid, now, q->remote);
                if (r < 0)
                        return r;
        }
        r = store_audit_append(m->store, &(AuditEvent) {
                .time = now,
                .action = action_to_string(q->action),
                .package = q->package,
                .result = authz_result_to_string(d->result),
                .actor = actor,
                .token_id = t ? t->id : "",
                .remote = q->remote,
                .reason = d->reason,
        });
        return r;
}

/* A publish that needs an OTP and came with one: check it as the token account's second
 * factor (its counter stored in this same transaction, so a code works once, even for two
 * concurrent requests) and decide again.  Wrong codes count toward the account's lockout. */
static Decision decide_with_otp(Manager *m, const TokenRecord *t, const AuthorizeRequest *q,
                                const PackageFacts *package, usec_t now, int *ret_error) {
        _cleanup_(account_secrets_done) AccountSecrets secrets = {};
        int r;

        *ret_error = 0;
        if (manager_locked_out(m, t->account, now, NULL))
                return (Decision) { AUTHZ_RATE_LIMITED, "too many failed attempts; the account is locked for a while" };
        r = store_account_get_secrets(m->store, t->account, &secrets);
        if (r < 0) {
                *ret_error = r;
                return (Decision) { AUTHZ_INVALID, "unknown token" };
        }
        r = manager_verify_second_factor(m, &secrets, q->otp, /* allow_recovery= */ false, now);
        if (r == -EINVAL || r == -EACCES || r == -EALREADY) {
                int k = manager_note_auth_failure(m, t->account, q->remote, now);
                if (k < 0)
                        *ret_error = k;
                return (Decision) { AUTHZ_BAD_OTP, r == -EALREADY ? "OTP already used" :
                                                   r == -EINVAL ? "malformed OTP" : "wrong OTP" };
        }
        if (r < 0) {
                *ret_error = r;
                return (Decision) { AUTHZ_INVALID, "unknown token" };
        }
        return authz_decide(&(TokenFacts) {
                                    .type = t->type,
                                    .owner = t->owner,
                                    .revoked_at = t->revoked_at,
                                    .expires_at = t->expires_at,
                                    .account_locked = t->account_locked,
                                    .scope = t->scope,
                                    .cidrs = t->cidrs,
                                    .account_2fa = t->account_2fa,
                            },
                            package, q->package, q->action, q->remote, /* otp_verified= */ true, now);
}

static int decide_with_otp_and_record(Manager *m, const TokenRecord *t, const AuthorizeRequest *q,
                                      const PackageFacts *package, Decision *d, const char *actor, usec_t now) {
        _cleanup_transaction_ Transaction tx = {};
        int r;

        r = store_begin(m->store, &tx);
        if (r < 0)
                return r;
        if (d->result == AUTHZ_OTP_REQUIRED && !isempty(q->otp) && t->owner == TOKEN_OWNER_ACCOUNT) {
                *d = decide_with_otp(m, t, q, package, now, &r);
                if (r < 0)
                        return r;
        }
        r = record_publish(m, t, q, d, actor, now);
        if (r < 0)
                return r;
        return store_commit(&tx);
}

/* Results that suggest guessing tokens, counted against the remote address (a wrong OTP is
 * counted where it is checked, with the account's lockout). */
#define IN_SET_FAILURE(r) ((r) == AUTHZ_INVALID)

static int reply_decision(sd_bus_message *msg, const Decision *d, const char *actor, const char *token_id) {
        return sd_bus_reply_method_return(msg, "ssss", authz_result_to_string(d->result), d->reason,
                                          actor ?: "", token_id ?: "");
}

static int method_authorize(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(authorize_request_done) AuthorizeRequest q = {};
        _cleanup_(token_record_done) TokenRecord t = {};
        _cleanup_free_ char *actor = NULL;
        uint8_t hash[TOKEN_HASH_SIZE];
        Manager *m = userdata;
        PackageFacts package;
        int64_t package_id;
        Decision d;
        usec_t now = now_realtime_usec();
        int r;

        r = verify_verifier(m, msg, error, NULL, NULL);
        if (r < 0)
                return r;
        r = read_authorize_request(msg, &q, error);
        if (r < 0)
                return r;

        if (ratelimit_exceeded(m->ratelimit, q.remote, now)) {
                d = (Decision) { AUTHZ_RATE_LIMITED, "too many failed attempts from this address" };
                goto record_without_token;
        }

        /* Format and checksum first: a typo or a random guess costs no lookup. */
        r = token_check_format(q.token);
        if (r < 0) {
                d = (Decision) { AUTHZ_INVALID, r == -EBADMSG ? "token checksum mismatch" : "malformed token" };
                goto unknown_token;
        }
        token_hash(q.token, hash);
        r = store_token_get_by_hash(m->store, hash, &t);
        if (r == -ENOENT) {
                d = (Decision) { AUTHZ_INVALID, "unknown token" };
                goto unknown_token;
        }
        if (r < 0)
                return reply_store_error(error, r, SD_BUS_ERROR_FAILED, "token");

        /* A front end that knows who claims the token (HTTP Basic, PAM) says so; a token of
         * another account is as good as unknown.  "__token__" (PyPI's convention) claims none. */
        if (!isempty(q.account) && !streq(q.account, PKGTOKEN_ANY_ACCOUNT) &&
            (t.owner != TOKEN_OWNER_ACCOUNT || !streq(t.account, q.account))) {
                d = (Decision) { AUTHZ_INVALID, "token belongs to another account" };
                token_record_done(&t);
                goto unknown_token;
        }

        r = load_package_facts(m, &t, &q, &package, &package_id);
        if (r < 0)
                return reply_store_error(error, r, SD_BUS_ERROR_FAILED, "package");

        d = authz_decide(&(TokenFacts) {
                                 .type = t.type,
                                 .owner = t.owner,
                                 .revoked_at = t.revoked_at,
                                 .expires_at = t.expires_at,
                                 .account_locked = t.account_locked,
                                 .scope = t.scope,
                                 .cidrs = t.cidrs,
                                 .account_2fa = t.account_2fa,
                         },
                         &package, q.package, q.action, q.remote, /* otp_verified= */ false, now);

        actor = format_actor(&t);
        if (!actor)
                return -ENOMEM;

        if (q.action == ACTION_PUBLISH) {
                r = decide_with_otp_and_record(m, &t, &q, &package, &d, actor, now);
                if (r < 0)
                        return reply_store_error(error, r, SD_BUS_ERROR_FAILED, "audit");
        } else if (d.result == AUTHZ_ALLOWED)
                manager_note_use(m, &t, now, q.remote);
        if (IN_SET_FAILURE(d.result))
                ratelimit_note_failure(m->ratelimit, q.remote, now);

        r = reply_decision(msg, &d, actor, t.id);
        if (r < 0)
                return r;
        if (q.action == ACTION_PUBLISH && d.result == AUTHZ_ALLOWED)
                (void) sd_bus_emit_signal(m->bus, PKGTOKEN_OBJECT_PATH, PKGTOKEN_MANAGER_IFACE,
                                          "PackagePublished", "sss", q.package, actor, t.id);
        return 1;   /* replied: 0 would make sd-bus answer again with UnknownMethod */

unknown_token:
        ratelimit_note_failure(m->ratelimit, q.remote, now);
record_without_token:
        if (q.action == ACTION_PUBLISH) {
                _cleanup_transaction_ Transaction tx = {};
                r = store_begin(m->store, &tx);
                if (r >= 0)
                        r = record_publish(m, NULL, &q, &d, d.result == AUTHZ_RATE_LIMITED ? "unchecked token" : "unknown token", now);
                if (r >= 0)
                        r = store_commit(&tx);
                if (r < 0)
                        return reply_store_error(error, r, SD_BUS_ERROR_FAILED, "audit");
        }
        return reply_decision(msg, &d, "", "");
}

/* ------------------------------------------------------------------------------------------ */
/* Audit                                                                                      */

static int list_audit_cb(const AuditEvent *e, void *userdata) {
        return append_audit_event(userdata, e);
}

typedef struct AuditQuery {
        const char *package;
        usec_t since;
        unsigned limit;
} AuditQuery;

static int fill_audit_events(Manager *m, sd_bus_message *reply, const void *query) {
        const AuditQuery *q = query;
        return store_audit_foreach(m->store, q->package, q->since, q->limit, list_audit_cb, reply);
}

static int method_list_audit_events(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *package = NULL;
        Manager *m = userdata;
        const char *package_arg;
        uint64_t since;
        uint32_t limit;
        int r;

        r = sd_bus_message_read(msg, "stu", &package_arg, &since, &limit);
        if (r < 0)
                return r;
        r = verify_caller(m, msg, error, NULL);
        if (r < 0)
                return r;
        if (!isempty(package_arg)) {
                r = canonical_package_name(package_arg, &package, error);
                if (r < 0)
                        return r;
        }
        if (limit == 0 || limit > 10000)
                limit = 10000;

        return reply_list(m, msg, fill_audit_events, &(AuditQuery) { package, since, limit }, "audit", error);
}

/* ------------------------------------------------------------------------------------------ */
/* The object                                                                                 */

const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),

        SD_BUS_METHOD_WITH_ARGS("GetStatus", SD_BUS_NO_ARGS, SD_BUS_RESULT("a{sv}", status),
                                method_get_status, SD_BUS_VTABLE_UNPRIVILEGED),

        SD_BUS_METHOD_WITH_ARGS("CreateAccount",
                                SD_BUS_ARGS("s", name, "s", email, "s", kind, "a{sv}", options),
                                SD_BUS_NO_RESULT, method_create_account, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetAccount", SD_BUS_ARGS("s", name), SD_BUS_RESULT("a{sv}", account),
                                method_get_account, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListAccounts", SD_BUS_NO_ARGS, SD_BUS_RESULT("aa{sv}", accounts),
                                method_list_accounts, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetAccountLocked", SD_BUS_ARGS("s", name, "b", locked), SD_BUS_NO_RESULT,
                                method_set_account_locked, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RemoveAccount", SD_BUS_ARGS("s", name), SD_BUS_NO_RESULT,
                                method_remove_account, SD_BUS_VTABLE_UNPRIVILEGED),

        SD_BUS_METHOD_WITH_ARGS("CreatePackage", SD_BUS_ARGS("s", name, "s", policy, "as", maintainers),
                                SD_BUS_NO_RESULT, method_create_package, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetPackage", SD_BUS_ARGS("s", name), SD_BUS_RESULT("a{sv}", package),
                                method_get_package, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListPackages", SD_BUS_NO_ARGS, SD_BUS_RESULT("aa{sv}", packages),
                                method_list_packages, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetPackagePolicy", SD_BUS_ARGS("s", name, "s", policy), SD_BUS_NO_RESULT,
                                method_set_package_policy, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("AddMaintainer", SD_BUS_ARGS("s", package, "s", account), SD_BUS_NO_RESULT,
                                method_add_maintainer, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RemoveMaintainer", SD_BUS_ARGS("s", package, "s", account), SD_BUS_NO_RESULT,
                                method_remove_maintainer, SD_BUS_VTABLE_UNPRIVILEGED),

        SD_BUS_METHOD_WITH_ARGS("CreateToken",
                                SD_BUS_ARGS("s", account, "s", type, "as", scope, "s", description,
                                            "t", expires_at, "as", allowed_cidrs, "a{sv}", options),
                                SD_BUS_RESULT("s", id, "s", token),
                                method_create_token, SD_BUS_VTABLE_UNPRIVILEGED | SD_BUS_VTABLE_SENSITIVE),
        SD_BUS_METHOD_WITH_ARGS("GetToken", SD_BUS_ARGS("s", id), SD_BUS_RESULT("a{sv}", token),
                                method_get_token, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListTokens", SD_BUS_ARGS("s", account, "s", package),
                                SD_BUS_RESULT("aa{sv}", tokens), method_list_tokens, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RevokeToken", SD_BUS_ARGS("s", id), SD_BUS_NO_RESULT,
                                method_revoke_token, SD_BUS_VTABLE_UNPRIVILEGED),

        SD_BUS_METHOD_WITH_ARGS("Authorize",
                                SD_BUS_ARGS("s", token, "s", package, "s", action, "a{sv}", options),
                                SD_BUS_RESULT("s", result, "s", reason, "s", actor, "s", token_id),
                                method_authorize, SD_BUS_VTABLE_UNPRIVILEGED | SD_BUS_VTABLE_SENSITIVE),

        SD_BUS_METHOD_WITH_ARGS("SetPassword",
                                SD_BUS_ARGS("s", account, "s", password, "a{sv}", options), SD_BUS_NO_RESULT,
                                method_set_password, SD_BUS_VTABLE_UNPRIVILEGED | SD_BUS_VTABLE_SENSITIVE),
        SD_BUS_METHOD_WITH_ARGS("Authenticate",
                                SD_BUS_ARGS("s", account, "s", password, "s", otp, "a{sv}", options),
                                SD_BUS_RESULT("s", result, "s", reason, "a{sv}", details),
                                method_authenticate, SD_BUS_VTABLE_UNPRIVILEGED | SD_BUS_VTABLE_SENSITIVE),
        SD_BUS_METHOD_WITH_ARGS("EnrollTOTP", SD_BUS_ARGS("s", account, "a{sv}", options), SD_BUS_RESULT("s", uri),
                                method_enroll_totp, SD_BUS_VTABLE_UNPRIVILEGED | SD_BUS_VTABLE_SENSITIVE),
        SD_BUS_METHOD_WITH_ARGS("ConfirmTOTP",
                                SD_BUS_ARGS("s", account, "s", otp, "s", mode, "a{sv}", options),
                                SD_BUS_RESULT("as", recovery_codes),
                                method_confirm_totp, SD_BUS_VTABLE_UNPRIVILEGED | SD_BUS_VTABLE_SENSITIVE),
        SD_BUS_METHOD_WITH_ARGS("SetTwoFactorMode",
                                SD_BUS_ARGS("s", account, "s", mode, "s", otp, "a{sv}", options), SD_BUS_NO_RESULT,
                                method_set_two_factor_mode, SD_BUS_VTABLE_UNPRIVILEGED | SD_BUS_VTABLE_SENSITIVE),
        SD_BUS_METHOD_WITH_ARGS("RegenerateRecoveryCodes",
                                SD_BUS_ARGS("s", account, "s", otp, "a{sv}", options),
                                SD_BUS_RESULT("as", recovery_codes),
                                method_regenerate_recovery_codes, SD_BUS_VTABLE_UNPRIVILEGED | SD_BUS_VTABLE_SENSITIVE),

        SD_BUS_METHOD_WITH_ARGS("CheckAccount", SD_BUS_ARGS("s", account, "a{sv}", options),
                                SD_BUS_RESULT("s", state, "s", reason),
                                method_check_account, SD_BUS_VTABLE_UNPRIVILEGED),

        SD_BUS_METHOD_WITH_ARGS("ListAuditEvents", SD_BUS_ARGS("s", package, "t", since, "u", limit),
                                SD_BUS_RESULT("aa{sv}", events), method_list_audit_events,
                                SD_BUS_VTABLE_UNPRIVILEGED),

        SD_BUS_SIGNAL_WITH_ARGS("TokenCreated", SD_BUS_ARGS("s", id, "s", type), 0),
        SD_BUS_SIGNAL_WITH_ARGS("TokenRevoked", SD_BUS_ARGS("s", id), 0),
        SD_BUS_SIGNAL_WITH_ARGS("PackagePublished", SD_BUS_ARGS("s", package, "s", actor, "s", token_id), 0),

        SD_BUS_VTABLE_END
};

/* ------------------------------------------------------------------------------------------ */
/* Life cycle                                                                                 */

static int resolve_registry_group(const char *name, gid_t *ret) {
        struct group gr, *result = NULL;
        char buf[4096];

        *ret = (gid_t) -1;
        if (isempty(name))
                return 0;
        if (getgrnam_r(name, &gr, buf, sizeof buf, &result) != 0 || !result) {
                log_error("RegistryGroup=%s: no such group", name);
                return -ENOENT;
        }
        *ret = gr.gr_gid;
        return 0;
}

/* Password checks wait in this queue for a worker; past it, logins are answered
 * "rate-limited" at once instead of piling up. */
#define PASSWORD_QUEUE_MAX 64

int manager_new(const char *state_dir, const Config *config, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = NULL;
        long cpus;
        int r;

        m = calloc(1, sizeof *m);
        if (!m)
                return -ENOMEM;
        m->own_uid = geteuid();
        m->config = *config;
        m->state_dir = strdup(state_dir);
        if (!m->state_dir)
                return -ENOMEM;

        r = sd_event_default(&m->event);
        if (r < 0)
                return r;
        r = store_open_with_options(state_dir, &(StoreOptions) {
                .background_check_above = (uint64_t) m->config.integrity_check_background_above_mib << 20,
        }, &m->store);
        if (r < 0)
                return r;

        r = resolve_registry_group(m->config.registry_group, &m->registry_gid);
        if (r < 0)
                return r;
        m->ratelimit = ratelimit_new(m->config.token_guess_limit, m->config.token_guess_ipv6_prefixlen);
        if (!m->ratelimit)
                return -ENOMEM;
        /* Computed once here, so the first unknown-account login is not the only one that
         * is slower. */
        r = password_dummy_hash(m->config.password_cost, &m->dummy_hash);
        if (r < 0) {
                log_error("cannot compute a password hash: %s", strerror(-r));
                return r;
        }
        /* One CPU is left to the event loop and dbus-daemon: with a hashing thread on every
         * CPU, token checks wait behind yescrypt (nice alone does not stop that; bench/run.sh
         * measures Authorize latency during a burst of logins). */
        cpus = sysconf(_SC_NPROCESSORS_ONLN);
        r = worker_pool_new(m->event, cpus > 2 ? (unsigned) cpus - 1 : 1, PASSWORD_QUEUE_MAX, &m->workers);
        if (r < 0)
                return r;

        *ret = m;
        m = NULL;
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        /* Workers first: their last done() callbacks still answer on the bus and use the store. */
        worker_pool_free(m->workers);
        if (m->store)
                (void) manager_flush_uses(m);
        ratelimit_free(m->ratelimit);
        tdestroy(m->pending_uses, free);
        sd_event_source_unref(m->flush_timer);
        creds_cache_free(m->creds);
        sd_bus_flush_close_unref(m->bus);
        store_free(m->store);
        sd_event_unref(m->event);
        free(m->state_dir);
        free(m);
        return NULL;
}

static int open_bus(const char *address, sd_bus **ret) {
        _cleanup_(sd_bus_unrefp) sd_bus *bus = NULL;
        int r;

        if (!address)
                return sd_bus_open_system(ret);

        r = sd_bus_new(&bus);
        if (r < 0)
                return r;
        r = sd_bus_set_address(bus, address);
        if (r < 0)
                return r;
        r = sd_bus_set_bus_client(bus, true);
        if (r < 0)
                return r;
        r = sd_bus_start(bus);
        if (r < 0)
                return r;
        *ret = bus;
        bus = NULL;
        return 0;
}

int manager_connect_bus(Manager *m, const char *address) {
        int r;

        r = open_bus(address, &m->bus);
        if (r < 0) {
                log_error("cannot connect to the %s bus: %s", address ? address : "system",
                        strerror(-r));
                return r;
        }
        r = sd_bus_add_object_vtable(m->bus, NULL, PKGTOKEN_OBJECT_PATH, PKGTOKEN_MANAGER_IFACE, manager_vtable, m);
        if (r < 0)
                return r;
        r = creds_cache_new(m->bus, m->registry_gid, &m->creds);
        if (r < 0)
                return r;
        r = sd_bus_attach_event(m->bus, m->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return r;
        /* When the bus goes away there is nobody left to serve: exit and let systemd decide. */
        r = sd_bus_set_exit_on_disconnect(m->bus, true);
        if (r < 0)
                return r;
        r = sd_bus_request_name(m->bus, PKGTOKEN_BUS_NAME, 0);
        if (r < 0) {
                log_error("cannot own the bus name %s: %s", PKGTOKEN_BUS_NAME, strerror(-r));
                return r;
        }
        return 0;
}

int manager_run(Manager *m) {
        return sd_event_loop(m->event);
}
