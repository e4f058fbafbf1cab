/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Trusted publishing in the store: trusted publishers per package, the jti replay cache
 * (in the database, so that a token used on one host is refused on all of them), and the
 * package option that allows no other publishes. */

#include <errno.h>
#include <stdlib.h>

#include "store-internal.h"

void trusted_publisher_record_done(TrustedPublisherRecord *t) {
        free_many(t->id, t->package, t->issuer, t->claims, t->created_by);
        *t = (TrustedPublisherRecord) {};
}

int store_trusted_insert(Store *s, const TrustedPublisherRecord *t) {
        int r = store_exec(s, STMT_TRUSTED_INSERT, "ttttut", t->id, t->issuer, t->claims, t->created_by,
                           t->created_at, t->package);
        if (r < 0)
                return r;
        return r == 0 ? -ENOENT : 0;
}

int store_trusted_delete(Store *s, const char *id) {
        return store_exec(s, STMT_TRUSTED_DELETE, "t", id);
}

static int visit_trusted(Store *s, const StoreRow *row, void *userdata) {
        const StoreVisit *v = userdata;
        _cleanup_(trusted_publisher_record_done) TrustedPublisherRecord t = {
                .id = row_strdup(row, 0),
                .package = row_strdup(row, 1),
                .issuer = row_strdup(row, 2),
                .claims = row_strdup(row, 3),
                .created_by = row_strdup(row, 4),
                .created_at = row_usec(row, 5),
        };

        if (!t.id || !t.package || !t.issuer || !t.claims || !t.created_by)
                return -ENOMEM;
        return v->cb.trusted(&t, v->userdata);
}

int store_trusted_foreach(Store *s, const char *package, TrustedPublisherCallback cb, void *userdata) {
        StoreVisit v = { .cb.trusted = cb, .userdata = userdata };
        int r = store_foreach_row(s, STMT_TRUSTED_LIST, visit_trusted, &v, "t", package ?: "");
        return r < 0 ? r : 0;
}

int store_jti_use(Store *s, const char *issuer, const char *jti, usec_t expires_at) {
        int r = store_exec(s, STMT_JTI_INSERT, "ttu", issuer, jti, expires_at);
        return r < 0 ? r : 0;
}

int store_jti_prune(Store *s, usec_t before) {
        return store_exec(s, STMT_JTI_PRUNE, "u", before);
}

int store_package_set_trusted_only(Store *s, const char *package, bool on) {
        int r = store_exec(s, STMT_TRUSTED_ONLY_SET, "bt", (int) on, package);
        if (r < 0)
                return r;
        return r == 0 ? -ENOENT : 0;
}
