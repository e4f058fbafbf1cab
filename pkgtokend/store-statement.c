/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Running the store's prepared statements: bind the parameters from a short spec, step, read
 * the rows.  Every store call goes through here, so the statement is always reset when the
 * call returns and no read transaction is left open. */

#include <errno.h>
#include <stdarg.h>

#include "store-internal.h"
#include "strv.h"

static int bind_strv(sqlite3_stmt *st, int i, char * const *l) {
        char *joined = strv_join(l, '\n');
        if (!joined)
                return -ENOMEM;
        sqlite3_bind_text(st, i, joined, -1, free);
        return 0;
}

/* SQLite's own errors come at the step (a refused statement binds nothing); only our
 * allocations fail here. */
static int bind_spec(sqlite3_stmt *st, const char *spec, va_list ap) {
        for (int i = 1; spec && *spec; spec++, i++)
                switch (*spec) {
                case 't':
                        bind_text(st, i, va_arg(ap, const char *));
                        break;
                case 'T': {
                        const char *v = va_arg(ap, const char *);
                        (void) (v ? bind_text(st, i, v) : sqlite3_bind_null(st, i));
                        break;
                }
                case 'u':
                        bind_usec(st, i, va_arg(ap, usec_t));
                        break;
                case 'i':
                        sqlite3_bind_int64(st, i, va_arg(ap, int64_t));
                        break;
                case 'I': {
                        int64_t v = va_arg(ap, int64_t);
                        (void) (v > 0 ? sqlite3_bind_int64(st, i, v) : sqlite3_bind_null(st, i));
                        break;
                }
                case 'b':
                        sqlite3_bind_int(st, i, va_arg(ap, int));
                        break;
                case 'B': {
                        const void *p = va_arg(ap, const void *);
                        size_t n = va_arg(ap, size_t);
                        (void) (p ? sqlite3_bind_blob(st, i, p, (int) n, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i));
                        break;
                }
                case 'v':
                        if (bind_strv(st, i, va_arg(ap, char * const *)) < 0)
                                return -ENOMEM;
                        break;
                default:
                        return -EINVAL;
                }
        return 0;
}

int store_step_rows(Store *s, sqlite3_stmt *st, StoreRowReader row, void *userdata) {
        int r;

        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
                int k = row(s, st, userdata);
                if (k != 0)
                        return k;
        }
        return r == SQLITE_DONE ? 0 : (sqlite_to_errno(s, r) ?: -EIO);
}

int store_run(Store *s, StatementId id, StoreRows rows, StoreRowReader row, void *userdata, const char *spec, ...) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, id);
        va_list ap;
        int r;

        if (!st)
                return -EIO;
        va_start(ap, spec);
        r = bind_spec(st, spec, ap);
        va_end(ap);
        if (r < 0)
                return r;

        switch (rows) {
        case STORE_NO_ROWS:
                return step_done(s, st);
        case STORE_ONE_ROW:
                r = step_one_row(s, st);
                return r < 0 ? r : row(s, st, userdata);
        default:
                return store_step_rows(s, st, row, userdata);
        }
}

static int read_count(Store *s, sqlite3_stmt *st, void *userdata) {
        return sqlite3_column_int(st, 0);
}

int store_count_row(Store *s, StatementId id, int64_t key) {
        return store_get_row(s, id, read_count, NULL, "i", key);
}
