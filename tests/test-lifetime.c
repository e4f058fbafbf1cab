/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Token lifetimes (common/lifetime.c, issue 10): defaults and maxima per token kind, and a
 * package's shorter maximum, as one table. */

#include <errno.h>

#include "lifetime.h"
#include "macro.h"
#include "tap.h"

#define NOW  (1800000000ULL * USEC_PER_SEC)
#define DAY  (86400ULL * USEC_PER_SEC)

static const LifetimeLimits none = {};
static const LifetimeLimits npm = { .default_write = 7 * DAY, .max_write = 90 * DAY };
static const LifetimeLimits reads = { .default_read = 30 * DAY, .max_read = 365 * DAY };
static const LifetimeLimits odd = { .default_write = 100 * DAY, .max_write = 90 * DAY };

static const struct {
        const char *name;
        const LifetimeLimits *limits;
        TokenType type;
        usec_t package_max;
        usec_t requested;     /* 0: none asked */
        int r;
        usec_t expires_at;
        const char *max_from;
} cases[] = {
        { "defaults: a write token lives for ever", &none, TOKEN_AUTOMATION, 0, 0, 0, 0, NULL },
        { "defaults: any expiry asked for is kept", &none, TOKEN_PUBLISH, 0, NOW + 5000 * DAY, 0, NOW + 5000 * DAY, NULL },
        { "npm: no expiry asked -> 7 days", &npm, TOKEN_AUTOMATION, 0, 0, 0, NOW + 7 * DAY, NULL },
        { "npm: 90 days exactly", &npm, TOKEN_PUBLISH, 0, NOW + 90 * DAY, 0, NOW + 90 * DAY, NULL },
        { "npm: 91 days refused", &npm, TOKEN_PUBLISH, 0, NOW + 91 * DAY, -ERANGE, 0, "MaxWriteTokenLifetimeSec=" },
        { "npm limits are for write tokens: read-only lives for ever", &npm, TOKEN_READ_ONLY, 0, 0, 0, 0, NULL },
        { "read limits: default 30 days", &reads, TOKEN_READ_ONLY, 0, 0, 0, NOW + 30 * DAY, NULL },
        { "read limits: 366 days refused", &reads, TOKEN_READ_ONLY, 0, NOW + 366 * DAY, -ERANGE, 0,
          "MaxReadTokenLifetimeSec=" },
        { "read limits leave write tokens alone", &reads, TOKEN_AUTOMATION, 0, 0, 0, 0, NULL },
        { "a default beyond the max is capped", &odd, TOKEN_AUTOMATION, 0, 0, 0, NOW + 90 * DAY, NULL },
        { "package max, no setting: no expiry asked -> the package's max", &none, TOKEN_AUTOMATION, 1 * DAY, 0, 0,
          NOW + 1 * DAY, NULL },
        { "package max shorter than the setting binds", &npm, TOKEN_AUTOMATION, 3 * DAY, NOW + 4 * DAY, -ERANGE, 0,
          "a package in the token's scope" },
        { "package max longer than the setting: the setting binds", &npm, TOKEN_AUTOMATION, 100 * DAY,
          NOW + 91 * DAY, -ERANGE, 0, "MaxWriteTokenLifetimeSec=" },
        { "package max: the default still applies when shorter", &npm, TOKEN_PUBLISH, 30 * DAY, 0, 0, NOW + 7 * DAY,
          NULL },
        { "package max applies to read-only tokens too", &none, TOKEN_READ_ONLY, 2 * DAY, NOW + 3 * DAY, -ERANGE, 0,
          "a package in the token's scope" },
};

int main(void) {
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                LifetimeAnswer a;
                int r = token_lifetime_resolve(cases[i].limits, cases[i].type, cases[i].package_max, cases[i].requested,
                                               NOW, &a);
                bool ok = r == cases[i].r && (r < 0 || a.expires_at == cases[i].expires_at) &&
                          (!cases[i].max_from || streq_ptr(a.max_from, cases[i].max_from));

                CHECK(ok, "%s", cases[i].name);
                if (!ok)
                        tap_diag("  got r=%d expires_at=%llu max_from=%s", r, (unsigned long long) a.expires_at,
                                 a.max_from ?: "(null)");
        }
        return tap_finish();
}
