/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* pkgtokend.conf (pkgtokend/config.c): defaults, every key, comments and whitespace,
 * durations, ranges, unknown keys and sections, NUL bytes, missing files, and the
 * "pkgtokend: FILE:LINE: ..." messages that name what is wrong. */

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "duration.h"
#include "log.h"
#include "macro.h"
#include "store.h"
#include "time-util.h"
#include "tap.h"

#define SEC(n) ((usec_t) (n) * USEC_PER_SEC)

/* What the last parse printed on stderr. */
static char errbuf[8192];

/* stderr goes to a temporary file from stderr_capture_begin() to stderr_capture_end(), which
 * leaves what was written in errbuf. */
static FILE *capture_file;
static int capture_saved_fd = -1;

static void stderr_capture_begin(void) {
        capture_file = tmpfile();
        if (!capture_file)
                abort();
        fflush(stderr);
        capture_saved_fd = dup(STDERR_FILENO);
        if (capture_saved_fd < 0 || dup2(fileno(capture_file), STDERR_FILENO) < 0)
                abort();
}

static void stderr_capture_end(void) {
        size_t k;

        fflush(stderr);
        if (dup2(capture_saved_fd, STDERR_FILENO) < 0)
                abort();
        close(capture_saved_fd);
        rewind(capture_file);
        k = fread(errbuf, 1, sizeof errbuf - 1, capture_file);
        errbuf[k] = '\0';
        fclose(capture_file);
}

/* Runs config_parse() on n bytes of text (NULs allowed) with stderr captured in errbuf. */
static int parse_bytes(Config *c, const char *text, size_t n, const char *name) {
        FILE *f = fmemopen((void *) text, n, "r");
        int r;

        if (!f)
                abort();
        stderr_capture_begin();
        r = config_parse(c, f, name);
        stderr_capture_end();
        fclose(f);
        return r;
}

static int parse_text(Config *c, const char *text) {
        return parse_bytes(c, text, strlen(text), "test.conf");
}

static void write_file(const char *path, const char *text) {
        FILE *f = fopen(path, "we");

        if (!f || fputs(text, f) < 0 || fclose(f) != 0)
                abort();
}

/* config_load() with stderr captured in errbuf. */
static int load_file(Config *c, const char *path, bool optional) {
        int r;

        stderr_capture_begin();
        r = config_load(c, path, optional);
        stderr_capture_end();
        return r;
}

static bool config_equal(const Config *a, const Config *b) {
        return a->password_cost == b->password_cost &&
               a->min_password_length == b->min_password_length &&
               streq(a->totp_issuer, b->totp_issuer) &&
               a->session_lifetime == b->session_lifetime &&
               a->lockout_threshold == b->lockout_threshold &&
               a->lockout_window == b->lockout_window &&
               a->lockout_duration == b->lockout_duration &&
               a->token_guess_limit == b->token_guess_limit;
}

static bool config_is_default(const Config *c) {
        Config d;
        config_init_defaults(&d);
        return config_equal(c, &d);
}

static void test_defaults(void) {
        Config c;

        config_init_defaults(&c);
        CHECK_INT_EQ(c.password_cost, 0, "default PasswordCost: 0 (libxcrypt's default)");
        CHECK_INT_EQ(c.min_password_length, 8, "default MinPasswordLength: 8");
        CHECK_STR_EQ(c.totp_issuer, "pkgtoken", "default TOTPIssuer: pkgtoken");
        CHECK(c.session_lifetime == SEC(2 * 3600), "default SessionLifetimeSec: 2 h");
        CHECK_INT_EQ(c.lockout_threshold, 10, "default LockoutThreshold: 10");
        CHECK(c.lockout_window == SEC(15 * 60), "default LockoutWindowSec: 15 min");
        CHECK(c.lockout_duration == SEC(15 * 60), "default LockoutSec: 15 min");
        CHECK_INT_EQ(c.token_guess_limit, 60, "default TokenGuessLimit: 60");
        CHECK(c.token_lifetimes.default_write == 0 && c.token_lifetimes.max_write == 0 &&
              c.token_lifetimes.default_read == 0 && c.token_lifetimes.max_read == 0,
              "default token lifetimes: none (long-lived CI tokens allowed)");

        config_init_defaults(&c);
        CHECK_INT_EQ(parse_text(&c, ""), 0, "an empty file is fine");
        CHECK(config_is_default(&c), "  ... and changes nothing");
        CHECK_STR_EQ(errbuf, "", "  ... and prints nothing");

        config_init_defaults(&c);
        CHECK_INT_EQ(parse_text(&c, "[Manager]\n"), 0, "an empty [Manager] section is fine");
        CHECK(config_is_default(&c), "  ... and changes nothing");
}

