/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Expiry warnings (issue 10): once per token, TokenExpiryWarningSec= before it expires, the
 * manager's maintenance tick emits TokenExpiring and logs a line.  That a token was warned
 * about is stored with it, so a restart does not warn again. */

#include "store.h"

/* At most this many warnings per tick; a full batch means the next tick comes at once. */
#define EXPIRY_WARN_BATCH 100

typedef struct ExpiringToken {
        char *id;
        char *account;      /* "" for package tokens */
        usec_t expires_at;
} ExpiringToken;

/* In one transaction: takes up to EXPIRY_WARN_BATCH alive tokens that expire within window
 * from now and have not been warned about, and marks them warned.  *ret (free with
 * expiring_tokens_free()) and *ret_n are what to announce. */
int expiry_take_due(Store *s, usec_t now, usec_t window, ExpiringToken **ret, size_t *ret_n);
void expiring_tokens_free(ExpiringToken *l, size_t n);
