/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

#include "time-util.h"

/* A connection to the bus at address as a bus client: how the PAM module, the upload gate and
 * the benchmarks reach pkgtokend.  description may be NULL, timeout 0 for sd-bus's default
 * method call timeout.  0 or a negative errno; *ret is only set on success. */
int bus_client_open(const char *address, const char *description, usec_t timeout, sd_bus **ret);

/* A peer-to-peer connection to pkgtokend's direct socket at path (no dbus-daemon, no Hello;
 * method calls need no destination).  The socket is connected here, so a missing socket or a
 * daemon that is not listening is -ENOENT / -ECONNREFUSED at once (-EACCES for a caller the
 * socket's mode keeps out). */
int bus_client_open_direct(const char *path, const char *description, usec_t timeout, sd_bus **ret);
