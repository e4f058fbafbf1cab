/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Helpers shared by the libFuzzer targets in tests/fuzz/ (built by `make fuzz`). */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* An invariant of the code under test.  A failed one aborts, which libFuzzer reports as a
 * crash and saves the input; the message goes to fd 2 directly so that it survives
 * fuzz_silence_stdio_stderr(). */
#define fuzz_assert(expr)                                                                       \
        do {                                                                                    \
                if (!(expr)) {                                                                  \
                        dprintf(STDERR_FILENO, "%s:%d: invariant failed: %s\n",                 \
                                __FILE__, __LINE__, #expr);                                     \
                        abort();                                                                \
                }                                                                               \
        } while (0)

/* The input as a NUL-terminated string (cut at its first NUL, as a C caller would see it). */
static inline char *fuzz_strndup(const uint8_t *data, size_t size) {
        char *s = strndup((const char *) data, size);
        if (!s)
                abort();
        return s;
}

/* Code that logs writes through stdio's stderr; sanitizer and libFuzzer reports write to
 * file descriptor 2 (libFuzzer took its own copy of the stream before any target code ran).
 * Pointing only the stream at /dev/null keeps millions of expected error lines out of the
 * output and every crash report in it. */
static inline void fuzz_silence_stdio_stderr(void) {
        FILE *f = fopen("/dev/null", "we");
        if (f)
                stderr = f;
}
