/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <zlib.h>

#include "macro.h"
#include "random-util.h"
#include "token.h"

static const char base62_alphabet[62] =
        "0123456789"
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        "abcdefghijklmnopqrstuvwxyz";

/* Largest multiple of 62 that fits in a byte: bytes at or above it are thrown away, so every
 * base62 character is equally likely (a plain "% 62" would favour the first 8 characters). */
#define BASE62_REJECT_FROM (256 / 62 * 62)

static bool is_base62(char c) {
        return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* Writes n uniformly distributed base62 characters (no terminator). */
static int random_base62(char *out, size_t n) {
        uint8_t pool[64];
        size_t filled = 0;
        int r = 0;

        while (filled < n) {
                r = random_bytes(pool, sizeof(pool));
                if (r < 0)
                        break;

                for (size_t i = 0; i < sizeof(pool) && filled < n; i++)
                        if (pool[i] < BASE62_REJECT_FROM)
                                out[filled++] = base62_alphabet[pool[i] % 62];
        }

        /* The pool held material of a secret. */
        explicit_bzero(pool, sizeof(pool));
        return r;
}

void base62_encode_u32(uint32_t v, char *out, size_t width) {
        /* Most significant digit first, zero-padded on the left.  If width is too small for v
         * only the low-order digits are kept; 6 digits hold any 32-bit value (62^6 > 2^32). */
        for (size_t i = width; i > 0; i--) {
                out[i - 1] = base62_alphabet[v % 62];
                v /= 62;
        }
}

static void token_checksum(const char *random_part, char out[static TOKEN_CHECKSUM_LEN]) {
        uLong crc;

        crc = crc32(0L, (const Bytef *) random_part, TOKEN_RANDOM_LEN);
        base62_encode_u32((uint32_t) crc, out, TOKEN_CHECKSUM_LEN);
}

int token_generate(char buf[static TOKEN_LEN + 1]) {
        char *random_part = buf + TOKEN_PREFIX_LEN;
        int r;

        memcpy(buf, TOKEN_PREFIX, TOKEN_PREFIX_LEN);

        r = random_base62(random_part, TOKEN_RANDOM_LEN);
        if (r < 0) {
                explicit_bzero(buf, TOKEN_LEN + 1);
                return r;
        }

        token_checksum(random_part, random_part + TOKEN_RANDOM_LEN);
        buf[TOKEN_LEN] = 0;
        return 0;
}

int token_check_format(const char *s) {
        char expected[TOKEN_CHECKSUM_LEN];
        unsigned bad_prefix = 0, bad_char = 0, bad_sum = 0;

        /* strnlen() so that a huge string is not read past what we need. */
        if (!s || strnlen(s, TOKEN_LEN + 1) != TOKEN_LEN)
                return -EINVAL;

        /* From here on no early exit: every character is looked at, whatever the first wrong
         * one is, so the time taken says nothing about how much of a guess was right. */
        for (size_t i = 0; i < TOKEN_PREFIX_LEN; i++)
                bad_prefix |= (unsigned) (s[i] ^ TOKEN_PREFIX[i]);

        for (size_t i = TOKEN_PREFIX_LEN; i < TOKEN_LEN; i++)
                bad_char |= !is_base62(s[i]);

        token_checksum(s + TOKEN_PREFIX_LEN, expected);
        for (size_t i = 0; i < TOKEN_CHECKSUM_LEN; i++)
                bad_sum |= (unsigned) (s[TOKEN_PREFIX_LEN + TOKEN_RANDOM_LEN + i] ^ expected[i]);

        if (bad_prefix | bad_char)
                return -EINVAL;
        if (bad_sum)
                return -EBADMSG;
        return 0;
}

/* SHA256() looks the algorithm up in OpenSSL's provider tables on every call; the token check
 * runs on every registry request, so fetch it once. */
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;
static EVP_MD *sha256_md;

static void sha256_fetch(void) {
        sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

/* ... and keep a digest context per thread: EVP_Digest() allocates and frees one per call,
 * a third of what hashing a token costs. */
static __thread EVP_MD_CTX *sha256_ctx;

static bool sha256_with_kept_context(const char *token, uint8_t out[static TOKEN_HASH_SIZE]) {
        if (!sha256_md)
                return false;
        if (!sha256_ctx)
                sha256_ctx = EVP_MD_CTX_new();
        return sha256_ctx && EVP_DigestInit_ex2(sha256_ctx, sha256_md, NULL) == 1 &&
               EVP_DigestUpdate(sha256_ctx, token, strlen(token)) == 1 &&
               EVP_DigestFinal_ex(sha256_ctx, out, NULL) == 1;
}

void token_hash(const char *token, uint8_t out[static TOKEN_HASH_SIZE]) {
        pthread_once(&sha256_once, sha256_fetch);
        if (!sha256_with_kept_context(token, out))
                SHA256((const unsigned char *) token, strlen(token), out);   /* same result, slower */
}

void token_display_prefix(const char *token, char out[static TOKEN_DISPLAY_LEN + 1]) {
        size_t n;

        /* A shorter (malformed) string is copied as far as it goes rather than over-read. */
        n = token ? strnlen(token, TOKEN_DISPLAY_LEN) : 0;
        if (n > 0)
                memcpy(out, token, n);
        out[n] = 0;
}

int token_id_generate(char buf[static TOKEN_ID_LEN + 1]) {
        const size_t prefix_len = strlen(TOKEN_ID_PREFIX);
        int r;

        memcpy(buf, TOKEN_ID_PREFIX, prefix_len);
        r = random_base62(buf + prefix_len, TOKEN_ID_LEN - prefix_len);
        if (r < 0) {
                buf[0] = 0;
                return r;
        }

        buf[TOKEN_ID_LEN] = 0;
        return 0;
}

bool token_id_is_valid(const char *s) {
        const size_t prefix_len = strlen(TOKEN_ID_PREFIX);

        if (!s || strnlen(s, TOKEN_ID_LEN + 1) != TOKEN_ID_LEN)
                return false;
        if (strncmp(s, TOKEN_ID_PREFIX, prefix_len) != 0)
                return false;

        for (size_t i = prefix_len; i < TOKEN_ID_LEN; i++)
                if (!is_base62(s[i]))
                        return false;

        return true;
}
