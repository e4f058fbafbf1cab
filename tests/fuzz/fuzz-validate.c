/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* libFuzzer target for common/validate.c.  The input is "A\nB": every check runs on A, and
 * the pairs (pattern A, package B) and (range A, address B) are matched against each other.
 * Each result is held against an invariant: what a valid name looks like, canonical names
 * being valid and stable, a pattern matching only what it should, a range containing its own
 * network address, IPv4 and IPv4-mapped IPv6 agreeing. */

#include <arpa/inet.h>
#include <errno.h>
#include <strings.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "macro.h"
#include "validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool in_range(char c, char lo, char hi) {
        return c >= lo && c <= hi;
}

static void check_account_name(const char *s) {
        size_t n = strlen(s);
        bool expected = n >= 1 && n <= ACCOUNT_NAME_MAX &&
                        (in_range(s[0], 'a', 'z') || in_range(s[0], '0', '9'));

        for (size_t i = 0; expected && i < n; i++)
                expected = in_range(s[i], 'a', 'z') || in_range(s[i], '0', '9') || strchr("._-", s[i]);
        fuzz_assert(account_name_is_valid(s) == expected);
}

static void check_email(const char *s) {
        const char *at;

        if (!email_is_valid(s))
                return;
        if (!*s)
                return;   /* "" means no e-mail */

        fuzz_assert(strlen(s) <= EMAIL_MAX);
        at = strchr(s, '@');
        fuzz_assert(at && at != s && at[1] && !strchr(at + 1, '@'));
        for (const char *p = s; *p; p++)
                fuzz_assert(*p > ' ' && *p < 0x7f);
}

static void check_description(const char *s) {
        if (!description_is_valid(s))
                return;
        fuzz_assert(strlen(s) <= DESCRIPTION_MAX);
        for (const char *p = s; *p; p++)
                fuzz_assert((unsigned char) *p >= ' ' && *p != 0x7f);
}

static void check_package_name(const char *s) {
        char *c = NULL, *again = NULL;
        int r;

        r = package_name_canonicalize(s, &c);
        fuzz_assert(r == 0 || r == -EINVAL);
        fuzz_assert(package_name_canonicalize(s, NULL) == r);

        /* A valid name is its own canonical form. */
        if (package_name_is_valid(s))
                fuzz_assert(r == 0 && streq(c, s));
        if (r < 0) {
                fuzz_assert(!c);
                return;
        }

        /* The canonical form is valid, lowercase, differs from s only in case, and is stable. */
        fuzz_assert(package_name_is_valid(c));
        fuzz_assert(strlen(c) == strlen(s) && strcasecmp(c, s) == 0);
        for (const char *p = c; *p; p++)
                fuzz_assert(!in_range(*p, 'A', 'Z'));
        fuzz_assert(package_name_canonicalize(c, &again) == 0 && streq(again, c));

        free(again);
        free(c);
}

static void check_pattern(const char *pattern, const char *package) {
        static const char * const completions[] = { "", "x", "/x", "x/x" };
        bool valid = scope_pattern_is_valid(pattern), matched = false;
        const char *star = strchr(pattern, '*');
        char buf[PACKAGE_NAME_MAX + 8];
        size_t n;

        /* A package name is a pattern that matches itself. */
        if (package_name_is_valid(pattern))
                fuzz_assert(valid && scope_pattern_matches(pattern, pattern));

        if (scope_pattern_matches(pattern, package)) {
                fuzz_assert(valid && package_name_is_valid(package));
                if (star)
                        fuzz_assert(strncmp(pattern, package, (size_t) (star - pattern)) == 0);
                else
                        fuzz_assert(streq(pattern, package));
        }

        if (!valid)
                return;
        if (!star) {
                fuzz_assert(package_name_is_valid(pattern));
                return;
        }

        /* "*" comes once, last; and a valid pattern matches at least one valid name. */
        fuzz_assert(star[1] == 0 && star > pattern);
        n = (size_t) (star - pattern);
        fuzz_assert(n <= PACKAGE_NAME_MAX);
        for (size_t i = 0; i < ELEMENTSOF(completions) && !matched; i++) {
                memcpy(buf, pattern, n);
                strcpy(buf + n, completions[i]);
                matched = scope_pattern_matches(pattern, buf);
        }
        fuzz_assert(matched);
}

