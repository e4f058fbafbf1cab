/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* libFuzzer target for ID token verification (common/jwt.c).  An input whose first byte is
 * odd is a JWKS document for jwt_key_set_parse(); otherwise the rest is an ID token, parsed
 * and verified against a fixed EC key.  Invariants: answers stay in their ranges, a key set
 * is never empty, and a token is accepted only when its algorithm is ES256 and its issuer,
 * audience and times are the policy's. */

#include <errno.h>

#include "fuzz.h"
#include "jwt.h"
#include "macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char jwks[] =
        "{\"keys\":[{\"kty\":\"EC\",\"x\":\"EMMbQV7EKaOA4qLrge3ZHtMtVGuBH4S_jZ4EgwDYKiU\","
        "\"y\":\"pS9HWdCIPAC6UtrpiOohQSFPLX4cQ2snzIPF6kBxYBE\",\"crv\":\"P-256\",\"kid\":\"k1\"}]}";

static const JwtPolicy policy = {
        .issuer = "https://ci.example.com",
        .audience = "fuzz",
        .algorithms = JWT_ALG_MASK(JWT_ALG_RS256) | JWT_ALG_MASK(JWT_ALG_ES256),
        .skew = 0,
        .max_lifetime = 3600 * USEC_PER_SEC,
};

static void check_key_set(const uint8_t *data, size_t size) {
        JwtKeySet s;
        int r = jwt_key_set_parse((const char *) data, size, &s);

        fuzz_assert(r == 0 || r == -EINVAL || r == -ENOKEY || r == -ENOMEM);
        if (r < 0) {
                fuzz_assert(s.n == 0 && !s.keys);
                return;
        }
        fuzz_assert(s.n > 0);
        for (size_t i = 0; i < s.n; i++)
                fuzz_assert(s.keys[i].pkey && s.keys[i].kid && (unsigned) s.keys[i].alg < _JWT_ALG_MAX);
        jwt_key_set_done(&s);
}

static void check_token(const char *token, const JwtKeySet *keys) {
        char buf[32];
        Jwt j;
        int r = jwt_parse(token, &j);

        fuzz_assert(r == JWT_OK || r == JWT_MALFORMED || r == -ENOMEM);
        if (r != JWT_OK)
                return;
        fuzz_assert(j.header && j.claims && j.alg && j.signing_input_len < strlen(j.text));
        r = jwt_verify(&j, keys, &policy, 0);
        fuzz_assert((unsigned) r < _JWT_RESULT_MAX);
        if (r == JWT_OK) {
                fuzz_assert(streq(j.alg, "ES256"));
                fuzz_assert(streq_ptr(jwt_claim(&j, "iss", buf), policy.issuer));
                fuzz_assert(jwt_expires_at(&j) > 0 && jwt_claim(&j, "jti", buf));
        }
        jwt_done(&j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static JwtKeySet keys;
        char *s;

        if (!keys.n)
                fuzz_assert(jwt_key_set_parse(jwks, strlen(jwks), &keys) == 0);
        if (size < 1)
                return 0;
        if (data[0] & 1) {
                check_key_set(data + 1, size - 1);
                return 0;
        }
        s = fuzz_strndup(data + 1, size - 1);
        check_token(s, &keys);
        free(s);
        return 0;
}
