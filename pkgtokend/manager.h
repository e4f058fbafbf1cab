/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "creds.h"
#include "ratelimit.h"
#include "store.h"
#include "worker.h"

typedef struct Manager {
        sd_event *event;
        sd_bus *bus;
        Store *store;
        CredsCache *creds;
        char *state_dir;
        uid_t own_uid;
        Config config;
        const char *dummy_hash;      /* checked for unknown accounts, so they cost the same */
        WorkerPool *workers;         /* password hashing, off the event loop */
        RateLimit *ratelimit;        /* failures per remote address */
        gid_t registry_gid;          /* config.registry_group resolved; (gid_t) -1 none */

        /* Read checks do not write to disk on the hot path: last-used updates are collected
         * here and written in one transaction shortly after (see manager_note_use). */
        void *pending_uses;          /* tsearch tree of PendingUse, by token rowid */
        size_t n_pending_uses;
        sd_event_source *flush_timer;
} Manager;

int manager_new(const char *state_dir, const Config *config, Manager **ret);
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

/* For the method files (manager.c, manager-auth.c). */
/* Admin methods: root and the daemon's own uid.  Verify methods: those, and members of the
 * registry group (ret_admin tells which). */
int verify_caller(Manager *m, sd_bus_message *msg, sd_bus_error *error, uid_t *ret_uid);
int verify_verifier(Manager *m, sd_bus_message *msg, sd_bus_error *error, uid_t *ret_uid, bool *ret_admin);
int load_account(Manager *m, const char *name, AccountRecord *ret, sd_bus_error *error);
int audit_event(Manager *m, const char *action, const char *package, const char *result, const char *actor,
                const char *token_id, const char *remote, const char *reason);
int audit_admin(Manager *m, const char *action, const char *package, uid_t caller, const char *token_id,
                const char *reason);
/* Generates a token for t, stores its hash, fills t->id (allocated) and secret. */
int insert_new_token(Manager *m, TokenRecord *t, char secret[static TOKEN_LEN + 1]);

/* manager-auth.c */
int method_set_password(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_authenticate(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_enroll_totp(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_confirm_totp(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_set_two_factor_mode(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_regenerate_recovery_codes(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_check_account(sd_bus_message *msg, void *userdata, sd_bus_error *error);

/* Lockouts: failures by account name (known or not), in the store; call inside a write
 * transaction.  manager_note_auth_failure() returns 1 when this failure locked the name. */
bool manager_locked_out(Manager *m, const char *name, usec_t now, usec_t *ret_until);
int manager_note_auth_failure(Manager *m, const char *name, const char *remote, usec_t now);

/* Checks code as the account's second factor inside a write transaction: a TOTP code (its
 * counter is stored, so it works once) or, when allowed, a recovery code (consumed).
 * 0 valid, -EINVAL malformed, -EACCES wrong, -EALREADY replayed, other -errno on failure. */
int manager_verify_second_factor(Manager *m, const AccountSecrets *secrets, const char *code,
                                 bool allow_recovery, usec_t now);
/* For management methods (token creation, 2FA changes) of an account with 2FA: the caller
 * must give a current code.  On a wrong code the failure is counted and committed in tx
 * before the error (OTPRequired, BadOTP, ReplayedOTP, RateLimited) is returned. */
int check_second_factor_for_management(Manager *m, Transaction *tx, const char *account, const char *otp,
                                       bool allow_recovery, usec_t now, sd_bus_error *error);
