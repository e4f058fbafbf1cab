/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Verifying OIDC ID tokens (JWS compact serialisation) for trusted publishing: pure code over
 * OpenSSL's EVP and json-c, no network, no clock of its own.  Only RS256 and ES256 are ever
 * accepted: "none" and the HMAC algorithms are refused before any key is looked at, and a
 * key is used only with the algorithm its type stands for, so a public key can never be
 * taken for an HMAC secret (the classic algorithm confusion). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "time-util.h"

/* An ID token longer than this is refused before it is decoded (GitHub's are ~1.2 KiB). */
#define JWT_MAX_LEN (16 * 1024)
/* A JWKS file larger than this is refused. */
#define JWKS_MAX_SIZE (256 * 1024)

typedef enum JwtAlg {
        JWT_ALG_RS256,
        JWT_ALG_ES256,
        _JWT_ALG_MAX,
} JwtAlg;
#define JWT_ALG_MASK(a) (1u << (a))
const char *jwt_alg_to_string(JwtAlg a);
int jwt_alg_from_string(const char *s);   /* -EINVAL for anything else, "none" and HS* included */

/* Why an ID token was refused.  Each maps to one reason code of the exchange. */
typedef enum JwtResult {
        JWT_OK,
        JWT_MALFORMED,          /* not three base64url parts of JSON objects */
        JWT_BAD_ALGORITHM,      /* none, HS*, or not allowed for this issuer */
        JWT_UNKNOWN_KEY,        /* no key of the issuer's set fits kid and algorithm */
        JWT_BAD_SIGNATURE,
        JWT_WRONG_ISSUER,
        JWT_WRONG_AUDIENCE,
        JWT_EXPIRED,
        JWT_NOT_YET_VALID,      /* nbf or iat in the future (beyond the skew) */
        JWT_MISSING_CLAIM,      /* no exp, iat or jti */
        JWT_TOO_LONG_LIVED,     /* exp - iat beyond the bound, so the replay cache stays small */
        _JWT_RESULT_MAX,
} JwtResult;
const char *jwt_result_to_string(JwtResult r);

typedef struct JwtKey {
        char *kid;                /* "" when the JWKS gives none */
        JwtAlg alg;               /* what the key's type allows */
        void *pkey;               /* EVP_PKEY */
} JwtKey;

typedef struct JwtKeySet {
        JwtKey *keys;
        size_t n;
} JwtKeySet;
void jwt_key_set_done(JwtKeySet *s);

/* Parses a JWKS document ({"keys":[...]}): RSA keys (n, e; at least 2048 bits) and EC P-256
 * keys (x, y).  Keys of other types or marked "use":"enc" are skipped; a key whose "alg"
 * names another algorithm than its type stands for is skipped too.  -EINVAL for a document
 * that is not a JWKS, -ENOKEY when no usable key is in it. */
int jwt_key_set_parse(const char *json, size_t size, JwtKeySet *ret);
/* Reads and parses path (at most JWKS_MAX_SIZE). */
int jwt_key_set_load(const char *path, JwtKeySet *ret);

typedef struct Jwt {
        void *header;             /* json_object */
        void *claims;             /* json_object */
        const char *alg;          /* from the header */
        const char *kid;          /* from the header; NULL none */
        uint8_t *signature;
        size_t signature_size;
        size_t signing_input_len; /* "HEADER.PAYLOAD": the first bytes of text */
        char *text;               /* a copy of the token */
} Jwt;
void jwt_done(Jwt *j);

/* Splits and decodes; nothing is verified yet.  JWT_MALFORMED or JWT_OK; -ENOMEM. */
int jwt_parse(const char *token, Jwt *ret);

/* A string claim, or an integer claim written in decimal into buf; NULL when absent or of
 * another type. */
const char *jwt_claim(const Jwt *j, const char *name, char buf[static 32]);

typedef struct JwtPolicy {
        const char *issuer;
        const char *audience;
        unsigned algorithms;      /* JWT_ALG_MASK()s */
        usec_t skew;              /* allowed clock difference */
        usec_t max_lifetime;      /* exp - iat at most this */
} JwtPolicy;

/* The signature with keys, then iss, aud, exp, nbf, iat and the presence of jti, in that
 * order; the first failure is returned.  now in microseconds since the epoch. */
JwtResult jwt_verify(const Jwt *j, const JwtKeySet *keys, const JwtPolicy *p, usec_t now);
/* exp in microseconds (0 when absent): how long the jti must be remembered. */
usec_t jwt_expires_at(const Jwt *j);
