/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* NULL-terminated string vectors. */

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

char **strv_free(char **l);
static inline void strv_freep(char ***l) {
        strv_free(*l);
}
#define _cleanup_strv_free_ _cleanup_(strv_freep)
size_t strv_length(char * const *l);
int strv_push(char ***l, char *value);          /* takes ownership of value, even on error */
int strv_extend(char ***l, const char *value);  /* copies value */
char **strv_split(const char *s, char sep);     /* NULL on OOM; "" gives an empty vector */
char *strv_join(char * const *l, char sep);     /* NULL on OOM */
bool strv_contains(char * const *l, const char *s);
bool strv_equal(char * const *a, char * const *b);   /* NULL equals an empty vector */
#define STRV_FOREACH(s, l) for (char * const *s = (l); s && *s; s++)
