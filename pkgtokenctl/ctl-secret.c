/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>

#include "ctl-json.h"
#include "ctl-output.h"
#include "ctl-secret.h"
#include "erase.h"
#include "input-limits.h"
#include "log.h"
#include "macro.h"

/* A token is 47 characters and an OTP 6 to 11 (OTP_INPUT_MAX bounds what the daemon looks
 * at); a line much longer than that is not one of them, but is refused here only beyond this
 * many bytes, so that the daemon's message says what is wrong with it. */
#define SECRET_LINE_MAX 1024

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

/* Turns echo off on the terminal fd (restored on the usual signals) and prompts on stderr. */
static int terminal_echo_off(int fd, const char *prompt, struct sigaction *old_actions) {
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

        if (tcsetattr(fd, TCSANOW, &t) < 0)
                return log_error_errno(errno, "Failed to turn off terminal echo: %m");

        fputs(prompt, stderr);
        fflush(stderr);
        return 0;
}

static void terminal_restore(int fd, const struct sigaction *old_actions, bool got_newline) {
        (void) tcsetattr(fd, TCSANOW, &saved_termios);
        termios_fd = -1;
        for (size_t i = 0; i < ELEMENTSOF(prompt_signals); i++)
                sigaction(prompt_signals[i], old_actions + i, NULL);
        if (!got_newline)
                fputc('\n', stderr);
}

/* Reads up to a newline into buf (max bytes), byte by byte so nothing past the newline is
 * consumed (the OTP is the next line).  Returns the length, -ENODATA at the end of input
 * without a byte, -E2BIG for a longer line. */
static ssize_t read_line_raw(int fd, char *buf, size_t max, bool *got_newline) {
        size_t n = 0;

        for (;;) {
                char c;
                ssize_t k = read(fd, &c, 1);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        return n == 0 ? -ENODATA : (ssize_t) n;
                if (c == '\n') {
                        *got_newline = true;
                        return (ssize_t) n;
                }
                if (n >= max)
                        return -E2BIG;
                buf[n++] = c;
        }
}

/* One line from fd; on a terminal, prompted for on stderr with echo off. */
static int read_secret_line(int fd, const char *prompt, size_t max, char **ret) {
        struct sigaction old_actions[ELEMENTSOF(prompt_signals)];
        _cleanup_erase_ char *buf = NULL;
        bool tty, got_newline = false;
        ssize_t n;
        int r = 0;

        /* calloc, so the buffer is always NUL-terminated and _cleanup_erase_ wipes it all. */
        buf = calloc(1, max + 1);
        if (!buf)
                return log_oom();

        tty = isatty(fd);
        if (tty) {
                r = terminal_echo_off(fd, prompt, old_actions);
                if (r < 0 && termios_fd < 0)
                        return r;       /* nothing changed yet */
        }

        n = r < 0 ? r : read_line_raw(fd, buf, max, &got_newline);
        if (n > 0 && buf[n - 1] == '\r')        /* files written on Windows */
                buf[--n] = 0;

        if (tty)
                terminal_restore(fd, old_actions, got_newline);

        if (n < 0)
                return (int) n;

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

int read_secret(const char *what, const char *prompt, char **ret) {
        return read_secret_max(what, prompt, SECRET_LINE_MAX, ret);
}

int read_password(const char *what, const char *prompt, char **ret) {
        return read_secret_max(what, prompt, PASSWORD_MAX, ret);
}

int read_new_password(bool from_stdin, char **ret) {
        _cleanup_erase_ char *password = NULL, *again = NULL;
        int r;

        r = read_password("new password", "New password: ", &password);
        if (r < 0)
                return r;

        if (!from_stdin) {
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

/* Authenticator apps show "123 456" and people type what they see.  Blanks are dropped, in
 * place, and the bytes they leave behind wiped; whether the rest is a TOTP code or a recovery
 * code (whose dashes and case the daemon handles) is the daemon's to judge. */
static void otp_strip_blanks(char *s) {
        size_t len = strlen(s);
        char *q = s;

        for (const char *p = s; *p; p++)
                if (*p != ' ' && *p != '\t')
                        *q++ = *p;
        erase_memory(q, len - (size_t) (q - s));
}

int read_otp(const char *prompt, char **ret) {
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

int read_otp_if(bool wanted, const char *prompt, char **ret) {
        return wanted ? read_otp(prompt, ret) : 0;
}

int write_secret(const char *s, bool newline) {
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

int write_secret_line(const char *s) {
        return write_secret(s, true);
}

bool secret_is_printable(const char *s) {
        if (isempty(s))
                return false;
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if (*p <= ' ' || *p >= 0x7f)
                        return false;
        return true;
}

int print_json_secret(json_object *o) {
        const char *s;
        int r;

        s = json_object_to_json_string_ext(o, json_flags());
        if (!s)
                return log_oom();
        r = write_secret_line(s);

        erase_memory((char *) s, strlen(s));
        json_erase_strings(o);
        return r;
}

void make_undumpable(void) {
        (void) prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}
