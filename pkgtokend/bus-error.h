/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The one errno → org.pkgtoken1.Error.* map.  The domain returns the ERR_* errnos of
 * errors.h; the bus adapters turn them into replies here, never spelling an error name.
 *
 * The table is sd-bus's own SD_BUS_ERROR_MAP, registered with sd_bus_error_add_map() so that
 * sd_bus_error_set() and sd_bus_error_get_errno() give our errnos for our names.  sd-bus
 * consults such maps only from name to errno (sd_bus_error_set_errnof() makes
 * System.Error.* names), so the other direction looks the errno up in the same table. */

#include <systemd/sd-bus.h>

#include "errors.h"
#include "macro.h"

extern const sd_bus_error_map pkgtoken_error_map[];

int bus_error_add_map(void);

/* The error name for a negative errno, or NULL when it is not one of ours (a failure). */
const char *bus_error_name_from_errno(int r);

/* Sets e from a negative errno: our name with the formatted message, or for any other errno
 * the store's failure, without detail (it was logged; no SQL or path leaks to callers).
 * Returns a negative errno for the method handler to return; -ENOMEM stays -ENOMEM. */
int bus_error_set_errnof(sd_bus_error *e, int r, const char *format, ...) _printf_(3, 4);
/* The same with a static message from the domain; NULL: the error's default message. */
int bus_error_set_errno_message(sd_bus_error *e, int r, const char *message);

/* Account load errors (malformed name, no such account) say which name. */
int bus_error_set_account(sd_bus_error *e, int r, const char *name);

/* ... and NoSuchPackage says which (canonical) name. */
int bus_error_set_package(sd_bus_error *e, int r, const char *name);

/* A maintainer change's errors (AddMaintainer, RemoveMaintainer, ChangeMaintainer) say which
 * package and account. */
int bus_error_set_maintainer(sd_bus_error *e, int r, const char *package, const char *account);

/* Replies with the error to a method call answered later (from a worker's done callback). */
int bus_reply_errno(sd_bus_message *msg, int r, const char *message);
