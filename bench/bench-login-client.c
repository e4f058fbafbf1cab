/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The login benchmark's client processes (see bench-login.c): one bus connection each, making
 * the calls of the slices the driver sends, checking every answer. */

#include <errno.h>
#include <liboath/oath.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include "bench-login.h"
#include "bench-util.h"
#include "names.h"

#define SLOW_CALL_NS        (50ULL * 1000000ULL)
#define SETTLE_NS           (1200ULL * 1000000ULL)
#define SETTLE_MAX_NS       (15ULL * 1000000000ULL)
#define OUTSTANDING_MAX     100     /* the open-loop client's calls in flight at most */
#define OTP_SAFE_SECONDS    3       /* the previous step's code only while this much of the step remains */
#define OTP_STEP            30
#define OTP_DIGITS          6
#define UNKNOWN_NAMES       256     /* per client, cycled: failures stay far below LockoutThreshold */
#define PASSWORD            "bench-login-correct-horse"
#define REMOTE              "127.0.0.1"

/* ------------------------------------------------------------------------------------------ */
/* What a client does                                                                         */

typedef struct OtpAccount {
        char name[32];
        char *secret;          /* raw bytes, from the URI's base32 */
        size_t secret_size;
        uint64_t last_counter;
} OtpAccount;

typedef struct Client {
        unsigned index;
        bool latency;          /* the Authorize client */
        sd_bus *bus;
        const char *token;
        char pw_account[32];
        unsigned next_unknown;
        OtpAccount *otp;
        size_t n_otp, next_otp;
        uint32_t *samples;
        size_t n_samples, max_samples;
} Client;

/* A synchronous Manager call about WHAT: dies on any bus error. */
#define manager_call(c, what, method, ...) \
        bench_call((c)->bus, PKGTOKEN_MANAGER_IFACE, (method), (what), __VA_ARGS__)

static void authorize_check_allowed(sd_bus_message *reply) {
        const char *result, *reason, *token_id;

        authorize_reply_read(reply, &result, &reason, &token_id);
        if (!streq(result, "allowed"))
                die("Authorize answered '%s' (%s), expected 'allowed'", result, reason);
}

static void authorize(Client *c) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;

        reply = manager_call(c, "token", "Authorize", "sssa{sv}", c->token, BENCH_PACKAGE, "read", 1, "remote", "s", REMOTE);
        authorize_check_allowed(reply);
}

/* The open-loop client: Authorize calls sent at fixed times, whatever the answers do, the
 * latency of each counted from the time it was due.  A client that waits for each answer
 * before it sends the next (closed loop) is held up by a stall of the daemon for one call
 * only, however long the stall: its percentiles hide what every other caller of the daemon
 * sees ("coordinated omission").  Calls due in [measure, stop) are recorded. */
static void record(Client *c, uint64_t d);

typedef struct OpenLoop {
        Client *client;
        uint64_t *due;          /* per call: when it was due (ns) */
        size_t n_sent, n_done, max_calls;
        uint64_t measure_ns;
        uint64_t first_due, last_done;
        uint64_t calls;
} OpenLoop;

static OpenLoop *open_loop_current;   /* the reply callbacks' context (one per process) */

static int on_authorize_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        OpenLoop *o = open_loop_current;
        size_t i = (size_t) (uintptr_t) userdata;
        uint64_t now = now_ns();

        if (sd_bus_message_is_method_error(reply, NULL))
                die("Authorize failed: %s: %s", sd_bus_message_get_error(reply)->name,
                    sd_bus_message_get_error(reply)->message ?: "");
        authorize_check_allowed(reply);
        o->n_done++;
        if (o->due[i] >= o->measure_ns) {
                record(o->client, now - o->due[i]);
                o->calls++;
                o->last_done = now;
        }
        return 0;
}

