/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "accounts.h"
#include "audit.h"
#include "errors.h"
#include "packages.h"
#include "strv.h"

int package_load(Store *s, const char *name, PackageRecord *ret) {
        return not_found_as(store_package_get(s, name, ret), -ERR_NO_SUCH_PACKAGE);
}

int package_create(Store *s, const char *name, PackagePolicy policy, char * const *maintainers, usec_t now,
                   const char **ret_account) {
        _cleanup_transaction_ Transaction tx = {};
        int64_t package_id;
        int r;

        r = store_begin(s, &tx);
        if (r < 0)
                return r;
        r = store_package_insert(s, name, policy, now, &package_id);
        if (r == -EEXIST)
                return -ERR_PACKAGE_EXISTS;
        if (r < 0)
                return r;
        STRV_FOREACH(a, maintainers) {
                _cleanup_(account_record_done) AccountRecord account = {};

                r = account_load(s, *a, &account);
                if (r < 0) {
                        *ret_account = *a;
                        return r;
                }
                r = store_maintainer_add(s, package_id, account.id, now);
                if (r < 0 && r != -EEXIST)   /* a name given twice is harmless */
                        return r;
        }
        return store_commit(&tx);
}

int package_set_policy(Store *s, const char *name, PackagePolicy policy) {
        return not_found_as(store_package_set_policy(s, name, policy), -ERR_NO_SUCH_PACKAGE);
}

int package_set_options(Store *s, const PackageRecord *old, const PackageOptions *o, const char *actor, usec_t now) {
        _cleanup_transaction_ Transaction tx = {};
        const char *name = old->name;
        int r;

        r = store_begin(s, &tx);
        if (r < 0)
                return r;
        r = store_package_set_requires_approval(s, name, o->requires_approval);
        if (r >= 0)
                r = store_package_set_max_token_lifetime(s, name, o->max_token_lifetime);
        if (r >= 0)
                r = store_package_set_trusted_only(s, name, o->trusted_publishing_only);
        if (r < 0)
                return not_found_as(r, -ERR_NO_SUCH_PACKAGE);
        if (o->trusted_publishing_only != old->trusted_publishing_only) {
                r = audit_record(s, now, AUDIT_TRUSTED_ONLY, name, AUDIT_RESULT_OK, actor, NULL, NULL,
                                 o->trusted_publishing_only ? "on" : "off");
                if (r < 0)
                        return r;
        }
        return store_commit(&tx);
}

int maintainer_change_as(Store *s, const char *package, const char *account, bool add, const char *actor,
                         usec_t now) {
        _cleanup_(package_record_done) PackageRecord p = {};
        _cleanup_(account_record_done) AccountRecord a = {};
        _cleanup_transaction_ Transaction tx = {};
        int r;

        r = store_begin(s, &tx);
        if (r < 0)
                return r;
        r = package_load(s, package, &p);
        if (r < 0)
                return r;
        r = account_load(s, account, &a);
        if (r < 0)
                return r;

        if (add) {
                r = store_maintainer_add(s, p.id, a.id, now);
                if (r == -EEXIST)
                        return -ERR_ALREADY_MAINTAINER;
        } else {
                /* As on npm, a package keeps at least one maintainer; an admin removes the
                 * account instead when its owner leaves. */
                if (strv_length(p.maintainers) == 1 && strv_contains(p.maintainers, a.name))
                        return -ERR_LAST_MAINTAINER;
                r = store_maintainer_remove(s, p.id, a.id);
                if (r == -ENOENT)
                        return -ERR_NOT_MAINTAINER;
        }
        if (r >= 0 && actor)
                r = audit_record(s, now, add ? AUDIT_MAINTAINER_ADD : AUDIT_MAINTAINER_REMOVE, p.name,
                                 AUDIT_RESULT_OK, actor, NULL, NULL, a.name);
        if (r < 0)
                return r;
        return store_commit(&tx);
}

int maintainer_add(Store *s, const char *package, const char *account, usec_t now) {
        return maintainer_change_as(s, package, account, true, NULL, now);
}

int maintainer_remove(Store *s, const char *package, const char *account) {
        return maintainer_change_as(s, package, account, false, NULL, 0);
}
