/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io-util.h"
#include "macro.h"

int io_loop(io_step_t step, void *userdata, void *buf, size_t n) {
        uint8_t *p = buf;

        while (n > 0) {
                ssize_t k = step(userdata, p, n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

static ssize_t write_step(void *userdata, void *buf, size_t n) {
        return write(*(const int *) userdata, buf, n);
}

int write_all(int fd, const void *buf, size_t n) {
        /* write(2) only reads buf; io_loop() takes it non-const because reads fill it. */
        return io_loop(write_step, &fd, (void *) buf, n);
}

int fsync_parent_directory(const char *path) {
        _cleanup_free_ char *dir = strdup(path);
        char *slash;
        int fd, r = 0;

        if (!dir)
                return -ENOMEM;
        slash = strrchr(dir, '/');
        if (!slash)
                strcpy(dir, ".");
        else if (slash == dir)
                slash[1] = '\0';
        else
                *slash = '\0';
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fsync(fd) < 0)
                r = -errno;
        close(fd);
        return r;
}
