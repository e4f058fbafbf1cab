/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "macro.h"
#include "strv.h"

char **strv_free(char **l) {
        if (!l)
                return NULL;

        for (char **i = l; *i; i++)
                free(*i);
        free(l);
        return NULL;
}

size_t strv_length(char * const *l) {
        size_t n = 0;

        if (!l)
                return 0;

        while (l[n])
                n++;
        return n;
}

int strv_push(char ***l, char *value) {
        size_t n;
        char **c;

        if (!value)
                return 0;

        n = strv_length(*l);
        /* n + 2: the new entry and the terminating NULL; refuse a wrap-around. */
        if (n > SIZE_MAX / sizeof(char *) - 2) {
                free(value);
                return -ENOMEM;
        }

        c = realloc(*l, (n + 2) * sizeof(char *));
        if (!c) {
                /* The caller handed us ownership, so do not leak it on failure. */
                free(value);
                return -ENOMEM;
        }

        c[n] = value;
        c[n + 1] = NULL;
        *l = c;
        return 0;
}

int strv_extend(char ***l, const char *value) {
        char *v;

        if (!value)
                return 0;

        v = strdup(value);
        if (!v)
                return -ENOMEM;

        return strv_push(l, v);
}

/* Hands a _cleanup_ pointer to the caller, so the cleanup handler no longer frees it. */
static char **strv_steal(char ***l) {
        char **r = *l;

        *l = NULL;
        return r;
}

char **strv_split(const char *s, char sep) {
        _cleanup_strv_free_ char **l = NULL;

        /* Always return a vector (possibly empty), so "" and "no entries" look alike to
         * callers that only iterate; NULL means out of memory. */
        l = calloc(1, sizeof(char *));
        if (!l)
                return NULL;

        if (isempty(s))
                return strv_steal(&l);

        for (const char *p = s;;) {
                /* strchr() would find the terminator for sep == 0. */
                const char *e = sep != 0 ? strchr(p, sep) : NULL;
                char *item;

                item = strndup(p, e ? (size_t) (e - p) : strlen(p));
                if (!item)
                        return NULL;
                if (strv_push(&l, item) < 0)
                        return NULL;

                if (!e)
                        break;
                p = e + 1;
        }

        return strv_steal(&l);
}

char *strv_join(char * const *l, char sep) {
        size_t n = 0;
        char *r, *p;

        STRV_FOREACH(s, l)
                n += strlen(*s) + 1;   /* the entry and a separator (or the final NUL) */

        r = malloc(n > 0 ? n : 1);
        if (!r)
                return NULL;

        p = r;
        STRV_FOREACH(s, l) {
                size_t k = strlen(*s);

                if (p != r)
                        *p++ = sep;
                memcpy(p, *s, k);
                p += k;
        }
        *p = 0;
        return r;
}

bool strv_contains(char * const *l, const char *s) {
        if (!s)
                return false;

        STRV_FOREACH(i, l)
                if (streq(*i, s))
                        return true;
        return false;
}

bool strv_equal(char * const *a, char * const *b) {
        size_t i = 0;

        for (; a && b && a[i] && b[i]; i++)
                if (!streq(a[i], b[i]))
                        return false;
        /* a NULL vector is an empty one */
        return !(a && a[i]) && !(b && b[i]);
}
