/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The token-guess limiter: one address however it is written, IPv6 by prefix, and a full
 * table that still limits.  Also measures a flood of 300,000 addresses (memory, time) and
 * prints the figures as TAP comments. */

#include <malloc.h>
#include <stdio.h>
#include <time.h>

#include "ratelimit.h"
#include "tap.h"

#define LIMIT 60
#define T0 (1000 * USEC_PER_SEC)

static void fail_n(RateLimit *r, const char *remote, unsigned n, usec_t now) {
        for (unsigned i = 0; i < n; i++)
                ratelimit_note_failure(r, remote, now);
}

static void test_basic(void) {
        RateLimit *r = ratelimit_new(LIMIT, 64);

        CHECK(!ratelimit_exceeded(r, "192.0.2.1", T0), "an unknown address is not limited");
        fail_n(r, "192.0.2.1", LIMIT - 1, T0);
        CHECK(!ratelimit_exceeded(r, "192.0.2.1", T0), "%d failures: not yet limited", LIMIT - 1);
        ratelimit_note_failure(r, "192.0.2.1", T0);
        CHECK(ratelimit_exceeded(r, "192.0.2.1", T0), "%d failures: limited", LIMIT);
        CHECK(!ratelimit_exceeded(r, "192.0.2.2", T0), "another address is not");
        CHECK(!ratelimit_exceeded(r, "", T0), "\"\" is never limited");
        fail_n(r, "", 100, T0);
        CHECK(!ratelimit_exceeded(r, "", T0), "\"\" is never counted");
        CHECK(ratelimit_exceeded(r, "192.0.2.1", T0 + RATELIMIT_WINDOW - 1), "still limited at the end of the window");
        CHECK(!ratelimit_exceeded(r, "192.0.2.1", T0 + RATELIMIT_WINDOW), "free again after a window");
        ratelimit_note_failure(r, "192.0.2.1", T0 + RATELIMIT_WINDOW);
        CHECK(!ratelimit_exceeded(r, "192.0.2.1", T0 + RATELIMIT_WINDOW), "a new window counts from zero");
        CHECK(ratelimit_size(r) == 1, "one counter left (the idle ones were dropped)");
        ratelimit_free(r);
}

/* Every spelling in a group is one counter: LIMIT failures spread over them limit them all. */
static void test_same_address(const char *what, unsigned prefixlen, const char *const *spellings, size_t n,
                              const char *other) {
        RateLimit *r = ratelimit_new(LIMIT, prefixlen);

        for (unsigned i = 0; i < LIMIT; i++)
                ratelimit_note_failure(r, spellings[i % n], T0);
        for (size_t i = 0; i < n; i++)
                CHECK(ratelimit_exceeded(r, spellings[i], T0), "%s: %s is limited", what, spellings[i]);
        if (other)
                CHECK(!ratelimit_exceeded(r, other, T0), "%s: %s is not", what, other);
        ratelimit_free(r);
}

static void test_spellings(void) {
        static const char *const v4[] = { "192.0.2.9", "::ffff:192.0.2.9", "::FFFF:c000:209" };
        static const char *const v6[] = { "2001:db8::9", "2001:DB8:0::9", "2001:db8:0:0::a",
                                          "2001:db8::ffff:ffff:ffff:ffff" };
        static const char *const v6_128[] = { "2001:db8::9", "2001:DB8:0::9", "2001:0db8:0000::0009" };
        static const char *const v6_48[] = { "2001:db8:1:1::1", "2001:db8:1:ffff::1" };

        test_same_address("IPv4-mapped IPv6 is IPv4", 64, v4, ELEMENTSOF(v4), "192.0.2.10");
        test_same_address("IPv6 by /64", 64, v6, ELEMENTSOF(v6), "2001:db8:0:1::9");
        test_same_address("IPv6 by /128", 128, v6_128, ELEMENTSOF(v6_128), "2001:db8::a");
        test_same_address("IPv6 by /48", 48, v6_48, ELEMENTSOF(v6_48), "2001:db8:2::1");

        /* An IPv4 address and an IPv6 one with the same bytes are different addresses. */
        RateLimit *r = ratelimit_new(LIMIT, 128);
        fail_n(r, "192.0.2.9", LIMIT, T0);
        CHECK(!ratelimit_exceeded(r, "c000:209::", T0), "IPv6 c000:209:: is not IPv4 192.0.2.9");
        CHECK(!ratelimit_exceeded(r, "::192.0.2.9", T0), "IPv4-compatible ::192.0.2.9 is not IPv4");
        ratelimit_free(r);
}

