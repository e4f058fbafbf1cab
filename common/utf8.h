/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The one UTF-8 decoder: descriptions (validate.c), TOTP labels (otp.c), password lengths
 * (password.c) and the CLI's column widths all read text through it. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decodes one sequence from s (n > 0 bytes available).  Returns its length and stores the
 * code point, or returns 0 for anything malformed: a stray continuation byte, a truncated
 * sequence, an overlong encoding, a UTF-16 surrogate or a value above U+10FFFF. */
size_t utf8_decode(const uint8_t *s, size_t n, uint32_t *ret);

/* C0 controls, DEL and C1 controls. */
bool unichar_is_control(uint32_t c);

/* Bidirectional embedding, override and isolate controls ("Trojan Source"). */
bool unichar_is_bidi_control(uint32_t c);

/* Whether the n bytes at s are valid UTF-8 without control characters (and, with
 * refuse_bidi, without bidirectional controls). */
bool utf8_is_printable(const char *s, size_t n, bool refuse_bidi);

/* Code points in s, counting each byte of a malformed sequence as one. */
size_t utf8_count_chars(const char *s, size_t n);
