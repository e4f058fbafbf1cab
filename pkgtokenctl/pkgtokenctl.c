/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* pkgtokenctl: the admin and maintainer CLI (design §1).  A thin D-Bus client of pkgtokend in
 * the style of homectl/busctl: every verb is one method call, the daemon is the authority on
 * names, permissions and policy, and this file only turns command lines into calls and
 * replies into tables or JSON.
 *
 * Exit codes: 0 success; 1 refused or failed (bus errors, daemon errors, an authorize result
 * other than "allowed"); 2 usage errors (unknown command or option, wrong number of
 * arguments, invalid option values), detected before the bus is touched.
 *
 * Secrets (passwords, tokens, OTPs, recovery codes, TOTP enrolment URIs) never come from
 * argv, where any local user could read them in /proc; they are read from stdin (prompted
 * without echo on a terminal), sent and received in messages marked sensitive, written to
 * stdout with write(2) rather than through stdio's buffer, and wiped after use. */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include <json-c/json.h>
#include <systemd/sd-bus.h>

#include "macro.h"
#include "strv.h"
#include "time-util.h"
#include "erase.h"
#include "model.h"
#include "names.h"
#include "password.h"
#include "qr.h"
#include "token.h"
#include "validate.h"

#define PROGRAM_NAME "pkgtokenctl"

#define EXIT_USAGE 2

/* Relative durations (--expires=90d, --since=12h) are bounded so that a typo such as
 * "90000d" is caught instead of silently creating a token that outlives its owner. */
#define DURATION_MAX_MINUTES (3650ULL * 24 * 60)

/* A token is 47 characters and an OTP 6 to 11; anything much longer is not one of them.
 * Passwords may be longer: up to PASSWORD_MAX bytes, the daemon's limit. */
#define SECRET_LINE_MAX 1024

/* Codes typed at a terminal: a person who mistypes one gets another go, a few times (the
 * daemon counts every failure towards its lockout, so this does not help a guesser). */
#define OTP_ATTEMPTS_MAX 3

#define OTP_PROMPT_APP "Code from your authenticator app: "
#define OTP_PROMPT_ANY "Code from your authenticator app or a recovery code: "

/* Tables on a terminal cut free-text columns at this width so that one long description
 * does not push every other column off screen.  Pipes get the full text. */
#define FREE_TEXT_COLUMN_MAX 32

#define MIN_SIZE(a, b) ((a) < (b) ? (a) : (b))

static inline void json_object_putp(json_object **o) {
        if (*o)
                json_object_put(*o);
}
#define _cleanup_json_ _cleanup_(json_object_putp)

/* ---------------------------------------------------------------------------------------------
 * Logging: one clear line on stderr, prefixed with the program name. */

static void log_errorv(const char *format, va_list ap) __attribute__((format(printf, 1, 0)));
static void log_errorv(const char *format, va_list ap) {
        int saved_errno = errno;        /* for %m */

        fputs(PROGRAM_NAME ": ", stderr);
        errno = saved_errno;
        vfprintf(stderr, format, ap);
        fputc('\n', stderr);
}

static void log_error(const char *format, ...) __attribute__((format(printf, 1, 2)));
static void log_error(const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        log_errorv(format, ap);
        va_end(ap);
}

/* Logs with errno set to the error, so the format may use %m; returns the negative errno. */
static int log_error_errno(int error, const char *format, ...) __attribute__((format(printf, 2, 3)));
static int log_error_errno(int error, const char *format, ...) {
        va_list ap;

        error = error < 0 ? -error : error;
        errno = error;
        va_start(ap, format);
        log_errorv(format, ap);
        va_end(ap);
        return -error;
}

static int log_oom(void) {
        return log_error_errno(ENOMEM, "Out of memory.");
}

/* Logs a usage problem and returns the exit status for it. */
static int log_usage(const char *format, ...) __attribute__((format(printf, 1, 2)));
static int log_usage(const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        log_errorv(format, ap);
        va_end(ap);
        return EXIT_USAGE;
}

/* ---------------------------------------------------------------------------------------------
 * Command line state. */

typedef enum JsonMode {
        JSON_OFF,
        JSON_SHORT,
        JSON_PRETTY,
} JsonMode;

/* Verb-specific options.  Each verb lists the ones it accepts, so that "account add
 * --policy=none" is an error rather than a silently ignored word. */
typedef enum VerbOption {
        OPT_EMAIL         = 1U << 0,
        OPT_KIND          = 1U << 1,
        OPT_POLICY        = 1U << 2,
        OPT_MAINTAINER    = 1U << 3,
        OPT_TYPE          = 1U << 4,
        OPT_PACKAGE       = 1U << 5,
        OPT_PACKAGE_OWNED = 1U << 6,
        OPT_DESCRIPTION   = 1U << 7,
        OPT_EXPIRES       = 1U << 8,
        OPT_CIDR          = 1U << 9,
        OPT_ACCOUNT       = 1U << 10,
        OPT_REMOTE        = 1U << 11,
        OPT_OTP           = 1U << 12,
        OPT_SINCE         = 1U << 13,
        OPT_LIMIT         = 1U << 14,
        OPT_PASSWORD_STDIN = 1U << 15,
        OPT_OLD_PASSWORD  = 1U << 16,
        OPT_MODE          = 1U << 17,
        OPT_FORCE         = 1U << 18,
        OPT_SESSION       = 1U << 19,
} VerbOption;

/* In bit order: the names of the VerbOption bits, for "cannot be used with" messages. */
static const char * const verb_option_names[] = {
        "--email", "--kind", "--policy", "--maintainer", "--type", "--package",
        "--package-owned", "--description", "--expires", "--cidr", "--account", "--remote",
        "--otp", "--since", "--limit", "--password-stdin", "--old-password", "--mode",
        "--force", "--session",
};

static const char *arg_bus_address = NULL;
static JsonMode arg_json = JSON_OFF;
static bool arg_legend = true;
static unsigned arg_seen = 0;           /* VerbOption bits given on the command line */
static const char *arg_email = NULL;
static const char *arg_kind = NULL;
static const char *arg_policy = NULL;
static char **arg_maintainers = NULL;
static const char *arg_type = NULL;
static char **arg_packages = NULL;
static bool arg_package_owned = false;
static const char *arg_description = NULL;
static usec_t arg_expires = 0;          /* 0 = never */
static char **arg_cidrs = NULL;
static const char *arg_account = NULL;
static const char *arg_remote = NULL;
static bool arg_otp = false;
static usec_t arg_since = 0;            /* 0 = from the beginning */
static uint32_t arg_limit = 100;
static bool arg_password_stdin = false;
static bool arg_old_password = false;
static const char *arg_mode = NULL;     /* NULL: the daemon's default 2FA mode */
static bool arg_force = false;
static bool arg_session = false;

static sd_bus *bus = NULL;              /* connected lazily, only by verbs that need it */

static void args_free(void) {
        arg_maintainers = strv_free(arg_maintainers);
        arg_packages = strv_free(arg_packages);
        arg_cidrs = strv_free(arg_cidrs);
}

/* ---------------------------------------------------------------------------------------------
 * Parsing of durations, dates and numbers. */

/* "90d", "12h", "30m": N > 0 days, hours or minutes, at most DURATION_MAX_MINUTES.  Digits
 * only, so "+5d", " 5d" and "5.5d" are rejected rather than half understood. */
static int parse_duration(const char *s, usec_t *ret) {
        uint64_t n = 0, minutes_per_unit;
        size_t len;

        len = strlen(s);
        if (len < 2 || len > 12)
                return -EINVAL;

        switch (s[len - 1]) {
        case 'd':
                minutes_per_unit = 24 * 60;
                break;
        case 'h':
                minutes_per_unit = 60;
                break;
        case 'm':
                minutes_per_unit = 1;
                break;
        default:
                return -EINVAL;
        }

        for (size_t i = 0; i < len - 1; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                n = n * 10 + (uint64_t) (s[i] - '0');   /* ≤ 11 digits: cannot overflow */
        }

        if (n == 0)
                return -EINVAL;
        if (n > DURATION_MAX_MINUTES / minutes_per_unit)
                return -ERANGE;

        *ret = n * minutes_per_unit * 60 * USEC_PER_SEC;
        return 0;
}

static bool parse_digits(const char *s, size_t n, int *ret) {
        int v = 0;

        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                v = v * 10 + (s[i] - '0');
        }
        *ret = v;
        return true;
}

/* "YYYY-MM-DD" (midnight UTC) or "YYYY-MM-DDTHH:MM:SSZ".  Parsed by hand at fixed positions:
 * strptime() accepts short fields and leading blanks, and timegm() silently turns
 * 2026-02-31 into March 3rd, so the result is converted back and compared. */
static int parse_utc_date(const char *s, usec_t *ret) {
        int year, month, day, hour = 0, minute = 0, second = 0;
        struct tm tm = {}, check;
        size_t len = strlen(s);
        time_t t;

        if (len != 10 && len != 20)
                return -EINVAL;
        if (!parse_digits(s, 4, &year) || s[4] != '-' ||
            !parse_digits(s + 5, 2, &month) || s[7] != '-' ||
            !parse_digits(s + 8, 2, &day))
                return -EINVAL;
        if (len == 20 &&
            (s[10] != 'T' ||
             !parse_digits(s + 11, 2, &hour) || s[13] != ':' ||
             !parse_digits(s + 14, 2, &minute) || s[16] != ':' ||
             !parse_digits(s + 17, 2, &second) || s[19] != 'Z'))
                return -EINVAL;

        if (year < 1970 || month < 1 || month > 12 || day < 1 || day > 31 ||
            hour > 23 || minute > 59 || second > 59)
                return -EINVAL;

        tm.tm_year = year - 1900;
        tm.tm_mon = month - 1;
        tm.tm_mday = day;
        tm.tm_hour = hour;
        tm.tm_min = minute;
        tm.tm_sec = second;

        /* timegm() normalizes tm in place, so compare against the parsed fields. */
        t = timegm(&tm);
        if (t < 0 || !gmtime_r(&t, &check) ||
            check.tm_year != year - 1900 || check.tm_mon != month - 1 || check.tm_mday != day)
                return -EINVAL;

        *ret = (usec_t) t * USEC_PER_SEC;
        return 0;
}

/* --expires: a duration from now, a UTC date, or "none" (0, the default: long-lived tokens are
 * allowed, revocation is the control). */
static int parse_expires(const char *s, usec_t now, usec_t *ret) {
        usec_t d;
        int r;

        if (streq(s, "none") || streq(s, "never")) {
                *ret = 0;
                return 0;
        }

        r = parse_duration(s, &d);
        if (r == -ERANGE)
                return log_error_errno(r, "Expiry '%s' is too far away (at most %llud).",
                                       s, DURATION_MAX_MINUTES / (24 * 60));
        if (r >= 0) {
                *ret = now + d;
                return 0;
        }

        r = parse_utc_date(s, &d);
        if (r < 0)
                return log_error_errno(r, "Invalid expiry '%s': use Nd, Nh, Nm, YYYY-MM-DD, "
                                       "YYYY-MM-DDTHH:MM:SSZ (UTC) or none.", s);
        if (d <= now)
                return log_error_errno(EINVAL, "Expiry '%s' is in the past.", s);

        *ret = d;
        return 0;
}

/* --since: a duration back from now, or a UTC date. */
static int parse_since(const char *s, usec_t now, usec_t *ret) {
        usec_t d;
        int r;

        r = parse_duration(s, &d);
        if (r == -ERANGE)
                return log_error_errno(r, "--since=%s reaches too far back (at most %llud).",
                                       s, DURATION_MAX_MINUTES / (24 * 60));
        if (r >= 0) {
                *ret = d < now ? now - d : 1;
                return 0;
        }

        r = parse_utc_date(s, &d);
        if (r < 0)
                return log_error_errno(r, "Invalid --since '%s': use Nd, Nh, Nm, YYYY-MM-DD or "
                                       "YYYY-MM-DDTHH:MM:SSZ (UTC).", s);

        /* 1970-01-01 would be 0, which the bus API reads as "no lower bound": the same thing. */
        *ret = d;
        return 0;
}

