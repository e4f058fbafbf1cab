/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* libFuzzer target for the trusted-publishing issuer files (common/issuers.c), the one parser
 * of pkgtokend and pkgtoken-issuer-refresh.  Invariants: a parse either fails with -EINVAL and
 * a message or gives an issuer whose URL (and JwksUri=, if any) passes issuer_url_is_valid(),
 * with an audience, an absolute keys file, an algorithm set within RS256/ES256, and never
 * both Discovery=yes and JwksUri=. */

#include <errno.h>

#include "fuzz.h"
#include "issuers.h"
#include "macro.h"

/* issuer_parse() logs nothing (issuers_load() names the file and what is wrong). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const unsigned all = JWT_ALG_MASK(JWT_ALG_RS256) | JWT_ALG_MASK(JWT_ALG_ES256);
        char *text = fuzz_strndup(data, size);
        const char *error = NULL;
        Issuer i = {};
        int r = issuer_parse(text, "/etc/pkgtoken/issuers.d", "fuzz", &i, &error);

        fuzz_assert(r == 0 || r == -EINVAL || r == -ENOMEM);
        if (r == -EINVAL)
                fuzz_assert(error && *error);
        if (r == 0) {
                fuzz_assert(i.url && issuer_url_is_valid(i.url));
                fuzz_assert(!i.jwks_uri || issuer_url_is_valid(i.jwks_uri));
                fuzz_assert(!(i.jwks_uri && i.discovery));
                fuzz_assert(i.audience && *i.audience);
                fuzz_assert(i.keys_file && i.keys_file[0] == '/');
                fuzz_assert(i.algorithms != 0 && (i.algorithms & ~all) == 0);
                fuzz_assert(streq(i.name, "fuzz"));
                issuer_done(&i);
        }
        free(text);
        return 0;
}
