/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the store's files only (store.c: the SQL and opening; store-sqlite.c and
 * store-postgresql.c: the two backends; store-*.c: the records).  Nothing outside
 * pkgtokend/store*.c includes this, and only the backends include their engine's header:
 * the records' code reads rows through StoreRow and never knows which backend runs. */

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "store.h"

/* Statements are prepared once per connection, on first use, and kept: the token check runs
 * on every registry request and must not pay for parsing SQL. */
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
        STMT_TOKEN_HASHES,
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
        /* sealing TOTP seeds at start-up (store-accounts.c) */
        STMT_SEAL_COUNT,
        STMT_SEAL_SEEDS,
        STMT_SEAL_SET_SECRET,
        STMT_SEAL_SET_PENDING,
        _STMT_MAX,
} StatementId;

typedef enum StoreDialect {
        STORE_DIALECT_SQLITE,
        STORE_DIALECT_POSTGRESQL,
        _STORE_DIALECT_MAX,
} StoreDialect;

/* The SQL of a statement in a dialect (store.c): one table of portable SQL with "?" or "?N"
 * placeholders, and the few statements where the dialects really differ. */
const char *store_statement_sql(StatementId id, StoreDialect d);
/* The SQLite schema's migration from version v to v+1 (store.c). */
const char *store_sqlite_migration(unsigned v);

/* A row of a statement's result, handed to a StoreRowReader; valid only during the call.
 * Read it with the row_*() functions below. */
typedef struct StoreBackend StoreBackend;
typedef struct StoreRow {
        const StoreBackend *backend;
        void *result;           /* sqlite3_stmt *, PGresult * */
        int index;              /* the row's number in result (PostgreSQL) */
} StoreRow;

/* One bound parameter, as the bind spec of store_run() gives it: its type even when it is
 * NULL (PostgreSQL prepares a statement with its parameters' types). */
typedef enum StoreParamType {
        STORE_PARAM_TEXT,
        STORE_PARAM_INT64,
        STORE_PARAM_BLOB,
} StoreParamType;
typedef struct StoreParam {
        StoreParamType type;
        bool null;
        const char *text;
        int64_t i;
        const void *blob;
        size_t size;
} StoreParam;
#define STORE_PARAMS_MAX 16

typedef int (*StoreRowReader)(Store *s, const StoreRow *row, void *userdata);
typedef enum StoreRows {
        STORE_NO_ROWS,          /* returns the number of changed rows */
        STORE_ONE_ROW,          /* returns row()'s result, or -ENOENT without a row */
        STORE_ALL_ROWS,         /* hands each row to row() until it returns non-zero, which is returned */
} StoreRows;

/* What differs between SQLite and PostgreSQL.  Every function returns 0 or a negative errno
 * as store.h describes; run() also the number of changed rows for STORE_NO_ROWS. */
struct StoreBackend {
        const char *name;
        StoreDialect dialect;
        void (*close)(Store *s);        /* releases what s->data holds (store_free() frees it) */
        int (*run)(Store *s, StatementId id, StoreRows rows, StoreRowReader row, void *userdata,
                   const StoreParam *params, size_t n_params);
        int (*begin)(Store *s, bool relaxed);
        int (*commit)(Store *s, bool relaxed);
        void (*rollback)(Store *s, bool relaxed);
        int (*backup)(Store *s, const char *path);
        /* Latched damage (SQLite) or a database that cannot be reached now (PostgreSQL). */
        bool (*is_corrupt)(Store *s);
        /* Reading a row: text never NULL ("" for NULL); blob_copy copies at most size bytes
         * and returns how many, 0 for NULL or a longer value. */
        const char *(*text)(const StoreRow *r, int i);
        int64_t (*int64)(const StoreRow *r, int i);
        size_t (*blob_copy)(const StoreRow *r, int i, void *buf, size_t size);
        bool (*is_null)(const StoreRow *r, int i);
};

/* A backend's vtable from its functions, named PREFIX_close, PREFIX_run, ..., PREFIX_row_text. */
#define STORE_BACKEND_INIT(prefix, n, d)                                                       \
        {                                                                                       \
                .name = n, .dialect = d, .close = prefix##_close, .run = prefix##_run,          \
                .begin = prefix##_begin, .commit = prefix##_commit, .rollback = prefix##_rollback, \
                .backup = prefix##_backup, .is_corrupt = prefix##_is_corrupt,                   \
                .text = prefix##_row_text, .int64 = prefix##_row_int64,                         \
                .blob_copy = prefix##_row_blob_copy, .is_null = prefix##_row_is_null,           \
        }

