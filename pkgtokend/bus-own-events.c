/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* A linked user's events, sent to its subscribed connections alone (bus-own-events.h). */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "bus-caller.h"
#include "bus-error.h"
#include "bus-own-events.h"
#include "input-limits.h"
#include "log.h"
#include "manager.h"
#include "names.h"
#include "packages.h"
#include "registry.h"
#include "strv.h"
#include "tokens.h"

/* Each subscription is a connection of a user logged in to a desktop; a bound keeps a local
 * user from growing the daemon's memory with connections. */
#define OWN_EVENTS_SUBSCRIPTIONS_MAX 1024

/* A token used from a new address is told once per address for a while: the last address
 * is written back in batches (last-used.c), and a burst of uses before that (a CI job's
 * parallel downloads) must not become a burst of notifications. */
#define NEW_ADDRESS_TOLD_MAX 64
#define NEW_ADDRESS_QUIET_USEC (10 * 60 * USEC_PER_SEC)

typedef struct AddressTold {
        char token_id[TOKEN_ID_LEN + 1];
        char address[REMOTE_MAX + 1];
        usec_t at;
} AddressTold;

typedef struct Subscription {
        sd_bus_track *track;  /* the connection: when it goes, so does the subscription */
        char *name;           /* its unique name */
        char *account;        /* the account its uid was linked to when it subscribed */
} Subscription;

struct OwnEvents {
        sd_bus *bus;
        Subscription *subscriptions;   /* an array of n */
        size_t n;
        AddressTold told[NEW_ADDRESS_TOLD_MAX];   /* a ring; next is the oldest */
        size_t next_told;
};

/* Whether t's use from address was told lately; if not, remembers it as told now. */
static bool address_told_lately(OwnEvents *e, const char *token_id, const char *address, usec_t now) {
        AddressTold *slot;

        for (size_t i = 0; i < NEW_ADDRESS_TOLD_MAX; i++)
                if (streq(e->told[i].token_id, token_id) && streq(e->told[i].address, address) &&
                    e->told[i].at + NEW_ADDRESS_QUIET_USEC > now)
                        return true;
        slot = &e->told[e->next_told];
        e->next_told = (e->next_told + 1) % NEW_ADDRESS_TOLD_MAX;
        snprintf(slot->token_id, sizeof slot->token_id, "%s", token_id);
        snprintf(slot->address, sizeof slot->address, "%s", address);
        slot->at = now;
        return false;
}

static void subscription_done(Subscription *s) {
        sd_bus_track_unref(s->track);
        free(s->name);
        free(s->account);
}

static void forget_at(OwnEvents *e, size_t i) {
        subscription_done(&e->subscriptions[i]);
        e->subscriptions[i] = e->subscriptions[--e->n];
}

/* Forgets the subscription of name, if any. */
static void forget(OwnEvents *e, const char *name) {
        for (size_t i = 0; i < e->n; i++)
                if (streq(e->subscriptions[i].name, name))
                        return forget_at(e, i);
}

static int on_gone(sd_bus_track *track, void *userdata) {
        OwnEvents *e = userdata;

        for (size_t i = 0; i < e->n; i++)
                if (e->subscriptions[i].track == track) {
                        forget_at(e, i);
                        break;
                }
        return 0;
}

int own_events_new(sd_bus *bus, OwnEvents **ret) {
        OwnEvents *e = calloc(1, sizeof *e);

        if (!e)
                return -ENOMEM;
        e->bus = sd_bus_ref(bus);
        *ret = e;
        return 0;
}

OwnEvents *own_events_free(OwnEvents *e) {
        if (!e)
                return NULL;
        for (size_t i = 0; i < e->n; i++)
                subscription_done(&e->subscriptions[i]);
        free(e->subscriptions);
        sd_bus_unref(e->bus);
        free(e);
        return NULL;
}

static int subscribe(OwnEvents *e, const char *name, const char *account) {
        Subscription s = {}, *grown;
        int r;

        forget(e, name);
        if (e->n >= OWN_EVENTS_SUBSCRIPTIONS_MAX)
                return -ERR_RATE_LIMITED;
        grown = reallocarray(e->subscriptions, e->n + 1, sizeof *grown);
        if (!grown)
                return -ENOMEM;
        e->subscriptions = grown;
        s.name = strdup(name);
        s.account = strdup(account);
        r = s.name && s.account ? sd_bus_track_new(e->bus, &s.track, on_gone, e) : -ENOMEM;
        if (r >= 0)
                r = sd_bus_track_add_name(s.track, name);
        if (r < 0) {
                subscription_done(&s);
                return r;
        }
        e->subscriptions[e->n++] = s;
        return 0;
}

int method_subscribe_own_events(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *account = NULL;
        Manager *m = userdata;
        uid_t uid;
        int r;

        r = bus_caller_linked_account(m, msg, /* even_admin= */ true, &uid, &account);
        if (r < 0)
                return bus_error_set_errno_message(error, r, NULL);
        if (r == 0)
                return bus_error_set_errno_message(error, -ERR_ACCESS_DENIED, "Only a Unix user linked to an account "
                                                   "(pkgtokenctl account link) receives its account's events.");
        r = subscribe(m->own_events, sd_bus_message_get_sender(msg), account);
        if (r == -ERR_RATE_LIMITED)
                return bus_error_set_errno_message(error, r, "Too many subscriptions; try again later.");
        return bus_reply_done(msg, r, error);
}

