/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Sealing TOTP seeds: the one secret the store must keep in recoverable form.  Each seed is
 * encrypted with AES-256-GCM under a key that lives outside the database (a systemd
 * credential, or a key file only the daemon can read), bound to its account's row id, so a
 * copy of tokens.db without the key yields no seed and a sealed seed moved to another row
 * does not open.  See docs/ARCHITECTURE.md, "Secrets at rest". */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SEAL_KEY_SIZE   32
#define SEAL_MAGIC      "PKS1"
#define SEAL_MAGIC_SIZE 4
#define SEAL_NONCE_SIZE 12
#define SEAL_TAG_SIZE   16
#define SEAL_OVERHEAD   (SEAL_MAGIC_SIZE + SEAL_NONCE_SIZE + SEAL_TAG_SIZE)

/* The file name of the key: as a systemd credential ($CREDENTIALS_DIRECTORY/NAME) and in the
 * state directory when the daemon makes its own. */
#define SEAL_KEY_CREDENTIAL "totp-seal-key"
#define SEAL_KEY_FILENAME   "totp-seal.key"

typedef struct SealKey {
        uint8_t bytes[SEAL_KEY_SIZE];
} SealKey;

/* Whether blob is in the sealed format (as opposed to a seed stored before sealing). */
bool seal_is_sealed(const uint8_t *blob, size_t n);

/* Seals n bytes of seed for the account with row id owner into out (n + SEAL_OVERHEAD bytes
 * of room).  Returns the sealed size or a negative errno. */
int seal_seed(const SealKey *key, int64_t owner, const uint8_t *seed, size_t n, uint8_t *out, size_t out_size);

/* Opens what seal_seed() made.  Returns the seed's size, -EBADMSG when the key is wrong or
 * the blob was altered or moved, another negative errno on failure. */
int seal_open(const SealKey *key, int64_t owner, const uint8_t *blob, size_t n, uint8_t *out, size_t out_size);

/* Reads a key file: exactly SEAL_KEY_SIZE bytes, a regular file that group and others cannot
 * read.  -ENOENT when missing, -EPERM when too open, -EBADMSG when of the wrong size. */
int seal_key_load(const char *path, SealKey *ret);

/* Creates path with a fresh random key (mode 0400, O_EXCL: never overwrites a key). */
int seal_key_create(const char *path, SealKey *ret);

void seal_key_erase(SealKey *key);
