/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* How long a new token lives (issue 10): a default when the creator names no expiry and a
 * maximum, separately for write tokens (publish, automation) and read-only ones, from
 * pkgtokend.conf (0 = none: long-lived CI tokens, revocation as the control); a package may
 * demand a shorter maximum for the tokens whose scope covers it (an unscoped account
 * token covers the packages its account maintains).  Session tokens live
 * SessionLifetimeSec= and are not made to order. */

#include "model.h"
#include "time-util.h"

/* The longest lifetime a setting or a package may name: ten years. */
#define TOKEN_LIFETIME_MAX_SEC (3660UL * 86400)

typedef struct LifetimeLimits {
        usec_t default_write;   /* DefaultWriteTokenLifetimeSec=, 0 none */
        usec_t max_write;       /* MaxWriteTokenLifetimeSec=, 0 none */
        usec_t default_read;    /* DefaultReadTokenLifetimeSec= */
        usec_t max_read;        /* MaxReadTokenLifetimeSec= */
} LifetimeLimits;

typedef struct LifetimeAnswer {
        usec_t expires_at;      /* 0: never */
        usec_t max;             /* the binding maximum, 0 none */
        const char *max_from;   /* static: where that maximum comes from (a setting's name, "the package") */
} LifetimeAnswer;

/* The expiry of a token of type created now.  requested 0 asks for the default (capped at
 * the maximum: a token with no expiry asked for gets the longest allowed, never a refusal);
 * a requested expiry beyond now + the maximum is -ERANGE (ret->max and max_from say which).
 * package_max: the shortest maximum a package in the token's scope demands, 0 none. */
int token_lifetime_resolve(const LifetimeLimits *l, TokenType type, usec_t package_max, usec_t requested, usec_t now,
                           LifetimeAnswer *ret);
