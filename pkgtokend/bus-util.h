/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Helpers for the bus adapters: reading arguments (option dictionaries, bounded string
 * arrays) and writing record dictionaries. */

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "macro.h"
#include "model.h"

/* Sets InvalidArgument with message; returns the negative errno for the handler. */
int invalid_argument(sd_bus_error *error, const char *message);

typedef enum OptionType {
        OPTION_STRING,
        OPTION_BOOL,
        OPTION_UINT64,   /* "t" */
} OptionType;

typedef struct OptionSpec {
        const char *key;
        OptionType type;
        void *value;     /* const char **, bool * or uint64_t * */
} OptionSpec;

/* Reads an a{sv} of options.  Unknown keys and wrong types are refused: a caller that asks
 * for something this daemon does not know must not be silently ignored. */
int read_options(sd_bus_message *msg, const OptionSpec *specs, size_t n_specs, sd_bus_error *error);

/* Reads an "as" into a newly allocated NULL-terminated vector (never NULL on success);
 * InvalidArgument "Too many WHAT" past max. */
int read_strv_limited(sd_bus_message *msg, size_t max, char ***ret, sd_bus_error *error, const char *what);

/* Checked and canonical forms of common arguments; InvalidArgument with a message that says
 * what is expected otherwise. */
int bus_check_account_name(const char *name, sd_bus_error *error);
int bus_read_package_name(const char *name, char **ret, sd_bus_error *error);
/* The same, where "" means no package: *ret is then NULL. */
int bus_read_optional_package_name(const char *name, char **ret, sd_bus_error *error);
int bus_read_policy(const char *s, bool empty_is_default, PackagePolicy *ret, sd_bus_error *error);
/* empty_is_default: "" means auth-and-writes. */
int bus_read_twofa_mode(const char *s, bool empty_is_default, TwoFactorMode *ret, sd_bus_error *error);
/* "" (unknown) or an IPv4/IPv6 address of at most REMOTE_MAX characters. */
int bus_check_remote(const char *remote, sd_bus_error *error);

/* The end of a method that answers nothing: replies when r >= 0, else sets error from r. */
int bus_reply_done(sd_bus_message *msg, int r, sd_bus_error *error);

/* Replies with what append() writes into a new method return: the shape of every Get method. */
typedef int (*BusAppend)(sd_bus_message *reply, const void *userdata);
int bus_reply_record(sd_bus_message *msg, BusAppend append, const void *userdata);

/* One {sv} entry of a record dictionary. */
int append_entry(sd_bus_message *reply, const char *key, const char *type, ...);
int append_strv_entry(sd_bus_message *reply, const char *key, char * const *l);

#define APPEND(call)                            \
        do {                                    \
                int _r = (call);                \
                if (_r < 0)                     \
                        return _r;              \
        } while (0)
