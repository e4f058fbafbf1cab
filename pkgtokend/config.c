/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>

#include "config.h"
#include "duration.h"
#include "log.h"
#include "otp.h"
#include "pam-backend.h"
#include "pam-request.h"
#include "password.h"
#include "ratelimit.h"
#include "store.h"

void config_init_defaults(Config *c) {
        *c = (Config) {
                .password_cost = PASSWORD_COST_DEFAULT,
                .min_password_length = PASSWORD_MIN_DEFAULT,
                .session_lifetime = 2 * 3600 * USEC_PER_SEC,      /* npm login's 2 hours */
                .lockout_threshold = 10,
                .lockout_window = 15 * 60 * USEC_PER_SEC,
                .lockout_duration = 15 * 60 * USEC_PER_SEC,
                .lockout_account_threshold = 100,
                .token_guess_limit = 60,
                .log_level = LOG_INFO,
                .token_guess_ipv6_prefixlen = RATELIMIT_IPV6_PREFIX_DEFAULT,
                .integrity_check_background_above_mib = STORE_BACKGROUND_CHECK_ABOVE_MIB_DEFAULT,
                .audit_retention = AUDIT_RETENTION_DAYS_DEFAULT * 86400 * USEC_PER_SEC,
                .min_free_space_mib = MIN_FREE_SPACE_MIB_DEFAULT,
                .trusted_token_lifetime = 15 * 60 * USEC_PER_SEC,
                .trusted_clock_skew = 60 * USEC_PER_SEC,
                .stage_lifetime = STAGE_LIFETIME_DAYS_DEFAULT * 86400 * USEC_PER_SEC,
                .token_expiry_warning = 7 * 86400 * USEC_PER_SEC,
                .recovery_hold = 72 * 3600 * USEC_PER_SEC,   /* npm's hold after account recovery */
                .polkit_timeout = 25 * USEC_PER_SEC,         /* D-Bus's default method call timeout */
                .pam_helper_timeout = PAM_HELPER_TIMEOUT_DEFAULT,
        };
        snprintf(c->totp_issuer, sizeof c->totp_issuer, "%s", TOTP_ISSUER_DEFAULT);
}

static int parse_unsigned(const char *s, unsigned long min, unsigned long max, unsigned long *ret) {
        char *end;
        unsigned long v;

        if (!isdigit((unsigned char) *s))
                return -EINVAL;
        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno != 0 || *end || v < min || v > max)
                return -EINVAL;
        *ret = v;
        return 0;
}

typedef enum SettingType {
        SETTING_UNSIGNED,
        SETTING_DURATION,
        SETTING_ISSUER,
        SETTING_GROUP,
        SETTING_LOG_LEVEL,
        SETTING_PATH,
        SETTING_PAM_SERVICES,
} SettingType;

typedef struct Setting {
        const char *key;
        SettingType type;
        size_t offset;
        unsigned long min, max;   /* for SETTING_UNSIGNED; for durations in seconds */
} Setting;

