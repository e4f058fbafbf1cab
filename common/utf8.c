/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "utf8.h"

size_t utf8_decode(const uint8_t *s, size_t n, uint32_t *ret) {
        size_t len;
        uint32_t cp, min;

        if (n == 0)
                return 0;
        if (s[0] < 0x80) {
                *ret = s[0];
                return 1;
        }

        if ((s[0] & 0xE0) == 0xC0) {
                len = 2, min = 0x80, cp = s[0] & 0x1F;
        } else if ((s[0] & 0xF0) == 0xE0) {
                len = 3, min = 0x800, cp = s[0] & 0x0F;
        } else if ((s[0] & 0xF8) == 0xF0) {
                len = 4, min = 0x10000, cp = s[0] & 0x07;
        } else
                return 0;   /* continuation byte or 0xF8..0xFF as a lead */

        if (n < len)
                return 0;

        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xC0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3F);
        }

        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                return 0;

        *ret = cp;
        return len;
}

bool unichar_is_control(uint32_t c) {
        return c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F);
}

bool unichar_is_bidi_control(uint32_t c) {
        return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) || c == 0x200E || c == 0x200F ||
               c == 0x061C;
}

bool utf8_is_printable(const char *s, size_t n, bool refuse_bidi) {
        const uint8_t *p = (const uint8_t *) s;

        while (n > 0) {
                uint32_t c;
                size_t k = utf8_decode(p, n, &c);

                if (k == 0 || unichar_is_control(c) || (refuse_bidi && unichar_is_bidi_control(c)))
                        return false;
                p += k;
                n -= k;
        }
        return true;
}

size_t utf8_count_chars(const char *s, size_t n) {
        const uint8_t *p = (const uint8_t *) s;
        size_t chars = 0;

        while (n > 0) {
                uint32_t c;
                size_t k = utf8_decode(p, n, &c);

                if (k == 0)
                        k = 1;
                p += k;
                n -= k;
                chars++;
        }
        return chars;
}