static int parse_u32(const char *s, uint32_t *ret) {
        uint64_t v = 0;

        if (isempty(s) || strlen(s) > 10)
                return -EINVAL;
        for (const char *p = s; *p; p++) {
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                v = v * 10 + (uint64_t) (*p - '0');
        }
        if (v > UINT32_MAX)
                return -ERANGE;

        *ret = (uint32_t) v;
        return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Text for terminals: daemon-provided strings (descriptions, reasons, actors) are validated
 * by the daemon, but a table must survive anything, so control characters, invalid UTF-8
 * and bidirectional overrides (which can make a terminal display text in a different order
 * than it is stored) are shown as escapes. */

static int utf8_decode(const unsigned char *s, uint32_t *ret) {
        uint32_t c;
        int n;

        if (s[0] < 0x80) {
                *ret = s[0];
                return 1;
        }
        if (s[0] >= 0xc2 && s[0] <= 0xdf) {
                n = 2;
                c = s[0] & 0x1f;
        } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
                n = 3;
                c = s[0] & 0x0f;
        } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
                n = 4;
                c = s[0] & 0x07;
        } else
                return -EINVAL;

        for (int i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)      /* also stops at the terminating NUL */
                        return -EINVAL;
                c = (c << 6) | (s[i] & 0x3f);
        }

        /* Overlong forms, surrogates and values beyond Unicode. */
        if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
            (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
                return -EINVAL;

        *ret = c;
        return n;
}

static bool codepoint_is_unsafe(uint32_t c) {
        return c < 0x20 || (c >= 0x7f && c < 0xa0) ||           /* C0, DEL, C1 controls */
               (c >= 0x200b && c <= 0x200f) ||                  /* zero-width, LRM/RLM */
               (c >= 0x2028 && c <= 0x202e) ||                  /* separators, embeddings */
               (c >= 0x2060 && c <= 0x2069) ||                  /* isolates */
               c == 0xfeff;
}

static char *sanitize(const char *s) {
        const unsigned char *p = (const unsigned char *) s;
        char *buf, *q;

        /* Worst case: every byte becomes "\xNN". */
        buf = malloc(strlen(s) * 4 + 1);
        if (!buf)
                return NULL;

        q = buf;
        while (*p) {
                uint32_t c;
                int n;

                n = utf8_decode(p, &c);
                if (n < 0) {
                        q += sprintf(q, "\\x%02x", *p);
                        p++;
                } else if (codepoint_is_unsafe(c)) {
                        if (c < 0x80)
                                q += sprintf(q, "\\x%02x", (unsigned) c);
                        else
                                q += sprintf(q, "\\u%04x", (unsigned) c);
                        p += n;
                } else {
                        memcpy(q, p, (size_t) n);
                        q += n;
                        p += n;
                }
        }
        *q = 0;
        return buf;
}

/* Columns a valid UTF-8 string occupies on a terminal.  wcwidth() knows wide (CJK) and
 * combining characters when the locale is UTF-8; otherwise count one per character. */
static size_t codepoint_width(uint32_t c) {
        int w = wcwidth((wchar_t) c);
        return w < 0 ? 1 : (size_t) w;
}

static size_t display_width(const char *s) {
        const unsigned char *p = (const unsigned char *) s;
        size_t w = 0;

        while (*p) {
                uint32_t c;
                int n = utf8_decode(p, &c);

                if (n < 0) {
                        w++;
                        p++;
                        continue;
                }
                w += codepoint_width(c);
                p += n;
        }
        return w;
}

static bool locale_is_utf8(void) {
        return streq(nl_langinfo(CODESET), "UTF-8");
}

/* Cuts a sanitized string to at most max columns, marking the cut. */
static char *ellipsize(const char *s, size_t max) {
        const char *mark = locale_is_utf8() ? "…" : "...";
        size_t mark_width = locale_is_utf8() ? 1 : 3, w = 0;
        const unsigned char *p = (const unsigned char *) s;
        char *buf;

        if (display_width(s) <= max || max <= mark_width)
                return strdup(s);

        while (*p) {
                uint32_t c;
                int n = utf8_decode(p, &c);
                size_t cw;

                if (n < 0)
                        n = 1, c = '?';
                cw = codepoint_width(c);
                if (w + cw > max - mark_width)
                        break;
                w += cw;
                p += n;
        }

        buf = malloc((size_t) (p - (const unsigned char *) s) + strlen(mark) + 1);
        if (!buf)
                return NULL;
        memcpy(buf, s, (size_t) (p - (const unsigned char *) s));
        strcpy(buf + (p - (const unsigned char *) s), mark);
        return buf;
}

/* ---------------------------------------------------------------------------------------------
 * The one generic reader: any D-Bus value to JSON.  a{sv} becomes an object, aa{sv} an array
 * of objects, and fields the daemon adds later appear in --json output without changes here.
 * Tables and "show" output read the same JSON, so there is no per-verb parsing code. */

static json_object *json_new_unsigned(uint64_t u) {
        if (u <= INT64_MAX)
                return json_object_new_int64((int64_t) u);
#if JSON_C_VERSION_NUM >= ((0 << 16) | (14 << 8))
        return json_object_new_uint64(u);
#else
        return json_object_new_double((double) u);
#endif
}

static int json_from_bus_basic(sd_bus_message *m, char type, json_object **ret) {
        union {
                uint8_t u8;
                int b;
                int16_t s16;
                uint16_t u16;
                int32_t s32;
                uint32_t u32;
                int64_t s64;
                uint64_t u64;
                double d;
                const char *s;
                int fd;
        } v;
        json_object *o;
        int r;

        r = sd_bus_message_read_basic(m, type, &v);
        if (r < 0)
                return r;

        switch (type) {
        case 'y': o = json_object_new_int64(v.u8); break;
        case 'b': o = json_object_new_boolean(v.b); break;
        case 'n': o = json_object_new_int64(v.s16); break;
        case 'q': o = json_object_new_int64(v.u16); break;
        case 'i': o = json_object_new_int64(v.s32); break;
        case 'u': o = json_object_new_int64(v.u32); break;
        case 'x': o = json_object_new_int64(v.s64); break;
        case 't': o = json_new_unsigned(v.u64); break;
        case 'd': o = json_object_new_double(v.d); break;
        case 's':
        case 'o':
        case 'g': o = json_object_new_string(v.s); break;
        case 'h':
                *ret = NULL;            /* file descriptors have no JSON form: null */
                return 0;
        default:
                return -EBADMSG;
        }
        if (!o)
                return -ENOMEM;

        *ret = o;
        return 0;
}

static bool bus_type_is_container(char type) {
        return type == SD_BUS_TYPE_ARRAY || type == SD_BUS_TYPE_STRUCT ||
               type == SD_BUS_TYPE_VARIANT || type == SD_BUS_TYPE_DICT_ENTRY;
}

static int json_from_bus_value(sd_bus_message *m, json_object **ret);

/* Reads the remaining values of the container we are in: an array, a struct, a dict. */
static int json_from_bus_container(sd_bus_message *m, bool dict, json_object **ret) {
        _cleanup_json_ json_object *c = NULL;
        int r;

        c = dict ? json_object_new_object() : json_object_new_array();
        if (!c)
                return -ENOMEM;

        for (;;) {
                _cleanup_json_ json_object *key = NULL, *value = NULL;
                const char *contents;
                char type;

                r = sd_bus_message_peek_type(m, &type, &contents);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;

                if (!dict) {
                        r = json_from_bus_value(m, &value);
                        if (r < 0)
                                return r;
                        if (json_object_array_add(c, value) < 0)
                                return -ENOMEM;
                        value = NULL;
                        continue;
                }

                if (type != SD_BUS_TYPE_DICT_ENTRY)
                        return -EBADMSG;
                r = sd_bus_message_enter_container(m, type, contents);
                if (r < 0)
                        return r;
                r = json_from_bus_value(m, &key);
                if (r < 0)
                        return r;
                r = json_from_bus_value(m, &value);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;

                /* Keys are basic types; non-string keys use their JSON spelling. */
                if (json_object_object_add(c, key ? json_object_get_string(key) : "null", value) < 0)
                        return -ENOMEM;
                value = NULL;
        }

        *ret = c;
        c = NULL;
        return 0;
}

static int json_from_bus_value(sd_bus_message *m, json_object **ret) {
        const char *contents;
        char type;
        int r, q;

        r = sd_bus_message_peek_type(m, &type, &contents);
        if (r < 0)
                return r;
        if (r == 0)
                return -EBADMSG;        /* a value was expected */

        if (!bus_type_is_container(type))
                return json_from_bus_basic(m, type, ret);

        r = sd_bus_message_enter_container(m, type, contents);
        if (r < 0)
                return r;

        if (type == SD_BUS_TYPE_VARIANT)
                r = json_from_bus_value(m, ret);
        else
                r = json_from_bus_container(m,
                                            type == SD_BUS_TYPE_ARRAY && contents[0] == '{',
                                            ret);
        if (r < 0)
                return r;

        q = sd_bus_message_exit_container(m);
        if (q < 0) {
                json_object_putp(ret);
                *ret = NULL;
                return q;
        }
        return 0;
}

/* Reads the one value of a reply and checks it has the expected shape. */
static int reply_read_json(sd_bus_message *reply, json_type expected, json_object **ret) {
        _cleanup_json_ json_object *v = NULL;
        int r;

        r = json_from_bus_value(reply, &v);
        if (r >= 0 && !json_object_is_type(v, expected))
                r = -EBADMSG;
        if (r < 0)
                return log_error_errno(r, "Failed to parse reply from pkgtokend: %m");

        *ret = v;
        v = NULL;
        return 0;
}

/* Getters used by the human output; a missing key or a key of another type reads as absent. */
static json_object *json_get(json_object *o, const char *key) {
        json_object *v;

        if (!o || !json_object_object_get_ex(o, key, &v))
                return NULL;
        return v;
}

