/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* pam_pkgtoken: a PAM module that checks registry accounts and tokens with pkgtokend (design
 * §5).  It is a thin state machine over the daemon's answers:
 *
 *   auth      the secret is a password (+ a one-time code, prompted for or appended), or a
 *             token given as the password; a token is checked for the package and action of
 *             the request (module arguments, the PAM environment, nginx's REQUEST line);
 *   account   the account exists and is not locked;
 *   password  changes the account's password through the daemon (old, new, retype).
 *
 * The module holds no secret but the ones the application hands it, stores nothing, and
 * talks to pkgtokend over a bus connection opened and closed within each PAM call, with a
 * deadline on everything (connect, authenticate, call): a daemon that is absent, hung or
 * refuses us gives PAM_AUTHINFO_UNAVAIL, never a success.  Every outcome becomes a PAM code
 * in one table (outcome_table[]).  No secret is ever logged or shown. */

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <systemd/sd-bus.h>

#include "macro.h"
#include "time-util.h"
#include "erase.h"
#include "names.h"
#include "token.h"
#include "validate.h"

#define _public_ __attribute__((visibility("default")))
#define _printf_(a, b) __attribute__((format(printf, a, b)))

/* The system bus, by its fixed path: never from the environment (PAM modules run inside
 * setuid programs and servers whose environment is not ours to trust). */
#define DEFAULT_BUS_ADDRESS "unix:path=/run/dbus/system_bus_socket"

#define DEFAULT_TIMEOUT_SEC 5
#define TIMEOUT_SEC_MAX     300

#define OTP_DIGITS  6
#define OTP_MAX     16    /* a TOTP code or a recovery code; pkgtokend refuses longer */
#define SECRET_MAX  4096  /* longer "passwords" are refused without asking the daemon */
#define REMOTE_MAX  64
#define BUS_ADDRESS_MAX 4096

#define PROMPT_PASSWORD     "Password: "
#define PROMPT_OTP          "One-time code: "
#define PROMPT_OLD_PASSWORD "Current password: "
#define PROMPT_NEW_PASSWORD "New password: "
#define PROMPT_RETYPE       "Retype new password: "

/* pam_set_data() keys. */
#define DATA_TOKEN_USER     "pam_pkgtoken:token-user"     /* auth succeeded with a token */
#define DATA_SKIP_CHAUTHTOK "pam_pkgtoken:skip-chauthtok" /* PRELIM_CHECK ignored the user */

/* ------------------------------------------------------------------------------------------ */
/* Options                                                                                    */

typedef enum OtpMode {
        OTP_PROMPT,
        OTP_APPEND,
        OTP_NONE,
} OtpMode;

typedef enum Layout {
        LAYOUT_AUTO,
        LAYOUT_NPM,
        LAYOUT_PYPI,
} Layout;

typedef enum Action {
        ACTION_UNSET,
        ACTION_READ,
        ACTION_PUBLISH,
} Action;

typedef struct Options {
        bool debug;
        bool silent;                    /* PAM_SILENT */
        bool use_first_pass;
        bool try_first_pass;
        bool use_authtok;
        bool nullok;
        bool ignore_authinfo_unavail;
        bool tokens;
        uint64_t timeout_usec;
        OtpMode otp;
        Action action;
        const char *package;
        const char *bus_address;
        Layout layout;
        const char *prefix;             /* a path prefix, without trailing slashes */
        size_t prefix_len;
} Options;

static const char *action_to_string(Action a) {
        return a == ACTION_READ ? "read" : a == ACTION_PUBLISH ? "publish" : "-";
}

static Action action_from_string(const char *s) {
        if (streq(s, "read"))
                return ACTION_READ;
        if (streq(s, "publish"))
                return ACTION_PUBLISH;
        return ACTION_UNSET;
}

static bool startswith(const char *s, const char *prefix, const char **ret_rest) {
        size_t n = strlen(prefix);
        if (strncmp(s, prefix, n) != 0)
                return false;
        if (ret_rest)
                *ret_rest = s + n;
        return true;
}

/* Printable ASCII without spaces: package names, paths, addresses in arguments. */
static bool word_is_valid(const char *s, size_t max) {
        size_t n = strnlen(s, max + 1);
        if (n == 0 || n > max)
                return false;
        for (size_t i = 0; i < n; i++)
                if (s[i] <= ' ' || s[i] >= 0x7f)
                        return false;
        return true;
}

static int parse_timeout(const char *s, uint64_t *ret) {
        unsigned long v = 0;

        if (*s < '0' || *s > '9')
                return -EINVAL;
        for (; *s; s++) {
                if (*s < '0' || *s > '9')
                        return -EINVAL;
                v = v * 10 + (unsigned long) (*s - '0');
                if (v > TIMEOUT_SEC_MAX)
                        return -ERANGE;
        }
        if (v == 0)
                return -ERANGE;
        *ret = (uint64_t) v * USEC_PER_SEC;
        return 0;
}

/* The strict argument loop of Linux-PAM's modules: anything unknown or malformed is a
 * configuration error, logged, and the module refuses to run (PAM_SERVICE_ERR). */
static int parse_options(pam_handle_t *pamh, int flags, int argc, const char **argv, Options *o) {
        *o = (Options) {
                .silent = flags & PAM_SILENT,
                .tokens = true,
                .timeout_usec = DEFAULT_TIMEOUT_SEC * USEC_PER_SEC,
                .otp = OTP_PROMPT,
                .bus_address = DEFAULT_BUS_ADDRESS,
                .layout = LAYOUT_AUTO,
                .prefix = "",
        };

        for (int i = 0; i < argc; i++) {
                const char *a = argv[i], *v;

                if (streq(a, "debug"))
                        o->debug = true;
                else if (streq(a, "use_first_pass"))
                        o->use_first_pass = true;
                else if (streq(a, "try_first_pass"))
                        o->try_first_pass = true;
                else if (streq(a, "use_authtok"))
                        o->use_authtok = true;
                else if (streq(a, "nullok"))
                        o->nullok = true;
                else if (streq(a, "ignore_authinfo_unavail"))
                        o->ignore_authinfo_unavail = true;
                else if (startswith(a, "timeout=", &v)) {
                        if (parse_timeout(v, &o->timeout_usec) < 0)
                                goto invalid;
                } else if (startswith(a, "otp=", &v)) {
                        if (streq(v, "prompt"))
                                o->otp = OTP_PROMPT;
                        else if (streq(v, "append"))
                                o->otp = OTP_APPEND;
                        else if (streq(v, "none"))
                                o->otp = OTP_NONE;
                        else
                                goto invalid;
                } else if (startswith(a, "action=", &v)) {
                        o->action = action_from_string(v);
                        if (o->action == ACTION_UNSET)
                                goto invalid;
                } else if (startswith(a, "package=", &v)) {
                        if (!word_is_valid(v, PACKAGE_NAME_MAX))
                                goto invalid;
                        o->package = v;
                } else if (startswith(a, "tokens=", &v)) {
                        if (streq(v, "allow"))
                                o->tokens = true;
                        else if (streq(v, "deny"))
                                o->tokens = false;
                        else
                                goto invalid;
                } else if (startswith(a, "bus=", &v)) {
                        if (!word_is_valid(v, BUS_ADDRESS_MAX))
                                goto invalid;
                        o->bus_address = v;
                } else if (startswith(a, "layout=", &v)) {
                        if (streq(v, "auto"))
                                o->layout = LAYOUT_AUTO;
                        else if (streq(v, "npm"))
                                o->layout = LAYOUT_NPM;
                        else if (streq(v, "pypi"))
                                o->layout = LAYOUT_PYPI;
                        else
                                goto invalid;
                } else if (startswith(a, "prefix=", &v)) {
                        if (!word_is_valid(v, 1024) || v[0] != '/' || strpbrk(v, "?#%"))
                                goto invalid;
                        o->prefix = v;
                        o->prefix_len = strlen(v);
                        while (o->prefix_len > 0 && v[o->prefix_len - 1] == '/')
                                o->prefix_len--;
                } else {
                        pam_syslog(pamh, LOG_ERR, "unknown option '%.64s': fix the PAM configuration", a);
                        return PAM_SERVICE_ERR;
                }
                continue;
        invalid:
                pam_syslog(pamh, LOG_ERR, "invalid option '%.64s': fix the PAM configuration", a);
                return PAM_SERVICE_ERR;
        }
        return PAM_SUCCESS;
}

/* ------------------------------------------------------------------------------------------ */
/* Outcomes: the one place where everything that can happen becomes a PAM code               */

typedef enum Outcome {
        OUTCOME_OK,
        OUTCOME_BAD_SECRET,             /* wrong password, unknown account, no or empty secret */
        OUTCOME_BAD_TOKEN,              /* unknown, revoked, expired, malformed token */
        OUTCOME_BAD_OTP,                /* wrong, reused or expired one-time code */
        OUTCOME_OTP_MISSING,            /* a code is needed and none was given */
        OUTCOME_OTP_UNSUPPORTED,        /* a code is needed and otp=none */
        OUTCOME_LOCKED,                 /* locked by an admin or after failed attempts */
        OUTCOME_RATE_LIMITED,           /* too many failures from this address */
        OUTCOME_FORBIDDEN,              /* out of scope, read-only, tokens denied, no package */
        OUTCOME_ACCOUNT_LOCKED,         /* account management: the account may not be used */
        OUTCOME_UNKNOWN_ACCOUNT,        /* account management, nullok, invalid user names */
        OUTCOME_UNAVAILABLE,            /* daemon absent, hung, unreachable, refusing us */
        OUTCOME_NO_MEMORY,
        OUTCOME_CONV_ERROR,
        OUTCOME_BAD_CONFIG,             /* an option, or a PKGTOKEN_* variable, is malformed */
        OUTCOME_OLD_PASSWORD_WRONG,     /* chauthtok */
        OUTCOME_OLD_PASSWORD_MISSING,   /* chauthtok, use_first_pass without an old password */
        OUTCOME_NEW_PASSWORD_REJECTED,  /* chauthtok: mistyped, unacceptable, use_authtok */
        OUTCOME_SYSTEM_ERROR,           /* PAM itself failed, or an answer we do not know */
        _OUTCOME_MAX,
} Outcome;

static const struct {
        int pam;
        const char *message;            /* shown to the user unless PAM_SILENT; NULL: nothing */
} outcome_table[_OUTCOME_MAX] = {
        [OUTCOME_OK]                    = { PAM_SUCCESS,              NULL },
        [OUTCOME_BAD_SECRET]            = { PAM_AUTH_ERR,             NULL },
        [OUTCOME_BAD_TOKEN]             = { PAM_AUTH_ERR,             "The token is not valid (unknown, revoked or expired)." },
        [OUTCOME_BAD_OTP]               = { PAM_AUTH_ERR,             "Wrong or already used one-time code." },
        [OUTCOME_OTP_MISSING]           = { PAM_AUTH_ERR,             "A one-time code is needed." },
        [OUTCOME_OTP_UNSUPPORTED]       = { PAM_PERM_DENIED,          "A one-time code is needed, and this service cannot ask for one." },
        [OUTCOME_LOCKED]                = { PAM_MAXTRIES,             "The account is locked." },
        [OUTCOME_RATE_LIMITED]          = { PAM_MAXTRIES,             "Too many failed attempts; try again later." },
        [OUTCOME_FORBIDDEN]             = { PAM_PERM_DENIED,          "Access denied." },
        [OUTCOME_ACCOUNT_LOCKED]        = { PAM_PERM_DENIED,          "The account is locked." },
        [OUTCOME_UNKNOWN_ACCOUNT]       = { PAM_USER_UNKNOWN,         NULL },
        [OUTCOME_UNAVAILABLE]           = { PAM_AUTHINFO_UNAVAIL,     "The package registry's login service is not available; try again later." },
        [OUTCOME_NO_MEMORY]             = { PAM_BUF_ERR,              NULL },
        [OUTCOME_CONV_ERROR]            = { PAM_CONV_ERR,             NULL },
        [OUTCOME_BAD_CONFIG]            = { PAM_SERVICE_ERR,          NULL },
        [OUTCOME_OLD_PASSWORD_WRONG]    = { PAM_AUTH_ERR,             "The current password is wrong." },
        [OUTCOME_OLD_PASSWORD_MISSING]  = { PAM_AUTHTOK_RECOVERY_ERR, NULL },
        [OUTCOME_NEW_PASSWORD_REJECTED] = { PAM_AUTHTOK_ERR,          NULL },
        [OUTCOME_SYSTEM_ERROR]          = { PAM_SYSTEM_ERR,           NULL },
};

typedef struct Context {
        pam_handle_t *pamh;
        Options options;
        const char *user;
        sd_bus *bus;
        bool bus_failed;                /* a call on bus failed or timed out: never reuse it */
        char message[256];              /* replaces the table's message when set */
} Context;

/* One spare connection per process, kept between PAM calls: a new connection costs a bus
 * handshake, and dbus-daemon and pkgtokend work for each one that comes and goes, several
 * times what the check itself costs (bench/run-pam.sh).  The module stays loaded for this
 * (linked with -z nodelete).  A connection is reused only in the process and under the euid
 * that opened it, on the same address, and only when its last call went well, so a late
 * answer can never reach another call.  Threads each take it in turn or open their own. */
static struct {
        pthread_mutex_t lock;
        sd_bus *bus;
        pid_t pid;
        uid_t euid;
        char address[BUS_ADDRESS_MAX + 1];
} spare = { .lock = PTHREAD_MUTEX_INITIALIZER };

static sd_bus *spare_take(const char *address) {
        sd_bus *bus = NULL;

        pthread_mutex_lock(&spare.lock);
        if (spare.bus) {
                if (spare.pid != getpid())
                        /* Inherited across fork: the parent owns it; just let go of our copy. */
                        spare.bus = sd_bus_unref(spare.bus);
                else if (spare.euid != geteuid() || !streq(spare.address, address) || sd_bus_is_open(spare.bus) <= 0)
                        spare.bus = sd_bus_close_unref(spare.bus);
                else {
                        bus = spare.bus;
                        spare.bus = NULL;
                }
        }
        pthread_mutex_unlock(&spare.lock);
        return bus;
}

static void spare_put(sd_bus *bus, const char *address) {
        pthread_mutex_lock(&spare.lock);
        if (!spare.bus && strlen(address) <= BUS_ADDRESS_MAX) {
                spare.bus = bus;
                spare.pid = getpid();
                spare.euid = geteuid();
                snprintf(spare.address, sizeof spare.address, "%s", address);
                bus = NULL;
        }
        pthread_mutex_unlock(&spare.lock);
        /* No flush: a hung peer must not hold us. */
        sd_bus_close_unref(bus);
}

static void context_done(Context *c) {
        if (!c->bus)
                return;
        if (c->bus_failed)
                c->bus = sd_bus_close_unref(c->bus);
        else {
                spare_put(c->bus, c->options.bus_address);
                c->bus = NULL;
        }
}

#define log_debug(c, ...)                                                       \
        do {                                                                    \
                if ((c)->options.debug)                                         \
                        pam_syslog((c)->pamh, LOG_DEBUG, __VA_ARGS__);          \
        } while (0)

/* Text from outside (user names, the daemon's reasons) made safe for a log line or a message:
 * printable ASCII only, bounded. */
static const char *printable(const char *s, char *buf, size_t size) {
        size_t i = 0;

        if (!s)
                s = "";
        for (; *s && i + 1 < size; s++)
                buf[i++] = (*s >= ' ' && *s < 0x7f) ? *s : '?';
        buf[i] = 0;
        return buf;
}
#define PRINTABLE(s) printable((s), (char[96]) {}, 96)

static void set_message(Context *c, const char *fmt, ...) _printf_(2, 3);
static void set_message(Context *c, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        (void) vsnprintf(c->message, sizeof c->message, fmt, ap);
        va_end(ap);
}

static int finish(Context *c, Outcome o) {
        const char *message = c->message[0] ? c->message : outcome_table[o].message;
        int pam = outcome_table[o].pam;

        /* The escape hatches: the modules stacked after this one decide, and say why. */
        if ((o == OUTCOME_UNKNOWN_ACCOUNT && c->options.nullok) ||
            (o == OUTCOME_UNAVAILABLE && c->options.ignore_authinfo_unavail)) {
                pam = PAM_IGNORE;
                message = NULL;
        }

        if (message && o != OUTCOME_OK && !c->options.silent)
                (void) pam_error(c->pamh, "%s", message);
        log_debug(c, "result: %s", pam_strerror(c->pamh, pam));
        return pam;
}

/* ------------------------------------------------------------------------------------------ */
/* Small helpers                                                                              */

static bool utf8_is_valid(const char *s) {
        const unsigned char *p = (const unsigned char *) s;

        while (*p) {
                size_t n;
                uint32_t cp;

                if (*p < 0x80) {
                        p++;
                        continue;
                }
                if ((*p & 0xe0) == 0xc0)
                        n = 1, cp = *p & 0x1f;
                else if ((*p & 0xf0) == 0xe0)
                        n = 2, cp = *p & 0x0f;
                else if ((*p & 0xf8) == 0xf0)
                        n = 3, cp = *p & 0x07;
                else
                        return false;
                for (size_t i = 1; i <= n; i++) {
                        if ((p[i] & 0xc0) != 0x80)
                                return false;
                        cp = (cp << 6) | (p[i] & 0x3f);
                }
                if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
                    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                        return false;
                p += n + 1;
        }
        return true;
}

static bool is_digits(const char *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (s[i] < '0' || s[i] > '9')
                        return false;
        return true;
}

static bool is_base62(const char *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
                        return false;
        return true;
}

static void *mfree(void *p) {
        free(p);
        return NULL;
}

static usec_t now_mono(void) {
        struct timespec ts;
        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

static void free_data(pam_handle_t *pamh, void *data, int error_status) {
        free(data);
}

/* ------------------------------------------------------------------------------------------ */
/* The bus                                                                                    */

static Outcome bus_failure(Context *c, const char *method, int r, const sd_bus_error *error) {
        if (r == -ENOMEM || sd_bus_error_has_name(error, SD_BUS_ERROR_NO_MEMORY))
                return OUTCOME_NO_MEMORY;
        if (sd_bus_error_has_name(error, PKGTOKEN_ERROR_ACCESS_DENIED)) {
                pam_syslog(c->pamh, LOG_ERR,
                           "pkgtokend refused %s to this process (uid %u): run it as root or as a member "
                           "of pkgtokend's RegistryGroup=", method, (unsigned) geteuid());
                return OUTCOME_UNAVAILABLE;
        }
        if (sd_bus_error_is_set(error))
                pam_syslog(c->pamh, LOG_ERR, "%s: pkgtokend is not available on %s: %s: %s", method,
                           PRINTABLE(c->options.bus_address), PRINTABLE(error->name), PRINTABLE(error->message));
        else if (r == -ETIMEDOUT)
                pam_syslog(c->pamh, LOG_ERR, "%s: pkgtokend is not available on %s: no answer within the timeout",
                           method, PRINTABLE(c->options.bus_address));
        else {
                errno = -r;
                pam_syslog(c->pamh, LOG_ERR, "%s: pkgtokend is not available on %s: %m", method,
                           PRINTABLE(c->options.bus_address));
        }
        return OUTCOME_UNAVAILABLE;
}

/* The spare connection of this process, or a new one. */
static Outcome bus_open(Context *c) {
        sd_bus *bus = NULL;
        int r;

        if (c->bus)
                return OUTCOME_OK;
        c->bus = spare_take(c->options.bus_address);
        if (c->bus)
                return OUTCOME_OK;

        r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_address(bus, c->options.bus_address);
        if (r >= 0)
                r = sd_bus_set_bus_client(bus, true);
        if (r >= 0)
                r = sd_bus_set_description(bus, "pam_pkgtoken");
        if (r >= 0)
                r = sd_bus_set_method_call_timeout(bus, c->options.timeout_usec);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r < 0) {
                sd_bus_close_unref(bus);
                return bus_failure(c, "connect", r, NULL);
        }
        c->bus = bus;
        return OUTCOME_OK;
}

typedef struct PendingCall {
        bool done;
        sd_bus_message *reply;
        sd_bus_error error;
} PendingCall;

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        PendingCall *p = userdata;

        p->done = true;
        if (sd_bus_message_is_method_error(m, NULL))
                (void) sd_bus_error_copy(&p->error, sd_bus_message_get_error(m));
        else
                p->reply = sd_bus_message_ref(m);
        return 0;
}

