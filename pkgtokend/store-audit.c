/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The audit log and the status counts. */

#include <errno.h>

#include "store-internal.h"
#include "strv.h"

/* ------------------------------------------------------------------------------------------ */
/* Audit                                                                                      */

int store_audit_append(Store *s, const AuditEvent *e) {
        int r = store_exec(s, STMT_AUDIT_INSERT, "uttttttttt", e->time, e->action, e->package, e->result, e->actor,
                           e->token_id, e->remote, e->reason, e->version, e->provenance);
        return r < 0 ? r : 0;
}

int store_audit_count_repeat(Store *s, const AuditEvent *e, usec_t window_start) {
        return store_exec(s, STMT_AUDIT_REPEAT, "tutttt", e->remote, window_start, e->action, e->result, e->reason,
                          e->actor);
}

int store_audit_prune(Store *s, usec_t before, unsigned batch) {
        return store_exec(s, STMT_AUDIT_PRUNE, "ui", before, (int64_t) batch);
}

static const char *column_text(sqlite3_stmt *st, int i) {
        const unsigned char *t = sqlite3_column_text(st, i);
        return t ? (const char *) t : "";
}

static int visit_audit_event(Store *s, sqlite3_stmt *st, void *userdata) {
        const StoreVisit *v = userdata;
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
                .provenance = column_text(st, 10),
        };
        return MIN(v->cb.audit(&e, v->userdata), 0);
}

int store_audit_foreach(Store *s, const char *package, usec_t since, unsigned limit, AuditCallback cb, void *userdata) {
        return store_foreach_row(s, STMT_AUDIT_LIST, visit_audit_event,
                                 &(StoreVisit) { .cb.audit = cb, .userdata = userdata }, "tui", package, since,
                                 (int64_t) limit);
}

static int read_counts(Store *s, sqlite3_stmt *st, void *ret) {
        *(StoreCounts *) ret = (StoreCounts) {
                .accounts = (uint64_t) sqlite3_column_int64(st, 0),
                .packages = (uint64_t) sqlite3_column_int64(st, 1),
                .tokens = (uint64_t) sqlite3_column_int64(st, 2),
                .active_tokens = (uint64_t) sqlite3_column_int64(st, 3),
        };
        return 0;
}

int store_counts(Store *s, usec_t now, StoreCounts *ret) {
        /* count(*) always answers a row. */
        return store_get_row(s, STMT_COUNTS, read_counts, ret, "u", now);
}
