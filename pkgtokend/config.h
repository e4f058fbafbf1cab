/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* pkgtokend.conf: the daemon's settings, "Key=Value" lines under a [Manager] section, '#' or
 * ';' comments.  Unknown keys and bad values are errors that stop the daemon, naming the file
 * and line: a typo in a security setting must not silently fall back to a default. */

#include <stdio.h>

#include "macro.h"
#include "time-util.h"

#define CONFIG_FILE_DEFAULT "/etc/pkgtoken/pkgtokend.conf"

typedef struct Config {
        unsigned long password_cost;     /* yescrypt cost, 0 = libxcrypt's default */
        unsigned min_password_length;
        char totp_issuer[65];
        usec_t session_lifetime;
        unsigned lockout_threshold;      /* failed passwords/OTPs within lockout_window ... */
        usec_t lockout_window;
        usec_t lockout_duration;         /* ... lock the account this long */
        unsigned token_guess_limit;      /* invalid tokens per remote address per minute */
        char registry_group[65];         /* members may verify credentials; "" none */
        int log_level;                   /* LogLevel=: syslog level, LOG_INFO by default */
        unsigned token_guess_ipv6_prefixlen; /* IPv6 addresses are counted by this prefix */
        unsigned integrity_check_background_above_mib; /* larger stores: full check after start-up */
} Config;

void config_init_defaults(Config *c);

/* Parses f into c (which holds the defaults); name is used in messages.  Returns 0 or
 * -EINVAL after printing "pkgtokend: NAME:LINE: what is wrong" to stderr. */
int config_parse(Config *c, FILE *f, const char *name);

/* Loads path; a missing file is fine when optional (the defaults apply). */
int config_load(Config *c, const char *path, bool optional);