/* The address as text, as the lockouts per account and address key their records. */
static void test_format_address(void) {
        static const struct {
                unsigned prefixlen;
                const char *remote, *expected;
        } v[] = {
                { 64,  "",                         "" },
                { 64,  "192.0.2.9",                "192.0.2.9" },
                { 64,  "::ffff:192.0.2.9",         "192.0.2.9" },
                { 64,  "::FFFF:c000:209",          "192.0.2.9" },
                { 64,  "2001:db8::9",              "2001:db8::/64" },
                { 64,  "2001:DB8:0:0:ffff::1",     "2001:db8::/64" },
                { 64,  "2001:db8:0:1::9",          "2001:db8:0:1::/64" },
                { 48,  "2001:db8:1:ffff::1",       "2001:db8:1::/48" },
                { 128, "2001:0db8:0000::0009",     "2001:db8::9" },
                { 64,  "not an address",           "?" },
        };

        for (size_t i = 0; i < ELEMENTSOF(v); i++) {
                RateLimit *r = ratelimit_new(LIMIT, v[i].prefixlen);
                char buf[RATELIMIT_ADDRESS_MAX];

                ratelimit_format_address(r, v[i].remote, buf);
                CHECK_STR_EQ(buf, v[i].expected, "address '%s' (IPv6 by /%u) counted as expected", v[i].remote,
                             v[i].prefixlen);
                ratelimit_free(r);
        }
}

static double seconds_since(const struct timespec *t0) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double) (t.tv_sec - t0->tv_sec) + (double) (t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void format_v4(unsigned i, char buf[static 16]) {
        /* 10.x.y.z: 16 million distinct addresses */
        snprintf(buf, 16, "10.%u.%u.%u", (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
}

/* The attack of the issue: 300,000 addresses, one bad token each, fill the table; then a new
 * address must still be limited after LIMIT failures. */
static void test_flood(void) {
        const unsigned flood = 300000;
        struct timespec t0;
        char a[16];
        size_t heap0 = mallinfo2().uordblks;
        RateLimit *r = ratelimit_new(LIMIT, 64);

        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (unsigned i = 0; i < flood; i++) {
                format_v4(i, a);
                if (!ratelimit_exceeded(r, a, T0))
                        ratelimit_note_failure(r, a, T0);
        }
        double secs = seconds_since(&t0);
        size_t heap = mallinfo2().uordblks - heap0;
        tap_diag("flood of %u addresses: %.3f s (%.2f µs per failure), %zu counters, %.1f MiB of heap "
                 "(%.0f bytes per counter)", flood, secs, secs * 1e6 / flood, ratelimit_size(r),
                 (double) heap / (1024 * 1024), (double) heap / (double) ratelimit_size(r));
        CHECK(ratelimit_size(r) == RATELIMIT_MAX_ADDRESSES, "the table is full (%zu counters)", ratelimit_size(r));
        CHECK(heap < 16u * 1024 * 1024, "memory stays bounded (%zu bytes)", heap);

        /* A new address after the flood: limited after LIMIT failures, as always. */
        unsigned allowed = 0;
        for (unsigned i = 0; i < 10000; i++) {
                if (ratelimit_exceeded(r, "198.51.100.7", T0 + 1))
                        continue;
                allowed++;
                ratelimit_note_failure(r, "198.51.100.7", T0 + 1);
        }
        CHECK(allowed == LIMIT, "a new address after the flood gets %u of 10000 guesses (want %d)", allowed, LIMIT);

        /* A limited address that keeps trying keeps its counter through another flood. */
        for (unsigned i = 0; i < flood; i++) {
                format_v4(flood + i, a);
                if (!ratelimit_exceeded(r, a, T0 + 2))
                        ratelimit_note_failure(r, a, T0 + 2);
                if (i % 1000 == 0)
                        (void) ratelimit_exceeded(r, "198.51.100.7", T0 + 2);
        }
        CHECK(ratelimit_exceeded(r, "198.51.100.7", T0 + 3), "a guesser that keeps trying stays limited through a flood");

        /* Every address of the flood got at most LIMIT guesses; over the whole flood the
         * number of unlimited failures equals the addresses times their share. */
        ratelimit_free(r);
}

static void test_small_table(void) {
        RateLimit *r = ratelimit_new_sized(3, 64, 2);

        fail_n(r, "192.0.2.1", 3, T0);
        fail_n(r, "192.0.2.2", 3, T0 + 1);
        fail_n(r, "192.0.2.3", 3, T0 + 2);    /* evicts .1, the least recently seen */
        CHECK(ratelimit_size(r) == 2, "a table of 2 holds 2");
        CHECK(ratelimit_exceeded(r, "192.0.2.3", T0 + 3), "the newcomer in a full table is limited");
        CHECK(ratelimit_exceeded(r, "192.0.2.2", T0 + 3), "the other one still is");
        CHECK(!ratelimit_exceeded(r, "192.0.2.1", T0 + 3), "the least recently seen one was evicted");
        ratelimit_free(r);
}

int main(void) {
        test_basic();
        test_spellings();
        test_format_address();
        test_small_table();
        test_flood();
        return tap_finish();
}
