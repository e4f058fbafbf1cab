/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Who may call what.  Admins are root, the uid the daemon runs as (which lets the tests run
 * unprivileged), and a caller polkit allowed the call (bus-access.c asks before the method
 * runs).  Verifiers are admins and members of the registry group: the registry front ends
 * that check passwords, OTPs and tokens for their users.  A Unix user linked to an account
 * acts for it alone, through the methods that say so (BusCall.ret_linked, ProofRule.by_uid). */

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "bus-access.h"
#include "bus-records.h"
#include "bus-util.h"
#include "manager.h"

/* The caller is a Unix user linked to an account and no verifier (and no admin unless
 * even_admin: where no argument names an account, "me" means the linked one for admins too):
 * 1 and its uid and account (to free); 0 when not. */
int bus_caller_linked_account(Manager *m, sd_bus_message *msg, bool even_admin, uid_t *ret_uid, char **ret_account);

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
        /* Not NULL: a Unix user linked to an account (not admin, not verifier) may call too;
         * *ret_linked gets its account (to free), which is all it may act on; NULL otherwise. */
        char **ret_linked;
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
