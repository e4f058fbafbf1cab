/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* A Unix user linked to an account (pkgtokenctl account link) runs pkgtokenctl without root:
 * where a command names no account, it acts on its own through the methods that take a uid
 * proof (WhoAmI, ListOwnTokens, CreateOwnToken, RevokeOwnToken, GetProfile). */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl-bus.h"
#include "ctl-self.h"
#include "macro.h"

static char *self = NULL;
static bool self_known = false;

int self_account(const char **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *name;
        int r;

        if (self_known) {
                *ret = self;
                return !!self;
        }
        self_known = true;
        *ret = NULL;
        /* root is an admin: it names the accounts it acts on. */
        if (geteuid() == 0)
                return 0;
        r = method_new(&m, "WhoAmI", false);
        if (r >= 0)
                r = sd_bus_message_append(m, "a{sv}", 0);
        if (r < 0)
                return bus_log_build_error(m, r);
        /* Not linked (AccessDenied) or no daemon: the admin methods say why, later. */
        if (method_call_quiet(m, &error, &reply) < 0 || sd_bus_message_read(reply, "s", &name) < 0)
                return 0;
        self = strdup(name);
        if (!self)
                return log_oom();
        *ret = self;
        return 1;
}

int self_proof_append(sd_bus_message *m, const char *otp) {
        return otp ? sd_bus_message_append(m, "a{sv}", 1, "otp", "s", otp) : sd_bus_message_append(m, "a{sv}", 0);
}

void self_done(void) {
        free(self);
        self = NULL;
        self_known = false;
}
