/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Validation of names, patterns, addresses and free text (common/validate.c), plus the small
 * helpers of common/util.c that have no test of their own.
 *
 * What we accept as a package name, in short: ASCII only; after lowercasing it must be a valid
 * npm name, i.e. "name" or "@scope/name" where scope and name are non-empty runs of
 * [a-z0-9-._~] that do not start with "." or "_", at most 214 bytes in all, and not
 * "node_modules" or "favicon.ico".  Every PyPI name lowercases into that set.  The canonical
 * form is the lowercased input; "-", "_" and "." are NOT folded into each other (PEP 503
 * would), so "foo_bar" and "foo-bar" are different packages. */

#include <arpa/inet.h>
#include <sys/socket.h>

#include "macro.h"
#include "strv.h"
#include "time-util.h"
#include "tap.h"
#include "validate.h"

/* A set (a scope pattern, a CIDR) with members it holds and others it does not. */
typedef struct MembershipCase {
        const char *set;
        const char *inside[6], *outside[6];     /* up to the first NULL */
} MembershipCase;

static const char * const *members(const MembershipCase *c, bool inside) {
        return inside ? c->inside : c->outside;
}

static char *repeat(char c, size_t n) {
        char *s = malloc(n + 1);

        if (!s)
                abort();
        memset(s, c, n);
        s[n] = 0;
        return s;
}

static char *concat(const char *a, const char *b) {
        size_t na = strlen(a), nb = strlen(b);
        char *s = malloc(na + nb + 1);

        if (!s)
                abort();
        memcpy(s, a, na);
        memcpy(s + na, b, nb + 1);
        return s;
}

/* Shows control and non-ASCII bytes readably in TAP descriptions. */
static const char *printable(const char *s, char *buf, size_t size) {
        size_t o = 0;

        if (!s)
                return "(null)";

        for (; *s && o + 5 < size; s++) {
                unsigned char c = (unsigned char) *s;

                if (c >= 0x20 && c < 0x7f)
                        buf[o++] = (char) c;
                else
                        o += (size_t) snprintf(buf + o, size - o, "\\x%02x", c);
        }
        if (*s && o + 4 <= size)
                o += (size_t) snprintf(buf + o, size - o, "...");
        buf[o] = 0;
        return buf;
}
#define P(s) printable((s), (char[80]) {}, 80)

/* Each of the n strings in v is valid to is_valid (want) or invalid (!want). */
static void check_validity(bool (*is_valid)(const char *), const char *what, bool want, const char **v, size_t n) {
        for (size_t i = 0; i < n; i++)
                CHECK(is_valid(v[i]) == want, "%s \"%s\" is %s", what, P(v[i]), want ? "valid" : "invalid");
}
#define CHECK_VALIDITY(is_valid, what, want, v) check_validity((is_valid), (what), (want), (v), ELEMENTSOF(v))

/* A validator's valid examples, its invalid ones, and NULL, which none accepts. */
static void check_validator(bool (*is_valid)(const char *), const char *what, const char **valid, size_t n_valid,
                            const char **invalid, size_t n_invalid, const char *null_message) {
        check_validity(is_valid, what, true, valid, n_valid);
        check_validity(is_valid, what, false, invalid, n_invalid);
        CHECK(!is_valid(NULL), "%s", null_message);
}
#define CHECK_VALIDATOR(is_valid, what, valid, invalid, null_message) \
        check_validator((is_valid), (what), (valid), ELEMENTSOF(valid), (invalid), ELEMENTSOF(invalid), (null_message))

/* ---------------------------------------------------------------------------------------- */

static void test_account_names(void) {
        _cleanup_free_ char *max = repeat('a', ACCOUNT_NAME_MAX);
        _cleanup_free_ char *too_long = repeat('a', ACCOUNT_NAME_MAX + 1);
        const char *valid[] = { "a", "alice", "bob.smith", "ci-bot_2", "0day", "x-", max };
        const char *invalid[] = {
                "", "Alice", "-alice", ".alice", "_alice", "al ice", "alice!", "alice@example.com",
                "a/b", "a\n", "j\xc3\xb6rg", "al\tice", too_long,
        };

        CHECK_VALIDATOR(account_name_is_valid, "account name", valid, invalid, "account name NULL is invalid");
}

