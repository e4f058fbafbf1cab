/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* common/jwt.c: ID tokens signed here with keys OpenSSL makes for this run (RSA and EC),
 * each claim wrong in turn, the times, algorithm confusion (none, HS256 keyed with the public
 * key), unknown and rotated keys, malformed input, and JWKS documents. */

#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <stdlib.h>

#include "jwt.h"
#include "macro.h"
#include "tap.h"

#define ISS "https://ci.example.com"
#define AUD "pkgtoken:test"
#define NOW_SEC 1800000000LL
#define NOW ((usec_t) NOW_SEC * USEC_PER_SEC)

typedef enum KeyName { KEY_RSA_OLD, KEY_RSA_NEW, KEY_EC, KEY_RSA_STRANGER, _KEY_MAX } KeyName;
static const char *const kids[_KEY_MAX] = { "rsa-old", "rsa-new", "ec-1", "rsa-old" };
static EVP_PKEY *keys[_KEY_MAX];

static void b64url(const uint8_t *in, size_t n, char *out) {
        static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        size_t k = 0;
        uint32_t acc = 0;
        unsigned bits = 0;

        for (size_t i = 0; i < n; i++) {
                acc = (acc << 8) | in[i];
                bits += 8;
                while (bits >= 6) {
                        bits -= 6;
                        out[k++] = a[(acc >> bits) & 63];
                }
        }
        if (bits > 0)
                out[k++] = a[(acc << (6 - bits)) & 63];
        out[k] = 0;
}

static void b64url_str(const char *s, char *out) {
        b64url((const uint8_t *) s, strlen(s), out);
}

static void b64url_bn(EVP_PKEY *k, const char *param, size_t pad, char *out) {
        BIGNUM *bn = NULL;
        uint8_t buf[1024];
        int n;

        EVP_PKEY_get_bn_param(k, param, &bn);
        n = pad ? BN_bn2binpad(bn, buf, (int) pad) : BN_bn2bin(bn, buf);
        b64url(buf, (size_t) n, out);
        BN_free(bn);
}

/* One JWK of key k with kid. */
static void jwk(KeyName k, char *out, size_t size) {
        char a[600], b[600];

        if (EVP_PKEY_is_a(keys[k], "RSA")) {
                b64url_bn(keys[k], OSSL_PKEY_PARAM_RSA_N, 0, a);
                b64url_bn(keys[k], OSSL_PKEY_PARAM_RSA_E, 0, b);
                snprintf(out, size, "{\"kty\":\"RSA\",\"use\":\"sig\",\"alg\":\"RS256\",\"kid\":\"%s\",\"n\":\"%s\",\"e\":\"%s\"}",
                         kids[k], a, b);
        } else {
                b64url_bn(keys[k], OSSL_PKEY_PARAM_EC_PUB_X, 32, a);
                b64url_bn(keys[k], OSSL_PKEY_PARAM_EC_PUB_Y, 32, b);
                snprintf(out, size, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"%s\",\"x\":\"%s\",\"y\":\"%s\"}",
                         kids[k], a, b);
        }
}

/* A key set of the keys listed (up to 3). */
static int key_set(JwtKeySet *ret, int n, const KeyName *which) {
        char doc[8192] = "{\"keys\":[", one[2048];

        for (int i = 0; i < n; i++) {
                jwk(which[i], one, sizeof one);
                if (i > 0)
                        strcat(doc, ",");
                strcat(doc, one);
        }
        strcat(doc, "]}");
        return jwt_key_set_parse(doc, strlen(doc), ret);
}

static size_t sign(KeyName k, const char *input, uint8_t *sig) {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        uint8_t der[256];
        size_t n = sizeof der;

        EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, keys[k]);
        EVP_DigestSign(ctx, der, &n, (const uint8_t *) input, strlen(input));
        EVP_MD_CTX_free(ctx);
        if (EVP_PKEY_is_a(keys[k], "RSA")) {
                memcpy(sig, der, n);
                return n;
        }
        /* DER to JWS's r || s */
        const uint8_t *p = der;
        ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long) n);
        BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 32);
        BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + 32, 32);
        ECDSA_SIG_free(es);
        return 64;
}

