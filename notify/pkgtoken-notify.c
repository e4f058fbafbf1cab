/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* pkgtoken-notify: the desktop notifier of a Unix user linked to a pkgtoken account (a systemd
 * user service, systemd/user/pkgtoken-notify.service).  It asks pkgtokend for the account's
 * events (SubscribeOwnEvents) and turns each Own* signal into a desktop notification
 * (org.freedesktop.Notifications.Notify on the session bus).  pkgtokend sends those signals to
 * the subscribed connections of the linked user alone, so what arrives is what this user may
 * know; nothing else is asked for. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "bus-client.h"
#include "log.h"
#include "macro.h"
#include "names.h"
#include "options.h"
#include "time-util.h"

#define NOTIFY_APP "pkgtoken"
#define NOTIFY_ICON "dialog-password"
#define EXIT_NOT_LINKED 2
#define NOTIFY_BODY_MAX 2048   /* the unit does not restart for it (RestartPreventExitStatus=) */

enum { URGENCY_LOW, URGENCY_NORMAL, URGENCY_CRITICAL };

typedef struct Notifier {
        sd_event *event;
        sd_bus *system;     /* pkgtokend's bus */
        sd_bus *session;    /* the notification server's */
        char *daemon;       /* the unique name that answered SubscribeOwnEvents */
} Notifier;

/* Notification bodies may be read as markup by the server: descriptions and names are text. */
static char *escape_markup(const char *s) {
        size_t n = 1;
        char *out, *o;

        for (const char *p = s; *p; p++)
                n += *p == '&' ? 5 : *p == '<' || *p == '>' ? 4 : 1;
        out = o = malloc(n);
        if (!out)
                return NULL;
        for (const char *p = s; *p; p++)
                o = stpcpy(o, *p == '&' ? "&amp;" : *p == '<' ? "&lt;" : *p == '>' ? "&gt;" : (char[]) { *p, 0 });
        *o = 0;
        return out;
}

static int on_notified(sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        if (e)
                log_warning("the notification server refused a notification: %s", e->message ?: e->name);
        return 0;
}

_printf_(4, 5)
static int notify(Notifier *n, unsigned urgency, const char *summary, const char *fmt, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        char body[NOTIFY_BODY_MAX];   /* a longer one is cut: it is read on a screen */
        va_list ap;
        int r;

        va_start(ap, fmt);
        (void) vsnprintf(body, sizeof body, fmt, ap);
        va_end(ap);

        r = sd_bus_message_new_method_call(n->session, &m, "org.freedesktop.Notifications",
                                           "/org/freedesktop/Notifications", "org.freedesktop.Notifications", "Notify");
        if (r >= 0)
                r = sd_bus_message_append(m, "susssasa{sv}i", NOTIFY_APP, 0u, NOTIFY_ICON, summary, body, 0, 1,
                                          "urgency", "y", (uint8_t) urgency, -1);
        if (r >= 0)
                r = sd_bus_call_async(n->session, NULL, m, on_notified, n, 0);
        if (r < 0)
                return log_error_errno(r, "cannot send a notification: %m");
        log_info("%s: %s", summary, body);
        return 0;
}

/* Each Own* signal: the arguments it carries, escaped, then its notification. */
typedef int (*EventHandler)(Notifier *n, char *const *a, uint64_t when);

static int token_expiring(Notifier *n, char *const *a, uint64_t expires_at) {
        char when[64];

        if (format_timestamp_utc(expires_at, when, sizeof when) < 0)
                snprintf(when, sizeof when, "soon");
        return notify(n, URGENCY_NORMAL, "A pkgtoken token expires soon",
                      "Token %s (%s) expires at %s. Make a new one before then: pkgtokenctl token rotate %s", a[0],
                      a[1], when, a[0]);
}

static int token_new_address(Notifier *n, char *const *a, uint64_t unused) {
        return notify(n, URGENCY_CRITICAL, "A pkgtoken token was used from a new address",
                      "Token %s (%s) was used from %s. If that was not you, revoke it: pkgtokenctl token revoke %s",
                      a[0], a[1], a[2], a[0]);
}

