/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jwt.h"
#include "macro.h"

const char *jwt_alg_to_string(JwtAlg a) {
        return a == JWT_ALG_RS256 ? "RS256" : a == JWT_ALG_ES256 ? "ES256" : NULL;
}

int jwt_alg_from_string(const char *s) {
        for (JwtAlg a = 0; s && a < _JWT_ALG_MAX; a++)
                if (streq(s, jwt_alg_to_string(a)))
                        return (int) a;
        return -EINVAL;
}

const char *jwt_result_to_string(JwtResult r) {
        /* In the order of JwtResult (jwt.h). */
        static const char *const words[] = {
                "ok", "malformed ID token", "signature algorithm not allowed", "no known key for the ID token",
                "bad signature", "wrong issuer", "wrong audience", "ID token expired", "ID token not yet valid",
                "ID token lacks exp, iat or jti", "ID token lives too long",
        };
        _Static_assert(ELEMENTSOF(words) == _JWT_RESULT_MAX, "a word for each result");
        return (unsigned) r < _JWT_RESULT_MAX ? words[r] : "invalid";
}

/* ---- base64url (RFC 7515: no padding) ---- */

static int b64url_value(char c) {
        static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        const char *p = c ? strchr(alphabet, c) : NULL;
        return p ? (int) (p - alphabet) : -1;
}

/* Strict: only the alphabet, no padding, no stray bits in the last character. */
static int b64url_decode(const char *s, size_t n, uint8_t **ret, size_t *ret_size) {
        _cleanup_free_ uint8_t *out = NULL;
        uint32_t acc = 0;
        unsigned bits = 0;
        size_t k = 0;

        if (n % 4 == 1)
                return -EINVAL;
        out = malloc(n * 3 / 4 + 1);
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                int v = b64url_value(s[i]);
                if (v < 0)
                        return -EINVAL;
                acc = (acc << 6) | (uint32_t) v;
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        out[k++] = (uint8_t) (acc >> bits);
                }
        }
        if (acc & ((1u << bits) - 1))
                return -EINVAL;
        out[k] = 0;
        *ret = out;
        *ret_size = k;
        out = NULL;
        return 0;
}

static struct json_object *parse_object(const uint8_t *text, size_t size) {
        struct json_tokener *tok = json_tokener_new();
        struct json_object *o;

        if (!tok)
                return NULL;
        o = json_tokener_parse_ex(tok, (const char *) text, (int) size);
        /* The whole part must be one object: no trailing bytes. */
        if (o && (json_tokener_get_error(tok) != json_tokener_success ||
                  json_tokener_get_parse_end(tok) != size || !json_object_is_type(o, json_type_object))) {
                json_object_put(o);
                o = NULL;
        }
        json_tokener_free(tok);
        return o;
}

/* ---- keys ---- */

void jwt_key_set_done(JwtKeySet *s) {
        for (size_t i = 0; i < s->n; i++) {
                free(s->keys[i].kid);
                EVP_PKEY_free(s->keys[i].pkey);
        }
        free(s->keys);
        *s = (JwtKeySet) {};
}

static const char *member_string(struct json_object *o, const char *key) {
        struct json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static BIGNUM *member_bignum(struct json_object *o, const char *key) {
        _cleanup_free_ uint8_t *raw = NULL;
        const char *s = member_string(o, key);
        size_t n;

        if (!s || b64url_decode(s, strlen(s), &raw, &n) < 0 || n == 0)
                return NULL;
        return BN_bin2bn(raw, (int) n, NULL);
}

static EVP_PKEY *pkey_fromdata(const char *type, OSSL_PARAM_BLD *bld) {
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
        OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
        EVP_PKEY *pkey = NULL;

        if (ctx && params && EVP_PKEY_fromdata_init(ctx) > 0)
                (void) EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params);
        OSSL_PARAM_free(params);
        EVP_PKEY_CTX_free(ctx);
        return pkey;
}

