/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench-util.h"

#define CHILDREN_MAX 128

/* In the driver: the clients forked since the last clients_reap(), 0 once reaped.  In a
 * client: none (it has no clients of its own), and its name. */
static pid_t children[CHILDREN_MAX];
static unsigned n_children;
static char client_name[64];

static void clients_stop(void) {
        for (unsigned i = 0; i < n_children; i++)
                if (children[i] > 0)
                        (void) kill(children[i], SIGTERM);
        for (unsigned i = 0; i < n_children; i++)
                if (children[i] > 0) {
                        while (waitpid(children[i], NULL, 0) < 0 && errno == EINTR)
                                ;
                        children[i] = 0;
                }
        n_children = 0;
}

void die(const char *fmt, ...) {
        int saved_errno = errno;   /* for %m */
        va_list ap;

        fprintf(stderr, "%s: ", program);
        if (client_name[0])
                fprintf(stderr, "%s: ", client_name);
        errno = saved_errno;
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        if (client_name[0])
                _exit(EXIT_FAILURE);   /* the driver's stdio buffers are not ours to flush */
        clients_stop();
        exit(EXIT_FAILURE);
}

static uint64_t clock_ns(clockid_t id) {
        struct timespec ts;
        clock_gettime(id, &ts);
        return (uint64_t) ts.tv_sec * NSEC_PER_SEC + (uint64_t) ts.tv_nsec;
}

uint64_t now_ns(void) {
        return clock_ns(CLOCK_MONOTONIC);
}

uint64_t cpu_ns(void) {
        return clock_ns(CLOCK_PROCESS_CPUTIME_ID);
}

void sleep_until(uint64_t t) {
        struct timespec ts = { .tv_sec = (time_t) (t / NSEC_PER_SEC), .tv_nsec = (long) (t % NSEC_PER_SEC) };
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
                ;
}

unsigned long parse_ulong(const char *s, const char *what, unsigned long min, unsigned long max) {
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno != 0 || end == s || *end != 0 || v < min || v > max || s[0] == '-')
                die("invalid %s '%s' (expected %lu..%lu)", what, s, min, max);
        return v;
}

unsigned long getenv_ulong(const char *name, unsigned long min, unsigned long max, unsigned long def) {
        const char *e = getenv(name);
        return e ? parse_ulong(e, name, min, max) : def;
}

pid_t getenv_pid(const char *name) {
        const char *e = getenv(name);
        if (isempty(e))
                return 0;
        return (pid_t) parse_ulong(e, name, 1, INT32_MAX);
}

pid_t fork_client(const char *name_fmt, ...) {
        va_list ap;
        pid_t pid;

        if (n_children == CHILDREN_MAX)
                die("too many clients");
        fflush(NULL);
        pid = fork();
        if (pid < 0)
                die("fork: %m");
        if (pid > 0) {
                children[n_children++] = pid;
                return pid;
        }

        /* Die with the driver, whatever happens to it. */
        (void) prctl(PR_SET_PDEATHSIG, SIGTERM);
        n_children = 0;
        va_start(ap, name_fmt);
        vsnprintf(client_name, sizeof client_name, name_fmt, ap);
        va_end(ap);
        return 0;
}

