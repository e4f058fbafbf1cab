/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The time arguments of the command line: --expires (a duration from now, a UTC date or
 * "none") and --since (a duration back from now or a UTC date).  Durations use the one
 * grammar of duration.h ("90d", "12h", "30m", "15min"), as pkgtokend.conf does.  Both log
 * what is wrong with a value themselves. */

#include "time-util.h"

/* Relative durations are bounded so that a typo such as "90000d" is caught instead of
 * silently creating a token that outlives its owner; a minute is the shortest that makes
 * sense for a token or a look back. */
#define CTL_DURATION_MIN USEC_PER_MINUTE
#define CTL_DURATION_MAX (3650ULL * USEC_PER_DAY)

/* now: the time "90d" counts from; *ret: the absolute time, or 0 for "none"/"never". */
int parse_expires(const char *s, usec_t now, usec_t *ret);

/* *ret: the absolute lower bound of the audit events, never 0 for a duration. */
int parse_since(const char *s, usec_t now, usec_t *ret);
