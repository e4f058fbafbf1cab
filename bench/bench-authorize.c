/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The Authorize benchmark driver.  Not a test: it measures and reports, and
 * fails only when an answer is wrong, never because something was slow.  bench/run.sh
 * drives it against a private dbus-daemon.
 *
 *   bench-authorize populate STATE_DIR N TOKENS_FILE
 *       Creates STATE_DIR/tokens.db (it must not exist yet) with an account "bench", a
 *       package "bench-pkg" (policy none, maintained by bench) and N read-only account
 *       tokens of bench, inserted in one transaction.  Writes an evenly spread sample of at
 *       most SAMPLE_MAX of their secrets, one per line, to TOKENS_FILE (created, mode 0600).
 *
 *   bench-authorize run ADDRESSES MODES SECONDS CLIENTS [TOKENS_FILE]
 *       Forks CLIENTS processes, each with its own bus connection to each of ADDRESSES (a
 *       bus address, or "direct:PATH" for pkgtokend's direct socket at PATH; two of them
 *       separated by a space, which neither holds unescaped, to compare them), each making
 *       synchronous calls in a loop.  MODES is a comma-separated list of
 *         ping       org.freedesktop.DBus.Peer.Ping on org.pkgtoken1, answered by sd-bus
 *                    inside pkgtokend: the bare round trip, always measured (the baseline);
 *         valid      Authorize(secret from TOKENS_FILE, "bench-pkg", "read", {remote}),
 *                    which must answer "allowed";
 *         unknown    Authorize with well-formed tokens (valid checksums) that are not in the
 *                    database, which must answer "invalid" / "unknown token";
 *         malformed  Authorize with a token whose checksum is wrong, which must answer
 *                    "invalid" without a lookup.
 *       valid says remote 127.0.0.1; unknown and malformed, which pkgtokend counts as
 *       guesses, spread over 127.0.0.1-16 so that its TokenGuessLimit= (per address and
 *       minute; run.sh sets it to the maximum) lasts.
 *       Each mode is measured on each address for SECONDS in all, in BENCH_ROUNDS (default
 *       5) slices: round r runs one slice of every (address, mode), in an order rotated by
 *       r, all clients together.  Interleaving keeps a drift of the machine from landing on
 *       one of them only; the ratio of a mode to ping on the same address, and of the second
 *       address to the first for the same mode, are taken within each round, and the median
 *       over rounds reported.  Prints one line per address and mode:
 *         transport=T mode=M clients=C calls=N seconds=S rate=R ratio=X ratio_min=A ratio_max=B
 *           p50_us=.. p90_us=.. p99_us=.. max_us=.. client_cpu_us=.. [daemon_cpu_us=..]
 *           [bus_cpu_us=..] [vs_first=V vs_first_min=A vs_first_max=B]
 *       T: bus or direct; rate: the mean over rounds of the clients' summed calls/s;
 *       latencies: over every call of every client; *_cpu_us: CPU time per call while the
 *       clock ran, of the clients, of pkgtokend and of dbus-daemon (the scheduler's count, to
 *       the ns); vs_first, on the second address's lines: its calls/s divided by the first
 *       address's for the same mode in the same round.  Any unexpected answer or bus error
 *       makes it exit non-zero: a benchmark that measures errors is worthless.
 *
 *       Warm-up, per client and mode: at least BENCH_WARMUP_MS (default 300) of calls; for
 *       valid also one pass over the client's tokens and then calls until none took over
 *       50 ms for 1.2 s (at most 15 s), so that the last-used times the pass noted have
 *       been written (the daemon coalesces them for 1 s) before the clock starts: valid
 *       measures tokens in steady use, not the first use of each.
 *
 * Environment: BENCH_ROUNDS and BENCH_WARMUP_MS as above; BENCH_DAEMON_PID and
 * BENCH_BUS_PID name the processes whose CPU time is reported (read from /proc/PID/stat). */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "bench-authorize.h"
#include "bench-util.h"
#include "names.h"
#include "token.h"

#define UNKNOWN_POOL        10000
#define CLIENTS_MAX         64
#define ROUNDS_MAX          100
#define ADDRESSES_MAX       2
#define READY_TIMEOUT_NS    (120ULL * 1000000000ULL)
#define BENCH_REMOTE        "127.0.0.1"
/* unknown and malformed count as failures against their remote address (pkgtokend's
 * TokenGuessLimit, per address and minute): they cycle through this many loopback addresses,
 * 127.0.0.1 upwards, which run.sh's configuration lets through. */
