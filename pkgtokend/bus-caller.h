/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Who may call what.  Admins are root and the uid the daemon runs as (which lets the tests
 * run unprivileged); polkit comes later.  Verifiers are admins and members of the registry
 * group: the registry front ends that check passwords, OTPs and tokens for their users. */

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "manager.h"

/* Admin methods.  AccessDenied otherwise. */
int bus_verify_admin(Manager *m, sd_bus_message *msg, sd_bus_error *error, uid_t *ret_uid);
/* Verify methods: admins and verifiers; *ret_admin tells which. */
int bus_verify_verifier(Manager *m, sd_bus_message *msg, sd_bus_error *error, uid_t *ret_uid, bool *ret_admin);
