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
 *     cached record itself (token_cache_note_use()).  Records are kept packed, each in one
 *     allocation, and handed out as packed copies (TokenRecord.block): one malloc() and one
 *     memcpy() per check instead of a dozen strdup()s and their free()s.
 *
 * A check looks at the records first, then at the known hashes: a token in steady use costs
 * one cache line of tags and its record, never a probe of the known set, which with a million
 * tokens is 16 MB of random reads.
 *
 * Only where pkgtokend is the store's sole writer: SQLite, which it holds with an exclusive
 * lock.  A PostgreSQL store is shared with other hosts and is always asked. */

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "input-limits.h"
#include "store-internal.h"
#include "strv.h"

#define KNOWN_MIN_SLOTS   1024u
/* 4-way set-associative: a record displaces the least recently used of its set's four.  Some
 * 50 thousand tokens in steady use stay in memory (about 300 bytes each with their strings,
 * allocated as they come); beyond that, checks go to SQLite as they did without it. */
#define RECORD_SETS       16384u
#define RECORD_WAYS       4u

/* A set's tags (8 bytes of each way's hash) and generations share one cache line: with a
 * million tokens the sets are far bigger than the CPU's caches, and a check that finds nothing
 * in memory reads that line only.  The records themselves are apart. */
typedef struct RecordTags {
        _Alignas(64) uint64_t tag[RECORD_WAYS];
        uint64_t generation[RECORD_WAYS];   /* 0: empty */
} RecordTags;

typedef struct CachedToken {
        uint64_t used;                  /* the cache's clock when last found or stored */
        TokenRecord record;             /* packed (record.block), its hash in record.hash */
} CachedToken;