static unsigned bits_of(int family) {
        return family == AF_INET ? 32 : 128;
}

/* Bit by bit, unlike the byte-and-mask comparison under test. */
static bool prefix_equal_slow(const uint8_t *a, const uint8_t *b, unsigned prefixlen) {
        for (unsigned i = 0; i < prefixlen; i++)
                if (((a[i / 8] >> (7 - i % 8)) & 1) != ((b[i / 8] >> (7 - i % 8)) & 1))
                        return false;
        return true;
}

static void check_cidr(const char *range, const char *address) {
        static const uint8_t mapped_prefix[12] = { [10] = 0xff, [11] = 0xff };
        uint8_t addr[16], mapped[16];
        int family, r;
        Cidr c;

        /* A bare address is a host range. */
        if (address_parse(range, &family, addr) == 0) {
                fuzz_assert(cidr_parse(range, &c) == 0);
                fuzz_assert(c.family == family && c.prefixlen == bits_of(family));
                fuzz_assert(memcmp(c.addr, addr, family == AF_INET ? 4 : 16) == 0);
        }

        r = cidr_parse(range, &c);
        fuzz_assert(r == 0 || r == -EINVAL);
        fuzz_assert(cidr_is_valid(range) == (r == 0));
        if (r < 0)
                return;
        fuzz_assert(c.family == AF_INET || c.family == AF_INET6);
        fuzz_assert(c.prefixlen <= bits_of(c.family));
        fuzz_assert(cidr_contains(&c, c.family, c.addr));   /* its own network address */

        if (address_parse(address, &family, addr) < 0)
                return;

        if (family == c.family)
                fuzz_assert(cidr_contains(&c, family, addr) == prefix_equal_slow(c.addr, addr, c.prefixlen));
        else if (family == AF_INET6)   /* an IPv4 range: only IPv4-mapped addresses can match */
                fuzz_assert(cidr_contains(&c, family, addr) ==
                            (memcmp(addr, mapped_prefix, 12) == 0 &&
                             prefix_equal_slow(c.addr, addr + 12, c.prefixlen)));

        /* An IPv4 address and its IPv4-mapped IPv6 form are in the same ranges. */
        if (family == AF_INET) {
                memcpy(mapped, mapped_prefix, 12);
                memcpy(mapped + 12, addr, 4);
                fuzz_assert(cidr_contains(&c, AF_INET, addr) == cidr_contains(&c, AF_INET6, mapped));
        }
}

/* cidr_contains() on a Cidr that cidr_parse() did not make must match nothing odd and not
 * read out of bounds. */
static void check_raw_cidr(const uint8_t *data, size_t size) {
        Cidr c = {};
        uint8_t addr[16] = {};

        if (size < 1 + 1 + 16 + 16)
                return;
        c.family = data[0] & 1 ? AF_INET6 : (data[0] & 2 ? AF_INET : data[0]);
        c.prefixlen = data[1];
        memcpy(c.addr, data + 2, 16);
        memcpy(addr, data + 18, 16);

        if ((c.family != AF_INET && c.family != AF_INET6) || c.prefixlen > bits_of(c.family)) {
                fuzz_assert(!cidr_contains(&c, AF_INET, addr));
                fuzz_assert(!cidr_contains(&c, AF_INET6, addr));
                return;
        }
        (void) cidr_contains(&c, AF_INET, addr);
        (void) cidr_contains(&c, AF_INET6, addr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *a = fuzz_strndup(data, size), *b, *nl;

        /* "A\nB"; without a newline B is A. */
        nl = strchr(a, '\n');
        if (nl) {
                *nl = 0;
                b = nl + 1;
        } else
                b = a;

        check_account_name(a);
        check_email(a);
        check_description(a);
        check_package_name(a);
        check_pattern(a, b);
        check_cidr(a, b);
        check_raw_cidr(data, size);

        free(a);
        return 0;
}
