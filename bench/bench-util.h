/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the benchmark drivers (bench-authorize, bench-login, bench-pam) share: failing loudly,
 * clocks, arguments, the client processes, statistics over latency samples, the CPU time of
 * other processes and (bench-bus.c, for the two that speak D-Bus) the bus.
 *
 * A benchmark fails only when something is broken, never because something is slow, and then
 * at once: every helper here that can fail reports and exits through die().  A driver forks its
 * clients with fork_client(); in a client, die() ends that client only (_exit), and the driver,
 * which reads the client's pipe, reports the failure and stops the other clients. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

#define NSEC_PER_SEC  1000000000ULL
#define NSEC_PER_MSEC 1000000ULL

/* The program's name, the prefix of its messages: each driver defines it. */
extern const char *program;

/* "PROGRAM: [CLIENT: ]MESSAGE" on stderr.  In the driver: stops every client still running (by
 * PID), exits with EXIT_FAILURE.  In a client: _exit(EXIT_FAILURE).  %m works. */
_printf_(1, 2) __attribute__((noreturn)) void die(const char *fmt, ...);

/* Clocks, in ns. */
uint64_t now_ns(void);        /* CLOCK_MONOTONIC */
uint64_t cpu_ns(void);        /* this process's CPU time */
void sleep_until(uint64_t t); /* CLOCK_MONOTONIC */

/* A decimal in [min, max] or die("invalid WHAT ..."). */
unsigned long parse_ulong(const char *s, const char *what, unsigned long min, unsigned long max);
/* $NAME parsed like that, def when unset. */
unsigned long getenv_ulong(const char *name, unsigned long min, unsigned long max, unsigned long def);
/* $NAME as a PID, 0 when unset or empty. */
pid_t getenv_pid(const char *name);

/* Client processes.  fork_client() flushes stdio and forks; the client (return value 0) dies
 * with the driver (PR_SET_PDEATHSIG) and is named for its messages (printf-style); the driver
 * keeps the PID, index n in the order of the forks since the last clients_reap(). */
_printf_(1, 2) pid_t fork_client(const char *name_fmt, ...);
/* A client that exited already failed (its message is on stderr): die saying so. */
void clients_check_alive(void);
/* Waits for every client; die() unless all exited with status 0.  Forgets them all. */
void clients_reap(void);

/* I/O on the pipes between driver and clients.  read_full: false on EOF or error. */
bool read_full(int fd, void *p, size_t n);
void write_full(int fd, const void *p, size_t n);   /* dies on error */

/* Statistics.  Latencies are kept as uint32 ns, saturated. */
static inline uint32_t sample_u32(uint64_t ns) {
        return ns > UINT32_MAX ? UINT32_MAX : (uint32_t) ns;
}
void samples_sort(uint32_t *v, size_t n);
/* The p-quantile (0..1) of sorted samples, nearest rank; 0 for none. */
double samples_percentile(const uint32_t *sorted, size_t n, double p);
/* Appends k samples to the growing array *v of *n. */
void samples_append(uint32_t **v, size_t *n, const uint32_t *add, size_t k);
/* The median of v (sorts v). */
double median(double *v, size_t n);
void min_max(const double *v, size_t n, double *ret_min, double *ret_max);

/* CPU time of a process, all its threads, in ns (from schedstat, to the ns); 0 for pid 0. */
uint64_t process_cpu_ns(pid_t pid);

/* Scheduler statistics of a process, summed over its threads: CPU time and time runnable but
 * waiting for a CPU, in ns, for the thread whose id is the PID (pkgtokend's event loop) and
 * for the others.  Zeros for pid 0. */
typedef struct Sched {
        double main_run, main_wait, other_run, other_wait;
} Sched;

Sched sched_read(pid_t pid);
Sched sched_diff(Sched before, Sched after);

/* CPU time of the whole machine in ns, from /proc/stat: idle (with iowait) and stolen by
 * the hypervisor. */
typedef struct Machine {
        double idle, steal;
} Machine;

Machine machine_read(void);

/* The bus (bench-bus.c: only bench-authorize and bench-login link libsystemd; bench-pam must
 * not, see bench-pam.c). */
typedef struct sd_bus sd_bus;
typedef struct sd_bus_message sd_bus_message;

#define BENCH_CALL_TIMEOUT_USEC (30ULL * 1000000ULL)

/* address: a D-Bus address, or "direct:PATH" for pkgtokend's direct socket at PATH. */
sd_bus *bench_bus_connect(const char *address);
/* A synchronous call to org.pkgtoken1 on its object, arguments as sd_bus_message_append()
 * takes them; dies on any error, naming WHAT it was about.  Returns the reply. */
sd_bus_message *bench_call(sd_bus *bus, const char *interface, const char *member, const char *what,
                           const char *types, ...);
/* Reads an Authorize reply (result, reason, actor, token id); dies when it cannot. */
void authorize_reply_read(sd_bus_message *reply, const char **ret_result, const char **ret_reason,
                          const char **ret_token_id);
