/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <liboath/oath.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>

#include "macro.h"
#include "utf8.h"
#include "random-util.h"
#include "erase.h"
#include "otp.h"

/* Crockford's base32 alphabet, lower case: no i, l, o (read as 1, 1, 0) and no u. */
static const char recovery_alphabet[32] = "0123456789abcdefghjkmnpqrstvwxyz";

/* liboath wants oath_init() before anything else; the daemon calls us from worker threads,
 * so do it exactly once, whoever comes first. */
static pthread_once_t oath_once = PTHREAD_ONCE_INIT;
static int oath_init_result = OATH_OK;

static void oath_init_once(void) {
        oath_init_result = oath_init();
}

static int oath_ensure_init(void) {
        int r;

        r = pthread_once(&oath_once, oath_init_once);
        if (r != 0)
                return -r;

        return oath_init_result == OATH_OK ? 0 : -EIO;
}

static int oath_to_errno(int r) {
        /* liboath's codes name its own failures; only running out of memory has a clear errno. */
        return r == OATH_MALLOC_ERROR ? -ENOMEM : -EIO;
}

static bool secret_size_ok(const uint8_t *secret, size_t n) {
        return secret && n >= TOTP_SECRET_MIN && n <= TOTP_SECRET_MAX;
}

int totp_secret_generate(uint8_t out[static TOTP_SECRET_SIZE]) {
        return random_bytes(out, TOTP_SECRET_SIZE);
}

int totp_secret_base32(const uint8_t *secret, size_t n, char **ret) {
        char *b32 = NULL;
        size_t len = 0;
        int r;

        if (!secret_size_ok(secret, n) || !ret)
                return -EINVAL;

        r = oath_ensure_init();
        if (r < 0)
                return r;

        r = oath_base32_encode((const char *) secret, n, &b32, &len);
        if (r != OATH_OK)
                return oath_to_errno(r);

        /* Authenticator apps (and the Key URI format) want the unpadded form. */
        while (len > 0 && b32[len - 1] == '=')
                b32[--len] = '\0';

        *ret = b32;
        return 0;
}

static bool label_part_is_valid(const char *s, size_t max) {
        size_t len;

        if (isempty(s))
                return false;

        len = strnlen(s, max + 1);
        if (len > max)
                return false;

        /* Anything that would look wrong in an authenticator app or a URI is refused. */
        return utf8_is_printable(s, len, false);
}

/* RFC 3986: unreserved characters stay, every other byte becomes %XX. */
static char *percent_encode(const char *s) {
        static const char hex[16] = "0123456789ABCDEF";
        char *ret, *q;

        ret = malloc(strlen(s) * 3 + 1);
        if (!ret)
                return NULL;

        q = ret;
        for (const uint8_t *p = (const uint8_t *) s; *p; p++) {
                if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
                    *p == '-' || *p == '.' || *p == '_' || *p == '~')
                        *q++ = (char) *p;
                else {
                        *q++ = '%';
                        *q++ = hex[*p >> 4];
                        *q++ = hex[*p & 0x0f];
                }
        }
        *q = '\0';

        return ret;
}

int totp_uri(const char *issuer, const char *account, const uint8_t *secret, size_t n, char **ret) {
        _cleanup_free_ char *issuer_enc = NULL, *account_enc = NULL;
        _cleanup_erase_ char *b32 = NULL;
        char *uri;
        int r;

        if (!ret)
                return -EINVAL;

        if (!issuer)
                issuer = TOTP_ISSUER_DEFAULT;

        /* The label is "<issuer>:<account>" and apps split it at the first ':'.  A ':' in the
         * account is harmless (it comes after the separator, and is encoded anyway). */
        if (!label_part_is_valid(issuer, TOTP_ISSUER_MAX) || strchr(issuer, ':'))
                return -EINVAL;
        if (!label_part_is_valid(account, TOTP_ACCOUNT_MAX))
                return -EINVAL;

        r = totp_secret_base32(secret, n, &b32);
        if (r < 0)
                return r;

        issuer_enc = percent_encode(issuer);
        account_enc = percent_encode(account);
        if (!issuer_enc || !account_enc)
                return -ENOMEM;

        /* The parameters are spelled out even though they are the defaults: some apps assume
         * other defaults, and an explicit URI says what the server checks. */
        if (asprintf(&uri, "otpauth://totp/%s:%s?secret=%s&issuer=%s&algorithm=SHA1&digits=%d&period=%d",
                     issuer_enc, account_enc, b32, issuer_enc, TOTP_DIGITS, TOTP_STEP) < 0)
                return -ENOMEM;

        *ret = uri;
        return 0;
}

