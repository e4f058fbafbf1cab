/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Secrets in and out.  Secrets (passwords, tokens, OTPs, recovery codes, TOTP enrolment URIs)
 * never come from argv, where any local user could read them in /proc: they are read from
 * stdin, one per line (prompted for without echo on a terminal), written to stdout with
 * write(2) rather than through stdio's buffer, and wiped after use (erase.h). */

#include <stdbool.h>

#include <json-c/json.h>

/* Codes typed at a terminal: a person who mistypes one gets another go, a few times (the
 * daemon counts every failure towards its lockout, so this does not help a guesser). */
#define OTP_ATTEMPTS_MAX 3

#define OTP_PROMPT_APP "Code from your authenticator app: "
#define OTP_PROMPT_ANY "Code from your authenticator app or a recovery code: "

/* A token, an OTP or a recovery code ("what" names it in messages).  Logs failures. */
int read_secret(const char *what, const char *prompt, char **ret);

/* A password, up to PASSWORD_MAX bytes. */
int read_password(const char *what, const char *prompt, char **ret);

/* A new password; typed twice at a terminal unless from_stdin (a pipe was not mistyped). */
int read_new_password(bool from_stdin, char **ret);

/* A one-time code, blanks dropped ("123 456" as the app shows it). */
int read_otp(const char *prompt, char **ret);
/* The same when wanted (--otp given, say); otherwise *ret is left NULL and 0 returned. */
int read_otp_if(bool wanted, const char *prompt, char **ret);

/* Writes s and a newline with write(2). */
int write_secret_line(const char *s);
int write_secret(const char *s, bool newline);

/* Whether a secret from the daemon is printable ASCII and not empty: secrets are checked
 * rather than sanitized, which would leave an unwiped copy. */
bool secret_is_printable(const char *s);

/* print_json() for an object that carries secrets: written without stdio, then wiped, the
 * serialized text and the strings of the tree alike. */
int print_json_secret(json_object *o);

/* A process holding a secret should not leave it in a core dump, nor let another process of
 * the same user attach to it. */
void make_undumpable(void);