/* A key's line and the field it sets: after parsing, the field holds the expected value. */
typedef enum FieldKind {
        FIELD_UNSIGNED,
        FIELD_ULONG,            /* password_cost */
        FIELD_DURATION,         /* usec_t */
        FIELD_STRING,           /* char[] */
} FieldKind;

typedef struct KeyCase {
        const char *line;       /* "Key=value" */
        FieldKind kind;
        size_t offset;          /* of the field in Config */
        unsigned long long number;
        const char *string;
} KeyCase;

#define NUMBER(line, field, v)                                                                  \
        { line, _Generic(((Config *) NULL)->field, unsigned: FIELD_UNSIGNED, unsigned long: FIELD_ULONG), \
          offsetof(Config, field), v }
#define DURATION(line, field, v) { line, FIELD_DURATION, offsetof(Config, field), v }
#define STRING(line, field, v)   { line, FIELD_STRING, offsetof(Config, field), 0, v }

/* Parses all lines at once into a default c under [Manager]: it must succeed silently and set
 * each field; the checks are named after the keys. */
static void check_keys(Config *c, const KeyCase *cases, size_t n, const char *title) {
        char text[4096] = "[Manager]\n";

        for (size_t i = 0; i < n; i++) {
                strcat(text, cases[i].line);
                strcat(text, "\n");
        }
        config_init_defaults(c);
        CHECK_INT_EQ(parse_text(c, text), 0, "%s", title);
        CHECK_STR_EQ(errbuf, "", "  ... prints nothing");

        for (size_t i = 0; i < n; i++) {
                const KeyCase *k = cases + i;
                const void *field = (const char *) c + k->offset;
                int key_len = (int) strcspn(k->line, "=");

                switch (k->kind) {
                case FIELD_UNSIGNED:
                        CHECK_INT_EQ(*(const unsigned *) field, k->number, "  ... %.*s", key_len, k->line);
                        break;
                case FIELD_ULONG:
                        CHECK_INT_EQ(*(const unsigned long *) field, k->number, "  ... %.*s", key_len, k->line);
                        break;
                case FIELD_DURATION:
                        CHECK(*(const usec_t *) field == k->number, "  ... %.*s", key_len, k->line);
                        break;
                case FIELD_STRING:
                        CHECK_STR_EQ((const char *) field, k->string, "  ... %.*s", key_len, k->line);
                        break;
                }
        }
}

static void test_every_key(void) {
        static const KeyCase every_key[] = {
                NUMBER("PasswordCost=5", password_cost, 5),
                NUMBER("MinPasswordLength=12", min_password_length, 12),
                STRING("TOTPIssuer=Example Registry", totp_issuer, "Example Registry"),
                DURATION("SessionLifetimeSec=30min", session_lifetime, SEC(1800)),
                NUMBER("LockoutThreshold=3", lockout_threshold, 3),
                DURATION("LockoutWindowSec=2h", lockout_window, SEC(7200)),
                DURATION("LockoutSec=1d", lockout_duration, SEC(86400)),
                NUMBER("TokenGuessLimit=100", token_guess_limit, 100),
        };
        Config c;

        check_keys(&c, every_key, ELEMENTSOF(every_key), "every key");

        /* One key at a time leaves the others alone. */
        config_init_defaults(&c);
        CHECK_INT_EQ(parse_text(&c, "[Manager]\nTokenGuessLimit=7\n"), 0, "one key");
        CHECK_INT_EQ(c.token_guess_limit, 7, "  ... is set");
        c.token_guess_limit = 60;
        CHECK(config_is_default(&c), "  ... and nothing else changes");

        /* The last of repeated keys and sections wins. */
        config_init_defaults(&c);
        CHECK_INT_EQ(parse_text(&c, "[Manager]\nLockoutThreshold=4\n[Manager]\nLockoutThreshold=6\n"), 0,
                     "a repeated key and section");
        CHECK_INT_EQ(c.lockout_threshold, 6, "  ... the last value wins");

        /* A value may hold '=' and inner spaces. */
        config_init_defaults(&c);
        CHECK_INT_EQ(parse_text(&c, "[Manager]\nTOTPIssuer=a=b c\n"), 0, "TOTPIssuer with '=' and a space");
        CHECK_STR_EQ(c.totp_issuer, "a=b c", "  ... kept whole");
        config_init_defaults(&c);
        CHECK_INT_EQ(parse_text(&c, "[Manager]\nTOTPIssuer=Zürich Registry\n"), 0, "TOTPIssuer in UTF-8");
        CHECK_STR_EQ(c.totp_issuer, "Zürich Registry", "  ... kept");
}

