/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Backup: a consistent copy of the store, made by the daemon itself (it holds the database
 * exclusively, so no outside tool can read it while it runs). */

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "bus-caller.h"
#include "bus-error.h"
#include "bus-methods.h"
#include "bus-util.h"
#include "errors.h"

int method_backup(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *path;
        int r;

        /* The file is written with the daemon's privileges: admins only. */
        r = bus_begin_call(m, msg, &(BusCall) { BUS_NO_OPTIONS }, error, "s", &path);
        if (r < 0)
                return r;
        if (path[0] != '/' || strlen(path) >= PATH_MAX)
                return invalid_argument(error, "The backup path must be an absolute file name.");

        r = store_backup(m->store, path);
        if (r == -EOPNOTSUPP)
                return sd_bus_error_set(error, SD_BUS_ERROR_NOT_SUPPORTED,
                                        "The store is a PostgreSQL database: back it up with pg_dump "
                                        "(docs/postgresql.md).");
        if (r == -EEXIST)
                return bus_error_set_errnof(error, -ERR_INVALID_ARGUMENT,
                                            "%s exists; a backup never overwrites a file.", path);
        if (r == -ENOENT || r == -EACCES || r == -ENOTDIR || r == -ELOOP || r == -EROFS)
                return bus_error_set_errnof(error, -ERR_INVALID_ARGUMENT, "Cannot create %s: %s.", path,
                                            strerror(-r));
        return bus_reply_done(msg, r, error);
}