static void test_emails(void) {
        _cleanup_free_ char *local64 = repeat('a', 64), *local65 = repeat('a', 65);
        _cleanup_free_ char *label64 = repeat('b', 64);
        _cleanup_free_ char *ok_local = concat(local64, "@example.com");
        _cleanup_free_ char *long_local = concat(local65, "@example.com");
        _cleanup_free_ char *long_label = concat("a@", label64);
        _cleanup_free_ char *label63 = repeat('c', 63);
        char max_len[EMAIL_MAX + 1], over_len[EMAIL_MAX + 2];

        /* Four labels: 2 + 3 * (63 + 1) + 60 = 254 bytes, the longest address we take. */
        snprintf(max_len, sizeof(max_len), "a@%s.%s.%s.%.60s", label63, label63, label63, label63);
        snprintf(over_len, sizeof(over_len), "ab@%s.%s.%s.%.60s", label63, label63, label63, label63);

        const char *valid[] = {
                "", "alice@example.com", "a.b+tag@sub.example.org", "root@localhost",
                "x@a-b.c", "o'hara@example.ie", "UPPER@EXAMPLE.COM", "1@2.3", ok_local, max_len,
        };
        const char *invalid[] = {
                "alice", "@example.com", "alice@", "alice@@example.com", "a@b@c",
                "alice @example.com", "alice@exa mple.com", " alice@example.com",
                ".alice@example.com", "alice.@example.com", "al..ice@example.com",
                "alice@example..com", "alice@.example.com", "alice@example.com.",
                "alice@-example.com", "alice@example-.com", "alice@exam_ple.com",
                "\"alice\"@example.com", "alice<x>@example.com", "a,b@example.com",
                "j\xc3\xb6rg@example.com", "alice@example.com\n", "alice\t@example.com",
                "alice@[192.0.2.1]", long_local, long_label, over_len,
        };

        CHECK_INT_EQ(strlen(max_len), 254, "helper: 254-byte address");
        CHECK_INT_EQ(strlen(over_len), 255, "helper: 255-byte address");

        CHECK_VALIDATOR(email_is_valid, "e-mail", valid, invalid, "e-mail NULL is invalid (\"\" means no e-mail)");
}

static void test_descriptions(void) {
        _cleanup_free_ char *max = repeat('a', DESCRIPTION_MAX);
        _cleanup_free_ char *too_long = repeat('a', DESCRIPTION_MAX + 1);
        _cleanup_free_ char *a254 = repeat('a', DESCRIPTION_MAX - 2);
        _cleanup_free_ char *a255 = repeat('a', DESCRIPTION_MAX - 1);
        _cleanup_free_ char *multibyte_fits = concat(a254, "\xc3\xa9");     /* 256 bytes */
        _cleanup_free_ char *multibyte_over = concat(a255, "\xc3\xa9");     /* 257 bytes */
        _cleanup_free_ char *huge = repeat('a', 100 * 1024);

        const char *valid[] = {
                "", "github-actions release", "D\xc3\xa9ploiement CI \xe2\x9c\x93",
                "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "\xf0\x9f\x9a\x80 release",
                "\xc2\xa0",                     /* U+00A0, the first code point after C1 */
                "\xdf\xbf",                     /* U+07FF, longest 2-byte */
                "\xe0\xa0\x80",                 /* U+0800, shortest 3-byte */
                "\xed\x9f\xbf",                 /* U+D7FF, just below the surrogates */
                "\xee\x80\x80",                 /* U+E000, just above them */
                "\xef\xbf\xbd",                 /* U+FFFD */
                "\xf0\x90\x80\x80",             /* U+10000, shortest 4-byte */
                "\xf4\x8f\xbf\xbf",             /* U+10FFFF, the last code point */
                "~ !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}",
                max, multibyte_fits,
        };
        const char *invalid[] = {
                "a\tb", "a\nb", "a\rb", "\x1b[31mred", "\x7f", "x\x01",
                "\xc2\x80",                     /* U+0080, C1 */
                "\xc2\x9f",                     /* U+009F, C1 */
                "\xc0\xaf", "\xc1\xbf",         /* overlong 2-byte */
                "\xe0\x80\xaf", "\xe0\x9f\xbf", /* overlong 3-byte */
                "\xf0\x80\x80\xaf", "\xf0\x8f\xbf\xbf", /* overlong 4-byte */
                "\xed\xa0\x80", "\xed\xbf\xbf", /* surrogates U+D800, U+DFFF */
                "\xf4\x90\x80\x80",             /* U+110000 */
                "\xf5\x80\x80\x80", "\xf8\x88\x80\x80\x80", "\xfe", "\xff",
                "\x80", "a\xbf",                /* stray continuation bytes */
                "\xc3", "\xe2\x82", "\xf0\x9f\x9a", "abc\xc3", /* truncated */
                "\xe2\x28\xa1", "\xc3\x28",     /* a non-continuation inside */
                "release \xe2\x80\xae" "1v",         /* U+202E RIGHT-TO-LEFT OVERRIDE */
                "\xe2\x81\xa6x\xe2\x81\xa9",       /* U+2066 ... U+2069 isolates */
                "\xe2\x80\x8f",                 /* U+200F RIGHT-TO-LEFT MARK */
                too_long, multibyte_over, huge,
        };

        CHECK_VALIDATOR(description_is_valid, "description", valid, invalid, "description NULL is invalid");
}

