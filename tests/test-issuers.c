/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The issuer files of trusted publishing (common/issuers.c), the one parser of pkgtokend and
 * pkgtoken-issuer-refresh: every key, the URLs allowed (https, plain http only to loopback),
 * the fetch source (Discovery=, JwksUri=, neither), and the message for each mistake. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "issuers.h"
#include "macro.h"
#include "tap.h"

/* Issuer= and JwksUri=: https, or plain http to a loopback host and nothing else. */
static const char *const good_urls[] = {
        "https://gitlab.example.com", "https://token.actions.githubusercontent.com",
        "https://forgejo.example.com/api/actions", "http://127.0.0.1:8080", "http://127.0.0.1/keys",
        "http://localhost:3000", "http://[::1]:3000", "http://localhost",
};
static const char *const bad_urls[] = {
        "https://", "http://gitlab.example.com", "http://localhost.evil.example.com",
        "http://127.0.0.1.evil.example.com", "ftp://gitlab.example.com", "gitlab.example.com", "",
};

/* A file's text, and what the parse must give: NULL error for a good file. */
static const struct {
        const char *text;
        const char *error;        /* a part of the message; NULL: parses */
        const char *jwks_uri;
        bool discovery;
} files[] = {
        { "Issuer=https://a.example\nAudience=x\nKeysFile=a.jwks\n", NULL, NULL, false },
        { "[Issuer]\n# c\n; c\nIssuer=https://a.example\nAudience=x\nKeysFile=/abs/a.jwks\nDiscovery=yes\n",
          NULL, NULL, true },
        { "Issuer=https://a.example\nAudience=x\nKeysFile=a.jwks\nDiscovery=no\n", NULL, NULL, false },
        { "Issuer=https://a.example\nAudience=x\nKeysFile=a.jwks\nJwksUri=https://a.example/keys\n",
          NULL, "https://a.example/keys", false },
        { "Issuer=https://a.example\nAudience=x\nKeysFile=a.jwks\nJwksUri=http://127.0.0.1:1/k\n",
          NULL, "http://127.0.0.1:1/k", false },
        { "Issuer=https://a.example\nAudience=x\nKeysFile=a.jwks\nJwksUri=http://a.example/keys\n",
          "JwksUri= must be an https:// URL", NULL, false },
        { "Issuer=https://a.example\nAudience=x\nKeysFile=a.jwks\nDiscovery=yes\nJwksUri=https://a.example/k\n",
          "two ways to say one thing", NULL, false },
        { "Issuer=https://a.example\nAudience=x\nKeysFile=a.jwks\nDiscovery=maybe\n",
          "Discovery= takes yes or no", NULL, false },
        { "Issuer=http://a.example\nAudience=x\nKeysFile=a.jwks\n", "Issuer= must be an https:// URL", NULL, false },
        { "Issuer=https://a.example\nKeysFile=a.jwks\n", "are required", NULL, false },
        { "Issuer=https://a.example\nAudience=x\nKeysFile=a.jwks\nAlgorithms=HS256\n", "RS256 and/or ES256",
          NULL, false },
        { "Issuer=https://a.example\nAudience=x\nKeysFile=a.jwks\nRefresh=hourly\n", "unknown key", NULL, false },
        { "Issuer=https://a.example\nAudience=x\nKeysFile=a.jwks\nnonsense\n", "not Key=Value", NULL, false },
};

int main(void) {
        for (size_t k = 0; k < ELEMENTSOF(good_urls); k++)
                CHECK(issuer_url_is_valid(good_urls[k]), "'%s' is a valid issuer URL", good_urls[k]);
        for (size_t k = 0; k < ELEMENTSOF(bad_urls); k++)
                CHECK(!issuer_url_is_valid(bad_urls[k]), "'%s' is refused", bad_urls[k]);

        for (size_t k = 0; k < ELEMENTSOF(files); k++) {
                const char *error = NULL;
                Issuer i = {};
                int r = issuer_parse(files[k].text, "/etc/pkgtoken/issuers.d", "t", &i, &error);

                if (!files[k].error) {
                        CHECK(r == 0 && streq_ptr(i.jwks_uri, files[k].jwks_uri) && i.discovery == files[k].discovery &&
                              i.keys_file && i.keys_file[0] == '/',
                              "file %zu parses: JwksUri=%s Discovery=%s, an absolute KeysFile", k,
                              files[k].jwks_uri ?: "-", files[k].discovery ? "yes" : "no");
                        Issuers l = { .items = &i, .n = 1 };
                        CHECK(issuers_find(&l, "https://a.example") == &i, "  ... and is found by its URL");
                        issuer_done(&i);
                } else
                        CHECK(r == -EINVAL && error && strstr(error, files[k].error), "file %zu is refused: %s (got: %s)",
                              k, files[k].error, error ?: "-");
        }
        return tap_finish();
}
