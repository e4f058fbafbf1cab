/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* libFuzzer target for the token format (common/token.c): the format check, the display
 * prefix, the hash, public ids and base62, each against an invariant computed here
 * independently. */

#include <errno.h>
#include <openssl/sha.h>
#include <zlib.h>

#include "fuzz.h"
#include "macro.h"
#include "token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char base62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static int base62_value(char c) {
        const char *p = c ? strchr(base62, c) : NULL;
        return p ? (int) (p - base62) : -1;
}

static bool all_base62(const char *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (base62_value(s[i]) < 0)
                        return false;
        return true;
}

/* Whether s has a token's shape: the checksum aside, token_check_format() must accept it. */
static bool token_shape_is_right(const char *s) {
        return strlen(s) == TOKEN_LEN &&
               memcmp(s, TOKEN_PREFIX, TOKEN_PREFIX_LEN) == 0 &&
               all_base62(s + TOKEN_PREFIX_LEN, TOKEN_RANDOM_LEN + TOKEN_CHECKSUM_LEN);
}

static void check_format(const char *s) {
        char fixed[TOKEN_LEN + 1];
        uint32_t crc;
        int r;

        r = token_check_format(s);
        fuzz_assert(r == 0 || r == -EINVAL || r == -EBADMSG);
        fuzz_assert((r != -EINVAL) == token_shape_is_right(s));
        if (r == -EINVAL)
                return;

        /* The same random part with the checksum computed here is a good token, and it is s
         * exactly when s was accepted. */
        memcpy(fixed, s, TOKEN_LEN + 1);
        crc = (uint32_t) crc32(0L, (const Bytef *) s + TOKEN_PREFIX_LEN, TOKEN_RANDOM_LEN);
        base62_encode_u32(crc, fixed + TOKEN_PREFIX_LEN + TOKEN_RANDOM_LEN, TOKEN_CHECKSUM_LEN);
        fuzz_assert(token_check_format(fixed) == 0);
        fuzz_assert((r == 0) == streq(fixed, s));

        /* One wrong checksum character is caught. */
        if (r == 0) {
                char *last = &fixed[TOKEN_LEN - 1];
                *last = base62[(base62_value(*last) + 1) % 62];
                fuzz_assert(token_check_format(fixed) == -EBADMSG);
        }
}

static void check_display_prefix(const char *s) {
        char out[TOKEN_DISPLAY_LEN + 1];
        size_t n = strnlen(s, TOKEN_DISPLAY_LEN);

        memset(out, 'X', sizeof out);
        token_display_prefix(s, out);
        fuzz_assert(strlen(out) == n);
        fuzz_assert(memcmp(out, s, n) == 0);
}

static void check_hash(const char *s) {
        uint8_t a[TOKEN_HASH_SIZE], b[SHA256_DIGEST_LENGTH];

        token_hash(s, a);
        SHA256((const unsigned char *) s, strlen(s), b);
        fuzz_assert(memcmp(a, b, sizeof a) == 0);
}

static void check_id(const char *s) {
        bool valid = strlen(s) == TOKEN_ID_LEN &&
                     strncmp(s, TOKEN_ID_PREFIX, strlen(TOKEN_ID_PREFIX)) == 0 &&
                     all_base62(s + strlen(TOKEN_ID_PREFIX), TOKEN_ID_LEN - strlen(TOKEN_ID_PREFIX));

        fuzz_assert(token_id_is_valid(s) == valid);
}

/* base62_encode_u32() keeps the low-order `width` digits: decoding them gives v modulo
 * 62^width, and 6 digits hold every 32-bit value. */
static void check_base62(const uint8_t *data, size_t size) {
        char out[8];
        uint64_t decoded = 0, modulus = 1;
        uint32_t v;
        size_t width;

        if (size < 5)
                return;
        memcpy(&v, data, sizeof v);
        width = data[4] % 7;    /* 0..6 */

        memset(out, 0, sizeof out);
        base62_encode_u32(v, out, width);
        fuzz_assert(strlen(out) == width);
        for (size_t i = 0; i < width; i++) {
                int d = base62_value(out[i]);
                fuzz_assert(d >= 0);
                decoded = decoded * 62 + (uint64_t) d;
                modulus *= 62;
        }
        fuzz_assert(decoded == v % modulus);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = fuzz_strndup(data, size);

        check_format(s);
        check_display_prefix(s);
        check_hash(s);
        check_id(s);
        check_base62(data, size);

        free(s);
        return 0;
}
