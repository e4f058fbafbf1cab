/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the store's files only (store.c: statements, opening, transactions; store-*.c:
 * the records).  Nothing outside pkgtokend/store*.c includes this. */

#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "store-check.h"
#include "store.h"

/* Statements are prepared once, on first use, and kept (SQLITE_PREPARE_PERSISTENT): the token
 * check runs on every registry request and must not pay for parsing SQL. */
typedef enum StatementId {
        STMT_BEGIN,
        STMT_COMMIT,
        STMT_ROLLBACK,
        STMT_ACCOUNT_INSERT,
        STMT_ACCOUNT_GET,
        STMT_ACCOUNT_LIST,
        STMT_ACCOUNT_SET_LOCKED,
        STMT_ACCOUNT_SET_HOLD,
        STMT_ACCOUNT_SET_EMAIL,
        STMT_ACCOUNT_DELETE,
        STMT_PACKAGE_INSERT,
        STMT_PACKAGE_GET,
        STMT_PACKAGE_LIST,
        STMT_PACKAGE_SET_POLICY,
        STMT_PACKAGE_SET_MAX_LIFETIME,
        STMT_PACKAGE_MAINTAINERS,
        STMT_MAINTAINER_ADD,
        STMT_MAINTAINER_REMOVE,
        STMT_MAINTAINER_CHECK,
        STMT_MAINTAINER_COUNT,
        STMT_TOKEN_INSERT,
        STMT_TOKEN_BY_HASH,
        STMT_TOKEN_BY_ID,
        STMT_TOKEN_LIST_ALL,
        STMT_TOKEN_LIST_ACCOUNT,
        STMT_TOKEN_LIST_PACKAGE,
        STMT_TOKEN_EXPIRING,
        STMT_TOKEN_MARK_WARNED,
        STMT_TOKEN_SET_ROTATED,
        STMT_TOKEN_LINEAGE,
        STMT_TOKEN_REVOKE,
        STMT_TOKEN_TOUCH,
        STMT_AUDIT_INSERT,
        STMT_AUDIT_LIST,
        STMT_AUDIT_REPEAT,
        STMT_AUDIT_PRUNE,
        STMT_COUNTS,
        STMT_SECRETS_GET,
        STMT_SET_PASSWORD,
        STMT_SET_TOTP_PENDING,
        STMT_ACTIVATE_TOTP,
        STMT_SET_TWOFA_MODE,
        STMT_DISABLE_TWOFA,
        STMT_ADVANCE_COUNTER,
        STMT_RECOVERY_DELETE_ALL,
        STMT_RECOVERY_INSERT,
        STMT_RECOVERY_CONSUME,
        STMT_RECOVERY_COUNT,
        STMT_FAILURES_GET,
        STMT_FAILURES_PUT,
        STMT_FAILURES_CLEAR,
        STMT_FAILURES_PRUNE,
        STMT_PENDING_INSERT,
        STMT_PENDING_TAKE,
        STMT_PENDING_PRUNE,
        /* trusted publishing (store-trusted.c) */
        STMT_TRUSTED_INSERT,
        STMT_TRUSTED_LIST,
        STMT_TRUSTED_DELETE,
        STMT_JTI_INSERT,
        STMT_JTI_PRUNE,
        STMT_TRUSTED_ONLY_SET,
        STMT_PACKAGE_SET_APPROVAL,
        STMT_STAGE_INSERT,
        STMT_STAGE_GET,
        STMT_STAGE_LIST,
        STMT_STAGE_NEXT_EXPIRED,
        STMT_STAGE_SET_STATE,
        STMT_ACCOUNT_SET_UID,
        STMT_ACCOUNT_GET_UID,
        STMT_ACCOUNT_BY_UID,
        STMT_ACCOUNT_SET_PASSWORD_SOURCE,
        _STMT_MAX,
} StatementId;

struct Store {
        sqlite3 *db;
        char *path;
        sqlite3_stmt *stmt[_STMT_MAX];
        /* Set once corruption is known (by the background check's thread, or by SQLite
         * saying SQLITE_CORRUPT); from then on every call fails with -EUCLEAN. */
        atomic_bool corrupt;
        sqlite3_stmt *refusal;          /* what statement() hands out once corrupt */
        IntegrityCheck *check;          /* the full integrity check of a large store */
        char *dir;                      /* the state directory, for statvfs() */
        uint64_t min_free_space;        /* the floor below which writes are refused */
        usec_t space_checked_at;        /* CLOCK_MONOTONIC */
        bool space_low;
        SealKey *seal_key;              /* opens and seals TOTP seeds; NULL: none */
        bool seal_key_missing_logged;
};

