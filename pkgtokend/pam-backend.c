/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "erase.h"
#include "log.h"
#include "macro.h"
#include "pam-backend.h"
#include "pam-request.h"

extern char **environ;

/* A connection to a helper: the socket, and the process when this daemon started it. */
typedef struct HelperConnection {
        int fd;
        pid_t pid;     /* 0: socket activation, systemd owns the process */
} HelperConnection;

/* Starts the helper with one end of a socket pair as its standard input.  The daemon's
 * signal mask and ignored signals must not reach it. */
static int spawn_helper(const char *path, HelperConnection *ret) {
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        sigset_t none, defaults;
        char *argv[] = { (char *) path, NULL };
        int sv[2], r;

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return -errno;
        sigemptyset(&none);
        sigfillset(&defaults);
        posix_spawn_file_actions_init(&fa);
        posix_spawnattr_init(&attr);
        r = -posix_spawn_file_actions_adddup2(&fa, sv[1], STDIN_FILENO);
        if (r >= 0)
                r = -posix_spawnattr_setsigmask(&attr, &none);
        if (r >= 0)
                r = -posix_spawnattr_setsigdefault(&attr, &defaults);
        if (r >= 0)
                r = -posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        if (r >= 0)
                r = -posix_spawn(&ret->pid, path, &fa, &attr, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        close(sv[1]);
        if (r < 0) {
                close(sv[0]);
                return r;
        }
        ret->fd = sv[0];
        return 0;
}

static int connect_helper(const char *path, HelperConnection *ret) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd, r;

        if (snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path) >= (int) sizeof sa.sun_path)
                return -ENAMETOOLONG;
        /* Non-blocking: a local socket connects at once, or fails (EAGAIN: a full backlog). */
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        r = fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0 ? -errno : 0;
        if (r < 0) {
                if (fd >= 0)
                        close(fd);
                return r;
        }
        *ret = (HelperConnection) { .fd = fd };
        return 0;
}

static void helper_connection_close(HelperConnection *c) {
        if (c->fd >= 0)
                close(c->fd);
        /* After its verdict (or the deadline) the helper has nothing left to do for us. */
        if (c->pid > 0) {
                (void) kill(c->pid, SIGKILL);
                (void) waitpid(c->pid, NULL, 0);
        }
        *c = (HelperConnection) { .fd = -1 };
}

/* Waits for events on fd until the monotonic deadline: 0 ready, -ETIMEDOUT, -errno. */
static int wait_fd(int fd, short events, usec_t deadline) {
        for (;;) {
                usec_t now = now_monotonic_usec();
                struct pollfd p = { .fd = fd, .events = events };
                int k;

                if (now >= deadline)
                        return -ETIMEDOUT;
                k = poll(&p, 1, (int) ((deadline - now + USEC_PER_MSEC - 1) / USEC_PER_MSEC));
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k > 0)
                        return 0;
        }
}

/* Sends the request and reads the verdict byte, all before the deadline. */
static int exchange(int fd, const uint8_t *req, size_t n, usec_t deadline, uint8_t *ret) {
        size_t done = 0;
        ssize_t k;
        int r;

        while (done < n) {
                r = wait_fd(fd, POLLOUT, deadline);
                if (r < 0)
                        return r;
                k = send(fd, req + done, n - done, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (k < 0 && (errno == EINTR || errno == EAGAIN))
                        continue;
                if (k < 0)
                        return -errno;
                done += (size_t) k;
        }
        /* The end of the request: the helper reads to the end of the stream. */
        if (shutdown(fd, SHUT_WR) < 0)
                return -errno;
        for (;;) {
                r = wait_fd(fd, POLLIN, deadline);
                if (r < 0)
                        return r;
                k = recv(fd, ret, 1, MSG_DONTWAIT);
                if (k < 0 && (errno == EINTR || errno == EAGAIN))
                        continue;
                if (k < 0)
                        return -errno;
                return k == 1 ? 0 : -ECONNRESET;   /* closed without a verdict: it died */
        }
}

static void note_duration(PamBackend *b, usec_t d) {
        usec_t t = atomic_load(&b->typical);
        /* A moving average over about the last eight checks. */
        atomic_store(&b->typical, t == 0 ? d : (7 * t + d) / 8);
}

static int verdict_to_result(uint8_t v, const char *service) {
        switch (v) {
        case PAM_VERDICT_ACCEPTED:
                return 1;
        case PAM_VERDICT_REFUSED:
                return 0;
        case PAM_VERDICT_UNAVAILABLE:
                log_warning("password-backend-unavailable: PAM service %s could not answer (see the helper's log)",
                            service);
                return -EHOSTDOWN;
        case PAM_VERDICT_BAD_REQUEST:
                log_warning("password-backend-unavailable: the PAM helper refused the request for service %s "
                            "(no such service in its PAM directory?)", service);
                return -EINVAL;
        default:
                log_warning("password-backend-unavailable: the PAM helper answered 0x%02x, not a verdict", v);
                return -EBADMSG;
        }
}

int pam_backend_check(PamBackend *b, const char *service, const char *user, const char *password) {
        _cleanup_(helper_connection_close) HelperConnection c = { .fd = -1 };
        uint8_t req[PAM_REQUEST_MAX];
        usec_t start = now_monotonic_usec();
        bool spawn = !isempty(b->helper_path);
        uint8_t v;
        int n, r;

        n = pam_request_build(req, sizeof req, service, user, password);
        if (n < 0)
                return log_warning_errno(n, "password-backend-unavailable: no request for service %s and this "
                                         "user can be made", service);

        r = spawn ? spawn_helper(b->helper_path, &c) : connect_helper(b->socket_path, &c);
        if (r < 0) {
                erase_memory(req, sizeof req);
                return log_warning_errno(r, "password-backend-unavailable: cannot %s the PAM helper %s: %m%s",
                                         spawn ? "start" : "connect to", spawn ? b->helper_path : b->socket_path,
                                         spawn ? "" : " (is pkgtoken-pam-helper.socket running?)");
        }
        r = exchange(c.fd, req, (size_t) n, start + b->timeout, &v);
        erase_memory(req, sizeof req);
        if (r == -ETIMEDOUT)
                return log_warning_errno(r, "password-backend-unavailable: the PAM helper gave no verdict within "
                                         "%llu ms (PamHelperTimeoutSec=)",
                                         (unsigned long long) (b->timeout / USEC_PER_MSEC));
        if (r < 0)
                return log_warning_errno(r, "password-backend-unavailable: the PAM helper failed: %m");
        r = verdict_to_result(v, service);
        if (r >= 0)
                note_duration(b, now_monotonic_usec() - start);
        return r;
}

void pam_backend_equalise(PamBackend *b) {
        usec_t t = MIN(atomic_load(&b->typical), b->timeout);
        struct timespec ts = {
                .tv_sec = (time_t) (t / USEC_PER_SEC),
                .tv_nsec = (long) (t % USEC_PER_SEC) * 1000,
        };

        if (t == 0)
                return;
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}
