/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdarg.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "bench-util.h"
#include "bus-client.h"
#include "names.h"

/* "direct:PATH": pkgtokend's direct socket at PATH; NULL for a bus address. */
static const char *startswith_direct(const char *address) {
        return strncmp(address, "direct:", 7) == 0 ? address + 7 : NULL;
}

sd_bus *bench_bus_connect(const char *address) {
        const char *path = startswith_direct(address);
        sd_bus *bus = NULL;
        int r;

        r = path ? bus_client_open_direct(path, NULL, 0, &bus) : bus_client_open(address, NULL, 0, &bus);
        if (r < 0)
                die("cannot connect to %s: %s", address, strerror(-r));
        return bus;
}

sd_bus_message *bench_call(sd_bus *bus, const char *interface, const char *member, const char *what,
                           const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        va_list ap;
        int r;

        /* On a direct connection nobody else is there: no destination. */
        r = sd_bus_message_new_method_call(bus, &m, sd_bus_is_bus_client(bus) > 0 ? PKGTOKEN_BUS_NAME : NULL,
                                           PKGTOKEN_OBJECT_PATH, interface, member);
        if (r >= 0 && types) {
                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
        }
        if (r < 0)
                die("cannot build %s: %s", member, strerror(-r));
        r = sd_bus_call(bus, m, BENCH_CALL_TIMEOUT_USEC, &error, &reply);
        if (r < 0)
                die("%s (%s) failed: %s: %s", member, what, error.name ?: "(no error name)",
                    error.message ?: strerror(-r));
        return reply;
}

void authorize_reply_read(sd_bus_message *reply, const char **ret_result, const char **ret_reason,
                          const char **ret_token_id) {
        const char *actor;
        int r;

        r = sd_bus_message_read(reply, "ssss", ret_result, ret_reason, &actor, ret_token_id);
        if (r < 0)
                die("cannot read the Authorize reply: %s", strerror(-r));
}
