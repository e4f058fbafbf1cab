/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* A notification server for tests/bus-notify.sh: owns org.freedesktop.Notifications on the
 * session bus ($DBUS_SESSION_BUS_ADDRESS) and appends each Notify call to the file argv[1],
 * one line: "app|summary|body|urgency".  Runs until killed. */

#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

static const char *record;
static uint32_t last_id;

static int read_urgency(sd_bus_message *m, unsigned *ret) {
        int r = sd_bus_message_enter_container(m, 'a', "{sv}");
        while (r > 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *key;
                uint8_t u;

                r = sd_bus_message_read(m, "s", &key);
                if (r >= 0 && key[0] == 'u' && sd_bus_message_read(m, "v", "y", &u) >= 0)
                        *ret = u;
                else if (r >= 0)
                        r = sd_bus_message_skip(m, "v");
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
        }
        return r < 0 ? r : sd_bus_message_exit_container(m);
}

static int method_notify(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *app, *icon, *summary, *body;
        unsigned urgency = 1;
        uint32_t replaces;
        FILE *f;
        int r;

        r = sd_bus_message_read(m, "susss", &app, &replaces, &icon, &summary, &body);
        if (r >= 0)
                r = sd_bus_message_skip(m, "as");
        if (r >= 0)
                r = read_urgency(m, &urgency);
        if (r < 0)
                return r;
        f = fopen(record, "ae");
        if (!f)
                return -errno;
        fprintf(f, "%s|%s|%s|%u\n", app, summary, body, urgency);
        fclose(f);
        return sd_bus_reply_method_return(m, "u", ++last_id);
}

static const sd_bus_vtable vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("Notify", "susssasa{sv}i", "u", method_notify, 0),
        SD_BUS_VTABLE_END
};

int main(int argc, char *argv[]) {
        sd_bus *bus = NULL;
        int r;

        if (argc != 2) {
                fprintf(stderr, "usage: notify-recorder FILE\n");
                return 2;
        }
        record = argv[1];
        r = sd_bus_open_user(&bus);
        if (r >= 0)
                r = sd_bus_add_object_vtable(bus, NULL, "/org/freedesktop/Notifications", "org.freedesktop.Notifications",
                                             vtable, NULL);
        if (r >= 0)
                r = sd_bus_request_name(bus, "org.freedesktop.Notifications", 0);
        for (; r >= 0;) {
                r = sd_bus_process(bus, NULL);
                if (r == 0)
                        r = sd_bus_wait(bus, UINT64_MAX);
        }
        fprintf(stderr, "notify-recorder: %s\n", strerror(-r));
        sd_bus_flush_close_unref(bus);
        return 1;
}