/* sd_bus_call() with one deadline over everything still to happen on the connection: the
 * authentication and Hello of a fresh connection, sending, and the answer.  sd_bus_call()
 * alone waits for a connection to come up without a bound of ours. */
static int bus_call(Context *c, sd_bus_message *m, sd_bus_error *error, sd_bus_message **ret_reply) {
        sd_bus_slot *slot = NULL;
        PendingCall p = { .error = SD_BUS_ERROR_NULL };
        usec_t deadline = now_mono() + c->options.timeout_usec;
        int r;

        r = sd_bus_call_async(c->bus, &slot, m, on_reply, &p, c->options.timeout_usec);
        while (r >= 0 && !p.done) {
                usec_t n;

                r = sd_bus_process(c->bus, NULL);
                if (r < 0 || r > 0)
                        continue;
                n = now_mono();
                if (n >= deadline) {
                        r = -ETIMEDOUT;
                        break;
                }
                r = sd_bus_wait(c->bus, deadline - n);
                if (r == -EINTR)
                        r = 0;
        }
        sd_bus_slot_unref(slot);
        if (r < 0)
                c->bus_failed = true;

        if (r >= 0 && sd_bus_error_is_set(&p.error)) {
                r = sd_bus_error_copy(error, &p.error);
                if (r >= 0)
                        r = -EIO;
        }
        sd_bus_error_free(&p.error);
        if (r < 0) {
                sd_bus_message_unref(p.reply);
                return r;
        }
        *ret_reply = p.reply;
        return 0;
}