/* HEADER.PAYLOAD.SIGNATURE; alg "none" gets an empty signature, "HS256" an HMAC keyed with
 * the PEM of the RSA key's public half (what a confused verifier would use). */
static char *make_jwt(const char *alg, KeyName k, const char *kid, const char *claims) {
        char header[256], h[512], *c = malloc(4096), *out = malloc(8192), sigtext[1024];
        uint8_t sig[512];
        size_t n = 0;

        if (kid)
                snprintf(header, sizeof header, "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}", alg, kid);
        else
                snprintf(header, sizeof header, "{\"alg\":\"%s\",\"typ\":\"JWT\"}", alg);
        b64url_str(header, h);
        b64url_str(claims, c);
        snprintf(out, 8192, "%s.%s", h, c);
        if (streq(alg, "HS256")) {
                BIO *bio = BIO_new(BIO_s_mem());
                char *pem;
                long len;
                unsigned mac_len = 0;
                PEM_write_bio_PUBKEY(bio, keys[KEY_RSA_NEW]);
                len = BIO_get_mem_data(bio, &pem);
                HMAC(EVP_sha256(), pem, (int) len, (const uint8_t *) out, strlen(out), sig, &mac_len);
                n = mac_len;
                BIO_free(bio);
        } else if (!streq(alg, "none"))
                n = sign(k, out, sig);
        b64url(sig, n, sigtext);
        strcat(out, ".");
        strcat(out, sigtext);
        free(c);
        return out;
}

/* The claims of a good token, with one field replaced when name is given ("" removes it). */
static void claims(char *out, size_t size, const char *name, const char *value) {
        struct { const char *k, *v; } f[] = {
                { "iss", "\"" ISS "\"" },
                { "aud", "\"" AUD "\"" },
                { "exp", NULL },     /* set below */
                { "iat", NULL },
                { "jti", "\"a1b2c3\"" },
                { "project_path", "\"acme/app\"" },
                { "namespace_id", "42" },
        };
        char exp[32], iat[32];
        bool found = false;
        size_t k = 0;

        snprintf(exp, sizeof exp, "%lld", NOW_SEC + 300);
        snprintf(iat, sizeof iat, "%lld", NOW_SEC - 10);
        f[2].v = exp;
        f[3].v = iat;
        k += (size_t) snprintf(out + k, size - k, "{");
        for (size_t i = 0; i < ELEMENTSOF(f); i++) {
                const char *v = name && streq(name, f[i].k) ? value : f[i].v;
                found = found || (name && streq(name, f[i].k));
                if (isempty(v))
                        continue;
                k += (size_t) snprintf(out + k, size - k, "%s\"%s\":%s", out[k - 1] == '{' ? "" : ",", f[i].k, v);
        }
        if (name && !found && !isempty(value))
                k += (size_t) snprintf(out + k, size - k, ",\"%s\":%s", name, value);
        snprintf(out + k, size - k, "}");
}

static const JwtPolicy policy = {
        .issuer = ISS,
        .audience = AUD,
        .algorithms = JWT_ALG_MASK(JWT_ALG_RS256) | JWT_ALG_MASK(JWT_ALG_ES256),
        .skew = 60 * USEC_PER_SEC,
        .max_lifetime = 3600 * USEC_PER_SEC,
};

static JwtResult check(const char *token, const JwtKeySet *set, const JwtPolicy *p) {
        Jwt j;
        int r = jwt_parse(token, &j);

        if (r != JWT_OK)
                return (JwtResult) r;
        r = jwt_verify(&j, set, p, NOW);
        jwt_done(&j);
        return (JwtResult) r;
}

static char *num(long long v) {
        static char buf[8][32];
        static int i;
        i = (i + 1) % 8;
        snprintf(buf[i], sizeof buf[i], "%lld", v);
        return buf[i];
}

