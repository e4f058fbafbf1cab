/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Failures per remote address in one-minute windows: guessing tokens or passwords from one
 * address is slowed down to `limit` failures a minute.  Held in memory (a restart gives a
 * guesser one more minute's worth); account lockouts, which must survive restarts, live in
 * the store instead.
 *
 * Addresses are counted as parsed, not as written: an IPv4-mapped IPv6 address is its IPv4
 * address, and IPv6 addresses are counted by their first ipv6_prefixlen bits (a /64 is what
 * one host or one customer usually gets, so counting single IPv6 addresses limits nothing).
 *
 * The table holds at most `max_addresses` counters.  A full table never means "no limit":
 * a new address takes the slot of the least recently seen one.  An address that keeps
 * trying keeps its slot; pushing it out takes max_addresses failures from other addresses
 * within one window, and each of those is limited too. */

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"
#include "time-util.h"

#define RATELIMIT_WINDOW (60 * USEC_PER_SEC)
#define RATELIMIT_MAX_ADDRESSES 65536
#define RATELIMIT_IPV6_PREFIX_DEFAULT 64

typedef struct RateLimit RateLimit;

RateLimit *ratelimit_new(unsigned limit, unsigned ipv6_prefixlen);
/* The same with another table size (tests, benchmarks). */
RateLimit *ratelimit_new_sized(unsigned limit, unsigned ipv6_prefixlen, size_t max_addresses);
RateLimit *ratelimit_free(RateLimit *r);

/* True when remote has used up its failures in the current window.  "" is never limited
 * (the registry did not say who is asking). */
bool ratelimit_exceeded(RateLimit *r, const char *remote, usec_t now);
void ratelimit_note_failure(RateLimit *r, const char *remote, usec_t now);

/* The address as counted, as text: "192.0.2.9" (also for ::ffff:192.0.2.9), "2001:db8::/64"
 * (the prefix), "" for "", "?" for what does not parse.  For records that must count an
 * address the way the limiter does (the lockouts per account and address). */
#define RATELIMIT_ADDRESS_MAX 64
void ratelimit_format_address(const RateLimit *r, const char *remote, char buf[static RATELIMIT_ADDRESS_MAX]);

/* How many addresses are counted now. */
size_t ratelimit_size(const RateLimit *r);
