/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <string.h>
#include <time.h>

#include "ctl-time.h"
#include "duration.h"
#include "log.h"
#include "macro.h"

/* A duration in the grammar of duration.h, with a unit (a bare "2026" is more likely half a
 * date than 34 minutes) and within the bounds: 0, -EINVAL (not one, or under a minute, as
 * "0d" and "30s" are) or -ERANGE (too long). */
static int parse_relative(const char *s, usec_t *ret) {
        size_t len = strlen(s);
        usec_t d;
        int r;

        if (len == 0 || (s[len - 1] >= '0' && s[len - 1] <= '9'))
                return -EINVAL;

        r = parse_duration(s, &d);
        if (r < 0)
                return r;
        if (d < CTL_DURATION_MIN)
                return -EINVAL;
        if (d > CTL_DURATION_MAX)
                return -ERANGE;

        *ret = d;
        return 0;
}

static bool parse_digits(const char *s, size_t n, int *ret) {
        int v = 0;

        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                v = v * 10 + (s[i] - '0');
        }
        *ret = v;
        return true;
}

/* "YYYY-MM-DD" (midnight UTC) or "YYYY-MM-DDTHH:MM:SSZ".  Parsed by hand at fixed positions:
 * strptime() accepts short fields and leading blanks, and timegm() silently turns
 * 2026-02-31 into March 3rd, so the result is converted back and compared. */
static int parse_utc_date(const char *s, usec_t *ret) {
        int year, month, day, hour = 0, minute = 0, second = 0;
        struct tm tm = {}, check;
        size_t len = strlen(s);
        time_t t;

        if (len != 10 && len != 20)
                return -EINVAL;
        if (!parse_digits(s, 4, &year) || s[4] != '-' ||
            !parse_digits(s + 5, 2, &month) || s[7] != '-' ||
            !parse_digits(s + 8, 2, &day))
                return -EINVAL;
        if (len == 20 &&
            (s[10] != 'T' ||
             !parse_digits(s + 11, 2, &hour) || s[13] != ':' ||
             !parse_digits(s + 14, 2, &minute) || s[16] != ':' ||
             !parse_digits(s + 17, 2, &second) || s[19] != 'Z'))
                return -EINVAL;

        if (year < 1970 || month < 1 || month > 12 || day < 1 || day > 31 ||
            hour > 23 || minute > 59 || second > 59)
                return -EINVAL;

        tm.tm_year = year - 1900;
        tm.tm_mon = month - 1;
        tm.tm_mday = day;
        tm.tm_hour = hour;
        tm.tm_min = minute;
        tm.tm_sec = second;

        /* timegm() normalizes tm in place, so compare against the parsed fields. */
        t = timegm(&tm);
        if (t < 0 || !gmtime_r(&t, &check) ||
            check.tm_year != year - 1900 || check.tm_mon != month - 1 || check.tm_mday != day)
                return -EINVAL;

        *ret = (usec_t) t * USEC_PER_SEC;
        return 0;
}

/* A duration (returns 1, *ret the duration) or a UTC date (returns 0, *ret the date);
 * -ERANGE for a duration beyond the bounds, -EINVAL for neither. */
static int parse_duration_or_date(const char *s, usec_t *ret) {
        int r;

        r = parse_relative(s, ret);
        if (r >= 0)
                return 1;
        if (r == -ERANGE)
                return r;
        return parse_utc_date(s, ret);
}

/* parse_duration_or_date() for --expires and --since: the same grammar, refused in each
 * option's own words (an expiry may also be "none", which its caller has handled). */
static int parse_time_argument(const char *s, bool since, usec_t *ret) {
        unsigned long long max_days = CTL_DURATION_MAX / USEC_PER_DAY;
        int r;

        r = parse_duration_or_date(s, ret);
        if (r == -ERANGE)
                return since ? log_error_errno(r, "--since=%s reaches too far back (at most %llud).", s, max_days)
                             : log_error_errno(r, "Expiry '%s' is too far away (at most %llud).", s, max_days);
        if (r < 0)
                return since ? log_error_errno(r, "Invalid --since '%s': use Nd, Nh, Nm, YYYY-MM-DD or "
                                               "YYYY-MM-DDTHH:MM:SSZ (UTC).", s)
                             : log_error_errno(r, "Invalid expiry '%s': use Nd, Nh, Nm, YYYY-MM-DD, "
                                               "YYYY-MM-DDTHH:MM:SSZ (UTC) or none.", s);
        return r;
}

/* --expires: a duration from now, a UTC date, or "none" (0, the default: long-lived tokens are
 * allowed, revocation is the control). */
int parse_expires(const char *s, usec_t now, usec_t *ret) {
        usec_t t;
        int r;

        if (streq(s, "none") || streq(s, "never")) {
                *ret = 0;
                return 0;
        }

        r = parse_time_argument(s, /* since= */ false, &t);
        if (r < 0)
                return r;
        if (r > 0)
                t += now;
        else if (t <= now)
                return log_error_errno(EINVAL, "Expiry '%s' is in the past.", s);

        *ret = t;
        return 0;
}

int parse_since(const char *s, usec_t now, usec_t *ret) {
        usec_t t;
        int r;

        r = parse_time_argument(s, /* since= */ true, &t);
        if (r < 0)
                return r;

        /* A date of 1970-01-01 is 0, which the bus API reads as "no lower bound": the same
         * thing; a duration reaching before 1970 is 1 for the same reason. */
        *ret = r == 0 ? t : t < now ? now - t : 1;
        return 0;
}
