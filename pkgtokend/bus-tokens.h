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
/* The maintenance tick's expiry warnings (expiry.h): TokenExpiring and a log line (the id,
 * never a secret) per token due.  Returns true when a full batch went out (more may wait). */
bool bus_warn_expiring_tokens(Manager *m, usec_t now);
/* Replies with a new token's id and secret (once; secret is wiped) and emits TokenCreated. */
int bus_reply_new_token(Manager *m, sd_bus_message *msg, const char *id, char secret[static TOKEN_LEN + 1],
                        TokenType type);
/* RotateToken's and RotateOwnToken's end: the reply with the new token (as above). */
int bus_reply_rotated(Manager *m, sd_bus_message *msg, const char *new_id, char secret[static TOKEN_LEN + 1]);
/* RotateToken's and RotateOwnToken's option "grace" (microseconds): InvalidArgument past the bound. */
int bus_check_grace(uint64_t grace, sd_bus_error *error);
/* A token's load errors, naming its id. */
int bus_token_error(sd_bus_error *error, int r, const char *id);
/* Replies with the tokens foreach() hands out (ListTokens, ListOwnTokens), as of now. */
typedef int (*BusTokenForeach)(Store *s, const char *account, const char *package, TokenCallback cb, void *userdata);
int bus_reply_token_list(Store *s, sd_bus_message *msg, BusTokenForeach foreach, const char *account,
                         const char *package, sd_bus_error *error);
