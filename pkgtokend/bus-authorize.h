/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The arguments Authorize and Verify share: (s token, s package, s action, a{sv} options). */

#include <systemd/sd-bus.h>

#include "authorize.h"
#include "manager.h"

/* The Authorizer of Authorize, Verify and the registry's token proofs: the manager's parts,
 * and TokenRevoked for the tokens a reused rotated-out secret takes down with it. */
Authorizer bus_authorizer(Manager *m);

typedef struct AuthorizeArguments {
        AuthorizeRequest request;
        char *package;          /* canonical; request.package points here */
} AuthorizeArguments;
void authorize_arguments_done(AuthorizeArguments *a);

/* verify: Verify's actions (identity with package "", the writes), its "version" option and a
 * two-phase request; else Authorize's read and publish. */
int bus_read_authorize_request(sd_bus_message *msg, bool verify, AuthorizeArguments *a, sd_bus_error *error);