static void authorize_open_loop(Client *c, const Go *go, Report *rep) {
        uint64_t interval = 1000000000ULL / go->arg, next = go->start_ns;
        OpenLoop o = {
                .client = c,
                .max_calls = (size_t) ((go->stop_ns - go->start_ns) / interval) + 2,
                .measure_ns = go->measure_ns,
        };
        int r;

        o.due = calloc(o.max_calls, sizeof *o.due);
        if (!o.due)
                die("out of memory");
        open_loop_current = &o;
        sleep_until(go->start_ns);
        for (;;) {
                uint64_t now = now_ns();

                /* dbus-daemon refuses more than max_replies_per_connection (128 by default)
                 * pending calls: beyond OUTSTANDING_MAX, calls wait here, their latency still
                 * counted from when they were due. */
                while (next <= now && next < go->stop_ns && o.n_sent < o.max_calls &&
                       o.n_sent - o.n_done < OUTSTANDING_MAX) {
                        o.due[o.n_sent] = next;
                        if (next >= go->measure_ns && o.first_due == 0)
                                o.first_due = next;
                        r = sd_bus_call_method_async(c->bus, NULL, PKGTOKEN_BUS_NAME, PKGTOKEN_OBJECT_PATH,
                                                     PKGTOKEN_MANAGER_IFACE, "Authorize", on_authorize_reply,
                                                     (void *) (uintptr_t) o.n_sent, "sssa{sv}", c->token,
                                                     BENCH_PACKAGE, "read", 1, "remote", "s", REMOTE);
                        if (r < 0)
                                die("cannot send an Authorize call: %s", strerror(-r));
                        o.n_sent++;
                        next += interval;
                }
                do {
                        r = sd_bus_process(c->bus, NULL);
                        if (r < 0)
                                die("bus: %s", strerror(-r));
                } while (r > 0);
                if (next >= go->stop_ns && o.n_done == o.n_sent)
                        break;
                if (next < go->stop_ns && o.n_sent - o.n_done < OUTSTANDING_MAX) {
                        now = now_ns();
                        if (next > now) {
                                r = sd_bus_wait(c->bus, (next - now) / 1000);
                                if (r < 0)
                                        die("bus: %s", strerror(-r));
                        }
                } else if (now_ns() > go->stop_ns + BENCH_CALL_TIMEOUT_USEC * 1000ULL) {
                        die("%zu Authorize calls unanswered", o.n_sent - o.n_done);
                } else {
                        r = sd_bus_wait(c->bus, 100000);
                        if (r < 0)
                                die("bus: %s", strerror(-r));
                }
        }
        open_loop_current = NULL;
        free(o.due);
        rep->calls = o.calls;
        rep->elapsed_ns = o.calls > 0 ? (o.last_done > o.first_due ? o.last_done - o.first_due : 1) : 0;
}

static void authenticate(Client *c, const char *account, const char *otp, const char *expect) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *result, *reason;
        int r;

        reply = manager_call(c, account, "Authenticate", "sssa{sv}", account, PASSWORD, otp, 1, "remote", "s", REMOTE);
        r = sd_bus_message_read(reply, "ss", &result, &reason);
        if (r < 0)
                die("cannot read the Authenticate reply: %s", strerror(-r));
        if (streq(result, "rate-limited") || streq(result, "locked"))
                die("Authenticate(%s) answered '%s' (%s): the bench must never reach a limit; "
                    "run pkgtokend with LockoutThreshold=1000 and TokenGuessLimit=1000000 (run.sh does)",
                    account, result, reason);
        if (!streq(result, expect))
                die("Authenticate(%s%s) answered '%s' (%s), expected '%s'", account,
                    isempty(otp) ? "" : " + OTP", result, reason, expect);
}

/* ------------------------------------------------------------------------------------------ */
/* TOTP                                                                                       */

static time_t realtime_sec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return ts.tv_sec;
}

static void totp_code(const Client *c, const OtpAccount *a, uint64_t counter, char out[static OTP_DIGITS + 1]) {
        int r = oath_totp_generate2(a->secret, a->secret_size, (time_t) (counter * OTP_STEP), OTP_STEP, 0,
                                    OTP_DIGITS, 0, out);
        if (r != OATH_OK)
                die("oath_totp_generate2: %s", oath_strerror(r));
}

/* The next counter of a that pkgtokend will take now (above the last one it accepted and
 * within the window, the previous step only while enough of the current one remains), or 0
 * when a has none left in this step. */
static uint64_t otp_next_counter(const Client *c, const OtpAccount *a) {
        time_t now = realtime_sec();
        uint64_t cur = (uint64_t) now / OTP_STEP, remaining = OTP_STEP - (uint64_t) now % OTP_STEP;
        uint64_t lowest = remaining > OTP_SAFE_SECONDS ? cur - 1 : cur;
        uint64_t next = a->last_counter + 1;
        char code[OTP_DIGITS + 1], other[OTP_DIGITS + 1];

        if (next < lowest)
                next = lowest;
        if (next > cur + 1)
                return 0;
        /* pkgtokend takes the first step of its window whose code matches: leave the account
         * alone for now when the code happens to equal another nearby step's (one in 10^5 or
         * so), which pkgtokend could take for a replay or store as another counter. */
        totp_code(c, a, next, code);
        for (uint64_t k = cur - 2; k <= cur + 2; k++) {
                if (k == next)
                        continue;
                totp_code(c, a, k, other);
                if (streq(code, other))
                        return 0;
        }
        return next;
}

