/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Packages and their maintainers. */

#include <errno.h>

#include "store-internal.h"
#include "strv.h"

/* ------------------------------------------------------------------------------------------ */
/* Packages and maintainers                                                                   */

void package_record_done(PackageRecord *p) {
        free(p->name);
        strv_free(p->maintainers);
        *p = (PackageRecord) {};
}

static int read_package(const StoreRow *row, PackageRecord *ret) {
        int policy = package_policy_from_string(row_text(row, 2));
        PackageRecord p = {
                .id = row_int64(row, 0),
                .name = row_strdup(row, 1),
                /* The CHECK constraint keeps unknown words out; fail closed if one got in. */
                .policy = policy < 0 ? POLICY_2FA_ONLY : (PackagePolicy) policy,
                .created_at = row_usec(row, 3),
                .requires_approval = row_bool(row, 4),
                .max_token_lifetime = row_usec(row, 5),
                .trusted_publishing_only = row_bool(row, 6),
        };
        if (!p.name)
                return -ENOMEM;
        *ret = p;
        return 0;
}

/* Collects the text of one column of each row into a string vector. */
typedef struct ColumnStrv {
        int column;
        char **l;
} ColumnStrv;

static int collect_column(Store *s, const StoreRow *row, void *userdata) {
        ColumnStrv *c = userdata;
        return strv_extend(&c->l, row_text(row, c->column)) < 0 ? -ENOMEM : 0;
}

static int load_maintainers(Store *s, PackageRecord *p) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        int r;

        if (!l)
                return -ENOMEM;
        ColumnStrv c = { .column = 0, .l = l };
        r = store_foreach_row(s, STMT_PACKAGE_MAINTAINERS, collect_column, &c, "i", p->id);
        l = c.l;
        if (r < 0)
                return r;
        strv_free(p->maintainers);
        p->maintainers = l;
        l = NULL;
        return 0;
}

static int read_id(Store *s, const StoreRow *row, void *ret) {
        *(int64_t *) ret = row_int64(row, 0);
        return 0;
}

int store_package_insert(Store *s, const char *name, PackagePolicy policy, usec_t now, int64_t *ret_id) {
        int64_t id;
        int r = store_get_row(s, STMT_PACKAGE_INSERT, read_id, &id, "ttu", name, package_policy_to_string(policy), now);
        if (r < 0)
                return r;
        if (ret_id)
                *ret_id = id;
        return 0;
}

static int package_row(Store *s, const StoreRow *row, void *ret) {
        return read_package(row, ret);
}

int store_package_lookup(Store *s, const char *name, PackageRecord *ret) {
        return store_get_row(s, STMT_PACKAGE_GET, package_row, ret, "t", name);
}

int store_package_get(Store *s, const char *name, PackageRecord *ret) {
        PackageRecord p;
        int r = store_package_lookup(s, name, &p);
        if (r < 0)
                return r;
        r = load_maintainers(s, &p);
        if (r < 0) {
                package_record_done(&p);
                return r;
        }
        *ret = p;
        return 0;
}

/* An UPDATE of one package: -ENOENT when there is no such package. */
static int updated_one(int r) {
        return r < 0 ? r : r == 0 ? -ENOENT : 0;
}

int store_package_set_policy(Store *s, const char *name, PackagePolicy policy) {
        return updated_one(store_exec(s, STMT_PACKAGE_SET_POLICY, "tt", package_policy_to_string(policy), name));
}

int store_package_set_requires_approval(Store *s, const char *name, bool on) {
        return updated_one(store_exec(s, STMT_PACKAGE_SET_APPROVAL, "bt", (int) on, name));
}

int store_package_set_max_token_lifetime(Store *s, const char *name, usec_t lifetime) {
        return updated_one(store_exec(s, STMT_PACKAGE_SET_MAX_LIFETIME, "ut", lifetime, name));
}

int store_package_foreach(Store *s, PackageCallback cb, void *userdata) {
        _cleanup_strv_free_ char **names = NULL;
        int r;

        /* Collect the names first: loading maintainers steps another statement, and the list
         * statement must not stay open across callbacks. */
        names = calloc(1, sizeof(char *));
        if (!names)
                return -ENOMEM;
        ColumnStrv c = { .column = 1, .l = names };
        r = store_foreach_row(s, STMT_PACKAGE_LIST, collect_column, &c, "");
        names = c.l;
        if (r < 0)
                return r;

        STRV_FOREACH(n, names) {
                PackageRecord p;
                r = store_package_get(s, *n, &p);
                if (r < 0)
                        return r;
                r = cb(&p, userdata);
                package_record_done(&p);
                if (r < 0)
                        return r;
        }
        return 0;
}

int store_maintainer_add(Store *s, int64_t package_id, int64_t account_id, usec_t now) {
        int r = store_exec(s, STMT_MAINTAINER_ADD, "iiu", package_id, account_id, now);
        return r < 0 ? r : 0;
}

int store_maintainer_remove(Store *s, int64_t package_id, int64_t account_id) {
        int r = store_exec(s, STMT_MAINTAINER_REMOVE, "ii", package_id, account_id);
        return r < 0 ? r : r == 0 ? -ENOENT : 0;
}

static int row_found(Store *s, const StoreRow *row, void *userdata) {
        return 1;
}

int store_maintainer_check(Store *s, int64_t package_id, int64_t account_id) {
        int r = store_get_row(s, STMT_MAINTAINER_CHECK, row_found, NULL, "ii", package_id, account_id);
        return r == -ENOENT ? 0 : r;
}

int store_maintainer_count(Store *s, int64_t package_id) {
        return store_count_row(s, STMT_MAINTAINER_COUNT, package_id);
}