/* A message we could not build or a reply we could not read: our problem or a daemon of
 * another version, never "unavailable" (which ignore_authinfo_unavail may turn into
 * PAM_IGNORE). */
static Outcome message_failure(Context *c, const char *method, const char *what, int r) {
        if (r == -ENOMEM)
                return OUTCOME_NO_MEMORY;
        errno = -r;
        pam_syslog(c->pamh, LOG_ERR, "%s: %s: %m", method, what);
        return OUTCOME_SYSTEM_ERROR;
}

static int new_call(Context *c, const char *method, sd_bus_message **ret) {
        int r = sd_bus_message_new_method_call(c->bus, ret, PKGTOKEN_BUS_NAME, PKGTOKEN_OBJECT_PATH,
                                               PKGTOKEN_MANAGER_IFACE, method);
        if (r < 0)
                return r;
        /* Secrets travel in these messages: sd-bus wipes them when they are freed. */
        return sd_bus_message_sensitive(*ret);
}

/* The client's address from PAM_RHOST, when it is an IP address (nginx's auth_pam and
 * Apache's mod_authnz_pam set it); "" otherwise: an allow-list then refuses. */
static const char *remote_address(Context *c) {
        const void *item = NULL;
        unsigned char buf[sizeof(struct in6_addr)];

        if (pam_get_item(c->pamh, PAM_RHOST, &item) != PAM_SUCCESS || !item)
                return "";
        if (strnlen(item, REMOTE_MAX + 1) <= REMOTE_MAX &&
            (inet_pton(AF_INET, item, buf) == 1 || inet_pton(AF_INET6, item, buf) == 1))
                return item;
        log_debug(c, "PAM_RHOST '%s' is not an IP address: no remote address sent", PRINTABLE(item));
        return "";
}

/* ------------------------------------------------------------------------------------------ */
/* Daemon calls                                                                               */

typedef struct Answer {
        sd_bus_message *reply;          /* owns the strings below */
        const char *result;
        const char *reason;
        const char *actor;              /* Authorize */
        const char *token_id;           /* Authorize */
        uint64_t locked_until;          /* Authenticate */
} Answer;

static void answer_done(Answer *a) {
        sd_bus_message_unref(a->reply);
        *a = (Answer) {};
}

