/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The state of one pkgtokenctl run: the parsed command line, shared by the verbs and the
 * output.  Defined and filled in by pkgtokenctl.c (parse_argv()); nothing else writes it.
 *
 * Exit codes: 0 success; 1 refused or failed (bus errors, daemon errors, an authorize result
 * other than "allowed"); 2 usage errors (unknown command or option, wrong number of
 * arguments, invalid option values), detected before the bus is touched.  Verbs return a
 * negative errno after logging a failure, or one of these exit codes. */

#include <stdbool.h>
#include <stdint.h>

#include "log.h"
#include "time-util.h"

#define PROGRAM_NAME "pkgtokenctl"

#define EXIT_USAGE 2

/* Logs a usage problem and evaluates to the exit status for it. */
#define log_usage(...) (log_error(__VA_ARGS__), EXIT_USAGE)

typedef enum JsonMode {
        JSON_OFF,
        JSON_SHORT,
        JSON_PRETTY,
} JsonMode;

extern const char *arg_bus_address;
extern JsonMode arg_json;
extern bool arg_legend;
extern const char *arg_email;
extern const char *arg_kind;
extern const char *arg_password_from;
extern const char *arg_policy;
extern char **arg_maintainers;
extern const char *arg_type;
extern char **arg_packages;
extern bool arg_package_owned;
extern const char *arg_description;
extern usec_t arg_expires;              /* 0 = never */
extern char **arg_cidrs;
extern const char *arg_account;
extern const char *arg_remote;
extern bool arg_otp;
extern usec_t arg_since;                /* 0 = from the beginning */
extern uint32_t arg_limit;
extern bool arg_password_stdin;
extern bool arg_old_password;
extern const char *arg_mode;            /* NULL: the daemon's default 2FA mode */
extern bool arg_force;
extern bool arg_session;
/* trust add: */
extern const char *arg_issuer;
extern char **arg_claims;               /* NAME=VALUE */
extern const char *arg_github;          /* OWNER/REPO */
extern const char *arg_gitlab;          /* GROUP/PROJECT */
extern const char *arg_workflow;        /* the workflow or pipeline file */
extern const char *arg_environment;
extern const char *arg_state;           /* stage list: staged, approved, published, rejected, expired */
extern const char *arg_reason;          /* stage approve|reject */
extern int arg_require_approval;        /* package policy: -1 unchanged, else 0 or 1 */
extern bool arg_provenance;               /* audit: only records with provenance */
extern int arg_require_trusted_publishing; /* package policy: -1 unchanged, else 0 or 1 */
extern usec_t arg_max_token_lifetime;   /* 0 = none */
extern bool arg_max_token_lifetime_set;
extern usec_t arg_expiring;             /* token list --expiring=: within this long */
extern bool arg_expiring_set;
extern usec_t arg_grace;                /* token rotate --grace= */
extern bool arg_ask_password;           /* --no-ask-password: no polkit prompt */
extern uint32_t arg_uid;                /* account add --uid= */
extern bool arg_uid_set;
