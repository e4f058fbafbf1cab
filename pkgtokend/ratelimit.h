/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Failures per remote address in fixed one-minute windows: guessing tokens or passwords from
 * one address is slowed down to `limit` failures a minute.  Held in memory (a restart gives
 * a guesser one more minute's worth); account lockouts, which must survive restarts, live in
 * the store instead. */

#include <stdbool.h>

#include "macro.h"
#include "time-util.h"

#define RATELIMIT_WINDOW (60 * USEC_PER_SEC)
#define RATELIMIT_MAX_ADDRESSES 65536

typedef struct RateLimit RateLimit;

RateLimit *ratelimit_new(unsigned limit);
RateLimit *ratelimit_free(RateLimit *r);

/* True when remote has used up its failures in the current window.  "" is never limited
 * (the registry did not say who is asking). */
bool ratelimit_exceeded(RateLimit *r, const char *remote, usec_t now);
void ratelimit_note_failure(RateLimit *r, const char *remote, usec_t now);