#define FAILING_REMOTES     16
#define VALID_SETTLE_NS     (1200ULL * 1000000ULL)
#define SLOW_CALL_NS        (50ULL * 1000000ULL)
#define SETTLE_MAX_NS       (15ULL * 1000000000ULL)
#define CALLS_PER_SEC_MAX   200000   /* far above what a bus can do: sizes the sample arrays */

const char *program = "bench-authorize";

/* ------------------------------------------------------------------------------------------ */
/* run: the clients                                                                           */

typedef enum Mode {
        MODE_PING,
        MODE_VALID,
        MODE_UNKNOWN,
        MODE_MALFORMED,
        _MODE_MAX,
} Mode;

static const char *const mode_names[_MODE_MAX] = {
        [MODE_PING]      = "ping",
        [MODE_VALID]     = "valid",
        [MODE_UNKNOWN]   = "unknown",
        [MODE_MALFORMED] = "malformed",
};

static int mode_from_string(const char *s) {
        for (int i = 0; i < _MODE_MAX; i++)
                if (streq(s, mode_names[i]))
                        return i;
        return -EINVAL;
}

typedef struct ModeState {
        char **tokens;         /* the secrets this client cycles through */
        size_t n_tokens, next;
        unsigned next_remote;
        uint32_t *samples;     /* per-call latency in ns (saturated), over all slices */
        uint64_t n_samples, max_samples;
} ModeState;

typedef struct SliceResult {
        uint64_t calls;
        uint64_t elapsed_ns;
        uint64_t cpu_ns;       /* the client's own CPU time during the slice */
} SliceResult;

typedef struct Client {
        unsigned index;
        sd_bus *bus[ADDRESSES_MAX];
        ModeState modes[ADDRESSES_MAX][_MODE_MAX];
} Client;

/* What is measured in one slice: a mode on one of the addresses. */
typedef struct Channel {
        unsigned address;
        Mode mode;
} Channel;

/* What every process agrees on before forking. */
typedef struct Plan {
        char *addresses[ADDRESSES_MAX];
        unsigned n_addresses;
        Mode modes[_MODE_MAX];
        unsigned n_modes, rounds, clients;
        uint64_t slice_ns, warmup_ns;
        Channel *schedule;     /* n_slices entries */
        unsigned n_channels, n_slices;   /* n_channels: n_addresses * n_modes, the slices of a round */
} Plan;

/* The index of a channel in a round's results: by address, then by mode. */
static unsigned channel_index(const Plan *plan, Channel ch) {
        for (unsigned m = 0; m < plan->n_modes; m++)
                if (plan->modes[m] == ch.mode)
                        return ch.address * plan->n_modes + m;
        die("mode %s is not planned", mode_names[ch.mode]);
}

static char **read_tokens(const char *path, size_t *ret_n) {
        _cleanup_free_ char *line = NULL;
        size_t size = 0, n = 0, allocated = 0;
        char **l = NULL;
        FILE *f;
        ssize_t k;

        f = fopen(path, "re");
        if (!f)
                die("cannot open %s: %m", path);
        while ((k = getline(&line, &size, f)) >= 0) {
                if (k > 0 && line[k - 1] == '\n')
                        line[--k] = 0;
                if (k == 0)
                        continue;
                if (token_check_format(line) < 0)
                        die("%s: line %zu is not a well-formed token", path, n + 1);
                if (n == allocated) {
                        allocated = allocated ? allocated * 2 : 1024;
                        l = realloc(l, allocated * sizeof *l);
                        if (!l)
                                die("out of memory");
                }
                l[n] = strdup(line);
                if (!l[n])
                        die("out of memory");
                n++;
        }
        fclose(f);
        if (n == 0)
                die("%s holds no tokens", path);
        *ret_n = n;
        return l;
}

/* The tokens one client sends.  valid: every clients-th secret of the file starting at its
 * index, so that the clients together use each sampled token once per pass.  unknown: a pool
 * of fresh well-formed tokens, made before the clock starts (the daemon cannot tell them from
 * real ones before the lookup).  malformed: one token with a wrong checksum. */
