/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "store-check.h"
#include "time-util.h"

struct IntegrityCheck {
        char *path;
        char *uri;
        IntegrityCheckCorrupt corrupt;
        void *userdata;
        pthread_t thread;
        pthread_mutex_t lock;      /* guards db, for integrity_check_stop() interrupting it */
        sqlite3 *db;
        atomic_bool done;
};

/* "file:" URI of a path: everything but unreserved characters and "/" percent-encoded. */
static char *path_to_uri(const char *path, const char *query) {
        char *uri = malloc(5 + 3 * strlen(path) + strlen(query) + 1), *p;
        if (!uri)
                return NULL;
        p = stpcpy(uri, "file:");
        for (const char *c = path; *c; c++) {
                unsigned char ch = (unsigned char) *c;
                if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                    strchr("/-._~", ch))
                        *p++ = (char) ch;
                else
                        p += sprintf(p, "%%%02X", ch);
        }
        strcpy(p, query);
        return uri;
}

static void set_db(IntegrityCheck *c, sqlite3 *db) {
        pthread_mutex_lock(&c->lock);
        c->db = db;
        pthread_mutex_unlock(&c->lock);
}

static void check_run(IntegrityCheck *c) {
        sqlite3_stmt *st = NULL;
        sqlite3 *db = NULL;
        usec_t t0 = now_realtime_usec();
        int r;

        r = sqlite3_open_v2(c->uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
        if (r != SQLITE_OK) {
                log_warning("%s: cannot open the database for its integrity check: %s", c->path,
                            db ? sqlite3_errmsg(db) : sqlite3_errstr(r));
                sqlite3_close_v2(db);
                return;
        }
        set_db(c, db);

        r = sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL);
        if (r == SQLITE_OK)
                r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
                const char *verdict = (const char *) sqlite3_column_text(st, 0);
                if (streq_ptr(verdict, "ok"))
                        log_info("%s: integrity check passed (%.1f s in the background)", c->path,
                                 (double) (now_realtime_usec() - t0) / USEC_PER_SEC);
                else
                        c->corrupt(verdict ?: "integrity check failed", c->userdata);
        } else if ((r & 0xff) == SQLITE_CORRUPT || (r & 0xff) == SQLITE_NOTADB)
                c->corrupt(sqlite3_errmsg(db), c->userdata);
        else if ((r & 0xff) != SQLITE_INTERRUPT)
                log_warning("%s: the background integrity check could not run: %s", c->path, sqlite3_errmsg(db));
        sqlite3_finalize(st);

        set_db(c, NULL);
        sqlite3_close_v2(db);
}

static void *check_thread(void *p) {
        IntegrityCheck *c = p;
        check_run(c);
        atomic_store(&c->done, true);
        return NULL;
}

static IntegrityCheck *check_free(IntegrityCheck *c) {
        if (c) {
                pthread_mutex_destroy(&c->lock);
                free(c->uri);
                free(c->path);
                free(c);
        }
        return NULL;
}

int integrity_check_start(const char *path, IntegrityCheckCorrupt corrupt, void *userdata, IntegrityCheck **ret) {
        IntegrityCheck *c;
        int r;

        if (!sqlite3_threadsafe())
                return -EOPNOTSUPP;
        c = calloc(1, sizeof *c);
        if (!c)
                return -ENOMEM;
        if (pthread_mutex_init(&c->lock, NULL) != 0) {
                free(c);
                return -ENOMEM;
        }
        c->corrupt = corrupt;
        c->userdata = userdata;
        c->path = strdup(path);
        c->uri = path_to_uri(path, "?immutable=1");
        if (!c->path || !c->uri) {
                check_free(c);
                return -ENOMEM;
        }
        r = pthread_create(&c->thread, NULL, check_thread, c);
        if (r != 0) {
                check_free(c);
                return -r;
        }
        *ret = c;
        return 0;
}

bool integrity_check_done(IntegrityCheck *c) {
        return atomic_load(&c->done);
}

IntegrityCheck *integrity_check_stop(IntegrityCheck *c) {
        if (!c)
                return NULL;
        pthread_mutex_lock(&c->lock);
        if (c->db)
                sqlite3_interrupt(c->db);
        pthread_mutex_unlock(&c->lock);
        (void) pthread_join(c->thread, NULL);
        return check_free(c);
}

int sqlite_backup_to_new_file(sqlite3 *src, const char *path) {
        sqlite3 *dest = NULL;
        sqlite3_backup *b;
        int fd, r;

        /* Created here, not by SQLite: never over an existing file, and private from the start. */
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return log_error_errno(-errno, "%s: cannot create the backup: %m", path);
        close(fd);

        r = sqlite3_open_v2(path, &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
        if (r == SQLITE_OK) {
                b = sqlite3_backup_init(dest, "main", src, "main");
                if (b) {
                        (void) sqlite3_backup_step(b, -1);
                        r = sqlite3_backup_finish(b);
                } else
                        r = sqlite3_errcode(dest);
        }
        /* The copy carries the source's WAL mode; a backup is one self-contained file. */
        if (r == SQLITE_OK)
                r = sqlite3_exec(dest, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL);
        if (r != SQLITE_OK) {
                log_error("%s: the backup failed: %s", path, dest ? sqlite3_errmsg(dest) : sqlite3_errstr(r));
                sqlite3_close_v2(dest);
                (void) unlink(path);
                return (r & 0xff) == SQLITE_FULL ? -ENOSPC : -EIO;
        }
        r = sqlite3_close_v2(dest);
        if (r != SQLITE_OK) {
                (void) unlink(path);
                return -EIO;
        }
        return 0;
}
