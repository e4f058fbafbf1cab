/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <inttypes.h>
#include <langinfo.h>
#include <stdio.h>
#include <unistd.h>
#include <wchar.h>

#include "ctl.h"
#include "ctl-json.h"
#include "ctl-output.h"
#include "macro.h"
#include "time-util.h"
#include "utf8.h"

/* Characters that draw nothing or reorder what follows: zero-width spaces and joiners,
 * direction marks, line and paragraph separators, embeddings, overrides and isolates, BOM. */
static bool unichar_is_invisible(uint32_t c) {
        return (c >= 0x200b && c <= 0x200f) ||
               (c >= 0x2028 && c <= 0x202e) ||
               (c >= 0x2060 && c <= 0x2069) ||
               c == 0xfeff;
}

/* Decodes the sequence at p (NUL-terminated); a malformed byte reads as a one-byte '?' with
 * *valid false. */
static size_t text_decode(const char *p, uint32_t *c, bool *valid) {
        size_t n = utf8_decode((const uint8_t *) p, strlen(p), c);

        *valid = n > 0;
        if (n == 0) {
                *c = '?';
                return 1;
        }
        return n;
}

char *text_sanitize(const char *s) {
        char *buf, *q;

        /* Worst case: every byte becomes "\xNN". */
        buf = malloc(strlen(s) * 4 + 1);
        if (!buf)
                return NULL;

        q = buf;
        for (const char *p = s; *p;) {
                uint32_t c;
                bool valid;
                size_t n = text_decode(p, &c, &valid);

                if (!valid)
                        q += sprintf(q, "\\x%02x", (unsigned char) *p);
                else if (c < 0x80 && unichar_is_control(c))
                        q += sprintf(q, "\\x%02x", (unsigned) c);
                else if (unichar_is_control(c) || unichar_is_invisible(c))
                        q += sprintf(q, "\\u%04x", (unsigned) c);
                else {
                        memcpy(q, p, n);
                        q += n;
                }
                p += n;
        }
        *q = 0;
        return buf;
}

/* Columns a code point occupies on a terminal.  wcwidth() knows wide (CJK) and combining
 * characters when the locale is UTF-8; otherwise count one per character. */
static size_t unichar_width(uint32_t c) {
        int w = wcwidth((wchar_t) c);
        return w < 0 ? 1 : (size_t) w;
}

static size_t text_width(const char *s) {
        size_t w = 0;

        for (const char *p = s; *p;) {
                uint32_t c;
                bool valid;

                p += text_decode(p, &c, &valid);
                w += valid ? unichar_width(c) : 1;
        }
        return w;
}

bool locale_is_utf8(void) {
        return streq(nl_langinfo(CODESET), "UTF-8");
}

/* Cuts a sanitized string to at most max columns, marking the cut. */
static char *text_ellipsize(const char *s, size_t max) {
        const char *mark = locale_is_utf8() ? "…" : "...";
        size_t mark_width = locale_is_utf8() ? 1 : 3, w = 0, len;
        const char *p = s;
        char *buf;

        if (text_width(s) <= max || max <= mark_width)
                return strdup(s);

        while (*p) {
                uint32_t c;
                bool valid;
                size_t n = text_decode(p, &c, &valid), cw = unichar_width(c);

                if (w + cw > max - mark_width)
                        break;
                w += cw;
                p += n;
        }

        len = (size_t) (p - s);
        buf = malloc(len + strlen(mark) + 1);
        if (!buf)
                return NULL;
        memcpy(buf, s, len);
        strcpy(buf + len, mark);
        return buf;
}

/* No slash escaping: "@scope/name" stays readable and greppable. */
int json_flags(void) {
        if (arg_json == JSON_PRETTY)
                return JSON_C_TO_STRING_NOSLASHESCAPE | JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED;
        return JSON_C_TO_STRING_NOSLASHESCAPE | JSON_C_TO_STRING_PLAIN;
}

int print_json(json_object *o) {
        const char *s;

        s = json_object_to_json_string_ext(o, json_flags());
        if (!s)
                return log_oom();
        puts(s);
        return 0;
}