static const char *json_get_string(json_object *o, const char *key) {
        json_object *v = json_get(o, key);
        return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static bool json_get_unsigned(json_object *o, const char *key, uint64_t *ret) {
        json_object *v = json_get(o, key);

        if (json_object_is_type(v, json_type_int)) {
#if JSON_C_VERSION_NUM >= ((0 << 16) | (14 << 8))
                *ret = json_object_get_uint64(v);
#else
                int64_t i = json_object_get_int64(v);
                *ret = i < 0 ? 0 : (uint64_t) i;
#endif
                return true;
        }
        if (json_object_is_type(v, json_type_double)) {
                double d = json_object_get_double(v);
                *ret = d < 0 ? 0 : (uint64_t) d;
                return true;
        }
        return false;
}

/* No slash escaping: "@scope/name" stays readable and greppable. */
static int json_flags(void) {
        if (arg_json == JSON_PRETTY)
                return JSON_C_TO_STRING_NOSLASHESCAPE | JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED;
        return JSON_C_TO_STRING_NOSLASHESCAPE | JSON_C_TO_STRING_PLAIN;
}

static int print_json(json_object *o) {
        const char *s;

        s = json_object_to_json_string_ext(o, json_flags());
        if (!s)
                return log_oom();
        puts(s);
        return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Human output: tables and "Key: value" lines, driven by field descriptions. */

typedef enum FieldFormat {
        FIELD_STRING,
        FIELD_BOOL,             /* yes/no */
        FIELD_NUMBER,
        FIELD_TIMESTAMP,        /* 0 counts as empty */
        FIELD_LIST,             /* array of strings, comma-separated */
        FIELD_TOKEN_OWNER,      /* the owning account, or "(package)" for package tokens */
} FieldFormat;

typedef struct Field {
        const char *key;
        const char *title;      /* column header, or label of a "show" line */
        FieldFormat format;
        const char *empty;      /* shown for "", 0 and []; NULL means "-" */
        size_t max_width;       /* tables on a terminal: cut beyond this; 0 = never */
} Field;

static const Field account_columns[] = {
        { "name",         "NAME",        FIELD_STRING },
        { "kind",         "KIND",        FIELD_STRING },
        { "email",        "EMAIL",       FIELD_STRING },
        { "twofa",        "2FA",         FIELD_STRING },
        { "locked",       "LOCKED",      FIELD_BOOL },
        { "created_at",   "CREATED",     FIELD_TIMESTAMP },
};

static const Field account_fields[] = {
        { "name",                "Name",                  FIELD_STRING },
        { "email",               "E-mail",                FIELD_STRING },
        { "kind",                "Kind",                  FIELD_STRING },
        { "has_password",        "Password set",          FIELD_BOOL },
        { "twofa",               "2FA mode",              FIELD_STRING },
        { "twofa_pending",       "2FA enrolment pending", FIELD_BOOL },
        { "recovery_codes_left", "Recovery codes left",   FIELD_NUMBER },
        { "locked",              "Locked",                FIELD_BOOL },
        { "locked_until",        "Locked out until",      FIELD_TIMESTAMP },
        { "failed_attempts",     "Failed attempts",       FIELD_NUMBER },
        { "created_at",          "Created",               FIELD_TIMESTAMP },
};

static const Field package_columns[] = {
        { "name",         "NAME",        FIELD_STRING },
        { "policy",       "POLICY",      FIELD_STRING },
        { "maintainers",  "MAINTAINERS", FIELD_LIST },
};

static const Field package_fields[] = {
        { "name",         "Name",        FIELD_STRING },
        { "policy",       "Policy",      FIELD_STRING },
        { "maintainers",  "Maintainers", FIELD_LIST },
        { "created_at",   "Created",     FIELD_TIMESTAMP },
};

static const Field token_columns[] = {
        { "id",           "ID",          FIELD_STRING },
        { "prefix",       "PREFIX",      FIELD_STRING },
        { "type",         "TYPE",        FIELD_STRING },
        { "owner",        "OWNER",       FIELD_TOKEN_OWNER },
        { "scope",        "SCOPE",       FIELD_LIST,      "all maintained" },
        { "description",  "DESCRIPTION", FIELD_STRING,    NULL, FREE_TEXT_COLUMN_MAX },
        { "created_by",   "CREATED-BY",  FIELD_STRING },
        { "created_at",   "CREATED",     FIELD_TIMESTAMP },
        { "last_used_at", "LAST-USED",   FIELD_TIMESTAMP, "never" },
        { "expires_at",   "EXPIRES",     FIELD_TIMESTAMP, "never" },
        { "state",        "STATE",       FIELD_STRING },
};

static const Field token_fields[] = {
        { "id",             "ID",             FIELD_STRING },
        { "prefix",         "Prefix",         FIELD_STRING },
        { "type",           "Type",           FIELD_STRING },
        { "owner",          "Owner",          FIELD_STRING },
        { "account",        "Account",        FIELD_STRING },
        { "scope",          "Scope",          FIELD_LIST,      "all maintained packages" },
        { "description",    "Description",    FIELD_STRING },
        { "created_by",     "Created by",     FIELD_STRING },
        { "created_at",     "Created",        FIELD_TIMESTAMP },
        { "expires_at",     "Expires",        FIELD_TIMESTAMP, "never" },
        { "last_used_at",   "Last used",      FIELD_TIMESTAMP, "never" },
        { "last_used_from", "Last used from", FIELD_STRING },
        { "allowed_cidrs",  "Allowed CIDRs",  FIELD_LIST,      "any" },
        { "revoked_at",     "Revoked",        FIELD_TIMESTAMP },
        { "state",          "State",          FIELD_STRING },
};

static const Field audit_columns[] = {
        { "time",         "TIME",        FIELD_TIMESTAMP },
        { "action",       "ACTION",      FIELD_STRING },
        { "package",      "PACKAGE",     FIELD_STRING },
        { "result",       "RESULT",      FIELD_STRING },
        { "actor",        "ACTOR",       FIELD_STRING,    NULL, FREE_TEXT_COLUMN_MAX },
        { "token_id",     "TOKEN",       FIELD_STRING },
        { "remote",       "REMOTE",      FIELD_STRING },
        { "reason",       "REASON",      FIELD_STRING },
};

static const Field status_fields[] = {
        { "version",         "Version",         FIELD_STRING },
        { "schema_version",  "Schema version",  FIELD_NUMBER },
        { "state_directory", "State directory", FIELD_STRING },
        { "accounts",        "Accounts",        FIELD_NUMBER },
        { "packages",        "Packages",        FIELD_NUMBER },
        { "tokens",          "Tokens",          FIELD_NUMBER },
        { "active_tokens",   "Active tokens",   FIELD_NUMBER },
};

/* The raw text of one field, before sanitizing; NULL when the field is empty. */
static char *field_text(json_object *o, const Field *f, bool table) {
        json_object *v = json_get(o, f->key);
        uint64_t u;

        switch (f->format) {

        case FIELD_STRING: {
                const char *s = json_get_string(o, f->key);
                return isempty(s) ? NULL : strdup(s);
        }

        case FIELD_BOOL:
                if (!json_object_is_type(v, json_type_boolean))
                        return NULL;
                return strdup(json_object_get_boolean(v) ? "yes" : "no");

        case FIELD_NUMBER: {
                char buf[32];

                if (!json_get_unsigned(o, f->key, &u))
                        return NULL;
                snprintf(buf, sizeof buf, "%" PRIu64, u);
                return strdup(buf);
        }

        case FIELD_TIMESTAMP: {
                char buf[64];

                if (!json_get_unsigned(o, f->key, &u) || u == 0)
                        return NULL;
                if (format_timestamp_utc(u, buf, sizeof buf) < 0)
                        snprintf(buf, sizeof buf, "@%" PRIu64, u / USEC_PER_SEC);
                return strdup(buf);
        }

        case FIELD_LIST: {
                const char *sep = table ? "," : ", ";
                size_t n, len = 1;
                char *buf;

                if (!json_object_is_type(v, json_type_array))
                        return NULL;
                n = json_object_array_length(v);
                if (n == 0)
                        return NULL;
                for (size_t i = 0; i < n; i++)
                        len += strlen(json_object_get_string(json_object_array_get_idx(v, i)) ?: "null") + 2;

                buf = malloc(len);
                if (!buf)
                        return NULL;
                buf[0] = 0;
                for (size_t i = 0; i < n; i++) {
                        if (i > 0)
                                strcat(buf, sep);
                        strcat(buf, json_object_get_string(json_object_array_get_idx(v, i)) ?: "null");
                }
                return buf;
        }

        case FIELD_TOKEN_OWNER: {
                /* Account names cannot contain parentheses, so "(package)" is unambiguous. */
                const char *owner = json_get_string(o, "owner"), *account;

                if (streq_ptr(owner, "package"))
                        return strdup("(package)");
                account = json_get_string(o, "account");
                if (!isempty(account))
                        return strdup(account);
                return isempty(owner) ? NULL : strdup(owner);
        }
        }

        return NULL;
}

/* The displayable text of one field; never NULL except on OOM. */
static char *field_format(json_object *o, const Field *f, bool table) {
        _cleanup_free_ char *raw = NULL, *clean = NULL;

        raw = field_text(o, f, table);
        clean = sanitize(raw ?: (f->empty ?: "-"));
        if (!clean)
                return NULL;

        if (table && f->max_width > 0 && isatty(STDOUT_FILENO))
                return ellipsize(clean, f->max_width);

        return strdup(clean);
}

static void print_padded(const char *s, size_t width, bool last) {
        fputs(s, stdout);
        if (last)
                return;
        for (size_t w = display_width(s); w < width + 2; w++)
                fputc(' ', stdout);
}

static int print_table(json_object *rows, const Field *columns, size_t n_columns,
                       const char *singular, const char *plural) {
        size_t n_rows = json_object_array_length(rows), widths[n_columns];
        char **cells;
        int r = 0;

        cells = calloc(n_rows * n_columns + 1, sizeof(char *));
        if (!cells)
                return log_oom();

        for (size_t c = 0; c < n_columns; c++)
                widths[c] = arg_legend ? strlen(columns[c].title) : 0;

        for (size_t i = 0; i < n_rows; i++) {
                json_object *row = json_object_array_get_idx(rows, i);

                for (size_t c = 0; c < n_columns; c++) {
                        char *s = field_format(row, columns + c, true);
                        size_t w;

                        if (!s) {
                                r = log_oom();
                                goto finish;
                        }
                        cells[i * n_columns + c] = s;
                        w = display_width(s);
                        if (w > widths[c])
                                widths[c] = w;
                }
        }

        if (arg_legend && n_rows == 0) {
                printf("No %s.\n", plural);
                goto finish;
        }

        if (arg_legend) {
                for (size_t c = 0; c < n_columns; c++)
                        print_padded(columns[c].title, widths[c], c + 1 == n_columns);
                fputc('\n', stdout);
        }

        for (size_t i = 0; i < n_rows; i++) {
                for (size_t c = 0; c < n_columns; c++)
                        print_padded(cells[i * n_columns + c], widths[c], c + 1 == n_columns);
                fputc('\n', stdout);
        }

        if (arg_legend)
                printf("\n%zu %s listed.\n", n_rows, n_rows == 1 ? singular : plural);

finish:
        for (size_t i = 0; i < n_rows * n_columns; i++)
                free(cells[i]);
        free(cells);
        return r;
}

static int print_fields(json_object *o, const Field *fields, size_t n_fields) {
        for (size_t i = 0; i < n_fields; i++) {
                _cleanup_free_ char *s = NULL;

                /* Fields an older daemon does not send are left out rather than shown empty. */
                if (!json_get(o, fields[i].key))
                        continue;

                s = field_format(o, fields + i, false);
                if (!s)
                        return log_oom();
                printf("%s: %s\n", fields[i].title, s);
        }
        return 0;
}

/* ---------------------------------------------------------------------------------------------
 * The bus. */

static const char *bus_description(void) {
        return arg_bus_address ?: "the system bus";
}

static int acquire_bus(void) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *b = NULL;
        int r;

        if (bus)
                return 0;

        if (!arg_bus_address) {
                const char *e = getenv(PKGTOKEN_BUS_ADDRESS_ENV);
                if (!isempty(e))
                        arg_bus_address = e;
        }

        if (arg_bus_address) {
                r = sd_bus_new(&b);
                if (r < 0)
                        return log_error_errno(r, "Failed to allocate bus: %m");
                r = sd_bus_set_address(b, arg_bus_address);
                if (r < 0)
                        return log_error_errno(r, "Invalid bus address '%s': %m", arg_bus_address);
                r = sd_bus_set_bus_client(b, 1);
                if (r < 0)
                        return log_error_errno(r, "Failed to configure bus: %m");
                r = sd_bus_start(b);
        } else
                r = sd_bus_open_system(&b);
        if (r < 0)
                return log_error_errno(r, "Cannot reach pkgtokend on %s: %m", bus_description());

        /* Lets the daemon ask polkit to prompt for admin verbs when a person is at the
         * keyboard; scripts get a plain "access denied" instead of a hang. */
        (void) sd_bus_set_allow_interactive_authorization(b, isatty(STDIN_FILENO));

        bus = b;
        b = NULL;
        return 0;
}

/* Errors that mean the daemon is not there (not running, not activatable, crashed, hung),
 * as opposed to the daemon refusing the request. */
static bool bus_error_is_unreachable(const sd_bus_error *e, int r) {
        if (sd_bus_error_has_names(e,
                                   SD_BUS_ERROR_SERVICE_UNKNOWN,
                                   SD_BUS_ERROR_NAME_HAS_NO_OWNER,
                                   SD_BUS_ERROR_NO_REPLY,
                                   SD_BUS_ERROR_TIMEOUT,
                                   SD_BUS_ERROR_DISCONNECTED,
                                   SD_BUS_ERROR_NO_SERVER))
                return true;
        if (sd_bus_error_is_set(e) &&
            strncmp(e->name, "org.freedesktop.DBus.Error.Spawn.", 33) == 0)
                return true;
        return !sd_bus_error_is_set(e) &&
               (r == -ECONNRESET || r == -ENOTCONN || r == -ETIMEDOUT || r == -EPIPE);
}

static int log_bus_error(const char *what, const sd_bus_error *e, int r) {
        const char *msg;

        errno = r < 0 ? -r : r;
        msg = sd_bus_error_is_set(e) && !isempty(e->message) ? e->message : strerror(errno);

        if (bus_error_is_unreachable(e, r))
                log_error("Cannot reach pkgtokend on %s: %s", bus_description(), msg);
        else
                log_error("Failed to %s: %s", what, msg);
        return r < 0 ? r : -EIO;
}

static int method_new(sd_bus_message **ret, const char *method) {
        int r;

        r = acquire_bus();
        if (r < 0)
                return r;

        r = sd_bus_message_new_method_call(bus, ret, PKGTOKEN_BUS_NAME, PKGTOKEN_OBJECT_PATH,
                                           PKGTOKEN_MANAGER_IFACE, method);
        if (r < 0)
                return log_error_errno(r, "Failed to create %s call: %m", method);
        return 0;
}

static int method_call(sd_bus_message *m, const char *what, sd_bus_message **ret_reply) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_call(bus, m, 0, &error, ret_reply);
        if (r < 0)
                return log_bus_error(what, &error, r);
        return 0;
}

static int method_callv(const char *method, const char *what, sd_bus_message **ret_reply,
                        const char *types, va_list ap) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = method_new(&m, method);
        if (r < 0)
                return r;

        if (!isempty(types)) {
                r = sd_bus_message_appendv(m, types, ap);
                if (r < 0)
                        return log_error_errno(r, "Failed to build %s call: %m", method);
        }

        return method_call(m, what, ret_reply);
}

