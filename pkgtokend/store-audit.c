/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The audit log and the status counts. */

#include <errno.h>

#include "store-internal.h"
#include "strv.h"

/* ------------------------------------------------------------------------------------------ */
/* Audit                                                                                      */

int store_audit_append(Store *s, const AuditEvent *e) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_AUDIT_INSERT);
        if (!st)
                return -EIO;
        bind_usec(st, 1, e->time);
        bind_text(st, 2, e->action);
        bind_text(st, 3, e->package);
        bind_text(st, 4, e->result);
        bind_text(st, 5, e->actor);
        bind_text(st, 6, e->token_id);
        bind_text(st, 7, e->remote);
        bind_text(st, 8, e->reason);
        bind_text(st, 9, e->version);
        int r = step_done(s, st);
        return r < 0 ? r : 0;
}

int store_audit_count_repeat(Store *s, const AuditEvent *e, usec_t window_start) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_AUDIT_REPEAT);
        if (!st)
                return -EIO;
        bind_text(st, 1, e->remote);
        bind_usec(st, 2, window_start);
        bind_text(st, 3, e->action);
        bind_text(st, 4, e->result);
        bind_text(st, 5, e->reason);
        bind_text(st, 6, e->actor);
        return step_done(s, st);
}

int store_audit_prune(Store *s, usec_t before, unsigned batch) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_AUDIT_PRUNE);
        if (!st)
                return -EIO;
        bind_usec(st, 1, before);
        sqlite3_bind_int64(st, 2, batch);
        return step_done(s, st);
}

static const char *column_text(sqlite3_stmt *st, int i) {
        const unsigned char *t = sqlite3_column_text(st, i);
        return t ? (const char *) t : "";
}

int store_audit_foreach(Store *s, const char *package, usec_t since, unsigned limit, AuditCallback cb, void *userdata) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_AUDIT_LIST);
        int r;

        if (!st)
                return -EIO;
        bind_text(st, 1, package);
        bind_usec(st, 2, since);
        sqlite3_bind_int64(st, 3, limit);
        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
                AuditEvent e = {
                        .time = column_usec(st, 0),
                        .action = column_text(st, 1),
                        .package = column_text(st, 2),
                        .result = column_text(st, 3),
                        .actor = column_text(st, 4),
                        .token_id = column_text(st, 5),
                        .remote = column_text(st, 6),
                        .reason = column_text(st, 7),
                        .count = (uint64_t) sqlite3_column_int64(st, 8),
                        .version = column_text(st, 9),
                };
                int k = cb(&e, userdata);
                if (k < 0)
                        return k;
        }
        return r == SQLITE_DONE ? 0 : (sqlite_to_errno(s, r) ?: -EIO);
}

int store_counts(Store *s, usec_t now, StoreCounts *ret) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_COUNTS);
        if (!st)
                return -EIO;
        bind_usec(st, 1, now);
        int r = sqlite3_step(st);
        if (r != SQLITE_ROW)
                return sqlite_to_errno(s, r) ?: -EIO;
        *ret = (StoreCounts) {
                .accounts = (uint64_t) sqlite3_column_int64(st, 0),
                .packages = (uint64_t) sqlite3_column_int64(st, 1),
                .tokens = (uint64_t) sqlite3_column_int64(st, 2),
                .active_tokens = (uint64_t) sqlite3_column_int64(st, 3),
        };
        return 0;
}
