/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-pam: PAM authentications per second through three stacks, side by side in one run
 * (bench/run-pam.sh sets up the services, the OATH users file and pkgtokend):
 *
 *   permit    auth and account pam_permit.so: what libpam itself costs (the floor);
 *   oath      auth pam_oath.so with an HOTP users file (Debian's libpam-oath), account
 *             pam_permit.so: every call a genuine success with the next counter's code,
 *             which pam_oath then writes back to the file;
 *   pkgtoken  auth and account pam_pkgtoken.so with a token, asking pkgtokend on its bus;
 *   direct    the same on pkgtokend's direct socket (direct=yes), without dbus-daemon.
 *
 * Each authentication is one PAM transaction as nginx's auth_pam makes it for a request:
 * pam_start_confdir(), PAM_RHOST and the REQUEST/HOST environment, pam_authenticate(),
 * pam_acct_mgmt(), pam_end(), with a conversation that answers the hidden prompt with the
 * secret (the code, the token).  Any result other than PAM_SUCCESS ends the run with an error:
 * a benchmark that measures failures is worthless.
 *
 * Each stack is measured two ways:
 *   cold  as in nginx: pam_end() unloads the modules (libpam dlclose()s them), so the next
 *         transaction loads each module and every library it needs that the process has not
 *         loaded already (for pam_pkgtoken, libsystemd and its dependencies);
 *   warm  the modules are pinned (dlopen RTLD_NODELETE) before the clock starts, as they would
 *         stay with modules linked -z nodelete or a process that keeps them loaded.
 * This program links only libpam and libcrypto (for the HOTP codes; nginx links libcrypto
 * too, and neither module uses it), so cold measures what nginx pays.
 *
 *   bench-pam run CONFDIR SECONDS ROUNDS CLIENTS STACKS OATH_KEY_HEX TOKEN_FILE
 *
 * STACKS: a comma-separated list of permit, oath, pkgtoken, direct, each with :cold or :warm
 * (e.g. permit:cold,oath:cold,pkgtoken:cold,pkgtoken:warm); CONFDIR holds the services
 * permit, pkgtoken, direct and oath-0, oath-1, ... (one per client, each with its own users file).  Each stack is measured for SECONDS in all, in ROUNDS slices: round r runs one slice
 * of every stack, in an order rotated by r, with CLIENTS processes at once, so that a drift of
 * the machine does not land on one stack only.  Clients of oath use the users oath0, oath1,
 * ... (HOTP, key OATH_KEY_HEX, counters from 0); clients of pkgtoken and direct the account "bench" and
 * the token in TOKEN_FILE.  Prints one line per stack:
 *   stack=S mode=M clients=C calls=N seconds=T rate=R rate_min=A rate_max=B us_per_auth=U
 *     client_cpu_us=.. [daemon_cpu_us=.. bus_cpu_us=..]
 * rate: calls/s of all clients together over all slices; rate_min/max over the slices;
 * us_per_auth: the mean wall time of one transaction in one client; *_cpu_us: CPU time (user
 * + system) per authentication of the clients, of pkgtokend and of dbus-daemon
 * (BENCH_DAEMON_PID, BENCH_BUS_PID; read from /proc/PID/stat).
 *
 *   bench-pam hotp OATH_KEY_HEX COUNTER    prints the code (to check against oathtool) */

#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <security/pam_appl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench-util.h"

#define CLIENTS_MAX       64
#define ROUNDS_MAX        100
#define STACKS_MAX        16
#define KEY_MAX           64
#define WARMUP_NS         (200ULL * 1000000ULL)
#define MODULES_MAX       8
#define BENCH_ACCOUNT     "bench"
#define BENCH_RHOST       "127.0.0.1"
#define BENCH_REQUEST     "REQUEST=GET /bench-pkg/-/bench-pkg-1.0.0.tgz HTTP/1.1"
#define BENCH_HOST        "HOST=127.0.0.1"

const char *program = "bench-pam";

/* ------------------------------------------------------------------------------------------ */
/* HOTP (RFC 4226): HMAC-SHA1, dynamic truncation, 6 digits                                   */

static uint8_t oath_key[KEY_MAX];
static size_t oath_key_len;

static void parse_key(const char *hex) {
        size_t n = strlen(hex);

        if (n == 0 || n % 2 != 0 || n / 2 > KEY_MAX)
                die("the OATH key must be 2 to %d hex digits, an even number", 2 * KEY_MAX);
        for (size_t i = 0; i < n / 2; i++) {
                unsigned v;
                if (sscanf(hex + 2 * i, "%2x", &v) != 1)
                        die("the OATH key is not hex");
                oath_key[i] = (uint8_t) v;
        }
        oath_key_len = n / 2;
}

static void hotp(uint64_t counter, char out[7]) {
        uint8_t msg[8], md[EVP_MAX_MD_SIZE];
        unsigned md_len = 0;
        uint32_t bin;
        unsigned off;

        for (int i = 7; i >= 0; i--, counter >>= 8)
                msg[i] = (uint8_t) (counter & 0xff);
        if (!HMAC(EVP_sha1(), oath_key, (int) oath_key_len, msg, sizeof msg, md, &md_len) || md_len != 20)
                die("HMAC-SHA1 failed");
        off = md[19] & 0x0f;
        bin = ((uint32_t) (md[off] & 0x7f) << 24) | ((uint32_t) md[off + 1] << 16) |
              ((uint32_t) md[off + 2] << 8) | (uint32_t) md[off + 3];
        snprintf(out, 7, "%06" PRIu32, bin % 1000000);
}

/* RFC 4226, appendix D: the key "12345678901234567890", counters 0 to 9. */
static void hotp_self_test(void) {
        static const char *const expected[] = {
                "755224", "287082", "359152", "969429", "338314",
                "254676", "287922", "162583", "399871", "520489",
        };
        uint8_t saved[KEY_MAX];
        size_t saved_len = oath_key_len;
        char code[7];

        memcpy(saved, oath_key, sizeof saved);
        memcpy(oath_key, "12345678901234567890", 20);
        oath_key_len = 20;
        for (unsigned i = 0; i < 10; i++) {
                hotp(i, code);
                if (strcmp(code, expected[i]) != 0)
                        die("HOTP self-test failed at counter %u: %s, expected %s", i, code, expected[i]);
        }
        memcpy(oath_key, saved, sizeof saved);
        oath_key_len = saved_len;
}

/* ------------------------------------------------------------------------------------------ */
/* One PAM transaction                                                                        */

typedef enum Kind { KIND_PERMIT, KIND_OATH, KIND_PKGTOKEN, KIND_DIRECT, _KIND_MAX } Kind;
static const char *const kind_names[_KIND_MAX] = { "permit", "oath", "pkgtoken", "direct" };

/* pam_pkgtoken, on the bus or on the direct socket. */
#define ASKS_PKGTOKEND(kind) ((kind) == KIND_PKGTOKEN || (kind) == KIND_DIRECT)

typedef struct Stack {
        Kind kind;
        bool warm;
        char *modules[MODULES_MAX];   /* absolute paths, from CONFDIR/<service> (for warm) */
        unsigned n_modules;
        /* results */
        uint64_t calls, elapsed_ns, client_cpu_ns, daemon_cpu_ns, bus_cpu_ns;
        double rate_min, rate_max;
        unsigned slices;
} Stack;

typedef struct Conv {
        const char *user, *secret;
        char message[256];            /* the last error or info message, for a failure report */
} Conv;

/* The answer to one message: the secret to the hidden prompt, the user name to the echoed one;
 * an error or info message is kept for the failure report. */
static int answer(Conv *c, const struct pam_message *m, char **ret) {
        const char *text;

        switch (m->msg_style) {
        case PAM_PROMPT_ECHO_OFF:
                text = c->secret;
                break;
        case PAM_PROMPT_ECHO_ON:
                text = c->user;
                break;
        case PAM_ERROR_MSG:
        case PAM_TEXT_INFO:
                snprintf(c->message, sizeof c->message, "%s", m->msg ?: "");
                return PAM_SUCCESS;
        default:
                return PAM_CONV_ERR;
        }
        *ret = strdup(text);
        return *ret ? PAM_SUCCESS : PAM_BUF_ERR;
}

static int conversation(int n, const struct pam_message **msg, struct pam_response **resp, void *data) {
        struct pam_response *r;
        int k = PAM_SUCCESS;

        if (n <= 0 || n > PAM_MAX_NUM_MSG)
                return PAM_CONV_ERR;
        r = calloc((size_t) n, sizeof *r);
        if (!r)
                return PAM_BUF_ERR;
        for (int i = 0; i < n && k == PAM_SUCCESS; i++)
                k = answer(data, msg[i], &r[i].resp);
        if (k != PAM_SUCCESS) {
                for (int i = 0; i < n; i++)
                        free(r[i].resp);
                free(r);
                return k;
        }
        *resp = r;
        return PAM_SUCCESS;
}

static const char *confdir;

/* Returns PAM_SUCCESS or the first failure; *where says which step failed. */
static int transaction(const char *service, const char *user, const char *secret, Conv *c, const char **where) {
        struct pam_conv conv = { conversation, c };
        pam_handle_t *pamh = NULL;
        int r;

        c->user = user;
        c->secret = secret;
        c->message[0] = 0;
        *where = "pam_start_confdir";
        r = pam_start_confdir(service, user, &conv, confdir, &pamh);
        if (r != PAM_SUCCESS)
                return r;
        *where = "pam_set_item(PAM_RHOST)";
        r = pam_set_item(pamh, PAM_RHOST, BENCH_RHOST);
        if (r == PAM_SUCCESS) {
                *where = "pam_putenv";
                r = pam_putenv(pamh, BENCH_REQUEST);
        }
        if (r == PAM_SUCCESS)
                r = pam_putenv(pamh, BENCH_HOST);
        if (r == PAM_SUCCESS) {
                *where = "pam_authenticate";
                r = pam_authenticate(pamh, PAM_DISALLOW_NULL_AUTHTOK);
        }
        if (r == PAM_SUCCESS) {
                *where = "pam_acct_mgmt";
                r = pam_acct_mgmt(pamh, PAM_DISALLOW_NULL_AUTHTOK);
        }
        pam_end(pamh, r);
        return r;
}

/* ------------------------------------------------------------------------------------------ */
/* Clients                                                                                    */

typedef struct SliceResult {
        uint64_t calls;        /* measured */
        uint64_t used;         /* all successes, warm-up included (OATH counters consumed) */
        uint64_t elapsed_ns;
        uint64_t cpu_ns;
} SliceResult;

static char token[128];

/* The service of a client: permit, pkgtoken; oath-INDEX, each with a users file of its own
 * (pam_oath's users file takes no concurrent logins: Debian 12's liboath gives up on the
 * file's lock under contention, and the login fails with OATH_FILE_LOCK_ERROR). */
static void service_name(Kind kind, unsigned index, char *buf, size_t size) {
        if (kind == KIND_OATH)
                snprintf(buf, size, "%s-%u", kind_names[kind], index);
        else
                snprintf(buf, size, "%s", kind_names[kind]);
}

static void pin_modules(const Stack *s) {
        for (unsigned i = 0; i < s->n_modules; i++)
                if (!dlopen(s->modules[i], RTLD_NOW | RTLD_NODELETE))
                        die("cannot pin %s: %s", s->modules[i], dlerror());
}

/* One client's slice, in a child process: warm-up calls until start, measured calls until
 * end.  Writes a SliceResult to fd. */
static void client_slice(const Stack *s, unsigned index, uint64_t counter, uint64_t start, uint64_t end, int fd)
        __attribute__((noreturn));
static void client_slice(const Stack *s, unsigned index, uint64_t counter, uint64_t start, uint64_t end, int fd) {
        char service[32], user[32], code[7];
        const char *secret = "x", *where = "";
        SliceResult res = {};
        uint64_t t = 0, cpu0 = 0;
        bool measuring = false;
        Conv conv;

        service_name(s->kind, index, service, sizeof service);
        if (s->kind == KIND_OATH)
                snprintf(user, sizeof user, "oath%u", index);
        else
                snprintf(user, sizeof user, "%s", BENCH_ACCOUNT);
        if (ASKS_PKGTOKEND(s->kind))
                secret = token;
        if (s->warm)
                pin_modules(s);

        for (;;) {
                int r;

                t = now_ns();
                if (!measuring && t >= start) {
                        measuring = true;
                        start = t;
                        cpu0 = cpu_ns();
                }
                if (t >= end)
                        break;
                if (s->kind == KIND_OATH) {
                        hotp(counter + res.used, code);
                        secret = code;
                }
                r = transaction(service, user, secret, &conv, &where);
                if (r != PAM_SUCCESS) {
                        fflush(NULL);   /* whatever the modules printed (pam_oath's debug) */
                        die("%s %s for %s after %" PRIu64 " successes: %s%s%s%s", service, where, user, res.used,
                            pam_strerror(NULL, r), conv.message[0] ? " (\"" : "", conv.message,
                            conv.message[0] ? "\")" : "");
                }
                res.used++;
                if (measuring)
                        res.calls++;
        }
        res.elapsed_ns = measuring ? t - start : 0;
        res.cpu_ns = measuring ? cpu_ns() - cpu0 : 0;
        write_full(fd, &res, sizeof res);
        _exit(EXIT_SUCCESS);
}

/* ------------------------------------------------------------------------------------------ */
/* run                                                                                        */

static void read_service_modules(Stack *s) {
        char path[4096], line[4096], service[32];
        FILE *f;

        service_name(s->kind, 0, service, sizeof service);
        snprintf(path, sizeof path, "%s/%s", confdir, service);
        f = fopen(path, "re");
        if (!f)
                die("cannot open the service %s: %m", path);
        while (fgets(line, sizeof line, f)) {
                char type[64], control[256], module[2048];
                bool known = false;

                if (sscanf(line, " %63s %255s %2047s", type, control, module) != 3 || type[0] == '#')
                        continue;
                if (module[0] != '/')
                        die("%s: name modules by absolute path (for pinning): %s", path, module);
                for (unsigned i = 0; i < s->n_modules; i++)
                        known = known || strcmp(s->modules[i], module) == 0;
                if (known)
                        continue;
                if (s->n_modules == MODULES_MAX)
                        die("%s: too many modules", path);
                s->modules[s->n_modules] = strdup(module);
                if (!s->modules[s->n_modules++])
                        die("out of memory");
        }
        fclose(f);
        if (s->n_modules == 0)
                die("%s names no module", path);
}

static void parse_stacks(const char *list, Stack *stacks, unsigned *ret_n) {
        char *copy = strdup(list), *save = NULL;
        unsigned n = 0;

        if (!copy)
                die("out of memory");
        for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
                char *mode = strchr(item, ':');
                Stack *s;
                int k = -1;

                if (n == STACKS_MAX)
                        die("too many stacks");
                if (mode)
                        *mode++ = 0;
                for (int i = 0; i < _KIND_MAX; i++)
                        if (strcmp(item, kind_names[i]) == 0)
                                k = i;
                if (k < 0)
                        die("unknown stack '%s' (permit, oath, pkgtoken, direct)", item);
                if (mode && strcmp(mode, "cold") != 0 && strcmp(mode, "warm") != 0)
                        die("unknown mode '%s' (cold, warm)", mode);
                s = &stacks[n++];
                *s = (Stack) { .kind = (Kind) k, .warm = mode && strcmp(mode, "warm") == 0 };
                read_service_modules(s);
        }
        free(copy);
        if (n == 0)
                die("no stacks");
        *ret_n = n;
}

