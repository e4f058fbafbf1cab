/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <search.h>
#include <stdlib.h>
#include <string.h>

#include "ratelimit.h"

typedef struct Counter {
        char *remote;
        unsigned failures;
} Counter;

struct RateLimit {
        unsigned limit;
        void *root;           /* tsearch(3) tree of Counter, by remote */
        size_t n;
        usec_t window_start;
};

static int counter_compare(const void *a, const void *b) {
        return strcmp(((const Counter *) a)->remote, ((const Counter *) b)->remote);
}

static void counter_free(void *p) {
        Counter *c = p;
        free(c->remote);
        free(c);
}

RateLimit *ratelimit_new(unsigned limit) {
        RateLimit *r = calloc(1, sizeof *r);
        if (r)
                r->limit = limit;
        return r;
}

RateLimit *ratelimit_free(RateLimit *r) {
        if (r) {
                tdestroy(r->root, counter_free);
                free(r);
        }
        return NULL;
}

/* A new window forgets every count: cheap, and bounds memory by one window's addresses. */
static void roll_window(RateLimit *r, usec_t now) {
        if (now >= r->window_start && now - r->window_start < RATELIMIT_WINDOW)
                return;
        tdestroy(r->root, counter_free);
        r->root = NULL;
        r->n = 0;
        r->window_start = now;
}

static Counter *find(RateLimit *r, const char *remote) {
        Counter key = { .remote = (char *) remote };
        Counter **c = tfind(&key, &r->root, counter_compare);
        return c ? *c : NULL;
}

bool ratelimit_exceeded(RateLimit *r, const char *remote, usec_t now) {
        if (isempty(remote))
                return false;
        roll_window(r, now);
        Counter *c = find(r, remote);
        return c && c->failures >= r->limit;
}

void ratelimit_note_failure(RateLimit *r, const char *remote, usec_t now) {
        Counter *c;

        if (isempty(remote))
                return;
        roll_window(r, now);
        c = find(r, remote);
        if (!c) {
                if (r->n >= RATELIMIT_MAX_ADDRESSES)
                        return;   /* a flood of addresses: the account lockouts still apply */
                c = calloc(1, sizeof *c);
                if (!c)
                        return;
                c->remote = strdup(remote);
                if (!c->remote || !tsearch(c, &r->root, counter_compare)) {
                        counter_free(c);
                        return;
                }
                r->n++;
        }
        if (c->failures < r->limit)
                c->failures++;
}
