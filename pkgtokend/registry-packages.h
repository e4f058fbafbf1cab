/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The registry API's package methods (issue 9): what a registry shows of a package (npm owner
 * ls, npm access list collaborators) and a maintainer's change of its publishing policy (npm
 * access set mfa=...).  Who may do either is checked on the bus side (bus-registry-packages.c);
 * these do it. */

#include "store.h"

/* The package and its maintainers' account records (names and e-mail addresses, in the
 * package's order).  ERR_NO_SUCH_PACKAGE. */
typedef struct PackageInfo {
        PackageRecord package;
        AccountRecord *maintainers;
        size_t n_maintainers;
} PackageInfo;
void package_info_done(PackageInfo *i);
int registry_package_info(Store *s, const char *name, PackageInfo *ret);

/* SetOwnPackagePolicy, in one transaction: the new policy and the audit record "policy OLD ->
 * NEW" naming actor.  ERR_NO_SUCH_PACKAGE. */
int registry_set_package_policy(Store *s, const char *name, PackagePolicy policy, const char *actor, usec_t now);