/* ---------------------------------------------------------------------------------------- */

static void test_package_names(void) {
        _cleanup_free_ char *max = repeat('p', PACKAGE_NAME_MAX);
        _cleanup_free_ char *too_long = repeat('p', PACKAGE_NAME_MAX + 1);
        _cleanup_free_ char *scoped_body = repeat('n', PACKAGE_NAME_MAX - 3);
        _cleanup_free_ char *scoped_max = concat("@s/", scoped_body);
        _cleanup_free_ char *scoped_over = concat("@s/n", scoped_body);

        static const StringPair valid[] = {
                { "left-pad",           "left-pad" },
                { "Django",             "django" },
                { "@Scope/Pkg",         "@scope/pkg" },
                { "@acme/web-ui",       "@acme/web-ui" },
                { "@a/b",               "@a/b" },
                { "lodash.merge",       "lodash.merge" },
                { "zope.interface",     "zope.interface" },
                { "Flask_SQLAlchemy",   "flask_sqlalchemy" },
                { "foo_bar",            "foo_bar" },    /* not folded to foo-bar */
                { "a",                  "a" },
                { "1",                  "1" },
                { "~tilde",             "~tilde" },     /* npm allows "~" */
                { "-",                  "-" },          /* npm allows a leading "-" */
                { "a_",                 "a_" },         /* npm-valid, though PyPI would refuse it */
                { "x..",                "x.." },
                { "node_modules2",      "node_modules2" },
                { "@scope/node_modules", "@scope/node_modules" },
        };
        const char *invalid[] = {
                "", " left-pad", "left pad", "left-pad ", "a/b", "@scope", "@scope/", "@/x",
                "@scope/a/b", "..", ".", ".hidden", "_private", "@scope/.x", "@scope/_x",
                "@.x/y", "@_x/y", "@@a/b", "a@b", "@sc ope/x", "node_modules", "favicon.ico",
                "Node_Modules", "caf\xc3\xa9", "a\tb", "a\x01" "b", "a+b", "a*", "*",
                "@scope/*", "a:b", "a%2fb", "a\\b", "a\nb", "\xff", too_long, scoped_over,
        };

        for (size_t i = 0; i < ELEMENTSOF(valid); i++) {
                _cleanup_free_ char *c = NULL;
                int r;

                r = package_name_canonicalize(valid[i].in, &c);
                if (CHECK_INT_EQ(r, 0, "package name \"%s\" is accepted", valid[i].in))
                        CHECK_STR_EQ(c, valid[i].out, "package name \"%s\" canonicalises to \"%s\"",
                                     valid[i].in, valid[i].out);
                CHECK(package_name_is_valid(valid[i].out), "\"%s\" is a canonical package name",
                      valid[i].out);
                CHECK(package_name_is_valid(valid[i].in) == streq(valid[i].in, valid[i].out),
                      "package_name_is_valid(\"%s\") only when already canonical", valid[i].in);
        }

        for (size_t i = 0; i < ELEMENTSOF(invalid); i++) {
                char *c = NULL;

                CHECK_INT_EQ(package_name_canonicalize(invalid[i], &c), -EINVAL,
                             "package name \"%s\" is refused", P(invalid[i]));
                CHECK(!c, "nothing is returned for \"%s\"", P(invalid[i]));
                free(c);
                CHECK(!package_name_is_valid(invalid[i]), "\"%s\" is not a valid package name",
                      P(invalid[i]));
        }

        CHECK_INT_EQ(package_name_canonicalize(NULL, NULL), -EINVAL, "NULL package name is refused");
        CHECK(!package_name_is_valid(NULL), "NULL is not a valid package name");
        CHECK(package_name_is_valid(max), "a %d-byte name is valid", PACKAGE_NAME_MAX);
        CHECK(package_name_is_valid(scoped_max), "a %d-byte scoped name is valid", PACKAGE_NAME_MAX);
        CHECK_INT_EQ(package_name_canonicalize("Left-Pad", NULL), 0,
                     "canonicalize with ret NULL only validates");
}

