/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Validation of everything a caller may send: names, patterns, addresses, free text.
 * Pure functions without I/O, unit-tested in tests/test-validate.c. */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "input-limits.h"

/* The length of s if it is a non-empty string of at most max bytes, else 0 (NULL too).  Reads
 * at most max + 1 bytes: a huge input is not walked just to learn that it is too long. */
static inline size_t string_length_within(const char *s, size_t max) {
        size_t n = s ? strnlen(s, max + 1) : 0;

        return n <= max ? n : 0;
}

/* Account names: 1..64 of [a-z0-9._-], starting with [a-z0-9]. */
bool account_name_is_valid(const char *s);

/* Minimal e-mail check: local@domain, printable ASCII, no spaces, ≤ 254; "" is allowed
 * (no e-mail). */
bool email_is_valid(const char *s);

/* Free text such as a token description: valid UTF-8, no control characters (bidirectional
 * controls included), ≤ 256 bytes. */
bool description_is_valid(const char *s);

/* Package names, npm style ("name", "@scope/name": lowercase letters, digits, "-._~", not
 * starting with "." or "_", ≤ 214) or PyPI style (letters, digits, "-_.", starting and ending
 * with a letter or digit).  The canonical form is lowercase, so "Foo" and "foo" are one
 * package.  Returns 0 and a newly allocated canonical name, or -EINVAL / -ENOMEM. */
int package_name_canonicalize(const char *s, char **ret);
bool package_name_is_valid(const char *s);   /* valid and already canonical */

/* Scope patterns: a canonical package name, "@scope/" followed by "*" (a whole scope), or
 * "prefix*" where prefix is a non-empty start of a valid name.  A lone "*" is not a pattern
 * (an empty scope means "all packages the account maintains"). */
bool scope_pattern_is_valid(const char *p);
bool scope_pattern_matches(const char *pattern, const char *package);

/* CIDR allow-lists, IPv4 and IPv6.  A bare address is a /32 or /128.  An IPv4-mapped IPv6
 * remote address (::ffff:192.0.2.1) matches IPv4 ranges. */
typedef struct Cidr {
        int family;            /* AF_INET or AF_INET6 */
        uint8_t addr[16];      /* network order; for AF_INET the first 4 bytes */
        unsigned prefixlen;
} Cidr;
int cidr_parse(const char *s, Cidr *ret);          /* 0 or -EINVAL; host bits must be zero */
bool cidr_is_valid(const char *s);
int address_parse(const char *s, int *ret_family, uint8_t ret_addr[static 16]);  /* 0 or -EINVAL */
bool cidr_contains(const Cidr *c, int family, const uint8_t addr[static 16]);
