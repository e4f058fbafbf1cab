/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The PostgreSQL backend: one database shared by the pkgtokend of several hosts.
 *
 * Every rule that must hold across hosts is decided by the database, never by one daemon's
 * memory: an OTP counter moves forward with one conditional UPDATE (WHERE counter < N), a
 * recovery code or a pending publish is taken with one DELETE, a stage is decided with one
 * UPDATE ... WHERE state = 'staged', a jti is remembered by a unique key.  Under READ
 * COMMITTED a second host's identical statement waits for the first one's row lock and then
 * finds nothing left to change: accepted once.  Write transactions take one advisory lock
 * shared by all hosts (store.c, STMT_BEGIN), as SQLite's BEGIN IMMEDIATE does on one host.
 * Nothing read from the database is cached here, so a revocation is refused everywhere from
 * the next request.
 *
 * One connection, statements prepared on it on first use (again after a reconnection).
 * Start-up waits up to StoreOptions.connect_timeout for the server, then fails.  A connection
 * found broken is made again at once, on the daemon's thread, so that a server that restarted
 * (or failed over) costs no request a refusal; when that fails, the server is "down": every
 * call fails with -EIO at once (the daemon answers "unavailable", fail closed) while a thread
 * of its own tries again every second, however long a server that does not answer makes each
 * attempt wait, and the next call takes the connection it made. */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "erase.h"
#include "log.h"
#include "store-internal.h"

/* The credential (systemd's LoadCredential=) that holds the database password. */
#define PASSWORD_CREDENTIAL "pkgtoken-db-password"
/* Each connection attempt gives up on a host after this long: the request that finds the
 * connection broken waits at most this (per host of Connection=) for a server that is gone;
 * later attempts are the reconnecting thread's, and no request waits for them. */
#define CONNECT_ATTEMPT_TIMEOUT_SEC 2
/* Between the reconnecting thread's attempts. */
#define RECONNECT_INTERVAL_SEC 1

/* Serialises migrations between hosts that start at once.  A migration may take long on a big
 * store, and a host that starts meanwhile must wait for it, not fail: no session limits here. */
#define MIGRATION_BEGIN "BEGIN; SET LOCAL lock_timeout = 0; SET LOCAL statement_timeout = 0; " \
        "SELECT pg_advisory_xact_lock(7073697)"

/* Bounds on what another host, or the network, can make this daemon wait for; its one thread
 * answers every registry request, so a wait here is a wait for all of them.
 *   lock_timeout: a write waits this long for another host's transaction (the hosts' write
 *     lock, a row), then fails ("unavailable", fail closed) instead of waiting without end;
 *   idle_in_transaction_session_timeout: a host frozen inside a transaction (stopped, its
 *     network gone) has its session ended by the server after this long, which frees the lock
 *     it holds for the other hosts; no transaction of ours waits between its statements;
 *   statement_timeout: no statement of ours runs for long; one that does is stopped;
 *   keepalives, tcp_user_timeout: over TCP, a server host that vanished is noticed in about
 *     half a minute rather than after the kernel's defaults (hours for an idle connection,
 *     some 15 minutes for unacknowledged data).
 * They go before "dbname" in connect_once(): a Connection= string that sets any of these
 * libpq keywords ("options", "keepalives_idle", ...) overrides them. */
#define SESSION_OPTIONS "-c lock_timeout=5s -c idle_in_transaction_session_timeout=10s -c statement_timeout=30s"
#define KEEPALIVES_IDLE_SEC "15"
#define KEEPALIVES_INTERVAL_SEC "5"
#define KEEPALIVES_COUNT "3"
#define TCP_USER_TIMEOUT_MSEC "30000"

typedef struct PgStore {
        PGconn *conn;
        char *connection;               /* as configured: a conninfo string or "service=NAME" */
        char *password;                 /* NULL: none (libpq's own means: .pgpass, peer) */
        bool prepared[_STMT_MAX];
        bool in_transaction;
        bool down;                      /* the server could not be reached; logged once */

        /* While down, the reconnecting thread.  It reads only connection and password, which
         * do not change; what it shares with the daemon's thread is under lock. */
        pthread_mutex_t lock;
        pthread_cond_t wake;            /* CLOCK_MONOTONIC; signalled to stop it */
        pthread_t reconnector;
        bool reconnecting;              /* the thread was started and not joined yet */
        bool stopping;                  /* under lock: the store closes */
        PGconn *reconnected;            /* under lock: its connection, for the next call to take */
} PgStore;

