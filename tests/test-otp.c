/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* TOTP and recovery codes (common/otp.c), with time injected.
 *
 * The known answers come from the RFCs (RFC 6238 Appendix B, RFC 4226 Appendix D), from
 * Python's base64.b32encode and hashlib.sha256, not from the code under test. */

#include <liboath/oath.h>
#include <stdio.h>
#include <stdlib.h>

#include "macro.h"
#include "erase.h"
#include "otp.h"
#include "tap.h"

/* The RFC 4226 / RFC 6238 (SHA1) test secret. */
static const uint8_t rfc_secret[20] = "12345678901234567890";
#define RFC_SECRET_BASE32 "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

/* Python: hashlib.sha256(b"abcdefghjk").hexdigest() */
#define RECOVERY_KAT_CODE "abcdefghjk"
#define RECOVERY_KAT_SHA256 "22f3f00d7f9cfe6eeefa9b71bdcb093a9080fcf4981d2dbf932648fa15a2d793"

static void hex(const uint8_t *p, size_t n, char *out) {
        for (size_t i = 0; i < n; i++)
                sprintf(out + 2 * i, "%02x", p[i]);
}

static void test_rfc6238(void) {
        /* RFC 6238 Appendix B, SHA1 column: 8-digit values, of which a 6-digit TOTP is the
         * last six digits (both are the same truncated HMAC modulo 10^digits). */
        static const struct {
                time_t t;
                const char *totp8;
        } v[] = {
                { 59,          "94287082" },
                { 1111111109,  "07081804" },
                { 1111111111,  "14050471" },
                { 1234567890,  "89005924" },
                { 2000000000,  "69279037" },
                { 20000000000, "65353130" },
        };

        for (size_t i = 0; i < ELEMENTSOF(v); i++) {
                char code[TOTP_DIGITS + 1] = "";
                uint64_t counter = 0;

                CHECK_INT_EQ(totp_generate(rfc_secret, sizeof(rfc_secret), v[i].t, code), 0,
                             "RFC 6238 generate t=%lld", (long long) v[i].t);
                CHECK_STR_EQ(code, v[i].totp8 + 2, "RFC 6238 t=%lld gives %s", (long long) v[i].t, v[i].totp8 + 2);

                CHECK_INT_EQ(totp_verify(rfc_secret, sizeof(rfc_secret), v[i].totp8 + 2, v[i].t, 0, &counter), 0,
                             "RFC 6238 verify t=%lld", (long long) v[i].t);
                CHECK_INT_EQ(counter, (uint64_t) v[i].t / 30, "RFC 6238 t=%lld matched counter t/30", (long long) v[i].t);
        }
}

static void test_rfc4226(void) {
        /* RFC 4226 Appendix D: HOTP(counter) for counters 0..9.  TOTP at t = counter*30 is
         * HOTP(counter). */
        static const char *hotp[10] = {
                "755224", "287082", "359152", "969429", "338314",
                "254676", "287922", "162583", "399871", "520489",
        };

        for (uint64_t c = 0; c < ELEMENTSOF(hotp); c++) {
                char code[TOTP_DIGITS + 1] = "";
                uint64_t counter = UINT64_MAX;
                time_t t = (time_t) c * TOTP_STEP;

                CHECK_INT_EQ(totp_generate(rfc_secret, sizeof(rfc_secret), t, code), 0, "RFC 4226 generate counter %llu", (unsigned long long) c);
                CHECK_STR_EQ(code, hotp[c], "RFC 4226 counter %llu", (unsigned long long) c);
                /* Also at the last second of the step. */
                CHECK_INT_EQ(totp_generate(rfc_secret, sizeof(rfc_secret), t + TOTP_STEP - 1, code), 0, "generate end of step");
                CHECK_STR_EQ(code, hotp[c], "RFC 4226 counter %llu at the end of its step", (unsigned long long) c);

                if (c == 0) {
                        /* 0 means "no code used yet", so counter 0 is never fresh (documented;
                         * real times have huge counters). */
                        CHECK_INT_EQ(totp_verify(rfc_secret, sizeof(rfc_secret), hotp[c], t, 0, &counter), -EALREADY,
                                     "RFC 4226 counter 0 is never fresh");
                        continue;
                }

                CHECK_INT_EQ(totp_verify(rfc_secret, sizeof(rfc_secret), hotp[c], t, 0, &counter), 0,
                             "RFC 4226 verify counter %llu", (unsigned long long) c);
                CHECK_INT_EQ(counter, c, "RFC 4226 matched counter %llu", (unsigned long long) c);
        }
}

