/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdio.h>
#include <stdlib.h>

#include "accounts.h"
#include "audit.h"
#include "packages.h"
#include "registry-packages.h"
#include "strv.h"

void package_info_done(PackageInfo *i) {
        for (size_t k = 0; k < i->n_maintainers; k++)
                account_record_done(&i->maintainers[k]);
        free(i->maintainers);
        i->maintainers = NULL;
        i->n_maintainers = 0;
        package_record_done(&i->package);
}

int registry_package_info(Store *s, const char *name, PackageInfo *ret) {
        _cleanup_(package_info_done) PackageInfo i = {};
        size_t n;
        int r;

        r = package_load(s, name, &i.package);
        if (r < 0)
                return r;
        n = strv_length(i.package.maintainers);
        i.maintainers = calloc(MAX(n, 1u), sizeof(AccountRecord));
        if (!i.maintainers)
                return -ENOMEM;
        STRV_FOREACH(m, i.package.maintainers) {
                r = account_load(s, *m, &i.maintainers[i.n_maintainers]);
                if (r < 0)
                        return r;
                i.n_maintainers++;
        }
        *ret = i;
        i = (PackageInfo) {};
        return 0;
}

/* The audit record of a policy change: "policy OLD -> NEW" by actor. */
static int record_policy_change(Store *s, const PackageRecord *p, PackagePolicy policy, const char *actor,
                                usec_t now) {
        _cleanup_free_ char *change = NULL;

        if (asprintf(&change, "policy %s -> %s", package_policy_to_string(p->policy),
                     package_policy_to_string(policy)) < 0)
                return -ENOMEM;
        return audit_record(s, now, AUDIT_PACKAGE_POLICY, p->name, AUDIT_RESULT_OK, actor, NULL, NULL, change);
}

int registry_set_package_policy(Store *s, const char *name, PackagePolicy policy, const char *actor, usec_t now) {
        _cleanup_(package_record_done) PackageRecord p = {};
        _cleanup_transaction_ Transaction tx = {};
        int r = store_begin(s, &tx);

        /* The old policy is read in the transaction that changes it, for the audit. */
        r = r < 0 ? r : package_load(s, name, &p);
        r = r < 0 ? r : package_set_policy(s, name, policy);
        r = r < 0 ? r : record_policy_change(s, &p, policy, actor, now);
        return r < 0 ? r : store_commit(&tx);
}
