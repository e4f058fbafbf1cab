/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Events a desktop may know of, for the accounts of the Unix users that asked
 * (SubscribeOwnEvents): a token of mine expires soon, was used from a new address, was
 * revoked (my account tokens, and the package tokens of packages I maintain); a version of a
 * package I maintain was published or staged.  Each goes as a signal with a destination, to
 * the subscribed connections of the users it concerns only; the bus policy
 * (dbus/org.pkgtoken1.conf) keeps every other signal of pkgtokend from other users. */

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "time-util.h"

struct Manager;
struct TokenRecord;
typedef struct OwnEvents OwnEvents;

int own_events_new(sd_bus *bus, OwnEvents **ret);
OwnEvents *own_events_free(OwnEvents *e);

/* Methods SubscribeOwnEvents and UnsubscribeOwnEvents: linked Unix users only. */
int method_subscribe_own_events(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_unsubscribe_own_events(sd_bus_message *msg, void *userdata, sd_bus_error *error);

/* The events, each sent also as the broadcast signal it had before where there is one. */
void bus_emit_token_revoked(struct Manager *m, const char *id);
void bus_emit_token_expiring(struct Manager *m, const char *id, const char *account, usec_t expires_at);
void bus_emit_package_published(struct Manager *m, const char *package, const char *version, const char *actor,
                                const char *token_id);
void bus_emit_package_staged(struct Manager *m, const char *stage_id, const char *package, const char *version,
                             const char *staged_by);
/* t was just used from remote: tells its owners when it was last used from elsewhere. */
void bus_note_token_address(struct Manager *m, const struct TokenRecord *t, const char *remote);