static void test_window(void) {
        /* Mid-step, at a step's first second and at its last second. */
        static const time_t nows[] = { 1111111111, 1111111110, 1111111139 };

        for (size_t i = 0; i < ELEMENTSOF(nows); i++) {
                time_t now = nows[i];
                uint64_t step = (uint64_t) now / TOTP_STEP;

                for (int k = -2; k <= 2; k++) {
                        char code[TOTP_DIGITS + 1];
                        uint64_t counter = 0;
                        int r;

                        CHECK_INT_EQ(totp_generate(rfc_secret, sizeof(rfc_secret), now + k * TOTP_STEP, code), 0, "generate");
                        r = totp_verify(rfc_secret, sizeof(rfc_secret), code, now, 0, &counter);
                        if (k >= -TOTP_WINDOW && k <= TOTP_WINDOW) {
                                CHECK_INT_EQ(r, 0, "now=%lld: code of step %+d accepted", (long long) now, k);
                                CHECK_INT_EQ(counter, step + (uint64_t) (int64_t) k,
                                             "now=%lld: step %+d reports its own counter", (long long) now, k);
                        } else
                                CHECK_INT_EQ(r, -EACCES, "now=%lld: code of step %+d refused", (long long) now, k);
                }
        }

        /* The first step after the epoch has no previous step: liboath's wrapped-around
         * counter 2^64-1 must not count. */
        char wrapped[TOTP_DIGITS + 1];
        CHECK_INT_EQ(oath_hotp_generate((const char *) rfc_secret, sizeof(rfc_secret), UINT64_MAX, TOTP_DIGITS,
                                        false, OATH_HOTP_DYNAMIC_TRUNCATION, wrapped), OATH_OK, "HOTP(2^64-1)");
        CHECK_INT_EQ(totp_verify(rfc_secret, sizeof(rfc_secret), wrapped, 0, 0, NULL), -EACCES,
                     "no step before the epoch");
        CHECK_INT_EQ(totp_verify(rfc_secret, sizeof(rfc_secret), wrapped, 29, 0, NULL), -EACCES,
                     "no step before the epoch (end of step 0)");
}

static void test_wrong_and_errors(void) {
        const time_t now = 1234567890;
        char code[TOTP_DIGITS + 1], wrong[TOTP_DIGITS + 1];
        uint64_t counter = 4242;

        CHECK_INT_EQ(totp_generate(rfc_secret, sizeof(rfc_secret), now, code), 0, "generate");
        memcpy(wrong, code, sizeof(wrong));
        wrong[5] = (char) ('0' + (wrong[5] - '0' + 1) % 10);
        CHECK_INT_EQ(totp_verify(rfc_secret, sizeof(rfc_secret), wrong, now, 0, &counter), -EACCES, "wrong code refused");
        CHECK_INT_EQ(counter, 4242, "no counter reported for a wrong code");

        uint8_t other[TOTP_SECRET_SIZE];
        memcpy(other, rfc_secret, sizeof(other));
        other[0] ^= 1;
        CHECK_INT_EQ(totp_verify(other, sizeof(other), code, now, 0, NULL), -EACCES, "other secret refuses the code");

        CHECK_INT_EQ(totp_verify(rfc_secret, 0, code, now, 0, NULL), -EBADMSG, "empty secret");
        CHECK_INT_EQ(totp_verify(rfc_secret, TOTP_SECRET_MIN - 1, code, now, 0, NULL), -EBADMSG, "short secret");
        CHECK_INT_EQ(totp_verify(NULL, 20, code, now, 0, NULL), -EBADMSG, "NULL secret");
        CHECK_INT_EQ(totp_verify(rfc_secret, sizeof(rfc_secret), code, -1, 0, NULL), -ERANGE, "time before the epoch");
        CHECK_INT_EQ(totp_generate(rfc_secret, sizeof(rfc_secret), -1, code), -ERANGE, "generate before the epoch");
        CHECK_INT_EQ(totp_generate(rfc_secret, TOTP_SECRET_MAX + 1, now, code), -EBADMSG, "generate with a long secret");
}

