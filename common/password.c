/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <pthread.h>

#include "macro.h"
#include "random-util.h"
#include "password.h"
#include "utf8.h"

/* libxcrypt refuses (ERANGE) passphrases of CRYPT_MAX_PASSPHRASE_SIZE bytes or more, but we
 * promise PASSWORD_MAX.  Longer ones are replaced by this prefix plus the hex SHA-256 of the
 * whole passphrase, and that string is what yescrypt hashes.  Shorter ones go to libxcrypt
 * unchanged, so our hashes stay plain crypt(5) hashes.  The only passphrase that collides
 * with a long one is that exact string, which nobody can type without knowing SHA-256 of the
 * long passphrase, which is stored nowhere. */
#define PREHASH_PREFIX          "pkgtoken-sha256:"
#define PREHASH_LEN             (sizeof(PREHASH_PREFIX) - 1 + 2 * SHA256_DIGEST_LENGTH)

static pthread_mutex_t dummy_lock = PTHREAD_MUTEX_INITIALIZER;
static char *dummy_hashes[PASSWORD_COST_MAX + 1];

/* struct crypt_data is ~32 KiB (too big for a worker thread's stack, so it lives on the heap)
 * and holds the passphrase and intermediate state after use. */
static void crypt_data_freep(struct crypt_data **p) {
        if (!*p)
                return;

        explicit_bzero(*p, sizeof(**p));
        free(*p);
}
#define _cleanup_crypt_data_ _cleanup_(crypt_data_freep)

int password_check_acceptable(const char *pw, size_t min_len, const char **reason) {
        const char *why = NULL;
        size_t len = 0, chars = 0;

        if (!isempty(pw))
                len = strnlen(pw, PASSWORD_MAX + 1);

        /* Count code points, not bytes (invalid UTF-8 then counts per byte, which only errs
         * towards accepting).  Only done for a length we accept anyway. */
        if (len <= PASSWORD_MAX)
                chars = utf8_count_chars(pw, len);

        if (len == 0)
                why = "The password is empty.";
        else if (len > PASSWORD_MAX)
                why = "The password is longer than " STRINGIFY(PASSWORD_MAX) " bytes.";
        else if (chars < min_len)
                why = "The password is too short.";

        if (reason)
                *reason = why;
        return why ? -EINVAL : 0;
}

/* Fills buf with what libxcrypt hashes for pw (see PREHASH_PREFIX) and returns it. */
static const char *passphrase_for_crypt(const char *pw, size_t len, char buf[static PREHASH_LEN + 1]) {
        static const char hex[16] = "0123456789abcdef";
        uint8_t digest[SHA256_DIGEST_LENGTH];
        char *q;

        if (len < CRYPT_MAX_PASSPHRASE_SIZE)
                return pw;

        SHA256((const unsigned char *) pw, len, digest);

        q = stpcpy(buf, PREHASH_PREFIX);
        for (size_t i = 0; i < sizeof(digest); i++) {
                *q++ = hex[digest[i] >> 4];
                *q++ = hex[digest[i] & 0x0f];
        }
        *q = '\0';

        explicit_bzero(digest, sizeof(digest));
        return buf;
}

/* Runs yescrypt (or whatever method setting names) into cd; on success *ret points into cd.
 * -EINVAL when libxcrypt rejects the setting. */
static int crypt_into(const char *pw, size_t len, const char *setting, struct crypt_data *cd, const char **ret) {
        char buf[PREHASH_LEN + 1];
        const char *phrase, *out;
        int r = 0;

        phrase = passphrase_for_crypt(pw, len, buf);

        errno = 0;
        out = crypt_rn(phrase, setting, cd, (int) sizeof(*cd));
        if (!out || out[0] == '*')
                /* crypt_rn fails with NULL, but a "*…" failure token must never pass either. */
                r = errno > 0 ? -errno : -EINVAL;

        explicit_bzero(buf, sizeof(buf));
        if (r < 0)
                return r;

        *ret = out;
        return 0;
}

