/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* polkit for the admin methods: a caller other than root and the daemon's uid may call one
 * when polkit allows the method's action (the actions of policy/org.pkgtoken1.policy).  The
 * question is asked by a bus filter, before the method runs, so that no method has to wait:
 * the filter holds the call until polkit answers (bus-polkit.h) and lets it through once
 * allowed; the method's caller check (bus-caller.c) then sees it allowed for this call only. */

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "manager.h"

/* Installs the filter; polkit's answers may take timeout (PolkitTimeoutSec=). */
int bus_access_setup(Manager *m);
void bus_access_done(Manager *m);

/* polkit allowed msg, the call being dispatched now. */
bool bus_access_granted(Manager *m, sd_bus_message *msg);

/* The polkit action of a Manager method, NULL when polkit has no say in it (tests). */
const char *bus_access_action(const char *member);