static void test_replay(void) {
        const time_t now = 2000000000;
        char code[TOTP_DIGITS + 1], older[TOTP_DIGITS + 1], newer[TOTP_DIGITS + 1];
        uint64_t c = 0, c2 = 0;

        CHECK_INT_EQ(totp_generate(rfc_secret, sizeof(rfc_secret), now, code), 0, "generate");
        CHECK_INT_EQ(totp_generate(rfc_secret, sizeof(rfc_secret), now - TOTP_STEP, older), 0, "generate older");
        CHECK_INT_EQ(totp_generate(rfc_secret, sizeof(rfc_secret), now + TOTP_STEP, newer), 0, "generate newer");

        CHECK_INT_EQ(totp_verify(rfc_secret, sizeof(rfc_secret), code, now, 0, &c), 0, "first use accepted");
        CHECK_INT_EQ(c, (uint64_t) now / TOTP_STEP, "first use reports the current counter");

        CHECK_INT_EQ(totp_verify(rfc_secret, sizeof(rfc_secret), code, now, c, NULL), -EALREADY, "same code again: replay");
        CHECK_INT_EQ(totp_verify(rfc_secret, sizeof(rfc_secret), code, now + 10, c, NULL), -EALREADY,
                     "same code again a little later: replay");
        CHECK_INT_EQ(totp_verify(rfc_secret, sizeof(rfc_secret), older, now, c, NULL), -EALREADY,
                     "older code inside the window after a newer one: refused");
        CHECK_INT_EQ(totp_verify(rfc_secret, sizeof(rfc_secret), code, now, c - 1, NULL), 0,
                     "same code with an older last counter: accepted");

        CHECK_INT_EQ(totp_verify(rfc_secret, sizeof(rfc_secret), newer, now, c, &c2), 0, "next step's code accepted");
        CHECK_INT_EQ(c2, c + 1, "next step's counter");
        CHECK_INT_EQ(totp_verify(rfc_secret, sizeof(rfc_secret), code, now + TOTP_STEP, c2, NULL), -EALREADY,
                     "after the next step's code, the current one is refused");

        CHECK_INT_EQ(totp_counter_check_fresh(5, 4), 0, "counter 5 after 4 is fresh");
        CHECK_INT_EQ(totp_counter_check_fresh(5, 5), -EALREADY, "counter 5 after 5 is a replay");
        CHECK_INT_EQ(totp_counter_check_fresh(4, 5), -EALREADY, "counter 4 after 5 is a replay");
        CHECK_INT_EQ(totp_counter_check_fresh(1, 0), 0, "counter 1 with none used is fresh");
        CHECK_INT_EQ(totp_counter_check_fresh(0, 0), -EALREADY, "counter 0 is never fresh");
        CHECK_INT_EQ(totp_counter_check_fresh(UINT64_MAX, UINT64_MAX - 1), 0, "no overflow at the top");
}