int password_hash(const char *pw, unsigned long cost, char **ret) {
        _cleanup_crypt_data_ struct crypt_data *cd = NULL;
        _cleanup_free_ char *setting = NULL;
        const char *out;
        char *hash;
        size_t len;
        int r;

        if (isempty(pw) || !ret || cost > PASSWORD_COST_MAX)
                return -EINVAL;

        len = strnlen(pw, PASSWORD_MAX + 1);
        if (len > PASSWORD_MAX)
                return -EINVAL;

        /* NULL rbytes: libxcrypt draws the salt from the kernel itself. */
        errno = 0;
        setting = crypt_gensalt_ra("$y$", cost, NULL, 0);
        if (!setting)
                return errno > 0 ? -errno : -EINVAL;

        cd = calloc(1, sizeof(*cd));
        if (!cd)
                return -ENOMEM;

        r = crypt_into(pw, len, setting, cd, &out);
        if (r < 0)
                return r;

        hash = strdup(out);
        if (!hash)
                return -ENOMEM;

        *ret = hash;
        return 0;
}

int password_verify(const char *pw, const char *hash) {
        _cleanup_crypt_data_ struct crypt_data *cd = NULL;
        const char *out;
        size_t len, hash_len;
        int r;

        /* Passwords we would never have hashed cannot match.  This does not depend on the
         * account, so answering early tells nothing about which accounts exist. */
        if (isempty(pw))
                return 0;
        len = strnlen(pw, PASSWORD_MAX + 1);
        if (len > PASSWORD_MAX)
                return 0;

        /* Locked ("!…"), disabled ("*"), empty, garbage, and methods libxcrypt itself calls
         * legacy (DES, MD5, …): no match, and no need to feed them to crypt_rn. */
        if (isempty(hash))
                return 0;
        hash_len = strnlen(hash, CRYPT_OUTPUT_SIZE);
        if (hash_len >= CRYPT_OUTPUT_SIZE)
                return 0;
        if (crypt_checksalt(hash) != CRYPT_SALT_OK)
                return 0;

        cd = calloc(1, sizeof(*cd));
        if (!cd)
                return -ENOMEM;

        r = crypt_into(pw, len, hash, cd, &out);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return 0;

        /* The length of crypt's output is fixed by the setting, so only the content is secret
         * and that is compared without an early exit. */
        if (strlen(out) != hash_len)
                return 0;

        return CRYPTO_memcmp(out, hash, hash_len) == 0;
}

static int dummy_hash_make(unsigned long cost, char **ret) {
        static const char hex[16] = "0123456789abcdef";
        uint8_t rnd[32];
        char pw[2 * sizeof(rnd) + 1];
        int r;

        r = random_bytes(rnd, sizeof(rnd));
        if (r < 0)
                return r;

        for (size_t i = 0; i < sizeof(rnd); i++) {
                pw[2 * i] = hex[rnd[i] >> 4];
                pw[2 * i + 1] = hex[rnd[i] & 0x0f];
        }
        pw[sizeof(pw) - 1] = '\0';

        r = password_hash(pw, cost, ret);

        explicit_bzero(rnd, sizeof(rnd));
        explicit_bzero(pw, sizeof(pw));
        return r;
}

int password_dummy_hash(unsigned long cost, const char **ret) {
        int r = 0;

        if (!ret || cost > PASSWORD_COST_MAX)
                return -EINVAL;

        /* One hash per cost for the life of the process: the daemon may be reconfigured, and
         * the dummy must always cost what a real hash at the current setting costs.  The lock
         * is held while hashing, so concurrent first callers wait instead of racing; that
         * happens once per cost, and the daemon may call this at startup to take it early. */
        pthread_mutex_lock(&dummy_lock);
        if (!dummy_hashes[cost])
                r = dummy_hash_make(cost, &dummy_hashes[cost]);
        if (r >= 0)
                *ret = dummy_hashes[cost];
        pthread_mutex_unlock(&dummy_lock);

        return r;
}
