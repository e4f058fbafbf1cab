/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <arpa/inet.h>
#include <sys/socket.h>

#include "macro.h"
#include "utf8.h"
#include "validate.h"

/* Our own ASCII classification instead of <ctype.h>: the locale must never change what a
 * valid name is, and negative chars must not index a table. */
static bool ascii_is_lower(char c) {
        return c >= 'a' && c <= 'z';
}

static bool ascii_is_upper(char c) {
        return c >= 'A' && c <= 'Z';
}

static bool ascii_is_digit(char c) {
        return c >= '0' && c <= '9';
}

static bool ascii_is_alnum(char c) {
        return ascii_is_lower(c) || ascii_is_upper(c) || ascii_is_digit(c);
}

/* strchr() would also "find" the terminator for c == 0. */
static bool char_in_set(char c, const char *set) {
        return c != 0 && strchr(set, c);
}

static char ascii_to_lower(char c) {
        return ascii_is_upper(c) ? (char) (c - 'A' + 'a') : c;
}

/* ---------------------------------------------------------------------------------------- */
/* Account names */

bool account_name_is_valid(const char *s) {
        size_t n = string_length_within(s, ACCOUNT_NAME_MAX);

        if (n == 0)
                return false;

        /* A leading "-" or "." would look like an option or a hidden file on a command line. */
        if (!ascii_is_lower(s[0]) && !ascii_is_digit(s[0]))
                return false;

        for (size_t i = 0; i < n; i++)
                if (!ascii_is_lower(s[i]) && !ascii_is_digit(s[i]) && !char_in_set(s[i], "._-"))
                        return false;

        return true;
}

/* ---------------------------------------------------------------------------------------- */
/* E-mail: deliberately simple.  We only store the address to show it; delivery is not our
 * business.  The local part is an RFC 5322 dot-atom (no quoted strings), the domain a
 * sequence of DNS labels (a single label such as "localhost" is fine on a private network). */

#define EMAIL_LOCAL_MAX 64
#define DNS_LABEL_MAX   63

static bool email_local_char_is_valid(char c) {
        return ascii_is_alnum(c) || char_in_set(c, "!#$%&'*+-/=?^_`{|}~");
}

static bool email_local_is_valid(const char *s, size_t n) {
        if (n == 0 || n > EMAIL_LOCAL_MAX)
                return false;
        if (s[0] == '.' || s[n - 1] == '.')
                return false;

        for (size_t i = 0; i < n; i++) {
                if (s[i] == '.') {
                        if (s[i + 1] == '.')
                                return false;
                } else if (!email_local_char_is_valid(s[i]))
                        return false;
        }

        return true;
}

static bool dns_label_is_valid(const char *s, size_t n) {
        if (n == 0 || n > DNS_LABEL_MAX)
                return false;
        if (s[0] == '-' || s[n - 1] == '-')
                return false;

        for (size_t i = 0; i < n; i++)
                if (!ascii_is_alnum(s[i]) && s[i] != '-')
                        return false;

        return true;
}

/* Labels separated by single dots; this refuses "", ".a", "a." and "a..b". */
static bool email_domain_is_valid(const char *s) {
        for (;;) {
                const char *dot = strchr(s, '.');
                size_t n = dot ? (size_t) (dot - s) : strlen(s);

                if (!dns_label_is_valid(s, n))
                        return false;
                if (!dot)
                        return true;
                s = dot + 1;
        }
}

bool email_is_valid(const char *s) {
        const char *at;
        size_t n;

        if (!s)
                return false;

        n = strnlen(s, EMAIL_MAX + 1);
        if (n == 0)
                return true;   /* no e-mail */
        if (n > EMAIL_MAX)
                return false;

        at = strchr(s, '@');
        if (!at || strchr(at + 1, '@'))
                return false;

        return email_local_is_valid(s, (size_t) (at - s)) && email_domain_is_valid(at + 1);
}

/* ---------------------------------------------------------------------------------------- */
/* Free text: strict UTF-8 without control characters. */

bool description_is_valid(const char *s) {
        size_t n;

        if (!s)
                return false;

        n = strnlen(s, DESCRIPTION_MAX + 1);
        if (n > DESCRIPTION_MAX)
                return false;

        /* Bidirectional controls make a description display as something other than what it
         * says (as in "Trojan Source"); nobody needs them in a label. */
        return utf8_is_printable(s, n, true);
}

/* ---------------------------------------------------------------------------------------- */
/* Package names.
 *
 * Every lowercased PyPI name (letters, digits, "-_.", alphanumeric at both ends) is also a
 * valid npm name, so after lowercasing one set of rules, npm's, decides for both.  We do not
 * fold "-", "_" and "." into one another (PEP 503 would): npm treats "a_b" and "a-b" as two
 * packages, and a registry that wants PEP 503 names can normalise before asking us. */