static void test_scope_patterns(void) {
        _cleanup_free_ char *max = repeat('p', PACKAGE_NAME_MAX);
        _cleanup_free_ char *max_star = concat(max, "*");
        _cleanup_free_ char *over = repeat('p', PACKAGE_NAME_MAX + 1);
        _cleanup_free_ char *over_star = concat(over, "*");
        _cleanup_free_ char *long_scope = repeat('s', PACKAGE_NAME_MAX - 2);
        _cleanup_free_ char *long_scope_at = concat("@", long_scope);
        _cleanup_free_ char *long_scope_star = concat(long_scope_at, "*");  /* no room for "/x" */

        const char *valid[] = {
                "left-pad", "left-pad*", "@acme/web-ui", "@acme/*", "@acme/web*", "@acme*",
                "@*",           /* any scoped package: a prefix of "@x/x" */
                "a*", "node_modules*", max, max_star,
        };
        const char *invalid[] = {
                "", "*", "**", "a**", "*a", "a*b", "@acme/**", "Left-Pad", "LEFT*", "@acme",
                "@acme/", "@/*", ".a*", "_*", "a b*", "node_modules", "@acme/.x*", "@.x*",
                "a/b*", "@a/b/*", over, over_star, long_scope_star, "left-pad?", "left-pad[*]",
        };

        CHECK_VALIDATOR(scope_pattern_is_valid, "scope pattern", valid, invalid, "scope pattern NULL is invalid");

        static const MembershipCase matches[] = {
                { "@acme/*",   { "@acme/x", "@acme/web-ui" },  { "@acmex/y", "@acme", "@acme/", "acme" } },
                { "@acme*",    { "@acmex/y", "@acme/y" },      {} },
                { "@*",        { "@a/b" },                     { "a" } },
                { "left-pad*", { "left-pad-x", "left-pad" /* "*" may match nothing */ },
                  { "left-pa", "Left-Pad-x" /* packages are compared canonical */,
                    "left-pad/../x" /* not a package name at all */ } },
                { "left-pad",  { "left-pad" },                 { "left-pad-x", "left-pa" } },
                { "*",         {},                             { "anything" } },  /* not a pattern: matches nothing */
                { "Left-Pad",  {},                             { "left-pad" } },  /* not canonical: matches nothing */
                { "a*b",       {},                             { "axb" } },
        };

        for (size_t i = 0; i < ELEMENTSOF(matches); i++)
                for (int inside = 1; inside >= 0; inside--)
                        for (const char * const *p = members(matches + i, inside); *p; p++)
                                CHECK(scope_pattern_matches(matches[i].set, *p) == inside, "\"%s\" %s \"%s\"",
                                      matches[i].set, inside ? "matches" : "does not match", *p);

        CHECK(!scope_pattern_matches(NULL, "x"), "NULL pattern matches nothing");
        CHECK(!scope_pattern_matches("x", NULL), "a pattern does not match NULL");
}

