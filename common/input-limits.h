/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The size limits of everything a caller may send, in one place, shared by the daemon, the
 * CLI and the PAM module so that each refuses the same input with the same bound.  Bytes
 * unless a comment says otherwise. */

#define ACCOUNT_NAME_MAX   64
#define PACKAGE_NAME_MAX   214   /* npm's limit */
#define EMAIL_MAX          254
#define DESCRIPTION_MAX    256
#define SCOPE_PATTERNS_MAX 64    /* patterns in one token's scope */
#define CIDRS_MAX          64    /* entries in one token's allow-list */
#define MAINTAINERS_MAX    64    /* maintainers named in one CreatePackage call */

/* A remote address as a registry passes it: the longest IPv6 text form with an IPv4 tail
 * is 45 bytes; the rest is room for a zone, refused later by the parser. */
#define REMOTE_MAX         64

/* A one-time code as typed: a 6-digit TOTP code or a recovery code (with or without its
 * dash and blanks).  Longer input is refused without a lookup. */
#define OTP_INPUT_MAX      64

/* Passwords: longer ones are refused without hashing (see password.h). */
#define PASSWORD_MAX       4096
