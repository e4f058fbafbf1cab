/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A one-time code sent again by the same client.  HTTP clients repeat the same Basic
 * credentials on every request of one operation: pip reads a project's page and then its file,
 * npm the packument and then the tarball, twine uploads each file of dist with its own POST.
 * With a password + code (or a token + code) the second request would fail "code already
 * used" and leave a release half-published.  So a code accepted once stays good for exactly
 * the same credentials from exactly the same address until the code itself expires (its TOTP
 * step plus the accepted window, at most 90 s), and for nobody else: any other subject,
 * address or code is still refused as a replay.  Recovery codes are never repeated.
 *
 * The table is in memory, per daemon: a second host sharing the store refuses the repeat (see
 * docs/ARCHITECTURE.md).  It holds keyed hashes (HMAC-SHA256 with a key made at start), never
 * the credentials, and at most CODE_REUSE_MAX entries; the oldest give way first. */

#include <stdbool.h>
#include <stddef.h>

#include "time-util.h"

#define CODE_REUSE_MAX 4096

typedef struct CodeReuse CodeReuse;

int code_reuse_new(CodeReuse **ret);
CodeReuse *code_reuse_free(CodeReuse *c);

/* subject names the credentials (the account and its password, or a token secret); remote is
 * the client's address (an address that does not parse, or "", is never remembered). */
void code_reuse_remember(CodeReuse *c, const char *subject, const char *secret, const char *remote, const char *code,
                         usec_t until, usec_t now);
bool code_reuse_matches(CodeReuse *c, const char *subject, const char *secret, const char *remote, const char *code,
                        usec_t now);