static void otp_enroll(Client *c, OtpAccount *a) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *r1 = NULL, *r2 = NULL, *r3 = NULL, *r4 = NULL;
        const char *uri, *p, *end;
        char code[OTP_DIGITS + 1];
        _cleanup_free_ char *b32 = NULL;
        uint64_t counter;
        int r;

        r1 = manager_call(c, a->name, "CreateAccount", "sssa{sv}", a->name, EMAIL, "human", 0);
        r2 = manager_call(c, a->name, "SetPassword", "ssa{sv}", a->name, PASSWORD, 0);
        r3 = manager_call(c, a->name, "EnrollTOTP", "sa{sv}", a->name, 0);
        r = sd_bus_message_read(r3, "s", &uri);
        if (r < 0)
                die("cannot read the EnrollTOTP reply: %s", strerror(-r));
        p = strstr(uri, "?secret=");
        if (!p)
                p = strstr(uri, "&secret=");
        if (!p)
                die("EnrollTOTP returned a URI without a secret");
        p += strlen("?secret=");
        end = p + strcspn(p, "&");
        b32 = strndup(p, (size_t) (end - p));
        if (!b32)
                die("out of memory");
        r = oath_base32_decode(b32, strlen(b32), &a->secret, &a->secret_size);
        explicit_bzero(b32, strlen(b32));
        if (r != OATH_OK)
                die("cannot decode the TOTP secret: %s", oath_strerror(r));

        /* pkgtokend has accepted no counter of this account yet: any in the window will do
         * (counter 0 means a collision, see otp_next_counter(): try a later one). */
        for (int i = 0; i < 3 && (counter = otp_next_counter(c, a)) == 0; i++)
                a->last_counter = a->last_counter ? a->last_counter + 1 : (uint64_t) realtime_sec() / OTP_STEP - 1;
        if (counter == 0)
                die("no usable TOTP counter for a new account");
        totp_code(c, a, counter, code);
        r4 = manager_call(c, a->name, "ConfirmTOTP", "sssa{sv}", a->name, code, "auth-only", 0);
        a->last_counter = counter;
}

static void login_otp(Client *c) {
        char code[OTP_DIGITS + 1];

        if (c->n_otp == 0)
                die("no accounts with 2FA");
        for (size_t tried = 0; tried < c->n_otp; tried++) {
                OtpAccount *a = &c->otp[c->next_otp];
                uint64_t counter = otp_next_counter(c, a);

                if (counter == 0) {
                        c->next_otp = (c->next_otp + 1) % c->n_otp;
                        continue;
                }
                totp_code(c, a, counter, code);
                authenticate(c, a->name, code, "ok");
                a->last_counter = counter;
                return;
        }
        die("all %zu accounts with 2FA have used the codes of this step: the pool is too small "
            "for this rate (a bug in its sizing)", c->n_otp);
}

/* ------------------------------------------------------------------------------------------ */
/* The client processes                                                                       */

static void one_call(Client *c, Kind kind) {
        char name[48];

        switch (kind) {
        case KIND_AUTHORIZE:
                authorize(c);
                break;
        case KIND_LOGIN_PW:
                authenticate(c, c->pw_account, "", "ok");
                break;
        case KIND_LOGIN_UNKNOWN:
                snprintf(name, sizeof name, "blnone%ux%u", c->index, c->next_unknown);
                c->next_unknown = (c->next_unknown + 1) % UNKNOWN_NAMES;
                authenticate(c, name, "", "bad-credentials");
                break;
        case KIND_LOGIN_OTP:
                login_otp(c);
                break;
        default:
                break;
        }
}

static void record(Client *c, uint64_t d) {
        if (c->n_samples == c->max_samples) {
                c->max_samples = c->max_samples ? c->max_samples * 2 : 65536;
                c->samples = realloc(c->samples, c->max_samples * sizeof *c->samples);
                if (!c->samples)
                        die("out of memory");
        }
        c->samples[c->n_samples++] = sample_u32(d);
}

static void client_setup(Client *c, const char *address, uint64_t warmup_ns) {
        uint64_t start;

        c->bus = bench_bus_connect(address);
        if (c->latency) {
                /* Warm up, then wait until the first use's last-used write (at most 1 s later)
                 * is done: no call slower than SLOW_CALL_NS for SETTLE_NS. */
                uint64_t calm_since, t0;
                start = now_ns();
                while (now_ns() - start < warmup_ns)
                        authorize(c);
                calm_since = t0 = now_ns();
                for (;;) {
                        uint64_t before = now_ns(), after;
                        authorize(c);
                        after = now_ns();
                        if (after - before > SLOW_CALL_NS)
                                calm_since = after;
                        if (after - calm_since >= SETTLE_NS || after - t0 > SETTLE_MAX_NS)
                                break;
                }
                return;
        }

        _cleanup_(sd_bus_message_unrefp) sd_bus_message *r1 = NULL, *r2 = NULL;
        snprintf(c->pw_account, sizeof c->pw_account, "blpw%u", c->index);
        r1 = manager_call(c, c->pw_account, "CreateAccount", "sssa{sv}", c->pw_account, EMAIL, "human", 0);
        r2 = manager_call(c, c->pw_account, "SetPassword", "ssa{sv}", c->pw_account, PASSWORD, 0);
        start = now_ns();
        do {
                one_call(c, KIND_LOGIN_PW);
                one_call(c, KIND_LOGIN_UNKNOWN);
        } while (now_ns() - start < warmup_ns);
}

