/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>

#include "lifetime.h"

int token_lifetime_resolve(const LifetimeLimits *l, TokenType type, usec_t package_max, usec_t requested, usec_t now,
                           LifetimeAnswer *ret) {
        bool read_only = type == TOKEN_READ_ONLY;
        usec_t lifetime = read_only ? l->default_read : l->default_write;

        *ret = (LifetimeAnswer) {
                .max = read_only ? l->max_read : l->max_write,
                .max_from = read_only ? "MaxReadTokenLifetimeSec=" : "MaxWriteTokenLifetimeSec=",
        };
        /* The stricter of the two rules binds. */
        if (package_max != 0 && (ret->max == 0 || package_max < ret->max)) {
                ret->max = package_max;
                ret->max_from = "a package in the token's scope";
        }

        /* (An expiry in the past is the caller's to refuse: it is no lifetime at all.) */
        if (requested != 0) {
                if (ret->max != 0 && requested > now && requested - now > ret->max)
                        return -ERANGE;
                ret->expires_at = requested;
                return 0;
        }
        if (ret->max != 0 && (lifetime == 0 || lifetime > ret->max))
                lifetime = ret->max;
        ret->expires_at = lifetime == 0 ? 0 : now + lifetime;
        return 0;
}
