/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "list.h"
#include "ratelimit.h"
#include "validate.h"

/* An address as counted: the family and the address bits that are kept, the rest zero.
 * Only uint8_t members, so there is no padding and memcmp() compares keys. */
typedef struct RateKey {
        uint8_t family;        /* AF_INET, AF_INET6, or 0 for what does not parse */
        uint8_t addr[16];
} RateKey;

typedef struct Counter {
        RateKey key;
        unsigned failures;
        usec_t window_start;
        usec_t last_seen;
        struct Counter *older, *newer;     /* the list by last_seen, for eviction */
} Counter;

struct RateLimit {
        unsigned limit;
        unsigned ipv6_prefixlen;
        size_t max;
        void *root;                        /* tsearch(3) tree of Counter, by key */
        size_t n;
        Counter *newest, *oldest;
};

static int counter_compare(const void *a, const void *b) {
        return memcmp(&((const Counter *) a)->key, &((const Counter *) b)->key, sizeof(RateKey));
}

RateLimit *ratelimit_new_sized(unsigned limit, unsigned ipv6_prefixlen, size_t max_addresses) {
        RateLimit *r = calloc(1, sizeof *r);
        if (!r)
                return NULL;
        r->limit = limit;
        r->ipv6_prefixlen = MIN(ipv6_prefixlen, 128u);
        r->max = MAX(max_addresses, (size_t) 1);
        return r;
}

RateLimit *ratelimit_new(unsigned limit, unsigned ipv6_prefixlen) {
        return ratelimit_new_sized(limit, ipv6_prefixlen, RATELIMIT_MAX_ADDRESSES);
}

RateLimit *ratelimit_free(RateLimit *r) {
        if (r) {
                tdestroy(r->root, free);
                free(r);
        }
        return NULL;
}

size_t ratelimit_size(const RateLimit *r) {
        return r->n;
}

static void key_from_remote(const RateLimit *r, const char *remote, RateKey *ret) {
        uint8_t addr[16];
        int family;

        *ret = (RateKey) {};
        /* The callers pass validated addresses; anything else shares one counter. */
        if (address_parse(remote, &family, addr) < 0)
                return;
        if (family == AF_INET6 && IN6_IS_ADDR_V4MAPPED((const struct in6_addr *) addr)) {
                family = AF_INET;
                memmove(addr, addr + 12, 4);
        }
        ret->family = (uint8_t) family;
        if (family == AF_INET) {
                memcpy(ret->addr, addr, 4);
                return;
        }
        unsigned bytes = r->ipv6_prefixlen / 8, bits = r->ipv6_prefixlen % 8;
        memcpy(ret->addr, addr, bytes);
        if (bits > 0)
                ret->addr[bytes] = addr[bytes] & (uint8_t) (0xff << (8 - bits));
}

void ratelimit_format_address(const RateLimit *r, const char *remote, char buf[static RATELIMIT_ADDRESS_MAX]) {
        char text[INET6_ADDRSTRLEN];
        RateKey key;

        if (isempty(remote)) {
                buf[0] = '\0';
                return;
        }
        key_from_remote(r, remote, &key);
        if (key.family == 0 || !inet_ntop(key.family, key.addr, text, sizeof text)) {
                snprintf(buf, RATELIMIT_ADDRESS_MAX, "?");
                return;
        }
        if (key.family == AF_INET6 && r->ipv6_prefixlen < 128)
                snprintf(buf, RATELIMIT_ADDRESS_MAX, "%s/%u", text, r->ipv6_prefixlen);
        else
                snprintf(buf, RATELIMIT_ADDRESS_MAX, "%s", text);
}

static void list_unlink(RateLimit *r, Counter *c) {
        if (c->older)
                c->older->newer = c->newer;
        else
                r->oldest = c->newer;
        if (c->newer)
                c->newer->older = c->older;
        else
                r->newest = c->older;
        c->older = c->newer = NULL;
}

static void list_push_newest(RateLimit *r, Counter *c) {
        c->older = r->newest;
        LIST_APPEND(newer, r->oldest, r->newest, c);
}

static void touch(RateLimit *r, Counter *c, usec_t now) {
        c->last_seen = now;
        list_unlink(r, c);
        list_push_newest(r, c);
}

static void forget(RateLimit *r, Counter *c) {
        list_unlink(r, c);
        (void) tdelete(c, &r->root, counter_compare);
        r->n--;
}

static bool window_over(const Counter *c, usec_t now) {
        /* A clock that went backwards ends the window too, rather than freezing it. */
        return now < c->window_start || now - c->window_start >= RATELIMIT_WINDOW;
}

/* Counters not seen for a whole window count nothing any more: drop them from the old end,
 * so that memory follows the addresses of the last minute. */
static void prune(RateLimit *r, usec_t now) {
        while (r->oldest && (now < r->oldest->last_seen || now - r->oldest->last_seen >= RATELIMIT_WINDOW)) {
                Counter *c = r->oldest;
                forget(r, c);
                free(c);
        }
}

static Counter *find(RateLimit *r, const RateKey *key) {
        Counter k = { .key = *key };
        Counter **c = tfind(&k, &r->root, counter_compare);
        return c ? *c : NULL;
}

/* A new counter; in a full table the least recently seen one makes room. */
static Counter *add(RateLimit *r, const RateKey *key, usec_t now) {
        Counter *c;

        if (r->n >= r->max) {
                c = r->oldest;
                forget(r, c);
        } else {
                c = malloc(sizeof *c);
                if (!c)
                        return NULL;
        }
        *c = (Counter) { .key = *key, .window_start = now, .last_seen = now };
        if (!tsearch(c, &r->root, counter_compare)) {
                free(c);
                return NULL;
        }
        r->n++;
        list_push_newest(r, c);
        return c;
}

bool ratelimit_exceeded(RateLimit *r, const char *remote, usec_t now) {
        RateKey key;

        if (isempty(remote))
                return false;
        prune(r, now);
        key_from_remote(r, remote, &key);
        Counter *c = find(r, &key);
        if (!c)
                return false;
        /* A limited address that keeps trying stays the most recently seen: a flood of
         * other addresses pushes out the quiet ones first. */
        touch(r, c, now);
        if (window_over(c, now))
                return false;
        return c->failures >= r->limit;
}

void ratelimit_note_failure(RateLimit *r, const char *remote, usec_t now) {
        RateKey key;

        if (isempty(remote))
                return;
        prune(r, now);
        key_from_remote(r, remote, &key);
        Counter *c = find(r, &key);
        if (!c) {
                c = add(r, &key, now);
                if (!c)
                        return;   /* out of memory: the account lockouts still apply */
        } else
                touch(r, c, now);
        if (window_over(c, now)) {
                c->window_start = now;
                c->failures = 0;
        }
        if (c->failures < r->limit)
                c->failures++;
}
