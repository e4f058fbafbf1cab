/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Output: JSON (--json) and, for people, tables and "Key: value" lines driven by field
 * descriptions.  Daemon-provided strings (descriptions, reasons, actors) are validated by
 * the daemon, but a table must survive anything, so control characters, invalid UTF-8 and
 * bidirectional overrides (which can make a terminal display text in a different order than
 * it is stored) are shown as escapes.  Column widths count terminal cells, not bytes. */

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

/* Tables on a terminal cut free-text columns at this width so that one long description
 * does not push every other column off screen.  Pipes get the full text. */
#define FREE_TEXT_COLUMN_MAX 32

typedef enum FieldFormat {
        FIELD_STRING,
        FIELD_BOOL,             /* yes/no */
        FIELD_NUMBER,
        FIELD_TIMESTAMP,        /* 0 counts as empty */
        FIELD_DURATION,         /* microseconds, shown as 90d, 12h, 30min or 45s; 0 counts as empty */
        FIELD_LIST,             /* array of strings, comma-separated */
        FIELD_MAP,              /* object of strings, "key=value key=value" */
        FIELD_TOKEN_OWNER,      /* the owning account, or "(package)" for package tokens */
} FieldFormat;

typedef struct Field {
        const char *key;
        const char *title;      /* column header, or label of a "show" line; NULL: the value alone */
        FieldFormat format;
        const char *empty;      /* shown for "", 0 and []; NULL means "-" */
        size_t max_width;       /* tables on a terminal: cut beyond this; 0 = never */
        bool omit_empty;        /* "show" lines: leave the line out when the value is empty */
} Field;

/* Whether LC_CTYPE is UTF-8 (for widths and the ellipsis). */
bool locale_is_utf8(void);

/* s with unsafe characters escaped ("\x1b", "\u202e"); NULL on OOM. */
char *text_sanitize(const char *s);

/* The json-c serialization flags for the --json mode. */
int json_flags(void);

int print_json(json_object *o);

/* An array of objects as a table, or "No <plural>." when it is empty (with a legend). */
int print_table(json_object *rows, const Field *columns, size_t n_columns,
                const char *singular, const char *plural);

/* An object as "Title: value" lines; keys the daemon did not send are left out. */
int print_fields(json_object *o, const Field *fields, size_t n_fields);

/* An object through its fields (an array as a table), or as JSON with --json. */
int print_object(json_object *v, const Field *fields, size_t n_fields,
                 const char *singular, const char *plural);
