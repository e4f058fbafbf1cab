/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <openssl/evp.h>
#include <stdio.h>
#include <strings.h>
#include <systemd/sd-bus.h>

#include "bus-client.h"
#include "erase.h"
#include "log.h"
#include "macro.h"
#include "names.h"
#include "report.h"
#include "token.h"

#define REPORT_TIMEOUT_USEC (2ULL * 1000000ULL)
#define AUTHORIZATION_MAX 4096

/* The token in an Authorization header: the password of HTTP Basic ("__token__:pkgt_...", or
 * "alice:pkgt_..." with an appended one-time code) or a Bearer token.  Writes it into out
 * (TOKEN_LEN + 1 bytes) or "" when there is none. */
static void token_from_authorization(const char *h, char out[static TOKEN_LEN + 1]) {
        uint8_t decoded[AUTHORIZATION_MAX];
        const char *p = NULL;
        size_t n;

        out[0] = '\0';
        if (!h)
                return;
        if (strncasecmp(h, "Bearer ", 7) == 0)
                p = h + 7;
        else if (strncasecmp(h, "Basic ", 6) == 0) {
                n = strlen(h + 6);
                if (n == 0 || n > (sizeof decoded - 1) / 3 * 4)
                        return;
                int k = EVP_DecodeBlock(decoded, (const uint8_t *) h + 6, (int) n);
                if (k <= 0)
                        return;
                decoded[k] = '\0';
                p = memchr(decoded, ':', (size_t) k);
                p = p ? p + 1 : NULL;
        }
        if (p && strncmp(p, TOKEN_PREFIX, TOKEN_PREFIX_LEN) == 0 && strnlen(p, TOKEN_LEN) == TOKEN_LEN) {
                memcpy(out, p, TOKEN_LEN);
                out[TOKEN_LEN] = '\0';
        }
        erase_memory(decoded, sizeof decoded);
}

void report_refusal(const char *bus_address, const char *authorization, const char *project, const char *reason,
                    const char *remote) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus *bus = NULL;
        char token[TOKEN_LEN + 1];
        int r;

        token_from_authorization(authorization, token);
        r = bus_client_open(bus_address, NULL, REPORT_TIMEOUT_USEC, &bus);
        if (r >= 0)
                r = sd_bus_call_method(bus, PKGTOKEN_BUS_NAME, PKGTOKEN_OBJECT_PATH, PKGTOKEN_MANAGER_IFACE,
                                       "ReportRefusal", &error, NULL, "ssssa{sv}", token, project, "publish", reason,
                                       isempty(remote) ? 0 : 1, "remote", "s", remote);
        erase_memory(token, sizeof token);
        sd_bus_flush_close_unref(bus);
        if (r < 0)
                log_warning("cannot record the refusal with pkgtokend on %s: %s", bus_address,
                            error.message ?: strerror(-r));
}
