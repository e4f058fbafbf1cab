/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Helpers for the bus methods: errors, option dictionaries, record dictionaries. */

#include <errno.h>
#include <stdarg.h>

#include "bus-util.h"
#include "strv.h"
#include "names.h"
#include "validate.h"

/* Store errors become bus errors; -EIO and friends were already logged by the store and are
 * reported without detail, so no SQL or path leaks to callers. */
int reply_store_error(sd_bus_error *error, int r, const char *not_found_error, const char *what) {
        switch (r) {
        case -ENOENT:
                return sd_bus_error_setf(error, not_found_error, "No such %s.", what);
        case -ENOMEM:
                return -ENOMEM;
        case -ENOSPC:
                return sd_bus_error_set(error, SD_BUS_ERROR_FAILED, "The token store is out of disk space.");
        default:
                return sd_bus_error_set(error, SD_BUS_ERROR_FAILED, "The token store failed; see the pkgtokend log.");
        }
}

int invalid_argument(sd_bus_error *error, const char *message) {
        return sd_bus_error_set(error, PKGTOKEN_ERROR_INVALID_ARGUMENT, message);
}

/* Reads an a{sv} of options.  Unknown keys and wrong types are refused: a caller that asks
 * for something this daemon does not know must not be silently ignored. */
int read_options(sd_bus_message *msg, const OptionSpec *specs, size_t n_specs, sd_bus_error *error) {
        int r;

        r = sd_bus_message_enter_container(msg, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(msg, 'e', "sv")) > 0) {
                const OptionSpec *spec = NULL;
                const char *key;

                r = sd_bus_message_read(msg, "s", &key);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < n_specs; i++)
                        if (streq(specs[i].key, key))
                                spec = &specs[i];
                if (!spec)
                        return sd_bus_error_setf(error, PKGTOKEN_ERROR_INVALID_ARGUMENT, "Unknown option '%.64s'.", key);

                if (spec->type == OPTION_STRING)
                        r = sd_bus_message_read(msg, "v", "s", (const char **) spec->value);
                else {
                        int b;
                        r = sd_bus_message_read(msg, "v", "b", &b);
                        if (r >= 0)
                                *(bool *) spec->value = b;
                }
                if (r < 0)
                        return sd_bus_error_setf(error, PKGTOKEN_ERROR_INVALID_ARGUMENT,
                                                 "Option '%s' has the wrong type.", spec->key);
                r = sd_bus_message_exit_container(msg);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(msg);
}

int check_account_name(const char *name, sd_bus_error *error) {
        if (!account_name_is_valid(name))
                return invalid_argument(error, "Invalid account name: 1-64 characters of a-z, 0-9, '.', '_', '-', "
                                               "starting with a letter or digit.");
        return 0;
}

int append_entry(sd_bus_message *reply, const char *key, const char *type, ...) {
        va_list ap;
        int r;

        r = sd_bus_message_open_container(reply, 'e', "sv");
        if (r < 0)
                return r;
        r = sd_bus_message_append(reply, "s", key);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'v', type);
        if (r < 0)
                return r;
        va_start(ap, type);
        r = sd_bus_message_appendv(reply, type, ap);
        va_end(ap);
        if (r < 0)
                return r;
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

int append_strv_entry(sd_bus_message *reply, const char *key, char * const *l) {
        int r;

        r = sd_bus_message_open_container(reply, 'e', "sv");
        if (r < 0)
                return r;
        r = sd_bus_message_append(reply, "s", key);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'v', "as");
        if (r < 0)
                return r;
        r = sd_bus_message_append_strv(reply, (char **) l);
        if (r < 0)
                return r;
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

