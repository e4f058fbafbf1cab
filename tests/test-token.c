/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Token format, checksum, hash and public ids (common/token.c).
 *
 * The known-answer vectors below were computed independently (Python's zlib.crc32 and
 * hashlib.sha256), not with the code under test. */

#include <stdio.h>
#include <stdlib.h>

#include "macro.h"
#include "tap.h"
#include "token.h"

#define N_GENERATED 1000

static const char base62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static const struct {
        const char *token;
        const char *sha256_hex;
} known_tokens[] = {
        /* crc32 = 0xdfc6f27b */
        { "pkgt_abcdefghijklmnopqrstuvwxyz0123456789464tr9",
          "a7973dafe9374008ea346df0868b48367b167c209d4c074242f98189c8e007a9" },
        /* crc32 = 0x240431a2; also a random part of repeated characters */
        { "pkgt_0000000000000000000000000000000000000etOEM",
          "b39d9a81918e299038f14fe143d206712d90d9dad7ec41cd32167c4a1859dd37" },
        { "pkgt_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz1ej79G",
          "307b906da6dcb33082893637af1e7d01cc4f7f5e99c318baaacbbfceed13cf18" },
        /* crc32 = 0x0011b7fb: the checksum needs two characters of zero padding */
        { "pkgt_Z0Yx8Qm2LkP9rT4vWb7NcE1hJ6gFs3dU5aHq004s5D",
          "a3a0580d34524deae3334ab7924cbc54d5567265109f5a1a35d26f42bba96503" },
};

static void hex(const uint8_t *b, size_t n, char *out) {
        for (size_t i = 0; i < n; i++)
                sprintf(out + 2 * i, "%02x", b[i]);
}

static bool all_base62(const char *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (!s[i] || !strchr(base62, s[i]))
                        return false;
        return true;
}

static void test_base62_encode(void) {
        static const struct {
                uint32_t v;
                size_t width;
                const char *expected;
        } cases[] = {
                { 0,          6, "000000" },
                { 61,         6, "00000z" },
                { 62,         6, "000010" },
                { 3843,       6, "0000zz" },
                { 3844,       6, "000100" },
                { 916132832,  6, "100000" },   /* 62^5 */
                { 0xcbf43926, 6, "3jZRME" },   /* crc32("123456789") */
                { UINT32_MAX, 6, "4gfFC3" },   /* the largest checksum still fits in 6 */
                { 61,         2, "0z" },
                { 3844,       2, "00" },       /* only the low-order digits when too narrow */
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char buf[16];

                memset(buf, '#', sizeof(buf));
                base62_encode_u32(cases[i].v, buf, cases[i].width);
                CHECK(buf[cases[i].width] == '#', "base62(%u, %zu) writes exactly %zu characters",
                      cases[i].v, cases[i].width, cases[i].width);
                buf[cases[i].width] = 0;
                CHECK_STR_EQ(buf, cases[i].expected, "base62(%u, %zu)", cases[i].v, cases[i].width);
        }
}

static void test_known_tokens(void) {
        for (size_t i = 0; i < ELEMENTSOF(known_tokens); i++) {
                uint8_t h[TOKEN_HASH_SIZE];
                char h_hex[2 * TOKEN_HASH_SIZE + 1];

                CHECK_INT_EQ(token_check_format(known_tokens[i].token), 0,
                             "known token %zu has a valid checksum", i);

                token_hash(known_tokens[i].token, h);
                hex(h, sizeof(h), h_hex);
                CHECK_STR_EQ(h_hex, known_tokens[i].sha256_hex, "sha256 of known token %zu", i);
        }
}

static void test_sha256_vector(void) {
        uint8_t h[TOKEN_HASH_SIZE];
        char h_hex[2 * TOKEN_HASH_SIZE + 1];

        token_hash("abc", h);
        hex(h, sizeof(h), h_hex);
        CHECK_STR_EQ(h_hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                     "sha256(\"abc\") (FIPS 180-2 vector)");

        token_hash("", h);
        hex(h, sizeof(h), h_hex);
        CHECK_STR_EQ(h_hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                     "sha256(\"\")");
}

