/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Erasing secrets: the one way passwords, codes, tokens and seeds are wiped before their
 * memory is freed or goes out of scope, so they do not linger on the heap or in core dumps.
 * explicit_bzero() is not optimised away like memset() before free(). */

#include <stdlib.h>
#include <string.h>

static inline void erase_memory(void *p, size_t n) {
        if (p && n > 0)
                explicit_bzero(p, n);
}

static inline void erase_string(char *s) {
        if (s)
                explicit_bzero(s, strlen(s));
}

static inline void erase_and_freep(void *p) {
        char *s = *(char **) p;
        erase_string(s);
        free(s);
}
#define _cleanup_erase_ _cleanup_(erase_and_freep)