static EVP_PKEY *rsa_key(struct json_object *o) {
        BIGNUM *n = member_bignum(o, "n"), *e = member_bignum(o, "e");
        OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
        EVP_PKEY *pkey = NULL;

        /* Short RSA keys are forgeable; an issuer that publishes one is not trusted. */
        if (n && e && bld && BN_num_bits(n) >= 2048 &&
            OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) > 0 &&
            OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) > 0)
                pkey = pkey_fromdata("RSA", bld);
        OSSL_PARAM_BLD_free(bld);
        BN_free(n);
        BN_free(e);
        return pkey;
}

static EVP_PKEY *ec_key(struct json_object *o) {
        _cleanup_free_ uint8_t *x = NULL, *y = NULL;
        const char *crv = member_string(o, "crv"), *xs = member_string(o, "x"), *ys = member_string(o, "y");
        uint8_t point[65];
        OSSL_PARAM_BLD *bld;
        EVP_PKEY *pkey = NULL;
        size_t xn, yn;

        if (!crv || !streq(crv, "P-256") || !xs || !ys || b64url_decode(xs, strlen(xs), &x, &xn) < 0 ||
            b64url_decode(ys, strlen(ys), &y, &yn) < 0 || xn != 32 || yn != 32)
                return NULL;
        /* The uncompressed point; EVP_PKEY_fromdata() checks that it is on the curve. */
        point[0] = 0x04;
        memcpy(point + 1, x, 32);
        memcpy(point + 33, y, 32);
        bld = OSSL_PARAM_BLD_new();
        if (bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) > 0 &&
            OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point) > 0)
                pkey = pkey_fromdata("EC", bld);
        OSSL_PARAM_BLD_free(bld);
        return pkey;
}

/* One JWK; 0 when it is skipped, 1 when *ret holds a key. */
static int parse_key(struct json_object *o, JwtKey *ret) {
        const char *kty = member_string(o, "kty"), *use = member_string(o, "use"), *alg = member_string(o, "alg");
        const char *kid = member_string(o, "kid");
        JwtAlg a;

        if (!json_object_is_type(o, json_type_object) || !kty || (use && !streq(use, "sig")))
                return 0;
        if (streq(kty, "RSA"))
                a = JWT_ALG_RS256;
        else if (streq(kty, "EC"))
                a = JWT_ALG_ES256;
        else
                return 0;
        if (alg && jwt_alg_from_string(alg) != (int) a)
                return 0;
        *ret = (JwtKey) {
                .alg = a,
                .pkey = a == JWT_ALG_RS256 ? rsa_key(o) : ec_key(o),
                .kid = strdup(kid ?: ""),
        };
        if (!ret->pkey || !ret->kid) {
                EVP_PKEY_free(ret->pkey);
                free(ret->kid);
                return ret->kid ? 0 : -ENOMEM;
        }
        return 1;
}

int jwt_key_set_parse(const char *json, size_t size, JwtKeySet *ret) {
        struct json_object *doc, *keys;
        JwtKeySet s = {};
        size_t n;
        int r = 0;

        *ret = (JwtKeySet) {};
        if (size > JWKS_MAX_SIZE)
                return -EINVAL;
        doc = parse_object((const uint8_t *) json, size);
        if (!doc)
                return -EINVAL;
        if (!json_object_object_get_ex(doc, "keys", &keys) || !json_object_is_type(keys, json_type_array)) {
                json_object_put(doc);
                return -EINVAL;
        }
        n = json_object_array_length(keys);
        s.keys = calloc(n ?: 1, sizeof *s.keys);
        for (size_t i = 0; s.keys && i < n && r >= 0; i++) {
                r = parse_key(json_object_array_get_idx(keys, i), &s.keys[s.n]);
                if (r > 0)
                        s.n++;
        }
        json_object_put(doc);
        if (!s.keys)
                return -ENOMEM;
        if (r < 0 || s.n == 0) {
                jwt_key_set_done(&s);
                return r < 0 ? r : -ENOKEY;
        }
        *ret = s;
        return 0;
}

int jwt_key_set_load(const char *path, JwtKeySet *ret) {
        _cleanup_free_ char *buf = malloc(JWKS_MAX_SIZE + 1);
        size_t n = 0;
        ssize_t k;
        int fd;

        *ret = (JwtKeySet) {};
        if (!buf)
                return -ENOMEM;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        while (n <= JWKS_MAX_SIZE && (k = read(fd, buf + n, JWKS_MAX_SIZE + 1 - n)) != 0) {
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        k = -errno;
                        close(fd);
                        return (int) k;
                }
                n += (size_t) k;
        }
        close(fd);
        if (n > JWKS_MAX_SIZE)
                return -EFBIG;
        return jwt_key_set_parse(buf, n, ret);
}