static void client_setup_otp(Client *c, unsigned n) {
        OtpAccount *l = realloc(c->otp, (c->n_otp + n) * sizeof *l);
        if (!l)
                die("out of memory");
        c->otp = l;
        for (unsigned i = 0; i < n; i++) {
                OtpAccount *a = &c->otp[c->n_otp];
                *a = (OtpAccount) {};
                snprintf(a->name, sizeof a->name, "blotp%ux%zu", c->index, c->n_otp);
                otp_enroll(c, a);
                c->n_otp++;
        }
}

/* Synchronous calls from start to stop.  Authorize (closed loop): the calls that begin in
 * [measure, stop) count, the rate over their span.  Logins take tens of ms, a few per client
 * and slice: the calls that end in [measure, stop) count, over that window, so that the calls
 * in flight at either edge bias nothing. */
static void closed_loop(Client *c, const Go *go, Report *rep) {
        bool by_start = go->kind == KIND_AUTHORIZE;
        uint64_t t, first = 0;

        sleep_until(go->start_ns);
        t = now_ns();
        while (t < go->stop_ns) {
                uint64_t before = t;
                bool counted;

                one_call(c, (Kind) go->kind);
                t = now_ns();
                counted = by_start ? before >= go->measure_ns : t >= go->measure_ns && t < go->stop_ns;
                if (!counted)
                        continue;
                if (rep->calls == 0)
                        first = before;
                rep->calls++;
                record(c, t - before);
        }
        if (by_start)
                rep->elapsed_ns = rep->calls > 0 ? t - first : 0;
        else
                rep->elapsed_ns = go->stop_ns - go->measure_ns;
}

_Noreturn void client_main(unsigned index, bool latency, const char *token, const char *address, uint64_t warmup_ns,
                           int go_fd, int report_fd) {
        Client client = { .index = index, .latency = latency, .token = token }, *c = &client;

        for (;;) {
                Report rep = {};
                uint64_t first, cpu0;
                Go go;

                if (!read_full(go_fd, &go, sizeof go))
                        break;   /* no more slices */
                c->n_samples = 0;
                cpu0 = cpu_ns();

                switch (go.kind) {
                case KIND_SETUP:
                        client_setup(c, address, warmup_ns);
                        break;
                case KIND_SETUP_OTP:
                        first = now_ns();
                        client_setup_otp(c, go.arg);
                        rep.calls = go.arg;
                        rep.elapsed_ns = now_ns() - first;
                        break;
                case KIND_IDLE:
                        break;
                case KIND_AUTHORIZE:
                        if (go.arg > 0)
                                authorize_open_loop(c, &go, &rep);
                        else
                                closed_loop(c, &go, &rep);
                        break;
                default:
                        closed_loop(c, &go, &rep);
                        break;
                }
                rep.n_samples = c->n_samples;
                rep.cpu_ns = cpu_ns() - cpu0;
                write_full(report_fd, &rep, sizeof rep);
                write_full(report_fd, c->samples, c->n_samples * sizeof *c->samples);
        }
        sd_bus_flush_close_unref(c->bus);
        _exit(EXIT_SUCCESS);
}

char *make_token(const char *address) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *r1 = NULL, *r2 = NULL, *r3 = NULL;
        Client c = { .latency = true, .index = 0 };
        const char *id, *secret;
        char *ret;
        int r;

        c.bus = bench_bus_connect(address);
        r1 = manager_call(&c, SVC_ACCOUNT, "CreateAccount", "sssa{sv}", SVC_ACCOUNT, EMAIL, "service", 0);
        r2 = manager_call(&c, BENCH_PACKAGE, "CreatePackage", "ssas", BENCH_PACKAGE, "none", 1, SVC_ACCOUNT);
        r3 = manager_call(&c, SVC_ACCOUNT, "CreateToken", "ssasstasa{sv}", SVC_ACCOUNT, "read-only", 1, BENCH_PACKAGE,
             "bench-login", (uint64_t) 0, 0, 0);
        r = sd_bus_message_read(r3, "ss", &id, &secret);
        if (r < 0)
                die("cannot read the CreateToken reply: %s", strerror(-r));
        ret = strdup(secret);
        if (!ret)
                die("out of memory");
        sd_bus_flush_close_unref(c.bus);
        return ret;
}
