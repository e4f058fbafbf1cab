/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The one exchange between pkgtokend and pkgtoken-pam-helper (docs/ARCHITECTURE.md, "Passwords
 * from a PAM service"): one request, one verdict byte, then the connection closes.
 *
 *   request = version (1 byte, PAM_REQUEST_VERSION)
 *             field(service) field(user) field(password)
 *   field   = length (2 bytes, big-endian) bytes (no NUL)
 *
 * Every field has a small maximum, so a request is at most PAM_REQUEST_MAX bytes and the
 * helper can read it into a fixed buffer.  Pure code: no I/O, no PAM. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "input-limits.h"

#define PAM_REQUEST_VERSION 1
#define PAM_SERVICE_NAME_MAX 64
#define PAM_REQUEST_MAX (1 + 3 * 2 + PAM_SERVICE_NAME_MAX + ACCOUNT_NAME_MAX + PASSWORD_MAX)

/* The helper's answer: one byte. */
typedef enum PamVerdict {
        PAM_VERDICT_ACCEPTED    = 'Y',   /* pam_authenticate and pam_acct_mgmt succeeded */
        PAM_VERDICT_REFUSED     = 'N',   /* wrong password, unknown user, account expired or barred */
        PAM_VERDICT_UNAVAILABLE = 'U',   /* the stack could not answer (PAM_AUTHINFO_UNAVAIL, ...) */
        PAM_VERDICT_BAD_REQUEST = 'R',   /* malformed request, or a service that is not configured */
} PamVerdict;

bool pam_verdict_is_valid(int c);

/* A PAM service's name as it may be looked up in a PAM configuration directory: 1 to
 * PAM_SERVICE_NAME_MAX of [A-Za-z0-9._-], not starting with '.' or '-' (so never "..", never a
 * path, never an option). */
bool pam_service_name_is_valid(const char *s);

/* "pam:SERVICE" → SERVICE (a pointer into source); "local" and "" → NULL, 0.  -EINVAL for
 * anything else, including an invalid service name. */
int password_source_parse(const char *source, const char **ret_service);

typedef struct PamRequest {
        char service[PAM_SERVICE_NAME_MAX + 1];
        char user[ACCOUNT_NAME_MAX + 1];
        char password[PASSWORD_MAX + 1];     /* secret: erase with pam_request_erase() */
} PamRequest;

void pam_request_erase(PamRequest *r);

/* Writes the request for service, user and password into buf (at least PAM_REQUEST_MAX
 * bytes); returns its length, or -EINVAL when a field is too long, empty (service, user) or
 * holds a NUL, or the service name is invalid. */
int pam_request_build(uint8_t *buf, size_t size, const char *service, const char *user, const char *password);

/* Parses exactly one request of n bytes.  -EINVAL when malformed: another version, a field
 * longer than its maximum or holding a NUL, an invalid service name, an empty user, bytes
 * missing or left over.  ret is erased on failure. */
int pam_request_parse(const uint8_t *buf, size_t n, PamRequest *ret);
