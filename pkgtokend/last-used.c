/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <search.h>
#include <stdio.h>

#include "last-used.h"

/* A last-used time older than this is rewritten; newer ones are left alone, so a token used
 * a thousand times a second costs one write a minute. */
#define LAST_USED_GRANULARITY (60 * USEC_PER_SEC)

/* At most this many last-used times are written per transaction, so one flush never holds
 * the event loop (and the token checks queued behind it) for long. */
#define FLUSH_BATCH 256

typedef struct PendingUse {
        int64_t rowid;
        uint8_t hash[TOKEN_HASH_SIZE];   /* for the store's cache of the record */
        usec_t time;
        char remote[REMOTE_MAX + 1];
} PendingUse;

static int pending_use_compare(const void *a, const void *b) {
        int64_t x = ((const PendingUse *) a)->rowid, y = ((const PendingUse *) b)->rowid;
        return (x > y) - (x < y);
}

void last_used_note(LastUsed *u, const TokenRecord *t, usec_t now, const char *remote) {
        PendingUse key = { .rowid = t->rowid }, *use;
        PendingUse **found;

        if (t->last_used_at + LAST_USED_GRANULARITY > now && streq_ptr(t->last_used_from, remote))
                return;
        found = tfind(&key, &u->tree, pending_use_compare);
        if (found) {
                use = *found;
        } else {
                use = calloc(1, sizeof *use);
                if (!use)
                        return;   /* last-used is informational: losing one update is acceptable */
                use->rowid = t->rowid;
                memcpy(use->hash, t->hash, TOKEN_HASH_SIZE);
                if (!tsearch(use, &u->tree, pending_use_compare)) {
                        free(use);
                        return;
                }
                u->n_pending++;
                if (u->n_pending == 1 && u->wake)
                        u->wake(u->userdata);
        }
        use->time = now;
        snprintf(use->remote, sizeof use->remote, "%s", remote ?: "");
}

typedef struct FlushBatch {
        PendingUse *uses[FLUSH_BATCH];
        size_t n;
} FlushBatch;

static FlushBatch *flush_batch;   /* twalk(3) passes no userdata */

static void collect_one(const void *node, VISIT which, int depth) {
        if ((which == postorder || which == leaf) && flush_batch->n < FLUSH_BATCH)
                flush_batch->uses[flush_batch->n++] = *(PendingUse * const *) node;
}

int last_used_flush_some(LastUsed *u, bool *ret_more) {
        _cleanup_transaction_ Transaction tx = {};
        FlushBatch batch = {};
        int r;

        flush_batch = &batch;
        twalk(u->tree, collect_one);
        flush_batch = NULL;

        r = store_begin(u->store, &tx);
        for (size_t i = 0; r >= 0 && i < batch.n; i++)
                r = store_token_touch(u->store, batch.uses[i]->rowid, batch.uses[i]->hash, batch.uses[i]->time,
                                      batch.uses[i]->remote);
        if (r >= 0)
                r = store_commit(&tx);
        /* Dropped even when the write failed: last-used is informational, and retrying a
         * failing store forever would only repeat the error. */
        for (size_t i = 0; i < batch.n; i++) {
                tdelete(batch.uses[i], &u->tree, pending_use_compare);
                free(batch.uses[i]);
        }
        u->n_pending -= batch.n;
        *ret_more = u->n_pending > 0;
        return r;
}

int last_used_flush_all(LastUsed *u) {
        bool more = u->n_pending > 0;
        int r = 0;

        while (more && r >= 0)
                r = last_used_flush_some(u, &more);
        return r;
}

void last_used_done(LastUsed *u) {
        tdestroy(u->tree, free);
        u->tree = NULL;
        u->n_pending = 0;
}
