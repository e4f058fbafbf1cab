/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Token format:
 *
 *     pkgt_ <36 base62 random characters> <6 base62 characters of CRC32(random part)>
 *
 * 36 base62 characters carry 214 random bits; the first 4 are shown as the display prefix
 * ("pkgt_Ab3d"), which leaves 190 bits unknown to anybody who sees a listing.  The checksum
 * lets a secret scanner recognise a leaked token and catches a typo without a database
 * lookup.  Only SHA-256 of the whole token string is stored. */

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#define TOKEN_PREFIX            "pkgt_"
#define TOKEN_PREFIX_LEN        5
#define TOKEN_RANDOM_LEN        36
#define TOKEN_CHECKSUM_LEN      6
#define TOKEN_LEN               (TOKEN_PREFIX_LEN + TOKEN_RANDOM_LEN + TOKEN_CHECKSUM_LEN)
#define TOKEN_DISPLAY_LEN       (TOKEN_PREFIX_LEN + 4)
#define TOKEN_HASH_SIZE         32

/* Public token ids: "tk_" + 12 base62 characters; listable, revocable by, not secret. */
#define TOKEN_ID_PREFIX         "tk_"
#define TOKEN_ID_LEN            (3 + 12)

/* Fills buf (TOKEN_LEN + 1 bytes) with a fresh token.  Returns 0 or a negative errno. */
int token_generate(char buf[static TOKEN_LEN + 1]);

/* 0 when s is a well-formed token with a matching checksum; -EINVAL when malformed (wrong
 * length, prefix or alphabet), -EBADMSG when only the checksum is wrong.  Runs in time that
 * does not depend on how much of a token is right. */
int token_check_format(const char *s);

/* SHA-256 of the token string. */
void token_hash(const char *token, uint8_t out[static TOKEN_HASH_SIZE]);

/* The first TOKEN_DISPLAY_LEN characters, NUL-terminated. */
void token_display_prefix(const char *token, char out[static TOKEN_DISPLAY_LEN + 1]);

/* A fresh public id, NUL-terminated.  Returns 0 or a negative errno. */
int token_id_generate(char buf[static TOKEN_ID_LEN + 1]);
bool token_id_is_valid(const char *s);

/* base62 of a 32-bit value, zero-padded to exactly `width` characters (the checksum). */
void base62_encode_u32(uint32_t v, char *out, size_t width);
