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
#include <unistd.h>

#include "bench-login.h"
#include "bench-util.h"

#define BURSTS_MAX          8
#define ROUNDS_MAX          100
#define RESULT_TIMEOUT_MS   (300 * 1000)
#define RAMP_NS             (300ULL * 1000000ULL)   /* burst runs alone before the latency client measures */
#define LOGIN_RAMP_NS       (200ULL * 1000000ULL)   /* logins run before their answers are counted */
#define TAIL_NS             (50ULL * 1000000ULL)    /* ... and on after it stopped */
#define START_DELAY_NS      (20ULL * 1000000ULL)    /* from the go message to the start of a slice */
#define CALIBRATE_NS        (1000ULL * 1000000ULL)
#define AUTHZ_RATE_DEFAULT  2000    /* Authorize calls/s of the open-loop latency client */
#define OTP_POOL_MARGIN     2.0     /* accounts with 2FA: expected need (2 codes each) times this */
#define OTP_POOL_MAX        20000

const char *program = "bench-login";

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
                        close(g[1]);
                        close(rep[0]);
                        for (unsigned j = 0; j < i; j++) {
                                close(d.go[j]);
                                close(d.report[j]);
                        }
                        client_main(i, i == n_login, token, address, warmup_ns, g[0], rep[1]);
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
