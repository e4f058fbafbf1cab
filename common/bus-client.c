/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bus-client.h"
#include "socket-util.h"

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

int bus_client_open_direct(const char *path, const char *description, usec_t timeout, sd_bus **ret) {
        sd_bus *bus = NULL;
        int fd, r;

        fd = unix_stream_connect(path);
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