/* What a TokenRecord owns: its strings and its string lists, named once for everything that
 * frees (token_record_done()), packs or moves them (store-token-cache.c). */
#define TOKEN_RECORD_STRINGS(X) X(id) X(prefix) X(account) X(description) X(created_by) X(last_used_from) X(lineage)
#define TOKEN_RECORD_LISTS(X) X(scope) X(cidrs)

typedef struct TokenCache TokenCache;

struct Store {
        const StoreBackend *backend;
        void *data;                     /* the backend's own state */
        char *path;                     /* what messages name: the file, or the PostgreSQL database */
        SealKey *seal_key;              /* opens and seals TOTP seeds; NULL: none */
        bool seal_key_missing_logged;
        /* Moves on with every statement that may change what a read sees, and with every
         * rollback (store-statement.c, store.c): what was read in an older one may be stale. */
        uint64_t generation;
        TokenCache *token_cache;        /* SQLite only (store-token-cache.c); NULL: none */
};

/* store-token-cache.c: the stored token hashes and the last token records found, for the
 * token check; a record is returned only for the generation it was read in. */
int token_cache_new(TokenCache **ret);
TokenCache *token_cache_free(TokenCache *c);
int token_cache_add_known(TokenCache *c, const uint8_t hash[static TOKEN_HASH_SIZE]);
bool token_cache_may_know(const TokenCache *c, const uint8_t hash[static TOKEN_HASH_SIZE]);
int token_cache_get(TokenCache *c, uint64_t generation, const uint8_t hash[static TOKEN_HASH_SIZE],
                    TokenRecord *ret);      /* 1 found (a copy), 0 not remembered */
void token_cache_put(TokenCache *c, uint64_t generation, const uint8_t hash[static TOKEN_HASH_SIZE],
                     const TokenRecord *t);
void token_cache_note_use(TokenCache *c, const uint8_t hash[static TOKEN_HASH_SIZE], int64_t rowid, usec_t now,
                          const char *remote);
/* store-tokens.c: fills the cache's hashes from the table (when the store opens). */
int store_token_cache_start(Store *s);

int store_sqlite_open(Store *s, const char *state_dir, const StoreOptions *o);
int store_postgresql_open(Store *s, const StoreOptions *o);

void log_store(const Store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Refuses (logging why) a schema version written by a newer pkgtokend, or an invalid one;
 * then runs apply(s, v) for each version v from `version` up, each bringing v to v+1. */
int store_migrate(Store *s, int64_t version, int (*apply)(Store *s, int64_t from));

static inline const char *row_text(const StoreRow *r, int i) {
        return r->backend->text(r, i);
}
static inline char *row_strdup(const StoreRow *r, int i) {
        return strdup(row_text(r, i));
}
static inline int64_t row_int64(const StoreRow *r, int i) {
        return r->backend->int64(r, i);
}
static inline bool row_bool(const StoreRow *r, int i) {
        return row_int64(r, i) != 0;
}
static inline usec_t row_usec(const StoreRow *r, int i) {
        int64_t v = row_int64(r, i);
        return v < 0 ? 0 : (usec_t) v;
}
static inline size_t row_blob_copy(const StoreRow *r, int i, void *buf, size_t size) {
        return r->backend->blob_copy(r, i, buf, size);
}
static inline bool row_is_null(const StoreRow *r, int i) {
        return r->backend->is_null(r, i);
}

/* Running a statement with its parameters bound from spec, one character each, in order:
 *   t  const char *     text ("" for NULL)          T  const char *    text, or NULL for NULL
 *   u  usec_t           a timestamp                 i  int64_t
 *   I  int64_t          a row id, NULL when <= 0    b  int             a boolean
 *   B  const void *, size_t    a blob (NULL for NULL)
 *   v  char * const *   a string vector, one line each
 * (store-statement.c).  Each resets the statement before it returns. */
int store_run(Store *s, StatementId id, StoreRows rows, StoreRowReader row, void *userdata, const char *spec, ...);
#define store_exec(s, id, ...) store_run(s, id, STORE_NO_ROWS, NULL, NULL, __VA_ARGS__)
#define store_get_row(s, id, row, userdata, ...) store_run(s, id, STORE_ONE_ROW, row, userdata, __VA_ARGS__)
#define store_foreach_row(s, id, row, userdata, ...) store_run(s, id, STORE_ALL_ROWS, row, userdata, __VA_ARGS__)
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
