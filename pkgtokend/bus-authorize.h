/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The arguments Authorize and Verify share: (s token, s package, s action, a{sv} options). */

#include <systemd/sd-bus.h>

#include "authorize.h"
#include "manager.h"

typedef struct AuthorizeArguments {
        AuthorizeRequest request;
        char *package;          /* canonical; request.package points here */
} AuthorizeArguments;
void authorize_arguments_done(AuthorizeArguments *a);

/* The manager's parts that authorize() uses, and TokenRevoked for the tokens a reused
 * rotated-out secret takes down with it. */
Authorizer bus_authorizer(Manager *m);

/* Authorize's and Verify's start: checks the caller (a verifier), reads the request and takes
 * the verdict into *answer.  verify: Verify's actions (identity with package "", the writes),
 * its "version" option and a two-phase request; else Authorize's read and publish. */
typedef struct AuthorizeCall {
        AuthorizeArguments args;
        AuthorizeAnswer answer;
} AuthorizeCall;
void authorize_call_done(AuthorizeCall *c);
int bus_authorize_call(Manager *m, sd_bus_message *msg, bool verify, AuthorizeCall *c, sd_bus_error *error);
