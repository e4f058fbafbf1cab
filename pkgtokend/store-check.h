/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the store uses to check and copy a database without stopping the daemon: a full
 * integrity check in a thread of its own, and SQLite's online backup to a new file.  Knows
 * nothing of the store's tables. */

#include <sqlite3.h>
#include <stdbool.h>

typedef struct IntegrityCheck IntegrityCheck;

/* Called from the check's thread with SQLite's first complaint. */
typedef void (*IntegrityCheckCorrupt)(const char *what, void *userdata);

/* Starts PRAGMA integrity_check on the file at path, in a thread, on a connection opened
 * with immutable=1: it takes no locks and ignores the WAL.  The caller must keep the file
 * complete and unchanged until the check is over (checkpoint the WAL first, and no
 * checkpoints meanwhile).  Logs its outcome; calls corrupt() if the file is damaged. */
int integrity_check_start(const char *path, IntegrityCheckCorrupt corrupt, void *userdata, IntegrityCheck **ret);
bool integrity_check_done(IntegrityCheck *c);
/* Interrupts the check if it still runs, waits for its thread, frees it. */
IntegrityCheck *integrity_check_stop(IntegrityCheck *c);

/* Copies the database "main" of src to a new file at path (mode 0600, -EEXIST if it
 * exists), with SQLite's online backup API; the copy is synced before this returns. */
int sqlite_backup_to_new_file(sqlite3 *src, const char *path);
