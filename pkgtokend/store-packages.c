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

static int read_package(sqlite3_stmt *st, PackageRecord *ret) {
        int policy = package_policy_from_string((const char *) sqlite3_column_text(st, 2));
        PackageRecord p = {
                .id = sqlite3_column_int64(st, 0),
                .name = column_strdup(st, 1),
                /* The CHECK constraint keeps unknown words out; fail closed if one got in. */
                .policy = policy < 0 ? POLICY_2FA_ONLY : (PackagePolicy) policy,
                .created_at = column_usec(st, 3),
                .max_token_lifetime = column_usec(st, 4),
        };
        if (!p.name)
                return -ENOMEM;
        *ret = p;
        return 0;
}

static int load_maintainers(Store *s, PackageRecord *p) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_PACKAGE_MAINTAINERS);
        _cleanup_strv_free_ char **l = NULL;
        int r;

        if (!st)
                return -EIO;
        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        sqlite3_bind_int64(st, 1, p->id);
        while ((r = sqlite3_step(st)) == SQLITE_ROW)
                if (strv_extend(&l, (const char *) sqlite3_column_text(st, 0)) < 0)
                        return -ENOMEM;
        if (r != SQLITE_DONE)
                return sqlite_to_errno(s, r) ?: -EIO;
        strv_free(p->maintainers);
        p->maintainers = l;
        l = NULL;
        return 0;
}

int store_package_insert(Store *s, const char *name, PackagePolicy policy, usec_t now, int64_t *ret_id) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_PACKAGE_INSERT);
        if (!st)
                return -EIO;
        bind_text(st, 1, name);
        bind_text(st, 2, package_policy_to_string(policy));
        bind_usec(st, 3, now);
        int r = step_done(s, st);
        if (r < 0)
                return r;
        if (ret_id)
                *ret_id = sqlite3_last_insert_rowid(s->db);
        return 0;
}

int store_package_lookup(Store *s, const char *name, PackageRecord *ret) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_PACKAGE_GET);
        if (!st)
                return -EIO;
        bind_text(st, 1, name);
        int r = step_one_row(s, st);
        if (r < 0)
                return r;
        return read_package(st, ret);
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

/* UPDATE packages SET <one column> = ? WHERE name = ?, the column bound by bind_value. */
static int update_package(Store *s, StatementId id, const char *name, int (*bind_value)(sqlite3_stmt *st, const void *v),
                          const void *value) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, id);
        if (!st)
                return -EIO;
        bind_value(st, value);
        bind_text(st, 2, name);
        int r = step_done(s, st);
        if (r < 0)
                return r;
        return r == 0 ? -ENOENT : 0;
}

static int bind_policy(sqlite3_stmt *st, const void *v) {
        return bind_text(st, 1, package_policy_to_string(*(const PackagePolicy *) v));
}

static int bind_lifetime(sqlite3_stmt *st, const void *v) {
        return bind_usec(st, 1, *(const usec_t *) v);
}

int store_package_set_policy(Store *s, const char *name, PackagePolicy policy) {
        return update_package(s, STMT_PACKAGE_SET_POLICY, name, bind_policy, &policy);
}

int store_package_set_max_token_lifetime(Store *s, const char *name, usec_t lifetime) {
        return update_package(s, STMT_PACKAGE_SET_MAX_LIFETIME, name, bind_lifetime, &lifetime);
}

int store_package_foreach(Store *s, PackageCallback cb, void *userdata) {
        _cleanup_strv_free_ char **names = NULL;
        int r;

        /* Collect the names first: loading maintainers steps another statement, and the list
         * statement must not stay open across callbacks. */
        {
                _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_PACKAGE_LIST);
                if (!st)
                        return -EIO;
                names = calloc(1, sizeof(char *));
                if (!names)
                        return -ENOMEM;
                while ((r = sqlite3_step(st)) == SQLITE_ROW)
                        if (strv_extend(&names, (const char *) sqlite3_column_text(st, 1)) < 0)
                                return -ENOMEM;
                if (r != SQLITE_DONE)
                        return sqlite_to_errno(s, r) ?: -EIO;
        }

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

static int run_pair(Store *s, StatementId id, int64_t a, int64_t b, bool with_time, usec_t now) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, id);
        if (!st)
                return -EIO;
        sqlite3_bind_int64(st, 1, a);
        sqlite3_bind_int64(st, 2, b);
        if (with_time)
                bind_usec(st, 3, now);
        return step_done(s, st);
}

int store_maintainer_add(Store *s, int64_t package_id, int64_t account_id, usec_t now) {
        int r = run_pair(s, STMT_MAINTAINER_ADD, package_id, account_id, true, now);
        return r < 0 ? r : 0;
}

int store_maintainer_remove(Store *s, int64_t package_id, int64_t account_id) {
        int r = run_pair(s, STMT_MAINTAINER_REMOVE, package_id, account_id, false, 0);
        if (r < 0)
                return r;
        return r == 0 ? -ENOENT : 0;
}

int store_maintainer_check(Store *s, int64_t package_id, int64_t account_id) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_MAINTAINER_CHECK);
        if (!st)
                return -EIO;
        sqlite3_bind_int64(st, 1, package_id);
        sqlite3_bind_int64(st, 2, account_id);
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW)
                return 1;
        if (r == SQLITE_DONE)
                return 0;
        return sqlite_to_errno(s, r) ?: -EIO;
}

int store_maintainer_count(Store *s, int64_t package_id) {
        _cleanup_reset_ sqlite3_stmt *st = statement(s, STMT_MAINTAINER_COUNT);
        if (!st)
                return -EIO;
        sqlite3_bind_int64(st, 1, package_id);
        int r = sqlite3_step(st);
        if (r != SQLITE_ROW)
                return sqlite_to_errno(s, r) ?: -EIO;
        return sqlite3_column_int(st, 0);
}