static int token_revoked(Notifier *n, char *const *a, uint64_t unused) {
        return notify(n, URGENCY_NORMAL, "A pkgtoken token was revoked", "Token %s (%s) no longer works.", a[0], a[1]);
}

static int package_published(Notifier *n, char *const *a, uint64_t unused) {
        return notify(n, URGENCY_NORMAL, "A package of yours was published", "%s %s was published by %s.", a[0],
                      a[1], a[2]);
}

static int package_staged(Notifier *n, char *const *a, uint64_t unused) {
        return notify(n, URGENCY_NORMAL, "A version of your package waits for approval",
                      "%s %s was staged by %s. Approve it: pkgtokenctl stage approve %s", a[1], a[2], a[3], a[0]);
}

typedef struct Event {
        const char *member;
        const char *types;   /* strings, then at most one "t" */
        EventHandler handler;
} Event;

/* The signals and their arguments as bus-own-events.c sends them (dbus/org.pkgtoken1.xml). */
static const Event events[] = {
        { .member = "OwnTokenExpiring", .types = "sst", .handler = token_expiring },
        { .member = "OwnTokenUsedFromNewAddress", .types = "sss", .handler = token_new_address },
        { .member = "OwnTokenRevoked", .types = "ss", .handler = token_revoked },
        { .member = "OwnPackagePublished", .types = "sss", .handler = package_published },
        { .member = "OwnPackageStaged", .types = "ssss", .handler = package_staged },
};

#define EVENT_ARGS_MAX 4

static int on_event(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Notifier *n = userdata;
        char *args[EVENT_ARGS_MAX] = {};
        uint64_t when = 0;
        const Event *e = NULL;
        size_t k = 0;
        int r = 0;

        /* Anyone may send a signal to this connection: only pkgtokend's count. */
        if (!n->daemon || !streq_ptr(sd_bus_message_get_sender(m), n->daemon) ||
            !streq_ptr(sd_bus_message_get_path(m), PKGTOKEN_OBJECT_PATH))
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(events); i++)
                if (sd_bus_message_is_signal(m, PKGTOKEN_MANAGER_IFACE, events[i].member) > 0)
                        e = &events[i];
        if (!e || !streq_ptr(sd_bus_message_get_signature(m, true), e->types))
                return 0;
        for (const char *t = e->types; *t && r >= 0; t++) {
                const char *s;
                if (*t == 't') {
                        r = sd_bus_message_read(m, "t", &when);
                        continue;
                }
                r = sd_bus_message_read(m, "s", &s);
                if (r >= 0 && !(args[k++] = escape_markup(s)))
                        r = -ENOMEM;
        }
        if (r >= 0)
                r = e->handler(n, args, when);
        else
                log_warning("cannot read %s: %s", e->member, strerror(-r));
        for (size_t i = 0; i < k; i++)
                free(args[i]);
        return 0;
}

static int on_subscribed(sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Notifier *n = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        if (!e) {
                free(n->daemon);
                n->daemon = strdup(sd_bus_message_get_sender(reply) ?: "");
                if (!n->daemon)
                        return sd_event_exit(n->event, log_oom());
                log_info("watching the events of this user's pkgtoken account");
                return 0;
        }
        if (sd_bus_error_has_name(e, PKGTOKEN_ERROR_ACCESS_DENIED)) {
                log_error("%s", e->message ?: "this user is not linked to a pkgtoken account");
                return sd_event_exit(n->event, EXIT_NOT_LINKED);
        }
        /* pkgtokend not there (yet): it subscribes when the name appears. */
        log_warning("cannot subscribe to pkgtoken events: %s", e->message ?: e->name);
        return 0;
}

