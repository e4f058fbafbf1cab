/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bus-client.h"

/* The settings every client connection has; then started. */
static int client_start(sd_bus *bus, const char *description, usec_t timeout) {
        int r = 0;

        if (description)
                r = sd_bus_set_description(bus, description);
        if (r >= 0 && timeout > 0)
                r = sd_bus_set_method_call_timeout(bus, timeout);
        if (r >= 0)
                r = sd_bus_start(bus);
        return r;
}

int bus_client_open(const char *address, const char *description, usec_t timeout, sd_bus **ret) {
        sd_bus *bus = NULL;
        int r;

        r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_address(bus, address);
        if (r >= 0)
                r = sd_bus_set_bus_client(bus, true);
        if (r >= 0)
                r = client_start(bus, description, timeout);
        if (r < 0) {
                sd_bus_close_unref(bus);
                return r;
        }
        *ret = bus;
        return 0;
}

static int connect_unix(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        size_t n = strlen(path);
        int fd;

        if (n == 0 || n >= sizeof sa.sun_path)
                return -EINVAL;
        memcpy(sa.sun_path, path, n);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        /* A local stream socket connects at once or not at all (EAGAIN: its backlog is full). */
        if (connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

int bus_client_open_direct(const char *path, const char *description, usec_t timeout, sd_bus **ret) {
        sd_bus *bus = NULL;
        int fd, r;

        fd = connect_unix(path);
        if (fd < 0)
                return fd;
        r = sd_bus_new(&bus);
        if (r < 0) {
                close(fd);
                return r;
        }
        r = sd_bus_set_fd(bus, fd, fd);
        if (r < 0)
                close(fd);
        else
                r = client_start(bus, description, timeout);
        if (r < 0) {
                sd_bus_close_unref(bus);
                return r;
        }
        *ret = bus;
        return 0;
}