/* ---------------------------------------------------------------------------------------- */

static void test_cidr_parse(void) {
        static const struct {
                const char *s;
                int family;
                unsigned prefixlen;
                const char *addr;   /* the network address, through inet_pton() */
        } valid[] = {
                { "10.0.0.0/8",           AF_INET,  8,   "10.0.0.0" },
                { "0.0.0.0/0",            AF_INET,  0,   "0.0.0.0" },
                { "192.0.2.1",            AF_INET,  32,  "192.0.2.1" },
                { "192.0.2.1/32",         AF_INET,  32,  "192.0.2.1" },
                { "192.0.2.0/24",         AF_INET,  24,  "192.0.2.0" },
                { "10.128.0.0/9",         AF_INET,  9,   "10.128.0.0" },
                { "128.0.0.0/1",          AF_INET,  1,   "128.0.0.0" },
                { "255.255.255.255/32",   AF_INET,  32,  "255.255.255.255" },
                { "2001:db8::/32",        AF_INET6, 32,  "2001:db8::" },
                { "::/0",                 AF_INET6, 0,   "::" },
                { "::1",                  AF_INET6, 128, "::1" },
                { "::1/128",              AF_INET6, 128, "::1" },
                { "fe80::/10",            AF_INET6, 10,  "fe80::" },
                { "2001:DB8::1/128",      AF_INET6, 128, "2001:db8::1" },
                { "::ffff:10.0.0.0/104",  AF_INET6, 104, "::ffff:10.0.0.0" },
                { "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128", AF_INET6, 128,
                  "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255" },
        };

        for (size_t i = 0; i < ELEMENTSOF(valid); i++) {
                uint8_t expected[16] = {};
                Cidr c;

                if (!CHECK_INT_EQ(cidr_parse(valid[i].s, &c), 0, "CIDR \"%s\" parses", valid[i].s))
                        continue;

                if (inet_pton(valid[i].family, valid[i].addr, expected) != 1)
                        abort();
                CHECK(c.family == valid[i].family && c.prefixlen == valid[i].prefixlen &&
                      memcmp(c.addr, expected, sizeof(expected)) == 0,
                      "CIDR \"%s\" is %s/%u", valid[i].s, valid[i].addr, valid[i].prefixlen);
                CHECK(cidr_is_valid(valid[i].s), "cidr_is_valid(\"%s\")", valid[i].s);
        }

        _cleanup_free_ char *huge = repeat('1', 100 * 1024);
        _cleanup_free_ char *huge_tail = repeat('0', 100 * 1024);
        _cleanup_free_ char *valid_then_huge = concat("10.0.0.0/8", huge_tail);
        const char *invalid[] = {
                "", "10.0.0.1/8", "192.0.2.1/24", "1.2.3.4/33", "::1/129", "2001:db8::1/32",
                "fe80::1/10", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/08",
                "10.0.0.0/8 ", " 10.0.0.0/8", "10.0.0.0/8x", "10.0.0.0/8/8", "10.0.0/8",
                "10.0.0.256/32", "010.0.0.0/8", "foo", "/8", "/", "10.0.0.0/1000",
                "10.0.0.0/4294967304", "fe80::1%eth0", "[::1]/128", "[::1]", "1.2.3.4:80",
                "0x0a000000/8", "10.0.0.0/8\n", "1.2.3.4/ 8", "1.2.3.4 /8", "::/", "::/-0",
                "10.0.0.0/0x8", "localhost", huge, valid_then_huge,
        };

        for (size_t i = 0; i < ELEMENTSOF(invalid); i++) {
                Cidr c = {};

                CHECK_INT_EQ(cidr_parse(invalid[i], &c), -EINVAL, "CIDR \"%s\" is refused", P(invalid[i]));
                CHECK(!cidr_is_valid(invalid[i]), "cidr_is_valid(\"%s\") is false", P(invalid[i]));
        }
        CHECK_INT_EQ(cidr_parse(NULL, NULL), -EINVAL, "CIDR NULL is refused");
}

