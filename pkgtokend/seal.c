/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include "erase.h"
#include "macro.h"
#include "io-util.h"
#include "random-util.h"
#include "seal.h"

bool seal_is_sealed(const uint8_t *blob, size_t n) {
        return n > SEAL_OVERHEAD && memcmp(blob, SEAL_MAGIC, SEAL_MAGIC_SIZE) == 0;
}

static void cipher_ctx_freep(EVP_CIPHER_CTX **c) {
        EVP_CIPHER_CTX_free(*c);
}

/* The account's row id is the additional authenticated data: a sealed seed copied into another
 * account's row fails to open. */
static void owner_aad(int64_t owner, uint8_t aad[static 8]) {
        for (unsigned i = 0; i < 8; i++)
                aad[i] = (uint8_t) ((uint64_t) owner >> (56 - 8 * i));
}

/* An AES-256-GCM context for sealing (encrypt) or opening with key and nonce, the owner's
 * id already fed in as additional data. */
static int cipher_begin(const SealKey *key, const uint8_t *nonce, int64_t owner, bool encrypt,
                        EVP_CIPHER_CTX **ret) {
        _cleanup_(cipher_ctx_freep) EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
        uint8_t aad[8];
        int len;

        if (!c)
                return -ENOMEM;
        owner_aad(owner, aad);
        if (EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key->bytes, nonce, encrypt) != 1 ||
            EVP_CipherUpdate(c, NULL, &len, aad, sizeof aad) != 1)
                return -EIO;
        *ret = c;
        c = NULL;
        return 0;
}

int seal_seed(const SealKey *key, int64_t owner, const uint8_t *seed, size_t n, uint8_t *out, size_t out_size) {
        _cleanup_(cipher_ctx_freep) EVP_CIPHER_CTX *c = NULL;
        uint8_t *nonce = out + SEAL_MAGIC_SIZE, *body = nonce + SEAL_NONCE_SIZE;
        int len, r;

        if (n == 0 || n > INT32_MAX || out_size < n + SEAL_OVERHEAD)
                return -EINVAL;
        memcpy(out, SEAL_MAGIC, SEAL_MAGIC_SIZE);
        /* 96 random bits per seal: a seed is sealed a handful of times in its life. */
        r = random_bytes(nonce, SEAL_NONCE_SIZE);
        if (r >= 0)
                r = cipher_begin(key, nonce, owner, /* encrypt= */ true, &c);
        if (r < 0)
                return r;
        if (EVP_EncryptUpdate(c, body, &len, seed, (int) n) != 1 ||
            EVP_EncryptFinal_ex(c, body + len, &len) != 1 ||
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, SEAL_TAG_SIZE, body + n) != 1)
                return -EIO;
        return (int) (n + SEAL_OVERHEAD);
}

int seal_open(const SealKey *key, int64_t owner, const uint8_t *blob, size_t n, uint8_t *out, size_t out_size) {
        _cleanup_(cipher_ctx_freep) EVP_CIPHER_CTX *c = NULL;
        const uint8_t *nonce = blob + SEAL_MAGIC_SIZE, *body = nonce + SEAL_NONCE_SIZE;
        size_t size;
        int len, r;

        if (!seal_is_sealed(blob, n))
                return -EBADMSG;
        size = n - SEAL_OVERHEAD;
        if (out_size < size || size > INT32_MAX)
                return -ENOBUFS;
        r = cipher_begin(key, nonce, owner, /* encrypt= */ false, &c);
        if (r < 0)
                return r;
        if (EVP_DecryptUpdate(c, out, &len, body, (int) size) != 1 ||
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, SEAL_TAG_SIZE, (void *) (body + size)) != 1)
                return -EIO;
        if (EVP_DecryptFinal_ex(c, out + len, &len) != 1) {
                erase_memory(out, size);
                return -EBADMSG;   /* wrong key, altered, or moved to another account */
        }
        return (int) size;
}

int seal_key_load(const char *path, SealKey *ret) {
        uint8_t buf[SEAL_KEY_SIZE + 1];
        struct stat st;
        ssize_t n;
        int fd;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0) {
                n = -errno;
                close(fd);
                return (int) n;
        }
        if (!S_ISREG(st.st_mode) || (st.st_mode & 0077) != 0) {
                close(fd);
                return -EPERM;
        }
        n = read(fd, buf, sizeof buf);
        close(fd);
        if (n != SEAL_KEY_SIZE) {
                erase_memory(buf, sizeof buf);
                return n < 0 ? -EIO : -EBADMSG;
        }
        memcpy(ret->bytes, buf, SEAL_KEY_SIZE);
        erase_memory(buf, sizeof buf);
        return 0;
}

int seal_key_create(const char *path, SealKey *ret) {
        SealKey k;
        int fd, r;

        r = random_bytes(k.bytes, sizeof k.bytes);
        if (r < 0)
                return r;
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0400);
        if (fd < 0) {
                r = -errno;
                seal_key_erase(&k);
                return r;
        }
        /* On disk before any seed is sealed with it: a key lost in a crash would lose seeds. */
        if (write(fd, k.bytes, sizeof k.bytes) != (ssize_t) sizeof k.bytes || fsync(fd) < 0) {
                r = errno > 0 ? -errno : -EIO;
                close(fd);
                (void) unlink(path);
                seal_key_erase(&k);
                return r;
        }
        close(fd);
        r = fsync_parent_directory(path);
        if (r < 0) {
                seal_key_erase(&k);
                return r;
        }
        *ret = k;
        seal_key_erase(&k);
        return 0;
}

void seal_key_erase(SealKey *key) {
        erase_memory(key, sizeof *key);
}