int method_unsubscribe_own_events(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;

        forget(m->own_events, sd_bus_message_get_sender(msg));
        return sd_bus_reply_method_return(msg, NULL);
}

/* Whether an event concerns account; what is the token or package it is about. */
typedef int (*ConcernsFn)(Store *s, const char *account, const void *what);

/* Sends member with the values of types to every subscriber the event concerns. */
static void send_own(Manager *m, ConcernsFn concerns, const void *what, const char *member, const char *types, ...) {
        for (size_t i = 0; i < m->own_events->n; i++) {
                const Subscription *s = &m->own_events->subscriptions[i];
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *signal = NULL;
                va_list ap;
                int r;

                if (concerns(m->store, s->account, what) <= 0)
                        continue;
                r = sd_bus_message_new_signal(m->bus, &signal, PKGTOKEN_OBJECT_PATH, PKGTOKEN_MANAGER_IFACE, member);
                if (r >= 0)
                        r = sd_bus_message_set_destination(signal, s->name);
                if (r >= 0) {
                        va_start(ap, types);
                        r = sd_bus_message_appendv(signal, types, ap);
                        va_end(ap);
                }
                if (r >= 0)
                        r = sd_bus_send(m->bus, signal, NULL);
                if (r < 0)
                        log_warning("cannot send %s to %s: %s", member, s->name, strerror(-r));
        }
}

static int concerns_token(Store *s, const char *account, const void *what) {
        return registry_token_is_own(s, account, what);
}

static int concerns_package(Store *s, const char *account, const void *what) {
        const PackageRecord *p = what;
        return strv_contains(p->maintainers, account);
}

/* The token id names, for its owners; 0 when nobody subscribed (nothing to load). */
static int load_token_for_owners(Manager *m, const char *id, TokenRecord *ret) {
        if (!m->own_events || m->own_events->n == 0)
                return 0;
        return token_load(m->store, id, ret) >= 0;
}

void bus_emit_token_revoked(Manager *m, const char *id) {
        _cleanup_(token_record_done) TokenRecord t = {};

        (void) sd_bus_emit_signal(m->bus, PKGTOKEN_OBJECT_PATH, PKGTOKEN_MANAGER_IFACE, "TokenRevoked", "s", id);
        if (load_token_for_owners(m, id, &t) > 0)
                send_own(m, concerns_token, &t, "OwnTokenRevoked", "ss", t.id, t.description ?: "");
}

void bus_emit_token_expiring(Manager *m, const char *id, const char *account, usec_t expires_at) {
        _cleanup_(token_record_done) TokenRecord t = {};

        (void) sd_bus_emit_signal(m->bus, PKGTOKEN_OBJECT_PATH, PKGTOKEN_MANAGER_IFACE, "TokenExpiring", "sst", id,
                                  account, (uint64_t) expires_at);
        if (load_token_for_owners(m, id, &t) > 0)
                send_own(m, concerns_token, &t, "OwnTokenExpiring", "sst", t.id, t.description ?: "",
                         (uint64_t) expires_at);
}

void bus_note_token_address(Manager *m, const TokenRecord *t, const char *remote) {
        /* "New" is "not where it was used last": the first use of a token has nothing to
         * compare with. */
        if (m->own_events->n == 0 || !t->id || isempty(remote) || isempty(t->last_used_from) ||
            streq(t->last_used_from, remote) ||
            address_told_lately(m->own_events, t->id, remote, now_realtime_usec()))
                return;
        send_own(m, concerns_token, t, "OwnTokenUsedFromNewAddress", "sss", t->id, t->description ?: "", remote);
}

/* The package name names, for its maintainers; 0 when nobody subscribed. */
static int load_package_for_maintainers(Manager *m, const char *package, PackageRecord *ret) {
        if (m->own_events->n == 0 || isempty(package))
                return 0;
        return package_load(m->store, package, ret) >= 0;
}

void bus_emit_package_published(Manager *m, const char *package, const char *version, const char *actor,
                                const char *token_id) {
        _cleanup_(package_record_done) PackageRecord p = {};

        (void) sd_bus_emit_signal(m->bus, PKGTOKEN_OBJECT_PATH, PKGTOKEN_MANAGER_IFACE, "PackagePublished", "sss",
                                  package, actor ?: "", token_id ?: "");
        if (load_package_for_maintainers(m, package, &p) > 0)
                send_own(m, concerns_package, &p, "OwnPackagePublished", "sss", package, version ?: "", actor ?: "");
}

void bus_emit_package_staged(Manager *m, const char *stage_id, const char *package, const char *version,
                             const char *staged_by) {
        _cleanup_(package_record_done) PackageRecord p = {};

        (void) sd_bus_emit_signal(m->bus, PKGTOKEN_OBJECT_PATH, PKGTOKEN_MANAGER_IFACE, "StageCreated", "ssss",
                                  stage_id, package, version, staged_by);
        if (load_package_for_maintainers(m, package, &p) > 0)
                send_own(m, concerns_package, &p, "OwnPackageStaged", "ssss", stage_id, package, version, staged_by);
}