static int read_authenticate_details(sd_bus_message *reply, Answer *a) {
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const char *key;

                r = sd_bus_message_read(reply, "s", &key);
                if (r < 0)
                        return r;
                if (streq(key, "locked_until"))
                        r = sd_bus_message_read(reply, "v", "t", &a->locked_until);
                else
                        r = sd_bus_message_skip(reply, "v");
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(reply);
}

static Outcome call_authenticate(Context *c, const char *password, const char *otp, Answer *a) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL;
        int r;

        r = new_call(c, "Authenticate", &m);
        if (r >= 0)
                r = sd_bus_message_append(m, "sssa{sv}", c->user, password, otp, 1, "remote", "s", remote_address(c));
        if (r < 0) {
                sd_bus_message_unref(m);
                return message_failure(c, "Authenticate", "cannot build the call", r);
        }
        r = bus_call(c, m, &error, &a->reply);
        sd_bus_message_unref(m);
        if (r < 0)
                return bus_failure(c, "Authenticate", r, &error);
        (void) sd_bus_message_sensitive(a->reply);
        r = sd_bus_message_read(a->reply, "ss", &a->result, &a->reason);
        if (r >= 0)
                r = read_authenticate_details(a->reply, a);
        if (r < 0)
                return message_failure(c, "Authenticate", "unexpected reply from pkgtokend", r);
        return OUTCOME_OK;
}

static Outcome call_authorize(Context *c, const char *token, const char *package, Action action, const char *otp,
                              Answer *a) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL;
        int r;

        r = new_call(c, "Authorize", &m);
        if (r >= 0)
                r = sd_bus_message_append(m, "sss", token, package, action_to_string(action));
        if (r >= 0)
                r = isempty(otp)
                        ? sd_bus_message_append(m, "a{sv}", 2, "remote", "s", remote_address(c),
                                                "account", "s", c->user)
                        : sd_bus_message_append(m, "a{sv}", 3, "remote", "s", remote_address(c),
                                                "account", "s", c->user, "otp", "s", otp);
        if (r < 0) {
                sd_bus_message_unref(m);
                return message_failure(c, "Authorize", "cannot build the call", r);
        }
        r = bus_call(c, m, &error, &a->reply);
        sd_bus_message_unref(m);
        if (r < 0 && sd_bus_error_has_name(&error, PKGTOKEN_ERROR_INVALID_ARGUMENT)) {
                /* The request, not the token: a package name or an address the daemon refuses. */
                pam_syslog(c->pamh, LOG_NOTICE, "Authorize refused the request for account %s: %s",
                           PRINTABLE(c->user), PRINTABLE(error.message));
                return OUTCOME_FORBIDDEN;
        }
        if (r < 0)
                return bus_failure(c, "Authorize", r, &error);
        r = sd_bus_message_read(a->reply, "ssss", &a->result, &a->reason, &a->actor, &a->token_id);
        if (r < 0)
                return message_failure(c, "Authorize", "unexpected reply from pkgtokend", r);
        return OUTCOME_OK;
}

/* CheckAccount: "active", "locked" (by an admin), "locked-out" (after failed attempts, for a
 * while) or "unknown". */
static Outcome check_account(Context *c) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL, *reply = NULL;
        const char *state, *reason;
        Outcome o;
        int r;

        o = bus_open(c);
        if (o != OUTCOME_OK)
                return o;
        r = sd_bus_message_new_method_call(c->bus, &m, PKGTOKEN_BUS_NAME, PKGTOKEN_OBJECT_PATH,
                                           PKGTOKEN_MANAGER_IFACE, "CheckAccount");
        if (r >= 0)
                r = sd_bus_message_append(m, "sa{sv}", c->user, 0);
        if (r < 0) {
                sd_bus_message_unref(m);
                return message_failure(c, "CheckAccount", "cannot build the call", r);
        }
        r = bus_call(c, m, &error, &reply);
        sd_bus_message_unref(m);
        if (r < 0)
                return bus_failure(c, "CheckAccount", r, &error);

        r = sd_bus_message_read(reply, "ss", &state, &reason);
        if (r < 0)
                o = message_failure(c, "CheckAccount", "unexpected reply from pkgtokend", r);
        else if (streq(state, "active"))
                o = OUTCOME_OK;
        else if (streq(state, "locked")) {
                pam_syslog(c->pamh, LOG_NOTICE, "account %s may not be used: %s", PRINTABLE(c->user), PRINTABLE(reason));
                o = OUTCOME_ACCOUNT_LOCKED;
        } else if (streq(state, "locked-out")) {
                pam_syslog(c->pamh, LOG_NOTICE, "account %s is locked out: %s", PRINTABLE(c->user), PRINTABLE(reason));
                o = OUTCOME_LOCKED;
        } else if (streq(state, "unknown")) {
                log_debug(c, "account %s is unknown to pkgtokend", PRINTABLE(c->user));
                o = OUTCOME_UNKNOWN_ACCOUNT;
        } else {
                pam_syslog(c->pamh, LOG_ERR, "CheckAccount: unknown state '%s'", PRINTABLE(state));
                o = OUTCOME_SYSTEM_ERROR;
        }
        sd_bus_message_unref(reply);
        return o;
}

/* ------------------------------------------------------------------------------------------ */
/* The user and the secrets                                                                   */

static Outcome get_user(Context *c) {
        const char *user = NULL;
        int r;

        r = pam_get_user(c->pamh, &user, NULL);
        if (r == PAM_BUF_ERR)
                return OUTCOME_NO_MEMORY;
        if (r == PAM_CONV_ERR || r == PAM_CONV_AGAIN)
                return OUTCOME_CONV_ERROR;
        if (r != PAM_SUCCESS) {
                pam_syslog(c->pamh, LOG_ERR, "cannot get the user name: %s", pam_strerror(c->pamh, r));
                return OUTCOME_SYSTEM_ERROR;
        }
        /* No pkgtoken account has such a name; the daemon would say "unknown" too. */
        if (isempty(user) || strlen(user) > 256 || !utf8_is_valid(user)) {
                log_debug(c, "user name '%s' is not an account name", PRINTABLE(user));
                return OUTCOME_UNKNOWN_ACCOUNT;
        }
        c->user = user;
        return OUTCOME_OK;
}

/* One answer from the conversation.  NULL answers count as a failed conversation. */
static Outcome prompt(Context *c, int style, const char *text, char **ret) {
        char *answer = NULL;
        int r;

        r = pam_prompt(c->pamh, style, &answer, "%s", text);
        if (r == PAM_BUF_ERR)
                return OUTCOME_NO_MEMORY;
        if (r != PAM_SUCCESS || !answer) {
                if (answer) {
                        erase_string(answer);
                        free(answer);
                }
                log_debug(c, "conversation failed: %s", pam_strerror(c->pamh, r));
                return OUTCOME_CONV_ERROR;
        }
        *ret = answer;
        return OUTCOME_OK;
}

/* Prompts for a secret and keeps it as the PAM item (so that modules stacked after this one
 * may use it); *ret points into PAM's copy. */
static Outcome prompt_item(Context *c, int item, const char *text, const char **ret) {
        char *answer = NULL;
        const void *value = NULL;
        Outcome o;
        int r;

        o = prompt(c, PAM_PROMPT_ECHO_OFF, text, &answer);
        if (o != OUTCOME_OK)
                return o;
        r = pam_set_item(c->pamh, item, answer);
        erase_string(answer);
        free(answer);
        if (r == PAM_SUCCESS)
                r = pam_get_item(c->pamh, item, &value);
        if (r == PAM_BUF_ERR)
                return OUTCOME_NO_MEMORY;
        if (r != PAM_SUCCESS || !value)
                return OUTCOME_SYSTEM_ERROR;
        *ret = value;
        return OUTCOME_OK;
}

/* The stacked item, when the options allow it and an earlier module set it. */
static Outcome stacked_item(Context *c, int item, const char **ret) {
        const void *value = NULL;
        int r = pam_get_item(c->pamh, item, &value);
        if (r != PAM_SUCCESS)
                return OUTCOME_SYSTEM_ERROR;
        *ret = value;
        return OUTCOME_OK;
}

/* The password (or token) to check: try_first_pass and use_first_pass take the one an earlier
 * module obtained; use_first_pass never prompts. */
