/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* How pkgtokenctl shows the daemon's objects: the columns of each "list" table and the lines
 * of each "show", kept side by side so that the words and widths of the views agree. */

#include <stddef.h>

#include "ctl-output.h"

typedef struct View {
        const Field *fields;
        size_t n_fields;
        const char *singular;   /* a table's rows ("No <plural>."); NULL: the view is one object */
        const char *plural;
} View;

extern const View account_list_view;
extern const View account_show_view;
extern const View package_list_view;
extern const View package_show_view;
extern const View token_list_view;
extern const View token_show_view;
extern const View status_view;
extern const View audit_view;
extern const View issuer_list_view;
extern const View trusted_publisher_list_view;
extern const View stage_list_view;
extern const View stage_show_view;