static void test_syntax(void) {
        Config c;

        config_init_defaults(&c);
        CHECK_INT_EQ(parse_text(&c,
                                "# pkgtokend.conf\n"
                                "; another kind of comment\n"
                                "\n"
                                "   \t \n"
                                "  [Manager]   \n"
                                "   # an indented comment\n"
                                "\t; and another\n"
                                "  PasswordCost = 3  \n"
                                "\tMinPasswordLength\t=\t10\t\n"
                                "LockoutThreshold=4\r\n"
                                "TokenGuessLimit =9"),   /* no final newline */
                     0, "comments, blank lines, whitespace, CRLF, no final newline");
        CHECK_STR_EQ(errbuf, "", "  ... prints nothing");
        CHECK_INT_EQ(c.password_cost, 3, "  ... spaces around '=' are ignored");
        CHECK_INT_EQ(c.min_password_length, 10, "  ... tabs around key and value are ignored");
        CHECK_INT_EQ(c.lockout_threshold, 4, "  ... a CRLF line ending is ignored");
        CHECK_INT_EQ(c.token_guess_limit, 9, "  ... the last line needs no newline");

        config_init_defaults(&c);
        CHECK_INT_EQ(parse_text(&c, "[Manager]\nTOTPIssuer=  My Registry  \n"), 0, "an issuer with outer spaces");
        CHECK_STR_EQ(c.totp_issuer, "My Registry", "  ... the outer spaces are stripped");
}

