/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Accounts linked to a Unix uid: kept apart from AccountRecord so that the account rows
 * everybody reads stay as they are. */

#include <errno.h>
#include <stdlib.h>

#include "store-internal.h"

int store_account_set_uid(Store *s, const char *name, int64_t uid) {
        int r = store_exec(s, STMT_ACCOUNT_SET_UID, "it", uid < 0 ? (int64_t) -1 : uid, name);
        return r < 0 ? r : r == 0 ? -ENOENT : 0;   /* no such account */
}

static int read_int64(Store *s, sqlite3_stmt *st, void *ret) {
        *(int64_t *) ret = sqlite3_column_int64(st, 0);
        return 0;
}

int store_account_get_uid(Store *s, const char *name, int64_t *ret) {
        return store_get_row(s, STMT_ACCOUNT_GET_UID, read_int64, ret, "t", name);
}

static int read_name(Store *s, sqlite3_stmt *st, void *ret) {
        char *name = column_strdup(st, 0);
        if (!name)
                return -ENOMEM;
        *(char **) ret = name;
        return 0;
}

int store_account_by_uid(Store *s, uid_t uid, char **ret_name) {
        return store_get_row(s, STMT_ACCOUNT_BY_UID, read_name, ret_name, "i", (int64_t) uid);
}