static Outcome get_secret(Context *c, const char **ret) {
        const char *secret = NULL;
        Outcome o;

        if (c->options.use_first_pass || c->options.try_first_pass) {
                o = stacked_item(c, PAM_AUTHTOK, &secret);
                if (o != OUTCOME_OK)
                        return o;
                if (secret) {
                        log_debug(c, "using the password from an earlier module");
                        *ret = secret;
                        return OUTCOME_OK;
                }
                if (c->options.use_first_pass) {
                        pam_syslog(c->pamh, LOG_ERR, "use_first_pass: no earlier module obtained a password");
                        return OUTCOME_BAD_SECRET;
                }
        }
        return prompt_item(c, PAM_AUTHTOK, PROMPT_PASSWORD, ret);
}

/* A one-time code, asked for by the conversation.  Blanks are dropped ("123 456"). */
static Outcome get_otp(Context *c, const char *secret, char **ret) {
        _cleanup_(erase_and_freep) char *answer = NULL;
        size_t n;
        char *w;
        Outcome o;

        o = prompt(c, PAM_PROMPT_ECHO_OFF, PROMPT_OTP, &answer);
        if (o != OUTCOME_OK)
                return o;

        /* A client that answers every hidden prompt with the password (nginx's auth_pam, other
         * HTTP Basic front ends) cannot give a code this way: sending its answer would only
         * count a failure against the account. */
        if (streq(answer, secret)) {
                pam_syslog(c->pamh, LOG_NOTICE,
                           "account %s: the client answered the one-time code prompt with the password; "
                           "it cannot answer prompts: use otp=append", PRINTABLE(c->user));
                return OUTCOME_OTP_MISSING;
        }

        n = strlen(answer);
        w = answer;
        for (const char *p = answer; *p; p++)
                if (*p != ' ' && *p != '\t')
                        *w++ = *p;
        explicit_bzero(w, n - (size_t) (w - answer));   /* the tail, and the new end */
        if (isempty(answer))
                return OUTCOME_OTP_MISSING;
        if (strlen(answer) > OTP_MAX || !utf8_is_valid(answer))
                return OUTCOME_BAD_OTP;

        *ret = answer;
        answer = NULL;
        return OUTCOME_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* What a request is: action and package                                                     */

typedef struct Request {
        Action action;
        char *package;                  /* NULL: none known */
} Request;

static void request_done(Request *q) {
        free(q->package);
        *q = (Request) {};
}

static int unhex(char ch) {
        if (ch >= '0' && ch <= '9')
                return ch - '0';
        if (ch >= 'a' && ch <= 'f')
                return ch - 'a' + 10;
        if (ch >= 'A' && ch <= 'F')
                return ch - 'A' + 10;
        return -1;
}

/* Parses a request line "METHOD SP TARGET SP HTTP/x.y" (the REQUEST variable of nginx's
 * auth_pam module).  Returns the action for the method (GET and HEAD read; every other method
 * writes) and the target's path, percent-decoded, without query or fragment.  -EINVAL when
 * the line is malformed. */
static int request_line_parse(const char *line, Action *ret_action, char **ret_path) {
        const char *p = line, *target, *end, *path;
        size_t method_len, n;
        char *decoded, *w;

        method_len = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_-");
        if (method_len == 0 || method_len > 16 || p[method_len] != ' ')
                return -EINVAL;
        target = p + method_len + 1;
        end = strchr(target, ' ');
        if (!end || end == target)
                return -EINVAL;

        /* "HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/2", "HTTP/3" and nothing after it. */
        p = end + 1;
        if (strncmp(p, "HTTP/", 5) != 0 || p[5] < '0' || p[5] > '9')
                return -EINVAL;
        p += 6;
        if (*p == '.') {
                if (p[1] < '0' || p[1] > '9')
                        return -EINVAL;
                p += 2;
        }
        if (*p != 0)
                return -EINVAL;

        /* origin-form "/path", or absolute-form "http://host/path". */
        path = target;
        if (strncasecmp(target, "http://", 7) == 0 || strncasecmp(target, "https://", 8) == 0) {
                const char *authority = strstr(target, "//") + 2;
                path = authority + strcspn(authority, "/?# ");
                if (*path != '/')
                        path = end;   /* no path: "/" */
        } else if (*target != '/')
                return -EINVAL;
        n = strcspn(path, "?# ");
        if (path + n > end)
                n = (size_t) (end - path);

        decoded = malloc(n + 2);
        if (!decoded)
                return -ENOMEM;
        w = decoded;
        if (n == 0)
                *w++ = '/';
        for (size_t i = 0; i < n; i++) {
                int ch = (unsigned char) path[i];

                if (ch == '%') {
                        int hi = i + 2 < n ? unhex(path[i + 1]) : -1;
                        int lo = hi >= 0 ? unhex(path[i + 2]) : -1;
                        if (hi < 0 || lo < 0) {
                                free(decoded);
                                return -EINVAL;
                        }
                        ch = hi * 16 + lo;
                        i += 2;
                }
                if (ch < ' ' || ch == 0x7f) {
                        free(decoded);
                        return -EINVAL;
                }
                *w++ = (char) ch;
        }
        *w = 0;

        *ret_action = method_len == 3 && strncmp(line, "GET", 3) == 0 ? ACTION_READ :
                      method_len == 4 && strncmp(line, "HEAD", 4) == 0 ? ACTION_READ : ACTION_PUBLISH;
        *ret_path = decoded;
        return 0;
}

#define SEGMENTS_MAX 8

/* Splits "/a/b/c/" into segments (at most SEGMENTS_MAX; more is "unknown shape", n = max+1).
 * Empty, "." and ".." segments make the path unusable (-EINVAL): a registry sees them
 * differently from how they read. */
static int path_split(char *path, char *segments[static SEGMENTS_MAX], size_t *ret_n) {
        size_t n = 0;
        char *p = path;

        if (*p != '/')
                return -EINVAL;
        p++;
        while (*p) {
                char *slash = strchr(p, '/');
                if (slash)
                        *slash = 0;
                if (*p == 0 || streq(p, ".") || streq(p, ".."))
                        return -EINVAL;
                if (n == SEGMENTS_MAX) {
                        *ret_n = SEGMENTS_MAX + 1;
                        return 0;
                }
                segments[n++] = p;
                if (!slash)
                        break;
                p = slash + 1;   /* a trailing slash ends the loop with *p == 0 */
        }
        *ret_n = n;
        return 0;
}

/* npm's layout: "/<name>", "/@scope/<name>" ("%2f" decodes to "/"), optionally followed by
 * "/<version-or-tag>", "/-/<tarball>", "/-/<tarball>/-rev/<rev>" or "/-rev/<rev>"; and
 * "/-/package/<name>/..." (dist-tags, collaborators).  Other "/-/..." endpoints (login,
 * search, whoami, audits) name no package. */
static int npm_package(char **s, size_t n, char **ret) {
        size_t i = 0, rest;
        bool endpoint = false;
        char *name;

        if (n == 0 || n > SEGMENTS_MAX)
                return 0;
        if (streq(s[0], "-")) {
                if (n < 3 || !streq(s[1], "package"))
                        return 0;
                endpoint = true;
                i = 2;
        }
        if (s[i][0] == '@') {
                if (i + 1 >= n || s[i][1] == 0)
                        return 0;
                if (asprintf(&name, "%s/%s", s[i], s[i + 1]) < 0)
                        return -ENOMEM;
                i += 2;
        } else {
                name = strdup(s[i]);
                if (!name)
                        return -ENOMEM;
                i += 1;
        }

        rest = n - i;
        if (!endpoint &&
            !(rest == 0 ||
              (rest == 1 && !streq(s[i], "-") && !streq(s[i], "-rev")) ||
              (rest == 2 && (streq(s[i], "-") || streq(s[i], "-rev"))) ||
              (rest == 4 && streq(s[i], "-") && streq(s[i + 2], "-rev")))) {
                free(name);
                return 0;
        }
        *ret = name;
        return 1;
}

/* PEP 503: lower case, and every run of "-", "_" and "." becomes one "-". */
static char *pep503_normalize(const char *s) {
        char *out = malloc(strlen(s) + 1), *w = out;

        if (!out)
                return NULL;
        for (; *s; s++) {
                if (strchr("-_.", *s)) {
                        if (w == out || w[-1] != '-')
                                *w++ = '-';
                } else
                        *w++ = (*s >= 'A' && *s <= 'Z') ? (char) (*s - 'A' + 'a') : *s;
        }
        *w = 0;
        return out;
}

/* PyPI's layout: "/simple/<name>/" (the simple API, PEP 503) and "/pypi/<name>/json",
 * "/pypi/<name>/<version>/json" (the JSON API).  "/simple/" (the index), "/packages/..."
 * (files) and uploads ("POST /legacy/", "POST /") name no package in the path. */
static int pypi_package(char **s, size_t n, char **ret) {
        const char *name = NULL;

        if (n == 2 && streq(s[0], "simple"))
                name = s[1];
        else if (n >= 3 && n <= 4 && streq(s[0], "pypi") && streq(s[n - 1], "json"))
                name = s[1];
        if (!name)
                return 0;
        *ret = pep503_normalize(name);
        return *ret ? 1 : -ENOMEM;
}

static bool is_pypi_path(char **s, size_t n) {
        return n > 0 && n <= SEGMENTS_MAX &&
               (streq(s[0], "simple") || streq(s[0], "pypi") || streq(s[0], "packages") || streq(s[0], "legacy"));
}

/* The package a request path is about, per layout=; 0 and NULL when the path names none. */
static int path_package(Context *c, char *path, char **ret) {
        char *segments[SEGMENTS_MAX] = {};
        size_t n = 0;

        *ret = NULL;
        if (c->options.prefix_len > 0) {
                const char *prefix = c->options.prefix;
                size_t len = c->options.prefix_len;
                if (strncmp(path, prefix, len) != 0 || (path[len] != '/' && path[len] != 0)) {
                        log_debug(c, "request path is outside prefix=%s", prefix);
                        return 0;
                }
                path += len;
                if (*path == 0)
                        return 0;
        }
        if (path_split(path, segments, &n) < 0) {
                log_debug(c, "request path has empty, '.' or '..' segments: no package");
                return 0;
        }
        switch (c->options.layout) {
        case LAYOUT_NPM:
                return npm_package(segments, n, ret);
        case LAYOUT_PYPI:
                return pypi_package(segments, n, ret);
        default:
                return is_pypi_path(segments, n) ? pypi_package(segments, n, ret) : npm_package(segments, n, ret);
        }
}

/* The action and the package to check a token for:
 *   package: PKGTOKEN_PACKAGE, else package=, else the REQUEST path;
 *   action:  PKGTOKEN_ACTION, else publish if either action= or the REQUEST method says
 *            publish (a module argument cannot make a write a read), else read if either
 *            says read.
 * A malformed PKGTOKEN_* variable or REQUEST line refuses the login (fail closed). */
static Outcome resolve_request(Context *c, Request *q) {
        const char *env_action, *env_package, *line;
        Action request_action = ACTION_UNSET;
        int r;

        *q = (Request) {};

        env_action = pam_getenv(c->pamh, "PKGTOKEN_ACTION");
        if (!isempty(env_action)) {
                q->action = action_from_string(env_action);
                if (q->action == ACTION_UNSET) {
                        pam_syslog(c->pamh, LOG_ERR, "PKGTOKEN_ACTION='%s' is neither read nor publish: refused",
                                   PRINTABLE(env_action));
                        return OUTCOME_FORBIDDEN;
                }
        }
        env_package = pam_getenv(c->pamh, "PKGTOKEN_PACKAGE");
        if (!isempty(env_package)) {
                if (!word_is_valid(env_package, PACKAGE_NAME_MAX)) {
                        pam_syslog(c->pamh, LOG_ERR, "PKGTOKEN_PACKAGE='%s' is not a package name: refused",
                                   PRINTABLE(env_package));
                        return OUTCOME_FORBIDDEN;
                }
                q->package = strdup(env_package);
                if (!q->package)
                        return OUTCOME_NO_MEMORY;
        } else if (c->options.package) {
                q->package = strdup(c->options.package);
                if (!q->package)
                        return OUTCOME_NO_MEMORY;
        }

        line = pam_getenv(c->pamh, "REQUEST");
        if (line) {
                _cleanup_free_ char *path = NULL;

                r = request_line_parse(line, &request_action, &path);
                if (r == -ENOMEM)
                        return OUTCOME_NO_MEMORY;
                if (r < 0) {
                        /* Only the method: the target may carry a secret in its query. */
                        pam_syslog(c->pamh, LOG_ERR, "REQUEST is not a request line \"METHOD /path HTTP/x.y\": refused");
                        return OUTCOME_FORBIDDEN;
                }
                if (!q->package) {
                        r = path_package(c, path, &q->package);
                        if (r < 0)
                                return OUTCOME_NO_MEMORY;
                        if (q->package && !word_is_valid(q->package, PACKAGE_NAME_MAX)) {
                                log_debug(c, "request path names no valid package");
                                q->package = mfree(q->package);
                        }
                }
                log_debug(c, "REQUEST: %s, path %s, package %s", action_to_string(request_action),
                          PRINTABLE(path), q->package ? PRINTABLE(q->package) : "-");
        }

        if (q->action == ACTION_UNSET) {
                if (c->options.action == ACTION_PUBLISH || request_action == ACTION_PUBLISH)
                        q->action = ACTION_PUBLISH;
                else if (c->options.action == ACTION_READ || request_action == ACTION_READ)
                        q->action = ACTION_READ;
        }
        return OUTCOME_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Authentication                                                                             */

static Outcome otp_required(Context *c, bool token) {
        switch (c->options.otp) {
        case OTP_APPEND:
                set_message(c, "A one-time code is needed: append its 6 digits to the %s.", token ? "token" : "password");
                return OUTCOME_OTP_MISSING;
        case OTP_NONE:
                pam_syslog(c->pamh, LOG_NOTICE, "account %s needs a one-time code, and otp=none", PRINTABLE(c->user));
                return OUTCOME_OTP_UNSUPPORTED;
        default:
                return OUTCOME_OTP_MISSING;
        }
}

static Outcome authenticate_result(Context *c, const Answer *a) {
        if (streq(a->result, "ok")) {
                log_debug(c, "account %s: password accepted", PRINTABLE(c->user));
                return OUTCOME_OK;
        }
        pam_syslog(c->pamh, LOG_NOTICE, "authentication failure for account %s from %s: %s (%s)", PRINTABLE(c->user),
                   isempty(remote_address(c)) ? "-" : remote_address(c), PRINTABLE(a->result), PRINTABLE(a->reason));
        if (streq(a->result, "bad-credentials"))
                return OUTCOME_BAD_SECRET;
        if (streq(a->result, "bad-otp"))
                return OUTCOME_BAD_OTP;
        if (streq(a->result, "locked")) {
                if (a->locked_until > 0)
                        set_message(c, "Too many failed attempts: the account is locked for a while.");
                return OUTCOME_LOCKED;
        }
        if (streq(a->result, "rate-limited"))
                return OUTCOME_RATE_LIMITED;
        if (streq(a->result, "otp-required"))   /* again, after a code was given */
                return OUTCOME_BAD_OTP;
        pam_syslog(c->pamh, LOG_ERR, "Authenticate: unknown result '%s'", PRINTABLE(a->result));
        return OUTCOME_SYSTEM_ERROR;
}

/* A password, with otp=append possibly followed by the code: when the secret is longer than
 * six characters and ends in six digits, those are the code and the rest the password.  One
 * call, so a wrong password counts once.  (A password that itself ends in six digits is then
 * followed by a code, or, on an account without 2FA, by any six digits, which are ignored.) */
static Outcome password_login(Context *c, const char *secret, const Request *q) {
        _cleanup_(answer_done) Answer a = {};
        _cleanup_(erase_and_freep) char *password = NULL, *otp = NULL;
        size_t n = strlen(secret);
        Outcome o;

        if (q->action == ACTION_PUBLISH) {
                pam_syslog(c->pamh, LOG_NOTICE, "account %s: a password cannot authorise a publish; a token can",
                           PRINTABLE(c->user));
                set_message(c, "Publishing needs a token; a password only logs in.");
                return OUTCOME_FORBIDDEN;
        }

        if (c->options.otp == OTP_APPEND && n > OTP_DIGITS && is_digits(secret + n - OTP_DIGITS, OTP_DIGITS)) {
                password = strndup(secret, n - OTP_DIGITS);
                otp = strdup(secret + n - OTP_DIGITS);
        } else {
                password = strdup(secret);
                otp = strdup("");
        }
        if (!password || !otp)
                return OUTCOME_NO_MEMORY;

        o = bus_open(c);
        if (o != OUTCOME_OK)
                return o;
        o = call_authenticate(c, password, otp, &a);
        if (o != OUTCOME_OK)
                return o;

        if (streq(a.result, "otp-required") && isempty(otp)) {
                if (c->options.otp != OTP_PROMPT)
                        return otp_required(c, false);
                log_debug(c, "account %s: password right, asking for the one-time code", PRINTABLE(c->user));
                free(otp);
                otp = NULL;
                o = get_otp(c, secret, &otp);
                if (o != OUTCOME_OK)
                        return o;
                answer_done(&a);
                o = call_authenticate(c, password, otp, &a);
                if (o != OUTCOME_OK)
                        return o;
        }
        return authenticate_result(c, &a);
}

static Outcome authorize_result(Context *c, const Answer *a, const Request *q) {
        if (streq(a->result, "allowed")) {
                log_debug(c, "token %s (%s) of account %s may %s %s", PRINTABLE(a->token_id), PRINTABLE(a->actor),
                          PRINTABLE(c->user), action_to_string(q->action), PRINTABLE(q->package));
                return OUTCOME_OK;
        }
        pam_syslog(c->pamh, LOG_NOTICE, "token %s refused for account %s to %s %s from %s: %s (%s)",
                   isempty(a->token_id) ? "-" : PRINTABLE(a->token_id), PRINTABLE(c->user),
                   action_to_string(q->action), PRINTABLE(q->package),
                   isempty(remote_address(c)) ? "-" : remote_address(c), PRINTABLE(a->result), PRINTABLE(a->reason));
        if (streq(a->result, "invalid"))
                return OUTCOME_BAD_TOKEN;
        if (streq(a->result, "bad-otp") || streq(a->result, "otp-required"))
                return OUTCOME_BAD_OTP;
        if (streq(a->result, "forbidden")) {
                set_message(c, "Access denied: %s.", PRINTABLE(a->reason));
                return OUTCOME_FORBIDDEN;
        }
        if (streq(a->result, "rate-limited"))
                return OUTCOME_RATE_LIMITED;
        pam_syslog(c->pamh, LOG_ERR, "Authorize: unknown result '%s'", PRINTABLE(a->result));
        return OUTCOME_SYSTEM_ERROR;
}

/* A token given as the password.  With otp=append, anything after the token (whose length is
 * fixed) is the code. */
static Outcome token_login(Context *c, const char *secret, const Request *q) {
        _cleanup_(answer_done) Answer a = {};
        _cleanup_(erase_and_freep) char *token = NULL, *otp = NULL;
        size_t n = strlen(secret);
        Outcome o;
        int r;

        if (!c->options.tokens) {
                pam_syslog(c->pamh, LOG_NOTICE, "account %s: a token was given and tokens=deny", PRINTABLE(c->user));
                set_message(c, "Tokens are not accepted here; log in with the account's password.");
                return OUTCOME_FORBIDDEN;
        }
        if (q->action == ACTION_UNSET || !q->package) {
                pam_syslog(c->pamh, LOG_NOTICE,
                           "account %s: cannot check a token without %s: set %s, PKGTOKEN_%s or the REQUEST of a known layout",
                           PRINTABLE(c->user), q->action == ACTION_UNSET ? "an action" : "a package",
                           q->action == ACTION_UNSET ? "action=" : "package=", q->action == ACTION_UNSET ? "ACTION" : "PACKAGE");
                set_message(c, "Access denied: cannot tell which package this request is for.");
                return OUTCOME_FORBIDDEN;
        }

        if (c->options.otp == OTP_APPEND && n == TOKEN_LEN + OTP_DIGITS && is_base62(secret + TOKEN_PREFIX_LEN,
            TOKEN_LEN - TOKEN_PREFIX_LEN) && is_digits(secret + TOKEN_LEN, OTP_DIGITS)) {
                token = strndup(secret, TOKEN_LEN);
                otp = strdup(secret + TOKEN_LEN);
        } else {
                token = strdup(secret);
                otp = strdup("");
        }
        if (!token || !otp)
                return OUTCOME_NO_MEMORY;

        o = bus_open(c);
        if (o != OUTCOME_OK)
                return o;
        o = call_authorize(c, token, q->package, q->action, otp, &a);
        if (o != OUTCOME_OK)
                return o;

        if (streq(a.result, "otp-required") && isempty(otp)) {
                if (c->options.otp != OTP_PROMPT)
                        return otp_required(c, true);
                log_debug(c, "token %s needs a one-time code for %s", PRINTABLE(a.token_id), PRINTABLE(q->package));
                free(otp);
                otp = NULL;
                o = get_otp(c, secret, &otp);
                if (o != OUTCOME_OK)
                        return o;
                answer_done(&a);
                o = call_authorize(c, token, q->package, q->action, otp, &a);
                if (o != OUTCOME_OK)
                        return o;
        }

        o = authorize_result(c, &a, q);
        if (o == OUTCOME_OK) {
                /* Account management then accepts the token's user without asking again: the
                 * token's own checks (revoked, expired, locked account) are done. */
                char *user = strdup(c->user);
                if (!user)
                        return OUTCOME_NO_MEMORY;
                r = pam_set_data(c->pamh, DATA_TOKEN_USER, user, free_data);
                if (r != PAM_SUCCESS) {
                        free(user);
                        return r == PAM_BUF_ERR ? OUTCOME_NO_MEMORY : OUTCOME_SYSTEM_ERROR;
                }
        }
        return o;
}

static Outcome authenticate(Context *c) {
        _cleanup_(request_done) Request q = {};
        const char *secret = NULL;
        Outcome o;

        o = get_user(c);
        if (o != OUTCOME_OK)
                return o;
        o = resolve_request(c, &q);
        if (o != OUTCOME_OK)
                return o;
        log_debug(c, "authenticate account %s: action %s, package %s", PRINTABLE(c->user),
                  action_to_string(q.action), q.package ? PRINTABLE(q.package) : "-");

        /* nullok: leave accounts pkgtoken does not know to the modules stacked after this one,
         * before asking for anything. */
        if (c->options.nullok && !streq(c->user, PKGTOKEN_ANY_ACCOUNT)) {
                o = check_account(c);
                if (o == OUTCOME_UNKNOWN_ACCOUNT)
                        return o;
                if (o != OUTCOME_OK && o != OUTCOME_ACCOUNT_LOCKED && o != OUTCOME_LOCKED)
                        return o;   /* a locked account gets its answer from Authenticate */
        }

        o = get_secret(c, &secret);
        if (o != OUTCOME_OK)
                return o;
        /* Secrets no account can have are refused without a round trip. */
        if (isempty(secret) || strlen(secret) > SECRET_MAX || !utf8_is_valid(secret)) {
                log_debug(c, "account %s: empty, overlong or non-UTF-8 secret", PRINTABLE(c->user));
                return OUTCOME_BAD_SECRET;
        }

        if (startswith(secret, TOKEN_PREFIX, NULL))
                return token_login(c, secret, &q);
        return password_login(c, secret, &q);
}

_public_ int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        _cleanup_(context_done) Context c = { .pamh = pamh };
        int r;

        r = parse_options(pamh, flags, argc, argv, &c.options);
        if (r != PAM_SUCCESS)
                return r;
        return finish(&c, authenticate(&c));
}

_public_ int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        Options o;
        /* No credentials to set; a broken configuration still says so. */
        return parse_options(pamh, flags, argc, argv, &o);
}