static void test_claims(const JwtKeySet *set) {
        const struct {
                const char *name, *value, *what;
                JwtResult want;
        } cases[] = {
                { NULL, NULL, "a good RS256 token", JWT_OK },
                { "iss", "\"https://evil.example.com\"", "another issuer", JWT_WRONG_ISSUER },
                { "iss", "", "no issuer", JWT_WRONG_ISSUER },
                { "iss", "42", "an issuer that is a number", JWT_WRONG_ISSUER },
                { "aud", "\"pkgtoken:other\"", "another audience", JWT_WRONG_AUDIENCE },
                { "aud", "[\"x\",\"" AUD "\"]", "an audience list naming ours", JWT_OK },
                { "aud", "[\"x\",\"y\"]", "an audience list without ours", JWT_WRONG_AUDIENCE },
                { "aud", "", "no audience", JWT_WRONG_AUDIENCE },
                { "exp", num(NOW_SEC - 61), "expired beyond the skew", JWT_EXPIRED },
                { "exp", num(NOW_SEC - 30), "expired within the skew", JWT_OK },
                { "exp", "", "no exp", JWT_MISSING_CLAIM },
                { "exp", "\"soon\"", "an exp that is a string", JWT_MISSING_CLAIM },
                { "exp", "9223372036854775807", "an exp past the year 9999", JWT_MISSING_CLAIM },
                { "exp", "-5", "a negative exp", JWT_MISSING_CLAIM },
                { "exp", "1800000300.5", "an exp with a fraction", JWT_OK },
                { "iat", num(NOW_SEC + 120), "issued in the future", JWT_NOT_YET_VALID },
                { "iat", "", "no iat", JWT_MISSING_CLAIM },
                { "nbf", num(NOW_SEC + 120), "not valid before two minutes from now", JWT_NOT_YET_VALID },
                { "nbf", num(NOW_SEC + 30), "nbf within the skew", JWT_OK },
                { "jti", "", "no jti", JWT_MISSING_CLAIM },
                { "iat", num(NOW_SEC - 7200), "living longer than the bound", JWT_TOO_LONG_LIVED },
        };
        char c[2048];

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *t = NULL;
                claims(c, sizeof c, cases[i].name, cases[i].value);
                t = make_jwt("RS256", KEY_RSA_NEW, kids[KEY_RSA_NEW], c);
                JwtResult got = check(t, set, &policy);
                CHECK(got == cases[i].want, "%s: %s (got %s)", cases[i].what, jwt_result_to_string(cases[i].want),
                      jwt_result_to_string(got));
        }
}

static void test_signatures(const JwtKeySet *set) {
        const struct {
                const char *alg;
                KeyName key;
                const char *kid, *what;
                unsigned allowed;
                JwtResult want;
        } cases[] = {
                { "RS256", KEY_RSA_NEW, "rsa-new", "RS256 with the new key", 0, JWT_OK },
                { "RS256", KEY_RSA_OLD, "rsa-old", "RS256 with the old key (rotation)", 0, JWT_OK },
                { "RS256", KEY_RSA_NEW, NULL, "RS256 without a kid", 0, JWT_OK },
                { "ES256", KEY_EC, "ec-1", "ES256", 0, JWT_OK },
                { "ES256", KEY_EC, NULL, "ES256 without a kid", 0, JWT_OK },
                { "ES256", KEY_EC, "ec-1", "ES256 where the issuer allows RS256 only",
                  JWT_ALG_MASK(JWT_ALG_RS256), JWT_BAD_ALGORITHM },
                { "RS256", KEY_RSA_STRANGER, "rsa-old", "a stranger's key under a known kid", 0, JWT_BAD_SIGNATURE },
                { "RS256", KEY_RSA_NEW, "rsa-unknown", "an unknown kid", 0, JWT_UNKNOWN_KEY },
                { "ES256", KEY_EC, "rsa-new", "ES256 under an RSA key's kid", 0, JWT_UNKNOWN_KEY },
                { "none", KEY_RSA_NEW, "rsa-new", "alg none", 0, JWT_BAD_ALGORITHM },
                { "HS256", KEY_RSA_NEW, "rsa-new", "HS256 keyed with the public key", 0, JWT_BAD_ALGORITHM },
                { "RS512", KEY_RSA_NEW, "rsa-new", "RS512", 0, JWT_BAD_ALGORITHM },
                { "PS256", KEY_RSA_NEW, "rsa-new", "PS256", 0, JWT_BAD_ALGORITHM },
        };
        char c[2048];

        claims(c, sizeof c, NULL, NULL);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *t = make_jwt(cases[i].alg, cases[i].key, cases[i].kid, c);
                JwtPolicy p = policy;
                if (cases[i].allowed)
                        p.algorithms = cases[i].allowed;
                JwtResult got = check(t, set, &p);
                CHECK(got == cases[i].want, "%s: %s (got %s)", cases[i].what, jwt_result_to_string(cases[i].want),
                      jwt_result_to_string(got));
        }
}