static void client_prepare_tokens(ModeState *s, unsigned index, Mode mode, char **file_tokens, size_t n_file_tokens,
                                  unsigned clients) {
        size_t n = 0;

        switch (mode) {
        case MODE_VALID:
                s->tokens = calloc(n_file_tokens / clients + 1, sizeof(char *));
                if (!s->tokens)
                        die("out of memory");
                for (size_t i = index; i < n_file_tokens; i += clients)
                        s->tokens[n++] = file_tokens[i];
                if (n == 0)
                        die("fewer sampled tokens than clients");
                break;
        case MODE_UNKNOWN:
                s->tokens = calloc(UNKNOWN_POOL, sizeof(char *));
                if (!s->tokens)
                        die("out of memory");
                for (; n < UNKNOWN_POOL; n++) {
                        s->tokens[n] = malloc(TOKEN_LEN + 1);
                        if (!s->tokens[n] || token_generate(s->tokens[n]) < 0)
                                die("cannot generate a token");
                }
                break;
        case MODE_MALFORMED: {
                char *t = malloc(TOKEN_LEN + 1);
                if (!t || token_generate(t) < 0)
                        die("cannot generate a token");
                /* Change the last checksum character: the format stays right, the sum wrong. */
                t[TOKEN_LEN - 1] = t[TOKEN_LEN - 1] == 'A' ? 'B' : 'A';
                if (token_check_format(t) != -EBADMSG)
                        die("could not make a token with a wrong checksum");
                s->tokens = calloc(1, sizeof(char *));
                if (!s->tokens)
                        die("out of memory");
                s->tokens[n++] = t;
                break;
        }
        default:
                break;
        }
        s->n_tokens = n;
}

/* One synchronous call, its answer checked. */
static void client_call(Client *c, Channel ch) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *result, *reason, *token_id;
        ModeState *s = &c->modes[ch.address][ch.mode];
        sd_bus *bus = c->bus[ch.address];
        Mode mode = ch.mode;
        char remote[32] = BENCH_REMOTE;
        const char *token;

        if (mode == MODE_PING) {
                reply = bench_call(bus, "org.freedesktop.DBus.Peer", "Ping", "baseline", NULL);
                return;
        }

        token = s->tokens[s->next];
        s->next = (s->next + 1) % s->n_tokens;
        if (mode != MODE_VALID) {
                snprintf(remote, sizeof remote, "127.0.0.%u", 1 + s->next_remote);
                s->next_remote = (s->next_remote + 1) % FAILING_REMOTES;
        }
        reply = bench_call(bus, PKGTOKEN_MANAGER_IFACE, "Authorize", mode_names[mode], "sssa{sv}", token,
                           BENCH_PACKAGE, "read", 1, "remote", "s", remote);
        authorize_reply_read(reply, &result, &reason, &token_id);
        if (streq(result, "rate-limited"))
                die("rate-limited (%s): run pkgtokend with a higher TokenGuessLimit= (run.sh does)", reason);
        switch (mode) {
        case MODE_VALID:
                if (!streq(result, "allowed") || isempty(token_id))
                        die("a stored token was not allowed: result '%s', reason '%s', token id '%s'",
                            result, reason, token_id);
                break;
        case MODE_UNKNOWN:
                if (!streq(result, "invalid") || !streq(reason, "unknown token"))
                        die("an unknown well-formed token got result '%s', reason '%s' "
                            "(expected 'invalid', 'unknown token')", result, reason);
                break;
        case MODE_MALFORMED:
                if (!streq(result, "invalid") || streq(reason, "unknown token"))
                        die("a token with a wrong checksum got result '%s', reason '%s' "
                            "(expected 'invalid' without a lookup)", result, reason);
                break;
        default:
                break;
        }
}

/* Connection setup, the daemon's credential cache, SQLite's page cache; for valid also one
 * pass over this client's tokens and the daemon's write of the last-used times it noted
 * (at most FLUSH_DELAY, 1 s, later): settle until no call was slow for a while. */
static void client_warm_up(Client *c, Channel ch, uint64_t warmup_ns) {
        uint64_t start = now_ns();

        for (size_t i = 0; now_ns() - start < warmup_ns ||
                           (ch.mode == MODE_VALID && i < c->modes[ch.address][ch.mode].n_tokens); i++)
                client_call(c, ch);
        if (ch.mode != MODE_VALID)
                return;

        uint64_t pass_end = now_ns(), calm_since = pass_end;
        for (;;) {
                uint64_t before = now_ns(), after;
                client_call(c, ch);
                after = now_ns();
                if (after - before > SLOW_CALL_NS)
                        calm_since = after;
                if (after - calm_since >= VALID_SETTLE_NS || after - pass_end > SETTLE_MAX_NS)
                        break;
        }
}

