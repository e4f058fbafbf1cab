/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What CreateToken (admins, for any account) and CreateOwnToken (a registry, for a proven
 * account) share: the token's arguments, their checks, the creation and the reply. */

#include <systemd/sd-bus.h>

#include "manager.h"
#include "tokens.h"

/* Reads "s type, as scope, s description, t expires_at, as allowed_cidrs, a{sv} options" into
 * q (*ret_type to check later); q->scope and q->cidrs are allocated (the caller frees them). */
int bus_read_token_spec(sd_bus_message *msg, TokenCreateRequest *q, const char **ret_type, sd_bus_error *error);
/* Checks q, creates the token and replies with its id and secret (1), or sets error. */
int bus_create_token_reply(Manager *m, sd_bus_message *msg, TokenCreateRequest *q, const char *type,
                           sd_bus_error *error);
/* A token's load errors, naming its id. */
int bus_token_error(sd_bus_error *error, int r, const char *id);
/* Replies with the tokens foreach() hands out (ListTokens, ListOwnTokens), as of now. */
typedef int (*BusTokenForeach)(Store *s, const char *account, const char *package, TokenCallback cb, void *userdata);
int bus_reply_token_list(Store *s, sd_bus_message *msg, BusTokenForeach foreach, const char *account,
                         const char *package, sd_bus_error *error);
