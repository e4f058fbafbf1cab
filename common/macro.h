/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Macros only: cleanup attributes, small comparisons and array sizes.  Functions live in
 * headers of their own (strv.h, time-util.h, random-util.h, erase.h, utf8.h, duration.h,
 * log.h); see docs/ARCHITECTURE.md for where each concept lives. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _pure_ __attribute__((pure))
#define _warn_unused_result_ __attribute__((warn_unused_result))
#define _printf_(a, b) __attribute__((format(printf, a, b)))

#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

/* Frees each of its arguments (NULL ones too): a record's destructor names its fields once. */
static inline void free_array(void * const *a, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(a[i]);
}
#define free_many(...) \
        free_array((void * const[]) { __VA_ARGS__ }, ELEMENTSOF(((void * const[]) { __VA_ARGS__ })))

static inline bool streq_ptr(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return strcmp(a, b) == 0;
}
#define streq(a, b) (strcmp((a), (b)) == 0)

static inline bool isempty(const char *s) {
        return !s || !*s;
}
