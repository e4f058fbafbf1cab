/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One bounded HTTP GET with libcurl, for pkgtoken-issuer-refresh: https only (plain http only
 * to a loopback address, for tests), a connect and a total timeout, a size limit enforced on
 * the bytes received whatever the server announces, few redirects and those to https only,
 * and a 200 answer or nothing. */

#include <stddef.h>

#include "time-util.h"

typedef struct FetchLimits {
        usec_t connect_timeout;
        usec_t total_timeout;
        size_t max_size;
        long max_redirects;
} FetchLimits;

/* Process-wide set-up and tear-down of libcurl; 0 or -EIO. */
int fetch_global_init(void);
void fetch_global_done(void);

/* The body of url, NUL-terminated (*ret_size excludes the NUL).  A negative errno on failure,
 * with a message for people in error (error_size bytes). */
int fetch_url(const char *url, const FetchLimits *limits, char **ret_body, size_t *ret_size, char *error,
              size_t error_size);