/* ------------------------------------------------------------------------------------------ */
/* Account management                                                                         */

static Outcome account(Context *c) {
        const void *data = NULL;
        Outcome o;

        o = get_user(c);
        if (o != OUTCOME_OK)
                return o;
        if (pam_get_data(c->pamh, DATA_TOKEN_USER, &data) == PAM_SUCCESS && streq_ptr(data, c->user)) {
                log_debug(c, "account %s: authenticated by a token in this session", PRINTABLE(c->user));
                return OUTCOME_OK;
        }
        if (streq(c->user, PKGTOKEN_ANY_ACCOUNT))
                return OUTCOME_UNKNOWN_ACCOUNT;
        return check_account(c);
}

_public_ int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        _cleanup_(context_done) Context c = { .pamh = pamh };
        int r;

        r = parse_options(pamh, flags, argc, argv, &c.options);
        if (r != PAM_SUCCESS)
                return r;
        return finish(&c, account(&c));
}

/* ------------------------------------------------------------------------------------------ */
/* Password change                                                                            */

static Outcome get_old_password(Context *c, const char **ret) {
        const char *old = NULL;
        Outcome o;

        o = stacked_item(c, PAM_OLDAUTHTOK, &old);
        if (o != OUTCOME_OK)
                return o;
        if (old) {
                *ret = old;
                return OUTCOME_OK;
        }
        if (c->options.use_first_pass) {
                pam_syslog(c->pamh, LOG_ERR, "use_first_pass: no earlier module obtained the current password");
                return OUTCOME_OLD_PASSWORD_MISSING;
        }
        return prompt_item(c, PAM_OLDAUTHTOK, PROMPT_OLD_PASSWORD, ret);
}

