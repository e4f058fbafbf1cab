/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The one duration grammar, used by pkgtokend.conf (LockoutSec=15min), the CLI
 * (--expires=90d, --since=12h) and the PAM module (timeout=5):
 *
 *     DIGITS [UNIT]     UNIT = s | sec | m | min | h | d    (no unit: seconds)
 *
 * Digits only (no sign, blanks or fractions, so "+5d", " 5d" and "5.5d" are refused rather
 * than half understood); callers bound the result. */

#include "time-util.h"

/* 0, -EINVAL (not the grammar) or -ERANGE (does not fit in usec_t). */
int parse_duration(const char *s, usec_t *ret);

/* Like parse_duration(), and the result must lie in [min, max]: -ERANGE otherwise. */
int parse_duration_bounded(const char *s, usec_t min, usec_t max, usec_t *ret);