static int method_call_simple(const char *method, const char *what, sd_bus_message **ret_reply,
                              const char *types, ...) {
        va_list ap;
        int r;

        va_start(ap, types);
        r = method_callv(method, what, ret_reply, types, ap);
        va_end(ap);
        return r;
}

/* Calls a method whose reply is one value, and prints that value as JSON or through the
 * given fields (an array as a table, an object as "Key: value" lines). */
static int call_and_print(const char *method, const char *what,
                          json_type expected, const Field *fields, size_t n_fields,
                          const char *singular, const char *plural,
                          const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_json_ json_object *v = NULL;
        va_list ap;
        int r;

        va_start(ap, types);
        r = method_callv(method, what, &reply, types, ap);
        va_end(ap);
        if (r < 0)
                return r;

        r = reply_read_json(reply, expected, &v);
        if (r < 0)
                return r;

        if (arg_json != JSON_OFF)
                return print_json(v);
        if (expected == json_type_array)
                return print_table(v, fields, n_fields, singular, plural);
        return print_fields(v, fields, n_fields);
}

/* ---------------------------------------------------------------------------------------------
 * Secrets from stdin. */

static struct termios saved_termios;
static volatile sig_atomic_t termios_fd = -1;

/* Echo must come back even when the user gives up at the prompt with ^C. */
static void restore_termios_and_reraise(int sig) {
        if (termios_fd >= 0)
                (void) tcsetattr(termios_fd, TCSANOW, &saved_termios);
        signal(sig, SIG_DFL);
        raise(sig);
}

static const int prompt_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

/* Reads one line from fd, byte by byte so nothing past the newline is consumed (the OTP is
 * the next line).  On a terminal, prompts on stderr and turns echo off.  Returns -ENODATA at
 * end of input, -E2BIG for a line longer than max bytes. */
static int read_secret_line(int fd, const char *prompt, size_t max, char **ret) {
        struct sigaction old_actions[ELEMENTSOF(prompt_signals)];
        _cleanup_erase_ char *buf = NULL;
        bool tty, got_newline = false;
        size_t n = 0;
        int r = 0;

        /* calloc, so the buffer is always NUL-terminated and _cleanup_erase_ wipes it all. */
        buf = calloc(1, max + 1);
        if (!buf)
                return log_oom();

        tty = isatty(fd);
        if (tty) {
                struct sigaction sa = { .sa_handler = restore_termios_and_reraise };
                struct termios t;

                if (tcgetattr(fd, &saved_termios) < 0)
                        return log_error_errno(errno, "Failed to read terminal settings: %m");
                t = saved_termios;
                t.c_lflag &= ~(tcflag_t) ECHO;
                t.c_lflag |= ECHONL;

                sigemptyset(&sa.sa_mask);
                for (size_t i = 0; i < ELEMENTSOF(prompt_signals); i++)
                        sigaction(prompt_signals[i], &sa, old_actions + i);
                termios_fd = fd;

                if (tcsetattr(fd, TCSANOW, &t) < 0) {
                        r = log_error_errno(errno, "Failed to turn off terminal echo: %m");
                        goto restore;
                }

                fputs(prompt, stderr);
                fflush(stderr);
        }

        for (;;) {
                char c;
                ssize_t k;

                k = read(fd, &c, 1);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        break;
                }
                if (k == 0) {
                        if (n == 0)
                                r = -ENODATA;
                        break;
                }
                if (c == '\n') {
                        got_newline = true;
                        break;
                }
                if (n >= max) {
                        r = -E2BIG;
                        break;
                }
                buf[n++] = c;
        }

        if (n > 0 && buf[n - 1] == '\r')        /* files written on Windows */
                buf[--n] = 0;

restore:
        if (tty) {
                (void) tcsetattr(fd, TCSANOW, &saved_termios);
                termios_fd = -1;
                for (size_t i = 0; i < ELEMENTSOF(prompt_signals); i++)
                        sigaction(prompt_signals[i], old_actions + i, NULL);
                if (!got_newline)
                        fputc('\n', stderr);
        }

        if (r < 0)
                return r;

        *ret = buf;
        buf = NULL;
        return 0;
}

static int read_secret_max(const char *what, const char *prompt, size_t max, char **ret) {
        _cleanup_erase_ char *s = NULL;
        int r;

        r = read_secret_line(STDIN_FILENO, prompt, max, &s);
        if (r == -ENODATA || (r >= 0 && isempty(s)))
                return log_error_errno(ENODATA, isatty(STDIN_FILENO) ? "No %s given." :
                                       "No %s on standard input.", what);
        if (r == -E2BIG)
                return log_error_errno(r, "The %s on standard input is too long (at most %zu bytes).",
                                       what, max);
        if (r < 0)
                return log_error_errno(r, "Failed to read the %s from standard input: %m", what);

        *ret = s;
        s = NULL;
        return 0;
}

static int read_secret(const char *what, const char *prompt, char **ret) {
        return read_secret_max(what, prompt, SECRET_LINE_MAX, ret);
}

static int read_password(const char *what, const char *prompt, char **ret) {
        return read_secret_max(what, prompt, PASSWORD_MAX, ret);
}

/* Authenticator apps show "123 456" and people type what they see.  Blanks are dropped, in
 * place, and the bytes they leave behind wiped; whether the rest is a TOTP code or a recovery
 * code (whose dashes and case the daemon handles) is the daemon's to judge. */
static void otp_strip_blanks(char *s) {
        size_t len = strlen(s);
        char *q = s;

        for (const char *p = s; *p; p++)
                if (*p != ' ' && *p != '\t')
                        *q++ = *p;
        explicit_bzero(q, len - (size_t) (q - s));
}

static int read_otp(const char *prompt, char **ret) {
        _cleanup_erase_ char *otp = NULL;
        int r;

        r = read_secret("one-time code", prompt, &otp);
        if (r < 0)
                return r;
        otp_strip_blanks(otp);
        if (isempty(otp))
                return log_error_errno(ENODATA, "No one-time code given.");

        *ret = otp;
        otp = NULL;
        return 0;
}

/* Writes a secret with write(2) rather than stdio, whose buffer would keep a copy we cannot
 * wipe.  newline adds a "\n" after it. */
static int write_secret(const char *s, bool newline) {
        struct iovec iov[2] = {
                { .iov_base = (void *) s, .iov_len = strlen(s) },
                { .iov_base = (void *) "\n", .iov_len = 1 },
        };
        size_t i = 0, n = newline ? 2 : 1;

        fflush(stdout);
        while (i < n) {
                ssize_t k = writev(STDOUT_FILENO, iov + i, (int) (n - i));

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return log_error_errno(errno, "Failed to write to standard output: %m");
                }
                while (i < n && (size_t) k >= iov[i].iov_len) {
                        k -= (ssize_t) iov[i].iov_len;
                        i++;
                }
                if (i < n) {
                        iov[i].iov_base = (char *) iov[i].iov_base + k;
                        iov[i].iov_len -= (size_t) k;
                }
        }
        return 0;
}

static int write_secret_line(const char *s) {
        return write_secret(s, true);
}

/* Secrets from the daemon (tokens, codes, URIs) are checked rather than passed through
 * sanitize(), which would leave an unwiped copy: none of them has a reason to contain
 * anything but printable ASCII, and nothing else may reach the terminal. */
static bool secret_is_printable(const char *s) {
        if (isempty(s))
                return false;
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if (*p <= ' ' || *p >= 0x7f)
                        return false;
        return true;
}

static void json_string_erase(json_object *o) {
        /* json-c hands out its own buffer; wiping it in place is the only way to keep the
         * secret out of freed heap memory. */
        if (json_object_is_type(o, json_type_string))
                explicit_bzero((char *) json_object_get_string(o), (size_t) json_object_get_string_len(o));
}

/* Wipes every string in a JSON tree that held secrets, before it is freed. */
static void json_erase_strings(json_object *o) {
        switch (json_object_get_type(o)) {

        case json_type_string:
                json_string_erase(o);
                break;

        case json_type_array:
                for (size_t i = 0; i < json_object_array_length(o); i++)
                        json_erase_strings(json_object_array_get_idx(o, i));
                break;

        case json_type_object: {
                json_object_object_foreach(o, key, value) {
                        (void) key;
                        json_erase_strings(value);
                }
                break;
        }

        default:
                break;
        }
}

/* print_json() for an object that carries secrets: written without stdio, then wiped, the
 * serialized text and the strings of the tree alike. */
static int print_json_secret(json_object *o) {
        const char *s;
        int r;

        s = json_object_to_json_string_ext(o, json_flags());
        if (!s)
                return log_oom();
        r = write_secret_line(s);

        explicit_bzero((char *) s, strlen(s));
        json_erase_strings(o);
        return r;
}

/* A process holding a secret should not leave it in a core dump, nor let another process of
 * the same user attach to it. */
static void make_undumpable(void) {
        (void) prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/* ---------------------------------------------------------------------------------------------
 * Verbs. */

static int verb_status(int argc, char *argv[]) {
        return call_and_print("GetStatus", "get status", json_type_object,
                              status_fields, ELEMENTSOF(status_fields), NULL, NULL, NULL);
}

static int verb_account_add(int argc, char *argv[]) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = method_new(&m, "CreateAccount");
        if (r < 0)
                return r;

        /* The kind is always sent explicitly, so the default lives in one visible place. */
        r = sd_bus_message_append(m, "sss", argv[0], arg_email ?: "",
                                  arg_kind ?: account_kind_to_string(ACCOUNT_HUMAN));
        if (r >= 0)
                r = sd_bus_message_append(m, "a{sv}", 0);
        if (r < 0)
                return log_error_errno(r, "Failed to build CreateAccount call: %m");

        return method_call(m, "create account", NULL);
}

static int verb_account_list(int argc, char *argv[]) {
        return call_and_print("ListAccounts", "list accounts", json_type_array,
                              account_columns, ELEMENTSOF(account_columns),
                              "account", "accounts", NULL);
}

static int verb_account_show(int argc, char *argv[]) {
        return call_and_print("GetAccount", "get account", json_type_object,
                              account_fields, ELEMENTSOF(account_fields), NULL, NULL,
                              "s", argv[0]);
}

static int verb_account_lock(int argc, char *argv[]) {
        return method_call_simple("SetAccountLocked", "lock account", NULL, "sb", argv[0], 1);
}

static int verb_account_unlock(int argc, char *argv[]) {
        return method_call_simple("SetAccountLocked", "unlock account", NULL, "sb", argv[0], 0);
}

static int verb_account_remove(int argc, char *argv[]) {
        return method_call_simple("RemoveAccount", "remove account", NULL, "s", argv[0]);
}

static int verb_package_add(int argc, char *argv[]) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = method_new(&m, "CreatePackage");
        if (r < 0)
                return r;

        /* An empty policy lets the daemon apply its default (2fa-or-automation). */
        r = sd_bus_message_append(m, "ss", argv[0], arg_policy ?: "");
        if (r >= 0)
                r = sd_bus_message_append_strv(m, arg_maintainers);
        if (r < 0)
                return log_error_errno(r, "Failed to build CreatePackage call: %m");

        return method_call(m, "create package", NULL);
}

static int verb_package_list(int argc, char *argv[]) {
        return call_and_print("ListPackages", "list packages", json_type_array,
                              package_columns, ELEMENTSOF(package_columns),
                              "package", "packages", NULL);
}

static int verb_package_show(int argc, char *argv[]) {
        return call_and_print("GetPackage", "get package", json_type_object,
                              package_fields, ELEMENTSOF(package_fields), NULL, NULL,
                              "s", argv[0]);
}

static int verb_package_policy(int argc, char *argv[]) {
        if (package_policy_from_string(argv[1]) < 0)
                return log_usage("Invalid policy '%s': use none, 2fa-or-automation or 2fa-only.",
                                 argv[1]);

        return method_call_simple("SetPackagePolicy", "set package policy", NULL,
                                  "ss", argv[0], argv[1]);
}

static int verb_package_maintainer_add(int argc, char *argv[]) {
        return method_call_simple("AddMaintainer", "add maintainer", NULL, "ss", argv[0], argv[1]);
}

static int verb_package_maintainer_remove(int argc, char *argv[]) {
        return method_call_simple("RemoveMaintainer", "remove maintainer", NULL,
                                  "ss", argv[0], argv[1]);
}

static char *scope_describe(char * const *scope) {
        if (strv_length(scope) == 0)
                return strdup("all maintained packages");
        return strv_join(scope, ',');
}

