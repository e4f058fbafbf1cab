/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The bus: one connection to pkgtokend (the system bus, --bus-address= or
 * $PKGTOKEN_BUS_ADDRESS), made lazily by the first verb that needs it, and the calls on the
 * manager object.  Every helper logs its failure as "Failed to WHAT: message", or "Cannot
 * reach pkgtokend on BUS: message" when the daemon is not there, and returns a negative errno. */

#include <stdbool.h>

#include <json-c/json.h>
#include <systemd/sd-bus.h>

#include "ctl-output.h"
#include "ctl-views.h"

/* A new call of the manager's method; sensitive marks it as carrying a secret, which sd-bus
 * wipes when the message is freed. */
int method_new(sd_bus_message **ret, const char *method, bool sensitive);

/* Sends m; what ("create account") names the action in the error message. */
int method_call(sd_bus_message *m, const char *what, sd_bus_message **ret_reply);

/* Like method_call() but keeps the error for the caller to look at (retries); logs nothing. */
int method_call_quiet(sd_bus_message *m, sd_bus_error *error, sd_bus_message **ret_reply);

/* Builds and sends a call from types and values (sd_bus_message_append() style). */
int method_call_simple(const char *method, const char *what, sd_bus_message **ret_reply,
                       const char *types, ...);

/* Calls a method whose reply is one value, and prints that value as JSON or through the view:
 * an array (a view with row words) as a table, an object as "Key: value" lines. */
/* The same for a list, printing only the elements keep() keeps (NULL: all). */
typedef bool (*JsonFilter)(json_object *o, const void *userdata);
int call_and_print_where(JsonFilter keep, const void *userdata, const char *method, const char *what,
                         const View *view, const char *types, ...);
#define call_and_print(method, what, view, ...) call_and_print_where(NULL, NULL, method, what, view, __VA_ARGS__)

/* Appends the options of a call (a{sv}): the string entries whose value is set, given as key
 * and value pairs ending with NULL. */
int bus_append_string_options(sd_bus_message *m, ...);

/* Logs a failed call as the helpers above do; returns a negative errno. */
int log_bus_error(const char *what, const sd_bus_error *e, int r);

/* "Failed to build METHOD call: %m" and "Failed to parse reply from pkgtokend: %m". */
int bus_log_build_error(sd_bus_message *m, int r);
int bus_log_parse_error(int r);

/* Closes the connection, if any, at exit. */
void bus_close(void);
