/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The token check's memory of the SQLite store (store-internal.h): every Authorize looks a
 * token up by its hash, and SQLite spends most of pkgtokend's time per check on it
 * (bench/profile-authorize.sh).  Two things spare it that:
 *
 *   - every stored token hash, by its first 8 bytes, in an open-addressing set: a hash not in
 *     it is no token, answered without SQLite, so an unknown token never costs more than a
 *     valid one.  It is filled from the table when the store opens and on every insert;
 *     tokens are never deleted behind it (a stale entry only costs a lookup).
 *   - the last token records found, by hash, each valid only for the store's generation it
 *     was read in: every statement but a SELECT (store-statement.c) and every rollback
 *     (store.c) starts a new generation, so a revocation, a lock or a changed scope is seen by
 *     the very next check.  The one write that does not, a token's last use, updates the
 *     cached record itself (token_cache_note_use()).
 *
 * Only where pkgtokend is the store's sole writer: SQLite, which it holds with an exclusive
 * lock.  A PostgreSQL store is shared with other hosts and is always asked. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store-internal.h"
#include "strv.h"

#define KNOWN_MIN_SLOTS   1024u
/* 4-way set-associative: a record displaces the least recently used of its set's four.  Some
 * 50 thousand tokens in steady use stay in memory (about 400 bytes each, allocated as they come);
 * beyond that, checks go to SQLite as they did without it. */
#define RECORD_SETS       16384u
#define RECORD_WAYS       4u

typedef struct CachedToken {
        uint64_t generation;            /* 0: empty */
        uint64_t used;                  /* the cache's clock when last found or stored */
        uint8_t hash[TOKEN_HASH_SIZE];
        TokenRecord record;
} CachedToken;

struct TokenCache {
        uint64_t *known;                /* 0: a free slot */
        size_t n_known, known_slots;    /* known_slots: a power of two */
        uint64_t clock;
        /* calloc()ed: pages of sets never used are never touched */
        CachedToken records[RECORD_SETS][RECORD_WAYS];
};

/* The hashes are SHA-256 outputs: any 8 of their bytes are as good as a hash of the hash. */
static uint64_t hash_word(const uint8_t hash[static TOKEN_HASH_SIZE], size_t offset) {
        uint64_t w;

        memcpy(&w, hash + offset, sizeof w);
        return w;
}

static uint64_t known_key(const uint8_t hash[static TOKEN_HASH_SIZE]) {
        return hash_word(hash, 0) ?: 1;   /* 0 marks a free slot */
}

static CachedToken *record_set(TokenCache *c, const uint8_t hash[static TOKEN_HASH_SIZE]) {
        return c->records[hash_word(hash, 8) % RECORD_SETS];
}

int token_cache_new(TokenCache **ret) {
        TokenCache *c = calloc(1, sizeof *c);

        if (!c)
                return -ENOMEM;
        c->known_slots = KNOWN_MIN_SLOTS;
        c->known = calloc(c->known_slots, sizeof *c->known);
        if (!c->known) {
                free(c);
                return -ENOMEM;
        }
        *ret = c;
        return 0;
}

TokenCache *token_cache_free(TokenCache *c) {
        if (!c)
                return NULL;
        for (size_t i = 0; i < RECORD_SETS; i++)
                for (size_t w = 0; w < RECORD_WAYS; w++)
                        if (c->records[i][w].record.id || c->records[i][w].generation != 0)
                                token_record_done(&c->records[i][w].record);
        free(c->known);
        free(c);
        return NULL;
}

static void known_insert(uint64_t *slots, size_t n_slots, uint64_t key) {
        for (size_t i = key & (n_slots - 1);; i = (i + 1) & (n_slots - 1)) {
                if (slots[i] == key)
                        return;
                if (slots[i] == 0) {
                        slots[i] = key;
                        return;
                }
        }
}

/* At most half full, so that a probe for a hash that is not there ends soon. */
static int known_grow(TokenCache *c) {
        size_t n_slots = c->known_slots * 2;
        uint64_t *slots = calloc(n_slots, sizeof *slots);

        if (!slots)
                return -ENOMEM;
        for (size_t i = 0; i < c->known_slots; i++)
                if (c->known[i] != 0)
                        known_insert(slots, n_slots, c->known[i]);
        free(c->known);
        c->known = slots;
        c->known_slots = n_slots;
        return 0;
}

