/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The daemon's life cycle: what it owns (event loop, bus, store, workers, caches) and
 * connecting, running and freeing it.  The bus adapters (bus-*.c) get the Manager as their
 * userdata and hand the domain files only the parts they need (docs/ARCHITECTURE.md). */

#include <sys/types.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "bus-direct.h"
#include "bus-own-events.h"
#include "bus-polkit.h"
#include "config.h"
#include "creds.h"
#include "last-used.h"
#include "lockout.h"
#include "code-reuse.h"
#include "pam-backend.h"
#include "ratelimit.h"
#include "store.h"
#include "trusted-publishers.h"
#include "worker.h"

typedef struct Manager {
        sd_event *event;
        sd_bus *bus;
        DirectServer *direct;        /* the direct socket for verifiers (bus-direct.h); NULL none */
        Store *store;
        CredsCache *creds;
        char *state_dir;
        uid_t own_uid;
        Config config;
        const char *dummy_hash;      /* checked for unknown accounts, so they cost the same */
        WorkerPool *workers;         /* password hashing, off the event loop */
        RateLimit *ratelimit;        /* failures per remote address */
        gid_t registry_gid;          /* config.registry_group resolved; (gid_t) -1 none */
        Lockout lockout;             /* the store, the rate limiter and the lockout settings */
        LastUsed last_used;          /* read checks' last uses, written back by flush_timer */
        CodeReuse *code_reuse;       /* codes the same client may send again (code-reuse.h) */
        sd_event_source *flush_timer;
        sd_event_source *prune_timer; /* forgets audit records older than AuditRetentionSec= */
        TrustedPublishing trusted;   /* issuers loaded at start (issuers.h), the store, the limits */
        Polkit *polkit;              /* asked about admin methods by callers other than root (bus-access.c) */
        sd_bus_message *access_granted; /* the call polkit allowed, being dispatched now */
        OwnEvents *own_events;       /* linked users' subscriptions to their events (bus-own-events.c) */
        PamBackend pam;              /* passwords from PAM services, checked on the workers */
} Manager;

int manager_new(const char *state_dir, const Config *config, Manager **ret);
Manager *manager_free(Manager *m);
static inline void manager_freep(Manager **m) {
        manager_free(*m);
}

/* Connects to the bus at address (NULL: the system bus), publishes the object and takes the
 * bus name. */
int manager_connect_bus(Manager *m, const char *address);
/* Serves the object on the direct socket too: the one systemd passed, else path (NULL or "":
 * DirectSocket= of the configuration; empty there too: none). */
int manager_listen_direct(Manager *m, const char *path);
int manager_run(Manager *m);