static void test_malformed(void) {
        static const char *bad[] = {
                "", "12345", "1234567", "12a456", " 123456", "123456 ", "123456\n", "\n123456",
                "-12345", "+12345", "12 456", "１２３４５６" /* fullwidth */, "١٢٣٤٥٦" /* Arabic-Indic */,
                "abcdef", "0x1234",
        };
        const time_t now = 1111111111;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                CHECK(!otp_code_is_wellformed(bad[i]), "malformed code #%zu is not well-formed", i);
                CHECK_INT_EQ(totp_verify(rfc_secret, sizeof(rfc_secret), bad[i], now, 0, NULL), -EINVAL,
                             "malformed code #%zu refused with -EINVAL", i);
        }

        CHECK(!otp_code_is_wellformed(NULL), "NULL is not well-formed");
        CHECK_INT_EQ(totp_verify(rfc_secret, sizeof(rfc_secret), NULL, now, 0, NULL), -EINVAL, "NULL code");

        /* "1234567" with an embedded NUL is "123456" to C, and fine. */
        CHECK(otp_code_is_wellformed("123456\0" "7"), "a C string ends at NUL");
        CHECK(otp_code_is_wellformed("000000"), "leading zeros are fine");

        /* A megabyte of digits (its first six are even the right code). */
        size_t n = 1024 * 1024;
        char *big = malloc(n + 1);
        if (CHECK(big, "allocate 1 MiB")) {
                CHECK_INT_EQ(totp_generate(rfc_secret, sizeof(rfc_secret), now, big), 0, "generate into big");
                memset(big + TOTP_DIGITS, '7', n - TOTP_DIGITS);
                big[n] = '\0';
                CHECK(!otp_code_is_wellformed(big), "1 MiB of digits is not well-formed");
                CHECK_INT_EQ(totp_verify(rfc_secret, sizeof(rfc_secret), big, now, 0, NULL), -EINVAL, "1 MiB code refused");
        }
        free(big);
}

/* Syntax check for what we produce: "otpauth://totp/" label "?" query, only unreserved
 * characters, the delimiters we use and %XX with upper-case hex; one unencoded ':' in the
 * label; the fixed parameters at the end. */
static bool uri_is_wellformed(const char *uri) {
        const char *p, *q;
        size_t colons = 0, questions = 0;

        if (strncmp(uri, "otpauth://totp/", 15) != 0)
                return false;

        for (p = uri + 15; *p; p++) {
                if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
                    strchr("-._~", *p))
                        continue;
                if (*p == '%') {
                        if (!p[1] || !p[2] || !strchr("0123456789ABCDEF", p[1]) || !strchr("0123456789ABCDEF", p[2]))
                                return false;
                        p += 2;
                        continue;
                }
                if (*p == ':' && questions == 0) {
                        colons++;
                        continue;
                }
                if (*p == '?') {
                        questions++;
                        continue;
                }
                if ((*p == '=' || *p == '&') && questions == 1)
                        continue;
                return false;
        }
        if (colons != 1 || questions != 1)
                return false;

        q = strchr(uri, '?');
        if (strncmp(q, "?secret=", 8) != 0)
                return false;
        p = strstr(q, "&issuer=");
        if (!p)
                return false;
        return strstr(p, "&algorithm=SHA1&digits=6&period=30") && *(strstr(p, "&algorithm=") + 34) == '\0';
}

static int unhex(char c) {
        return c >= '0' && c <= '9' ? c - '0' : c - 'A' + 10;
}

/* Decodes the account part of the label (between the ':' and the '?'). */
static char *uri_account(const char *uri) {
        const char *p = strchr(uri + 15, ':') + 1, *end = strchr(uri, '?');
        char *ret = malloc((size_t) (end - p) + 1), *q = ret;

        for (; p < end; p++) {
                if (*p == '%') {
                        *q++ = (char) (unhex(p[1]) * 16 + unhex(p[2]));
                        p += 2;
                } else
                        *q++ = *p;
        }
        *q = '\0';
        return ret;
}