/* ---- tokens ---- */

void jwt_done(Jwt *j) {
        json_object_put(j->header);
        json_object_put(j->claims);
        free(j->signature);
        free(j->text);
        *j = (Jwt) {};
}

static struct json_object *decode_part(const char *s, size_t n) {
        _cleanup_free_ uint8_t *raw = NULL;
        size_t size;

        if (b64url_decode(s, n, &raw, &size) < 0)
                return NULL;
        return parse_object(raw, size);
}

int jwt_parse(const char *token, Jwt *ret) {
        const char *dot1, *dot2;
        Jwt j = {};
        size_t len;

        *ret = (Jwt) {};
        len = token ? strnlen(token, JWT_MAX_LEN + 1) : 0;
        if (len == 0 || len > JWT_MAX_LEN)
                return JWT_MALFORMED;
        dot1 = memchr(token, '.', len);
        dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t) (dot1 + 1 - token)) : NULL;
        if (!dot2 || memchr(dot2 + 1, '.', len - (size_t) (dot2 + 1 - token)))
                return JWT_MALFORMED;

        j.text = strndup(token, len);
        if (!j.text)
                return -ENOMEM;
        j.signing_input_len = (size_t) (dot2 - token);
        j.header = decode_part(token, (size_t) (dot1 - token));
        j.claims = decode_part(dot1 + 1, (size_t) (dot2 - dot1 - 1));
        if (!j.header || !j.claims ||
            b64url_decode(dot2 + 1, len - (size_t) (dot2 + 1 - token), &j.signature, &j.signature_size) < 0) {
                jwt_done(&j);
                return JWT_MALFORMED;
        }
        j.alg = member_string(j.header, "alg");
        j.kid = member_string(j.header, "kid");
        if (!j.alg) {
                jwt_done(&j);
                return JWT_MALFORMED;
        }
        *ret = j;
        return JWT_OK;
}

const char *jwt_claim(const Jwt *j, const char *name, char buf[static 32]) {
        struct json_object *v;

        if (!j->claims || !json_object_object_get_ex(j->claims, name, &v))
                return NULL;
        if (json_object_is_type(v, json_type_string))
                return json_object_get_string(v);
        if (json_object_is_type(v, json_type_int)) {
                snprintf(buf, 32, "%" PRId64, (int64_t) json_object_get_int64(v));
                return buf;
        }
        return NULL;
}

/* Times beyond the year 9999 are not times: refused, so that sums with the skew cannot overflow. */
#define NUMERIC_DATE_MAX INT64_C(253402300799)

/* A NumericDate claim in seconds; false when absent, not a number, or out of range. */
static bool claim_time(const Jwt *j, const char *name, int64_t *ret) {
        struct json_object *v;
        double d;

        if (!json_object_object_get_ex(j->claims, name, &v))
                return false;
        if (json_object_is_type(v, json_type_int))
                d = (double) json_object_get_int64(v);
        else if (json_object_is_type(v, json_type_double))
                d = json_object_get_double(v);
        else
                return false;
        if (!(d >= 0 && d <= (double) NUMERIC_DATE_MAX))
                return false;
        *ret = (int64_t) d;
        return true;
}

usec_t jwt_expires_at(const Jwt *j) {
        int64_t exp;

        if (!claim_time(j, "exp", &exp) || exp <= 0 || (uint64_t) exp > UINT64_MAX / USEC_PER_SEC)
                return 0;
        return (usec_t) exp * USEC_PER_SEC;
}

