/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <string.h>

#include "erase.h"
#include "macro.h"
#include "pam-request.h"

bool pam_verdict_is_valid(int c) {
        return c == PAM_VERDICT_ACCEPTED || c == PAM_VERDICT_REFUSED || c == PAM_VERDICT_UNAVAILABLE ||
               c == PAM_VERDICT_BAD_REQUEST;
}

bool pam_service_name_is_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > PAM_SERVICE_NAME_MAX || s[0] == '.' || s[0] == '-')
                return false;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
                      strchr("._-", *s)))
                        return false;
        return true;
}

int password_source_parse(const char *source, const char **ret_service) {
        *ret_service = NULL;
        if (isempty(source) || streq(source, "local"))
                return 0;
        if (strncmp(source, "pam:", 4) != 0 || !pam_service_name_is_valid(source + 4))
                return -EINVAL;
        *ret_service = source + 4;
        return 0;
}

void pam_request_erase(PamRequest *r) {
        erase_memory(r, sizeof *r);
}

static int put_field(uint8_t *buf, size_t size, size_t *pos, const char *s, size_t max) {
        size_t n = strlen(s);

        if (n > max || *pos + 2 + n > size)
                return -EINVAL;
        buf[(*pos)++] = (uint8_t) (n >> 8);
        buf[(*pos)++] = (uint8_t) n;
        memcpy(buf + *pos, s, n);
        *pos += n;
        return 0;
}

int pam_request_build(uint8_t *buf, size_t size, const char *service, const char *user, const char *password) {
        size_t pos = 0;

        if (size < 1 || !pam_service_name_is_valid(service) || isempty(user))
                return -EINVAL;
        buf[pos++] = PAM_REQUEST_VERSION;
        if (put_field(buf, size, &pos, service, PAM_SERVICE_NAME_MAX) < 0 ||
            put_field(buf, size, &pos, user, ACCOUNT_NAME_MAX) < 0 ||
            put_field(buf, size, &pos, password, PASSWORD_MAX) < 0)
                return -EINVAL;
        return (int) pos;
}

/* One field into ret (max + 1 bytes), NUL-terminated. */
static int get_field(const uint8_t *buf, size_t n, size_t *pos, char *ret, size_t max) {
        size_t len;

        if (n - *pos < 2)
                return -EINVAL;
        len = (size_t) buf[*pos] << 8 | buf[*pos + 1];
        *pos += 2;
        if (len > max || n - *pos < len || memchr(buf + *pos, 0, len))
                return -EINVAL;
        memcpy(ret, buf + *pos, len);
        ret[len] = 0;
        *pos += len;
        return 0;
}

int pam_request_parse(const uint8_t *buf, size_t n, PamRequest *ret) {
        size_t pos = 1;

        if (n < 1 || buf[0] != PAM_REQUEST_VERSION ||
            get_field(buf, n, &pos, ret->service, PAM_SERVICE_NAME_MAX) < 0 ||
            get_field(buf, n, &pos, ret->user, ACCOUNT_NAME_MAX) < 0 ||
            get_field(buf, n, &pos, ret->password, PASSWORD_MAX) < 0 ||
            pos != n || !pam_service_name_is_valid(ret->service) || isempty(ret->user)) {
                pam_request_erase(ret);
                return -EINVAL;
        }
        return 0;
}