extern const StoreBackend store_backend_postgresql;

static PgStore *pg(const Store *s) {
        return s->data;
}

static void clear_result(PGresult **r) {
        if (*r)
                PQclear(*r);
}
#define _cleanup_result_ _cleanup_(clear_result)

/* ------------------------------------------------------------------------------------------ */
/* Connecting                                                                                 */

/* The file is read with read(2), not stdio, so that no copy stays behind in a buffer; one
 * that others may read is refused (as the seal key is), like a password on a command line. */
static int read_secret_file(const char *path, char **ret) {
        char buf[1024];
        struct stat st;
        ssize_t n;
        int fd, r = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
        if (fd < 0)
                return log_error_errno(-errno, "%s: cannot read the database password: %m", path);
        if (fstat(fd, &st) < 0)
                r = log_error_errno(-errno, "%s: cannot read the database password: %m", path);
        else if (!S_ISREG(st.st_mode) || (st.st_mode & 0077) != 0) {
                log_error("%s: the database password must be a file only its owner may read "
                          "(chmod 0600 %s). Refusing to start.", path, path);
                r = -EPERM;
        }
        n = r < 0 ? 0 : read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n < 0)
                return log_error_errno(-errno, "%s: cannot read the database password: %m", path);
        if (r < 0)
                return r;
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
                n--;
        buf[n] = 0;
        *ret = strdup(buf);
        erase_memory(buf, sizeof buf);
        return *ret ? 0 : -ENOMEM;
}

/* The password from PasswordFile= or the systemd credential, never from a command line. */
static int read_password(const char *path, char **ret) {
        _cleanup_free_ char *credential = NULL;
        const char *dir = getenv("CREDENTIALS_DIRECTORY");

        *ret = NULL;
        if (!path && !isempty(dir)) {
                if (asprintf(&credential, "%s/%s", dir, PASSWORD_CREDENTIAL) < 0)
                        return -ENOMEM;
                if (access(credential, F_OK) < 0)
                        return 0;
                path = credential;
        }
        return path ? read_secret_file(path, ret) : 0;
}

static PGconn *connect_once(PgStore *q) {
        char timeout[16];
        /* Those before "dbname" are defaults that Connection= may override; those after it are
         * ours alone.  A NULL value (no password) is ignored. */
        const char *keys[] = { "options", "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count",
                               "tcp_user_timeout", "dbname", "connect_timeout", "fallback_application_name",
                               "password", NULL };
        const char *values[] = { SESSION_OPTIONS, "1", KEEPALIVES_IDLE_SEC, KEEPALIVES_INTERVAL_SEC, KEEPALIVES_COUNT,
                                 TCP_USER_TIMEOUT_MSEC, q->connection, timeout, "pkgtokend", q->password, NULL };

        snprintf(timeout, sizeof timeout, "%d", CONNECT_ATTEMPT_TIMEOUT_SEC);
        /* expand_dbname: Connection= is a whole conninfo string or URI. */
        return PQconnectdbParams(keys, values, /* expand_dbname= */ 1);
}

/* libpq prints the server's notices on stderr; none of them is news to an operator. */
static void ignore_notice(void *userdata, const char *message) {
}

static PGconn *connect_quiet(PgStore *q) {
        PGconn *c = connect_once(q);
        if (c)
                PQsetNoticeProcessor(c, ignore_notice, NULL);
        return c;
}

static const char *connection_error(const PgStore *q) {
        const char *e = q->conn ? PQerrorMessage(q->conn) : "out of memory";
        return e && *e ? e : "no answer";
}

/* ------------------------------------------------------------------------------------------ */
/* Reconnecting                                                                               */

