/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Refreshing one issuer's keys file (issuers.h): its JWKS from JwksUri=, or from the jwks_uri
 * of its OpenID discovery document (Discovery=yes), checked as pkgtokend will read it
 * (common/jwt.c's parser: a JWKS with at least one key of an algorithm the issuer allows),
 * and only then written over KeysFile atomically. */

#include "fetch.h"
#include "issuers.h"

/* The discovery document is small; a JWKS at most JWKS_MAX_SIZE (jwt.h). */
#define DISCOVERY_MAX_SIZE (64 * 1024)

typedef enum RefreshResult {
        REFRESH_WRITTEN,
        REFRESH_SKIPPED,          /* no fetch source: an offline issuer, keys placed by hand */
} RefreshResult;

/* REFRESH_WRITTEN or REFRESH_SKIPPED, or a negative errno after logging why, naming the
 * issuer; the keys file is then as it was. */
int issuer_refresh(const Issuer *i, const FetchLimits *limits);
