/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The request between pkgtokend and pkgtoken-pam-helper (common/pam-request.c): service
 * names, password sources, and the framing: what is built parses back to the same fields,
 * and every malformed request (a table of them) is refused and leaves nothing behind. */

#include <errno.h>

#include "macro.h"
#include "pam-request.h"
#include "tap.h"

static void test_service_names(void) {
        static const struct {
                const char *name;
                bool valid;
        } cases[] = {
                { "pkgtoken", true },         { "sssd-ldap", true },     { "common_auth.2", true },
                { "", false },                { ".", false },            { "..", false },
                { "../shadow", false },       { "a/b", false },          { "-x", false },
                { ".hidden", false },         { "a b", false },          { "é", false },
                { "a\n", false },
                { "0123456789012345678901234567890123456789012345678901234567890123", true },
                { "01234567890123456789012345678901234567890123456789012345678901234", false },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                CHECK(pam_service_name_is_valid(cases[i].name) == cases[i].valid, "service name '%s': %s",
                      cases[i].name, cases[i].valid ? "valid" : "refused");
}

static void test_sources(void) {
        static const struct {
                const char *source;
                int r;
                const char *service;
        } cases[] = {
                { "local", 0, NULL },         { "", 0, NULL },            { "pam:sssd", 0, "sssd" },
                { "pam:", -EINVAL, NULL },    { "pam:../x", -EINVAL, NULL }, { "PAM:sssd", -EINVAL, NULL },
                { "ldap:x", -EINVAL, NULL },  { "pam:a/b", -EINVAL, NULL }, { "locale", -EINVAL, NULL },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const char *service = "unset";
                int r = password_source_parse(cases[i].source, &service);
                CHECK(r == cases[i].r && streq_ptr(service, cases[i].service), "password source '%s'",
                      cases[i].source);
        }
}

static void test_round_trip(void) {
        static char long_password[PASSWORD_MAX + 1];
        static uint8_t buf[PAM_REQUEST_MAX];
        static PamRequest q;
        int n;

        memset(long_password, 'p', PASSWORD_MAX);
        n = pam_request_build(buf, sizeof buf, "sssd", "alice", "pass word");
        CHECK(n == 1 + 2 + 4 + 2 + 5 + 2 + 9, "built: %d bytes", n);
        CHECK(buf[0] == PAM_REQUEST_VERSION && buf[1] == 0 && buf[2] == 4 && memcmp(buf + 3, "sssd", 4) == 0,
              "  ... version, then a big-endian length and the service");
        CHECK(pam_request_parse(buf, (size_t) n, &q) == 0 && streq(q.service, "sssd") && streq(q.user, "alice") &&
              streq(q.password, "pass word"), "  ... parses back");
        pam_request_erase(&q);
        CHECK(q.password[0] == 0 && q.user[0] == 0, "erased");

        n = pam_request_build(buf, sizeof buf, "s", "u", "");
        CHECK(n > 0 && pam_request_parse(buf, (size_t) n, &q) == 0 && streq(q.password, ""), "an empty password");

        n = pam_request_build(buf, sizeof buf, "0123456789012345678901234567890123456789012345678901234567890123",
                              "0123456789012345678901234567890123456789012345678901234567890123", long_password);
        CHECK(n == PAM_REQUEST_MAX, "the largest request is PAM_REQUEST_MAX bytes");
        CHECK(n > 0 && pam_request_parse(buf, (size_t) n, &q) == 0 && strlen(q.password) == PASSWORD_MAX,
              "  ... and parses");
        long_password[PASSWORD_MAX - 1] = 0;
        CHECK(pam_request_build(buf, 16, "s", "u", long_password) == -EINVAL, "a buffer too small: refused");
}

static void test_build_refusals(void) {
        static uint8_t buf[PAM_REQUEST_MAX];
        static char too_long[PASSWORD_MAX + 2];

        memset(too_long, 'x', PASSWORD_MAX + 1);
        CHECK(pam_request_build(buf, sizeof buf, "../x", "u", "p") == -EINVAL, "build: bad service");
        CHECK(pam_request_build(buf, sizeof buf, "s", "", "p") == -EINVAL, "build: empty user");
        CHECK(pam_request_build(buf, sizeof buf, "s", "u", too_long) == -EINVAL, "build: password too long");
        too_long[ACCOUNT_NAME_MAX + 1] = 0;
        CHECK(pam_request_build(buf, sizeof buf, "s", too_long, "p") == -EINVAL, "build: user too long");
}

/* A string literal's bytes and their count (NULs included, the terminator not). */
#define B(s) s, sizeof(s) - 1

/* Malformed requests, byte by byte. */
static void test_parse_refusals(void) {
        static const struct {
                const char *what;
                const char *bytes;
                size_t n;
        } cases[] = {
                { "nothing", B("") },
                { "version only", B("\1") },
                { "another version", B("\2\0\1s\0\1u\0\1p") },
                { "a length cut short", B("\1\0") },
                { "service cut short", B("\1\0\5ss") },
                { "no password field", B("\1\0\1s\0\1u") },
                { "a byte left over", B("\1\0\1s\0\1u\0\1pX") },
                { "NUL in the user", B("\1\0\1s\0\2u\0\0\1p") },
                { "NUL in the password", B("\1\0\1s\0\1u\0\2p\0") },
                { "empty service", B("\1\0\0\0\1u\0\1p") },
                { "empty user", B("\1\0\1s\0\0\0\1p") },
                { "service '..'", B("\1\0\2..\0\1u\0\1p") },
                { "service with a slash", B("\1\0\3a/b\0\1u\0\1p") },
                { "service too long (65)", B("\1\0\101") },
                { "user too long (65)", B("\1\0\1s\0\101") },
                { "password longer than PASSWORD_MAX", B("\1\0\1s\0\1u\20\1") },
        };
        PamRequest q;

        CHECK(pam_request_parse((const uint8_t *) "\1\0\1s\0\1u\0\1p", 10, &q) == 0, "parse: the smallest request");
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                memset(&q, 'Z', sizeof q);
                CHECK(pam_request_parse((const uint8_t *) cases[i].bytes, cases[i].n, &q) == -EINVAL &&
                      q.password[0] == 0 && q.service[0] == 0, "parse refuses: %s (nothing left behind)",
                      cases[i].what);
        }
}

static void test_verdicts(void) {
        CHECK(pam_verdict_is_valid('Y') && pam_verdict_is_valid('N') && pam_verdict_is_valid('U') &&
              pam_verdict_is_valid('R'), "the four verdict bytes");
        CHECK(!pam_verdict_is_valid('y') && !pam_verdict_is_valid(0) && !pam_verdict_is_valid('z'),
              "  ... and nothing else");
}

int main(void) {
        test_service_names();
        test_sources();
        test_round_trip();
        test_build_refusals();
        test_parse_refusals();
        test_verdicts();
        return tap_finish();
}