static bool npm_char_is_valid(char c) {
        return ascii_is_lower(c) || ascii_is_digit(c) || char_in_set(c, "-._~");
}

/* A scope or a name without its scope: non-empty, npm's characters, and not starting with "."
 * or "_" (npm refuses those; "." and ".." would also be path components on disk). */
static bool npm_part_is_valid(const char *s, size_t n) {
        if (n == 0 || s[0] == '.' || s[0] == '_')
                return false;

        for (size_t i = 0; i < n; i++)
                if (!npm_char_is_valid(s[i]))
                        return false;

        return true;
}

/* Names npm reserves because they collide with files a registry or a node_modules tree has. */
static bool npm_name_is_reserved(const char *s) {
        return streq(s, "node_modules") || streq(s, "favicon.ico");
}

/* s is lowercase already.  Valid forms: "name" and "@scope/name". */
static bool canonical_package_name_is_valid(const char *s) {
        size_t n = string_length_within(s, PACKAGE_NAME_MAX);
        const char *slash;

        if (n == 0)
                return false;

        if (s[0] != '@')
                return npm_part_is_valid(s, n) && !npm_name_is_reserved(s);

        slash = memchr(s, '/', n);
        if (!slash)
                return false;   /* a scope without a name */

        return npm_part_is_valid(s + 1, (size_t) (slash - s - 1)) &&
               npm_part_is_valid(slash + 1, n - (size_t) (slash - s) - 1);
}

int package_name_canonicalize(const char *s, char **ret) {
        char buf[PACKAGE_NAME_MAX + 1];
        size_t n;

        if (!s)
                return -EINVAL;

        n = strnlen(s, PACKAGE_NAME_MAX + 1);
        if (n > PACKAGE_NAME_MAX)
                return -EINVAL;

        /* Non-ASCII bytes pass through unchanged here and are refused by the charset check. */
        for (size_t i = 0; i < n; i++)
                buf[i] = ascii_to_lower(s[i]);
        buf[n] = 0;

        if (!canonical_package_name_is_valid(buf))
                return -EINVAL;

        if (ret) {
                char *c = strdup(buf);
                if (!c)
                        return -ENOMEM;
                *ret = c;
        }

        return 0;
}

bool package_name_is_valid(const char *s) {
        if (!s)
                return false;

        /* Canonical means lowercase; canonical_package_name_is_valid() bounds the length and
         * refuses any uppercase letter through its charset. */
        return canonical_package_name_is_valid(s);
}

/* ---------------------------------------------------------------------------------------- */
/* Scope patterns */

/* Whether some valid package name starts with the n bytes at p.  Rather than restating the
 * grammar for partial names, try the shortest completions: any prefix of a valid name
 * ("left-pad", "@", "@acme", "@acme/", "@acme/we") becomes valid by appending one of these. */
static bool package_name_prefix_is_valid(const char *p, size_t n) {
        static const char * const completions[] = { "", "x", "/x", "x/x" };
        char buf[PACKAGE_NAME_MAX + 1];

        if (n == 0 || n > PACKAGE_NAME_MAX)
                return false;

        for (size_t i = 0; i < ELEMENTSOF(completions); i++) {
                size_t k = strlen(completions[i]);

                if (n + k > PACKAGE_NAME_MAX)
                        continue;

                memcpy(buf, p, n);
                memcpy(buf + n, completions[i], k + 1);
                if (package_name_is_valid(buf))
                        return true;
        }

        return false;
}

bool scope_pattern_is_valid(const char *p) {
        const char *star;
        size_t n;

        if (!p)
                return false;

        n = strnlen(p, PACKAGE_NAME_MAX + 2);   /* a full-length name plus "*" */
        if (n > PACKAGE_NAME_MAX + 1)
                return false;

        star = memchr(p, '*', n);
        if (!star)
                return package_name_is_valid(p);

        /* "*" only once and only at the end; a whole scope ("@scope/" plus "*") is simply the
         * prefix "@scope/". */
        if (star != p + n - 1)
                return false;

        return package_name_prefix_is_valid(p, n - 1);
}