static void test_rotation(void) {
        JwtKeySet only_new = {};
        char c[2048];
        _cleanup_free_ char *old = NULL, *new = NULL;

        claims(c, sizeof c, NULL, NULL);
        old = make_jwt("RS256", KEY_RSA_OLD, "rsa-old", c);
        new = make_jwt("RS256", KEY_RSA_NEW, "rsa-new", c);
        CHECK(key_set(&only_new, 1, (KeyName[]) { KEY_RSA_NEW }) == 0, "a key set of the new key alone");
        CHECK(check(new, &only_new, &policy) == JWT_OK, "rotated: the new key's tokens verify");
        CHECK(check(old, &only_new, &policy) == JWT_UNKNOWN_KEY, "rotated: the retired key's tokens do not");
        jwt_key_set_done(&only_new);
}

static void test_tampering(const JwtKeySet *set) {
        char c[2048], c2[2048], h[4096];
        _cleanup_free_ char *t = NULL;
        char *dot, forged[8192];

        claims(c, sizeof c, NULL, NULL);
        t = make_jwt("RS256", KEY_RSA_NEW, "rsa-new", c);
        /* The same signature over other claims. */
        claims(c2, sizeof c2, "project_path", "\"evil/app\"");
        b64url_str(c2, h);
        dot = strchr(t, '.');
        snprintf(forged, sizeof forged, "%.*s.%s%s", (int) (dot - t), t, h, strrchr(t, '.'));
        CHECK(check(forged, set, &policy) == JWT_BAD_SIGNATURE, "changed claims under the old signature: bad signature");
        /* One bit of the signature. */
        snprintf(forged, sizeof forged, "%s", t);
        char *last = forged + strlen(forged) - 3;
        *last = *last == 'A' ? 'B' : 'A';
        CHECK(check(forged, set, &policy) == JWT_BAD_SIGNATURE, "a changed signature: bad signature");
}

static void test_malformed(const JwtKeySet *set) {
        const char *cases[] = {
                "", "abc", "a.b", "a.b.c.d", "!!!.eyJ9.sig", "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln",
                "W10.e30.c2ln",                                  /* header [] */
                "e30.e30.c2ln",                                  /* header without alg */
                "eyJhbGciOiJSUzI1NiJ9.e30x.c2ln",                /* stray bits */
                "eyJhbGciOiJSUzI1NiJ9.e30=.c2ln",                /* padding */
                "eyJhbGciOiJSUzI1NiJ9.e30gMQ.c2ln",              /* trailing bytes after the object */
        };
        _cleanup_free_ char *huge = malloc(JWT_MAX_LEN + 2);

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                CHECK(check(cases[i], set, &policy) == JWT_MALFORMED, "malformed: \"%s\"", cases[i]);
        memset(huge, 'a', JWT_MAX_LEN + 1);
        huge[JWT_MAX_LEN + 1] = 0;
        huge[10] = huge[20] = '.';
        CHECK(check(huge, set, &policy) == JWT_MALFORMED, "longer than JWT_MAX_LEN: malformed");
        CHECK(check(NULL, set, &policy) == JWT_MALFORMED, "NULL: malformed");
}