/* Until it has a connection or the store closes: an attempt, then a second's pause. */
static void *reconnect_thread(void *userdata) {
        PgStore *q = userdata;

        pthread_mutex_lock(&q->lock);
        while (!q->stopping) {
                struct timespec until;
                PGconn *c;

                pthread_mutex_unlock(&q->lock);
                c = connect_quiet(q);
                if (c && PQstatus(c) != CONNECTION_OK) {
                        PQfinish(c);
                        c = NULL;
                }
                pthread_mutex_lock(&q->lock);
                if (c) {
                        q->reconnected = c;
                        break;
                }
                clock_gettime(CLOCK_MONOTONIC, &until);
                until.tv_sec += RECONNECT_INTERVAL_SEC;
                while (!q->stopping && pthread_cond_timedwait(&q->wake, &q->lock, &until) != ETIMEDOUT)
                        ;
        }
        pthread_mutex_unlock(&q->lock);
        return NULL;
}

/* The lock and the condition (on CLOCK_MONOTONIC: a clock set back must not stall it). */
static int init_reconnect_sync(PgStore *q) {
        pthread_condattr_t attr;
        int r;

        r = -pthread_mutex_init(&q->lock, NULL);
        if (r < 0)
                return r;
        r = -pthread_condattr_init(&attr);
        if (r >= 0) {
                r = -pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
                if (r >= 0)
                        r = -pthread_cond_init(&q->wake, &attr);
                pthread_condattr_destroy(&attr);
        }
        if (r < 0)
                pthread_mutex_destroy(&q->lock);
        return r;
}

static void start_reconnecting(Store *s) {
        PgStore *q = pg(s);
        int r;

        if (q->reconnecting)
                return;
        r = -pthread_create(&q->reconnector, NULL, reconnect_thread, q);
        if (r < 0) {
                /* Still down, and the next call that needs the store tries again. */
                log_store(s, "cannot start reconnecting: %s", strerror(-r));
                return;
        }
        q->reconnecting = true;
}

/* The reconnecting thread stopped, its connection (if it made one) returned. */
static PGconn *stop_reconnecting(PgStore *q) {
        PGconn *c;

        if (!q->reconnecting)
                return NULL;
        pthread_mutex_lock(&q->lock);
        q->stopping = true;
        pthread_cond_signal(&q->wake);
        pthread_mutex_unlock(&q->lock);
        pthread_join(q->reconnector, NULL);
        q->reconnecting = q->stopping = false;
        c = q->reconnected;
        q->reconnected = NULL;
        return c;
}

/* Logs the first failure to reach the server and the return: the log says when the store
 * was unavailable without a line per request. */
static void set_down(Store *s, bool down) {
        PgStore *q = pg(s);

        if (down && !q->down) {
                char message[512];
                snprintf(message, sizeof message, "%s", connection_error(q));
                message[strcspn(message, "\n")] = 0;
                log_store(s, "the database cannot be reached (%s): every request that needs the store is "
                          "refused until it is back.", message);
        } else if (!down && q->down)
                log_info("%s: the database is reachable again.", s->path);
        q->down = down;
        if (down)
                start_reconnecting(s);
}

static void forget_prepared(PgStore *q) {
        for (size_t i = 0; i < _STMT_MAX; i++)
                q->prepared[i] = false;
        q->in_transaction = false;
}

/* The connection the reconnecting thread made, if it has made one by now. */
static bool take_reconnected(Store *s) {
        PgStore *q = pg(s);
        bool done;

        if (!q->reconnecting)
                return false;
        pthread_mutex_lock(&q->lock);
        done = q->reconnected;
        pthread_mutex_unlock(&q->lock);
        if (!done)
                return false;
        if (q->conn)
                PQfinish(q->conn);
        q->conn = stop_reconnecting(q);
        forget_prepared(q);
        set_down(s, false);
        return true;
}

/* 0 when the connection works.  A connection found broken gets one attempt here and now;
 * while down, -EIO at once (the reconnecting thread is at work). */