static const Setting settings[] = {
        { "PasswordCost",       SETTING_UNSIGNED, offsetof(Config, password_cost),       0, PASSWORD_COST_MAX },
        { "MinPasswordLength",  SETTING_UNSIGNED, offsetof(Config, min_password_length), 1, 1024 },
        { "TOTPIssuer",         SETTING_ISSUER,   offsetof(Config, totp_issuer),         0, 0 },
        { "SessionLifetimeSec", SETTING_DURATION, offsetof(Config, session_lifetime),    60, 30 * 86400 },
        { "LockoutThreshold",   SETTING_UNSIGNED, offsetof(Config, lockout_threshold),   1, 1000 },
        { "LockoutWindowSec",   SETTING_DURATION, offsetof(Config, lockout_window),      1, 30 * 86400 },
        { "LockoutSec",         SETTING_DURATION, offsetof(Config, lockout_duration),    1, 365 * 86400 },
        { "TokenGuessLimit",    SETTING_UNSIGNED, offsetof(Config, token_guess_limit),   1, 1000000 },
        { "RegistryGroup",      SETTING_GROUP,    offsetof(Config, registry_group),      0, 0 },
        { "LogLevel",           SETTING_LOG_LEVEL, offsetof(Config, log_level),          0, 0 },
        { "TokenGuessIPv6PrefixLength", SETTING_UNSIGNED, offsetof(Config, token_guess_ipv6_prefixlen), 16, 128 },
        { "IntegrityCheckInBackgroundAboveMiB", SETTING_UNSIGNED,
          offsetof(Config, integrity_check_background_above_mib), 0, 1024 * 1024 },
        { "LockoutAccountThreshold", SETTING_UNSIGNED, offsetof(Config, lockout_account_threshold), 1, 1000000 },
        { "AuditRetentionSec",  SETTING_DURATION, offsetof(Config, audit_retention),     86400, 100UL * 366 * 86400 },
        { "MinFreeSpaceMiB",    SETTING_UNSIGNED, offsetof(Config, min_free_space_mib),  0, 1024 * 1024 },
        { "SealKeyFile",        SETTING_PATH,     offsetof(Config, seal_key_file),       0, 0 },
        { "IssuersDirectory",   SETTING_PATH,     offsetof(Config, issuers_directory),   0, 0 },
        { "DirectSocket",       SETTING_PATH,     offsetof(Config, direct_socket),       0, 0 },
        { "TrustedPublishingTokenLifetimeSec", SETTING_DURATION, offsetof(Config, trusted_token_lifetime), 60, 86400 },
        { "TrustedPublishingClockSkewSec", SETTING_DURATION, offsetof(Config, trusted_clock_skew), 0, 600 },
        { "StageLifetimeSec",   SETTING_DURATION, offsetof(Config, stage_lifetime),      60, 90 * 86400 },
        /* 0 = none: long-lived CI tokens, revocation as the control (npm: 7d default, 90d max). */
        { "DefaultWriteTokenLifetimeSec", SETTING_DURATION, offsetof(Config, token_lifetimes.default_write), 0,
          TOKEN_LIFETIME_MAX_SEC },
        { "MaxWriteTokenLifetimeSec", SETTING_DURATION, offsetof(Config, token_lifetimes.max_write), 0,
          TOKEN_LIFETIME_MAX_SEC },
        { "DefaultReadTokenLifetimeSec", SETTING_DURATION, offsetof(Config, token_lifetimes.default_read), 0,
          TOKEN_LIFETIME_MAX_SEC },
        { "MaxReadTokenLifetimeSec", SETTING_DURATION, offsetof(Config, token_lifetimes.max_read), 0,
          TOKEN_LIFETIME_MAX_SEC },
        { "TokenExpiryWarningSec", SETTING_DURATION, offsetof(Config, token_expiry_warning), 0, 365 * 86400 },
        { "RecoveryHoldSec",    SETTING_DURATION, offsetof(Config, recovery_hold),       0, 30 * 86400 },
        { "PolkitTimeoutSec",   SETTING_DURATION, offsetof(Config, polkit_timeout),      1, 600 },
        { "PamHelper",          SETTING_PATH,     offsetof(Config, pam_helper),          0, 0 },
        { "PamHelperSocket",    SETTING_PATH,     offsetof(Config, pam_helper_socket),   0, 0 },
        { "PamHelperTimeoutSec", SETTING_DURATION, offsetof(Config, pam_helper_timeout), 1, 60 },
        { "PamServices",        SETTING_PAM_SERVICES, offsetof(Config, pam_services),    0, 0 },
};

/* The next space-separated word at *p: false at the end. */
static bool next_word(const char **p, const char **ret, size_t *ret_n) {
        *p += strspn(*p, " ");
        if (!**p)
                return false;
        *ret = *p;
        *ret_n = strcspn(*p, " ");
        *p += *ret_n;
        return true;
}

/* Space-separated PAM service names, each valid (pam-request.h). */
static bool pam_services_are_valid(const char *s) {
        char name[PAM_SERVICE_NAME_MAX + 1];
        const char *w;
        size_t n;

        while (next_word(&s, &w, &n)) {
                if (n > PAM_SERVICE_NAME_MAX)
                        return false;
                memcpy(name, w, n);
                name[n] = 0;
                if (!pam_service_name_is_valid(name))
                        return false;
        }
        return true;
}

bool config_pam_service_allowed(const Config *c, const char *service) {
        const char *s = c->pam_services, *w;
        size_t n;

        if (isempty(s))
                return true;
        while (next_word(&s, &w, &n))
                if (n == strlen(service) && strncmp(w, service, n) == 0)
                        return true;
        return false;
}

/* The issuer ends up in otpauth:// URIs; let the URI builder decide what it accepts. */
static bool issuer_is_valid(const char *s) {
        static const uint8_t secret[TOTP_SECRET_SIZE];
        _cleanup_free_ char *uri = NULL;
        return totp_uri(s, "check", secret, sizeof secret, &uri) >= 0;
}

static bool group_name_is_valid(const char *s) {
        if (!*s || *s == '-')
                return false;
        for (const char *p = s; *p; p++)
                if (!isalnum((unsigned char) *p) && !strchr("_-.", *p))
                        return false;
        return true;
}