static void test_key_sets(void) {
        const struct {
                const char *doc, *what;
                int want;
        } cases[] = {
                { "not json", "not JSON", -EINVAL },
                { "[]", "not an object", -EINVAL },
                { "{}", "no keys", -EINVAL },
                { "{\"keys\":[]}", "an empty key list", -ENOKEY },
                { "{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}]}", "a symmetric key only", -ENOKEY },
                { "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}", "a 17-bit RSA key only", -ENOKEY },
                { "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"AA\",\"y\":\"AA\"}]}", "a P-384 key only", -ENOKEY },
                { "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
                  "\"y\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}]}", "a point not on the curve", -ENOKEY },
        };
        char one[2048], doc[4096];
        JwtKeySet s;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                int r = jwt_key_set_parse(cases[i].doc, strlen(cases[i].doc), &s);
                CHECK(r == cases[i].want, "key set: %s -> %d (got %d)", cases[i].what, cases[i].want, r);
                if (r >= 0)
                        jwt_key_set_done(&s);
        }
        /* An "enc" key and a key whose alg contradicts its type are skipped, the good one kept. */
        jwk(KEY_EC, one, sizeof one);
        snprintf(doc, sizeof doc, "{\"keys\":[{\"kty\":\"RSA\",\"use\":\"enc\",\"n\":\"AQAB\",\"e\":\"AQAB\"},"
                 "{\"kty\":\"EC\",\"alg\":\"RS256\",\"crv\":\"P-256\",\"x\":\"AA\",\"y\":\"AA\"},%s]}", one);
        CHECK(jwt_key_set_parse(doc, strlen(doc), &s) == 0 && s.n == 1 && s.keys[0].alg == JWT_ALG_ES256,
              "key set: only the usable key of three is kept");
        jwt_key_set_done(&s);
}

static void test_words(void) {
        const char *refused[] = { "none", "None", "HS256", "HS384", "HS512", "RS512", "ES384", "", NULL };
        char buf[32];
        Jwt j;

        CHECK(jwt_alg_from_string("RS256") == JWT_ALG_RS256 && jwt_alg_from_string("ES256") == JWT_ALG_ES256,
              "RS256 and ES256 are the algorithms");
        for (size_t i = 0; i < ELEMENTSOF(refused); i++)
                CHECK(jwt_alg_from_string(refused[i]) == -EINVAL, "algorithm \"%s\" is refused", refused[i] ?: "(null)");
        /* Claims as the publisher's rules read them: strings, and integers in decimal. */
        char c[2048];
        claims(c, sizeof c, NULL, NULL);
        _cleanup_free_ char *t = make_jwt("RS256", KEY_RSA_NEW, "rsa-new", c);
        CHECK(jwt_parse(t, &j) == JWT_OK, "a good token parses");
        CHECK(streq_ptr(jwt_claim(&j, "project_path", buf), "acme/app"), "a string claim");
        CHECK(streq_ptr(jwt_claim(&j, "namespace_id", buf), "42"), "an integer claim, in decimal");
        CHECK(!jwt_claim(&j, "missing", buf), "an absent claim is NULL");
        CHECK(jwt_expires_at(&j) == (usec_t) (NOW_SEC + 300) * USEC_PER_SEC, "exp in microseconds");
        jwt_done(&j);
}

int main(void) {
        JwtKeySet set = {};

        for (int k = 0; k < _KEY_MAX; k++)
                keys[k] = k == KEY_EC ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")
                                      : EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 2048);
        CHECK(key_set(&set, 3, (KeyName[]) { KEY_RSA_OLD, KEY_RSA_NEW, KEY_EC }) == 0 && set.n == 3,
              "a key set of two RSA keys (rotation) and an EC key");

        test_claims(&set);
        test_signatures(&set);
        test_rotation();
        test_tampering(&set);
        test_malformed(&set);
        test_key_sets();
        test_words();

        jwt_key_set_done(&set);
        for (int k = 0; k < _KEY_MAX; k++)
                EVP_PKEY_free(keys[k]);
        return tap_finish();
}