static int ensure_connected(Store *s) {
        PgStore *q = pg(s);

        if (q->conn && PQstatus(q->conn) == CONNECTION_OK)
                return 0;
        if (take_reconnected(s))
                return 0;
        if (q->down) {
                start_reconnecting(s);   /* if it could not be started before */
                return -EIO;
        }
        forget_prepared(q);
        if (q->conn)
                PQreset(q->conn);
        else
                q->conn = connect_quiet(q);
        if (!q->conn || PQstatus(q->conn) != CONNECTION_OK) {
                set_down(s, true);
                return -EIO;
        }
        return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Statements                                                                                 */

/* "?" and "?N" become "$N"; the SQL has no "?" inside its string literals. */
static char *sql_to_postgresql(const char *sql) {
        char *out = malloc(strlen(sql) * 3 + 1), *p = out;
        unsigned n = 0;

        if (!out)
                return NULL;
        for (const char *c = sql; *c; c++) {
                if (*c != '?') {
                        *p++ = *c;
                        continue;
                }
                if (c[1] >= '0' && c[1] <= '9')
                        *p++ = '$';
                else
                        p += sprintf(p, "$%u", ++n);
        }
        *p = 0;
        return out;
}

static Oid param_oid(const StoreParam *p) {
        switch (p->type) {
        case STORE_PARAM_TEXT:
                return 25;      /* text */
        case STORE_PARAM_INT64:
                return 20;      /* int8 */
        default:
                return 17;      /* bytea */
        }
}

static int prepare(Store *s, StatementId id, const StoreParam *params, size_t n) {
        PgStore *q = pg(s);
        _cleanup_free_ char *sql = NULL;
        _cleanup_result_ PGresult *res = NULL;
        Oid types[STORE_PARAMS_MAX];
        char name[16];

        if (q->prepared[id])
                return 0;
        sql = sql_to_postgresql(store_statement_sql(id, STORE_DIALECT_POSTGRESQL));
        if (!sql)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                types[i] = param_oid(&params[i]);
        snprintf(name, sizeof name, "s%d", (int) id);
        res = PQprepare(q->conn, name, sql, (int) n, types);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
                if (PQstatus(q->conn) == CONNECTION_OK)
                        log_store(s, "cannot prepare statement: %s", PQresultErrorMessage(res));
                return -EIO;    /* executing it fails then, and says how */
        }
        q->prepared[id] = true;
        return 0;
}

/* Maps a failed result to a negative errno, logging what is not an expected outcome. */
static int result_to_errno(Store *s, const PGresult *res) {
        PgStore *q = pg(s);
        const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
        const char *message = res ? PQresultErrorMessage(res) : PQerrorMessage(q->conn);

        if (PQstatus(q->conn) != CONNECTION_OK) {
                set_down(s, true);
                return -EIO;
        }
        if (streq_ptr(state, "23505"))
                return -EEXIST;
        if (state && strncmp(state, "23", 2) == 0) {
                log_store(s, "constraint failed: %s", message);
                return -EINVAL;
        }
        if (streq_ptr(state, "53100")) {
                log_store(s, "disk full: %s", message);
                return -ENOSPC;
        }
        /* lock_not_available, query_canceled: a bound of SESSION_OPTIONS was reached. */
        if (streq_ptr(state, "55P03") || streq_ptr(state, "57014")) {
                log_store(s, "a statement waited too long (%s) and was refused: is another host's "
                          "transaction stuck? %s", streq_ptr(state, "55P03") ? "lock_timeout" : "statement_timeout",
                          message && *message ? message : "");
                return -EIO;
        }
        log_store(s, "database error: %s", message && *message ? message : "no answer");
        return -EIO;
}

typedef struct ParamValues {
        const char *values[STORE_PARAMS_MAX];
        int lengths[STORE_PARAMS_MAX];
        int formats[STORE_PARAMS_MAX];
        char numbers[STORE_PARAMS_MAX][24];
} ParamValues;

/* Texts and numbers go as text, blobs in binary. */
static void param_values(const StoreParam *params, size_t n, ParamValues *v) {
        for (size_t i = 0; i < n; i++) {
                const StoreParam *p = &params[i];

                v->lengths[i] = 0;
                v->formats[i] = 0;
                if (p->null)
                        v->values[i] = NULL;
                else if (p->type == STORE_PARAM_TEXT)
                        v->values[i] = p->text;
                else if (p->type == STORE_PARAM_INT64) {
                        snprintf(v->numbers[i], sizeof v->numbers[i], "%" PRId64, p->i);
                        v->values[i] = v->numbers[i];
                } else {
                        v->values[i] = p->blob;
                        v->lengths[i] = (int) p->size;
                        v->formats[i] = 1;
                }
        }
}

