/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Running the store's prepared statements: the parameters from a short spec, handed to the
 * backend that binds them, steps the statement and hands the rows back.  Every store call
 * goes through here. */

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "store-internal.h"
#include "strv.h"

/* Timestamps are far below INT64_MAX; clamp so a hostile value cannot wrap negative. */
static int64_t usec_to_int64(usec_t v) {
        return v > INT64_MAX ? INT64_MAX : (int64_t) v;
}

/* Fills params from spec; string vectors are joined into owned[n] (freed by the caller). */
static int params_from_spec(const char *spec, va_list ap, StoreParam *params, size_t *ret_n, char **owned) {
        size_t n = 0;

        *ret_n = 0;

        for (; spec && *spec; spec++, n++) {
                StoreParam *p = &params[n];

                if (n >= STORE_PARAMS_MAX)
                        return -E2BIG;
                *p = (StoreParam) { .type = STORE_PARAM_INT64 };
                switch (*spec) {
                case 't':
                case 'T': {
                        const char *v = va_arg(ap, const char *);
                        *p = (StoreParam) { .type = STORE_PARAM_TEXT, .null = !v && *spec == 'T', .text = v ?: "" };
                        break;
                }
                case 'u':
                        p->i = usec_to_int64(va_arg(ap, usec_t));
                        break;
                case 'i':
                        p->i = va_arg(ap, int64_t);
                        break;
                case 'I':
                        p->i = va_arg(ap, int64_t);
                        p->null = p->i <= 0;
                        break;
                case 'b':
                        p->i = va_arg(ap, int) != 0;
                        break;
                case 'B':
                        p->blob = va_arg(ap, const void *);
                        p->size = va_arg(ap, size_t);
                        p->type = STORE_PARAM_BLOB;
                        p->null = !p->blob;
                        break;
                case 'v': {
                        char *joined = strv_join(va_arg(ap, char * const *), '\n');
                        if (!joined)
                                return -ENOMEM;
                        owned[n] = joined;
                        *p = (StoreParam) { .type = STORE_PARAM_TEXT, .text = joined };
                        break;
                }
                default:
                        return -EINVAL;
                }
                *ret_n = n + 1;
        }
        return 0;
}

/* Whether running id may change what a cached read saw: anything but a SELECT, even when it
 * fails, except the last-use times, which store_token_touch() writes into the cache itself. */
static bool statement_changes_reads(const Store *s, StatementId id) {
        return id != STMT_TOKEN_TOUCH && strncmp(store_statement_sql(id, s->backend->dialect), "SELECT", 6) != 0;
}

int store_run(Store *s, StatementId id, StoreRows rows, StoreRowReader row, void *userdata, const char *spec, ...) {
        StoreParam params[STORE_PARAMS_MAX];
        char *owned[STORE_PARAMS_MAX] = {};
        size_t n = 0;
        va_list ap;
        int r;

        va_start(ap, spec);
        r = params_from_spec(spec, ap, params, &n, owned);
        va_end(ap);
        if (r >= 0 && statement_changes_reads(s, id))
                s->generation++;
        if (r >= 0)
                r = s->backend->run(s, id, rows, row, userdata, params, n);
        for (size_t i = 0; i < ELEMENTSOF(owned); i++)
                free(owned[i]);
        return r;
}

static int read_count(Store *s, const StoreRow *row, void *userdata) {
        return (int) row_int64(row, 0);
}

int store_count_row(Store *s, StatementId id, int64_t key) {
        return store_get_row(s, id, read_count, NULL, "i", key);
}