static void test_uri(void) {
        char *uri = NULL;

        CHECK_INT_EQ(totp_uri(NULL, "alice", rfc_secret, sizeof(rfc_secret), &uri), 0, "URI with default issuer");
        CHECK_STR_EQ(uri, "otpauth://totp/pkgtoken:alice?secret=" RFC_SECRET_BASE32
                     "&issuer=pkgtoken&algorithm=SHA1&digits=6&period=30", "URI for alice");
        free(uri);
        uri = NULL;

        CHECK_INT_EQ(totp_uri("ACME Registry", "alice", rfc_secret, sizeof(rfc_secret), &uri), 0, "URI with issuer");
        CHECK_STR_EQ(uri, "otpauth://totp/ACME%20Registry:alice?secret=" RFC_SECRET_BASE32
                     "&issuer=ACME%20Registry&algorithm=SHA1&digits=6&period=30", "issuer encoded in label and query");
        free(uri);
        uri = NULL;

        static const StringPair accounts[] = {
                { "alice smith",        "alice%20smith" },
                { "a:b",                "a%3Ab" },
                { "jörg",               "j%C3%B6rg" },
                { "ümlaut-ß_~.x",       "%C3%BCmlaut-%C3%9F_~.x" },
                { "a@example.com",      "a%40example.com" },
                { "x/y?z&w=1#f%",       "x%2Fy%3Fz%26w%3D1%23f%25" },
                { "日本",               "%E6%97%A5%E6%9C%AC" },
                { "😀",                 "%F0%9F%98%80" },
        };
        for (size_t i = 0; i < ELEMENTSOF(accounts); i++) {
                _cleanup_free_ char *expected = NULL, *decoded = NULL;

                CHECK_INT_EQ(totp_uri("pkgtoken", accounts[i].in, rfc_secret, sizeof(rfc_secret), &uri), 0,
                             "URI for account #%zu", i);
                if (asprintf(&expected, "otpauth://totp/pkgtoken:%s?secret=%s&issuer=pkgtoken&algorithm=SHA1&digits=6&period=30",
                             accounts[i].out, RFC_SECRET_BASE32) < 0)
                        abort();
                CHECK_STR_EQ(uri, expected, "account #%zu percent-encoded", i);
                CHECK(uri && uri_is_wellformed(uri), "URI for account #%zu is well-formed", i);
                decoded = uri ? uri_account(uri) : NULL;
                CHECK_STR_EQ(decoded, accounts[i].in, "account #%zu decodes back", i);
                free(uri);
                uri = NULL;
        }

        char issuer64[65], issuer65[66], account256[257], account257[258];
        memset(issuer64, 'i', 64), issuer64[64] = '\0';
        memset(issuer65, 'i', 65), issuer65[65] = '\0';
        memset(account256, 'a', 256), account256[256] = '\0';
        memset(account257, 'a', 257), account257[257] = '\0';

        CHECK_INT_EQ(totp_uri(issuer64, account256, rfc_secret, sizeof(rfc_secret), &uri), 0, "64-byte issuer, 256-byte account");
        CHECK(uri && uri_is_wellformed(uri), "longest URI is well-formed");
        free(uri);
        uri = NULL;

        static const char *bad_issuers[] = {
                "", "a:b", ":", "tab\there", "new\nline", "del\x7f", "c1\xc2\x85", "bad\xff", "trunc\xc3",
                "overlong\xc0\xaf", "surrogate\xed\xa0\x80", "big\xf4\x90\x80\x80", "cont\x80",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad_issuers); i++)
                CHECK_INT_EQ(totp_uri(bad_issuers[i], "alice", rfc_secret, sizeof(rfc_secret), &uri), -EINVAL,
                             "bad issuer #%zu refused", i);
        CHECK_INT_EQ(totp_uri(issuer65, "alice", rfc_secret, sizeof(rfc_secret), &uri), -EINVAL, "65-byte issuer refused");

        static const char *bad_accounts[] = { "", "new\nline", "nul\x01", "esc\x1b[0m", "bad\xfe", "c1\xc2\x9f" };
        for (size_t i = 0; i < ELEMENTSOF(bad_accounts); i++)
                CHECK_INT_EQ(totp_uri("pkgtoken", bad_accounts[i], rfc_secret, sizeof(rfc_secret), &uri), -EINVAL,
                             "bad account #%zu refused", i);
        CHECK_INT_EQ(totp_uri("pkgtoken", NULL, rfc_secret, sizeof(rfc_secret), &uri), -EINVAL, "NULL account refused");
        CHECK_INT_EQ(totp_uri("pkgtoken", account257, rfc_secret, sizeof(rfc_secret), &uri), -EINVAL, "257-byte account refused");
        CHECK_INT_EQ(totp_uri("pkgtoken", "alice", rfc_secret, 0, &uri), -EINVAL, "empty secret refused");
        CHECK_INT_EQ(totp_uri("pkgtoken", "alice", NULL, 20, &uri), -EINVAL, "NULL secret refused");
        CHECK(!uri, "nothing returned on errors");

        /* Random bytes as issuer and account: either refused or well-formed, never anything else. */
        unsigned produced = 0, refused = 0, malformed = 0;
        srand(4226);
        for (unsigned i = 0; i < 2000; i++) {
                char issuer[16], account[24];
                int r;

                for (size_t j = 0; j < sizeof(issuer) - 1; j++)
                        issuer[j] = (char) (rand() % 255 + 1);
                issuer[sizeof(issuer) - 1] = '\0';
                for (size_t j = 0; j < sizeof(account) - 1; j++)
                        /* Mostly ASCII so that some pass the checks. */
                        account[j] = (char) (rand() % 8 == 0 ? rand() % 255 + 1 : rand() % 95 + 32);
                account[sizeof(account) - 1] = '\0';
                if (i % 2 == 0)
                        for (size_t j = 0; j < sizeof(issuer) - 1; j++)
                                issuer[j] = (char) (rand() % 95 + 32);

                r = totp_uri(issuer, account, rfc_secret, sizeof(rfc_secret), &uri);
                if (r == -EINVAL)
                        refused++;
                else if (r == 0 && uri_is_wellformed(uri))
                        produced++;
                else
                        malformed++;
                free(uri);
                uri = NULL;
        }
        CHECK_INT_EQ(malformed, 0, "random labels: %u URIs produced, %u refused, none malformed", produced, refused);
        CHECK(produced > 0 && refused > 0, "random labels exercise both outcomes");
}

