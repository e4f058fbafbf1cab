/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io-util.h"
#include "keys-file.h"
#include "macro.h"

static int write_temporary(int fd, const char *data, size_t size) {
        int r = write_all(fd, data, size);

        if (r >= 0 && fchmod(fd, 0644) < 0)
                r = -errno;
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        return r;
}

int keys_file_replace(const char *path, const char *data, size_t size) {
        _cleanup_free_ char *copy = strdup(path), *temporary = NULL;
        const char *dir, *base;
        int fd, r;

        if (!copy)
                return -ENOMEM;
        dir = dirname(copy);
        base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        /* A dot file: not a *.conf, and hidden from whoever lists the directory. */
        if (asprintf(&temporary, "%s/.%s.XXXXXX", dir, base) < 0)
                return -ENOMEM;
        fd = mkostemp(temporary, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = write_temporary(fd, data, size);
        if (close(fd) < 0 && r >= 0)
                r = -errno;
        if (r >= 0 && rename(temporary, path) < 0)
                r = -errno;
        if (r < 0) {
                (void) unlink(temporary);
                return r;
        }
        return fsync_parent_directory(path);
}
