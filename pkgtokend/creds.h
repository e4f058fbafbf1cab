/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Who is calling on the bus: the effective uid dbus-daemon recorded for the sender's connection
 * (SO_PEERCRED at connect time), never anything the caller says about itself.  (Callers on
 * the direct socket: bus-direct.h; both become a Caller through caller_for_uid().)
 *
 * Asking the bus costs a round trip, as much as the call being authorised, so the answer is
 * cached per unique connection name.  dbus-daemon never reuses a unique name, so an entry
 * cannot go stale; entries are dropped when the connection goes away to bound memory. */

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

typedef struct CredsCache CredsCache;

typedef struct Caller {
        uid_t uid;
        bool in_registry_group;   /* the uid's user is a member of the registry group */
} Caller;

/* The caller with this uid, whichever way the uid was learnt (from the bus here, from the
 * direct socket's SO_PEERCRED in bus-direct.c): group membership from the user database. */
int caller_for_uid(uid_t uid, gid_t registry_gid, Caller *ret);

/* registry_gid: the group whose members may verify credentials ((gid_t) -1: none). */
int creds_cache_new(sd_bus *bus, gid_t registry_gid, CredsCache **ret);
CredsCache *creds_cache_free(CredsCache *c);
static inline void creds_cache_freep(CredsCache **c) {
        creds_cache_free(*c);
}

/* Who sent m, from the cache or the bus (and the user database, for group membership). */
int creds_cache_sender(CredsCache *c, sd_bus_message *m, Caller *ret);
size_t creds_cache_size(const CredsCache *c);