static void test_secret(void) {
        uint8_t a[TOTP_SECRET_SIZE], b[TOTP_SECRET_SIZE];
        _cleanup_erase_ char *b32 = NULL;
        char *decoded = NULL;
        size_t decoded_len = 0;

        CHECK_INT_EQ(totp_secret_generate(a), 0, "generate secret");
        CHECK_INT_EQ(totp_secret_generate(b), 0, "generate another secret");
        CHECK(memcmp(a, b, sizeof(a)) != 0, "two secrets differ");

        CHECK_INT_EQ(totp_secret_base32(rfc_secret, sizeof(rfc_secret), &b32), 0, "base32 of the RFC secret");
        CHECK_STR_EQ(b32, RFC_SECRET_BASE32, "base32 matches Python's b32encode");
        erase_and_freep(&b32);
        b32 = NULL;

        CHECK_INT_EQ(totp_secret_base32(a, sizeof(a), &b32), 0, "base32 of a random secret");
        CHECK(b32 && strlen(b32) == 32 && !strchr(b32, '='), "32 characters, no padding");
        CHECK_INT_EQ(oath_base32_decode(b32, strlen(b32), &decoded, &decoded_len), OATH_OK, "decodes with liboath");
        CHECK(decoded_len == sizeof(a) && memcmp(decoded, a, sizeof(a)) == 0, "base32 round trip");
        free(decoded);
        decoded = NULL;
        erase_and_freep(&b32);
        b32 = NULL;

        /* 16 bytes need padding in RFC 4648; we leave it out and liboath still decodes it. */
        CHECK_INT_EQ(totp_secret_base32(a, 16, &b32), 0, "base32 of 16 bytes");
        CHECK(b32 && strlen(b32) == 26 && !strchr(b32, '='), "26 characters, padding stripped");
        CHECK_INT_EQ(oath_base32_decode(b32, strlen(b32), &decoded, &decoded_len), OATH_OK, "unpadded decodes");
        CHECK(decoded_len == 16 && memcmp(decoded, a, 16) == 0, "unpadded round trip");
        free(decoded);

        char *x = NULL;
        CHECK_INT_EQ(totp_secret_base32(a, 0, &x), -EINVAL, "base32 of nothing refused");
        CHECK_INT_EQ(totp_secret_base32(a, TOTP_SECRET_MAX + 1, &x), -EINVAL, "base32 of too much refused");

        /* A generated secret works end to end. */
        char code[TOTP_DIGITS + 1];
        uint64_t c = 0;
        CHECK_INT_EQ(totp_generate(a, sizeof(a), 1700000000, code), 0, "code from a random secret");
        CHECK_INT_EQ(totp_verify(a, sizeof(a), code, 1700000000, 0, &c), 0, "and it verifies");
        CHECK_INT_EQ(c, 1700000000 / 30, "with the right counter");
}

