/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Helpers for the bus adapters: arguments in, record dictionaries out. */

#include <errno.h>
#include <stdarg.h>

#include "bus-error.h"
#include "bus-util.h"
#include "input-limits.h"
#include "strv.h"
#include "validate.h"

int invalid_argument(sd_bus_error *error, const char *message) {
        return bus_error_set_errno_message(error, -ERR_INVALID_ARGUMENT, message);
}

int read_strv_limited(sd_bus_message *msg, size_t max, char ***ret, sd_bus_error *error, const char *what) {
        _cleanup_strv_free_ char **l = NULL;
        int r;

        r = sd_bus_message_read_strv(msg, &l);
        if (r < 0)
                return r;
        if (!l) {
                l = calloc(1, sizeof(char *));
                if (!l)
                        return -ENOMEM;
        }
        if (strv_length(l) > max)
                return bus_error_set_errnof(error, -ERR_INVALID_ARGUMENT, "Too many %s (at most %zu).", what, max);
        *ret = l;
        l = NULL;
        return 0;
}

/* One option's value: the variant must hold the spec's type.  read_basic() straight away:
 * a format string parsed per option costs more than the rest of reading it (Authorize reads
 * one or two options on every call). */
static int read_option_value(sd_bus_message *msg, const OptionSpec *spec) {
        static const char types[] = { [OPTION_STRING] = 's', [OPTION_BOOL] = 'b', [OPTION_UINT64] = 't' };
        const char type = types[spec->type], signature[2] = { type, 0 };
        int b, r;

        r = sd_bus_message_enter_container(msg, 'v', signature);
        if (r <= 0)
                return r < 0 ? r : -ENXIO;
        r = sd_bus_message_read_basic(msg, type, spec->type == OPTION_BOOL ? (void *) &b : spec->value);
        if (r >= 0 && spec->type == OPTION_BOOL)
                *(bool *) spec->value = b;
        return r < 0 ? r : sd_bus_message_exit_container(msg);
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

                r = sd_bus_message_read_basic(msg, 's', &key);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < n_specs; i++)
                        if (streq(specs[i].key, key))
                                spec = &specs[i];
                if (!spec)
                        return bus_error_set_errnof(error, -ERR_INVALID_ARGUMENT, "Unknown option '%.64s'.", key);
                r = read_option_value(msg, spec);
                if (r < 0)
                        return bus_error_set_errnof(error, -ERR_INVALID_ARGUMENT, "Option '%s' has the wrong type.",
                                                    spec->key);
                r = sd_bus_message_exit_container(msg);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(msg);
}

int bus_check_account_name(const char *name, sd_bus_error *error) {
        if (!account_name_is_valid(name))
                return invalid_argument(error, "Invalid account name: 1-64 characters of a-z, 0-9, '.', '_', '-', "
                                               "starting with a letter or digit.");
        return 0;
}

int bus_read_package_name(const char *name, char **ret, sd_bus_error *error) {
        int r = package_name_canonicalize(name, ret);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return invalid_argument(error, "Invalid package name: use an npm name (name or @scope/name) "
                                               "or a PyPI name.");
        return 0;
}

int bus_read_optional_package_name(const char *name, char **ret, sd_bus_error *error) {
        *ret = NULL;
        return isempty(name) ? 0 : bus_read_package_name(name, ret, error);
}

int bus_read_policy(const char *s, bool empty_is_default, PackagePolicy *ret, sd_bus_error *error) {
        int p = empty_is_default && isempty(s) ? PACKAGE_POLICY_DEFAULT : package_policy_from_string(s);
        if (p < 0)
                return invalid_argument(error, "Invalid publishing policy: use none, 2fa-or-automation or 2fa-only.");
        *ret = p;
        return 0;
}

int bus_read_twofa_mode(const char *s, bool empty_is_default, TwoFactorMode *ret, sd_bus_error *error) {
        int mode = empty_is_default && isempty(s) ? TWOFA_AUTH_AND_WRITES : twofa_mode_from_string(s);
        if (mode < 0)
                return invalid_argument(error, "Invalid 2FA mode: use disabled, auth-only or auth-and-writes.");
        *ret = mode;
        return 0;
}

int bus_check_remote(const char *remote, sd_bus_error *error) {
        uint8_t addr[16];
        int family;

        /* "" means the registry does not know the address (an allow-list then refuses);
         * anything else must be an address, so a registry's mistake shows up at once. */
        if (!isempty(remote) && (strlen(remote) > REMOTE_MAX || address_parse(remote, &family, addr) < 0))
                return invalid_argument(error, "Invalid remote address: use an IPv4 or IPv6 address.");
        return 0;
}

/* An {sv} entry is opened with its key and variant type, filled, and closed twice. */
static int open_entry(sd_bus_message *reply, const char *key, const char *type) {
        int r;

        r = sd_bus_message_open_container(reply, 'e', "sv");
        if (r < 0)
                return r;
        r = sd_bus_message_append(reply, "s", key);
        if (r < 0)
                return r;
        return sd_bus_message_open_container(reply, 'v', type);
}

static int close_entry(sd_bus_message *reply) {
        int r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

int append_entry(sd_bus_message *reply, const char *key, const char *type, ...) {
        va_list ap;
        int r;

        r = open_entry(reply, key, type);
        if (r < 0)
                return r;
        va_start(ap, type);
        r = sd_bus_message_appendv(reply, type, ap);
        va_end(ap);
        if (r < 0)
                return r;
        return close_entry(reply);
}

int append_strv_entry(sd_bus_message *reply, const char *key, char * const *l) {
        int r;

        r = open_entry(reply, key, "as");
        if (r < 0)
                return r;
        r = sd_bus_message_append_strv(reply, (char **) l);
        if (r < 0)
                return r;
        return close_entry(reply);
}

int bus_reply_record(sd_bus_message *msg, BusAppend append, const void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = append(reply, userdata);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

int bus_reply_done(sd_bus_message *msg, int r, sd_bus_error *error) {
        if (r < 0)
                return bus_error_set_errno_message(error, r, NULL);
        return sd_bus_reply_method_return(msg, NULL);
}
