/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdint.h>
#include <time.h>

#include "time-util.h"

static usec_t now_usec(clockid_t clock) {
        struct timespec ts;

        /* clock_gettime() cannot fail for these clocks on Linux; treat a failure as "the
         * epoch" rather than returning garbage. */
        if (clock_gettime(clock, &ts) < 0)
                return 0;

        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000U;
}

usec_t now_realtime_usec(void) {
        return now_usec(CLOCK_REALTIME);
}

usec_t now_monotonic_usec(void) {
        return now_usec(CLOCK_MONOTONIC);
}

int format_timestamp_utc(usec_t t, char *buf, size_t size) {
        struct tm tm;
        time_t sec;

        if (!buf || size == 0)
                return -EINVAL;

        /* time_t is signed; refuse values that would wrap instead of printing a bogus date. */
        if (t / USEC_PER_SEC > (usec_t) INT64_MAX)
                return -ERANGE;
        sec = (time_t) (t / USEC_PER_SEC);
        if ((usec_t) sec != t / USEC_PER_SEC)
                return -ERANGE;

        if (!gmtime_r(&sec, &tm))
                return -ERANGE;

        /* strftime() returns 0 both for "did not fit" and for an empty result; our format is
         * never empty, so 0 means the buffer is too small. */
        if (strftime(buf, size, "%Y-%m-%d %H:%M UTC", &tm) == 0) {
                buf[0] = 0;
                return -ENOBUFS;
        }

        return 0;
}