static void test_parse_duration(void) {
        static const struct {
                const char *s;
                int r;
                usec_t v;
        } v[] = {
                { "90",     0,       SEC(90) },
                { "90s",    0,       SEC(90) },
                { "0",      0,       0 },
                { "15min",  0,       SEC(900) },
                { "15m",    0,       SEC(900) },
                { "2h",     0,       SEC(7200) },
                { "1d",     0,       SEC(86400) },
                { "007s",   0,       SEC(7) },
                /* The largest accepted values: at most half of UINT64_MAX in µs. */
                { "9223372036854", 0, SEC(9223372036854ULL) },
                { "106751991d", 0,   SEC(106751991ULL * 86400) },
                /* Overflow. */
                { "9223372036855",         -ERANGE, 0 },
                { "106751992d",            -ERANGE, 0 },
                { "153722867281min",       -ERANGE, 0 },
                { "2562047789h",           -ERANGE, 0 },
                { "18446744073709551615",  -ERANGE, 0 },
                { "18446744073709551615d", -ERANGE, 0 },
                { "99999999999999999999999", -EINVAL, 0 },   /* beyond unsigned long long */
                /* Bad units and syntax. */
                { "",       -EINVAL, 0 },
                { "s",      -EINVAL, 0 },
                { "min",    -EINVAL, 0 },
                { "5x",     -EINVAL, 0 },
                { "5S",     -EINVAL, 0 },
                { "5H",     -EINVAL, 0 },
                { "5 s",    -EINVAL, 0 },
                { "5s ",    -EINVAL, 0 },
                { " 5",     -EINVAL, 0 },
                { "5mins",  -EINVAL, 0 },
                { "5ms",    -EINVAL, 0 },
                { "5us",    -EINVAL, 0 },
                { "5w",     -EINVAL, 0 },
                { "5y",     -EINVAL, 0 },
                { "1h30min", -EINVAL, 0 },
                { "1.5h",   -EINVAL, 0 },
                { "-5",     -EINVAL, 0 },
                { "+5",     -EINVAL, 0 },
                { "0x10",   -EINVAL, 0 },
                { "1e3",    -EINVAL, 0 },
                { "five",   -EINVAL, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(v); i++) {
                usec_t got = 12345;
                int r = parse_duration(v[i].s, &got);

                CHECK_INT_EQ(r, v[i].r, "parse_duration(\"%s\") returns %d", v[i].s, v[i].r);
                if (v[i].r == 0)
                        CHECK(got == v[i].v, "parse_duration(\"%s\") = %llu µs", v[i].s, (unsigned long long) v[i].v);
                else
                        CHECK(got == 12345, "parse_duration(\"%s\") leaves the result alone", v[i].s);
        }
}

/* "KEY=VALUE" alone under [Manager], parsed into the defaults. */
static int parse_key(const char *key, const char *value) {
        char text[256];
        Config c;

        snprintf(text, sizeof text, "[Manager]\n%s=%s\n", key, value);
        config_init_defaults(&c);
        return parse_text(&c, text);
}

/* Each key's values, each parsed alone under [Manager], must be accepted or refused. */
static void test_ranges(void) {
        static const struct {
                const char *key;
                const char *accepted[5], *refused[12];   /* values, up to the first NULL */
        } v[] = {
                { "PasswordCost",                       { "0", "1", "11" },
                  { "12", "-1", "+1", "", "abc", "1x", "1 2", "3 # comment", "0x3", "18446744073709551616",
                    "99999999999999999999999" } },
                { "MinPasswordLength",                  { "1", "1024" },
                  { "0", "1025", "4294967304" /* 2^32 + 8: no truncation to 8 */ } },
                { "TOTPIssuer",                         { "x" },
                  { "", "a:b" /* apps split the label at ':' */, "tab\there", "bell\a", "bad utf8 \xff" } },
                { "DefaultWriteTokenLifetimeSec",       { "0", "7d" },             {} },
                { "MaxWriteTokenLifetimeSec",           { "90d", "3660d" },        { "3661d" } },
                { "DefaultReadTokenLifetimeSec",        { "1h" },                  {} },
                { "MaxReadTokenLifetimeSec",            { "365d" },                { "x" } },
                { "SessionLifetimeSec",                 { "60", "1min", "30d", "720h" },
                  { "59", "0", "721h", "31d", "2x", "", "106751992d" } },
                { "LockoutThreshold",                   { "1", "1000" },
                  { "0", "1001", "4294967299" /* 2^32 + 3 */ } },
                { "LockoutWindowSec",                   { "1", "30d" },            { "0", "31d" } },
                { "LockoutSec",                         { "1", "365d" },           { "0", "366d", "-1" } },
                { "TokenGuessLimit",                    { "1", "1000000" },        { "0", "1000001" } },
                { "TokenGuessIPv6PrefixLength",         { "16", "128" },           { "15", "129" } },
                { "IntegrityCheckInBackgroundAboveMiB", { "0", "1048576" },        { "1048577", "-1" } },
                { "LockoutAccountThreshold",            { "1", "1000000" },        { "0", "1000001" } },
                { "AuditRetentionSec",                  { "1d", "36600d" },        { "86399", "36601d", "0" } },
                { "MinFreeSpaceMiB",                    { "0", "1048576" },        { "1048577", "1G" } },
                { "SealKeyFile",                        { "", "/etc/pkgtoken/seal.key" }, { "seal.key" } },
                { "RegistryGroup",                      { "", "www-data" },        { "-x" } },
                { "StageLifetimeSec",                   { "1min", "90d" },         { "59", "91d" } },
        };

        for (size_t i = 0; i < ELEMENTSOF(v); i++) {
                for (const char * const *value = v[i].accepted; *value; value++)
                        CHECK(parse_key(v[i].key, *value) == 0 && errbuf[0] == '\0', "accepted: %s=%s", v[i].key,
                              *value);
                for (const char * const *value = v[i].refused; *value; value++) {
                        CHECK_INT_EQ(parse_key(v[i].key, *value), -EINVAL, "refused: %s=%s", v[i].key, *value);
                        CHECK_STR_EQ(errbuf, "pkgtokend: test.conf:2: invalid value\n", "  ... names file and line");
                }
        }

        /* Boundaries land exactly. */
        Config c;
        config_init_defaults(&c);
        CHECK_INT_EQ(parse_text(&c, "[Manager]\nSessionLifetimeSec=30d\nLockoutSec=365d\nLockoutWindowSec=1\n"), 0,
                     "upper and lower boundaries");
        CHECK(c.session_lifetime == SEC(30 * 86400), "  ... SessionLifetimeSec=30d");
        CHECK(c.lockout_duration == SEC(365 * 86400), "  ... LockoutSec=365d");
        CHECK(c.lockout_window == SEC(1), "  ... LockoutWindowSec=1");

        /* The issuer's length: 64 bytes is the most. */
        char issuer[80], text[128];
        memset(issuer, 'i', 64);
        issuer[64] = '\0';
        snprintf(text, sizeof text, "[Manager]\nTOTPIssuer=%s\n", issuer);
        config_init_defaults(&c);
        CHECK_INT_EQ(parse_text(&c, text), 0, "a 64-byte TOTPIssuer");
        CHECK_STR_EQ(c.totp_issuer, issuer, "  ... kept whole");
        strcat(issuer, "i");
        snprintf(text, sizeof text, "[Manager]\nTOTPIssuer=%s\n", issuer);
        config_init_defaults(&c);
        CHECK_INT_EQ(parse_text(&c, text), -EINVAL, "a 65-byte TOTPIssuer is refused");
        CHECK_STR_EQ(c.totp_issuer, "pkgtoken", "  ... and not truncated into place");
}

static void test_new_settings(void) {
        static const KeyCase hardening_keys[] = {
                NUMBER("TokenGuessIPv6PrefixLength=56", token_guess_ipv6_prefixlen, 56),
                NUMBER("IntegrityCheckInBackgroundAboveMiB=256", integrity_check_background_above_mib, 256),
                NUMBER("LockoutAccountThreshold=500", lockout_account_threshold, 500),
                DURATION("AuditRetentionSec=90d", audit_retention, SEC(90 * 86400)),
                NUMBER("MinFreeSpaceMiB=1024", min_free_space_mib, 1024),
                STRING("SealKeyFile=/etc/pkgtoken/totp-seal.key", seal_key_file, "/etc/pkgtoken/totp-seal.key"),
                STRING("RegistryGroup=www-data", registry_group, "www-data"),
        };
        Config c;

        config_init_defaults(&c);
        CHECK_INT_EQ(c.token_guess_ipv6_prefixlen, 64, "default TokenGuessIPv6PrefixLength: 64");
        CHECK_INT_EQ(c.integrity_check_background_above_mib, 16, "default IntegrityCheckInBackgroundAboveMiB: 16");
        CHECK_INT_EQ(c.lockout_account_threshold, 100, "default LockoutAccountThreshold: 100");
        CHECK(c.audit_retention == SEC(400 * 86400), "default AuditRetentionSec: 400 days");
        CHECK_INT_EQ(c.min_free_space_mib, 64, "default MinFreeSpaceMiB: 64");
        CHECK_STR_EQ(c.seal_key_file, "", "default SealKeyFile: none");
        CHECK_STR_EQ(c.registry_group, "", "default RegistryGroup: none");
        CHECK(c.stage_lifetime == SEC(7 * 86400), "default StageLifetimeSec: 7 days");

        check_keys(&c, hardening_keys, ELEMENTSOF(hardening_keys), "the settings added for the hardening");

        CHECK_INT_EQ(parse_text(&c, "[Manager]\nRegistryGroup=\nSealKeyFile=\n"), 0,
                     "empty RegistryGroup= and SealKeyFile=");
        CHECK_STR_EQ(c.registry_group, "", "  ... RegistryGroup= means none again");
        CHECK_STR_EQ(c.seal_key_file, "", "  ... SealKeyFile= means the default again");
}

/* The example in README.md is what people copy: it must parse, and say what the defaults are. */
static void test_readme_example(void) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        const char *top = getenv("top_srcdir");
        char *start, *end;
        size_t size = 0;
        FILE *f;
        Config c, d;

        if (!top || asprintf(&path, "%s/README.md", top) < 0 || !(f = fopen(path, "re"))) {
                printf("ok %u # SKIP README.md not found ($top_srcdir unset)\n", ++tap_tests_run);
                return;
        }
        if (getdelim(&text, &size, '\0', f) < 0)
                abort();
        fclose(f);
        start = strstr(text, "```ini\n");
        CHECK(start != NULL, "README.md has an example pkgtokend.conf");
        if (!start)
                return;
        start += strlen("```ini\n");
        end = strstr(start, "```");
        if (end)
                *end = '\0';
        config_init_defaults(&c);
        CHECK_INT_EQ(parse_text(&c, start), 0, "README.md's example pkgtokend.conf parses");
        CHECK_STR_EQ(errbuf, "", "  ... without a complaint");
        config_init_defaults(&d);
        CHECK(config_equal(&c, &d) &&
              c.lockout_account_threshold == d.lockout_account_threshold &&
              c.audit_retention == d.audit_retention && c.min_free_space_mib == d.min_free_space_mib &&
              c.token_guess_ipv6_prefixlen == d.token_guess_ipv6_prefixlen &&
              c.integrity_check_background_above_mib == d.integrity_check_background_above_mib,
              "  ... and shows the defaults");
}

