/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The login benchmark driver: password hashing against token checks.  Not a test: it
 * measures and reports, and fails only when an answer is wrong, never because something was
 * slow.  bench/run.sh drives it against a private dbus-daemon and a pkgtokend of its own,
 * started on an empty state directory, with LockoutThreshold=1000 and TokenGuessLimit=1000000
 * so that no limit is ever reached.
 *
 *   bench-login run ADDRESS SECONDS ROUNDS BURSTS CLIENTS
 *
 * Sets everything up over the bus (one service account, package and read-only token for
 * Authorize; human accounts with passwords for Authenticate), then forks one latency client
 * and max(BURSTS, CLIENTS) login clients, each with its own bus connection, each making
 * synchronous calls.  Every mode is measured for SECONDS in all, in ROUNDS slices; round r runs
 * one slice of every mode, in an order rotated by r, so that a drift of the machine does not
 * land on one mode only.  The modes:
 *
 *   idle              the latency client calls Authorize(token, package, "read"), which must
 *                     answer "allowed"; nothing else runs: the baseline (a);
 *   burst-pw-N        the same while N login clients call Authenticate with the right password
 *                     of an account without 2FA, which must answer "ok" (b);
 *   burst-unknown-N   the same while N login clients call Authenticate for accounts that do not
 *                     exist, which must answer "bad-credentials" (pkgtokend checks its dummy
 *                     hash: the same yescrypt as a real one) (b);
 *   login-pw          CLIENTS login clients, no Authorize: Authenticate ok answers/s (c);
 *   login-unknown     the same with unknown accounts: bad-credentials answers/s (c);
 *   login-otp         the same with password + TOTP code on accounts with 2FA (c).
 *
 * The latency client is one bus connection that sends Authorize calls at a fixed rate,
 * BENCH_LOGIN_AUTHZ_RATE calls/s (default 2000, well below what one connection can do), without
 * waiting for the answers, and counts each call's latency from the time it was due (open
 * loop): a stall of the daemon's event loop then shows in the latency of every call that
 * arrives during it, as it would for the many independent callers of a registry, instead of
 * in one call only (see authorize_open_loop()).  BENCH_LOGIN_AUTHZ_RATE=0 makes it a closed
 * loop (one synchronous call after another) instead.
 *
 * BURSTS is a comma-separated list of login client counts (e.g. "4,16").  In burst modes the
 * login clients start 300 ms before the latency client measures and stop after it, so that
 * it measures the steady state of the burst only; in the login-* modes, answers are counted
 * from 200 ms after the clients start.  Logins/s: the answers that arrive within the counted
 * window, divided by its length (a client makes only a few calls per slice, so the calls in
 * flight at either edge must not bias it).  Authorize/s: answers over the span they took.
 *
 * TOTP codes are computed here with liboath from the secret of the otpauth:// URI that
 * EnrollTOTP returns.  pkgtokend accepts each counter of an account at most once and only
 * counters within ±1 step of now, so every login-otp call uses an (account, counter) pair no
 * call used before: each account gives the counters of the current step and the next (and the
 * previous one while more than OTP_SAFE_SECONDS of the step remain), then the next account is
 * used.  The pool of accounts with 2FA is sized after a 1-second calibration of the password
 * login rate, with a margin of 2 (more in practice: most accounts give 3 codes, and each
 * gives one more per step as the run goes on), before the clock starts; running out of it
 * is an error, never a silent wait.
 *
 * Prints one line per mode:
 *   mode=M login_clients=N authz_target=.. authz_calls=.. authz_rate=.. p50_us=.. p90_us=..
 *     p99_us=.. p999_us=.. max_us=..
 *     p50_ratio_min=.. p50_ratio_max=.. p99_ratio_min=.. p99_ratio_max=.. p99_ratio_median=..
 *     login_calls=.. login_rate=.. login_p50_ms=.. login_p99_ms=..
 *     [main_cpu_pct=.. main_wait_pct=.. workers_cpu_pct=.. bus_cpu_pct=.. bus_wait_pct=..
 *     other_cpu_pct=..] steal_pct=..
 * and before them "calibrate rate=.." and "setup otp_accounts=.. seconds=..".
 * Latencies are over every call of every slice of the mode; *_ratio_min/max/median: over the
 * rounds, the percentile of the mode divided by that of idle in the same round (latency modes
 * only).  main_*: pkgtokend's event loop thread (its PID), CPU time and time spent
 * runnable but waiting for a CPU, as a percentage of the wall time of the slices; workers: the
 * CPU time of its other threads; bus_*: dbus-daemon's (from /proc/PID/task/.../schedstat);
 * other: the CPU time of everything else on the machine (/proc/stat's busy time minus the
 * bench's processes), steal: time the hypervisor gave to others: both say how quiet the
 * machine was.
 *
 * Environment: BENCH_LOGIN_AUTHZ_RATE as above; BENCH_WARMUP_MS (default 300) warm-up per
 * client; BENCH_DAEMON_PID and BENCH_BUS_PID name the processes whose CPU time is reported;
 * BENCH_LOGIN_MODES, a comma-separated list of mode names, measures only those (and idle),
 * e.g. to profile one. */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <liboath/oath.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include "bench-util.h"
#include "names.h"

#define CLIENTS_MAX         64
#define BURSTS_MAX          8
#define ROUNDS_MAX          100
#define RESULT_TIMEOUT_MS   (300 * 1000)
#define RAMP_NS             (300ULL * 1000000ULL)   /* burst runs alone before the latency client measures */
#define LOGIN_RAMP_NS       (200ULL * 1000000ULL)   /* logins run before their answers are counted */
#define TAIL_NS             (50ULL * 1000000ULL)    /* ... and on after it stopped */
#define START_DELAY_NS      (20ULL * 1000000ULL)    /* from the go message to the start of a slice */
#define CALIBRATE_NS        (1000ULL * 1000000ULL)
#define SLOW_CALL_NS        (50ULL * 1000000ULL)
#define SETTLE_NS           (1200ULL * 1000000ULL)
#define SETTLE_MAX_NS       (15ULL * 1000000000ULL)
#define AUTHZ_RATE_DEFAULT  2000    /* Authorize calls/s of the open-loop latency client */
#define OUTSTANDING_MAX     100     /* its calls in flight at most */
#define OTP_SAFE_SECONDS    3       /* the previous step's code only while this much of the step remains */
#define OTP_STEP            30
#define OTP_DIGITS          6
#define OTP_POOL_MARGIN     2.0     /* accounts with 2FA: expected need (2 codes each) times this */
#define OTP_POOL_MAX        20000
#define UNKNOWN_NAMES       256     /* per client, cycled: failures stay far below LockoutThreshold */

#define PASSWORD            "bench-login-correct-horse"
#define SVC_ACCOUNT         "blsvc"
#define BENCH_PACKAGE       "bench-login-pkg"
#define EMAIL               "bench@example.invalid"
#define REMOTE              "127.0.0.1"

const char *program = "bench-login";

/* ------------------------------------------------------------------------------------------ */
/* What the clients do                                                                        */

typedef enum Kind {
        KIND_IDLE,             /* nothing this slice */
        KIND_AUTHORIZE,        /* the latency client */
        KIND_LOGIN_PW,
        KIND_LOGIN_UNKNOWN,
        KIND_LOGIN_OTP,
        KIND_SETUP,            /* connect, make own accounts, warm up */
        KIND_SETUP_OTP,        /* make `arg` accounts with 2FA */
} Kind;

/* driver → client, one per slice */
typedef struct Go {
        uint32_t kind, arg;
        uint64_t start_ns;     /* CLOCK_MONOTONIC: when to begin calling */
        uint64_t measure_ns;   /* calls beginning before this are not recorded */
        uint64_t stop_ns;      /* no call begins at or after this */
} Go;

/* client → driver, one per slice, followed by n_samples latencies (ns, uint32, saturated) */
typedef struct Report {
        uint64_t calls, elapsed_ns, cpu_ns, n_samples;   /* cpu_ns: the client's own, this slice */
} Report;

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

static _Noreturn void client_main(Client *c, const char *address, uint64_t warmup_ns, int go_fd, int report_fd) {
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

/* ------------------------------------------------------------------------------------------ */
/* The driver                                                                                 */

/* Reads exactly n bytes from a client, bounded in time; a client that exits first failed
 * (its own message is on stderr already). */
static void read_report(int fd, unsigned client, void *p, size_t n) {
        uint8_t *b = p;
        uint64_t until = now_ns() + (uint64_t) RESULT_TIMEOUT_MS * 1000000ULL;

        while (n > 0) {
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                ssize_t k;
                int q;

                if (now_ns() > until)
                        die("client %u did not report within %d s", client, RESULT_TIMEOUT_MS / 1000);
                q = poll(&pfd, 1, 1000);
                if (q < 0 && errno != EINTR)
                        die("poll: %m");
                if (q <= 0)
                        continue;
                k = read(fd, b, n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k == 0)
                        die("client %u exited early", client);
                if (k < 0)
                        die("reading from client %u: %m", client);
                b += k;
                n -= (size_t) k;
        }
}

/* A measured mode: which clients do what. */
typedef struct Mode {
        char name[32];
        bool latency;          /* the latency client runs Authorize */
        Kind login;            /* what the login clients do */
        unsigned logins;       /* how many of them */
} Mode;

/* What one mode collected over its slices. */
typedef struct Stats {
        uint32_t *authz, *login;
        size_t n_authz, n_login;
        double authz_rate, login_rate;      /* summed over clients, mean over rounds */
        uint64_t authz_calls, login_calls;
        double p50_round[ROUNDS_MAX], p99_round[ROUNDS_MAX];
        Sched daemon, bus;
        double wall_ns, other_ns, steal_ns;
} Stats;

typedef struct Driver {
        unsigned n_clients;    /* login clients; the latency client is index n_clients */
        int go[CLIENTS_MAX + 1], report[CLIENTS_MAX + 1];
        pid_t daemon_pid, bus_pid;
} Driver;

/* Runs one slice: kind_of(i) for every client; returns each client's report and samples. */
typedef struct SliceOut {
        Report rep[CLIENTS_MAX + 1];
        uint32_t *samples[CLIENTS_MAX + 1];
        Sched daemon, bus;
        double wall_ns, other_ns, steal_ns;   /* CPU time outside the bench, stolen */
} SliceOut;

static void run_slice(Driver *d, const Go *gos, SliceOut *out) {
        Sched d0 = sched_read(d->daemon_pid), b0 = sched_read(d->bus_pid);
        Machine m0 = machine_read(), m1;
        uint64_t t0 = now_ns();
        double ours = 0;

        for (unsigned i = 0; i <= d->n_clients; i++)
                if (write(d->go[i], &gos[i], sizeof gos[i]) != (ssize_t) sizeof gos[i])
                        die("cannot start client %u: %m", i);
        for (unsigned i = 0; i <= d->n_clients; i++) {
                read_report(d->report[i], i, &out->rep[i], sizeof out->rep[i]);
                if (out->rep[i].n_samples > 100000000)
                        die("client %u: bad report", i);
                out->samples[i] = malloc(out->rep[i].n_samples * sizeof(uint32_t) + 1);
                if (!out->samples[i])
                        die("out of memory");
                read_report(d->report[i], i, out->samples[i], out->rep[i].n_samples * sizeof(uint32_t));
        }
        out->wall_ns = (double) (now_ns() - t0);
        out->daemon = sched_diff(d0, sched_read(d->daemon_pid));
        out->bus = sched_diff(b0, sched_read(d->bus_pid));
        m1 = machine_read();
        for (unsigned i = 0; i <= d->n_clients; i++)
                ours += (double) out->rep[i].cpu_ns;
        ours += out->daemon.main_run + out->daemon.other_run + out->bus.main_run + out->bus.other_run;
        out->other_ns = out->wall_ns * (double) sysconf(_SC_NPROCESSORS_ONLN) - (m1.idle - m0.idle) -
                        (m1.steal - m0.steal) - ours;
        if (out->other_ns < 0 || !d->daemon_pid || !d->bus_pid)
                out->other_ns = 0;   /* tick granularity; unknown without the PIDs */
        out->steal_ns = m1.steal - m0.steal;
}

static void slice_out_free(Driver *d, SliceOut *out) {
        for (unsigned i = 0; i <= d->n_clients; i++) {
                free(out->samples[i]);
                out->samples[i] = NULL;
        }
}

/* The setup: one service account, a package it maintains and a read-only token for it. */
static char *make_token(const char *address) {
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

static int do_run(int argc, char *argv[]) {
        const char *address, *e;
        unsigned seconds, rounds, n_bursts = 0, bursts[BURSTS_MAX], clients, n_login, authz_target;
        uint64_t warmup_ns, slice_ns;
        Mode modes[2 * BURSTS_MAX + 4];
        unsigned n_modes = 0;
        Stats *stats;
        Driver d = {};
        char *token;

        if (argc != 5)
                die("usage: %s run ADDRESS SECONDS ROUNDS BURSTS CLIENTS", program);
        address = argv[0];
        seconds = (unsigned) parse_ulong(argv[1], "duration", 1, 3600);
        rounds = (unsigned) parse_ulong(argv[2], "round count", 1, ROUNDS_MAX);
        {
                _cleanup_free_ char *copy = strdup(argv[3]);
                char *save = NULL;
                if (!copy)
                        die("out of memory");
                for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
                        if (n_bursts == BURSTS_MAX)
                                die("at most %d burst sizes", BURSTS_MAX);
                        bursts[n_bursts++] = (unsigned) parse_ulong(w, "burst size", 1, CLIENTS_MAX);
                }
        }
        clients = (unsigned) parse_ulong(argv[4], "client count", 1, CLIENTS_MAX);
        warmup_ns = getenv_ulong("BENCH_WARMUP_MS", 0, 600000, 300) * NSEC_PER_MSEC;
        authz_target = (unsigned) getenv_ulong("BENCH_LOGIN_AUTHZ_RATE", 0, 100000, AUTHZ_RATE_DEFAULT);
        slice_ns = (uint64_t) seconds * NSEC_PER_SEC / rounds;
        d.daemon_pid = getenv_pid("BENCH_DAEMON_PID");
        d.bus_pid = getenv_pid("BENCH_BUS_PID");

        n_login = clients;
        for (unsigned i = 0; i < n_bursts; i++)
                if (bursts[i] > n_login)
                        n_login = bursts[i];
        d.n_clients = n_login;

        modes[n_modes++] = (Mode) { "idle", true, KIND_IDLE, 0 };
        for (unsigned i = 0; i < n_bursts; i++) {
                modes[n_modes] = (Mode) { "", true, KIND_LOGIN_PW, bursts[i] };
                snprintf(modes[n_modes++].name, sizeof modes[0].name, "burst-pw-%u", bursts[i]);
                modes[n_modes] = (Mode) { "", true, KIND_LOGIN_UNKNOWN, bursts[i] };
                snprintf(modes[n_modes++].name, sizeof modes[0].name, "burst-unknown-%u", bursts[i]);
        }
        modes[n_modes++] = (Mode) { "login-pw", false, KIND_LOGIN_PW, clients };
        modes[n_modes++] = (Mode) { "login-unknown", false, KIND_LOGIN_UNKNOWN, clients };
        modes[n_modes++] = (Mode) { "login-otp", false, KIND_LOGIN_OTP, clients };
        /* BENCH_LOGIN_MODES: measure only these (comma-separated names; idle always). */
        e = getenv("BENCH_LOGIN_MODES");
        if (!isempty(e)) {
                unsigned kept = 1;
                for (unsigned m = 1; m < n_modes; m++) {
                        size_t len = strlen(modes[m].name);
                        for (const char *p = e; *p; p += strcspn(p, ","), p += *p == ',')
                                if (strcspn(p, ",") == len && strncmp(p, modes[m].name, len) == 0) {
                                        modes[kept++] = modes[m];
                                        break;
                                }
                }
                n_modes = kept;
        }
        stats = calloc(n_modes, sizeof *stats);
        if (!stats)
                die("out of memory");

        if (oath_init() != OATH_OK)
                die("oath_init failed");
        signal(SIGPIPE, SIG_IGN);
        token = make_token(address);

        for (unsigned i = 0; i <= n_login; i++) {
                int g[2], rep[2];

                if (pipe2(g, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0)
                        die("pipe: %m");
                if (fork_client("%s client %u", i == n_login ? "latency" : "login", i) == 0) {
                        Client c = { .index = i, .latency = i == n_login, .token = token };
                        close(g[1]);
                        close(rep[0]);
                        for (unsigned j = 0; j < i; j++) {
                                close(d.go[j]);
                                close(d.report[j]);
                        }
                        client_main(&c, address, warmup_ns, g[0], rep[1]);
                }
                close(g[0]);
                close(rep[1]);
                d.go[i] = g[1];
                d.report[i] = rep[0];
        }

        Go gos[CLIENTS_MAX + 1];
        SliceOut out = {};

        /* Setup: every client connects, makes its account, warms up. */
        for (unsigned i = 0; i <= n_login; i++)
                gos[i] = (Go) { .kind = KIND_SETUP };
        run_slice(&d, gos, &out);
        slice_out_free(&d, &out);

        bool want_otp = false;
        for (unsigned m = 0; m < n_modes; m++)
                want_otp = want_otp || modes[m].login == KIND_LOGIN_OTP;

        /* Calibration: password logins/s with the throughput clients, to size the 2FA pool. */
        double calibrate_rate = 0;
        if (want_otp) {
                uint64_t t = now_ns() + START_DELAY_NS;
                for (unsigned i = 0; i <= n_login; i++)
                        gos[i] = (Go) { .kind = i < clients ? KIND_LOGIN_PW : KIND_IDLE, .start_ns = t,
                                        .measure_ns = t + LOGIN_RAMP_NS, .stop_ns = t + LOGIN_RAMP_NS + CALIBRATE_NS };
                run_slice(&d, gos, &out);
                for (unsigned i = 0; i < clients; i++)
                        if (out.rep[i].elapsed_ns > 0)
                                calibrate_rate += (double) out.rep[i].calls * 1e9 / (double) out.rep[i].elapsed_ns;
                slice_out_free(&d, &out);
                if (calibrate_rate <= 0)
                        die("no password login completed in the calibration second");
                printf("calibrate rate=%.1f\n", calibrate_rate);
        }

        /* Accounts with 2FA: the login-otp slices make about rate × seconds logins; each
         * account gives at least 2 codes per step. */
        if (want_otp) {
                double need = calibrate_rate * seconds * OTP_POOL_MARGIN / 2;
                unsigned per_client = (unsigned) (need / clients) + 2;
                uint64_t t = now_ns();
                if ((uint64_t) per_client * clients > OTP_POOL_MAX)
                        die("a pool of %u accounts with 2FA would be needed; shorten BENCH_LOGIN_SECONDS",
                            per_client * clients);
                for (unsigned i = 0; i <= n_login; i++)
                        gos[i] = (Go) { .kind = i < clients ? KIND_SETUP_OTP : KIND_IDLE, .arg = per_client };
                run_slice(&d, gos, &out);
                slice_out_free(&d, &out);
                printf("setup otp_accounts=%u seconds=%.1f\n", per_client * clients, (double) (now_ns() - t) / 1e9);
                fflush(stdout);
        }

        /* The measurement: round r runs every mode once, starting with mode r mod n_modes. */
        for (unsigned r = 0; r < rounds; r++)
                for (unsigned j = 0; j < n_modes; j++) {
                        unsigned m = (r + j) % n_modes;
                        const Mode *mode = &modes[m];
                        Stats *st = &stats[m];
                        uint64_t t = now_ns() + START_DELAY_NS;
                        uint64_t ramp = mode->logins == 0 ? 0 : mode->latency ? RAMP_NS : LOGIN_RAMP_NS;
                        uint64_t tail = mode->latency && mode->logins > 0 ? TAIL_NS : 0;
                        uint64_t login_calls = 0;

                        for (unsigned i = 0; i < n_login; i++)
                                gos[i] = (Go) { .kind = i < mode->logins ? mode->login : KIND_IDLE,
                                                .start_ns = t, .measure_ns = t + ramp,
                                                .stop_ns = t + ramp + slice_ns + tail };
                        gos[n_login] = (Go) { .kind = mode->latency ? KIND_AUTHORIZE : KIND_IDLE,
                                              .arg = authz_target,
                                              .start_ns = t + ramp, .measure_ns = t + ramp,
                                              .stop_ns = t + ramp + slice_ns };
                        run_slice(&d, gos, &out);

                        for (unsigned i = 0; i <= n_login; i++) {
                                const Report *x = &out.rep[i];
                                double rate = x->elapsed_ns ? (double) x->calls * 1e9 / (double) x->elapsed_ns : 0;
                                if (gos[i].kind == KIND_IDLE)
                                        continue;
                                if (i == n_login) {
                                        if (x->calls == 0)
                                                die("the latency client made no call in a slice of %s", mode->name);
                                        st->authz_rate += rate / rounds;
                                        st->authz_calls += x->calls;
                                        samples_sort(out.samples[i], x->n_samples);
                                        st->p50_round[r] = samples_percentile(out.samples[i], x->n_samples, 0.50);
                                        st->p99_round[r] = samples_percentile(out.samples[i], x->n_samples, 0.99);
                                        samples_append(&st->authz, &st->n_authz, out.samples[i], x->n_samples);
                                } else {
                                        st->login_rate += rate / rounds;
                                        st->login_calls += x->calls;
                                        login_calls += x->calls;
                                        samples_append(&st->login, &st->n_login, out.samples[i], x->n_samples);
                                }
                        }
                        if (mode->logins > 0 && login_calls == 0)
                                die("no login was answered in a slice of %s", mode->name);
                        st->daemon.main_run += out.daemon.main_run;
                        st->daemon.main_wait += out.daemon.main_wait;
                        st->daemon.other_run += out.daemon.other_run;
                        st->bus.main_run += out.bus.main_run + out.bus.other_run;
                        st->bus.main_wait += out.bus.main_wait + out.bus.other_wait;
                        st->wall_ns += out.wall_ns;
                        st->other_ns += out.other_ns;
                        st->steal_ns += out.steal_ns;
                        slice_out_free(&d, &out);
                }

        for (unsigned i = 0; i <= n_login; i++) {
                close(d.go[i]);
                close(d.report[i]);
        }
        clients_reap();

        for (unsigned m = 0; m < n_modes; m++) {
                Stats *st = &stats[m];
                double r50min = 0, r50max = 0, r99min = 0, r99max = 0, r50[ROUNDS_MAX], r99[ROUNDS_MAX], r99med = 0;

                samples_sort(st->authz, st->n_authz);
                samples_sort(st->login, st->n_login);
                if (modes[m].latency) {
                        /* Per round, against idle in the same round. */
                        for (unsigned r = 0; r < rounds; r++) {
                                r50[r] = st->p50_round[r] / stats[0].p50_round[r];
                                r99[r] = st->p99_round[r] / stats[0].p99_round[r];
                        }
                        min_max(r50, rounds, &r50min, &r50max);
                        min_max(r99, rounds, &r99min, &r99max);
                        r99med = median(r99, rounds);
                }
                printf("mode=%s login_clients=%u authz_target=%u authz_calls=%" PRIu64 " authz_rate=%.0f p50_us=%.1f p90_us=%.1f "
                       "p99_us=%.1f p999_us=%.1f max_us=%.1f p50_ratio_min=%.3f p50_ratio_max=%.3f p99_ratio_min=%.3f "
                       "p99_ratio_max=%.3f p99_ratio_median=%.3f login_calls=%" PRIu64 " login_rate=%.1f login_p50_ms=%.1f login_p99_ms=%.1f",
                       modes[m].name, modes[m].logins, authz_target, st->authz_calls, st->authz_rate,
                       samples_percentile(st->authz, st->n_authz, 0.50) / 1e3, samples_percentile(st->authz, st->n_authz, 0.90) / 1e3,
                       samples_percentile(st->authz, st->n_authz, 0.99) / 1e3, samples_percentile(st->authz, st->n_authz, 0.999) / 1e3,
                       st->n_authz ? st->authz[st->n_authz - 1] / 1e3 : 0.0,
                       r50min, r50max, r99min, r99max, r99med, st->login_calls, st->login_rate,
                       samples_percentile(st->login, st->n_login, 0.50) / 1e6, samples_percentile(st->login, st->n_login, 0.99) / 1e6);
                if (d.daemon_pid > 0)
                        printf(" main_cpu_pct=%.1f main_wait_pct=%.1f workers_cpu_pct=%.1f",
                               100 * st->daemon.main_run / st->wall_ns, 100 * st->daemon.main_wait / st->wall_ns,
                               100 * st->daemon.other_run / st->wall_ns);
                if (d.bus_pid > 0)
                        printf(" bus_cpu_pct=%.1f bus_wait_pct=%.1f", 100 * st->bus.main_run / st->wall_ns,
                               100 * st->bus.main_wait / st->wall_ns);
                if (d.daemon_pid > 0 && d.bus_pid > 0)
                        printf(" other_cpu_pct=%.1f", 100 * st->other_ns / st->wall_ns);
                printf(" steal_pct=%.1f", 100 * st->steal_ns / st->wall_ns);
                putchar('\n');
                free(st->authz);
                free(st->login);
        }
        free(stats);
        explicit_bzero(token, strlen(token));
        free(token);
        return EXIT_SUCCESS;
}

int main(int argc, char *argv[]) {
        if (argc < 2 || !streq(argv[1], "run"))
                die("usage: %s run ADDRESS SECONDS ROUNDS BURSTS CLIENTS", program);
        return do_run(argc - 2, argv + 2);
}
