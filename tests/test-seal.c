/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Sealed TOTP seeds (pkgtokend/seal.c): a round trip, and every way a seal must fail to open:
 * the wrong key, another account's row, a flipped byte, a truncated blob; key files that are
 * missing, too open or of the wrong size; a key file never overwritten. */

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "seal.h"
#include "tap.h"

static const uint8_t seed[20] = "12345678901234567890";

static void fill_key(SealKey *k, uint8_t v) {
        memset(k->bytes, v, sizeof k->bytes);
}

static void test_round_trip(void) {
        uint8_t sealed[64], opened[64];
        SealKey key, other;
        int n, m;

        fill_key(&key, 0x11);
        fill_key(&other, 0x22);

        CHECK(!seal_is_sealed(seed, sizeof seed), "a plain 20-byte seed is not taken for a sealed one");
        n = seal_seed(&key, 7, seed, sizeof seed, sealed, sizeof sealed);
        CHECK_INT_EQ(n, (int) (sizeof seed + SEAL_OVERHEAD), "sealed size is the seed plus the overhead");
        CHECK(seal_is_sealed(sealed, (size_t) n), "the sealed form is recognised");
        CHECK(memmem(sealed, (size_t) n, seed, sizeof seed) == NULL, "the seed does not appear in the sealed form");

        m = seal_open(&key, 7, sealed, (size_t) n, opened, sizeof opened);
        CHECK_INT_EQ(m, (int) sizeof seed, "opens with the right key and owner");
        CHECK(m == (int) sizeof seed && memcmp(opened, seed, sizeof seed) == 0, "gives back the seed");

        CHECK_INT_EQ(seal_open(&other, 7, sealed, (size_t) n, opened, sizeof opened), -EBADMSG,
                     "the wrong key does not open it");
        CHECK_INT_EQ(seal_open(&key, 8, sealed, (size_t) n, opened, sizeof opened), -EBADMSG,
                     "another account's row does not open it");
        for (int i = 0; i < n; i++) {
                uint8_t copy[64];
                memcpy(copy, sealed, (size_t) n);
                copy[i] ^= 0x01;
                if (seal_open(&key, 7, copy, (size_t) n, opened, sizeof opened) >= 0) {
                        CHECK(false, "a flipped bit at byte %d is detected", i);
                        return;
                }
        }
        CHECK(true, "a flipped bit anywhere is detected");
        CHECK(seal_open(&key, 7, sealed, (size_t) n - 1, opened, sizeof opened) < 0, "a truncated seal does not open");
        CHECK_INT_EQ(seal_open(&key, 7, sealed, (size_t) n, opened, 4), -ENOBUFS, "a short buffer is refused");

        uint8_t again[64];
        CHECK_INT_EQ(seal_seed(&key, 7, seed, sizeof seed, again, sizeof again), n, "sealing again works");
        CHECK(memcmp(again, sealed, (size_t) n) != 0, "two seals of one seed differ (fresh nonce)");
        CHECK_INT_EQ(seal_seed(&key, 7, seed, sizeof seed, again, 20), -EINVAL, "no room: refused");
}

static void write_file(const char *path, const void *p, size_t n, mode_t mode) {
        int fd;

        (void) unlink(path);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
        if (fd < 0 || write(fd, p, n) != (ssize_t) n)
                abort();
        close(fd);
        if (chmod(path, mode) < 0)
                abort();
}

static void test_key_files(void) {
        char dir[] = "/tmp/test-seal-XXXXXX", path[64];
        uint8_t bytes[SEAL_KEY_SIZE + 1];
        SealKey a, b;
        struct stat st;

        if (!mkdtemp(dir))
                abort();
        snprintf(path, sizeof path, "%s/key", dir);
        memset(bytes, 0x5a, sizeof bytes);

        CHECK_INT_EQ(seal_key_load(path, &a), -ENOENT, "a missing key file: -ENOENT");
        CHECK_INT_EQ(seal_key_create(path, &a), 0, "a key file is created");
        CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0400 && st.st_size == SEAL_KEY_SIZE,
              "it is 32 bytes, mode 0400");
        CHECK_INT_EQ(seal_key_load(path, &b), 0, "it loads");
        CHECK(memcmp(a.bytes, b.bytes, SEAL_KEY_SIZE) == 0, "it loads what was created");
        CHECK_INT_EQ(seal_key_create(path, &b), -EEXIST, "an existing key is never overwritten");

        write_file(path, bytes, SEAL_KEY_SIZE, 0644);
        CHECK_INT_EQ(seal_key_load(path, &a), -EPERM, "a key readable by others is refused");
        write_file(path, bytes, SEAL_KEY_SIZE - 1, 0600);
        CHECK_INT_EQ(seal_key_load(path, &a), -EBADMSG, "a short key is refused");
        write_file(path, bytes, SEAL_KEY_SIZE + 1, 0600);
        CHECK_INT_EQ(seal_key_load(path, &a), -EBADMSG, "a long key is refused");
        write_file(path, bytes, SEAL_KEY_SIZE, 0600);
        CHECK_INT_EQ(seal_key_load(path, &a), 0, "a 0600 key of the right size loads");

        seal_key_erase(&a);
        CHECK(a.bytes[0] == 0 && a.bytes[SEAL_KEY_SIZE - 1] == 0, "seal_key_erase wipes the key");
        (void) unlink(path);
        (void) rmdir(dir);
}

int main(void) {
        test_round_trip();
        test_key_files();
        return tap_finish();
}
