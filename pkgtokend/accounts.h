/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Accounts: the people and services that hold tokens and maintain packages.  Errors are
 * negative errnos, ERR_* of errors.h for the ones clients see by name. */

#include <sys/types.h>

#include "model.h"
#include "store.h"

/* ERR_INVALID_ARGUMENT for a malformed name, ERR_NO_SUCH_ACCOUNT. */
int account_load(Store *s, const char *name, AccountRecord *ret);

/* ERR_ACCOUNT_EXISTS. */
int account_create(Store *s, const char *name, const char *email, AccountKind kind, usec_t now);
/* The same, linked to the Unix user uid (-1: none) in one transaction. */
int account_create_linked(Store *s, const char *name, const char *email, AccountKind kind, int64_t uid,
                          uid_t caller, usec_t now);
/* Links the account to the Unix user uid, -1 unlinks: that uid then acts for the account over
 * the bus without root (bus-caller.h).  ERR_NO_SUCH_ACCOUNT; ERR_ACCOUNT_EXISTS when uid is
 * linked to another account (one account per uid).  Audited as the admin's. */
int account_link(Store *s, const char *name, int64_t uid, uid_t caller, usec_t now);
#define AUDIT_ACCOUNT_LINK       "account-link"
#define AUDIT_ACCOUNT_UNLINK     "account-unlink"
/* Unlocking also ends a lockout after failures: an admin vouched for the user. */
int account_set_locked(Store *s, const char *name, bool locked);
/* The recovery hold (issue 10): after a recovery code is used or an admin resets 2FA, the
 * account reads but does not publish or govern for RecoveryHoldSec= (common/decision.c,
 * common/governance.c).  In the caller's transaction, audited as "recovery-hold" with why;
 * a hold already longer is kept.  hold 0: nothing. */
int account_start_hold(Store *s, const AccountRecord *a, usec_t hold, usec_t now, const char *why);
/* An admin ends it early (audited with the caller's uid).  ERR_NO_SUCH_ACCOUNT. */
int account_lift_hold(Store *s, const char *name, uid_t caller, usec_t now);
/* A new e-mail address, where account recovery would go: like a recovery, it starts the hold
 * (hold 0: none), so a taken-over account cannot publish at once.  Audited as the admin's. */
int account_set_email(Store *s, const char *name, const char *email, usec_t hold, uid_t caller, usec_t now);
#define AUDIT_ACCOUNT_EMAIL      "account-email"
#define AUDIT_RECOVERY_HOLD      "recovery-hold"
#define AUDIT_RECOVERY_HOLD_LIFT "recovery-hold-lift"

/* Where a human account's password is checked: service NULL, here (its own hash; after a
 * PAM service, none until an admin sets one), else that PAM service of the host (the local
 * hash is forgotten).  Audited as the admin's, reason "NAME: local" or "NAME: pam:SERVICE".
 * ERR_NO_SUCH_ACCOUNT, ERR_ACCESS_DENIED for a service account. */
int account_set_password_source(Store *s, const char *name, const char *service, uid_t caller, usec_t now);
#define AUDIT_PASSWORD_SOURCE    "password-source"

/* Its account tokens and maintainerships go with it; package tokens it created stay. */
int account_remove(Store *s, const char *name);

/* What GetAccount shows beyond the record: it costs extra lookups. */
typedef struct AccountDetails {
        unsigned recovery_codes_left;
        usec_t locked_until;        /* 0 unless a lockout is in force */
        unsigned failed_attempts;   /* in the current lockout window */
        int64_t linked_uid;         /* the Unix user linked to it (account_link()); -1 none */
} AccountDetails;
int account_get_details(Store *s, usec_t lockout_window, const char *name, usec_t now, AccountRecord *ret,
                        AccountDetails *ret_details);

/* CheckAccount: may this account use the registry now?  Returns an AccountState. */
int account_check(Store *s, const char *name, usec_t now, const char **ret_reason);
