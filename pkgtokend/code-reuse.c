/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "code-reuse.h"
#include "erase.h"
#include "macro.h"
#include "random-util.h"
#include "validate.h"

typedef struct Entry {
        uint8_t digest[SHA256_DIGEST_LENGTH];
        usec_t until;             /* 0: free */
} Entry;

struct CodeReuse {
        EVP_MAC *hmac;            /* fetched once: the provider lookup is not free */
        uint8_t key[32];
        Entry entries[CODE_REUSE_MAX];
};

int code_reuse_new(CodeReuse **ret) {
        CodeReuse *c = calloc(1, sizeof *c);
        int r;

        if (!c)
                return -ENOMEM;
        r = random_bytes(c->key, sizeof c->key);
        c->hmac = r < 0 ? NULL : EVP_MAC_fetch(NULL, "HMAC", NULL);
        if (!c->hmac) {
                free(c);
                return r < 0 ? r : -EIO;
        }
        *ret = c;
        return 0;
}

CodeReuse *code_reuse_free(CodeReuse *c) {
        if (c) {
                EVP_MAC_free(c->hmac);
                erase_memory(c, sizeof *c);
                free(c);
        }
        return NULL;
}

/* HMAC(key, subject NUL secret NUL address-bytes NUL code): one digest per exact set of
 * credentials, address and code.  Addresses compare parsed, so one address written two ways
 * is one address. */
static bool digest(const CodeReuse *c, const char *subject, const char *secret, const char *remote, const char *code,
                   uint8_t out[static SHA256_DIGEST_LENGTH]) {
        uint8_t addr[16];
        int family;
        bool ok = false;
        EVP_MAC_CTX *ctx = NULL;
        OSSL_PARAM params[] = {
                OSSL_PARAM_construct_utf8_string("digest", (char *) "SHA256", 0),
                OSSL_PARAM_construct_end(),
        };
        size_t n = 0;

        if (isempty(remote) || address_parse(remote, &family, addr) < 0 || isempty(code))
                return false;
        ctx = EVP_MAC_CTX_new(c->hmac);
        if (ctx && EVP_MAC_init(ctx, c->key, sizeof c->key, params) == 1 &&
            EVP_MAC_update(ctx, (const uint8_t *) subject, strlen(subject) + 1) == 1 &&
            EVP_MAC_update(ctx, (const uint8_t *) (secret ?: ""), strlen(secret ?: "") + 1) == 1 &&
            EVP_MAC_update(ctx, (const uint8_t *) &family, sizeof family) == 1 &&
            EVP_MAC_update(ctx, addr, sizeof addr) == 1 &&
            EVP_MAC_update(ctx, (const uint8_t *) code, strlen(code)) == 1 &&
            EVP_MAC_final(ctx, out, &n, SHA256_DIGEST_LENGTH) == 1)
                ok = n == SHA256_DIGEST_LENGTH;
        EVP_MAC_CTX_free(ctx);
        return ok;
}

void code_reuse_remember(CodeReuse *c, const char *subject, const char *secret, const char *remote, const char *code,
                         usec_t until, usec_t now) {
        uint8_t d[SHA256_DIGEST_LENGTH];
        Entry *slot = NULL;

        if (!c || until <= now || !digest(c, subject, secret, remote, code, d))
                return;
        /* A free or expired slot, else the one that expires first. */
        for (size_t i = 0; i < CODE_REUSE_MAX; i++) {
                Entry *e = &c->entries[i];
                if (e->until <= now) {
                        slot = e;
                        break;
                }
                if (!slot || e->until < slot->until)
                        slot = e;
        }
        memcpy(slot->digest, d, sizeof d);
        slot->until = until;
        erase_memory(d, sizeof d);
}

bool code_reuse_matches(CodeReuse *c, const char *subject, const char *secret, const char *remote, const char *code,
                        usec_t now) {
        uint8_t d[SHA256_DIGEST_LENGTH];
        bool found = false;

        if (!c || !digest(c, subject, secret, remote, code, d))
                return false;
        for (size_t i = 0; i < CODE_REUSE_MAX && !found; i++)
                found = c->entries[i].until > now && CRYPTO_memcmp(c->entries[i].digest, d, sizeof d) == 0;
        erase_memory(d, sizeof d);
        return found;
}
