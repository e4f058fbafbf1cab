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
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_PENDING_INSERT);
        if (!st)
                return -EIO;
        bind_text(st, 1, p->id);
        bind_usec(st, 2, p->created_at);
        bind_text(st, 3, action_to_string(p->action));
        bind_text(st, 4, p->package);
        bind_text(st, 5, p->version);
        bind_text(st, 6, p->token_id);
        if (p->account_id > 0)
                sqlite3_bind_int64(st, 7, p->account_id);
        else
                sqlite3_bind_null(st, 7);
        bind_text(st, 8, p->actor);
        bind_text(st, 9, p->remote);
        sqlite3_bind_int(st, 10, p->new_package);
        bind_text(st, 11, p->integrity);
        int r = step_done(s, st);
        return r < 0 ? r : 0;
}

int store_pending_take(Store *s, const char *id, PendingPublish *ret) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_PENDING_TAKE);
        int r;

        if (!st)
                return -EIO;
        bind_text(st, 1, id);
        r = step_one_row(s, st);
        if (r < 0)
                return r;
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
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_PENDING_PRUNE);
        if (!st)
                return -EIO;
        bind_usec(st, 1, before);
        int r = step_done(s, st);
        return r < 0 ? r : 0;
}
