/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <curl/curl.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetch.h"
#include "issuers.h"
#include "macro.h"

typedef struct Body {
        char *data;
        size_t size;
        size_t max;
        bool too_big;
} Body;

/* Stops the transfer (returning less than given) at the first byte beyond the limit: a
 * Content-Length is only a claim, and chunked answers have none. */
static size_t body_append(char *ptr, size_t size, size_t nmemb, void *userdata) {
        Body *b = userdata;
        size_t n = size * nmemb;
        char *p;

        if (n > b->max - b->size) {
                b->too_big = true;
                return 0;
        }
        p = realloc(b->data, b->size + n + 1);
        if (!p)
                return 0;
        memcpy(p + b->size, ptr, n);
        b->data = p;
        b->size += n;
        b->data[b->size] = 0;
        return n;
}

int fetch_global_init(void) {
        return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -EIO;
}

void fetch_global_done(void) {
        curl_global_cleanup();
}

static void curl_easy_cleanupp(CURL **c) {
        if (*c)
                curl_easy_cleanup(*c);
}

#define SETOPT(c, opt, value) do { if (curl_easy_setopt((c), (opt), (value)) != CURLE_OK) return -EIO; } while (0)

static int setup(CURL *c, const char *url, const FetchLimits *l, Body *b, char *curl_error) {
        SETOPT(c, CURLOPT_URL, url);
        /* Plain http only where Issuer=/JwksUri= allowed it (loopback); redirects to https only. */
        SETOPT(c, CURLOPT_PROTOCOLS_STR, strncmp(url, "https://", 8) == 0 ? "https" : "http");
        SETOPT(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
        SETOPT(c, CURLOPT_FOLLOWLOCATION, 1L);
        SETOPT(c, CURLOPT_MAXREDIRS, l->max_redirects);
        SETOPT(c, CURLOPT_CONNECTTIMEOUT_MS, (long) (l->connect_timeout / USEC_PER_MSEC));
        SETOPT(c, CURLOPT_TIMEOUT_MS, (long) (l->total_timeout / USEC_PER_MSEC));
        SETOPT(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) l->max_size);
        SETOPT(c, CURLOPT_NOSIGNAL, 1L);
        SETOPT(c, CURLOPT_NOPROXY, "127.0.0.1,localhost,::1");
        SETOPT(c, CURLOPT_USERAGENT, "pkgtoken-issuer-refresh/" PKGTOKEN_VERSION);
        SETOPT(c, CURLOPT_WRITEFUNCTION, body_append);
        SETOPT(c, CURLOPT_WRITEDATA, b);
        SETOPT(c, CURLOPT_ERRORBUFFER, curl_error);
        return 0;
}

int fetch_url(const char *url, const FetchLimits *limits, char **ret_body, size_t *ret_size, char *error,
              size_t error_size) {
        _cleanup_(curl_easy_cleanupp) CURL *c = NULL;
        char curl_error[CURL_ERROR_SIZE] = "";
        Body b = { .max = limits->max_size };
        long status = 0;
        CURLcode cr;

        if (!issuer_url_is_valid(url)) {
                snprintf(error, error_size, "%s: not an https:// URL", url);
                return -EPROTONOSUPPORT;
        }
        c = curl_easy_init();
        if (!c || setup(c, url, limits, &b, curl_error) < 0) {
                snprintf(error, error_size, "cannot set up libcurl");
                return -EIO;
        }
        cr = curl_easy_perform(c);
        if (cr == CURLE_OK)
                (void) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        if (cr == CURLE_OK && status == 200 && b.data) {
                *ret_body = b.data;
                *ret_size = b.size;
                return 0;
        }
        free(b.data);
        if (b.too_big || cr == CURLE_FILESIZE_EXCEEDED) {
                snprintf(error, error_size, "%s: the answer is larger than %zu bytes", url, limits->max_size);
                return -EFBIG;
        }
        if (cr == CURLE_OPERATION_TIMEDOUT) {
                snprintf(error, error_size, "%s: no complete answer within %llu ms", url,
                         (unsigned long long) (limits->total_timeout / USEC_PER_MSEC));
                return -ETIMEDOUT;
        }
        if (cr != CURLE_OK) {
                snprintf(error, error_size, "%s: %s", url, curl_error[0] ? curl_error : curl_easy_strerror(cr));
                return -EIO;
        }
        snprintf(error, error_size, "%s: HTTP status %ld%s", url, status, status == 200 ? " with an empty body" : "");
        return -EBADMSG;
}