/* The new password: an earlier module's (pam_pwquality), or typed twice. */
static Outcome get_new_password(Context *c, const char **ret) {
        _cleanup_(erase_and_freep) char *first = NULL, *again = NULL;
        const void *value = NULL;
        const char *stacked = NULL;
        Outcome o;
        int r;

        o = stacked_item(c, PAM_AUTHTOK, &stacked);
        if (o != OUTCOME_OK)
                return o;
        if (stacked) {
                *ret = stacked;
                return OUTCOME_OK;
        }
        if (c->options.use_authtok) {
                pam_syslog(c->pamh, LOG_ERR, "use_authtok: no earlier module obtained the new password");
                return OUTCOME_NEW_PASSWORD_REJECTED;
        }
        o = prompt(c, PAM_PROMPT_ECHO_OFF, PROMPT_NEW_PASSWORD, &first);
        if (o == OUTCOME_OK)
                o = prompt(c, PAM_PROMPT_ECHO_OFF, PROMPT_RETYPE, &again);
        if (o != OUTCOME_OK)
                return o;
        if (!streq(first, again)) {
                set_message(c, "Sorry, passwords do not match.");
                return OUTCOME_NEW_PASSWORD_REJECTED;
        }
        r = pam_set_item(c->pamh, PAM_AUTHTOK, first);
        if (r == PAM_SUCCESS)
                r = pam_get_item(c->pamh, PAM_AUTHTOK, &value);
        if (r == PAM_BUF_ERR)
                return OUTCOME_NO_MEMORY;
        if (r != PAM_SUCCESS || !value)
                return OUTCOME_SYSTEM_ERROR;
        *ret = value;
        return OUTCOME_OK;
}