static _Noreturn void client_main(Client *c, const Plan *plan, int ready_fd, int go_fd, int result_fd) {
        SliceResult *slices;
        char byte = 'r';

        for (unsigned a = 0; a < plan->n_addresses; a++)
                c->bus[a] = bench_bus_connect(plan->addresses[a]);
        for (unsigned i = 0; i < plan->n_channels; i++)
                client_warm_up(c, plan->schedule[i], plan->warmup_ns);

        slices = calloc(plan->n_slices, sizeof *slices);
        if (!slices)
                die("out of memory");
        for (unsigned i = 0; i < plan->n_channels; i++) {
                ModeState *s = &c->modes[plan->schedule[i].address][plan->schedule[i].mode];
                s->max_samples = (plan->slice_ns * plan->rounds / 1000000000ULL + 1) * CALLS_PER_SEC_MAX;
                s->samples = malloc(s->max_samples * sizeof *s->samples);
                if (!s->samples)
                        die("out of memory");
                memset(s->samples, 0, s->max_samples * sizeof *s->samples);   /* fault the pages in now */
        }

        for (unsigned i = 0; i < plan->n_slices; i++) {
                Channel ch = plan->schedule[i];
                ModeState *s = &c->modes[ch.address][ch.mode];
                uint64_t start, deadline, t, cpu_start, calls = 0;
                ssize_t k;

                write_full(ready_fd, &byte, 1);
                do
                        k = read(go_fd, &byte, 1);
                while (k < 0 && errno == EINTR);
                if (k != 1)
                        _exit(EXIT_FAILURE);   /* the driver is gone; it reports why */

                cpu_start = cpu_ns();
                start = t = now_ns();
                deadline = start + plan->slice_ns;
                while (t < deadline) {
                        uint64_t before = t, d;
                        client_call(c, ch);
                        t = now_ns();
                        d = t - before;
                        if (s->n_samples < s->max_samples)
                                s->samples[s->n_samples++] = sample_u32(d);
                        calls++;
                }
                slices[i] = (SliceResult) {
                        .calls = calls,
                        .elapsed_ns = t - start,
                        .cpu_ns = cpu_ns() - cpu_start,
                };
        }
        write_full(ready_fd, &byte, 1);   /* done */
        close(ready_fd);

        write_full(result_fd, slices, plan->n_slices * sizeof *slices);
        for (unsigned a = 0; a < plan->n_addresses; a++)
                for (unsigned m = 0; m < plan->n_modes; m++) {
                        const ModeState *s = &c->modes[a][plan->modes[m]];
                        write_full(result_fd, &s->n_samples, sizeof s->n_samples);
                        write_full(result_fd, s->samples, s->n_samples * sizeof *s->samples);
                }
        close(result_fd);
        for (unsigned a = 0; a < plan->n_addresses; a++)
                sd_bus_flush_close_unref(c->bus[a]);
        _exit(EXIT_SUCCESS);
}

/* ------------------------------------------------------------------------------------------ */
/* run: the driver                                                                            */

/* Waits, bounded, until every client wrote one byte to the ready pipe. */
static void wait_ready(int fd, unsigned clients) {
        uint64_t until = now_ns() + READY_TIMEOUT_NS;
        unsigned n_ready = 0;

        while (n_ready < clients) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                char buf[CLIENTS_MAX];
                ssize_t n;
                int k;

                clients_check_alive();
                if (now_ns() > until)
                        die("the clients did not get ready within %llu s", READY_TIMEOUT_NS / NSEC_PER_SEC);
                k = poll(&p, 1, 100);
                if (k < 0 && errno != EINTR)
                        die("poll: %m");
                if (k <= 0)
                        continue;
                n = read(fd, buf, clients - n_ready);
                if (n < 0 && errno != EINTR)
                        die("read: %m");
                if (n == 0) {
                        clients_reap();   /* every client has exited: says how */
                        die("the clients closed the ready pipe");
                }
                if (n > 0)
                        n_ready += (unsigned) n;
        }
}