static _Noreturn void die_exited(unsigned i, int status, const char *when) {
        die("client %u exited %s (%s %d)", i, when, WIFEXITED(status) ? "status" : "signal",
            WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

void clients_check_alive(void) {
        for (unsigned i = 0; i < n_children; i++) {
                int status;

                if (children[i] > 0 && waitpid(children[i], &status, WNOHANG) == children[i]) {
                        children[i] = 0;
                        die_exited(i, status, "early");
                }
        }
}

void clients_reap(void) {
        for (unsigned i = 0; i < n_children; i++) {
                int status;

                if (children[i] <= 0)
                        continue;
                while (waitpid(children[i], &status, 0) < 0 && errno == EINTR)
                        ;
                children[i] = 0;
                if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                        die_exited(i, status, "abnormally");
        }
        n_children = 0;
}

bool read_full(int fd, void *p, size_t n) {
        uint8_t *b = p;
        while (n > 0) {
                ssize_t k = read(fd, b, n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return false;
                b += k;
                n -= (size_t) k;
        }
        return true;
}

void write_full(int fd, const void *p, size_t n) {
        const uint8_t *b = p;
        while (n > 0) {
                ssize_t k = write(fd, b, n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        die("cannot report: %m");
                b += k;
                n -= (size_t) k;
        }
}

static int compare_u32(const void *a, const void *b) {
        uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
        return (x > y) - (x < y);
}

static int compare_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return (x > y) - (x < y);
}

void samples_sort(uint32_t *v, size_t n) {
        if (n > 0)
                qsort(v, n, sizeof *v, compare_u32);
}

double samples_percentile(const uint32_t *sorted, size_t n, double p) {
        if (n == 0)
                return 0;
        return (double) sorted[(size_t) (p * (double) (n - 1) + 0.5)];
}

void samples_append(uint32_t **v, size_t *n, const uint32_t *add, size_t k) {
        *v = realloc(*v, (*n + k) * sizeof **v + 1);
        if (!*v)
                die("out of memory");
        memcpy(*v + *n, add, k * sizeof **v);
        *n += k;
}

double median(double *v, size_t n) {
        if (n == 0)
                return 0;
        qsort(v, n, sizeof *v, compare_double);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void min_max(const double *v, size_t n, double *ret_min, double *ret_max) {
        double lo = n > 0 ? v[0] : 0, hi = lo;

        for (size_t i = 1; i < n; i++) {
                lo = MIN(lo, v[i]);
                hi = MAX(hi, v[i]);
        }
        *ret_min = lo;
        *ret_max = hi;
}

/* From the scheduler's own account of every thread (schedstat), in ns: /proc/PID/stat's user and
 * system times are sampled at timer ticks (10 ms), so that bursts of 20 us of work, a daemon's
 * answer to one call, are charged to whoever the tick finds on the CPU. */
uint64_t process_cpu_ns(pid_t pid) {
        Sched s = sched_read(pid);

        return (uint64_t) (s.main_run + s.other_run);
}

Sched sched_read(pid_t pid) {
        Sched s = {};
        char path[64];
        DIR *d;
        struct dirent *de;

        if (pid <= 0)
                return s;
        snprintf(path, sizeof path, "/proc/%d/task", (int) pid);
        d = opendir(path);
        if (!d)
                die("cannot open %s: %m", path);
        while ((de = readdir(d))) {
                char p[320];
                unsigned long long run, wait;
                FILE *f;
                int ok;

                if (de->d_name[0] == '.')
                        continue;
                snprintf(p, sizeof p, "/proc/%d/task/%s/schedstat", (int) pid, de->d_name);
                f = fopen(p, "re");
                if (!f)
                        continue;   /* a thread that just ended */
                ok = fscanf(f, "%llu %llu", &run, &wait) == 2;
                fclose(f);
                if (!ok)
                        continue;
                if (atoi(de->d_name) == pid) {
                        s.main_run += (double) run;
                        s.main_wait += (double) wait;
                } else {
                        s.other_run += (double) run;
                        s.other_wait += (double) wait;
                }
        }
        closedir(d);
        return s;
}

/* CPU time of the whole machine in ns, from /proc/stat: idle (with iowait) and stolen by
 * the hypervisor.  Busy time is the rest of the wall time of all CPUs: /proc/stat's user and
 * system are sampled at timer ticks, which an idle CPU (NO_HZ) does not take, so that they
 * overstate short bursts of work; its idle time is measured. */
Machine machine_read(void) {
        unsigned long long user, nice, system, idle, iowait, irq, softirq, steal;
        Machine m = {};
        FILE *f = fopen("/proc/stat", "re");
        double tick = 1e9 / (double) sysconf(_SC_CLK_TCK);

        if (!f)
                die("cannot open /proc/stat: %m");
        if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &system, &idle, &iowait, &irq,
                   &softirq, &steal) != 8)
                die("cannot parse /proc/stat");
        fclose(f);
        m.idle = (double) (idle + iowait) * tick;
        m.steal = (double) steal * tick;
        return m;
}

Sched sched_diff(Sched a, Sched b) {
        return (Sched) { b.main_run - a.main_run, b.main_wait - a.main_wait,
                         b.other_run - a.other_run, b.other_wait - a.other_wait };
}