static int json_add_string(json_object *o, const char *key, const char *value) {
        json_object *v = json_object_new_string(value);

        if (!v || json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static int json_add_strv(json_object *o, const char *key, char * const *l) {
        _cleanup_json_ json_object *a = json_object_new_array();

        if (!a)
                return -ENOMEM;
        STRV_FOREACH(i, l) {
                json_object *v = json_object_new_string(*i);

                if (!v || json_object_array_add(a, v) < 0) {
                        json_object_put(v);
                        return -ENOMEM;
                }
        }
        if (json_object_object_add(o, key, a) < 0)
                return -ENOMEM;
        a = NULL;
        return 0;
}

/* The --json answer of "token create": the secret plus what we asked for, in the key names
 * of GetToken, so a script can treat it like any other token object. */
static int token_create_json(const char *id, const char *token, const char *account,
                             json_object **ret) {
        _cleanup_json_ json_object *o = NULL;
        char prefix[TOKEN_DISPLAY_LEN + 1] = "";
        json_object *expires;

        if (strlen(token) >= TOKEN_DISPLAY_LEN)
                token_display_prefix(token, prefix);

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;

        if (json_add_string(o, "id", id) < 0 ||
            json_add_string(o, "token", token) < 0 ||
            json_add_string(o, "prefix", prefix) < 0 ||
            json_add_string(o, "type", arg_type) < 0 ||
            json_add_string(o, "owner", arg_package_owned ? "package" : "account") < 0 ||
            json_add_string(o, "account", arg_package_owned ? "" : account) < 0 ||
            json_add_strv(o, "scope", arg_packages) < 0 ||
            json_add_string(o, "description", arg_description ?: "") < 0)
                return -ENOMEM;

        expires = json_new_unsigned(arg_expires);
        if (!expires || json_object_object_add(o, "expires_at", expires) < 0) {
                json_object_put(expires);
                return -ENOMEM;
        }

        if (json_add_strv(o, "allowed_cidrs", arg_cidrs) < 0)
                return -ENOMEM;

        *ret = o;
        o = NULL;
        return 0;
}

static int token_create_print_json(const char *id, const char *token, const char *account) {
        _cleanup_json_ json_object *o = NULL;
        int r;

        r = token_create_json(id, token, account, &o);
        if (r < 0)
                return log_oom();

        return print_json_secret(o);
}

/* A fresh CreateToken call each time: a message that was sent cannot be sent again. */
static int token_create_message(const char *account, const char *otp, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = method_new(&m, "CreateToken");
        if (r < 0)
                return r;
        if (otp)
                (void) sd_bus_message_sensitive(m);

        r = sd_bus_message_append(m, "ss", account, arg_type);
        if (r >= 0)
                r = sd_bus_message_append_strv(m, arg_packages);
        if (r >= 0)
                r = sd_bus_message_append(m, "st", arg_description ?: "", (uint64_t) arg_expires);
        if (r >= 0)
                r = sd_bus_message_append_strv(m, arg_cidrs);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r >= 0)
                r = sd_bus_message_append(m, "{sv}", "package_owned", "b", (int) arg_package_owned);
        if (r >= 0 && otp)
                r = sd_bus_message_append(m, "{sv}", "otp", "s", otp);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r < 0)
                return log_error_errno(r, "Failed to build CreateToken call: %m");

        *ret = m;
        m = NULL;
        return 0;
}

/* CreateToken; when the account has 2FA and no code was given, a person at a terminal is
 * asked for one and the call is made once more, as npm does. */
static int token_create_call(const char *account, sd_bus_message **ret_reply) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_erase_ char *otp = NULL;
        int r;

        if (arg_otp) {
                r = read_otp(OTP_PROMPT_APP, &otp);
                if (r < 0)
                        return r;
        }

        r = token_create_message(account, otp, &m);
        if (r < 0)
                return r;
        r = sd_bus_call(bus, m, 0, &error, ret_reply);

        if (r < 0 && !otp && isatty(STDIN_FILENO) &&
            sd_bus_error_has_name(&error, PKGTOKEN_ERROR_OTP_REQUIRED)) {
                fprintf(stderr, "Account '%s' uses two-factor authentication.\n", account);
                r = read_otp(OTP_PROMPT_APP, &otp);
                if (r < 0)
                        return r;

                sd_bus_error_free(&error);
                m = sd_bus_message_unref(m);
                r = token_create_message(account, otp, &m);
                if (r < 0)
                        return r;
                r = sd_bus_call(bus, m, 0, &error, ret_reply);
        }
        if (r < 0)
                return log_bus_error("create token", &error, r);
        return 0;
}

static int verb_token_create(int argc, char *argv[]) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *scope = NULL;
        const char *id, *token;
        int r;

        /* Checked here rather than by the daemon: a missing option is a usage error. */
        if (!arg_type)
                return log_usage("'token create' needs --type=read-only, --type=publish or "
                                 "--type=automation.");
        STRV_FOREACH(p, arg_packages)
                if (!scope_pattern_is_valid(*p))
                        return log_usage("Invalid package name or pattern '%s' (lowercase names, "
                                         "\"@scope/*\" or \"prefix*\").", *p);

        make_undumpable();

        r = token_create_call(argv[0], &reply);
        if (r < 0)
                return r;

        /* The reply carries the secret: sd-bus wipes sensitive messages when freeing them. */
        (void) sd_bus_message_sensitive(reply);

        r = sd_bus_message_read(reply, "ss", &id, &token);
        if (r < 0)
                return log_error_errno(r, "Failed to parse reply from pkgtokend: %m");

        scope = scope_describe(arg_packages);
        if (!scope)
                return log_oom();

        /* stderr for people, stdout for the secret alone, so "> file" or "grep '^pkgt_'"
         * captures exactly the token. */
        fprintf(stderr, "Created token %s (%s, %s).\n", id, arg_type, scope);

        if (arg_json != JSON_OFF)
                r = token_create_print_json(id, token, argv[0]);
        else
                r = write_secret_line(token);
        if (r < 0)
                return r;

        fputs("This is the only time the token is shown: copy it now, it cannot be recovered.\n",
              stderr);
        return 0;
}

/* Filters take one package name, not a pattern: patterns belong to "token create". */
static int check_package_filter(const char *verb) {
        _cleanup_free_ char *canonical = NULL;

        if (strv_length(arg_packages) > 1)
                return log_usage("--package= may be given only once with '%s'.", verb);
        if (arg_packages && package_name_canonicalize(arg_packages[0], &canonical) < 0)
                return log_usage("Invalid package name '%s' (a name, not a pattern, with '%s').",
                                 arg_packages[0], verb);
        return 0;
}

static int verb_token_list(int argc, char *argv[]) {
        int r;

        r = check_package_filter("token list");
        if (r != 0)
                return r;

        return call_and_print("ListTokens", "list tokens", json_type_array,
                              token_columns, ELEMENTSOF(token_columns), "token", "tokens",
                              "ss", arg_account ?: "", arg_packages ? arg_packages[0] : "");
}

static int verb_token_show(int argc, char *argv[]) {
        return call_and_print("GetToken", "get token", json_type_object,
                              token_fields, ELEMENTSOF(token_fields), NULL, NULL,
                              "s", argv[0]);
}

static int verb_token_revoke(int argc, char *argv[]) {
        return method_call_simple("RevokeToken", "revoke token", NULL, "s", argv[0]);
}

static int print_authorize_result(const char *result, const char *reason, const char *actor,
                                  const char *token_id) {
        _cleanup_free_ char *r = NULL, *re = NULL, *a = NULL, *t = NULL;

        if (arg_json != JSON_OFF) {
                _cleanup_json_ json_object *o = json_object_new_object();

                if (!o ||
                    json_object_object_add(o, "result", json_object_new_string(result)) < 0 ||
                    json_object_object_add(o, "reason", json_object_new_string(reason)) < 0 ||
                    json_object_object_add(o, "actor", json_object_new_string(actor)) < 0 ||
                    json_object_object_add(o, "token_id", json_object_new_string(token_id)) < 0)
                        return log_oom();
                return print_json(o);
        }

        r = sanitize(result);
        re = sanitize(isempty(reason) ? "-" : reason);
        a = sanitize(isempty(actor) ? "-" : actor);
        t = sanitize(isempty(token_id) ? "-" : token_id);
        if (!r || !re || !a || !t)
                return log_oom();

        printf("%s\nreason: %s\nactor: %s\ntoken: %s\n", r, re, a, t);
        return 0;
}

static int verb_authorize(int argc, char *argv[]) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_erase_ char *token = NULL, *otp = NULL;
        const char *result, *reason, *actor, *token_id;
        int r;

        if (action_from_string(argv[1]) < 0)
                return log_usage("Invalid action '%s': use read or publish.", argv[1]);

        make_undumpable();

        r = read_secret("token", "Token: ", &token);
        if (r < 0)
                return r;
        if (arg_otp) {
                r = read_secret("OTP", "OTP: ", &otp);
                if (r < 0)
                        return r;
        }

        r = method_new(&m, "Authorize");
        if (r < 0)
                return r;
        (void) sd_bus_message_sensitive(m);

        r = sd_bus_message_append(m, "sss", token, argv[0], argv[1]);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r >= 0 && arg_remote)
                r = sd_bus_message_append(m, "{sv}", "remote", "s", arg_remote);
        if (r >= 0 && otp)
                r = sd_bus_message_append(m, "{sv}", "otp", "s", otp);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r < 0)
                return log_error_errno(r, "Failed to build Authorize call: %m");

        r = method_call(m, "authorize", &reply);
        if (r < 0)
                return r;

        r = sd_bus_message_read(reply, "ssss", &result, &reason, &actor, &token_id);
        if (r < 0)
                return log_error_errno(r, "Failed to parse reply from pkgtokend: %m");

        r = print_authorize_result(result, reason, actor, token_id);
        if (r < 0)
                return r;

        /* Fail closed: any answer but "allowed", including one this version does not know, is
         * a refusal. */
        return streq(result, authz_result_to_string(AUTHZ_ALLOWED)) ? 0 : EXIT_FAILURE;
}

/* ---------------------------------------------------------------------------------------------
 * Passwords, two-factor authentication and login (npm's model, design §3). */

static int read_new_password(char **ret) {
        _cleanup_erase_ char *password = NULL, *again = NULL;
        int r;

        r = read_password("new password", "New password: ", &password);
        if (r < 0)
                return r;

        /* Typing blind needs a second go; a password from a pipe was not mistyped. */
        if (!arg_password_stdin) {
                r = read_password("new password", "Retype new password: ", &again);
                if (r < 0)
                        return r;
                if (!streq(password, again))
                        return log_error_errno(EINVAL, "The passwords do not match; nothing was changed.");
        }

        *ret = password;
        password = NULL;
        return 0;
}

static int verb_account_passwd(int argc, char *argv[]) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_erase_ char *old = NULL, *password = NULL;
        int r;

        /* Prompting needs a terminal; without one, the caller says where the password is,
         * rather than this program guessing that stdin holds it. */
        if (!arg_password_stdin && !isatty(STDIN_FILENO))
                return log_usage("Standard input is not a terminal: use --password-stdin and write "
                                 "the password%s to standard input.",
                                 arg_old_password ? "s (old, then new, one per line)" : "");

        make_undumpable();

        if (arg_old_password) {
                r = read_password("old password", "Current password: ", &old);
                if (r < 0)
                        return r;
        }
        r = read_new_password(&password);
        if (r < 0)
                return r;

        r = method_new(&m, "SetPassword");
        if (r < 0)
                return r;
        (void) sd_bus_message_sensitive(m);

        r = sd_bus_message_append(m, "ss", argv[0], password);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r >= 0 && old)
                r = sd_bus_message_append(m, "{sv}", "old_password", "s", old);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r < 0)
                return log_error_errno(r, "Failed to build SetPassword call: %m");

        return method_call(m, "set password", NULL);
}

/* Reads an "as" of secrets (recovery codes) without copying them: the pointers point into the
 * reply, which is marked sensitive and so wiped when it is freed.  *ret is NULL-terminated;
 * free the array alone. */
