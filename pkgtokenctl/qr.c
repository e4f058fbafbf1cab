/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <qrencode.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "erase.h"
#include "qr.h"

/* Black on white.  First the 8-colour form every terminal knows, then the same from the
 * 256-colour cube (16 and 231), which colour themes leave alone, unlike "white" (47), which
 * many themes render light grey; a terminal without the cube ignores the second sequence. */
#define QR_COLORS_ON  "\033[30;47m\033[38;5;16;48;5;231m"
#define QR_COLORS_OFF "\033[0m"

/* The longest glyph: the half and full blocks are three bytes of UTF-8. */
#define GLYPH_MAX 3

static void qr_code_erase_and_freep(QRcode **q) {
        if (!*q)
                return;
        /* The modules are the secret in another form. */
        erase_memory((*q)->data, (size_t) (*q)->width * (size_t) (*q)->width);
        QRcode_free(*q);
}

/* Whether module (x, y) of the drawing, quiet zone included, is dark.  Coordinates outside
 * the symbol are the quiet zone, and so is the missing half of the last character row (the
 * drawing has an odd number of modules per side). */
static bool module_is_dark(const QRcode *q, int x, int y) {
        x -= QR_QUIET_ZONE;
        y -= QR_QUIET_ZONE;
        if (x < 0 || y < 0 || x >= q->width || y >= q->width)
                return false;
        return q->data[(size_t) y * (size_t) q->width + (size_t) x] & 1;
}

static const char *half_block(bool top_dark, bool bottom_dark) {
        if (top_dark && bottom_dark)
                return "█";
        if (top_dark)
                return "▀";
        if (bottom_dark)
                return "▄";
        return " ";
}

int qr_code_render(const char *data, bool colors, char **ret) {
        _cleanup_(qr_code_erase_and_freep) QRcode *q = NULL;
        size_t side, line_max;
        char *buf, *p;

        if (isempty(data))
                return -EINVAL;

        /* Mode 8 as the hint: libqrencode then never tries Kanji mode on the bytes of a URI. */
        q = QRcode_encodeString(data, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
        if (!q)
                return errno > 0 ? -errno : -EINVAL;    /* ERANGE: too long for version 40 */

        side = (size_t) q->width + 2 * QR_QUIET_ZONE;
        line_max = strlen(QR_COLORS_ON) + side * GLYPH_MAX + strlen(QR_COLORS_OFF) + 1;

        buf = malloc((side + 1) / 2 * line_max + 1);
        if (!buf)
                return -ENOMEM;

        p = buf;
        for (size_t y = 0; y < side; y += 2) {
                if (colors)
                        p = stpcpy(p, QR_COLORS_ON);
                for (size_t x = 0; x < side; x++)
                        p = stpcpy(p, half_block(module_is_dark(q, (int) x, (int) y),
                                                 module_is_dark(q, (int) x, (int) y + 1)));
                if (colors)
                        p = stpcpy(p, QR_COLORS_OFF);
                *p++ = '\n';
        }
        *p = 0;

        *ret = buf;
        return 0;
}
