/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl-bus.h"
#include "ctl-json.h"
#include "macro.h"
#include "names.h"

static sd_bus *bus = NULL;

/* --bus-address=, else $PKGTOKEN_BUS_ADDRESS; NULL: the system bus. */
static const char *bus_address(void) {
        const char *e;

        if (arg_bus_address)
                return arg_bus_address;
        e = getenv(PKGTOKEN_BUS_ADDRESS_ENV);
        return isempty(e) ? NULL : e;
}

static const char *bus_description(void) {
        return bus_address() ?: "the system bus";
}

static int bus_open_address(const char *address, sd_bus **ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *b = NULL;
        int r;

        r = sd_bus_new(&b);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate bus: %m");
        r = sd_bus_set_address(b, address);
        if (r < 0)
                return log_error_errno(r, "Invalid bus address '%s': %m", address);
        r = sd_bus_set_bus_client(b, 1);
        if (r < 0)
                return log_error_errno(r, "Failed to configure bus: %m");
        r = sd_bus_start(b);
        if (r < 0)
                return log_error_errno(r, "Cannot reach pkgtokend on %s: %m", address);

        *ret = b;
        b = NULL;
        return 0;
}

static int acquire_bus(void) {
        int r;

        if (bus)
                return 0;

        if (bus_address()) {
                r = bus_open_address(bus_address(), &bus);
                if (r < 0)
                        return r;
        } else {
                r = sd_bus_open_system(&bus);
                if (r < 0)
                        return log_error_errno(r, "Cannot reach pkgtokend on %s: %m", bus_description());
        }

        /* Lets the daemon ask polkit to prompt for admin verbs when a person is at the
         * keyboard; scripts get a plain "access denied" instead of a hang. */
        (void) sd_bus_set_allow_interactive_authorization(bus, arg_ask_password && isatty(STDIN_FILENO));
        return 0;
}

void bus_close(void) {
        bus = sd_bus_flush_close_unref(bus);
}

/* Errors that mean the daemon is not there (not running, not activatable, crashed, hung),
 * as opposed to the daemon refusing the request. */
static bool bus_error_is_unreachable(const sd_bus_error *e, int r) {
        if (sd_bus_error_has_names(e,
                                   SD_BUS_ERROR_SERVICE_UNKNOWN,
                                   SD_BUS_ERROR_NAME_HAS_NO_OWNER,
                                   SD_BUS_ERROR_NO_REPLY,
                                   SD_BUS_ERROR_TIMEOUT,
                                   SD_BUS_ERROR_DISCONNECTED,
                                   SD_BUS_ERROR_NO_SERVER))
                return true;
        if (sd_bus_error_is_set(e) &&
            strncmp(e->name, "org.freedesktop.DBus.Error.Spawn.", 33) == 0)
                return true;
        return !sd_bus_error_is_set(e) &&
               (r == -ECONNRESET || r == -ENOTCONN || r == -ETIMEDOUT || r == -EPIPE);
}

int log_bus_error(const char *what, const sd_bus_error *e, int r) {
        const char *msg;

        msg = sd_bus_error_is_set(e) && !isempty(e->message) ? e->message : strerror(r < 0 ? -r : r);

        if (bus_error_is_unreachable(e, r))
                log_error("Cannot reach pkgtokend on %s: %s", bus_description(), msg);
        else
                log_error("Failed to %s: %s", what, msg);
        return r < 0 ? r : -EIO;
}

int bus_log_build_error(sd_bus_message *m, int r) {
        return log_error_errno(r, "Failed to build %s call: %m", sd_bus_message_get_member(m));
}

int bus_log_parse_error(int r) {
        return log_error_errno(r, "Failed to parse reply from pkgtokend: %m");
}

int bus_append_string_options(sd_bus_message *m, ...) {
        const char *key;
        va_list ap;
        int r;

        r = sd_bus_message_open_container(m, 'a', "{sv}");
        va_start(ap, m);
        while (r >= 0 && (key = va_arg(ap, const char *))) {
                const char *value = va_arg(ap, const char *);

                if (value)
                        r = sd_bus_message_append(m, "{sv}", key, "s", value);
        }
        va_end(ap);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(m);
}

int method_new(sd_bus_message **ret, const char *method, bool sensitive) {
        int r;

        r = acquire_bus();
        if (r < 0)
                return r;

        r = sd_bus_message_new_method_call(bus, ret, PKGTOKEN_BUS_NAME, PKGTOKEN_OBJECT_PATH,
                                           PKGTOKEN_MANAGER_IFACE, method);
        if (r < 0)
                return log_error_errno(r, "Failed to create %s call: %m", method);
        if (sensitive)
                (void) sd_bus_message_sensitive(*ret);
        return 0;
}

int method_call_quiet(sd_bus_message *m, sd_bus_error *error, sd_bus_message **ret_reply) {
        return sd_bus_call(bus, m, 0, error, ret_reply);
}

int method_call(sd_bus_message *m, const char *what, sd_bus_message **ret_reply) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = method_call_quiet(m, &error, ret_reply);
        if (r < 0)
                return log_bus_error(what, &error, r);
        return 0;
}

static int method_callv(const char *method, const char *what, sd_bus_message **ret_reply,
                        const char *types, va_list ap) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = method_new(&m, method, false);
        if (r < 0)
                return r;

        if (!isempty(types)) {
                r = sd_bus_message_appendv(m, types, ap);
                if (r < 0)
                        return bus_log_build_error(m, r);
        }

        return method_call(m, what, ret_reply);
}

int method_call_simple(const char *method, const char *what, sd_bus_message **ret_reply,
                       const char *types, ...) {
        va_list ap;
        int r;

        va_start(ap, types);
        r = method_callv(method, what, ret_reply, types, ap);
        va_end(ap);
        return r;
}

/* The elements of array v that keep() keeps, as a new array. */
static json_object *json_array_filter(json_object *v, JsonFilter keep, const void *userdata) {
        json_object *kept = json_object_new_array();
        size_t n = json_object_array_length(v);

        for (size_t i = 0; kept && i < n; i++) {
                json_object *e = json_object_array_get_idx(v, i);
                if (keep(e, userdata) && json_object_array_add(kept, json_object_get(e)) < 0) {
                        json_object_put(e);
                        json_object_put(kept);
                        return NULL;
                }
        }
        return kept;
}

static int call_and_printv(JsonFilter keep, const void *userdata, const char *method, const char *what,
                           const View *view, const char *types, va_list ap) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_json_ json_object *v = NULL;
        int r;

        r = method_callv(method, what, &reply, types, ap);
        if (r < 0)
                return r;

        r = reply_read_json(reply, view->plural ? json_type_array : json_type_object, &v);
        if (r < 0)
                return r;
        if (keep && view->plural) {
                json_object *kept = json_array_filter(v, keep, userdata);
                if (!kept)
                        return log_oom();
                json_object_put(v);
                v = kept;
        }

        return print_object(v, view->fields, view->n_fields, view->singular, view->plural);
}

int call_and_print_where(JsonFilter keep, const void *userdata, const char *method, const char *what,
                         const View *view, const char *types, ...) {
        va_list ap;
        int r;

        va_start(ap, types);
        r = call_and_printv(keep, userdata, method, what, view, types, ap);
        va_end(ap);
        return r;
}