static int reply_read_codes(sd_bus_message *reply, const char ***ret) {
        _cleanup_free_ const char **codes = NULL;
        size_t n = 0;
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "s");
        if (r < 0)
                goto fail;

        for (;;) {
                const char *code, **a;

                r = sd_bus_message_read_basic(reply, 's', &code);
                if (r < 0)
                        goto fail;
                if (r == 0)
                        break;
                if (!secret_is_printable(code)) {
                        r = -EBADMSG;
                        goto fail;
                }

                a = reallocarray(codes, n + 2, sizeof *codes);
                if (!a)
                        return log_oom();
                codes = a;
                codes[n++] = code;
                codes[n] = NULL;
        }

        r = sd_bus_message_exit_container(reply);
        if (r < 0)
                goto fail;
        if (n == 0) {
                r = -EBADMSG;   /* every method that answers with codes makes new ones */
                goto fail;
        }

        *ret = codes;
        codes = NULL;
        return 0;

fail:
        return log_error_errno(r, "Failed to parse reply from pkgtokend: %m");
}

/* Recovery codes: one per line on stdout (nothing else there, so "> file" keeps exactly the
 * codes), or {"recovery_codes": [...]}; what they are for goes to stderr. */
static int print_recovery_codes(const char * const *codes, const char *headline) {
        if (arg_json != JSON_OFF) {
                _cleanup_json_ json_object *o = NULL, *a = NULL;

                o = json_object_new_object();
                a = json_object_new_array();
                if (!o || !a)
                        return log_oom();
                for (const char * const *c = codes; *c; c++) {
                        json_object *v = json_object_new_string(*c);

                        if (!v || json_object_array_add(a, v) < 0) {
                                json_object_put(v);
                                json_erase_strings(a);
                                return log_oom();
                        }
                }
                if (json_object_object_add(o, "recovery_codes", a) < 0) {
                        json_erase_strings(a);
                        return log_oom();
                }
                a = NULL;
                return print_json_secret(o);
        }

        fprintf(stderr, "%s\n"
                "These recovery codes are shown only this once. Keep them somewhere safe, apart from\n"
                "your phone: each one can be used once instead of a code from the app.\n",
                headline);

        for (const char * const *c = codes; *c; c++) {
                int r = write_secret_line(*c);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The enrolment URI as a QR code to scan and as text to type, on stdout only: it carries the
 * TOTP secret, and stderr is what services and scripts send to logs. */
static int print_enrollment(const char *uri) {
        _cleanup_erase_ char *qr = NULL;
        bool colors;
        int r;

        /* Colours make the code dark on light whatever the terminal's theme; a file gets none. */
        colors = isatty(STDOUT_FILENO) && !streq_ptr(getenv("TERM"), "dumb");

        r = qr_code_render(uri, colors, &qr);
        if (r < 0)
                log_error_errno(r, "Cannot draw the URI as a QR code, enter it by hand: %m");
        else
                fputs("Scan this QR code with your authenticator app, or enter the secret from the "
                      "URI below:\n", stderr);

        if (qr) {
                r = write_secret(qr, false);
                if (r < 0)
                        return r;
        }
        return write_secret_line(uri);
}

static int print_enrollment_json(const char *uri) {
        _cleanup_json_ json_object *o = json_object_new_object();

        if (!o || json_add_string(o, "uri", uri) < 0) {
                json_erase_strings(o);
                return log_oom();
        }
        return print_json_secret(o);
}

/* ConfirmTOTP with a code from stdin or the terminal; prints the recovery codes. */
static int confirm_totp(const char *account) {
        bool tty = isatty(STDIN_FILENO);

        for (unsigned attempt = 1;; attempt++) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                _cleanup_erase_ char *otp = NULL;
                _cleanup_free_ const char **codes = NULL;
                int r;

                r = read_otp(OTP_PROMPT_APP, &otp);
                if (r < 0)
                        return r;

                r = method_new(&m, "ConfirmTOTP");
                if (r < 0)
                        return r;
                (void) sd_bus_message_sensitive(m);
                r = sd_bus_message_append(m, "sssa{sv}", account, otp, arg_mode ?: "", 0);
                if (r < 0)
                        return log_error_errno(r, "Failed to build ConfirmTOTP call: %m");

                r = sd_bus_call(bus, m, 0, &error, &reply);
                if (r < 0) {
                        bool again = tty && attempt < OTP_ATTEMPTS_MAX &&
                                     sd_bus_error_has_names(&error, PKGTOKEN_ERROR_BAD_OTP,
                                                            PKGTOKEN_ERROR_REPLAYED_OTP);

                        log_bus_error("confirm two-factor authentication", &error, r);
                        if (!again)
                                return r;
                        continue;
                }

                (void) sd_bus_message_sensitive(reply);
                r = reply_read_codes(reply, &codes);
                if (r < 0)
                        return r;

                fprintf(stderr, "Two-factor authentication is now on for account '%s'%s%s.\n",
                        account, arg_mode ? ", mode " : "", arg_mode ?: "");
                return print_recovery_codes(codes, "Recovery codes:");
        }
}

static int verb_account_2fa_enable(int argc, char *argv[]) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *uri;
        int r;

        make_undumpable();

        r = method_call_simple("EnrollTOTP", "start two-factor enrolment", &reply,
                               "sa{sv}", argv[0], 0);
        if (r < 0)
                return r;
        (void) sd_bus_message_sensitive(reply);

        r = sd_bus_message_read(reply, "s", &uri);
        if (r < 0)
                return log_error_errno(r, "Failed to parse reply from pkgtokend: %m");
        if (strncmp(uri, "otpauth://", 10) != 0 || !secret_is_printable(uri))
                return log_error_errno(EBADMSG, "pkgtokend sent an enrolment URI that is not an "
                                       "otpauth:// URI.");

        /* JSON is for programs: one document, no drawing, no prompt. */
        if (arg_json != JSON_OFF)
                return print_enrollment_json(uri);

        r = print_enrollment(uri);
        if (r < 0)
                return r;

        if (!isatty(STDIN_FILENO)) {
                fprintf(stderr, "Then run '%s account 2fa confirm %s%s%s' with a code from the app "
                        "on standard input to turn two-factor authentication on.\n",
                        PROGRAM_NAME, argv[0], arg_mode ? " --mode=" : "", arg_mode ?: "");
                return 0;
        }

        r = confirm_totp(argv[0]);
        if (r < 0)
                fprintf(stderr, "Two-factor authentication is not on yet; run '%s account 2fa "
                        "confirm %s' to finish.\n", PROGRAM_NAME, argv[0]);
        return r;
}

static int verb_account_2fa_confirm(int argc, char *argv[]) {
        make_undumpable();
        return confirm_totp(argv[0]);
}

/* The one-time code that 2FA management asks of the account's owner.  --force leaves it out:
 * an administrator's override for an owner who lost both the phone and the recovery codes. */
static int read_owner_otp(char **ret) {
        if (arg_force) {
                *ret = NULL;
                return 0;
        }
        return read_otp(OTP_PROMPT_ANY, ret);
}

static int set_twofa_mode(const char *account, const char *mode) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_erase_ char *otp = NULL;
        int r;

        make_undumpable();

        r = read_owner_otp(&otp);
        if (r < 0)
                return r;

        r = method_new(&m, "SetTwoFactorMode");
        if (r < 0)
                return r;
        (void) sd_bus_message_sensitive(m);

        r = sd_bus_message_append(m, "sssa{sv}", account, mode, otp ?: "",
                                  1, "admin_override", "b", (int) arg_force);
        if (r < 0)
                return log_error_errno(r, "Failed to build SetTwoFactorMode call: %m");

        return method_call(m, "set two-factor mode", NULL);
}

static int verb_account_2fa_disable(int argc, char *argv[]) {
        return set_twofa_mode(argv[0], twofa_mode_to_string(TWOFA_DISABLED));
}

static int verb_account_2fa_mode(int argc, char *argv[]) {
        if (twofa_mode_from_string(argv[1]) < 0)
                return log_usage("Invalid 2FA mode '%s': use auth-only, auth-and-writes or disabled.",
                                 argv[1]);

        return set_twofa_mode(argv[0], argv[1]);
}

static int verb_account_2fa_recovery_codes(int argc, char *argv[]) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_erase_ char *otp = NULL;
        _cleanup_free_ const char **codes = NULL;
        int r;

        make_undumpable();

        r = read_owner_otp(&otp);
        if (r < 0)
                return r;

        r = method_new(&m, "RegenerateRecoveryCodes");
        if (r < 0)
                return r;
        (void) sd_bus_message_sensitive(m);

        r = sd_bus_message_append(m, "ssa{sv}", argv[0], otp ?: "",
                                  1, "admin_override", "b", (int) arg_force);
        if (r < 0)
                return log_error_errno(r, "Failed to build RegenerateRecoveryCodes call: %m");

        r = method_call(m, "make new recovery codes", &reply);
        if (r < 0)
                return r;
        (void) sd_bus_message_sensitive(reply);

        r = reply_read_codes(reply, &codes);
        if (r < 0)
                return r;

        return print_recovery_codes(codes, "New recovery codes; the old ones no longer work.");
}

static int authenticate_call(const char *account, const char *password, const char *otp,
                             sd_bus_message **ret_reply) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = method_new(&m, "Authenticate");
        if (r < 0)
                return r;
        (void) sd_bus_message_sensitive(m);

        r = sd_bus_message_append(m, "sss", account, password, otp ?: "");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r >= 0 && arg_remote)
                r = sd_bus_message_append(m, "{sv}", "remote", "s", arg_remote);
        if (r >= 0 && arg_session)
                r = sd_bus_message_append(m, "{sv}", "session", "b", 1);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r < 0)
                return log_error_errno(r, "Failed to build Authenticate call: %m");

        r = method_call(m, "authenticate", ret_reply);
        if (r < 0)
                return r;

        /* A session token may be in the reply. */
        (void) sd_bus_message_sensitive(*ret_reply);
        return 0;
}

/* {"result", "reason"} and whatever details the daemon sent (session_id, session_token,
 * session_expires_at), so fields it adds later reach scripts without changes here. */
static int print_login_json(const char *result, const char *reason, json_object *details) {
        _cleanup_json_ json_object *o = json_object_new_object();

        if (!o || json_add_string(o, "result", result) < 0 ||
            json_add_string(o, "reason", reason) < 0)
                return log_oom();

        json_object_object_foreach(details, key, value)
                if (json_object_object_add(o, key, json_object_get(value)) < 0) {
                        json_object_put(value);
                        json_erase_strings(o);
                        return log_oom();
                }

        return print_json_secret(o);
}

/* A timestamp from the details of a reply, as in tables; false when absent or 0. */
static bool details_timestamp(json_object *details, const char *key, char *buf, size_t size) {
        uint64_t u;

        if (!json_get_unsigned(details, key, &u) || u == 0)
                return false;
        if (format_timestamp_utc(u, buf, size) < 0)
                snprintf(buf, size, "@%" PRIu64, u / USEC_PER_SEC);
        return true;
}

/* The result word on the first line (as "authorize" does), then "reason: ...", then
 * "locked until: TIME" for a lockout that ends, and for a session "session: ID expires TIME"
 * and the session token alone on its line. */
static int print_login_text(const char *result, const char *reason, json_object *details) {
        _cleanup_free_ char *result_clean = NULL, *reason_clean = NULL, *id_clean = NULL;
        const char *id, *token;
        char when[64];

        result_clean = sanitize(result);
        reason_clean = sanitize(isempty(reason) ? "-" : reason);
        if (!result_clean || !reason_clean)
                return log_oom();
        printf("%s\nreason: %s\n", result_clean, reason_clean);

        if (details_timestamp(details, "locked_until", when, sizeof when))
                printf("locked until: %s\n", when);

        token = json_get_string(details, "session_token");
        if (!token)
                return 0;
        if (!secret_is_printable(token))
                return log_error_errno(EBADMSG, "pkgtokend sent a session token that is not printable.");

        id = json_get_string(details, "session_id");
        id_clean = sanitize(isempty(id) ? "-" : id);
        if (!id_clean)
                return log_oom();
        if (!details_timestamp(details, "session_expires_at", when, sizeof when))
                strcpy(when, "never");
        printf("session: %s expires %s\n", id_clean, when);

        return write_secret_line(token);
}