/* JWS ES256 signatures are r || s, 32 bytes each; OpenSSL verifies DER. */
static int es256_to_der(const uint8_t *sig, size_t size, uint8_t **ret, size_t *ret_size) {
        ECDSA_SIG *es;
        BIGNUM *r, *s;
        unsigned char *der = NULL;
        int n;

        if (size != 64)
                return -EINVAL;
        es = ECDSA_SIG_new();
        r = BN_bin2bn(sig, 32, NULL);
        s = BN_bin2bn(sig + 32, 32, NULL);
        if (!es || !r || !s || ECDSA_SIG_set0(es, r, s) != 1) {
                ECDSA_SIG_free(es);
                BN_free(r);
                BN_free(s);
                return -ENOMEM;
        }
        n = i2d_ECDSA_SIG(es, &der);
        ECDSA_SIG_free(es);
        if (n <= 0)
                return -ENOMEM;
        *ret = der;
        *ret_size = (size_t) n;
        return 0;
}

static bool signature_is_valid(const Jwt *j, const JwtKey *k) {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        uint8_t *der = NULL;
        const uint8_t *sig = j->signature;
        size_t size = j->signature_size;
        bool ok = false;

        if (k->alg == JWT_ALG_ES256) {
                if (es256_to_der(j->signature, j->signature_size, &der, &size) < 0)
                        goto finish;
                sig = der;
        }
        ok = ctx && EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, k->pkey) == 1 &&
             EVP_DigestVerify(ctx, sig, size, (const uint8_t *) j->text, j->signing_input_len) == 1;
finish:
        OPENSSL_free(der);
        EVP_MD_CTX_free(ctx);
        return ok;
}

static JwtResult check_signature(const Jwt *j, const JwtKeySet *keys, unsigned allowed) {
        bool candidate = false;
        int a = jwt_alg_from_string(j->alg);

        if (a < 0 || !(allowed & JWT_ALG_MASK(a)))
                return JWT_BAD_ALGORITHM;
        /* With a kid, only that key; without one, each key of the algorithm's type (an issuer
         * with a single key often sends none). */
        for (size_t i = 0; i < keys->n; i++) {
                const JwtKey *k = &keys->keys[i];
                if ((int) k->alg != a || (j->kid && !streq(j->kid, k->kid)))
                        continue;
                candidate = true;
                if (signature_is_valid(j, k))
                        return JWT_OK;
        }
        return candidate ? JWT_BAD_SIGNATURE : JWT_UNKNOWN_KEY;
}

static bool audience_matches(const Jwt *j, const char *audience) {
        struct json_object *v;

        if (!json_object_object_get_ex(j->claims, "aud", &v))
                return false;
        if (json_object_is_type(v, json_type_string))
                return streq(json_object_get_string(v), audience);
        if (!json_object_is_type(v, json_type_array))
                return false;
        for (size_t i = 0; i < json_object_array_length(v); i++) {
                struct json_object *e = json_object_array_get_idx(v, i);
                if (json_object_is_type(e, json_type_string) && streq(json_object_get_string(e), audience))
                        return true;
        }
        return false;
}

static JwtResult check_times(const Jwt *j, const JwtPolicy *p, usec_t now) {
        int64_t t_now = (int64_t) (now / USEC_PER_SEC), skew = (int64_t) (p->skew / USEC_PER_SEC);
        int64_t exp, iat, nbf;
        char buf[32];

        if (!claim_time(j, "exp", &exp) || !claim_time(j, "iat", &iat) || !jwt_claim(j, "jti", buf))
                return JWT_MISSING_CLAIM;
        if (t_now >= exp + skew)
                return JWT_EXPIRED;
        if (iat > t_now + skew || (claim_time(j, "nbf", &nbf) && nbf > t_now + skew))
                return JWT_NOT_YET_VALID;
        if (exp - iat > (int64_t) (p->max_lifetime / USEC_PER_SEC))
                return JWT_TOO_LONG_LIVED;
        return JWT_OK;
}

JwtResult jwt_verify(const Jwt *j, const JwtKeySet *keys, const JwtPolicy *p, usec_t now) {
        const char *iss;
        char buf[32];
        JwtResult r;

        if (!j->header || !j->claims)
                return JWT_MALFORMED;
        r = check_signature(j, keys, p->algorithms);
        if (r != JWT_OK)
                return r;
        iss = jwt_claim(j, "iss", buf);
        if (!iss || !streq(iss, p->issuer))
                return JWT_WRONG_ISSUER;
        if (!audience_matches(j, p->audience))
                return JWT_WRONG_AUDIENCE;
        return check_times(j, p, now);
}