static void test_address_parse(void) {
        uint8_t a[16];
        int family;

        CHECK(address_parse("127.0.0.1", &family, a) == 0 && family == AF_INET &&
              memcmp(a, "\x7f\0\0\x01", 4) == 0, "address 127.0.0.1");
        CHECK(address_parse("::1", &family, a) == 0 && family == AF_INET6 && a[15] == 1,
              "address ::1");
        CHECK(address_parse("::ffff:1.2.3.4", &family, a) == 0 && family == AF_INET6 &&
              a[10] == 0xff && a[11] == 0xff && a[12] == 1 && a[15] == 4,
              "address ::ffff:1.2.3.4 stays IPv6 (cidr_contains() maps it)");

        _cleanup_free_ char *huge = repeat('1', 100 * 1024);
        const char *invalid[] = {
                "", "1.2.3.4/32", "localhost", "1.2.3", "[::1]", "::1%lo", "1.2.3.4 ", "01.2.3.4", huge,
        };
        for (size_t i = 0; i < ELEMENTSOF(invalid); i++)
                CHECK_INT_EQ(address_parse(invalid[i], &family, a), -EINVAL, "address \"%s\" is refused",
                             P(invalid[i]));
        CHECK_INT_EQ(address_parse(NULL, &family, a), -EINVAL, "address NULL is refused");
}