void log_store(const Store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Maps an SQLite result to a negative errno, logging what is not an expected outcome. */
int sqlite_to_errno(Store *s, int r);
/* Returns the prepared statement, reset and with bindings cleared. */
sqlite3_stmt *statement(Store *s, StatementId id);
/* Runs a statement that returns no rows. Returns the number of changed rows or -errno. */
int step_done(Store *s, sqlite3_stmt *st);
/* Steps a statement that returns at most one row: 0 with the row, -ENOENT without. */
int step_one_row(Store *s, sqlite3_stmt *st);

/* Used with _cleanup_: every statement is reset when the function that stepped it returns,
 * so no read transaction is left open by an early return. */
static inline void statement_resetp(sqlite3_stmt **st) {
        if (*st) {
                sqlite3_reset(*st);
                sqlite3_clear_bindings(*st);
        }
}
#define _cleanup_reset_ _cleanup_(statement_resetp)

static inline int bind_text(sqlite3_stmt *st, int i, const char *v) {
        return sqlite3_bind_text(st, i, v ?: "", -1, SQLITE_STATIC);
}

static inline int bind_usec(sqlite3_stmt *st, int i, usec_t v) {
        /* Timestamps are far below INT64_MAX; clamp so a hostile value cannot wrap negative. */
        return sqlite3_bind_int64(st, i, v > INT64_MAX ? INT64_MAX : (sqlite3_int64) v);
}

static inline char *column_strdup(sqlite3_stmt *st, int i) {
        const unsigned char *t = sqlite3_column_text(st, i);
        return strdup(t ? (const char *) t : "");
}

static inline usec_t column_usec(sqlite3_stmt *st, int i) {
        sqlite3_int64 v = sqlite3_column_int64(st, i);
        return v < 0 ? 0 : (usec_t) v;
}

/* Running a statement with its parameters bound from spec, one character each, in order:
 *   t  const char *     text ("" for NULL)          T  const char *    text, or NULL for NULL
 *   u  usec_t           a timestamp                 i  int64_t
 *   I  int64_t          a row id, NULL when <= 0    b  int             a boolean
 *   B  const void *, size_t    a blob (NULL for NULL)
 *   v  char * const *   a string vector, one line each
 * (store-statement.c).  Each resets the statement before it returns. */
typedef int (*StoreRowReader)(Store *s, sqlite3_stmt *st, void *userdata);
typedef enum StoreRows {
        STORE_NO_ROWS,          /* returns the number of changed rows */
        STORE_ONE_ROW,          /* returns row()'s result, or -ENOENT without a row */
        STORE_ALL_ROWS,         /* hands each row to row() until it returns non-zero, which is returned */
} StoreRows;
int store_run(Store *s, StatementId id, StoreRows rows, StoreRowReader row, void *userdata, const char *spec, ...);
#define store_exec(s, id, ...) store_run(s, id, STORE_NO_ROWS, NULL, NULL, __VA_ARGS__)
#define store_get_row(s, id, row, userdata, ...) store_run(s, id, STORE_ONE_ROW, row, userdata, __VA_ARGS__)
#define store_foreach_row(s, id, row, userdata, ...) store_run(s, id, STORE_ALL_ROWS, row, userdata, __VA_ARGS__)
/* The loop of STORE_ALL_ROWS, for a statement prepared elsewhere. */
int store_step_rows(Store *s, sqlite3_stmt *st, StoreRowReader row, void *userdata);
/* A statement with one integer parameter that answers one row with a count in its first column. */
int store_count_row(Store *s, StatementId id, int64_t key);

/* What the foreach functions hand each record to. */
typedef struct StoreVisit {
        union {
                AccountCallback account;
                TokenCallback token;
                StageCallback stage;
                AuditCallback audit;
                TrustedPublisherCallback trusted;
        } cb;
        void *userdata;
} StoreVisit;
