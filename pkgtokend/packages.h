/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Packages and their maintainers.  Names are canonical (the bus adapter canonicalises what
 * callers give).  Errors are negative errnos, ERR_* of errors.h for those clients see. */

#include "model.h"
#include "store.h"

/* ERR_NO_SUCH_PACKAGE. */
int package_load(Store *s, const char *name, PackageRecord *ret);

/* In one transaction: the package and its maintainers.  ERR_PACKAGE_EXISTS; for a maintainer
 * that is malformed (ERR_INVALID_ARGUMENT) or unknown (ERR_NO_SUCH_ACCOUNT), *ret_account
 * names it. */
int package_create(Store *s, const char *name, PackagePolicy policy, char * const *maintainers, usec_t now,
                   const char **ret_account);
int package_set_policy(Store *s, const char *name, PackagePolicy policy);
/* The options besides the policy, set together in one transaction: whether versions come
 * through approved stages only (stages.h), the longest lifetime of new tokens that can publish
 * it (0 none), and whether only trusted-publishing tokens may publish it
 * (trusted-publishers.h). */
typedef struct PackageOptions {
        bool requires_approval;
        uint64_t max_token_lifetime;
        bool trusted_publishing_only;
} PackageOptions;
/* old: the package as it is (its name, and what changes).  A change of trusted_publishing_only
 * is audited (AUDIT_TRUSTED_ONLY, by actor): it decides which publishes are possible at all. */
int package_set_options(Store *s, const PackageRecord *old, const PackageOptions *o, const char *actor, usec_t now);

/* ERR_NO_SUCH_PACKAGE, ERR_INVALID_ARGUMENT or ERR_NO_SUCH_ACCOUNT for the account,
 * ERR_ALREADY_MAINTAINER, ERR_NOT_MAINTAINER, ERR_LAST_MAINTAINER. */
int maintainer_add(Store *s, const char *package, const char *account, usec_t now);
int maintainer_remove(Store *s, const char *package, const char *account);
/* Either, audited as actor (NULL: not audited, as the admin methods). */
int maintainer_change_as(Store *s, const char *package, const char *account, bool add, const char *actor,
                         usec_t now);
