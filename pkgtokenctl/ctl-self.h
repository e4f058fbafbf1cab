/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

/* The account this Unix user is linked to, asked once (WhoAmI with a uid proof): 1 and *ret
 * (static, until self_done()); 0 when none, or when running as root. */
int self_account(const char **ret);
void self_done(void);

/* Appends a uid proof (a{sv}): nothing but the current one-time code, when otp is set. */
int self_proof_append(sd_bus_message *m, const char *otp);
