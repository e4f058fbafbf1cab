/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Tokens: minting, creation on behalf of an account, lookup and revocation.  Only a hash of
 * a token is stored; the secret leaves the daemon once, in CreateToken's (or a login's)
 * reply.  Errors are negative errnos, ERR_* of errors.h for those clients see by name. */

#include <sys/types.h>

#include "lifetime.h"
#include "lockout.h"
#include "store.h"
#include "token.h"

/* Generates a token for t, stores its hash, fills t->id (allocated) and secret. */
int token_mint(Store *s, TokenRecord *t, char secret[static TOKEN_LEN + 1]);

typedef struct TokenCreateRequest {
        const char *account;       /* the creator */
        TokenType type;
        char **scope;              /* normalised patterns; exact package names for package tokens */
        const char *description;
        usec_t expires_at;
        char **cidrs;              /* validated */
        bool package_owned;
        const char *otp;           /* "" none */
        bool otp_verified;         /* the caller checked a current code already (a registry's password proof) */
        uid_t caller;              /* for the audit log */
        const char *actor;         /* for the audit log instead of "uid N" (a registry acting for an account) */
} TokenCreateRequest;

/* CreateToken, in one transaction.  Besides load errors of the account: ERR_ACCESS_DENIED
 * (the account is locked), the errors of second_factor_require() (with *ret_message), and
 * for package tokens ERR_INVALID_ARGUMENT (no packages, *ret_message), ERR_NO_SUCH_PACKAGE
 * and ERR_NOT_MAINTAINER with *ret_package naming the package. */
int token_create(const Lockout *l, const TokenCreateRequest *q, usec_t now, char **ret_id,
                 char secret[static TOKEN_LEN + 1], const char **ret_message, const char **ret_package);

/* The expiry of the token q asks for (common/lifetime.h): the settings' default and maximum
 * and the shortest maximum of the packages in its scope.  Sets q->expires_at, or returns
 * ERR_INVALID_ARGUMENT when q asks for more than the maximum (*ret says which). */
int token_apply_lifetime(Store *s, const LifetimeLimits *l, TokenCreateRequest *q, usec_t now, LifetimeAnswer *ret);

/* Who made a token and why, for its audit record. */
typedef struct TokenAudit {
        const char *action;     /* AUDIT_TOKEN_CREATE, "token-rotate" */
        const char *actor;      /* a registry acting for an account; NULL: the admin caller */
        uid_t caller;
        const char *reason;
} TokenAudit;
/* Mints t (token_mint()), records a, commits tx; *ret_id is t's new id (allocated).  On
 * failure the secret is wiped. */
int token_mint_and_commit(Store *s, Transaction *tx, TokenRecord *t, const TokenAudit *a, usec_t now,
                          char secret[static TOKEN_LEN + 1], char **ret_id);

/* ERR_INVALID_ARGUMENT for a malformed id, ERR_NO_SUCH_TOKEN. */
int token_load(Store *s, const char *id, TokenRecord *ret);
/* Revoking twice succeeds and keeps the first revocation time. */
int token_revoke(Store *s, const char *id, uid_t caller, usec_t now);
/* The same, audited as actor (a registry acting for an account). */
int token_revoke_as(Store *s, const char *id, const char *actor, usec_t now);

/* The actor as people read it in the audit log and in a registry's UI: "alice",
 * "alice (Token \"ci\")", "Token \"release\"" (newly allocated; NULL on OOM). */
char *token_format_actor(const TokenRecord *t);

/* Lowercases scope patterns in place and drops duplicates; ERR_INVALID_ARGUMENT for a
 * pattern that is not one. */
int token_scope_normalize(char **scope);