static void test_errors(void) {
        static const struct {
                const char *text;
                const char *message;
        } v[] = {
                { "[Manager]\nBogus=1\n",                   "pkgtokend: test.conf:2: unknown key\n" },
                { "[Manager]\npasswordcost=1\n",            "pkgtokend: test.conf:2: unknown key\n" },
                { "[Manager]\nPassword Cost=1\n",           "pkgtokend: test.conf:2: unknown key\n" },
                { "[Manager]\n=1\n",                        "pkgtokend: test.conf:2: unknown key\n" },
                { "[Manager]\nPasswordCost\n",              "pkgtokend: test.conf:2: expected Key=Value\n" },
                { "[Manager]\njust some words\n",           "pkgtokend: test.conf:2: expected Key=Value\n" },
                { "[Other]\nPasswordCost=1\n",              "pkgtokend: test.conf:1: unknown section (only [Manager] and [Store] are known)\n" },
                { "[manager]\n",                            "pkgtokend: test.conf:1: unknown section (only [Manager] and [Store] are known)\n" },
                { "[Manager\n",                             "pkgtokend: test.conf:1: unknown section (only [Manager] and [Store] are known)\n" },
                { "[Manager] x\n",                          "pkgtokend: test.conf:1: unknown section (only [Manager] and [Store] are known)\n" },
                { "[ Manager ]\n",                          "pkgtokend: test.conf:1: unknown section (only [Manager] and [Store] are known)\n" },
                { "[Manager]\n[Unit]\nDescription=x\n",     "pkgtokend: test.conf:2: unknown section (only [Manager] and [Store] are known)\n" },
                { "PasswordCost=1\n[Manager]\n",            "pkgtokend: test.conf:1: setting outside the [Manager] section\n" },
                { "# comment\n\nLockoutSec=5\n",            "pkgtokend: test.conf:3: setting outside the [Manager] section\n" },
                { "# a\n; b\n\n[Manager]\n\n# c\nPasswordCost=1\nOops=2\n", "pkgtokend: test.conf:8: unknown key\n" },
                { "[Manager]\nPasswordCost=1\nPasswordCost=99\nBogus=1\n", "pkgtokend: test.conf:3: invalid value\n" },
        };

        for (size_t i = 0; i < ELEMENTSOF(v); i++) {
                Config c;
                int r;

                config_init_defaults(&c);
                r = parse_text(&c, v[i].text);
                CHECK_INT_EQ(r, -EINVAL, "refused (%zu): %.*s", i, (int) strcspn(v[i].message + 11, "\n"), v[i].message + 11);
                CHECK_STR_EQ(errbuf, v[i].message, "  ... with the message naming file and line");
        }

        /* The name given is the one in the message. */
        Config c;
        config_init_defaults(&c);
        CHECK_INT_EQ(parse_bytes(&c, "[Manager]\nX=1\n", 14, "/etc/pkgtoken/pkgtokend.conf"), -EINVAL, "unknown key, another name");
        CHECK_STR_EQ(errbuf, "pkgtokend: /etc/pkgtoken/pkgtokend.conf:2: unknown key\n", "  ... the message uses that name");

        /* A NUL byte hides the rest of a line from C string functions: refused, not cut. */
        static const char nul1[] = "[Manager]\nPasswordCost=1\0junk\n";
        config_init_defaults(&c);
        CHECK_INT_EQ(parse_bytes(&c, nul1, sizeof nul1 - 1, "test.conf"), -EINVAL, "a NUL byte after a value");
        CHECK_STR_EQ(errbuf, "pkgtokend: test.conf:2: NUL byte in line\n", "  ... names the line");
        CHECK_INT_EQ(c.password_cost, 0, "  ... and the value was not taken");
        static const char nul2[] = "[Manager]\n# comment\n\0\n";
        config_init_defaults(&c);
        CHECK_INT_EQ(parse_bytes(&c, nul2, sizeof nul2 - 1, "test.conf"), -EINVAL, "a NUL byte alone on a line");
        CHECK_STR_EQ(errbuf, "pkgtokend: test.conf:3: NUL byte in line\n", "  ... names the line");
        static const char nul3[] = "\0[Manager]\n";
        config_init_defaults(&c);
        CHECK_INT_EQ(parse_bytes(&c, nul3, sizeof nul3 - 1, "test.conf"), -EINVAL, "a NUL byte at the start");
        CHECK_STR_EQ(errbuf, "pkgtokend: test.conf:1: NUL byte in line\n", "  ... names line 1");

        /* A very long line is just a line. */
        size_t n = 100000;
        char *big = malloc(n + 32);
        if (!big)
                abort();
        strcpy(big, "[Manager]\n");
        memset(big + 10, 'K', n);
        strcpy(big + 10 + n, "=1\n");
        config_init_defaults(&c);
        CHECK_INT_EQ(parse_text(&c, big), -EINVAL, "a 100000-byte key");
        CHECK_STR_EQ(errbuf, "pkgtokend: test.conf:2: unknown key\n", "  ... is an unknown key");
        memset(big + 10, '9', n);
        memcpy(big + 10, "PasswordCost=", 13);
        config_init_defaults(&c);
        CHECK_INT_EQ(parse_text(&c, big), -EINVAL, "a 100000-digit value");
        CHECK_STR_EQ(errbuf, "pkgtokend: test.conf:2: invalid value\n", "  ... is an invalid value");
        free(big);
}