static int verb_login(int argc, char *argv[]) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_erase_ char *password = NULL, *otp = NULL;
        _cleanup_json_ json_object *details = NULL;
        const char *result, *reason;
        bool ok;
        int r;

        make_undumpable();

        r = read_password("password", "Password: ", &password);
        if (r < 0)
                return r;
        if (arg_otp) {
                r = read_otp(OTP_PROMPT_ANY, &otp);
                if (r < 0)
                        return r;
        }

        r = authenticate_call(argv[0], password, otp, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "ss", &result, &reason);
        if (r < 0)
                return log_error_errno(r, "Failed to parse reply from pkgtokend: %m");

        /* As npm does: the code is asked for only once the password is known to be right, and
         * only of a person at a terminal.  The password is sent again rather than the daemon
         * keeping a half-finished login around. */
        if (!otp && isatty(STDIN_FILENO) && streq(result, authn_result_to_string(AUTHN_OTP_REQUIRED))) {
                r = read_otp(OTP_PROMPT_ANY, &otp);
                if (r < 0)
                        return r;

                reply = sd_bus_message_unref(reply);
                r = authenticate_call(argv[0], password, otp, &reply);
                if (r < 0)
                        return r;
                r = sd_bus_message_read(reply, "ss", &result, &reason);
                if (r < 0)
                        return log_error_errno(r, "Failed to parse reply from pkgtokend: %m");
        }

        erase_and_freep(&password);
        password = NULL;

        r = reply_read_json(reply, json_type_object, &details);
        if (r < 0)
                return r;

        ok = streq(result, authn_result_to_string(AUTHN_OK));
        if (ok && arg_session && !json_get_string(details, "session_token")) {
                json_erase_strings(details);
                return log_error_errno(EBADMSG, "pkgtokend accepted the login but sent no session token.");
        }

        if (arg_json != JSON_OFF)
                r = print_login_json(result, reason, details);
        else
                r = print_login_text(result, reason, details);
        json_erase_strings(details);
        if (r < 0)
                return r;

        /* Fail closed: any answer but "ok", including one this version does not know. */
        return ok ? 0 : EXIT_FAILURE;
}

static int verb_audit(int argc, char *argv[]) {
        int r;

        r = check_package_filter("audit");
        if (r != 0)
                return r;

        return call_and_print("ListAuditEvents", "list audit events", json_type_array,
                              audit_columns, ELEMENTSOF(audit_columns), "event", "events",
                              "stu", arg_packages ? arg_packages[0] : "",
                              (uint64_t) arg_since, arg_limit);
}

static int help(void) {
        printf("%1$s [OPTIONS...] COMMAND ...\n"
               "\n"
               "Manage the accounts, packages and publishing tokens of pkgtokend.\n"
               "\n"
               "Commands:\n"
               "  status                         Show the daemon's state\n"
               "  account add NAME               Create an account (--email=, --kind=)\n"
               "  account list                   List accounts\n"
               "  account show NAME              Show an account\n"
               "  account lock NAME              Lock an account\n"
               "  account unlock NAME            Unlock an account, also after too many failed\n"
               "                                 logins\n"
               "  account remove NAME            Remove an account\n"
               "  account passwd NAME            Set an account's password\n"
               "  account 2fa enable NAME        Set up an authenticator app: shows a QR code,\n"
               "                                 asks for a code, prints recovery codes\n"
               "  account 2fa confirm NAME       Finish the set-up with a code from the app\n"
               "  account 2fa disable NAME       Turn two-factor authentication off\n"
               "  account 2fa mode NAME MODE     Set the 2FA mode: auth-only, auth-and-writes\n"
               "                                 or disabled\n"
               "  account 2fa recovery-codes NAME\n"
               "                                 Replace the recovery codes\n"
               "  package add NAME               Create a package (--policy=, --maintainer=)\n"
               "  package list                   List packages\n"
               "  package show NAME              Show a package\n"
               "  package policy NAME POLICY     Set the publishing policy\n"
               "  package maintainer add PACKAGE ACCOUNT\n"
               "                                 Add a maintainer\n"
               "  package maintainer remove PACKAGE ACCOUNT\n"
               "                                 Remove a maintainer\n"
               "  token create ACCOUNT --type=TYPE\n"
               "                                 Create a token; the secret is printed once\n"
               "  token list                     List tokens (--account=, --package=)\n"
               "  token show ID                  Show a token\n"
               "  token revoke ID                Revoke a token\n"
               "  authorize PACKAGE ACTION       Check the token on stdin for ACTION\n"
               "                                 (read or publish); exits 0 only if allowed\n"
               "  login NAME                     Check a password (and one-time code) as a\n"
               "                                 registry would; exits 0 only if ok\n"
               "  audit                          Show audit events (--package=, --since=, --limit=)\n"
               "  help                           Show this help\n"
               "\n"
               "Options:\n"
               "  -h --help                      Show this help\n"
               "     --version                   Show the version\n"
               "     --bus-address=ADDRESS       Talk to pkgtokend on this bus instead of the\n"
               "                                 system bus (default: $%2$s)\n"
               "     --json[=short|pretty]       Print JSON instead of text\n"
               "     --no-legend                 Print tables without header and footer\n"
               "\n"
               "  account add:\n"
               "     --email=ADDRESS             E-mail address\n"
               "     --kind=human|service        Kind of account (default: human)\n"
               "  account passwd:\n"
               "     --password-stdin            Read the password from stdin, not typed twice\n"
               "                                 at a prompt (required without a terminal)\n"
               "     --old-password              Also give the current password, first\n"
               "  account 2fa enable, account 2fa confirm:\n"
               "     --mode=MODE                 auth-and-writes (default) or auth-only\n"
               "  account 2fa disable, mode, recovery-codes:\n"
               "     --force                     Administrator override: no one-time code needed\n"
               "  package add:\n"
               "     --policy=POLICY             none, 2fa-or-automation (default) or 2fa-only\n"
               "     --maintainer=ACCOUNT        Maintainer (repeatable)\n"
               "  token create:\n"
               "     --type=TYPE                 read-only, publish or automation (required)\n"
               "     --package=PATTERN           Limit to a package, \"@scope/*\" or \"prefix*\"\n"
               "                                 (repeatable; default: all maintained packages)\n"
               "     --package-owned             Owned by its packages, not by ACCOUNT\n"
               "     --description=TEXT          What the token is for\n"
               "     --expires=WHEN              90d, 12h, 30m, YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ\n"
               "                                 (UTC) or none (default)\n"
               "     --cidr=CIDR                 Allowed client network (repeatable)\n"
               "     --otp                       Read a one-time code from stdin (needed when the\n"
               "                                 account uses 2FA; prompted for on a terminal)\n"
               "  token list:\n"
               "     --account=NAME              Only tokens of this account\n"
               "     --package=NAME              Only tokens for this package\n"
               "  authorize:\n"
               "     --remote=ADDRESS            Client address, checked against the token's CIDRs\n"
               "     --otp                       Read an OTP from the second line of stdin\n"
               "  login:\n"
               "     --session                   On success, ask for a short-lived session token\n"
               "     --remote=ADDRESS            Client address, for the per-address limits\n"
               "     --otp                       Read the one-time code (or a recovery code) from\n"
               "                                 the second line of stdin\n"
               "  audit:\n"
               "     --package=NAME              Only events of this package\n"
               "     --since=WHEN                Only events since 7d, 12h, 30m or a UTC date\n"
               "     --limit=N                   At most N events (default: 100)\n"
               "\n"
               "Secrets are never taken from the command line: passwords, tokens and one-time\n"
               "codes are read from standard input, one per line, or prompted for without echo\n"
               "on a terminal.\n",
               PROGRAM_NAME, PKGTOKEN_BUS_ADDRESS_ENV);
        return 0;
}

static int verb_help(int argc, char *argv[]) {
        return help();
}

/* ---------------------------------------------------------------------------------------------
 * Verb table and dispatch (systemd's verbs pattern, with multi-word verbs). */

typedef struct Verb {
        const char *name;       /* words separated by single spaces */
        const char *usage;      /* operands, for the wrong-number-of-arguments message */
        unsigned min_args;
        unsigned max_args;      /* operands after the verb words */
        unsigned options;       /* VerbOption bits accepted */
        int (*run)(int argc, char *argv[]);
} Verb;

static const Verb verbs[] = {
        { "status",                    "",                0, 0, 0,                  verb_status },
        { "account add",               "NAME",            1, 1, OPT_EMAIL|OPT_KIND, verb_account_add },
        { "account list",              "",                0, 0, 0,                  verb_account_list },
        { "account show",              "NAME",            1, 1, 0,                  verb_account_show },
        { "account lock",              "NAME",            1, 1, 0,                  verb_account_lock },
        { "account unlock",            "NAME",            1, 1, 0,                  verb_account_unlock },
        { "account remove",            "NAME",            1, 1, 0,                  verb_account_remove },
        { "account passwd",            "NAME",            1, 1, OPT_PASSWORD_STDIN|OPT_OLD_PASSWORD,
          verb_account_passwd },
        { "account 2fa enable",        "NAME",            1, 1, OPT_MODE,           verb_account_2fa_enable },
        { "account 2fa confirm",       "NAME",            1, 1, OPT_MODE,           verb_account_2fa_confirm },
        { "account 2fa disable",       "NAME",            1, 1, OPT_FORCE,          verb_account_2fa_disable },
        { "account 2fa mode",          "NAME MODE",       2, 2, OPT_FORCE,          verb_account_2fa_mode },
        { "account 2fa recovery-codes", "NAME",           1, 1, OPT_FORCE,
          verb_account_2fa_recovery_codes },
        { "package add",               "NAME",            1, 1, OPT_POLICY|OPT_MAINTAINER, verb_package_add },
        { "package list",              "",                0, 0, 0,                  verb_package_list },
        { "package show",              "NAME",            1, 1, 0,                  verb_package_show },
        { "package policy",            "NAME POLICY",     2, 2, 0,                  verb_package_policy },
        { "package maintainer add",    "PACKAGE ACCOUNT", 2, 2, 0,
          verb_package_maintainer_add },
        { "package maintainer remove", "PACKAGE ACCOUNT", 2, 2, 0,
          verb_package_maintainer_remove },
        { "token create",              "ACCOUNT --type=TYPE", 1, 1,
          OPT_TYPE|OPT_PACKAGE|OPT_PACKAGE_OWNED|OPT_DESCRIPTION|OPT_EXPIRES|OPT_CIDR|OPT_OTP,
          verb_token_create },
        { "token list",                "",                0, 0, OPT_ACCOUNT|OPT_PACKAGE, verb_token_list },
        { "token show",                "ID",              1, 1, 0,                  verb_token_show },
        { "token revoke",              "ID",              1, 1, 0,                  verb_token_revoke },
        { "authorize",                 "PACKAGE ACTION",  2, 2, OPT_REMOTE|OPT_OTP, verb_authorize },
        { "login",                     "NAME",            1, 1, OPT_SESSION|OPT_REMOTE|OPT_OTP, verb_login },
        { "audit",                     "",                0, 0, OPT_PACKAGE|OPT_SINCE|OPT_LIMIT, verb_audit },
        { "help",                      "",                0, UINT_MAX, ~0U,         verb_help },
};

/* How many leading words of name equal argv[0..]; *complete says whether that was all of it. */
static unsigned verb_match_words(const char *name, int argc, char *argv[], bool *complete) {
        unsigned n = 0;
        const char *p = name;

        for (;;) {
                size_t len = strcspn(p, " ");

                if ((int) n >= argc || strlen(argv[n]) != len || strncmp(argv[n], p, len) != 0) {
                        *complete = false;
                        return n;
                }
                n++;
                if (!p[len]) {
                        *complete = true;
                        return n;
                }
                p += len + 1;
        }
}

/* "package" or "package maintainer" without a known subcommand: list the possible ones. */
static int log_missing_subcommand(int argc, char *argv[], unsigned depth) {
        char list[256] = "";
        const char *prev = NULL;
        size_t prev_len = 0;
        char group[128] = "";

        for (unsigned i = 0; i < depth; i++) {
                if (i > 0)
                        strncat(group, " ", sizeof group - strlen(group) - 1);
                strncat(group, argv[i], sizeof group - strlen(group) - 1);
        }

        for (size_t v = 0; v < ELEMENTSOF(verbs); v++) {
                const char *word;
                size_t len;
                bool complete;

                if (verb_match_words(verbs[v].name, (int) depth, argv, &complete) != depth || complete)
                        continue;

                word = verbs[v].name;
                for (unsigned i = 0; i < depth; i++)
                        word = strchr(word, ' ') + 1;
                len = strcspn(word, " ");
                if (prev && prev_len == len && strncmp(prev, word, len) == 0)
                        continue;       /* "maintainer add" and "maintainer remove" */

                if (*list)
                        strncat(list, ", ", sizeof list - strlen(list) - 1);
                strncat(list, word, MIN_SIZE(len, sizeof list - strlen(list) - 1));
                prev = word;
                prev_len = len;
        }

        if ((unsigned) argc == depth)
                return log_usage("'%s' needs a subcommand: %s.", group, list);
        return log_usage("Unknown command '%s %s': '%s' takes %s.", group, argv[depth], group, list);
}

