/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "expiry.h"

typedef struct Due {
        ExpiringToken *list;
        size_t n;
} Due;

void expiring_tokens_free(ExpiringToken *l, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(l[i].id);
                free(l[i].account);
        }
        free(l);
}

static int collect_cb(const TokenRecord *t, void *userdata) {
        Due *d = userdata;
        ExpiringToken *e;

        e = reallocarray(d->list, d->n + 1, sizeof *d->list);
        if (!e)
                return -ENOMEM;
        d->list = e;
        e = &d->list[d->n];
        *e = (ExpiringToken) { .id = strdup(t->id), .account = strdup(t->account ?: ""), .expires_at = t->expires_at };
        d->n++;   /* counted even when a strdup failed, so that it is freed */
        return e->id && e->account ? 0 : -ENOMEM;
}

int expiry_take_due(Store *s, usec_t now, usec_t window, ExpiringToken **ret, size_t *ret_n) {
        _cleanup_transaction_ Transaction tx = {};
        Due d = {};
        int r;

        r = store_begin(s, &tx);
        /* Collected first: marking while the SELECT is open would change what it walks. */
        if (r >= 0)
                r = store_token_foreach_expiring(s, now, now + window, EXPIRY_WARN_BATCH, collect_cb, &d);
        for (size_t i = 0; r >= 0 && i < d.n; i++)
                r = store_token_mark_warned(s, d.list[i].id, now);
        if (r >= 0)
                r = store_commit(&tx);
        if (r < 0) {
                expiring_tokens_free(d.list, d.n);
                return r;
        }
        *ret = d.list;
        *ret_n = d.n;
        return 0;
}