static void test_load(void) {
        const char *tmp = getenv("TMPDIR");
        char dir[200], path[256], missing[256];
        Config c;

        snprintf(dir, sizeof dir, "%s/test-config.XXXXXX", tmp && *tmp && strlen(tmp) < 150 ? tmp : "/tmp");
        if (!mkdtemp(dir))
                abort();
        snprintf(path, sizeof path, "%s/pkgtokend.conf", dir);
        snprintf(missing, sizeof missing, "%s/missing.conf", dir);

        config_init_defaults(&c);
        CHECK_INT_EQ(load_file(&c, missing, true), 0, "a missing optional file is fine");
        CHECK(config_is_default(&c), "  ... the defaults apply");
        CHECK_STR_EQ(errbuf, "", "  ... and nothing is printed");

        config_init_defaults(&c);
        CHECK_INT_EQ(load_file(&c, missing, false), -ENOENT, "a missing required file is an error");
        CHECK(strstr(errbuf, "pkgtokend: cannot read ") && strstr(errbuf, missing), "  ... naming the file: %s", errbuf);

        write_file(path, "# test\n[Manager]\nPasswordCost=1\nLockoutThreshold=3\nLockoutSec=10min\n");
        config_init_defaults(&c);
        CHECK_INT_EQ(load_file(&c, path, false), 0, "a file");
        CHECK_INT_EQ(c.password_cost, 1, "  ... PasswordCost");
        CHECK_INT_EQ(c.lockout_threshold, 3, "  ... LockoutThreshold");
        CHECK(c.lockout_duration == SEC(600), "  ... LockoutSec");
        config_init_defaults(&c);
        CHECK_INT_EQ(load_file(&c, path, true), 0, "the same file, optional");
        CHECK_INT_EQ(c.lockout_threshold, 3, "  ... read all the same");

        write_file(path, "[Manager]\nPasswordCost=1\nLockoutThreshold=zero\n");
        config_init_defaults(&c);
        CHECK_INT_EQ(load_file(&c, path, true), -EINVAL, "a bad value in a file (optional or not)");
        char want[400];
        snprintf(want, sizeof want, "pkgtokend: %s:3: invalid value\n", path);
        CHECK_STR_EQ(errbuf, want, "  ... names the file's path and the line");

        /* A directory opens but cannot be read. */
        config_init_defaults(&c);
        CHECK(load_file(&c, dir, false) < 0, "a directory is an error");
        CHECK(strstr(errbuf, dir) != NULL, "  ... naming it: %s", errbuf);
        config_init_defaults(&c);
        CHECK(load_file(&c, dir, true) < 0, "a directory is an error even when optional");

        /* Unreadable: only meaningful when permissions apply to us. */
        if (geteuid() != 0) {
                write_file(path, "[Manager]\n");
                chmod(path, 0);
                config_init_defaults(&c);
                CHECK_INT_EQ(load_file(&c, path, true), -EACCES, "an unreadable optional file is an error");
                CHECK(strstr(errbuf, path) != NULL, "  ... naming it");
        } else
                printf("ok %u # SKIP unreadable files: running as root\n", ++tap_tests_run);

        unlink(path);
        rmdir(dir);
}

