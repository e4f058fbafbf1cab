/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Who may call what.  Admins are root and the uid the daemon runs as (which lets the tests
 * run unprivileged); polkit comes later.  Verifiers are admins and members of the registry
 * group: the registry front ends that check passwords, OTPs and tokens for their users. */

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "bus-records.h"
#include "bus-util.h"
#include "manager.h"

/* Admin methods.  AccessDenied otherwise. */
int bus_verify_admin(Manager *m, sd_bus_message *msg, sd_bus_error *error, uid_t *ret_uid);
/* Verify methods: admins and verifiers; *ret_admin tells which. */
int bus_verify_verifier(Manager *m, sd_bus_message *msg, sd_bus_error *error, uid_t *ret_uid, bool *ret_admin);

/* The start of a method: who may call it, and what it reads.  Each method keeps the order its
 * errors always had: some check the caller before reading (so an unknown option from a caller
 * who may not call at all is AccessDenied), some after. */
typedef struct BusCall {
        bool verifier;                  /* verifiers may call too, not only admins */
        bool check_first;               /* the caller is checked before the arguments are read */
        bool checked;                   /* the caller was checked already: only read */
        bool has_options;               /* an a{sv} of options follows the arguments */
        const OptionSpec *options;
        size_t n_options;
        uid_t *ret_uid;
        bool *ret_admin;
} BusCall;

/* For BusCall: an a{sv} that takes the options given (none: it must be empty). */
#define BUS_OPTIONS(...)                                                        \
        .has_options = true,                                                    \
        .options = (const OptionSpec[]) { __VA_ARGS__ },                        \
        .n_options = sizeof((const OptionSpec[]) { __VA_ARGS__ }) / sizeof(OptionSpec)
#define BUS_NO_OPTIONS .has_options = true

/* Checks the caller as call says and reads the arguments of types (as sd_bus_message_read()),
 * then the options; the first error is returned, set on error where the caller sees it. */
int bus_begin_call(Manager *m, sd_bus_message *msg, const BusCall *call, sd_bus_error *error, const char *types, ...);

/* A List method for admins: checks the caller, then replies with what fill() appends. */
int bus_reply_admin_list(Manager *m, sd_bus_message *msg, BusListFill fill, const void *query, sd_bus_error *error);
