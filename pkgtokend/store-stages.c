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

/* STAGE_COLUMNS (store.c): the texts first, in this order. */
static int read_stage(sqlite3_stmt *st, StageRecord *ret) {
        StageRecord r = {};
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
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_STAGE_INSERT);
        const char *texts[] = { r->id, r->package, r->version, r->integrity, r->staged_by, r->token_id, r->remote };

        if (!st)
                return -EIO;
        for (size_t i = 0; i < ELEMENTSOF(texts); i++)
                bind_text(st, i + 1, texts[i]);
        bind_usec(st, ELEMENTSOF(texts) + 1, r->staged_at);
        bind_usec(st, ELEMENTSOF(texts) + 2, r->expires_at);
        int k = step_done(s, st);
        return k < 0 ? k : 0;
}

int store_stage_get(Store *s, const char *id, StageRecord *ret) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_STAGE_GET);
        if (!st)
                return -EIO;
        bind_text(st, 1, id);
        int r = step_one_row(s, st);
        if (r < 0)
                return r;
        return read_stage(st, ret);
}

int store_stage_set_state(Store *s, const char *id, StageState from, StageState to, const char *decided_by,
                          usec_t decided_at, const char *reason) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_STAGE_SET_STATE);
        if (!st)
                return -EIO;
        bind_text(st, 1, id);
        bind_text(st, 2, stage_state_to_string(from));
        bind_text(st, 3, stage_state_to_string(to));
        bind_text(st, 4, decided_by);
        bind_usec(st, 5, decided_at);
        bind_text(st, 6, reason);
        return step_done(s, st);
}

/* Reads every row of a stepped statement into a new array. */
static int collect_stages(Store *s, sqlite3_stmt *st, StageRecord **ret, size_t *ret_n) {
        StageRecord *l = NULL;
        size_t n = 0;
        int r;

        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
                StageRecord *grown = reallocarray(l, n + 1, sizeof *l);
                if (!grown) {
                        r = -ENOMEM;
                        break;
                }
                l = grown;
                r = read_stage(st, &l[n]);
                if (r < 0)
                        break;
                n++;
        }
        if (r == SQLITE_DONE) {
                *ret = l;
                *ret_n = n;
                return 0;
        }
        for (size_t i = 0; i < n; i++)
                stage_record_done(&l[i]);
        free(l);
        return r < 0 ? r : (sqlite_to_errno(s, r) ?: -EIO);
}

void stage_records_free(StageRecord *l, size_t n) {
        for (size_t i = 0; i < n; i++)
                stage_record_done(&l[i]);
        free(l);
}

int store_stage_foreach(Store *s, const char *package, StageCallback cb, void *userdata) {
        StageRecord *l = NULL;
        size_t n = 0;
        int r;

        /* Collected first, so that no statement stays open across the callbacks. */
        {
                _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_STAGE_LIST);
                if (!st)
                        return -EIO;
                bind_text(st, 1, package);
                r = collect_stages(s, st, &l, &n);
                if (r < 0)
                        return r;
        }
        r = 0;
        for (size_t i = 0; i < n && r >= 0; i++)
                r = cb(&l[i], userdata);
        stage_records_free(l, n);
        return r < 0 ? r : 0;
}

int store_stage_list_expired(Store *s, usec_t now, unsigned max, StageRecord **ret, size_t *ret_n) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_STAGE_LIST_EXPIRED);
        if (!st)
                return -EIO;
        bind_usec(st, 1, now);
        sqlite3_bind_int64(st, 2, max);
        return collect_stages(s, st, ret, ret_n);
}