int token_cache_add_known(TokenCache *c, const uint8_t hash[static TOKEN_HASH_SIZE]) {
        if (2 * (c->n_known + 1) > c->known_slots) {
                int r = known_grow(c);
                if (r < 0)
                        return r;
        }
        known_insert(c->known, c->known_slots, known_key(hash));
        c->n_known++;   /* counts duplicates too: at worst it grows a little early */
        return 0;
}

bool token_cache_may_know(const TokenCache *c, const uint8_t hash[static TOKEN_HASH_SIZE]) {
        uint64_t key = known_key(hash);

        for (size_t i = key & (c->known_slots - 1);; i = (i + 1) & (c->known_slots - 1)) {
                if (c->known[i] == key)
                        return true;
                if (c->known[i] == 0)
                        return false;
        }
}

static int token_record_copy(const TokenRecord *t, TokenRecord *ret) {
        TokenRecord c = *t;

        c.id = strdup(t->id);
        c.prefix = strdup(t->prefix);
        c.account = strdup(t->account);
        c.description = strdup(t->description);
        c.created_by = strdup(t->created_by);
        c.last_used_from = strdup(t->last_used_from);
        c.lineage = strdup(t->lineage);
        c.scope = strv_copy(t->scope);
        c.cidrs = strv_copy(t->cidrs);
        if (!c.id || !c.prefix || !c.account || !c.description || !c.created_by || !c.last_used_from ||
            !c.lineage || !c.scope || !c.cidrs) {
                token_record_done(&c);
                return -ENOMEM;
        }
        *ret = c;
        return 0;
}

int token_cache_get(TokenCache *c, uint64_t generation, const uint8_t hash[static TOKEN_HASH_SIZE],
                    TokenRecord *ret) {
        CachedToken *set = record_set(c, hash);

        for (size_t w = 0; w < RECORD_WAYS; w++) {
                CachedToken *e = &set[w];
                int r;

                if (e->generation != generation || memcmp(e->hash, hash, TOKEN_HASH_SIZE) != 0)
                        continue;
                r = token_record_copy(&e->record, ret);
                if (r < 0)
                        return r;
                e->used = ++c->clock;
                return 1;
        }
        return 0;
}

/* Where a record for hash goes: its own old place, else a place that is empty or of an older
 * generation, else the least recently used. */
static CachedToken *record_place(TokenCache *c, const uint8_t hash[static TOKEN_HASH_SIZE], uint64_t generation) {
        CachedToken *set = record_set(c, hash), *lru = &set[0];

        for (size_t w = 0; w < RECORD_WAYS; w++)
                if (set[w].generation != 0 && memcmp(set[w].hash, hash, TOKEN_HASH_SIZE) == 0)
                        return &set[w];
        for (size_t w = 0; w < RECORD_WAYS; w++) {
                if (set[w].generation != generation)
                        return &set[w];
                if (set[w].used < lru->used)
                        lru = &set[w];
        }
        return lru;
}

/* store_token_touch() wrote the token's last use: the record says so too, whatever its
 * generation, so that the next check does not note the same use again. */
void token_cache_note_use(TokenCache *c, const uint8_t hash[static TOKEN_HASH_SIZE], int64_t rowid, usec_t now,
                          const char *remote) {
        CachedToken *set = record_set(c, hash);

        for (size_t w = 0; w < RECORD_WAYS; w++) {
                TokenRecord *t = &set[w].record;
                char *from;

                if (set[w].generation == 0 || t->rowid != rowid || memcmp(set[w].hash, hash, TOKEN_HASH_SIZE) != 0)
                        continue;
                if (now <= t->last_used_at)
                        return;
                from = strdup(remote ?: "");
                if (!from) {
                        set[w].generation = 0;   /* forgotten rather than wrong */
                        return;
                }
                free(t->last_used_from);
                t->last_used_from = from;
                t->last_used_at = now;
                return;
        }
}

void token_cache_put(TokenCache *c, uint64_t generation, const uint8_t hash[static TOKEN_HASH_SIZE],
                     const TokenRecord *t) {
        CachedToken *e = record_place(c, hash, generation);

        token_record_done(&e->record);
        e->generation = 0;
        if (token_record_copy(t, &e->record) < 0)
                return;   /* remembering is an optimisation: the next check asks SQLite again */
        memcpy(e->hash, hash, TOKEN_HASH_SIZE);
        e->generation = generation;
        e->used = ++c->clock;
}
