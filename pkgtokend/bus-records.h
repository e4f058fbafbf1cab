/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Records as the bus shows them: one a{sv} each, and the aa{sv} of the List methods. */

#include <systemd/sd-bus.h>

#include "accounts.h"
#include "store.h"

/* The appenders of a record alone take the record first, so that they serve as the store's
 * foreach callbacks (reply: the sd_bus_message *) of the List methods. */
int bus_append_account(const AccountRecord *a, void *reply);
/* GetAccount: the record and what costs extra lookups. */
int bus_append_account_details(sd_bus_message *reply, const AccountRecord *a, const AccountDetails *d);
int bus_append_package(const PackageRecord *p, void *reply);
/* Everything about a token except its secret, which is not stored and so cannot leak here. */
int bus_append_token(sd_bus_message *reply, const TokenRecord *t, usec_t now);
int bus_append_audit_event(const AuditEvent *e, void *reply);

/* Replies with an aa{sv} that fill() appends records to: the shape of every List method.
 * fill()'s errors are the store's. */
typedef int (*BusListFill)(Store *s, sd_bus_message *reply, const void *query);
int bus_reply_list(Store *s, sd_bus_message *msg, BusListFill fill, const void *query, sd_bus_error *error);
