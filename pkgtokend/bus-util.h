/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Helpers for the bus methods: errors, option dictionaries, record dictionaries. */

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "macro.h"

/* Store errors become bus errors; -EIO and friends were already logged by the store and are
 * reported without detail, so no SQL or path leaks to callers. */
int reply_store_error(sd_bus_error *error, int r, const char *not_found_error, const char *what);
int invalid_argument(sd_bus_error *error, const char *message);
int check_account_name(const char *name, sd_bus_error *error);

typedef enum OptionType {
        OPTION_STRING,
        OPTION_BOOL,
} OptionType;

typedef struct OptionSpec {
        const char *key;
        OptionType type;
        void *value;     /* const char ** or bool * */
} OptionSpec;

/* Reads an a{sv} of options.  Unknown keys and wrong types are refused: a caller that asks
 * for something this daemon does not know must not be silently ignored. */
int read_options(sd_bus_message *msg, const OptionSpec *specs, size_t n_specs, sd_bus_error *error);

/* One {sv} entry of a record dictionary. */
int append_entry(sd_bus_message *reply, const char *key, const char *type, ...);
int append_strv_entry(sd_bus_message *reply, const char *key, char * const *l);

#define APPEND(call)                            \
        do {                                    \
                int _r = (call);                \
                if (_r < 0)                     \
                        return _r;              \
        } while (0)