static int dispatch_verb(int argc, char *argv[]) {
        const Verb *verb = NULL;
        unsigned words = 0, best_partial = 0, n_args;

        if (argc <= 0)
                return log_usage("Missing command. See '%s --help'.", PROGRAM_NAME);

        for (size_t v = 0; v < ELEMENTSOF(verbs); v++) {
                bool complete;
                unsigned n = verb_match_words(verbs[v].name, argc, argv, &complete);

                if (complete) {
                        verb = verbs + v;
                        words = n;
                        break;
                }
                if (n > best_partial)
                        best_partial = n;
        }

        if (!verb) {
                if (best_partial == 0)
                        return log_usage("Unknown command '%s'. See '%s --help'.", argv[0], PROGRAM_NAME);
                return log_missing_subcommand(argc, argv, best_partial);
        }

        n_args = (unsigned) argc - words;
        if (n_args < verb->min_args || n_args > verb->max_args)
                return log_usage("Wrong number of arguments for '%s'. Usage: %s %s%s%s",
                                 verb->name, PROGRAM_NAME, verb->name,
                                 isempty(verb->usage) ? "" : " ", verb->usage);

        for (size_t i = 0; i < ELEMENTSOF(verb_option_names); i++)
                if ((arg_seen & (1U << i)) && !(verb->options & (1U << i)))
                        return log_usage("Option %s cannot be used with '%s'.",
                                         verb_option_names[i], verb->name);

        return verb->run((int) n_args, argv + words);
}

/* ---------------------------------------------------------------------------------------------
 * Options.  Values are checked here, before any bus traffic, so that a typo is a usage error
 * (exit 2) and never reaches the daemon.  Names given as operands are checked by the daemon,
 * which is the authority on them. */

static int parse_argv(int argc, char *argv[]) {
        enum {
                ARG_VERSION = 0x100,
                ARG_BUS_ADDRESS,
                ARG_JSON,
                ARG_NO_LEGEND,
                ARG_EMAIL,
                ARG_KIND,
                ARG_POLICY,
                ARG_MAINTAINER,
                ARG_TYPE,
                ARG_PACKAGE,
                ARG_PACKAGE_OWNED,
                ARG_DESCRIPTION,
                ARG_EXPIRES,
                ARG_CIDR,
                ARG_ACCOUNT,
                ARG_REMOTE,
                ARG_OTP,
                ARG_SINCE,
                ARG_LIMIT,
                ARG_PASSWORD_STDIN,
                ARG_OLD_PASSWORD,
                ARG_MODE,
                ARG_FORCE,
                ARG_SESSION,
        };
        static const struct option options[] = {
                { "help",          no_argument,       NULL, 'h'               },
                { "version",       no_argument,       NULL, ARG_VERSION       },
                { "bus-address",   required_argument, NULL, ARG_BUS_ADDRESS   },
                { "json",          optional_argument, NULL, ARG_JSON          },
                { "no-legend",     no_argument,       NULL, ARG_NO_LEGEND     },
                { "email",         required_argument, NULL, ARG_EMAIL         },
                { "kind",          required_argument, NULL, ARG_KIND          },
                { "policy",        required_argument, NULL, ARG_POLICY        },
                { "maintainer",    required_argument, NULL, ARG_MAINTAINER    },
                { "type",          required_argument, NULL, ARG_TYPE          },
                { "package",       required_argument, NULL, ARG_PACKAGE       },
                { "package-owned", no_argument,       NULL, ARG_PACKAGE_OWNED },
                { "description",   required_argument, NULL, ARG_DESCRIPTION   },
                { "expires",       required_argument, NULL, ARG_EXPIRES       },
                { "cidr",          required_argument, NULL, ARG_CIDR          },
                { "account",       required_argument, NULL, ARG_ACCOUNT       },
                { "remote",        required_argument, NULL, ARG_REMOTE        },
                { "otp",           no_argument,       NULL, ARG_OTP           },
                { "since",         required_argument, NULL, ARG_SINCE         },
                { "limit",         required_argument, NULL, ARG_LIMIT         },
                { "password-stdin", no_argument,      NULL, ARG_PASSWORD_STDIN },
                { "old-password",  no_argument,       NULL, ARG_OLD_PASSWORD  },
                { "mode",          required_argument, NULL, ARG_MODE          },
                { "force",         no_argument,       NULL, ARG_FORCE         },
                { "session",       no_argument,       NULL, ARG_SESSION       },
                {}
        };
        usec_t now = now_realtime_usec();
        int c, r;

        /* Our own messages instead of getopt's, which name argv[0] with its full path. */
        opterr = 0;

        while ((c = getopt_long(argc, argv, ":h", options, NULL)) >= 0) {
                switch (c) {

                case 'h':
                        help();
                        return 0;

                case ARG_VERSION:
                        printf("%s %s\n", PROGRAM_NAME, PKGTOKEN_VERSION);
                        return 0;

                case ARG_BUS_ADDRESS:
                        if (isempty(optarg))
                                return log_error_errno(EINVAL, "--bus-address= needs an address.");
                        arg_bus_address = optarg;
                        break;

                case ARG_JSON:
                        if (!optarg || streq(optarg, "short"))
                                arg_json = JSON_SHORT;
                        else if (streq(optarg, "pretty"))
                                arg_json = JSON_PRETTY;
                        else if (streq(optarg, "off"))
                                arg_json = JSON_OFF;
                        else
                                return log_error_errno(EINVAL, "Invalid --json='%s': use short or pretty.",
                                                       optarg);
                        break;

                case ARG_NO_LEGEND:
                        arg_legend = false;
                        break;

                case ARG_EMAIL:
                        if (!email_is_valid(optarg))
                                return log_error_errno(EINVAL, "Invalid e-mail address '%s'.", optarg);
                        arg_email = optarg;
                        arg_seen |= OPT_EMAIL;
                        break;

                case ARG_KIND:
                        if (account_kind_from_string(optarg) < 0)
                                return log_error_errno(EINVAL, "Invalid account kind '%s': use human or "
                                                       "service.", optarg);
                        arg_kind = optarg;
                        arg_seen |= OPT_KIND;
                        break;

                case ARG_POLICY:
                        if (package_policy_from_string(optarg) < 0)
                                return log_error_errno(EINVAL, "Invalid policy '%s': use none, "
                                                       "2fa-or-automation or 2fa-only.", optarg);
                        arg_policy = optarg;
                        arg_seen |= OPT_POLICY;
                        break;

                case ARG_MAINTAINER:
                        if (!account_name_is_valid(optarg))
                                return log_error_errno(EINVAL, "Invalid account name '%s'.", optarg);
                        if (strv_extend(&arg_maintainers, optarg) < 0)
                                return log_oom();
                        arg_seen |= OPT_MAINTAINER;
                        break;

                case ARG_TYPE:
                        /* Session tokens exist, but only "login --session" hands them out. */
                        r = token_type_from_string(optarg);
                        if (r < 0 || r == TOKEN_SESSION)
                                return log_error_errno(EINVAL, "Invalid token type '%s': use read-only, "
                                                       "publish or automation.", optarg);
                        arg_type = optarg;
                        arg_seen |= OPT_TYPE;
                        break;

                case ARG_PACKAGE: {
                        /* A pattern for "token create", a name for the filters: the verb checks
                         * which; here only that it can be either. */
                        _cleanup_free_ char *canonical = NULL;

                        if (!scope_pattern_is_valid(optarg) &&
                            package_name_canonicalize(optarg, &canonical) < 0)
                                return log_error_errno(EINVAL, "Invalid package name '%s'.", optarg);
                        if (strv_extend(&arg_packages, optarg) < 0)
                                return log_oom();
                        arg_seen |= OPT_PACKAGE;
                        break;
                }

                case ARG_PACKAGE_OWNED:
                        arg_package_owned = true;
                        arg_seen |= OPT_PACKAGE_OWNED;
                        break;

                case ARG_DESCRIPTION:
                        if (!description_is_valid(optarg))
                                return log_error_errno(EINVAL, "Invalid description: at most %d bytes "
                                                       "of UTF-8 text without control characters.",
                                                       DESCRIPTION_MAX);
                        arg_description = optarg;
                        arg_seen |= OPT_DESCRIPTION;
                        break;

                case ARG_EXPIRES:
                        r = parse_expires(optarg, now, &arg_expires);
                        if (r < 0)
                                return r;
                        arg_seen |= OPT_EXPIRES;
                        break;

                case ARG_CIDR:
                        if (!cidr_is_valid(optarg))
                                return log_error_errno(EINVAL, "Invalid CIDR '%s' (e.g. 192.0.2.0/24, "
                                                       "2001:db8::/32; host bits must be zero).", optarg);
                        if (strv_extend(&arg_cidrs, optarg) < 0)
                                return log_oom();
                        arg_seen |= OPT_CIDR;
                        break;

                case ARG_ACCOUNT:
                        if (!account_name_is_valid(optarg))
                                return log_error_errno(EINVAL, "Invalid account name '%s'.", optarg);
                        arg_account = optarg;
                        arg_seen |= OPT_ACCOUNT;
                        break;

                case ARG_REMOTE: {
                        uint8_t addr[16];
                        int family;

                        if (address_parse(optarg, &family, addr) < 0)
                                return log_error_errno(EINVAL, "Invalid remote address '%s'.", optarg);
                        arg_remote = optarg;
                        arg_seen |= OPT_REMOTE;
                        break;
                }

                case ARG_OTP:
                        arg_otp = true;
                        arg_seen |= OPT_OTP;
                        break;

                case ARG_SINCE:
                        r = parse_since(optarg, now, &arg_since);
                        if (r < 0)
                                return r;
                        arg_seen |= OPT_SINCE;
                        break;

                case ARG_LIMIT:
                        r = parse_u32(optarg, &arg_limit);
                        if (r < 0 || arg_limit == 0)
                                return log_error_errno(EINVAL, "Invalid --limit='%s': a number from 1 to "
                                                       "%" PRIu32 ".", optarg, UINT32_MAX);
                        arg_seen |= OPT_LIMIT;
                        break;

                case ARG_PASSWORD_STDIN:
                        arg_password_stdin = true;
                        arg_seen |= OPT_PASSWORD_STDIN;
                        break;

                case ARG_OLD_PASSWORD:
                        arg_old_password = true;
                        arg_seen |= OPT_OLD_PASSWORD;
                        break;

                case ARG_MODE:
                        /* The mode 2FA is turned on in; "disabled" is not one of them. */
                        if (twofa_mode_from_string(optarg) <= TWOFA_DISABLED)
                                return log_error_errno(EINVAL, "Invalid --mode='%s': use auth-only or "
                                                       "auth-and-writes.", optarg);
                        arg_mode = optarg;
                        arg_seen |= OPT_MODE;
                        break;

                case ARG_FORCE:
                        arg_force = true;
                        arg_seen |= OPT_FORCE;
                        break;

                case ARG_SESSION:
                        arg_session = true;
                        arg_seen |= OPT_SESSION;
                        break;

                case ':':
                        return log_error_errno(EINVAL, "Option '%s' needs a value.", argv[optind - 1]);

                case '?':
                        if (optopt > 0 && optopt < 0x100)
                                return log_error_errno(EINVAL, "Unknown option '-%c'. See '%s --help'.",
                                                       optopt, PROGRAM_NAME);
                        return log_error_errno(EINVAL, "Unknown or invalid option '%s'. See '%s --help'.",
                                               argv[optind - 1], PROGRAM_NAME);

                default:
                        return log_error_errno(EINVAL, "Unhandled option.");
                }
        }

        return 1;
}

int main(int argc, char *argv[]) {
        int r;

        /* Only the character set, for the display width of descriptions in tables.  Every
         * string from the daemon is UTF-8, so under the plain C locale (services, cron, ssh
         * without LANG) measure it as UTF-8 rather than one column per byte. */
        if (!setlocale(LC_CTYPE, "") || !locale_is_utf8())
                (void) setlocale(LC_CTYPE, "C.UTF-8");

        r = parse_argv(argc, argv);
        if (r <= 0) {
                args_free();
                return r < 0 ? EXIT_USAGE : EXIT_SUCCESS;
        }

        /* Verbs return a negative errno after logging a failure, or an exit status. */
        r = dispatch_verb(argc - optind, argv + optind);

        bus = sd_bus_flush_close_unref(bus);
        args_free();

        if (fflush(stdout) != 0 || ferror(stdout)) {
                log_error_errno(errno ?: EIO, "Failed to write output: %m");
                return EXIT_FAILURE;
        }

        return r < 0 ? EXIT_FAILURE : r;
}