static int subscribe(Notifier *n) {
        return sd_bus_call_method_async(n->system, NULL, PKGTOKEN_BUS_NAME, PKGTOKEN_OBJECT_PATH,
                                        PKGTOKEN_MANAGER_IFACE, "SubscribeOwnEvents", on_subscribed, n, "");
}

/* pkgtokend restarted: its subscriptions are gone with it. */
static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *name, *old_owner, *new_owner;

        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) >= 0 && !isempty(new_owner))
                (void) subscribe(userdata);
        return 0;
}

static int connect_buses(Notifier *n) {
        int r;

        r = bus_client_open(getenv(PKGTOKEN_BUS_ADDRESS_ENV), "pkgtoken-notify", 0, &n->system);
        if (r < 0)
                return log_error_errno(r, "cannot connect to pkgtokend's bus: %m");
        r = sd_bus_open_user(&n->session);
        if (r < 0)
                return log_error_errno(r, "cannot connect to the session bus: %m");
        sd_bus *buses[] = { n->system, n->session };
        for (size_t i = 0; i < ELEMENTSOF(buses); i++) {
                r = sd_bus_attach_event(buses[i], n->event, SD_EVENT_PRIORITY_NORMAL);
                if (r >= 0)
                        /* Nothing to do without either bus: exit and let systemd restart. */
                        r = sd_bus_set_exit_on_disconnect(buses[i], true);
                if (r < 0)
                        return log_error_errno(r, "cannot attach to the event loop: %m");
        }
        return 0;
}

static int watch(Notifier *n) {
        int r;

        /* The signals come with this connection as destination; the sender is checked against
         * the name that answered SubscribeOwnEvents (on_event()). */
        r = sd_bus_match_signal(n->system, NULL, NULL, PKGTOKEN_OBJECT_PATH, PKGTOKEN_MANAGER_IFACE, NULL, on_event, n);
        if (r >= 0)
                r = sd_bus_add_match(n->system, NULL,
                                     "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                                     "interface='org.freedesktop.DBus',member='NameOwnerChanged',"
                                     "arg0='" PKGTOKEN_BUS_NAME "'", on_owner_changed, n);
        if (r < 0)
                return log_error_errno(r, "cannot watch pkgtokend's signals: %m");
        r = subscribe(n);
        return r < 0 ? log_error_errno(r, "cannot subscribe to pkgtoken events: %m") : 0;
}

static int help(void) {
        printf("Usage: pkgtoken-notify [OPTIONS]\n\n"
               "Shows desktop notifications for the pkgtoken account linked to this Unix user\n"
               "(pkgtokenctl account link): a token that expires soon, was used from a new address\n"
               "or was revoked; a version of a package it maintains published or staged.\n\n"
               "  -h --help               Show this help\n"
               "     --version            Show the version\n\n"
               "pkgtokend's bus is $%s when set, else the system bus; notifications go to the\n"
               "session bus.\n", PKGTOKEN_BUS_ADDRESS_ENV);
        return 0;
}

static int parse_option(int c, const char *arg, void *userdata) {
        return -EINVAL;   /* options_parse() logged it */
}

static void notifier_done(Notifier *n) {
        free(n->daemon);
        sd_bus_flush_close_unref(n->system);
        sd_bus_flush_close_unref(n->session);
        sd_event_unref(n->event);
}

int main(int argc, char *argv[]) {
        static const struct option options[] = { OPTION_HELP, OPTION_VERSION, {} };
        _cleanup_(notifier_done) Notifier n = {};
        int r;

        log_setup("pkgtoken-notify");
        r = options_parse(argc, argv, "pkgtoken-notify", "h", options, help, parse_option, NULL);
        if (r <= 0)
                return r < 0 ? 1 : 0;
        if (optind < argc) {
                log_error("pkgtoken-notify takes no arguments.");
                return 1;
        }
        r = sd_event_default(&n.event);
        if (r >= 0)
                r = connect_buses(&n);
        if (r >= 0)
                r = watch(&n);
        if (r >= 0)
                r = sd_event_loop(n.event);
        return r < 0 ? 1 : r;
}
