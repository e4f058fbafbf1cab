/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jwt.h"
#include "keys-file.h"
#include "log.h"
#include "macro.h"
#include "refresh.h"

/* One GET with the limits, the body at most max bytes. */
static int fetch(const Issuer *i, const char *url, const FetchLimits *limits, size_t max, char **ret, size_t *ret_size) {
        FetchLimits l = *limits;
        char error[512];
        int r;

        l.max_size = MIN(l.max_size, max);
        r = fetch_url(url, &l, ret, ret_size, error, sizeof error);
        if (r < 0)
                log_error("issuer %s (%s): %s; keys file %s kept", i->name, i->url, error, i->keys_file);
        return r;
}

/* The jwks_uri of the discovery document, which must name the configured issuer, as OpenID
 * Connect Discovery requires: otherwise whoever serves that URL could name any keys. */
static int discover_jwks_uri(const Issuer *i, const FetchLimits *limits, char **ret) {
        _cleanup_free_ char *url = NULL, *body = NULL;
        struct json_object *doc = NULL, *issuer, *uri;
        const char *problem = NULL;
        size_t size, n = strlen(i->url);
        int r;

        /* Discovery appends to the issuer, without doubling a trailing slash. */
        if (n > 0 && i->url[n - 1] == '/')
                n--;
        if (asprintf(&url, "%.*s/.well-known/openid-configuration", (int) n, i->url) < 0)
                return -ENOMEM;
        r = fetch(i, url, limits, DISCOVERY_MAX_SIZE, &body, &size);
        if (r < 0)
                return r;
        doc = strlen(body) == size ? json_tokener_parse(body) : NULL;
        if (!doc || !json_object_is_type(doc, json_type_object))
                problem = "is not a JSON object";
        else if (!json_object_object_get_ex(doc, "issuer", &issuer) || !json_object_is_type(issuer, json_type_string) ||
                 !streq(json_object_get_string(issuer), i->url))
                problem = "names another issuer";
        else if (!json_object_object_get_ex(doc, "jwks_uri", &uri) || !json_object_is_type(uri, json_type_string) ||
                 !issuer_url_is_valid(json_object_get_string(uri)))
                problem = "has no https:// jwks_uri";
        else {
                *ret = strdup(json_object_get_string(uri));
                r = *ret ? 0 : -ENOMEM;
        }
        json_object_put(doc);
        if (problem) {
                log_error("issuer %s (%s): the discovery document %s %s; keys file %s kept", i->name, i->url, url,
                          problem, i->keys_file);
                return -EBADMSG;
        }
        return r;
}

/* What pkgtokend will accept: a JWKS (jwt_key_set_parse(), the daemon's own parser) with a key
 * of an algorithm this issuer allows. */
static int check_key_set(const Issuer *i, const char *url, const char *body, size_t size) {
        _cleanup_(jwt_key_set_done) JwtKeySet keys = {};
        int r = jwt_key_set_parse(body, size, &keys);

        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                log_error("issuer %s (%s): %s: %s; keys file %s kept", i->name, i->url, url,
                          r == -ENOKEY ? "no usable key (RSA of 2048 bits or more, EC P-256)" : "not a JWKS",
                          i->keys_file);
                return -EBADMSG;
        }
        for (size_t k = 0; k < keys.n; k++)
                if (i->algorithms & JWT_ALG_MASK(keys.keys[k].alg))
                        return (int) keys.n;
        log_error("issuer %s (%s): %s: no key for the algorithms the issuer allows (Algorithms=); keys file %s kept",
                  i->name, i->url, url, i->keys_file);
        return -EBADMSG;
}

int issuer_refresh(const Issuer *i, const FetchLimits *limits) {
        _cleanup_free_ char *discovered = NULL, *body = NULL;
        const char *url = i->jwks_uri;
        size_t size;
        int r, n;

        if (!url && !i->discovery) {
                log_info("issuer %s (%s): no Discovery=yes or JwksUri=; its keys file %s is kept by hand", i->name,
                         i->url, i->keys_file);
                return REFRESH_SKIPPED;
        }
        if (!url) {
                r = discover_jwks_uri(i, limits, &discovered);
                if (r < 0)
                        return r;
                url = discovered;
        }
        r = fetch(i, url, limits, JWKS_MAX_SIZE, &body, &size);
        if (r < 0)
                return r;
        n = check_key_set(i, url, body, size);
        if (n < 0)
                return n;
        r = keys_file_replace(i->keys_file, body, size);
        if (r < 0)
                return log_error_errno(r, "issuer %s (%s): cannot replace %s: %m; it is kept", i->name, i->url,
                                       i->keys_file);
        log_info("issuer %s (%s): %d keys from %s written to %s", i->name, i->url, n, url, i->keys_file);
        return REFRESH_WRITTEN;
}
