/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* polkit, asked asynchronously (bus-polkit.h).  The queries in flight are few (one per caller
 * waiting for an answer), so a list is enough. */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "bus-error.h"
#include "bus-polkit.h"
#include "log.h"
#include "macro.h"

#define POLKIT_BUS_NAME  "org.freedesktop.PolicyKit1"
#define POLKIT_PATH      "/org/freedesktop/PolicyKit1/Authority"
#define POLKIT_INTERFACE "org.freedesktop.PolicyKit1.Authority"
#define POLKIT_ALLOW_USER_INTERACTION 1u

typedef struct Query Query;
struct Query {
        Polkit *polkit;
        sd_bus_message *request;   /* the call waiting; referenced */
        sd_bus_slot *slot;         /* CheckAuthorization in flight */
        char *action;
        int answer;                /* 0 pending, 1 allowed, else a negative ERR_* */
        char *message;             /* why, for a denial */
        Query *next;
};

struct Polkit {
        sd_bus *bus;
        usec_t timeout;
        Query *queries;
};

int polkit_new(sd_bus *bus, usec_t timeout, Polkit **ret) {
        Polkit *p = calloc(1, sizeof *p);
        if (!p)
                return -ENOMEM;
        p->bus = sd_bus_ref(bus);
        p->timeout = timeout;
        *ret = p;
        return 0;
}

static void query_free(Query *q) {
        sd_bus_slot_unref(q->slot);
        sd_bus_message_unref(q->request);
        free(q->action);
        free(q->message);
        free(q);
}

static void query_unlink(Query *q) {
        for (Query **i = &q->polkit->queries; *i; i = &(*i)->next)
                if (*i == q) {
                        *i = q->next;
                        return;
                }
}

Polkit *polkit_free(Polkit *p) {
        if (!p)
                return NULL;
        while (p->queries) {
                Query *q = p->queries;
                p->queries = q->next;
                query_free(q);
        }
        sd_bus_unref(p->bus);
        free(p);
        return NULL;
}

static Query *query_find(Polkit *p, sd_bus_message *msg) {
        for (Query *q = p->queries; q; q = q->next)
                if (q->request == msg)
                        return q;
        return NULL;
}

_printf_(3, 4)
static void deny(Query *q, int answer, const char *fmt, ...) {
        va_list ap;

        q->answer = answer;
        va_start(ap, fmt);
        if (vasprintf(&q->message, fmt, ap) < 0)
                q->message = NULL;   /* the error's default message says enough */
        va_end(ap);
}

/* The reply of CheckAuthorization: (bba{ss}) is_authorized, is_challenge, details. */
static void read_answer(Query *q, sd_bus_message *reply) {
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        int authorized, challenge, r;

        if (sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER)) {
                /* No polkit on this host: nobody but root and the daemon's uid may. */
                log_debug("polkit is not running: %s refused", q->action);
                return deny(q, -ERR_ACCESS_DENIED, "Access denied: %s needs root here (polkit, which could allow "
                            "others, is not running).", q->action);
        }
        if (e) {
                log_warning("polkit did not answer for %s: %s", q->action, e->message ?: e->name);
                return deny(q, -ERR_AUTHZ_UNAVAILABLE, "Access denied: polkit could not decide on %s (%s).",
                            q->action, e->name);
        }
        r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
        if (r >= 0)
                r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
        if (r < 0)
                return deny(q, -ERR_AUTHZ_UNAVAILABLE, "Access denied: polkit's answer on %s was unreadable.",
                            q->action);
        if (authorized)
                q->answer = 1;
        else if (challenge)
                deny(q, -ERR_AUTHZ_INTERACTIVE, "Access denied: %s needs authentication, and the call did not "
                     "allow interactive authorization (pkgtokenctl --no-ask-password, or no polkit agent).",
                     q->action);
        else
                deny(q, -ERR_ACCESS_DENIED, "Access denied: polkit does not allow %s to this caller.", q->action);
}

static int on_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Query *q = userdata;
        int r;

        q->slot = sd_bus_slot_unref(q->slot);
        (void) read_answer(q, reply);
        /* Dispatch the call again from its first argument; the method finds the answer. */
        r = sd_bus_message_rewind(q->request, true);
        if (r >= 0)
                r = sd_bus_enqueue_for_read(q->polkit->bus, q->request);
        if (r < 0) {
                log_error("cannot dispatch a call again after polkit answered: %s", strerror(-r));
                (void) bus_reply_errno(q->request, -ERR_AUTHZ_UNAVAILABLE, NULL);
                query_unlink(q);
                query_free(q);
        }
        return 0;
}

static int ask(Polkit *p, Query *q) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *c = NULL;
        uint32_t flags = sd_bus_message_get_allow_interactive_authorization(q->request) > 0
                ? POLKIT_ALLOW_USER_INTERACTION : 0;
        const char *sender = sd_bus_message_get_sender(q->request);
        int r;

        if (!sender)
                return -EINVAL;
        r = sd_bus_message_new_method_call(p->bus, &c, POLKIT_BUS_NAME, POLKIT_PATH, POLKIT_INTERFACE,
                                           "CheckAuthorization");
        if (r >= 0)
                /* The subject is the caller's bus name: polkit asks the bus who it is, so
                 * nothing the caller says about itself counts. */
                r = sd_bus_message_append(c, "(sa{sv})sa{ss}us", "system-bus-name", 1, "name", "s", sender, q->action,
                                          0, flags, "");
        if (r < 0)
                return r;
        /* A prompt waits for a person; without one the answer is quick or never. */
        return sd_bus_call_async(p->bus, &q->slot, c, on_reply, q, p->timeout);
}

int polkit_check(Polkit *p, sd_bus_message *msg, const char *action, sd_bus_error *error) {
        Query *q = query_find(p, msg);
        int r;

        if (q) {
                if (q->answer == 0)
                        return 0;
                r = q->answer;
                if (r < 0)
                        (void) bus_error_set_errno_message(error, r, q->message);
                query_unlink(q);
                query_free(q);
                return r;
        }

        q = calloc(1, sizeof *q);
        if (!q)
                return -ENOMEM;
        *q = (Query) { .polkit = p, .request = sd_bus_message_ref(msg), .action = strdup(action) };
        r = q->action ? ask(p, q) : -ENOMEM;
        if (r < 0) {
                query_free(q);
                log_warning("cannot ask polkit about %s: %s", action, strerror(-r));
                return bus_error_set_errno_message(error, -ERR_AUTHZ_UNAVAILABLE, NULL);
        }
        q->next = p->queries;
        p->queries = q;
        return 0;
}