struct TokenCache {
        uint64_t *known;                /* 0: a free slot */
        size_t n_known, known_slots;    /* known_slots: a power of two */
        uint64_t clock;
        RecordTags *tags;               /* RECORD_SETS, each on a cache line of its own */
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

static uint64_t record_tag(const uint8_t hash[static TOKEN_HASH_SIZE]) {
        return hash_word(hash, 8);
}

static size_t record_set(const uint8_t hash[static TOKEN_HASH_SIZE]) {
        return hash_word(hash, 16) % RECORD_SETS;
}

int token_cache_new(TokenCache **ret) {
        TokenCache *c = calloc(1, sizeof *c);

        if (!c)
                return -ENOMEM;
        c->known_slots = KNOWN_MIN_SLOTS;
        c->known = calloc(c->known_slots, sizeof *c->known);
        c->tags = aligned_alloc(_Alignof(RecordTags), RECORD_SETS * sizeof(RecordTags));
        if (!c->known || !c->tags) {
                token_cache_free(c);
                return -ENOMEM;
        }
        memset(c->tags, 0, RECORD_SETS * sizeof(RecordTags));
        *ret = c;
        return 0;
}

TokenCache *token_cache_free(TokenCache *c) {
        if (!c)
                return NULL;
        for (size_t i = 0; i < RECORD_SETS; i++)
                for (size_t w = 0; w < RECORD_WAYS; w++)
                        token_record_done(&c->records[i][w].record);
        free(c->known);
        free(c->tags);
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

/* The record packed into one allocation: first its two lists' pointer arrays (aligned, at the
 * start of the block), then every string.  Room is kept for the longest last_used_from, which
 * token_cache_note_use() rewrites in place. */
typedef struct Packer {
        char **pointers;        /* the next free pointer slot */
        char *strings;          /* the next free byte for strings */
} Packer;

static size_t strv_packed_size(char * const *l) {
        size_t n = sizeof(char *);

        STRV_FOREACH(i, l)
                n += sizeof(char *) + strlen(*i) + 1;
        return n;
}

static char *pack_string(Packer *p, const char *s, size_t room) {
        char *r = p->strings;

        strcpy(r, s);
        p->strings += room;
        return r;
}

static char **pack_strv(Packer *p, char * const *l) {
        char **r = p->pointers;

        STRV_FOREACH(i, l)
                *p->pointers++ = pack_string(p, *i, strlen(*i) + 1);
        *p->pointers++ = NULL;
        return r;
}

/* The room a string takes in the block: last_used_from keeps room for the longest address. */
static size_t string_room(const TokenRecord *t, char * const *field) {
        return field == &t->last_used_from ? REMOTE_MAX + 1 : strlen(*field) + 1;
}

static int token_record_pack(const TokenRecord *t, TokenRecord *ret) {
        size_t n_pointers = 0, size = 0;
        TokenRecord c = *t;
        Packer p;

        if (strlen(t->last_used_from) > REMOTE_MAX)
                return -EINVAL;   /* the store takes no longer address: not remembered */
#define LIST_SIZE(f) n_pointers += strv_length(t->f) + 1; size += strv_packed_size(t->f);
#define STRING_SIZE(f) size += string_room(t, &t->f);
        TOKEN_RECORD_LISTS(LIST_SIZE)
        TOKEN_RECORD_STRINGS(STRING_SIZE)
        c.block = malloc(size);
        if (!c.block)
                return -ENOMEM;
        c.block_size = size;
        p = (Packer) { .pointers = c.block, .strings = (char *) c.block + n_pointers * sizeof(char *) };
#define PACK_LIST(f) c.f = pack_strv(&p, t->f);
#define PACK_STRING(f) c.f = pack_string(&p, t->f, string_room(t, &t->f));
        TOKEN_RECORD_LISTS(PACK_LIST)
        TOKEN_RECORD_STRINGS(PACK_STRING)
        assert((void *) p.pointers == (char *) c.block + n_pointers * sizeof(char *));
        assert(p.strings == (char *) c.block + size);
        *ret = c;
        return 0;
}

/* A packed record's copy: one allocation, its pointers moved with it. */
static void *relocate(const void *p, const TokenRecord *from, void *to) {
        return (char *) to + ((const char *) p - (const char *) from->block);
}

static int token_record_copy_packed(const TokenRecord *t, TokenRecord *ret) {
        TokenRecord c = *t;

        c.block = malloc(t->block_size);
        if (!c.block)
                return -ENOMEM;
        memcpy(c.block, t->block, t->block_size);
#define MOVE_STRING(f) c.f = relocate(t->f, t, c.block);
#define MOVE_LIST(f)                                                    \
        c.f = relocate(t->f, t, c.block);                               \
        for (size_t i = 0; t->f[i]; i++)                                \
                c.f[i] = relocate(t->f[i], t, c.block);
        TOKEN_RECORD_STRINGS(MOVE_STRING)
        TOKEN_RECORD_LISTS(MOVE_LIST)
        *ret = c;
        return 0;
}

/* The way of hash's set that holds it for this generation, or -1. */
static int record_find(const TokenCache *c, size_t set, uint64_t generation, const uint8_t hash[static TOKEN_HASH_SIZE]) {
        const RecordTags *tags = &c->tags[set];
        uint64_t tag = record_tag(hash);

        for (unsigned w = 0; w < RECORD_WAYS; w++)
                if (tags->tag[w] == tag && tags->generation[w] == generation &&
                    memcmp(c->records[set][w].record.hash, hash, TOKEN_HASH_SIZE) == 0)
                        return (int) w;
        return -1;
}

int token_cache_get(TokenCache *c, uint64_t generation, const uint8_t hash[static TOKEN_HASH_SIZE],
                    TokenRecord *ret) {
        size_t set = record_set(hash);
        int w = record_find(c, set, generation, hash), r;

        if (w < 0)
                return 0;
        r = token_record_copy_packed(&c->records[set][w].record, ret);
        if (r < 0)
                return r;
        c->records[set][w].used = ++c->clock;
        return 1;
}

/* Where a record for hash goes: its own old place (any generation), else a place that is empty
 * or of an older generation, else the least recently used. */
static unsigned record_place(const TokenCache *c, size_t set, const uint8_t hash[static TOKEN_HASH_SIZE],
                             uint64_t generation) {
        const RecordTags *tags = &c->tags[set];
        unsigned lru = 0;

        for (unsigned w = 0; w < RECORD_WAYS; w++)
                if (tags->generation[w] != 0 && tags->tag[w] == record_tag(hash) &&
                    memcmp(c->records[set][w].record.hash, hash, TOKEN_HASH_SIZE) == 0)
                        return w;
        for (unsigned w = 0; w < RECORD_WAYS; w++) {
                if (tags->generation[w] != generation)
                        return w;
                if (c->records[set][w].used < c->records[set][lru].used)
                        lru = w;
        }
        return lru;
}

/* store_token_touch() wrote the token's last use: the record says so too, whatever its
 * generation, so that the next check does not note the same use again. */
void token_cache_note_use(TokenCache *c, const uint8_t hash[static TOKEN_HASH_SIZE], int64_t rowid, usec_t now,
                          const char *remote) {
        size_t set = record_set(hash);

        for (unsigned w = 0; w < RECORD_WAYS; w++) {
                TokenRecord *t = &c->records[set][w].record;

                if (c->tags[set].generation[w] == 0 || t->rowid != rowid || memcmp(t->hash, hash, TOKEN_HASH_SIZE) != 0)
                        continue;
                if (now <= t->last_used_at)
                        return;
                if (strlen(remote ?: "") > REMOTE_MAX) {
                        c->tags[set].generation[w] = 0;   /* forgotten rather than wrong */
                        return;
                }
                strcpy(t->last_used_from, remote ?: "");   /* packed with room for REMOTE_MAX */
                t->last_used_at = now;
                return;
        }
}

void token_cache_put(TokenCache *c, uint64_t generation, const uint8_t hash[static TOKEN_HASH_SIZE],
                     const TokenRecord *t) {
        size_t set = record_set(hash);
        unsigned w = record_place(c, set, hash, generation);
        CachedToken *e = &c->records[set][w];

        token_record_done(&e->record);
        c->tags[set].generation[w] = 0;
        if (token_record_pack(t, &e->record) < 0)
                return;   /* remembering is an optimisation: the next check asks SQLite again */
        memcpy(e->record.hash, hash, TOKEN_HASH_SIZE);
        c->tags[set].tag[w] = record_tag(hash);
        c->tags[set].generation[w] = generation;
        e->used = ++c->clock;
}
