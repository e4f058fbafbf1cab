/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The direct socket: the same org.pkgtoken1.Manager object served peer-to-peer on a unix
 * socket of the daemon's own (socket-activated by pkgtokend-direct.socket, or bound by the
 * daemon for DirectSocket=), without dbus-daemon in between.  An optimisation for verifiers
 * (pam_pkgtoken, the Verdaccio plugin); the bus stays the public API and alone carries
 * signals (docs/ARCHITECTURE.md, "The direct socket").
 *
 * A caller's identity is the socket's peer (SO_PEERCRED at connect time), taken once per
 * connection; bus-caller.c applies the same rules to it as to a caller on the bus. */

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "creds.h"

/* Connections served at once (nginx keeps one per worker process, the plugin one): one more
 * is accepted and closed at once, so that its client fails at once (fail closed) instead of
 * waiting in the listen queue. */
#define DIRECT_CONNECTIONS_MAX 256

typedef struct DirectServer DirectServer;

/* What every connection serves: the vtable with its userdata, on the loop. */
typedef struct DirectService {
        sd_event *event;
        const sd_bus_vtable *vtable;
        void *userdata;
        gid_t registry_gid;          /* for Caller.in_registry_group */
} DirectService;

/* Listens on the socket systemd passed (LISTEN_FDS), else on path when it is not empty
 * (bound by us, mode 0660, group registry_gid when we may set it).  *ret is NULL when there
 * is neither: no direct socket. */
int direct_server_new(const DirectService *service, const char *path, DirectServer **ret);
DirectServer *direct_server_free(DirectServer *s);
static inline void direct_server_freep(DirectServer **s) {
        direct_server_free(*s);
}

/* The caller on bus, when bus is one of s's connections: 1 and *ret; 0 when it is not. */
int direct_server_caller(DirectServer *s, sd_bus *bus, Caller *ret);
unsigned direct_server_connections(const DirectServer *s);