static PGresult *execute(Store *s, StatementId id, const StoreParam *params, size_t n) {
        ParamValues v;
        char name[16];
        int r;

        r = ensure_connected(s);
        if (r < 0)
                return NULL;
        r = prepare(s, id, params, n);
        if (r == -ENOMEM)
                return NULL;
        param_values(params, n, &v);
        snprintf(name, sizeof name, "s%d", (int) id);
        /* Prepared or not (then this fails with the prepare's error, which is reported). */
        return PQexecPrepared(pg(s)->conn, name, (int) n, v.values, v.lengths, v.formats, /* resultFormat= */ 0);
}

static bool result_ok(const PGresult *res) {
        ExecStatusType t = PQresultStatus(res);
        return t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK;
}

/* A statement outside a transaction that met a connection the server had closed (it
 * restarted, or dropped idle connections) runs once more on a new one.  Running twice is
 * harmless: each statement changes what it changes once (a second OTP counter advance or
 * code consumption finds nothing to change: refused, never allowed twice). */
static PGresult *execute_retrying(Store *s, StatementId id, const StoreParam *params, size_t n) {
        PGresult *res = execute(s, id, params, n);
        PgStore *q = pg(s);

        if (result_ok(res) || q->in_transaction || !q->conn || PQstatus(q->conn) == CONNECTION_OK || q->down)
                return res;
        PQclear(res);
        return execute(s, id, params, n);
}

static int pg_run(Store *s, StatementId id, StoreRows rows, StoreRowReader row, void *userdata,
                  const StoreParam *params, size_t n) {
        _cleanup_result_ PGresult *res = execute_retrying(s, id, params, n);
        int r;

        if (!pg(s)->conn || pg(s)->down)
                return -EIO;
        if (!res)
                return -ENOMEM;
        if (!result_ok(res))
                return result_to_errno(s, res);

        StoreRow sr = { .backend = &store_backend_postgresql, .result = res };
        int n_rows = PQntuples(res);
        switch (rows) {
        case STORE_NO_ROWS:
                return atoi(PQcmdTuples(res));
        case STORE_ONE_ROW:
                if (n_rows == 0)
                        return -ENOENT;
                return row(s, &sr, userdata);
        default:
                for (sr.index = 0; sr.index < n_rows; sr.index++) {
                        r = row(s, &sr, userdata);
                        if (r != 0)
                                return r;
                }
                return 0;
        }
}

/* ------------------------------------------------------------------------------------------ */
/* Rows (text format)                                                                         */

static const char *pg_row_text(const StoreRow *r, int i) {
        return PQgetvalue(r->result, r->index, i);   /* "" for NULL */
}

static int64_t pg_row_int64(const StoreRow *r, int i) {
        const char *v = pg_row_text(r, i);
        /* booleans (IS NOT NULL, !=) come as t and f */
        if (streq(v, "t"))
                return 1;
        return strtoll(v, NULL, 10);
}

