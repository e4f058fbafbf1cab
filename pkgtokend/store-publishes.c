/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Verify's pending writes: decided and audited, waiting for the registry to say how they
 * ended (FinishPublish).  Kept on disk so that a restart in between loses nothing. */

#include <errno.h>
#include <stdlib.h>

#include "store-internal.h"

void pending_publish_done(PendingPublish *p) {
        free(p->id);
        free(p->package);
        free(p->version);
        free(p->token_id);
        free(p->actor);
        free(p->remote);
        free(p->integrity);
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

static int read_pending(Store *s, sqlite3_stmt *st, void *userdata) {
        const PendingTake *t = userdata;
        PendingPublish *ret = t->ret;
        const char *id = t->id;
        int r;

        r = action_from_string((const char *) sqlite3_column_text(st, 1));
        *ret = (PendingPublish) {
                .id = strdup(id),
                .created_at = column_usec(st, 0),
                .action = r < 0 ? ACTION_PUBLISH : (Action) r,
                .package = column_strdup(st, 2),
                .version = column_strdup(st, 3),
                .token_id = column_strdup(st, 4),
                .account_id = sqlite3_column_int64(st, 5),
                .actor = column_strdup(st, 6),
                .remote = column_strdup(st, 7),
                .new_package = sqlite3_column_int(st, 8) != 0,
                .integrity = column_strdup(st, 9),
        };
        /* Finish the DELETE ... RETURNING before the statement is reset. */
        while ((r = sqlite3_step(st)) == SQLITE_ROW)
                ;
        if (r != SQLITE_DONE || !ret->id || !ret->package || !ret->version || !ret->token_id || !ret->actor ||
            !ret->remote || !ret->integrity) {
                pending_publish_done(ret);
                return r != SQLITE_DONE ? (sqlite_to_errno(s, r) ?: -EIO) : -ENOMEM;
        }
        return 0;
}

int store_pending_prune(Store *s, usec_t before) {
        int r = store_exec(s, STMT_PENDING_PRUNE, "u", before);
        return r < 0 ? r : 0;
}

int store_pending_take(Store *s, const char *id, PendingPublish *ret) {
        return store_get_row(s, STMT_PENDING_TAKE, read_pending, &(PendingTake) { id, ret }, "t", id);
}