static double process_cpu_seconds(pid_t pid) {
        return (double) process_cpu_ns(pid) / 1e9;
}

static void parse_modes(const char *list, Plan *plan) {
        _cleanup_free_ char *copy = strdup(list);
        bool seen[_MODE_MAX] = {};
        char *save = NULL;

        if (!copy)
                die("out of memory");
        /* ping first, always: it is the baseline of every ratio. */
        plan->modes[plan->n_modes++] = MODE_PING;
        seen[MODE_PING] = true;
        for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
                int m = mode_from_string(w);
                if (m < 0)
                        die("unknown mode '%s' (ping, valid, unknown, malformed)", w);
                if (!seen[m])
                        plan->modes[plan->n_modes++] = (Mode) m;
                seen[m] = true;
        }
}

/* ADDRESSES: one address, or two separated by white space. */
static void parse_addresses(const char *list, Plan *plan) {
        _cleanup_free_ char *copy = strdup(list);
        char *save = NULL;

        if (!copy)
                die("out of memory");
        for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                if (plan->n_addresses == ADDRESSES_MAX)
                        die("at most %d addresses", ADDRESSES_MAX);
                plan->addresses[plan->n_addresses] = strdup(w);
                if (!plan->addresses[plan->n_addresses])
                        die("out of memory");
                plan->n_addresses++;
        }
        if (plan->n_addresses == 0)
                die("no address");
}

static const char *transport_name(const char *address) {
        return strncmp(address, "direct:", 7) == 0 ? "direct" : "bus";
}

/* Round r runs every channel once, starting with channel r mod n_channels. */
static void plan_schedule(Plan *plan) {
        plan->n_channels = plan->n_addresses * plan->n_modes;
        plan->n_slices = plan->rounds * plan->n_channels;
        plan->schedule = calloc(plan->n_slices, sizeof *plan->schedule);
        if (!plan->schedule)
                die("out of memory");
        for (unsigned r = 0; r < plan->rounds; r++)
                for (unsigned j = 0; j < plan->n_channels; j++) {
                        unsigned k = (r + j) % plan->n_channels;
                        plan->schedule[r * plan->n_channels + j] = (Channel) {
                                .address = k / plan->n_modes,
                                .mode = plan->modes[k % plan->n_modes],
                        };
                }
}

/* Per channel: its calls/s in each round (the clients' sum), the median over rounds of its
 * ratio to ping on the same address (and of the second address to the first), CPU per call. */
