/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The last-used write-back cache.  Read checks do not write to disk on the hot path: a
 * token's last use is noted here (nothing at all when the stored time is recent) and written
 * with others in one transaction shortly after.  The owner runs the timer: wake() is called
 * when the first use is pending, and it then calls last_used_flush_some() until nothing is. */

#include <stdbool.h>

#include "input-limits.h"
#include "store.h"

typedef struct LastUsed {
        Store *store;
        void *tree;                  /* tsearch tree of PendingUse, by token rowid */
        size_t n_pending;
        void (*wake)(void *userdata);
        void *userdata;
} LastUsed;

void last_used_note(LastUsed *u, const TokenRecord *t, usec_t now, const char *remote);
/* Writes one batch; *ret_more says whether uses are still pending. */
int last_used_flush_some(LastUsed *u, bool *ret_more);
/* Writes everything now (on exit). */
int last_used_flush_all(LastUsed *u);
void last_used_done(LastUsed *u);
