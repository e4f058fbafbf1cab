/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the admins' 2FA methods (bus-twofa.c) and a registry's for a proven account
 * (bus-registry.c) share: each checks its arguments, acts and replies (or sets error). */

#include <systemd/sd-bus.h>

#include "manager.h"
#include "store.h"

int bus_enroll_totp(Manager *m, sd_bus_message *msg, const char *account, sd_bus_error *error);
int bus_confirm_totp(Manager *m, sd_bus_message *msg, const char *account, const char *otp, const char *mode_string,
                     sd_bus_error *error);
/* Starts a 2FA change in tx: 2FA must be on; a current code unless proven says the caller
 * proved one already (an admin's override, or a registry's password + OTP proof). */
int bus_begin_twofa_change(Manager *m, Transaction *tx, const char *account, const char *otp, bool proven,
                           AccountRecord *a, sd_bus_error *error);
int bus_set_twofa_mode(Manager *m, sd_bus_message *msg, Transaction *tx, const AccountRecord *a,
                       const char *mode_string, sd_bus_error *error);
