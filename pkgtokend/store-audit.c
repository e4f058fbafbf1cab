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

static int visit_audit_event(Store *s, const StoreRow *row, void *userdata) {
        const StoreVisit *v = userdata;
        AuditEvent e = {
                .time = row_usec(row, 0),
                .action = row_text(row, 1),
                .package = row_text(row, 2),
                .result = row_text(row, 3),
                .actor = row_text(row, 4),
                .token_id = row_text(row, 5),
                .remote = row_text(row, 6),
                .reason = row_text(row, 7),
                .count = (uint64_t) row_int64(row, 8),
                .version = row_text(row, 9),
                .provenance = row_text(row, 10),
        };
        return MIN(v->cb.audit(&e, v->userdata), 0);
}

int store_audit_foreach(Store *s, const char *package, usec_t since, unsigned limit, AuditCallback cb, void *userdata) {
        return store_foreach_row(s, STMT_AUDIT_LIST, visit_audit_event,
                                 &(StoreVisit) { .cb.audit = cb, .userdata = userdata }, "tui", package, since,
                                 (int64_t) limit);
}

static int read_counts(Store *s, const StoreRow *row, void *ret) {
        *(StoreCounts *) ret = (StoreCounts) {
                .accounts = (uint64_t) row_int64(row, 0),
                .packages = (uint64_t) row_int64(row, 1),
                .tokens = (uint64_t) row_int64(row, 2),
                .active_tokens = (uint64_t) row_int64(row, 3),
        };
        return 0;
}

int store_counts(Store *s, usec_t now, StoreCounts *ret) {
        /* count(*) always answers a row. */
        return store_get_row(s, STMT_COUNTS, read_counts, ret, "u", now);
}
