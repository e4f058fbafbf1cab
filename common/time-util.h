/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Time in microseconds, as sd-event counts it. */

#include <stddef.h>
#include <stdint.h>

typedef uint64_t usec_t;
#define USEC_PER_SEC ((usec_t) 1000000ULL)
#define USEC_PER_MSEC ((usec_t) 1000ULL)
#define USEC_PER_MINUTE (60ULL * USEC_PER_SEC)
#define USEC_PER_HOUR (3600ULL * USEC_PER_SEC)
#define USEC_PER_DAY (86400ULL * USEC_PER_SEC)
#define USEC_PER_WEEK (7ULL * USEC_PER_DAY)

usec_t now_realtime_usec(void);
usec_t now_monotonic_usec(void);

/* Formats a realtime timestamp as "2026-11-21 21:15 UTC"; "never"/"-" for 0 is the caller's choice. */
int format_timestamp_utc(usec_t t, char *buf, size_t size);