bool scope_pattern_matches(const char *pattern, const char *package) {
        const char *star;

        /* Fail closed: a malformed pattern (say a lone "*" that slipped into the database)
         * matches nothing, and neither does a malformed package name. */
        if (!scope_pattern_is_valid(pattern) || !package_name_is_valid(package))
                return false;

        star = strchr(pattern, '*');
        if (!star)
                return streq(pattern, package);

        return strncmp(pattern, package, (size_t) (star - pattern)) == 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Addresses and CIDR ranges */

/* "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255" + "/128" */
#define CIDR_STRING_MAX (INET6_ADDRSTRLEN - 1 + 4)

static const uint8_t ipv4_mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static unsigned family_bits(int family) {
        return family == AF_INET ? 32 : 128;
}

int address_parse(const char *s, int *ret_family, uint8_t ret_addr[static 16]) {
        uint8_t addr[16] = {};
        int family;
        size_t n;

        if (!s)
                return -EINVAL;

        n = strnlen(s, INET6_ADDRSTRLEN);
        if (n == 0 || n >= INET6_ADDRSTRLEN)
                return -EINVAL;

        /* glibc's inet_pton() takes only the strict forms: dotted quad without leading zeros,
         * RFC 4291 text for IPv6; no zone ids, no brackets, no ports. */
        if (inet_pton(AF_INET, s, addr) == 1)
                family = AF_INET;
        else if (inet_pton(AF_INET6, s, addr) == 1)
                family = AF_INET6;
        else
                return -EINVAL;

        if (ret_family)
                *ret_family = family;
        memcpy(ret_addr, addr, sizeof(addr));
        return 0;
}

/* Decimal 0..max, digits only: no sign, no spaces, no leading zeros, nothing after. */
static int prefixlen_parse(const char *s, unsigned max, unsigned *ret) {
        unsigned v = 0;
        size_t n;

        n = strlen(s);
        if (n == 0 || n > 3 || (s[0] == '0' && n > 1))
                return -EINVAL;

        for (size_t i = 0; i < n; i++) {
                if (!ascii_is_digit(s[i]))
                        return -EINVAL;
                v = v * 10 + (unsigned) (s[i] - '0');
        }

        if (v > max)
                return -EINVAL;

        *ret = v;
        return 0;
}

/* Whether the first prefixlen bits of a and b agree. */
static bool prefix_equal(const uint8_t *a, const uint8_t *b, unsigned prefixlen) {
        size_t bytes = prefixlen / 8;
        unsigned bits = prefixlen % 8;
        uint8_t mask;

        if (memcmp(a, b, bytes) != 0)
                return false;
        if (bits == 0)
                return true;

        mask = (uint8_t) (0xFF << (8 - bits));
        return ((a[bytes] ^ b[bytes]) & mask) == 0;
}

/* "10.0.0.1/8" is almost always a typo for a host or for "10.0.0.0/8"; refuse rather than
 * guess which. */
static bool host_bits_are_zero(const uint8_t *addr, unsigned total_bits, unsigned prefixlen) {
        for (unsigned i = prefixlen; i < total_bits; i++)
                if (addr[i / 8] & (0x80 >> (i % 8)))
                        return false;

        return true;
}

int cidr_parse(const char *s, Cidr *ret) {
        char buf[INET6_ADDRSTRLEN];
        uint8_t addr[16];
        const char *slash;
        unsigned prefixlen;
        int family, r;
        size_t n, alen;

        if (!s)
                return -EINVAL;

        n = strnlen(s, CIDR_STRING_MAX + 1);
        if (n == 0 || n > CIDR_STRING_MAX)
                return -EINVAL;

        slash = memchr(s, '/', n);
        alen = slash ? (size_t) (slash - s) : n;
        if (alen >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, s, alen);
        buf[alen] = 0;

        r = address_parse(buf, &family, addr);
        if (r < 0)
                return r;

        if (slash) {
                r = prefixlen_parse(slash + 1, family_bits(family), &prefixlen);
                if (r < 0)
                        return r;
        } else
                prefixlen = family_bits(family);

        if (!host_bits_are_zero(addr, family_bits(family), prefixlen))
                return -EINVAL;

        if (ret) {
                *ret = (Cidr) {
                        .family = family,
                        .prefixlen = prefixlen,
                };
                memcpy(ret->addr, addr, sizeof(addr));
        }
        return 0;
}

bool cidr_is_valid(const char *s) {
        return cidr_parse(s, NULL) >= 0;
}

bool cidr_contains(const Cidr *c, int family, const uint8_t addr[static 16]) {
        uint8_t mapped[16];

        if (!c || !addr)
                return false;
        if ((c->family != AF_INET && c->family != AF_INET6) || c->prefixlen > family_bits(c->family))
                return false;   /* not something cidr_parse() produced: match nothing */

        if (c->family == family)
                return prefix_equal(c->addr, addr, c->prefixlen);

        /* A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d, and a registry may pass
         * either form, so compare IPv4 ranges and IPv4-mapped addresses in both directions. */
        if (c->family == AF_INET && family == AF_INET6) {
                if (memcmp(addr, ipv4_mapped_prefix, sizeof(ipv4_mapped_prefix)) != 0)
                        return false;
                return prefix_equal(c->addr, addr + 12, c->prefixlen);
        }

        if (c->family == AF_INET6 && family == AF_INET) {
                memcpy(mapped, ipv4_mapped_prefix, sizeof(ipv4_mapped_prefix));
                memcpy(mapped + 12, addr, 4);
                return prefix_equal(c->addr, mapped, c->prefixlen);
        }

        return false;
}
