/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "creds.h"
#include "store.h"

typedef struct Manager {
        sd_event *event;
        sd_bus *bus;
        Store *store;
        CredsCache *creds;
        char *state_dir;
        uid_t own_uid;

        /* Read checks do not write to disk on the hot path: last-used updates are collected
         * here and written in one transaction shortly after (see manager_note_use). */
        void *pending_uses;          /* tsearch tree of PendingUse, by token rowid */
        size_t n_pending_uses;
        sd_event_source *flush_timer;
} Manager;

int manager_new(const char *state_dir, Manager **ret);
Manager *manager_free(Manager *m);
static inline void manager_freep(Manager **m) {
        manager_free(*m);
}

/* Connects to the bus at address (NULL: the system bus), publishes the object and takes the
 * bus name. */
int manager_connect_bus(Manager *m, const char *address);
int manager_run(Manager *m);

/* Writes collected last-used times now; called by the timer and on exit. */
int manager_flush_uses(Manager *m);

extern const sd_bus_vtable manager_vtable[];