static void test_cidr_contains(void) {
        static const MembershipCase cases[] = {
                { "10.0.0.0/8",          { "10.1.2.3", "10.255.255.255", "::ffff:10.1.2.3" /* IPv4-mapped */ },
                  { "11.0.0.1", "9.255.255.255", "::ffff:11.1.2.3", "::10.1.2.3" /* not mapped */, "2001:db8::1" } },
                { "10.0.0.0/9",          { "10.127.255.255" /* a partial byte */ }, { "10.128.0.0" } },
                { "0.0.0.0/0",           { "1.2.3.4", "::ffff:1.2.3.4" },          { "::1" } },
                { "192.0.2.1",           { "192.0.2.1", "::ffff:192.0.2.1" },      { "192.0.2.2" } },
                { "2001:db8::/32",       { "2001:db8:1::1" },                      { "2001:db9::", "10.0.0.1" } },
                { "::/0",                { "::1", "10.0.0.1" /* as ::ffff:10.0.0.1 */ }, {} },
                { "::1",                 { "::1" },                                { "::2" } },
                { "::ffff:10.0.0.0/104", { "10.1.2.3" /* the other direction */, "::ffff:10.1.2.3" },
                  { "11.0.0.1" } },
                { "fe80::/10",           { "fe80::1", "febf::1" },                 { "fec0::1" } },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                for (int inside = 1; inside >= 0; inside--)
                        for (const char * const *p = members(cases + i, inside); *p; p++) {
                                uint8_t a[16];
                                int family;
                                Cidr c;

                                if (cidr_parse(cases[i].set, &c) < 0 || address_parse(*p, &family, a) < 0) {
                                        CHECK(false, "parse %s and %s", cases[i].set, *p);
                                        continue;
                                }
                                CHECK(cidr_contains(&c, family, a) == inside, "%s %s %s", cases[i].set,
                                      inside ? "contains" : "does not contain", *p);
                        }

        uint8_t zero[16] = {};
        Cidr bogus = { .family = AF_INET, .prefixlen = 33 };
        CHECK(!cidr_contains(NULL, AF_INET, zero), "a NULL range contains nothing");
        CHECK(!cidr_contains(&bogus, AF_INET, zero), "a range with an impossible prefix contains nothing");
        bogus = (Cidr) { .family = AF_UNIX, .prefixlen = 0 };
        CHECK(!cidr_contains(&bogus, AF_UNIX, zero), "a range of an unknown family contains nothing");
}

/* ---------------------------------------------------------------------------------------- */
/* common/util.c */

static void test_strv(void) {
        _cleanup_strv_free_ char **l = NULL, **empty = NULL, **seps = NULL, **nosep = NULL;
        _cleanup_free_ char *joined = NULL, *joined_empty = NULL;

        l = strv_split("a,b,,c", ',');
        CHECK(l && strv_length(l) == 4 && streq(l[0], "a") && streq(l[1], "b") && streq(l[2], "") &&
              streq(l[3], "c"), "strv_split keeps empty fields");

        empty = strv_split("", ',');
        CHECK(empty && strv_length(empty) == 0, "strv_split(\"\") is an empty vector");

        seps = strv_split(",", ',');
        CHECK(seps && strv_length(seps) == 2 && streq(seps[0], "") && streq(seps[1], ""),
              "strv_split(\",\") gives two empty fields");

        nosep = strv_split("abc", 0);
        CHECK(nosep && strv_length(nosep) == 1 && streq(nosep[0], "abc"), "strv_split with sep 0");

        joined = strv_join(l, ':');
        CHECK_STR_EQ(joined, "a:b::c", "strv_join");
        joined_empty = strv_join(empty, ':');
        CHECK_STR_EQ(joined_empty, "", "strv_join of an empty vector");

        CHECK(strv_extend(&l, "d") == 0 && strv_length(l) == 5 && streq(l[4], "d"), "strv_extend");
        CHECK(strv_push(&l, strdup("e")) == 0 && strv_length(l) == 6, "strv_push");
        CHECK(strv_contains(l, "e") && strv_contains(l, "") && !strv_contains(l, "f") &&
              !strv_contains(l, NULL) && !strv_contains(NULL, "a"), "strv_contains");
        CHECK(strv_length(NULL) == 0, "strv_length(NULL)");
        {
                char *ab[] = { "a", "b", NULL }, *ab2[] = { "a", "b", NULL }, *a[] = { "a", NULL },
                     *ac[] = { "a", "c", NULL }, *none[] = { NULL };
                CHECK(strv_equal(ab, ab2) && !strv_equal(ab, a) && !strv_equal(a, ab) && !strv_equal(ab, ac) &&
                      strv_equal(none, NULL) && strv_equal(NULL, none) && !strv_equal(a, NULL), "strv_equal");
        }

        char **fresh = NULL;
        CHECK(strv_extend(&fresh, "x") == 0 && strv_length(fresh) == 1, "strv_extend on NULL creates");
        CHECK(strv_free(fresh) == NULL, "strv_free returns NULL");
}

static void test_timestamps(void) {
        char buf[64];
        usec_t a, b;

        CHECK(format_timestamp_utc(1795295759ULL * USEC_PER_SEC + 999999, buf, sizeof(buf)) == 0 &&
              streq(buf, "2026-11-21 21:15 UTC"), "format_timestamp_utc: %s", buf);
        CHECK(format_timestamp_utc(0, buf, sizeof(buf)) == 0 && streq(buf, "1970-01-01 00:00 UTC"),
              "format_timestamp_utc(0): %s", buf);
        CHECK_INT_EQ(format_timestamp_utc(0, buf, 20), -ENOBUFS, "format_timestamp_utc into a short buffer");
        CHECK_INT_EQ(format_timestamp_utc(0, buf, 21), 0, "format_timestamp_utc into an exact buffer");
        CHECK_INT_EQ(format_timestamp_utc(0, NULL, 0), -EINVAL, "format_timestamp_utc without a buffer");
        CHECK(format_timestamp_utc(UINT64_MAX, buf, sizeof(buf)) <= 0,
              "format_timestamp_utc(max) does not crash");

        a = now_monotonic_usec();
        b = now_monotonic_usec();
        CHECK(a > 0 && b >= a, "monotonic clock");
        CHECK(now_realtime_usec() > 1700000000ULL * USEC_PER_SEC, "realtime clock is after 2023");
}

int main(void) {
        test_account_names();
        test_emails();
        test_descriptions();
        test_package_names();
        test_scope_patterns();
        test_cidr_parse();
        test_address_parse();
        test_cidr_contains();
        test_strv();
        test_timestamps();

        return tap_finish();
}
