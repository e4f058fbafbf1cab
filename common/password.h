/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Password hashing with libxcrypt's yescrypt.
 *
 * Hashes are ordinary crypt(5) strings ("$y$j9T$<salt>$<hash>"), so they can be checked
 * with any libxcrypt and moved to or from /etc/shadow.  All functions are thread-safe: each
 * call hashes into its own struct crypt_data.
 *
 * Passphrases longer than libxcrypt accepts (CRYPT_MAX_PASSPHRASE_SIZE - 1 = 511 bytes) are
 * first reduced to a fixed string derived from their SHA-256 (see password.c), so every
 * password up to PASSWORD_MAX bytes can be set and checked. */

#include <stdbool.h>
#include <stddef.h>

#include "input-limits.h"   /* PASSWORD_MAX */
#define PASSWORD_MIN_DEFAULT    8       /* characters (UTF-8 code points) */

/* yescrypt's cost ("count" for crypt_gensalt): 1..11, logarithmic (each step doubles time and
 * memory); 0 means libxcrypt's default (currently 5). */
#define PASSWORD_COST_DEFAULT   0UL
#define PASSWORD_COST_MAX       11UL

/* Whether pw may be set as a new password: not empty, at least min_len characters (UTF-8 code
 * points, so "ünïcödé" counts 7), at most PASSWORD_MAX bytes.  Any other content is allowed.
 * Returns 0, or -EINVAL with *reason (may be NULL) pointing to a static, human-readable
 * sentence that never quotes the password. */
int password_check_acceptable(const char *pw, size_t min_len, const char **reason);

/* Hashes pw with yescrypt at the given cost (0 = library default) and a fresh random salt.
 * The hash is newly allocated in *ret.  Only the length limits are checked here (-EINVAL for
 * NULL, empty or more than PASSWORD_MAX bytes); the minimum length is policy, so call
 * password_check_acceptable() first.  Returns 0, -EINVAL (also for a cost out of range),
 * -ENOMEM, or another negative errno from libxcrypt. */
int password_hash(const char *pw, unsigned long cost, char **ret);

/* Checks pw against a crypt(5) hash.  Returns 1 on a match, 0 on a mismatch, a negative errno
 * on failure (-ENOMEM).  A hash that cannot match anything — NULL, empty, "*", "!…" (locked),
 * a setting libxcrypt rejects or considers legacy/too weak (crypt_checksalt()), garbage — is a
 * mismatch, never a crash.  An empty pw or one longer than PASSWORD_MAX bytes is a mismatch
 * too (it can never have been set); such a check returns quickly, but does so whether or not
 * the account exists.
 *
 * For an unknown account (or one without a password) verify against password_dummy_hash() at
 * the configured cost: it costs the same time as a wrong password, so timing does not tell
 * which accounts exist.  The comparison itself is constant-time. */
int password_verify(const char *pw, const char *hash);

/* A yescrypt hash, at the given cost, of a random password nobody knows; computed once per
 * cost per process and kept until exit (*ret must not be freed).  Returns 0, -EINVAL (cost out
 * of range), -ENOMEM or another negative errno. */
int password_dummy_hash(unsigned long cost, const char **ret);
