/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdbool.h>

#include "bus-client.h"

int bus_client_open(const char *address, const char *description, usec_t timeout, sd_bus **ret) {
        sd_bus *bus = NULL;
        int r;

        r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_address(bus, address);
        if (r >= 0)
                r = sd_bus_set_bus_client(bus, true);
        if (r >= 0 && description)
                r = sd_bus_set_description(bus, description);
        if (r >= 0 && timeout > 0)
                r = sd_bus_set_method_call_timeout(bus, timeout);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r < 0) {
                sd_bus_close_unref(bus);
                return r;
        }
        *ret = bus;
        return 0;
}
