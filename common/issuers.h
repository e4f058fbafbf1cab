/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The OIDC issuers the operator trusts for trusted publishing: one small file each in
 * IssuersDirectory= (default /etc/pkgtoken/issuers.d), "NAME.conf":
 *
 *     Issuer=https://gitlab.example.com       the exact "iss"
 *     Audience=npm:registry.example.com       the "aud" an ID token must name
 *     Algorithms=RS256 ES256                  a subset of these two (default both)
 *     KeysFile=gitlab.jwks                    the JWKS, relative to the directory or absolute
 *     Discovery=yes                           where pkgtoken-issuer-refresh fetches the keys:
 *     JwksUri=https://gitlab.example.com/oauth/discovery/keys
 *                                             the jwks_uri of Issuer's OpenID discovery
 *                                             document, or this URL; neither: the operator
 *                                             places KeysFile by hand (an offline issuer)
 *
 * The daemon has no network: pkgtoken-issuer-refresh (issuer-refresh/, a timer) or the
 * operator writes the JWKS file, which is read at each exchange, so a rotated key works
 * without a restart.  A bad file is logged and its issuer skipped; the daemon keeps serving
 * the others.  This one parser serves both programs. */

#include <stdbool.h>
#include <stddef.h>

#include "jwt.h"

#define ISSUERS_DIRECTORY_DEFAULT "/etc/pkgtoken/issuers.d"
#define ISSUER_URL_MAX 256
#define ISSUER_AUDIENCE_MAX 256

typedef struct Issuer {
        char *name;              /* the file's name without .conf */
        char *url;
        char *audience;
        unsigned algorithms;     /* JWT_ALG_MASK()s */
        char *keys_file;         /* absolute */
        char *jwks_uri;          /* JwksUri=; NULL none */
        bool discovery;          /* Discovery=yes: jwks_uri from <Issuer>/.well-known/openid-configuration */
} Issuer;

typedef struct Issuers {
        Issuer *items;
        size_t n;
        size_t n_invalid;        /* files logged and skipped */
} Issuers;

void issuer_done(Issuer *i);
void issuers_done(Issuers *l);
/* Loads every *.conf of dir; a missing directory is no issuers.  -ENOMEM only. */
int issuers_load(const char *dir, Issuers *ret);
/* Parses one file's text; -EINVAL with *ret_error naming what is wrong. */
int issuer_parse(const char *text, const char *dir, const char *name, Issuer *ret, const char **ret_error);
const Issuer *issuers_find(const Issuers *l, const char *url);
/* https://, or http:// to a loopback address (tests): what Issuer= and JwksUri= may be. */
bool issuer_url_is_valid(const char *url);