static int apply_setting(Config *c, const Setting *s, const char *value) {
        void *field = (uint8_t *) c + s->offset;
        unsigned long u;
        usec_t d;

        switch (s->type) {
        case SETTING_UNSIGNED:
                if (parse_unsigned(value, s->min, s->max, &u) < 0)
                        return -EINVAL;
                if (s->offset == offsetof(Config, password_cost))
                        *(unsigned long *) field = u;
                else
                        *(unsigned *) field = (unsigned) u;
                return 0;
        case SETTING_DURATION:
                if (parse_duration(value, &d) < 0 || d < s->min * USEC_PER_SEC || d > s->max * USEC_PER_SEC)
                        return -EINVAL;
                *(usec_t *) field = d;
                return 0;
        case SETTING_GROUP:
                /* A group name as useradd takes it; whether it exists is checked at start-up.
                 * Empty: no group (the default). */
                if (strlen(value) >= sizeof c->registry_group || (*value && !group_name_is_valid(value)))
                        return -EINVAL;
                snprintf(field, sizeof c->registry_group, "%s", value);
                return 0;
        case SETTING_PATH:
                /* Absolute, so that it does not depend on the daemon's working directory;
                 * empty: the default. */
                if (strlen(value) >= sizeof c->seal_key_file || (*value && *value != '/'))
                        return -EINVAL;
                snprintf(field, sizeof c->seal_key_file, "%s", value);
                return 0;
        case SETTING_PAM_SERVICES:
                if (strlen(value) >= sizeof c->pam_services || !pam_services_are_valid(value))
                        return -EINVAL;
                snprintf(field, sizeof c->pam_services, "%s", value);
                return 0;
        case SETTING_LOG_LEVEL: {
                int level = log_level_from_string(value);
                if (level < 0)
                        return -EINVAL;
                *(int *) field = level;
                return 0;
        }
        case SETTING_ISSUER:
                if (strlen(value) >= sizeof c->totp_issuer || !issuer_is_valid(value))
                        return -EINVAL;
                snprintf(field, sizeof c->totp_issuer, "%s", value);
                return 0;
        }
        return -EINVAL;
}

static char *strip(char *s) {
        while (isspace((unsigned char) *s))
                s++;
        char *e = s + strlen(s);
        while (e > s && isspace((unsigned char) e[-1]))
                *--e = 0;
        return s;
}

static int parse_line(Config *c, char *line, bool *in_manager, const char **error) {
        char *l = strip(line), *eq, *key, *value;

        if (!*l || *l == '#' || *l == ';')
                return 0;
        if (*l == '[') {
                *in_manager = streq(l, "[Manager]");
                if (!*in_manager) {
                        *error = "unknown section (only [Manager] is known)";
                        return -EINVAL;
                }
                return 0;
        }
        if (!*in_manager) {
                *error = "setting outside the [Manager] section";
                return -EINVAL;
        }
        eq = strchr(l, '=');
        if (!eq) {
                *error = "expected Key=Value";
                return -EINVAL;
        }
        *eq = 0;
        key = strip(l);
        value = strip(eq + 1);
        for (size_t i = 0; i < ELEMENTSOF(settings); i++)
                if (streq(key, settings[i].key)) {
                        if (apply_setting(c, &settings[i], value) < 0) {
                                *error = "invalid value";
                                return -EINVAL;
                        }
                        return 0;
                }
        *error = "unknown key";
        return -EINVAL;
}

int config_parse(Config *c, FILE *f, const char *name) {
        _cleanup_free_ char *line = NULL;
        size_t size = 0;
        unsigned n = 0;
        bool in_manager = false;
        ssize_t len;

        while ((len = getline(&line, &size, f)) >= 0) {
                const char *error = NULL;
                n++;
                if ((size_t) len != strlen(line)) {
                        log_error("%s:%u: NUL byte in line", name, n);
                        return -EINVAL;
                }
                if (parse_line(c, line, &in_manager, &error) < 0) {
                        log_error("%s:%u: %s", name, n, error);
                        return -EINVAL;
                }
        }
        if (ferror(f)) {
                log_error("%s: read error", name);
                return -EIO;
        }
        return 0;
}

int config_load(Config *c, const char *path, bool optional) {
        FILE *f = fopen(path, "re");
        int r;

        if (!f) {
                if (errno == ENOENT && optional)
                        return 0;
                r = -errno;
                log_error("cannot read %s: %s", path, strerror(errno));
                return r;
        }
        r = config_parse(c, f, path);
        fclose(f);
        return r;
}
