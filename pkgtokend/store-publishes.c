/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Verify's pending writes: decided and audited, waiting for the registry to say how they
 * ended (FinishPublish).  Kept on disk so that a restart in between loses nothing. */

#include <errno.h>
#include <stdlib.h>

#include "store-internal.h"

void pending_publish_done(PendingPublish *p) {
        free_many(p->id, p->package, p->version, p->token_id, p->actor, p->remote, p->integrity);
        *p = (PendingPublish) {};
}

int store_pending_insert(Store *s, const PendingPublish *p) {
        int r = store_exec(s, STMT_PENDING_INSERT, "tuttttIttbt", p->id, p->created_at, action_to_string(p->action),
                           p->package, p->version, p->token_id, p->account_id, p->actor, p->remote,
                           (int) p->new_package, p->integrity);
        return r < 0 ? r : 0;
}

typedef struct PendingTake {
        const char *id;
        PendingPublish *ret;
} PendingTake;

static int read_pending(Store *s, const StoreRow *row, void *userdata) {
        const PendingTake *t = userdata;
        PendingPublish *ret = t->ret;
        const char *id = t->id;
        int r;

        r = action_from_string(row_text(row, 1));
        *ret = (PendingPublish) {
                .id = strdup(id),
                .created_at = row_usec(row, 0),
                .action = r < 0 ? ACTION_PUBLISH : (Action) r,
                .package = row_strdup(row, 2),
                .version = row_strdup(row, 3),
                .token_id = row_strdup(row, 4),
                .account_id = row_int64(row, 5),
                .actor = row_strdup(row, 6),
                .remote = row_strdup(row, 7),
                .new_package = row_bool(row, 8),
                .integrity = row_strdup(row, 9),
        };
        if (!ret->id || !ret->package || !ret->version || !ret->token_id || !ret->actor || !ret->remote ||
            !ret->integrity) {
                pending_publish_done(ret);
                return -ENOMEM;
        }
        return 0;
}

int store_pending_prune(Store *s, usec_t before) {
        int r = store_exec(s, STMT_PENDING_PRUNE, "u", before);
        return r < 0 ? r : 0;
}

int store_pending_take(Store *s, const char *id, PendingPublish *ret) {
        /* A failure after the row was read (its DELETE's end) leaves nothing to the caller. */
        *ret = (PendingPublish) {};
        int r = store_get_row(s, STMT_PENDING_TAKE, read_pending, &(PendingTake) { id, ret }, "t", id);
        if (r < 0)
                pending_publish_done(ret);
        return r;
}