/* [Store]: the backend and PostgreSQL's connection (issue 13). */
static void test_store_section(void) {
        static const struct {
                const char *text;
                int r;
                const char *desc;
        } cases[] = {
                { "[Store]\nBackend=sqlite\n",                          0,       "Backend=sqlite" },
                { "[Store]\nBackend=postgresql\n",                      0,       "Backend=postgresql" },
                { "[Store]\nBackend=mysql\n",                           -EINVAL, "Backend=mysql is refused" },
                { "[Store]\nConnection=host=/run/postgresql dbname=pkgtoken\n", 0, "a conninfo Connection=" },
                { "[Store]\nConnection=service=pkgtoken\n",             0,       "a service Connection=" },
                { "[Store]\nConnection=host=db password=secret\n",      -EINVAL, "a password in Connection= is refused" },
                { "[Store]\nPasswordFile=relative/path\n",              -EINVAL, "a relative PasswordFile= is refused" },
                { "[Store]\nConnectTimeoutSec=0\n",                     -EINVAL, "ConnectTimeoutSec=0 is refused" },
                { "[Store]\nPasswordCost=5\n",                          -EINVAL, "a [Manager] key under [Store] is refused" },
                { "[Manager]\nBackend=postgresql\n",                    -EINVAL, "a [Store] key under [Manager] is refused" },
        };
        Config c;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                config_init_defaults(&c);
                CHECK_INT_EQ(parse_text(&c, cases[i].text), cases[i].r, "%s", cases[i].desc);
        }

        config_init_defaults(&c);
        CHECK_INT_EQ(c.store_backend, STORE_BACKEND_SQLITE, "SQLite by default");
        CHECK_INT_EQ(parse_text(&c, "[Manager]\nLockoutThreshold=4\n[Store]\nBackend=postgresql\n"
                                    "Connection=service=pkgtoken\nPasswordFile=/etc/pkgtoken/db-password\n"
                                    "ConnectTimeoutSec=1min\n"), 0, "a [Store] section after [Manager]");
        CHECK_INT_EQ(c.store_backend, STORE_BACKEND_POSTGRESQL, "  ... Backend");
        CHECK_STR_EQ(c.store_connection, "service=pkgtoken", "  ... Connection");
        CHECK_STR_EQ(c.store_password_file, "/etc/pkgtoken/db-password", "  ... PasswordFile");
        CHECK(c.store_connect_timeout == SEC(60), "  ... ConnectTimeoutSec");
        CHECK_INT_EQ(c.lockout_threshold, 4, "  ... and [Manager] still read");
}

int main(void) {
        log_setup("pkgtokend");
        test_store_section();
        test_defaults();
        test_every_key();
        test_syntax();
        test_parse_duration();
        test_ranges();
        test_new_settings();
        test_readme_example();
        test_errors();
        test_load();
        return tap_finish();
}