bool otp_code_is_wellformed(const char *s) {
        if (!s)
                return false;

        /* strnlen: never walk a huge input just to learn that it is too long. */
        if (strnlen(s, TOTP_DIGITS + 1) != TOTP_DIGITS)
                return false;

        for (size_t i = 0; i < TOTP_DIGITS; i++)
                if (s[i] < '0' || s[i] > '9')
                        return false;

        return true;
}

/* What generating and verifying a code both need: a secret of a usable size (-EBADMSG), a
 * time after the epoch (-ERANGE) and liboath initialised. */
static int totp_prepare(const uint8_t *secret, size_t n, time_t now) {
        if (!secret_size_ok(secret, n))
                return -EBADMSG;
        if (now < 0)
                return -ERANGE;

        return oath_ensure_init();
}

int totp_generate(const uint8_t *secret, size_t n, time_t now, char out[static TOTP_DIGITS + 1]) {
        int r;

        r = totp_prepare(secret, n, now);
        if (r < 0)
                return r;

        r = oath_totp_generate2((const char *) secret, n, now, TOTP_STEP, OATH_TOTP_DEFAULT_START_TIME,
                                TOTP_DIGITS, 0 /* HMAC-SHA1 */, out);
        if (r != OATH_OK)
                return oath_to_errno(r);

        return 0;
}

int totp_counter_check_fresh(uint64_t counter, uint64_t last_used_counter) {
        return counter > last_used_counter ? 0 : -EALREADY;
}

/* liboath's strcmp-like callback: 0 on a match.  Both strings are exactly TOTP_DIGITS long
 * (the typed one was checked, the candidate is liboath's), and the comparison does not stop
 * at the first differing digit. */
static int code_compare(void *handle, const char *candidate) {
        const char *typed = handle;

        if (strnlen(candidate, TOTP_DIGITS + 1) != TOTP_DIGITS)
                return 1;

        return CRYPTO_memcmp(candidate, typed, TOTP_DIGITS) == 0 ? 0 : 1;
}

int totp_verify(const uint8_t *secret, size_t n, const char *code, time_t now,
                uint64_t last_used_counter, uint64_t *ret_counter) {
        uint64_t counter = 0, step;
        int pos = 0, r;

        if (!otp_code_is_wellformed(code))
                return -EINVAL;

        r = totp_prepare(secret, n, now);
        if (r < 0)
                return r;

        /* Time goes in as an argument (never the clock); liboath reports which step matched,
         * as an offset (pos) and as the absolute counter, so replay is left to us. */
        r = oath_totp_validate4_callback((const char *) secret, n, now, TOTP_STEP, OATH_TOTP_DEFAULT_START_TIME,
                                         TOTP_DIGITS, TOTP_WINDOW, &pos, &counter, 0 /* HMAC-SHA1 */,
                                         code_compare, (void *) code);
        if (r == OATH_INVALID_OTP)
                return -EACCES;
        if (r < 0)
                return oath_to_errno(r);

        /* In the first step after the epoch liboath wraps the previous step around to counter
         * 2^64-1.  No such step exists, so a match there is no match. */
        step = (uint64_t) now / TOTP_STEP;
        if (pos < 0 && step < (uint64_t) -pos)
                return -EACCES;

        /* Trust, but check: the counter we store must be the step that matched. */
        if (counter != step + (uint64_t) (int64_t) pos)
                return -EIO;

        r = totp_counter_check_fresh(counter, last_used_counter);
        if (r < 0)
                return r;

        if (ret_counter)
                *ret_counter = counter;
        return 0;
}

/* Recovery codes. */

