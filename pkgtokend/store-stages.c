/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Staged versions (pkgtokend/stages.c decides what happens to them). */

#include <errno.h>
#include <stdlib.h>

#include "store-internal.h"

void stage_record_done(StageRecord *r) {
        free_many(r->id, r->package, r->version, r->integrity, r->staged_by, r->token_id, r->remote,
                  r->decided_by, r->reason);
        *r = (StageRecord) {};
}

/* STAGE_COLUMNS (store.c): the texts first, in this order. */
static int read_stage(Store *s, const StoreRow *row, void *userdata) {
        StageRecord *ret = userdata, r = {};
        char **texts[] = { &r.id, &r.package, &r.version, &r.integrity, &r.staged_by, &r.token_id, &r.remote,
                           &r.decided_by, &r.reason };
        size_t n = ELEMENTSOF(texts);
        int state = stage_state_from_string(row_text(row, n));

        for (size_t i = 0; i < n; i++)
                if (!(*texts[i] = row_strdup(row, i))) {
                        stage_record_done(&r);
                        return -ENOMEM;
                }
        /* The CHECK constraint keeps unknown words out; one that got in decides nothing. */
        r.state = state < 0 ? STAGE_REJECTED : (StageState) state;
        r.staged_at = row_usec(row, n + 1);
        r.expires_at = row_usec(row, n + 2);
        r.decided_at = row_usec(row, n + 3);
        *ret = r;
        return 0;
}

int store_stage_insert(Store *s, const StageRecord *r) {
        int k = store_exec(s, STMT_STAGE_INSERT, "tttttttuu", r->id, r->package, r->version, r->integrity,
                           r->staged_by, r->token_id, r->remote, r->staged_at, r->expires_at);
        return k < 0 ? k : 0;
}

int store_stage_get(Store *s, const char *id, StageRecord *ret) {
        return store_get_row(s, STMT_STAGE_GET, read_stage, ret, "t", id);
}

int store_stage_set_state(Store *s, const char *id, StageState from, StageState to, const char *decided_by,
                          usec_t decided_at, const char *reason) {
        return store_exec(s, STMT_STAGE_SET_STATE, "ttttut", id, stage_state_to_string(from), stage_state_to_string(to),
                          decided_by, decided_at, reason);
}

static int visit_stage(Store *s, const StoreRow *row, void *userdata) {
        const StoreVisit *v = userdata;
        _cleanup_(stage_record_done) StageRecord r = {};
        int k = read_stage(s, row, &r);
        return k < 0 ? k : MIN(v->cb.stage(&r, v->userdata), 0);
}

int store_stage_foreach(Store *s, const char *package, StageCallback cb, void *userdata) {
        return store_foreach_row(s, STMT_STAGE_LIST, visit_stage, &(StoreVisit) { .cb.stage = cb, .userdata = userdata },
                                 "t", package);
}

int store_stage_next_expired(Store *s, usec_t now, StageRecord *ret) {
        return store_get_row(s, STMT_STAGE_NEXT_EXPIRED, read_stage, ret, "u", now);
}