static void report(const Plan *plan, const SliceResult *slices, double (*cpu)[2], uint32_t **samples,
                   const uint64_t *n_samples, bool cpu_daemon, bool cpu_bus) {
        double (*rate)[ADDRESSES_MAX * _MODE_MAX] = calloc(plan->rounds, sizeof *rate);

        if (!rate)
                die("out of memory");
        for (unsigned s = 0; s < plan->n_slices; s++)
                for (unsigned i = 0; i < plan->clients; i++) {
                        const SliceResult *x = &slices[(size_t) i * plan->n_slices + s];
                        if (x->elapsed_ns == 0)
                                die("client %u reported no elapsed time", i);
                        rate[s / plan->n_channels][channel_index(plan, plan->schedule[s])] +=
                                (double) x->calls * 1e9 / (double) x->elapsed_ns;
                }

        for (unsigned c = 0; c < plan->n_channels; c++) {
                Channel ch = { .address = c / plan->n_modes, .mode = plan->modes[c % plan->n_modes] };
                unsigned ping = channel_index(plan, (Channel) { ch.address, MODE_PING });
                unsigned first = channel_index(plan, (Channel) { 0, ch.mode });
                double ratios[ROUNDS_MAX], vs_first[ROUNDS_MAX], mean_rate = 0, daemon_cpu = 0, bus_cpu = 0,
                       elapsed = 0, client_cpu = 0, ratio_min, ratio_max;
                uint64_t calls = 0;

                for (unsigned r = 0; r < plan->rounds; r++) {
                        mean_rate += rate[r][c] / plan->rounds;
                        ratios[r] = rate[r][ping] > 0 ? rate[r][c] / rate[r][ping] : 0;
                        vs_first[r] = rate[r][first] > 0 ? rate[r][c] / rate[r][first] : 0;
                }
                for (unsigned s = 0; s < plan->n_slices; s++) {
                        if (channel_index(plan, plan->schedule[s]) != c)
                                continue;
                        daemon_cpu += cpu[s][0];
                        bus_cpu += cpu[s][1];
                        for (unsigned i = 0; i < plan->clients; i++) {
                                const SliceResult *x = &slices[(size_t) i * plan->n_slices + s];
                                calls += x->calls;
                                client_cpu += (double) x->cpu_ns / 1e9;
                                if (i == 0)
                                        elapsed += (double) x->elapsed_ns / 1e9;
                        }
                }
                if (calls == 0)
                        die("no calls were made in mode %s", mode_names[ch.mode]);

                samples_sort(samples[c], n_samples[c]);
                min_max(ratios, plan->rounds, &ratio_min, &ratio_max);
                printf("transport=%s mode=%s clients=%u calls=%" PRIu64 " seconds=%.2f rate=%.0f ratio=%.3f "
                       "ratio_min=%.3f ratio_max=%.3f p50_us=%.1f p90_us=%.1f p99_us=%.1f max_us=%.1f "
                       "client_cpu_us=%.1f",
                       transport_name(plan->addresses[ch.address]), mode_names[ch.mode], plan->clients, calls,
                       elapsed, mean_rate, median(ratios, plan->rounds), ratio_min, ratio_max,
                       samples_percentile(samples[c], n_samples[c], 0.50) / 1e3,
                       samples_percentile(samples[c], n_samples[c], 0.90) / 1e3,
                       samples_percentile(samples[c], n_samples[c], 0.99) / 1e3,
                       samples_percentile(samples[c], n_samples[c], 1) / 1e3,
                       client_cpu * 1e6 / (double) calls);
                if (cpu_daemon)
                        printf(" daemon_cpu_us=%.2f", daemon_cpu * 1e6 / (double) calls);
                if (cpu_bus)
                        printf(" bus_cpu_us=%.1f", bus_cpu * 1e6 / (double) calls);
                if (ch.address > 0) {
                        min_max(vs_first, plan->rounds, &ratio_min, &ratio_max);
                        printf(" vs_first=%.3f vs_first_min=%.3f vs_first_max=%.3f", median(vs_first, plan->rounds),
                               ratio_min, ratio_max);
                }
                putchar('\n');
        }
        free(rate);
}