static int strcmp_ptr(const void *a, const void *b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

/* Sorts and reports whether any two of the n strings are equal. */
static bool all_distinct(char **l, size_t n) {
        qsort(l, n, sizeof(char *), strcmp_ptr);
        for (size_t i = 1; i < n; i++)
                if (streq(l[i - 1], l[i]))
                        return false;
        return true;
}

static void test_generate(void) {
        static char tokens[N_GENERATED][TOKEN_LEN + 1];
        char *sorted[N_GENERATED];
        size_t gen_failed = 0, bad_len = 0, bad_prefix = 0, bad_alphabet = 0, bad_check = 0;

        for (size_t i = 0; i < N_GENERATED; i++) {
                if (token_generate(tokens[i]) < 0) {
                        gen_failed++;
                        tokens[i][0] = 0;
                        continue;
                }

                bad_len += strlen(tokens[i]) != TOKEN_LEN;
                bad_prefix += strncmp(tokens[i], "pkgt_", 5) != 0;
                bad_alphabet += !all_base62(tokens[i] + TOKEN_PREFIX_LEN,
                                            TOKEN_RANDOM_LEN + TOKEN_CHECKSUM_LEN);
                bad_check += token_check_format(tokens[i]) != 0;
                sorted[i] = tokens[i];
        }

        CHECK_INT_EQ(gen_failed, 0, "%d tokens generated", N_GENERATED);
        CHECK_INT_EQ(bad_len, 0, "every generated token is %d characters long", TOKEN_LEN);
        CHECK_INT_EQ(bad_prefix, 0, "every generated token starts with pkgt_");
        CHECK_INT_EQ(bad_alphabet, 0, "every generated token is base62 after the prefix");
        CHECK_INT_EQ(bad_check, 0, "every generated token passes token_check_format()");
        CHECK(all_distinct(sorted, N_GENERATED), "%d generated tokens are distinct", N_GENERATED);

}

/* Rejection sampling must make all 62 characters equally likely.  A plain "byte % 62" would
 * draw the first 8 characters 5/4 as often.  720000 draws: each character is expected
 * 11613 times with a standard deviation of about 107; modulo bias would add about 2450 to
 * the first eight.  The bounds are 7 standard deviations wide, so this does not fail by
 * chance, yet catches the bias. */
static void test_uniformity(void) {
        const size_t n_tokens = 20000;
        const double expected = (double) n_tokens * TOKEN_RANDOM_LEN / 62;
        unsigned long seen[256] = {};
        size_t off = 0;

        for (size_t i = 0; i < n_tokens; i++) {
                char t[TOKEN_LEN + 1];

                if (token_generate(t) < 0)
                        break;
                for (size_t j = TOKEN_PREFIX_LEN; j < TOKEN_PREFIX_LEN + TOKEN_RANDOM_LEN; j++)
                        seen[(uint8_t) t[j]]++;
        }

        for (size_t i = 0; i < 62; i++) {
                double c = (double) seen[(uint8_t) base62[i]];

                if (c < expected - 750 || c > expected + 750) {
                        tap_diag("character '%c' drawn %.0f times, expected about %.0f",
                                 base62[i], c, expected);
                        off++;
                }
        }
        CHECK_INT_EQ(off, 0, "all 62 characters drawn equally often in %zu tokens", n_tokens);
}

/* Every single-character substitution at every position of the random part and the checksum,
 * with every other base62 character, must be caught as a checksum error: CRC32 catches all
 * single-byte errors, and a changed checksum cannot equal the right one. */
static size_t count_undetected_substitutions(const char *token, size_t pos) {
        char t[TOKEN_LEN + 1];
        size_t undetected = 0;

        for (const char *c = base62; *c; c++) {
                if (*c == token[pos])
                        continue;

                memcpy(t, token, sizeof(t));
                t[pos] = *c;
                if (token_check_format(t) != -EBADMSG)
                        undetected++;
        }

        return undetected;
}

static void test_substitutions(void) {
        const char *token = known_tokens[0].token;
        size_t total = 0;

        for (size_t pos = TOKEN_PREFIX_LEN; pos < TOKEN_LEN; pos++) {
                size_t u = count_undetected_substitutions(token, pos);

                CHECK_INT_EQ(u, 0, "all 61 substitutions at position %zu (%s part) give -EBADMSG", pos,
                             pos < TOKEN_PREFIX_LEN + TOKEN_RANDOM_LEN ? "random" : "checksum");
        }

        /* The same for fresh tokens, summarised. */
        for (size_t i = 0; i < 50; i++) {
                char fresh[TOKEN_LEN + 1];

                if (token_generate(fresh) < 0) {
                        total++;
                        continue;
                }
                for (size_t pos = TOKEN_PREFIX_LEN; pos < TOKEN_LEN; pos++)
                        total += count_undetected_substitutions(fresh, pos);
        }
        CHECK_INT_EQ(total, 0, "all substitutions in 50 fresh tokens give -EBADMSG");
}

/* Swapping two adjacent different characters must be caught.  Inside the random part CRC32
 * catches it (a burst shorter than 32 bits); inside the checksum the string simply differs.
 * A swap across the boundary changes both at once, which a CRC cannot rule out in general,
 * so it is checked only for the known vectors (verified independently) and not for random
 * tokens. */
static size_t count_undetected_transpositions(const char *token, bool include_boundary) {
        size_t undetected = 0;

        for (size_t i = TOKEN_PREFIX_LEN; i + 1 < TOKEN_LEN; i++) {
                char t[TOKEN_LEN + 1];

                if (token[i] == token[i + 1])
                        continue;
                if (!include_boundary && i + 1 == TOKEN_PREFIX_LEN + TOKEN_RANDOM_LEN)
                        continue;

                memcpy(t, token, sizeof(t));
                t[i] = token[i + 1];
                t[i + 1] = token[i];
                if (token_check_format(t) != -EBADMSG) {
                        tap_diag("transposition at %zu not caught in %.9s...", i, token);
                        undetected++;
                }
        }

        return undetected;
}

static void test_transpositions(void) {
        size_t total = 0;

        CHECK_INT_EQ(count_undetected_transpositions(known_tokens[0].token, true), 0,
                     "every adjacent transposition in a known token gives -EBADMSG");
        CHECK_INT_EQ(count_undetected_transpositions(known_tokens[3].token, true), 0,
                     "every adjacent transposition in a second known token gives -EBADMSG");

        for (size_t i = 0; i < N_GENERATED; i++) {
                char fresh[TOKEN_LEN + 1];

                if (token_generate(fresh) < 0) {
                        total++;
                        continue;
                }
                total += count_undetected_transpositions(fresh, false);
        }
        CHECK_INT_EQ(total, 0, "adjacent transpositions in %d fresh tokens give -EBADMSG", N_GENERATED);
}

static void test_malformed(void) {
        const char *good = known_tokens[0].token;
        char t[TOKEN_LEN + 2];
        _cleanup_free_ char *huge = NULL;
        static const char bad_chars[] = { '-', '_', ' ', '+', '/', '=', '.', '\x7f', '\x80', '\xff' };

        CHECK_INT_EQ(token_check_format(NULL), -EINVAL, "NULL is malformed");
        CHECK_INT_EQ(token_check_format(""), -EINVAL, "\"\" is malformed");
        CHECK_INT_EQ(token_check_format("pkgt_"), -EINVAL, "the bare prefix is malformed");

        /* Wrong prefixes of the right length, with an otherwise correct body. */
        static const char * const prefixes[] = { "pkgx_", "PKGT_", "pkgt-", "ghp_x", "npm_x", "\x01kgt_" };
        for (size_t i = 0; i < ELEMENTSOF(prefixes); i++) {
                memcpy(t, good, TOKEN_LEN + 1);
                memcpy(t, prefixes[i], TOKEN_PREFIX_LEN);
                CHECK_INT_EQ(token_check_format(t), -EINVAL, "prefix #%zu is malformed", i);
        }

        /* One character too short and one too long. */
        memcpy(t, good, TOKEN_LEN + 1);
        t[TOKEN_LEN - 1] = 0;
        CHECK_INT_EQ(token_check_format(t), -EINVAL, "a token one character short is malformed");
        memcpy(t, good, TOKEN_LEN);
        t[TOKEN_LEN] = 'a';
        t[TOKEN_LEN + 1] = 0;
        CHECK_INT_EQ(token_check_format(t), -EINVAL, "a token one character long is malformed");

        /* A character outside the alphabet anywhere in the body is a format error, not a
         * checksum error, even in the checksum itself. */
        size_t not_einval = 0;
        for (size_t pos = TOKEN_PREFIX_LEN; pos < TOKEN_LEN; pos++)
                for (size_t i = 0; i < ELEMENTSOF(bad_chars); i++) {
                        memcpy(t, good, TOKEN_LEN + 1);
                        t[pos] = bad_chars[i];
                        if (token_check_format(t) != -EINVAL)
                                not_einval++;
                }
        CHECK_INT_EQ(not_einval, 0, "non-base62 characters at every body position give -EINVAL");

        /* Both a bad character and a bad checksum: the format error wins. */
        memcpy(t, good, TOKEN_LEN + 1);
        t[TOKEN_PREFIX_LEN] = '-';
        t[TOKEN_LEN - 1] = t[TOKEN_LEN - 1] == 'a' ? 'b' : 'a';
        CHECK_INT_EQ(token_check_format(t), -EINVAL, "bad character plus bad checksum gives -EINVAL");

        /* 100 KB: once arbitrary bytes, once a valid token followed by junk. */
        huge = malloc(100 * 1024 + 1);
        if (CHECK(huge, "allocated 100 KB")) {
                memset(huge, 'a', 100 * 1024);
                huge[100 * 1024] = 0;
                CHECK_INT_EQ(token_check_format(huge), -EINVAL, "a 100 KB string is malformed");
                memcpy(huge, good, TOKEN_LEN);
                CHECK_INT_EQ(token_check_format(huge), -EINVAL,
                             "a valid token followed by 100 KB of junk is malformed");
        }
}

static void test_display_prefix(void) {
        char out[TOKEN_DISPLAY_LEN + 1];

        token_display_prefix(known_tokens[0].token, out);
        CHECK_STR_EQ(out, "pkgt_abcd", "display prefix is pkgt_ plus 4 characters");

        token_display_prefix("pk", out);
        CHECK_STR_EQ(out, "pk", "display prefix of a short string is the string");

        token_display_prefix(NULL, out);
        CHECK_STR_EQ(out, "", "display prefix of NULL is empty");
}

static void test_ids(void) {
        static char ids[N_GENERATED][TOKEN_ID_LEN + 1];
        char *sorted[N_GENERATED];
        size_t bad = 0;

        for (size_t i = 0; i < N_GENERATED; i++) {
                if (token_id_generate(ids[i]) < 0 || !token_id_is_valid(ids[i]) ||
                    strlen(ids[i]) != TOKEN_ID_LEN || strncmp(ids[i], "tk_", 3) != 0 ||
                    !all_base62(ids[i] + 3, TOKEN_ID_LEN - 3))
                        bad++;
                sorted[i] = ids[i];
        }
        CHECK_INT_EQ(bad, 0, "%d generated ids are tk_ + 12 base62 characters and valid", N_GENERATED);
        CHECK(all_distinct(sorted, N_GENERATED), "%d generated ids are distinct", N_GENERATED);

        CHECK(token_id_is_valid("tk_0123456789Az"), "tk_0123456789Az is a valid id");

        static const char * const invalid[] = {
                "", "tk_", "tk_0123456789A", "tk_0123456789Azz", "TK_0123456789Az", "tk-0123456789Az",
                "tk_0123456789A-", "tk_0123456789A ", "tk_01234567 9Az", "pkgt_abcdefghij",
                "pkgt_abcdefghijklmnopqrstuvwxyz0123456789464tr9",
        };
        for (size_t i = 0; i < ELEMENTSOF(invalid); i++)
                CHECK(!token_id_is_valid(invalid[i]), "\"%s\" is not a valid id", invalid[i]);
        CHECK(!token_id_is_valid(NULL), "NULL is not a valid id");
}

int main(void) {
        test_base62_encode();
        test_sha256_vector();
        test_known_tokens();
        test_generate();
        test_uniformity();
        test_substitutions();
        test_transpositions();
        test_malformed();
        test_display_prefix();
        test_ids();

        return tap_finish();
}
