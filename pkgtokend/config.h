/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* pkgtokend.conf: the daemon's settings, "Key=Value" lines under a [Manager] section, '#' or
 * ';' comments.  Unknown keys and bad values are errors that stop the daemon, naming the file
 * and line: a typo in a security setting must not silently fall back to a default. */

#include <stdio.h>

#include "lifetime.h"
#include "macro.h"
#include "time-util.h"

#define CONFIG_FILE_DEFAULT "/etc/pkgtoken/pkgtokend.conf"

/* Generous: a year of audit and a month to spare, pruned in the background. */
#define AUDIT_RETENTION_DAYS_DEFAULT 400
/* Room for SQLite's WAL and a checkpoint after the floor is reached. */
#define MIN_FREE_SPACE_MIB_DEFAULT 64
/* A week: time for a maintainer to look at what CI staged, short enough to not pile up. */
#define STAGE_LIFETIME_DAYS_DEFAULT 7

typedef struct Config {
        unsigned long password_cost;     /* yescrypt cost, 0 = libxcrypt's default */
        unsigned min_password_length;
        char totp_issuer[65];
        usec_t session_lifetime;
        unsigned lockout_threshold;      /* failed passwords/OTPs from one address within lockout_window ... */
        usec_t lockout_window;
        usec_t lockout_duration;         /* ... lock the account for that address this long */
        unsigned lockout_account_threshold; /* from all addresses: lock the whole account */
        unsigned token_guess_limit;      /* invalid tokens per remote address per minute */
        char registry_group[65];         /* members may verify credentials; "" none */
        int log_level;                   /* LogLevel=: syslog level, LOG_INFO by default */
        unsigned token_guess_ipv6_prefixlen; /* IPv6 addresses are counted by this prefix */
        unsigned integrity_check_background_above_mib; /* larger stores: full check after start-up */
        usec_t audit_retention;          /* audit records older than this are pruned */
        unsigned min_free_space_mib;     /* below this much free space, writes are refused; 0 off */
        char seal_key_file[256];         /* the TOTP seal key outside systemd; "" the default */
        char direct_socket[256];         /* DirectSocket=: serve verifiers here too (bus-direct.h); "" none */
        char issuers_directory[256];     /* trusted publishing's issuers (issuers.h); "" the default */
        usec_t trusted_token_lifetime;   /* of tokens minted by ExchangeIdToken */
        usec_t trusted_clock_skew;       /* allowed difference to an ID token's issuer's clock */
        usec_t stage_lifetime;           /* staged versions not decided by then expire */
        LifetimeLimits token_lifetimes;  /* {Default,Max}{Write,Read}TokenLifetimeSec=, 0 none */
        usec_t token_expiry_warning;     /* TokenExpiring this long before a token expires; 0 never */
        usec_t recovery_hold;            /* RecoveryHoldSec=: reads only, this long after a recovery; 0 off */
        usec_t polkit_timeout;           /* PolkitTimeoutSec=: polkit silent this long means denied */
        /* Passwords from PAM services (pam-backend.h): the helper to start per check, else the
         * socket of pkgtoken-pam-helper.socket ("" the default); how long a check may take;
         * the services accounts may name, space-separated ("" any the helper knows). */
        char pam_helper[256];
        char pam_helper_socket[256];
        usec_t pam_helper_timeout;
        char pam_services[256];
} Config;

/* Whether PamServices= lets an account take its password from service. */
bool config_pam_service_allowed(const Config *c, const char *service);

void config_init_defaults(Config *c);

/* Parses f into c (which holds the defaults); name is used in messages.  Returns 0 or
 * -EINVAL after printing "pkgtokend: NAME:LINE: what is wrong" to stderr. */
int config_parse(Config *c, FILE *f, const char *name);

/* Loads path; a missing file is fine when optional (the defaults apply). */
int config_load(Config *c, const char *path, bool optional);

