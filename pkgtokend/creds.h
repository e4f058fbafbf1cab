/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Who is calling: the effective uid dbus-daemon recorded for the sender's connection
 * (SO_PEERCRED at connect time), never anything the caller says about itself.
 *
 * Asking the bus costs a round trip, as much as the call being authorised, so the answer is
 * cached per unique connection name.  dbus-daemon never reuses a unique name, so an entry
 * cannot go stale; entries are dropped when the connection goes away to bound memory. */

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

typedef struct CredsCache CredsCache;

int creds_cache_new(sd_bus *bus, CredsCache **ret);
CredsCache *creds_cache_free(CredsCache *c);
static inline void creds_cache_freep(CredsCache **c) {
        creds_cache_free(*c);
}

/* The sender's effective uid, from the cache or the bus. */
int creds_cache_sender_uid(CredsCache *c, sd_bus_message *m, uid_t *ret);
size_t creds_cache_size(const CredsCache *c);