/* The elements of a string array joined by sep; NULL when empty (or on OOM). */
static char *list_text(json_object *v, const char *sep) {
        size_t n, len = 1;
        char *buf;

        if (!json_object_is_type(v, json_type_array))
                return NULL;
        n = json_object_array_length(v);
        if (n == 0)
                return NULL;
        for (size_t i = 0; i < n; i++)
                len += strlen(json_object_get_string(json_object_array_get_idx(v, i)) ?: "null") + 2;

        buf = malloc(len);
        if (!buf)
                return NULL;
        buf[0] = 0;
        for (size_t i = 0; i < n; i++) {
                if (i > 0)
                        strcat(buf, sep);
                strcat(buf, json_object_get_string(json_object_array_get_idx(v, i)) ?: "null");
        }
        return buf;
}

/* {"a": "x", "b": "y"} as "a=x b=y"; NULL when empty. */
static char *map_text(json_object *v) {
        char *buf = NULL;

        if (!json_object_is_type(v, json_type_object) || json_object_object_length(v) == 0)
                return NULL;
        json_object_object_foreach(v, key, value) {
                char *t = NULL;
                if (asprintf(&t, "%s%s%s=%s", buf ?: "", buf ? " " : "", key, json_object_get_string(value) ?: "") < 0) {
                        free(buf);
                        return NULL;
                }
                free(buf);
                buf = t;
        }
        return buf;
}

static char *number_text(json_object *o, const char *key, bool timestamp) {
        char buf[64];
        uint64_t u;

        if (!json_get_unsigned(o, key, &u) || (timestamp && u == 0))
                return NULL;
        if (!timestamp)
                snprintf(buf, sizeof buf, "%" PRIu64, u);
        else if (format_timestamp_utc(u, buf, sizeof buf) < 0)
                snprintf(buf, sizeof buf, "@%" PRIu64, u / USEC_PER_SEC);
        return strdup(buf);
}

/* The largest unit that divides it, as the duration grammar (common/duration.h) reads it back. */
static char *duration_text(json_object *o, const char *key) {
        static const struct { uint64_t sec; const char *unit; } units[] = {
                { 86400, "d" }, { 3600, "h" }, { 60, "min" }, { 1, "s" },
        };
        char buf[64];
        uint64_t u;

        if (!json_get_unsigned(o, key, &u) || u / USEC_PER_SEC == 0)
                return NULL;
        u /= USEC_PER_SEC;
        for (size_t i = 0; i < ELEMENTSOF(units); i++)
                if (u % units[i].sec == 0) {
                        snprintf(buf, sizeof buf, "%" PRIu64 "%s", u / units[i].sec, units[i].unit);
                        break;
                }
        return strdup(buf);
}

/* Account names cannot contain parentheses, so "(package)" is unambiguous. */
static char *token_owner_text(json_object *o) {
        const char *owner = json_get_string(o, "owner"), *account;

        if (streq_ptr(owner, "package"))
                return strdup("(package)");
        account = json_get_string(o, "account");
        if (!isempty(account))
                return strdup(account);
        return isempty(owner) ? NULL : strdup(owner);
}

/* The raw text of one field, before sanitizing; NULL when the field is empty. */
static char *field_text(json_object *o, const Field *f, bool table) {
        json_object *v = json_get(o, f->key);

        switch (f->format) {

        case FIELD_STRING: {
                const char *s = json_get_string(o, f->key);
                return isempty(s) ? NULL : strdup(s);
        }

        case FIELD_BOOL:
                if (!json_object_is_type(v, json_type_boolean))
                        return NULL;
                return strdup(json_object_get_boolean(v) ? "yes" : "no");

        case FIELD_NUMBER:
        case FIELD_TIMESTAMP:
                return number_text(o, f->key, f->format == FIELD_TIMESTAMP);

        case FIELD_DURATION:
                return duration_text(o, f->key);

        case FIELD_LIST:
                return list_text(v, table ? "," : ", ");

        case FIELD_MAP:
                return map_text(v);

        case FIELD_TOKEN_OWNER:
                return token_owner_text(o);
        }

        return NULL;
}

