/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Small helpers shared by the daemon, the CLI and the tests: cleanup attributes, string
 * vectors and time.  Kept tiny on purpose; anything with policy lives elsewhere. */

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

#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

/* Overwrites a secret before freeing it, so it does not linger on the heap (and in core dumps). */
static inline void erase_and_freep(void *p) {
        char *s = *(char **) p;
        if (s) {
                explicit_bzero(s, strlen(s));
                free(s);
        }
}
#define _cleanup_erase_ _cleanup_(erase_and_freep)

static inline bool streq_ptr(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return strcmp(a, b) == 0;
}
#define streq(a, b) (strcmp((a), (b)) == 0)

static inline bool isempty(const char *s) {
        return !s || !*s;
}

/* NULL-terminated string vectors. */
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
#define STRV_FOREACH(s, l) for (char * const *s = (l); s && *s; s++)

/* Fills buf from getrandom(2); 0 or a negative errno. */
int random_bytes(void *buf, size_t n);

typedef uint64_t usec_t;
#define USEC_PER_SEC ((usec_t) 1000000ULL)
#define USEC_PER_MSEC ((usec_t) 1000ULL)
#define USEC_PER_DAY (86400ULL * USEC_PER_SEC)
usec_t now_realtime_usec(void);
usec_t now_monotonic_usec(void);

/* Formats a realtime timestamp as "2026-11-21 21:15 UTC"; "never"/"-" for 0 is the caller's choice. */
int format_timestamp_utc(usec_t t, char *buf, size_t size);
