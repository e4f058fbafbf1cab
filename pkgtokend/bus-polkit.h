/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Asking polkit whether the sender of a method call may do an action, without blocking the
 * event loop: the first ask sends CheckAuthorization (org.freedesktop.PolicyKit1.Authority)
 * and answers "pending"; when polkit replies, the call is put back on the bus connection's
 * incoming queue, so it is dispatched again from the start, and the second ask finds the
 * answer.  polkit absent, failing, or silent for longer than the timeout: denied
 * (ERR_AUTHZ_UNAVAILABLE).  A password prompt through a polkit agent is allowed only when
 * the caller's message allows interactive authorization. */

#include <systemd/sd-bus.h>

#include "time-util.h"

typedef struct Polkit Polkit;

int polkit_new(sd_bus *bus, usec_t timeout, Polkit **ret);
Polkit *polkit_free(Polkit *p);
static inline void polkit_freep(Polkit **p) {
        polkit_free(*p);
}

/* 1: allowed; 0: asked, msg comes again once polkit answers (the caller must not reply);
 * negative errno with error set: denied. */
int polkit_check(Polkit *p, sd_bus_message *msg, const char *action, sd_bus_error *error);