static Outcome set_password(Context *c, const char *old, const char *new) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL, *reply = NULL;
        Outcome o;
        int r;

        o = bus_open(c);
        if (o != OUTCOME_OK)
                return o;
        /* Both passwords must be valid UTF-8 to travel; a new one that is not cannot be set. */
        if (!utf8_is_valid(new) || strlen(new) > SECRET_MAX) {
                set_message(c, "The new password must be valid UTF-8 text of at most %d bytes.", SECRET_MAX);
                return OUTCOME_NEW_PASSWORD_REJECTED;
        }
        if (!utf8_is_valid(old) || strlen(old) > SECRET_MAX)
                return OUTCOME_OLD_PASSWORD_WRONG;
        r = new_call(c, "SetPassword", &m);
        if (r >= 0)
                r = sd_bus_message_append(m, "ssa{sv}", c->user, new, 1, "old_password", "s", old);
        if (r < 0) {
                sd_bus_message_unref(m);
                return message_failure(c, "SetPassword", "cannot build the call", r);
        }
        r = bus_call(c, m, &error, &reply);
        sd_bus_message_unref(m);
        sd_bus_message_unref(reply);
        if (r >= 0) {
                pam_syslog(c->pamh, LOG_NOTICE, "password changed for account %s", PRINTABLE(c->user));
                return OUTCOME_OK;
        }

        if (sd_bus_error_has_name(&error, PKGTOKEN_ERROR_BAD_PASSWORD)) {
                pam_syslog(c->pamh, LOG_NOTICE, "password change for account %s: the current password is wrong",
                           PRINTABLE(c->user));
                return OUTCOME_OLD_PASSWORD_WRONG;
        }
        if (sd_bus_error_has_name(&error, PKGTOKEN_ERROR_INVALID_ARGUMENT)) {
                /* Why the new password is unacceptable: no secret in it (design §6). */
                set_message(c, "%s", PRINTABLE(error.message));
                return OUTCOME_NEW_PASSWORD_REJECTED;
        }
        if (sd_bus_error_has_name(&error, PKGTOKEN_ERROR_RATE_LIMITED))
                return OUTCOME_RATE_LIMITED;
        if (sd_bus_error_has_name(&error, PKGTOKEN_ERROR_NO_SUCH_ACCOUNT))
                return OUTCOME_UNKNOWN_ACCOUNT;
        if (sd_bus_error_has_name(&error, PKGTOKEN_ERROR_ACCESS_DENIED)) {
                /* A service account (no password), or a caller pkgtokend does not accept. */
                pam_syslog(c->pamh, LOG_NOTICE, "password change for account %s refused: %s", PRINTABLE(c->user),
                           PRINTABLE(error.message));
                set_message(c, "This account's password cannot be changed here.");
                return OUTCOME_FORBIDDEN;
        }
        return bus_failure(c, "SetPassword", r, &error);
}

static Outcome change_password(Context *c, int flags) {
        const void *data = NULL;
        const char *old = NULL, *new = NULL;
        Outcome o;
        int r;

        o = get_user(c);
        if (o != OUTCOME_OK)
                return o;

        if (flags & PAM_PRELIM_CHECK) {
                o = streq(c->user, PKGTOKEN_ANY_ACCOUNT) ? OUTCOME_UNKNOWN_ACCOUNT : check_account(c);
                if (o == OUTCOME_UNKNOWN_ACCOUNT && c->options.nullok) {
                        /* The update phase follows; it must not prompt for a password it will
                         * not change. */
                        r = pam_set_data(c->pamh, DATA_SKIP_CHAUTHTOK, (void *) 1, NULL);
                        if (r != PAM_SUCCESS)
                                return OUTCOME_SYSTEM_ERROR;
                }
                if (o != OUTCOME_OK)
                        return o;
                return get_old_password(c, &old);
        }

        if (pam_get_data(c->pamh, DATA_SKIP_CHAUTHTOK, &data) == PAM_SUCCESS && data)
                return OUTCOME_UNKNOWN_ACCOUNT;
        o = get_old_password(c, &old);
        if (o == OUTCOME_OK)
                o = get_new_password(c, &new);
        if (o != OUTCOME_OK)
                return o;
        return set_password(c, old, new);
}

_public_ int pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        _cleanup_(context_done) Context c = { .pamh = pamh };
        int r;

        r = parse_options(pamh, flags, argc, argv, &c.options);
        if (r != PAM_SUCCESS)
                return r;
        /* Nothing here expires, so there is never an expired password to change. */
        if (flags & PAM_CHANGE_EXPIRED_AUTHTOK) {
                log_debug(&c, "PAM_CHANGE_EXPIRED_AUTHTOK: pkgtoken passwords do not expire");
                return PAM_SUCCESS;
        }
        if (!(flags & (PAM_PRELIM_CHECK | PAM_UPDATE_AUTHTOK))) {
                pam_syslog(pamh, LOG_ERR, "pam_sm_chauthtok called without PAM_PRELIM_CHECK or PAM_UPDATE_AUTHTOK");
                return PAM_SERVICE_ERR;
        }
        return finish(&c, change_password(&c, flags));
}
