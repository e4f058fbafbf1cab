/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <string.h>

#include "duration.h"
#include "macro.h"

int parse_duration(const char *s, usec_t *ret) {
        static const struct {
                const char *suffix;
                usec_t factor;
        } units[] = {
                { "",    USEC_PER_SEC },
                { "s",   USEC_PER_SEC },
                { "sec", USEC_PER_SEC },
                { "m",   USEC_PER_MINUTE },
                { "min", USEC_PER_MINUTE },
                { "h",   USEC_PER_HOUR },
                { "d",   USEC_PER_DAY },
        };
        uint64_t v = 0;
        const char *p = s;

        if (!s || *s < '0' || *s > '9')
                return -EINVAL;
        for (; *p >= '0' && *p <= '9'; p++) {
                uint64_t digit = (uint64_t) (*p - '0');

                if (v > (UINT64_MAX - digit) / 10)
                        return -EINVAL;   /* more digits than any duration has */
                v = v * 10 + digit;
        }
        for (size_t i = 0; i < ELEMENTSOF(units); i++)
                if (streq(p, units[i].suffix)) {
                        if (v > UINT64_MAX / units[i].factor / 2)
                                return -ERANGE;
                        *ret = v * units[i].factor;
                        return 0;
                }
        return -EINVAL;
}

int parse_duration_bounded(const char *s, usec_t min, usec_t max, usec_t *ret) {
        usec_t d;
        int r = parse_duration(s, &d);

        if (r < 0)
                return r;
        if (d < min || d > max)
                return -ERANGE;
        *ret = d;
        return 0;
}