static void read_token(const char *path) {
        FILE *f = fopen(path, "re");
        size_t n;

        if (!f)
                die("cannot open %s: %m", path);
        if (!fgets(token, sizeof token, f))
                die("%s is empty", path);
        fclose(f);
        n = strcspn(token, "\r\n");
        token[n] = 0;
        if (n == 0)
                die("%s holds no token", path);
}

static int do_run(int argc, char *argv[]) {
        Stack stacks[STACKS_MAX];
        uint64_t oath_counter[CLIENTS_MAX] = {};
        unsigned n_stacks, rounds, clients;
        uint64_t slice_ns;
        pid_t daemon_pid = getenv_pid("BENCH_DAEMON_PID"), bus_pid = getenv_pid("BENCH_BUS_PID");

        if (argc != 7)
                die("usage: %s run CONFDIR SECONDS ROUNDS CLIENTS STACKS OATH_KEY_HEX TOKEN_FILE", program);
        confdir = argv[0];
        slice_ns = parse_ulong(argv[1], "seconds", 1, 3600) * 1000000000ULL;
        rounds = (unsigned) parse_ulong(argv[2], "rounds", 1, ROUNDS_MAX);
        clients = (unsigned) parse_ulong(argv[3], "clients", 1, CLIENTS_MAX);
        slice_ns /= rounds;
        parse_key(argv[5]);
        read_token(argv[6]);
        parse_stacks(argv[4], stacks, &n_stacks);
        hotp_self_test();

        for (unsigned r = 0; r < rounds; r++)
                for (unsigned j = 0; j < n_stacks; j++) {
                        Stack *s = &stacks[(j + r) % n_stacks];
                        SliceResult res[CLIENTS_MAX];
                        int fds[CLIENTS_MAX][2];
                        uint64_t start, end, d0, b0, calls = 0, elapsed = 0;

                        /* The clients warm up for WARMUP_NS, then all measure the same span. */
                        start = now_ns() + WARMUP_NS;
                        end = start + slice_ns;
                        for (unsigned i = 0; i < clients; i++) {
                                if (pipe(fds[i]) < 0)
                                        die("pipe: %m");
                                if (fork_client("client %u", i) == 0) {
                                        close(fds[i][0]);
                                        client_slice(s, i, oath_counter[i], start, end, fds[i][1]);
                                }
                                close(fds[i][1]);
                        }
                        sleep_until(start);
                        d0 = process_cpu_ns(daemon_pid);
                        b0 = process_cpu_ns(bus_pid);
                        for (unsigned i = 0; i < clients; i++) {
                                bool ok = read_full(fds[i][0], &res[i], sizeof res[i]);
                                close(fds[i][0]);
                                if (!ok) {
                                        clients_reap();   /* says how it ended */
                                        die("%s:%s: client %u failed", kind_names[s->kind], s->warm ? "warm" : "cold", i);
                                }
                        }
                        clients_reap();
                        s->daemon_cpu_ns += process_cpu_ns(daemon_pid) - d0;
                        s->bus_cpu_ns += process_cpu_ns(bus_pid) - b0;
                        for (unsigned i = 0; i < clients; i++) {
                                if (res[i].calls == 0)
                                        die("%s: client %u made no call in a slice", kind_names[s->kind], i);
                                if (s->kind == KIND_OATH)
                                        oath_counter[i] += res[i].used;
                                calls += res[i].calls;
                                elapsed += res[i].elapsed_ns;
                                s->client_cpu_ns += res[i].cpu_ns;
                        }
                        /* The clients' summed rate in this slice: calls / mean elapsed. */
                        double rate = (double) calls / ((double) elapsed / clients / 1e9);
                        if (s->slices == 0 || rate < s->rate_min)
                                s->rate_min = rate;
                        if (s->slices == 0 || rate > s->rate_max)
                                s->rate_max = rate;
                        s->slices++;
                        s->calls += calls;
                        s->elapsed_ns += elapsed / clients;
                }

        for (unsigned j = 0; j < n_stacks; j++) {
                Stack *s = &stacks[j];
                double secs = (double) s->elapsed_ns / 1e9;

                printf("stack=%s mode=%s clients=%u calls=%" PRIu64 " seconds=%.2f rate=%.0f rate_min=%.0f "
                       "rate_max=%.0f us_per_auth=%.1f client_cpu_us=%.1f",
                       kind_names[s->kind], s->warm ? "warm" : "cold", clients, s->calls, secs,
                       (double) s->calls / secs, s->rate_min, s->rate_max,
                       secs * 1e6 * clients / (double) s->calls,
                       (double) s->client_cpu_ns / 1e3 / (double) s->calls);
                if (ASKS_PKGTOKEND(s->kind) && daemon_pid > 0)
                        printf(" daemon_cpu_us=%.1f", (double) s->daemon_cpu_ns / 1e3 / (double) s->calls);
                if (ASKS_PKGTOKEND(s->kind) && bus_pid > 0)
                        printf(" bus_cpu_us=%.1f", (double) s->bus_cpu_ns / 1e3 / (double) s->calls);
                printf("\n");
        }
        return EXIT_SUCCESS;
}

int main(int argc, char *argv[]) {
        if (argc >= 2 && strcmp(argv[1], "run") == 0)
                return do_run(argc - 2, argv + 2);
        if (argc == 4 && strcmp(argv[1], "hotp") == 0) {
                char code[7];
                parse_key(argv[2]);
                hotp_self_test();
                hotp(parse_ulong(argv[3], "counter", 0, UINT32_MAX), code);
                printf("%s\n", code);
                return EXIT_SUCCESS;
        }
        fprintf(stderr,
                "usage: %s run CONFDIR SECONDS ROUNDS CLIENTS STACKS OATH_KEY_HEX TOKEN_FILE\n"
                "       %s hotp OATH_KEY_HEX COUNTER\n", program, program);
        return 2;
}
