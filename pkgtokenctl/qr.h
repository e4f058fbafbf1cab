/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* QR codes drawn with text, for "account 2fa enable": the otpauth:// URI is scanned from the
 * terminal by a phone, so nobody has to type a 32-character base32 secret.
 *
 * The code is drawn with the Unicode half blocks "▀", "▄", "█" and " ", two modules per
 * character row, each dark module drawn in the foreground colour, with the 4-module quiet
 * zone the standard asks for.  Phone cameras want dark modules on a light background; a
 * terminal's colours are unknown (light text on a dark background is common), so with
 * colours the drawing sets black on white itself.  Without colours (a file, a pipe) the
 * glyphs are the dark modules, which is right on paper and in an editor. */

#include <stdbool.h>

/* The 4 light modules around the symbol that the standard requires (ISO/IEC 18004 §6.3.8). */
#define QR_QUIET_ZONE 4

/* Draws data (NUL-terminated, encoded in 8-bit mode at error-correction level M) as lines of
 * UTF-8 text, each ending in "\n", newly allocated in *ret.  With colors, each line starts
 * with an SGR sequence for black on white and ends with a reset before its "\n".
 *
 * The drawing encodes data, so it is exactly as secret as data: free it with
 * erase_and_freep() (_cleanup_erase_).  Returns 0, -EINVAL (data empty), -ERANGE (too long
 * for any QR code) or -ENOMEM. */
int qr_code_render(const char *data, bool colors, char **ret);