static int do_run(int argc, char *argv[]) {
        char **file_tokens = NULL;
        size_t n_file_tokens = 0;
        unsigned seconds;
        int ready[2], go[CLIENTS_MAX], results[CLIENTS_MAX];
        pid_t cpu_pids[2];
        double (*cpu)[2];      /* per slice: pkgtokend, dbus-daemon CPU seconds */
        SliceResult *slices;   /* [client][slice] */
        uint32_t *samples[ADDRESSES_MAX * _MODE_MAX] = {};   /* by channel index */
        uint64_t n_samples[ADDRESSES_MAX * _MODE_MAX] = {};
        Plan plan = {};

        if (argc < 4 || argc > 5)
                die("usage: %s run ADDRESSES MODES SECONDS CLIENTS [TOKENS_FILE]", program);
        parse_addresses(argv[0], &plan);
        parse_modes(argv[1], &plan);
        seconds = (unsigned) parse_ulong(argv[2], "duration", 1, 3600);
        plan.clients = (unsigned) parse_ulong(argv[3], "client count", 1, CLIENTS_MAX);
        plan.rounds = (unsigned) getenv_ulong("BENCH_ROUNDS", 1, ROUNDS_MAX, 5);
        plan.warmup_ns = getenv_ulong("BENCH_WARMUP_MS", 0, 600000, 300) * NSEC_PER_MSEC;
        cpu_pids[0] = getenv_pid("BENCH_DAEMON_PID");
        cpu_pids[1] = getenv_pid("BENCH_BUS_PID");

        for (unsigned m = 0; m < plan.n_modes; m++)
                if (plan.modes[m] == MODE_VALID) {
                        if (argc != 5)
                                die("mode valid needs a TOKENS_FILE");
                        file_tokens = read_tokens(argv[4], &n_file_tokens);
                        if (n_file_tokens < plan.clients)
                                die("%s holds fewer tokens than there are clients", argv[4]);
                }

        plan_schedule(&plan);
        /* SECONDS per channel, in rounds */
        plan.slice_ns = (uint64_t) seconds * 1000000000ULL / plan.rounds;
        cpu = calloc(plan.n_slices, sizeof *cpu);
        slices = calloc((size_t) plan.clients * plan.n_slices, sizeof *slices);
        if (!cpu || !slices)
                die("out of memory");

        /* A client whose peer went away must fail with EPIPE, not die of SIGPIPE silently. */
        signal(SIGPIPE, SIG_IGN);

        if (pipe2(ready, O_CLOEXEC) < 0)
                die("pipe: %m");
        for (unsigned i = 0; i < plan.clients; i++) {
                int result[2], g[2];

                if (pipe2(result, O_CLOEXEC) < 0 || pipe2(g, O_CLOEXEC) < 0)
                        die("pipe: %m");
                if (fork_client("client %u", i) == 0) {
                        Client c = { .index = i };

                        close(ready[0]);
                        close(result[0]);
                        close(g[1]);
                        for (unsigned j = 0; j < i; j++) {
                                close(results[j]);
                                close(go[j]);
                        }
                        for (unsigned a = 0; a < plan.n_addresses; a++)
                                for (unsigned m = 0; m < plan.n_modes; m++)
                                        client_prepare_tokens(&c.modes[a][plan.modes[m]], i, plan.modes[m],
                                                              file_tokens, n_file_tokens, plan.clients);
                        client_main(&c, &plan, ready[1], g[0], result[1]);
                }
                close(result[1]);
                close(g[0]);
                results[i] = result[0];
                go[i] = g[1];
        }
        close(ready[1]);

        /* Every slice starts when every client is ready, with a byte to each. */
        for (unsigned s = 0; s < plan.n_slices; s++) {
                wait_ready(ready[0], plan.clients);
                if (s > 0)
                        for (size_t p = 0; p < ELEMENTSOF(cpu_pids); p++)
                                cpu[s - 1][p] += process_cpu_seconds(cpu_pids[p]);
                for (size_t p = 0; p < ELEMENTSOF(cpu_pids); p++)
                        cpu[s][p] = -process_cpu_seconds(cpu_pids[p]);
                for (unsigned i = 0; i < plan.clients; i++)
                        if (write(go[i], "g", 1) != 1)
                                die("cannot start client %u: %m", i);
        }
        wait_ready(ready[0], plan.clients);
        for (size_t p = 0; p < ELEMENTSOF(cpu_pids); p++)
                cpu[plan.n_slices - 1][p] += process_cpu_seconds(cpu_pids[p]);
        close(ready[0]);
        for (unsigned i = 0; i < plan.clients; i++)
                close(go[i]);

        for (unsigned i = 0; i < plan.clients; i++) {
                if (!read_full(results[i], slices + (size_t) i * plan.n_slices, plan.n_slices * sizeof *slices))
                        die("client %u: short report", i);
                for (unsigned c = 0; c < plan.n_channels; c++) {
                        uint64_t n;

                        if (!read_full(results[i], &n, sizeof n) || n > 100000000)
                                die("client %u: short report", i);
                        samples[c] = realloc(samples[c], (n_samples[c] + n) * sizeof(uint32_t) + 1);
                        if (!samples[c])
                                die("out of memory");
                        if (!read_full(results[i], samples[c] + n_samples[c], n * sizeof(uint32_t)))
                                die("client %u: short report", i);
                        n_samples[c] += n;
                }
                close(results[i]);
        }
        clients_reap();

        report(&plan, slices, cpu, samples, n_samples, cpu_pids[0] > 0, cpu_pids[1] > 0);
        for (unsigned c = 0; c < plan.n_channels; c++)
                free(samples[c]);
        for (unsigned a = 0; a < plan.n_addresses; a++)
                free(plan.addresses[a]);
        free(slices);
        free(cpu);
        free(plan.schedule);
        return EXIT_SUCCESS;
}

int main(int argc, char *argv[]) {
        if (argc < 2)
                die("usage: %s populate STATE_DIR N TOKENS_FILE | run ADDRESSES MODES SECONDS CLIENTS [TOKENS_FILE]",
                    program);
        if (streq(argv[1], "populate"))
                return do_populate(argc - 2, argv + 2);
        if (streq(argv[1], "run"))
                return do_run(argc - 2, argv + 2);
        die("unknown command '%s' (populate, run)", argv[1]);
}