static bool recovery_char_is_valid(char c) {
        return c != '\0' && memchr(recovery_alphabet, c, sizeof(recovery_alphabet));
}

static int recovery_code_generate_one(char **ret) {
        uint8_t rnd[RECOVERY_CODE_LEN];
        char buf[RECOVERY_CODE_DISPLAY_LEN + 1];
        size_t k = 0;
        int r;

        r = random_bytes(rnd, sizeof(rnd));
        if (r < 0)
                return r;

        /* 32 divides 256, so masking keeps every character equally likely: 5 bits each. */
        for (size_t i = 0; i < RECOVERY_CODE_LEN; i++) {
                if (i == RECOVERY_CODE_LEN / 2)
                        buf[k++] = '-';
                buf[k++] = recovery_alphabet[rnd[i] & 31];
        }
        buf[k] = '\0';

        *ret = strdup(buf);

        explicit_bzero(rnd, sizeof(rnd));
        explicit_bzero(buf, sizeof(buf));
        return *ret ? 0 : -ENOMEM;
}

void recovery_codes_free(char *codes[static RECOVERY_CODES_COUNT]) {
        for (size_t i = 0; i < RECOVERY_CODES_COUNT; i++) {
                erase_and_freep(&codes[i]);
                codes[i] = NULL;
        }
}

int recovery_codes_generate(char *codes[static RECOVERY_CODES_COUNT]) {
        int r;

        for (size_t i = 0; i < RECOVERY_CODES_COUNT; i++)
                codes[i] = NULL;

        for (size_t i = 0; i < RECOVERY_CODES_COUNT; i++) {
                bool dup = false;

                r = recovery_code_generate_one(&codes[i]);
                if (r < 0) {
                        recovery_codes_free(codes);
                        return r;
                }

                /* A repeat (chance about 2^-44 per set) would leave the user fewer codes than
                 * promised; draw that one again. */
                for (size_t j = 0; j < i; j++)
                        if (streq(codes[i], codes[j]))
                                dup = true;
                if (dup) {
                        erase_and_freep(&codes[i]);
                        codes[i] = NULL;
                        i--;
                }
        }

        return 0;
}

int recovery_code_normalize(const char *input, char out[static RECOVERY_CODE_LEN + 1]) {
        size_t k = 0;

        if (!input)
                return -EINVAL;

        for (const char *p = input; *p; p++) {
                char c = *p;

                if (c == ' ' || c == '-')
                        continue;

                /* Stop at the first surplus character: no need to read the rest. */
                if (k >= RECOVERY_CODE_LEN)
                        goto invalid;

                if (c >= 'A' && c <= 'Z')
                        c = (char) (c - 'A' + 'a');
                if (c == 'i' || c == 'l')
                        c = '1';
                else if (c == 'o')
                        c = '0';

                if (!recovery_char_is_valid(c))
                        goto invalid;

                out[k++] = c;
        }

        if (k != RECOVERY_CODE_LEN)
                goto invalid;

        out[k] = '\0';
        return 0;

invalid:
        /* out may hold most of a valid code by now. */
        explicit_bzero(out, RECOVERY_CODE_LEN + 1);
        return -EINVAL;
}

int recovery_code_hash(const char *normalized, uint8_t out[static RECOVERY_CODE_HASH_SIZE]) {
        if (!normalized || strnlen(normalized, RECOVERY_CODE_LEN + 1) != RECOVERY_CODE_LEN)
                return -EINVAL;
        for (size_t i = 0; i < RECOVERY_CODE_LEN; i++)
                if (!recovery_char_is_valid(normalized[i]))
                        return -EINVAL;

        /* A plain, unsalted SHA-256 on purpose.  Slow password hashes exist for secrets people
         * choose; these are 50 uniformly random bits chosen by us, so there is no dictionary to
         * run, and the hash is also the lookup key (no salt, so a code can be found without
         * knowing which of the ten it is).  Whoever can read the hashes can read the TOTP seeds
         * next to them, which are stored in recoverable form anyway; the hash only
         * has to keep the codes from being readable at a glance, in backups and in logs. */
        SHA256((const unsigned char *) normalized, RECOVERY_CODE_LEN, out);
        return 0;
}