static int hex_value(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

/* bytea's text form is "\x" and two hex digits a byte. */
static size_t pg_row_blob_copy(const StoreRow *r, int i, void *buf, size_t size) {
        const char *v = pg_row_text(r, i);
        size_t n = strlen(v);
        uint8_t *out = buf;

        if (PQgetisnull(r->result, r->index, i) || n < 2 || v[0] != '\\' || v[1] != 'x' || n % 2 != 0 ||
            (n - 2) / 2 > size || n == 2)
                return 0;
        for (size_t k = 0; k < (n - 2) / 2; k++) {
                int hi = hex_value(v[2 + 2 * k]), lo = hex_value(v[3 + 2 * k]);
                if (hi < 0 || lo < 0)
                        return 0;
                out[k] = (uint8_t) (hi << 4 | lo);
        }
        return (n - 2) / 2;
}

static bool pg_row_is_null(const StoreRow *r, int i) {
        return PQgetisnull(r->result, r->index, i);
}

/* ------------------------------------------------------------------------------------------ */
/* Transactions                                                                               */

static int exec_control(Store *s, const char *sql) {
        _cleanup_result_ PGresult *res = NULL;
        int r = ensure_connected(s);
        if (r < 0)
                return r;
        res = PQexec(pg(s)->conn, sql);
        if (!res)
                return -ENOMEM;
        return result_ok(res) ? 0 : result_to_errno(s, res);
}

/* relaxed: the commit does not wait for the WAL flush (synchronous_commit = off, for this
 * transaction only): a crash of the server may lose it, a crash of pkgtokend not. */
static int pg_begin(Store *s, bool relaxed) {
        _cleanup_free_ char *sql = NULL;
        int r;

        if (asprintf(&sql, "%s%s", store_statement_sql(STMT_BEGIN, STORE_DIALECT_POSTGRESQL),
                     relaxed ? "; SET LOCAL synchronous_commit = off" : "") < 0)
                return -ENOMEM;
        r = exec_control(s, sql);
        if (r < 0) {
                (void) exec_control(s, "ROLLBACK");
                return r;
        }
        pg(s)->in_transaction = true;
        return 0;
}

static int pg_commit(Store *s, bool relaxed) {
        int r = exec_control(s, store_statement_sql(STMT_COMMIT, STORE_DIALECT_POSTGRESQL));
        if (r >= 0)
                pg(s)->in_transaction = false;
        return r;
}

static void pg_rollback(Store *s, bool relaxed) {
        PgStore *q = pg(s);

        /* A lost connection rolled back already. */
        if (q->conn && PQstatus(q->conn) == CONNECTION_OK)
                (void) PQclear(PQexec(q->conn, store_statement_sql(STMT_ROLLBACK, STORE_DIALECT_POSTGRESQL)));
        q->in_transaction = false;
}

/* ------------------------------------------------------------------------------------------ */
/* Migrations                                                                                 */

static int read_version(Store *s, int64_t *ret) {
        _cleanup_result_ PGresult *res = PQexec(pg(s)->conn, "SELECT max(version) FROM pkgtoken_schema");
        if (PQresultStatus(res) != PGRES_TUPLES_OK)
                return result_to_errno(s, res);
        *ret = PQgetisnull(res, 0, 0) ? 0 : strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        return 0;
}

/* The schema is SQLite's (store.c), translated: one definition of every table for both
 * backends, and the same version numbers.  Its SQL is plain; only these words differ. */
static const struct {
        const char *sqlite, *postgresql;
} schema_words[] = {
        { "INTEGER PRIMARY KEY", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY" },
        { "INTEGER",             "BIGINT" },   /* timestamps in microseconds need 64 bits */
        { "BLOB",                "BYTEA" },
        { " WITHOUT ROWID",      "" },
};

static bool is_word_char(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

static char *schema_to_postgresql(const char *sql) {
        char *out = malloc(strlen(sql) * 3 + 1), *p = out;
        bool quoted = false;

        if (!out)
                return NULL;
        for (const char *c = sql; *c;) {
                const char *to = NULL;
                size_t n = 0;

                if (*c == '\'')
                        quoted = !quoted;
                if (!quoted && (c == sql || !is_word_char(c[-1])))
                        for (size_t i = 0; i < ELEMENTSOF(schema_words) && !to; i++) {
                                n = strlen(schema_words[i].sqlite);
                                if (strncmp(c, schema_words[i].sqlite, n) == 0 && !is_word_char(c[n]))
                                        to = schema_words[i].postgresql;
                        }
                if (to) {
                        p = stpcpy(p, to);
                        c += n;
                } else
                        *p++ = *c++;
        }
        *p = 0;
        return out;
}

/* Within migrate()'s transaction. */
static int apply_migration(Store *s, int64_t v) {
        _cleanup_free_ char *sql = schema_to_postgresql(store_sqlite_migration((unsigned) v));
        char set_version[96];
        int r;

        if (!sql)
                return -ENOMEM;
        snprintf(set_version, sizeof set_version, "DELETE FROM pkgtoken_schema; INSERT INTO pkgtoken_schema "
                 "VALUES (%" PRId64 ")", v + 1);
        r = exec_control(s, sql);
        return r < 0 ? r : exec_control(s, set_version);
}

static int migrate_locked(Store *s) {
        int64_t version = 0;
        int r;

        r = exec_control(s, "CREATE TABLE IF NOT EXISTS pkgtoken_schema (version BIGINT NOT NULL)");
        if (r >= 0)
                r = read_version(s, &version);
        return r < 0 ? r : store_migrate(s, version, apply_migration);
}

/* In one transaction, under a lock: hosts starting at once migrate one after the other, and
 * the later ones find the work done. */
static int migrate(Store *s) {
        int r = exec_control(s, MIGRATION_BEGIN);
        if (r < 0)
                return r;
        r = migrate_locked(s);
        if (r < 0) {
                (void) exec_control(s, "ROLLBACK");
                return r;
        }
        return exec_control(s, "COMMIT");
}

/* ------------------------------------------------------------------------------------------ */
/* Opening                                                                                    */

/* Start-up waits up to timeout for the server (it may start after pkgtokend, or be failing
 * over), then gives up: the daemon does not start without its store. */
static int connect_waiting(Store *s, usec_t timeout) {
        PgStore *q = pg(s);
        usec_t deadline = now_monotonic_usec() + timeout;
        bool said = false;

        for (;;) {
                q->conn = connect_quiet(q);
                if (q->conn && PQstatus(q->conn) == CONNECTION_OK)
                        return 0;
                if (now_monotonic_usec() >= deadline) {
                        log_store(s, "cannot connect to the database: %s Refusing to start.", connection_error(q));
                        return -EHOSTDOWN;
                }
                if (!said)
                        log_info("%s: waiting for the database: %s", s->path, connection_error(q));
                said = true;
                PQfinish(q->conn);
                q->conn = NULL;
                (void) usleep(250 * 1000);
        }
}

/* What messages name: the connection without its password, which may be in it. */
static char *describe(const char *connection) {
        char *d = NULL;
        if (asprintf(&d, "postgresql:%s", strstr(connection, "password") ? "(connection)" : connection) < 0)
                return NULL;
        return d;
}

int store_postgresql_open(Store *s, const StoreOptions *o) {
        PgStore *q;
        int r;

        if (isempty(o->connection)) {
                log_error("[Store] Backend=postgresql needs Connection=");
                return -EINVAL;
        }
        q = calloc(1, sizeof *q);
        if (!q)
                return -ENOMEM;
        r = init_reconnect_sync(q);
        if (r < 0) {
                free(q);
                return r;
        }
        s->data = q;
        s->backend = &store_backend_postgresql;
        q->connection = strdup(o->connection);
        s->path = describe(o->connection);
        if (!q->connection || !s->path)
                return -ENOMEM;
        r = read_password(o->password_file, &q->password);
        if (r < 0)
                return r;
        r = connect_waiting(s, o->connect_timeout ?: STORE_CONNECT_TIMEOUT_SEC_DEFAULT * USEC_PER_SEC);
        if (r < 0)
                return r;
        return migrate(s);
}

static int pg_backup(Store *s, const char *path) {
        log_store(s, "backups of a PostgreSQL store are made with pg_dump (see docs/postgresql.md)");
        return -EOPNOTSUPP;
}

static bool pg_is_corrupt(Store *s) {
        return false;   /* the server keeps its own data safe; unreachable is -EIO, not damage */
}

static void pg_close(Store *s) {
        PgStore *q = pg(s);
        PGconn *c = stop_reconnecting(q);

        if (c)
                PQfinish(c);
        pthread_cond_destroy(&q->wake);
        pthread_mutex_destroy(&q->lock);
        if (q->conn)
                PQfinish(q->conn);
        free(q->connection);
        if (q->password)
                erase_string(q->password);
        free(q->password);
}

const StoreBackend store_backend_postgresql = STORE_BACKEND_INIT(pg, "postgresql", STORE_DIALECT_POSTGRESQL);
