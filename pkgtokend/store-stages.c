/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Staged versions (pkgtokend/stages.c decides what happens to them). */

#include <errno.h>
#include <stdlib.h>

#include "store-internal.h"

void stage_record_done(StageRecord *r) {
        free(r->id);
        free(r->package);
        free(r->version);
        free(r->integrity);
        free(r->staged_by);
        free(r->token_id);
        free(r->remote);
        free(r->decided_by);
        free(r->reason);
        *r = (StageRecord) {};
}

void stage_records_free(StageRecord *l, size_t n) {
        for (size_t i = 0; i < n; i++)
                stage_record_done(&l[i]);
        free(l);
}

/* STAGE_COLUMNS (store.c): the texts first, in this order. */
static int read_stage(Store *s, sqlite3_stmt *st, void *userdata) {
        StageRecord *ret = userdata, r = {};
        char **texts[] = { &r.id, &r.package, &r.version, &r.integrity, &r.staged_by, &r.token_id, &r.remote,
                           &r.decided_by, &r.reason };
        size_t n = ELEMENTSOF(texts);
        int state = stage_state_from_string((const char *) sqlite3_column_text(st, n));

        for (size_t i = 0; i < n; i++)
                if (!(*texts[i] = column_strdup(st, i))) {
                        stage_record_done(&r);
                        return -ENOMEM;
                }
        /* The CHECK constraint keeps unknown words out; one that got in decides nothing. */
        r.state = state < 0 ? STAGE_REJECTED : (StageState) state;
        r.staged_at = column_usec(st, n + 1);
        r.expires_at = column_usec(st, n + 2);
        r.decided_at = column_usec(st, n + 3);
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

/* A growing array of the rows read. */
typedef struct StageList {
        StageRecord *l;
        size_t n;
} StageList;

static int collect_stage(Store *s, sqlite3_stmt *st, void *userdata) {
        StageList *c = userdata;
        StageRecord *grown = reallocarray(c->l, c->n + 1, sizeof *c->l);

        if (!grown)
                return -ENOMEM;
        c->l = grown;
        int r = read_stage(s, st, &c->l[c->n]);
        if (r < 0)
                return r;
        c->n++;
        return 0;
}

/* The rows a listing statement gave (r its result) into *ret: all or nothing. */
static int collect_stages(int r, StageList *c, StageRecord **ret, size_t *ret_n) {
        if (r < 0) {
                stage_records_free(c->l, c->n);
                return r;
        }
        *ret = c->l;
        *ret_n = c->n;
        return 0;
}

int store_stage_foreach(Store *s, const char *package, StageCallback cb, void *userdata) {
        StageList c = {};
        StageRecord *l = NULL;
        size_t n = 0;
        int r;

        /* Collected first, so that no statement stays open across the callbacks. */
        r = collect_stages(store_foreach_row(s, STMT_STAGE_LIST, collect_stage, &c, "t", package), &c, &l, &n);
        for (size_t i = 0; i < n && r >= 0; i++)
                r = cb(&l[i], userdata);
        stage_records_free(l, n);
        return r < 0 ? r : 0;
}

int store_stage_list_expired(Store *s, usec_t now, unsigned max, StageRecord **ret, size_t *ret_n) {
        StageList c = {};

        return collect_stages(store_foreach_row(s, STMT_STAGE_LIST_EXPIRED, collect_stage, &c, "ui", now,
                                                (int64_t) max),
                              &c, ret, ret_n);
}