static void test_recovery(void) {
        static const char alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";
        char *codes[RECOVERY_CODES_COUNT];
        bool seen[256] = {};
        bool shape = true, distinct = true, normal = true;

        CHECK_INT_EQ(recovery_codes_generate(codes), 0, "generate recovery codes");
        for (size_t i = 0; i < RECOVERY_CODES_COUNT; i++) {
                char n[RECOVERY_CODE_LEN + 1];

                if (!codes[i] || strlen(codes[i]) != RECOVERY_CODE_DISPLAY_LEN || codes[i][5] != '-')
                        shape = false;
                else
                        for (size_t j = 0; j < RECOVERY_CODE_DISPLAY_LEN; j++)
                                if (j != 5 && !strchr(alphabet, codes[i][j]))
                                        shape = false;
                for (size_t j = 0; j < i; j++)
                        if (streq_ptr(codes[i], codes[j]))
                                distinct = false;
                if (recovery_code_normalize(codes[i], n) < 0 || strlen(n) != RECOVERY_CODE_LEN ||
                    strncmp(n, codes[i], 5) != 0 || strcmp(n + 5, codes[i] + 6) != 0)
                        normal = false;
        }
        CHECK(shape, "codes look like xxxxx-xxxxx in the alphabet");
        CHECK(distinct, "10 distinct codes");
        CHECK(normal, "each code normalises to itself without the dash");
        recovery_codes_free(codes);
        CHECK(!codes[0] && !codes[RECOVERY_CODES_COUNT - 1], "freed codes are NULL");

        /* Every character of the alphabet turns up (10000 draws; missing one has a chance of
         * about 32·(31/32)^10000, i.e. never). */
        for (unsigned k = 0; k < 100; k++) {
                if (recovery_codes_generate(codes) < 0)
                        break;
                for (size_t i = 0; i < RECOVERY_CODES_COUNT; i++)
                        for (const char *p = codes[i]; *p; p++)
                                seen[(uint8_t) *p] = true;
                recovery_codes_free(codes);
        }
        bool all = true;
        for (const char *p = alphabet; *p; p++)
                all = all && seen[(uint8_t) *p];
        CHECK(all, "all 32 characters are used");
        CHECK(!seen['i'] && !seen['l'] && !seen['o'] && !seen['u'], "i, l, o, u never appear");

        static const StringPair good[] = {
                { "abcde-fghjk",        "abcdefghjk" },
                { "ABCDE-fghjk",        "abcdefghjk" },
                { "ABCDE-FGHJK",        "abcdefghjk" },
                { "abcdefghjk",         "abcdefghjk" },
                { " abcde fghjk ",      "abcdefghjk" },
                { "ab-cd-ef-gh-jk",     "abcdefghjk" },
                { "ABCDE-fghij",        "abcdefgh1j" },  /* i read as 1 */
                { "OoOoO-IiLl1",        "0000011111" },
                { "zzzzz-00000",        "zzzzz00000" },
        };
        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                char n[RECOVERY_CODE_LEN + 1] = "";

                CHECK_INT_EQ(recovery_code_normalize(good[i].in, n), 0, "normalise good code #%zu", i);
                CHECK_STR_EQ(n, good[i].out, "good code #%zu normalises as expected", i);
        }

        static const char *bad[] = {
                "", "-----", "abcde-fghj", "abcde-fghjkm", "abcde-fghju", "abcde-fghj!", "abcde_fghjk",
                "abcde\tfghjk", "ábcde-fghj", "abcde-fghj\n", "abcde-fghjk-0",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                char n[RECOVERY_CODE_LEN + 1];

                CHECK_INT_EQ(recovery_code_normalize(bad[i], n), -EINVAL, "bad recovery code #%zu refused", i);
        }
        char n[RECOVERY_CODE_LEN + 1];
        CHECK_INT_EQ(recovery_code_normalize(NULL, n), -EINVAL, "NULL recovery code refused");

        size_t len = 1024 * 1024;
        char *big = malloc(len + 1);
        if (CHECK(big, "allocate 1 MiB")) {
                memset(big, 'a', len);
                big[len] = '\0';
                CHECK_INT_EQ(recovery_code_normalize(big, n), -EINVAL, "1 MiB recovery code refused");
        }
        free(big);

        uint8_t h1[RECOVERY_CODE_HASH_SIZE], h2[RECOVERY_CODE_HASH_SIZE], h3[RECOVERY_CODE_HASH_SIZE];
        char h1_hex[2 * RECOVERY_CODE_HASH_SIZE + 1];
        CHECK_INT_EQ(recovery_code_hash(RECOVERY_KAT_CODE, h1), 0, "hash a code");
        hex(h1, sizeof(h1), h1_hex);
        CHECK_STR_EQ(h1_hex, RECOVERY_KAT_SHA256, "hash is SHA-256 of the normalised code");
        CHECK_INT_EQ(recovery_code_normalize("ABCDE-FGHJK", n), 0, "normalise for hashing");
        CHECK_INT_EQ(recovery_code_hash(n, h2), 0, "hash the normalised typed form");
        CHECK(memcmp(h1, h2, sizeof(h1)) == 0, "typed and stored forms hash the same");
        CHECK_INT_EQ(recovery_code_hash("abcdefghjm", h3), 0, "hash another code");
        CHECK(memcmp(h1, h3, sizeof(h1)) != 0, "different codes hash differently");
        CHECK_INT_EQ(recovery_code_hash("ABCDE-FGHJK", h3), -EINVAL, "hash refuses the display form");
        CHECK_INT_EQ(recovery_code_hash("abcdefghji", h3), -EINVAL, "hash refuses a non-alphabet character");
        CHECK_INT_EQ(recovery_code_hash("abcdefghj", h3), -EINVAL, "hash refuses a short code");
        CHECK_INT_EQ(recovery_code_hash(NULL, h3), -EINVAL, "hash refuses NULL");
}

int main(void) {
        test_rfc6238();
        test_rfc4226();
        test_window();
        test_wrong_and_errors();
        test_replay();
        test_malformed();
        test_uri();
        test_secret();
        test_recovery();
        return tap_finish();
}