/* The displayable text of one field; never NULL except on OOM.  *ret_empty says whether the
 * field had no value. */
static char *field_format(json_object *o, const Field *f, bool table, bool *ret_empty) {
        _cleanup_free_ char *raw = NULL, *clean = NULL;

        raw = field_text(o, f, table);
        if (ret_empty)
                *ret_empty = !raw;
        clean = text_sanitize(raw ?: (f->empty ?: "-"));
        if (!clean)
                return NULL;

        if (table && f->max_width > 0 && isatty(STDOUT_FILENO))
                return text_ellipsize(clean, f->max_width);

        return strdup(clean);
}

static void print_padded(const char *s, size_t width, bool last) {
        fputs(s, stdout);
        if (last)
                return;
        for (size_t w = text_width(s); w < width + 2; w++)
                fputc(' ', stdout);
}

/* One line of the table: the header (cells NULL) or a row of cells. */
static void print_row(const Field *columns, char * const *cells, const size_t *widths,
                      size_t n_columns) {
        for (size_t c = 0; c < n_columns; c++)
                print_padded(cells ? cells[c] : columns[c].title, widths[c], c + 1 == n_columns);
        fputc('\n', stdout);
}

/* Formats every cell into cells (row-major) and measures each column. */
static int table_format(json_object *rows, const Field *columns, size_t n_columns,
                        char **cells, size_t *widths) {
        size_t n_rows = json_object_array_length(rows);

        for (size_t c = 0; c < n_columns; c++)
                widths[c] = arg_legend ? strlen(columns[c].title) : 0;

        for (size_t i = 0; i < n_rows; i++) {
                json_object *row = json_object_array_get_idx(rows, i);

                for (size_t c = 0; c < n_columns; c++) {
                        char *s = field_format(row, columns + c, true, NULL);

                        if (!s)
                                return log_oom();
                        cells[i * n_columns + c] = s;
                        widths[c] = MAX(widths[c], text_width(s));
                }
        }
        return 0;
}

int print_table(json_object *rows, const Field *columns, size_t n_columns,
                const char *singular, const char *plural) {
        size_t n_rows = json_object_array_length(rows), widths[n_columns];
        char **cells;
        int r;

        cells = calloc(n_rows * n_columns + 1, sizeof(char *));
        if (!cells)
                return log_oom();

        r = table_format(rows, columns, n_columns, cells, widths);
        if (r < 0)
                goto finish;

        if (arg_legend && n_rows == 0) {
                printf("No %s.\n", plural);
                goto finish;
        }

        if (arg_legend)
                print_row(columns, NULL, widths, n_columns);
        for (size_t i = 0; i < n_rows; i++)
                print_row(columns, cells + i * n_columns, widths, n_columns);

        if (arg_legend)
                printf("\n%zu %s listed.\n", n_rows, n_rows == 1 ? singular : plural);

finish:
        for (size_t i = 0; i < n_rows * n_columns; i++)
                free(cells[i]);
        free(cells);
        return r;
}

int print_fields(json_object *o, const Field *fields, size_t n_fields) {
        for (size_t i = 0; i < n_fields; i++) {
                _cleanup_free_ char *s = NULL;
                bool empty;

                /* Fields an older daemon does not send are left out rather than shown empty. */
                if (!json_get(o, fields[i].key))
                        continue;

                s = field_format(o, fields + i, false, &empty);
                if (!s)
                        return log_oom();
                if (empty && fields[i].omit_empty)
                        continue;
                if (fields[i].title)
                        printf("%s: %s\n", fields[i].title, s);
                else
                        printf("%s\n", s);
        }
        return 0;
}

int print_object(json_object *v, const Field *fields, size_t n_fields,
                 const char *singular, const char *plural) {
        if (arg_json != JSON_OFF)
                return print_json(v);
        if (json_object_is_type(v, json_type_array))
                return print_table(v, fields, n_fields, singular, plural);
        return print_fields(v, fields, n_fields);
}
