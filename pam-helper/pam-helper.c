/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* pkgtoken-pam-helper: checks one password against one PAM service of the host for pkgtokend,
 * so that the daemon itself keeps its hardened unit (no network, no /etc/shadow) while an
 * account's password may live in the system's directory (pam_sss, pam_unix, ...).
 *
 * One connection, one request, one answer (common/pam-request.h): the connection is standard
 * input, as systemd hands it over with Accept=yes and StandardInput=socket, or as pkgtokend
 * passes it when it starts the helper itself (PamHelper=).  The helper reads the request to
 * the end (bounded in size), runs pam_authenticate() and pam_acct_mgmt() with a conversation
 * that answers the password prompt only, writes one verdict byte and exits.  The password is
 * erased as soon as PAM is done with it; the whole run is bounded by an alarm. */

#include <errno.h>
#include <fcntl.h>
#include <security/pam_appl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "erase.h"
#include "io-util.h"
#include "log.h"
#include "macro.h"
#include "options.h"
#include "pam-request.h"

#define PROGRAM_NAME "pkgtoken-pam-helper"
#define PAM_DIR_DEFAULT "/etc/pam.d"
/* Far above pkgtokend's own bound (PamHelperTimeoutSec=, at most 60 s): only a stack that never
 * returns meets it. */
#define RUN_TIMEOUT_SEC 120

static const char *arg_pam_dir = NULL;   /* NULL: the system's configuration, by pam_start() */

typedef struct Conversation {
        const char *password;
        unsigned prompts;
} Conversation;

/* The answer to one message: the password to the first prompt that does not echo; nothing
 * to a message (info, error); every other prompt is refused, so that no stack can make the
 * helper answer something it never knew.  0, or -EPERM/-ENOMEM. */
static int answer(Conversation *c, const struct pam_message *m, char **ret) {
        *ret = NULL;
        if (m->msg_style == PAM_TEXT_INFO || m->msg_style == PAM_ERROR_MSG)
                return 0;
        if (m->msg_style != PAM_PROMPT_ECHO_OFF || c->prompts++ > 0)
                return -EPERM;
        *ret = strdup(c->password);
        return *ret ? 0 : -ENOMEM;
}

static int converse(int n, const struct pam_message **msg, struct pam_response **ret, void *userdata) {
        struct pam_response *resp = n > 0 && n <= PAM_MAX_NUM_MSG ? calloc((size_t) n, sizeof *resp) : NULL;

        if (!resp)
                return PAM_CONV_ERR;
        for (int i = 0; i < n; i++)
                if (answer(userdata, msg[i], &resp[i].resp) < 0) {
                        /* PAM frees nothing of a failed conversation. */
                        for (int k = 0; k < n; k++)
                                erase_and_freep(&resp[k].resp);
                        free(resp);
                        return PAM_CONV_ERR;
                }
        *ret = resp;
        return PAM_SUCCESS;
}

/* pkgtokend keeps its own lockouts and evens out the time of refusals itself: a module's
 * failure delay (pam_unix's 2 s, pam_faildelay) would only hold a worker of the daemon. */
static void no_fail_delay(int status, unsigned usec, void *userdata) {
}

static PamVerdict verdict_of(int r) {
        switch (r) {
        case PAM_SUCCESS:
                return PAM_VERDICT_ACCEPTED;
        case PAM_AUTH_ERR:
        case PAM_USER_UNKNOWN:
        case PAM_PERM_DENIED:
        case PAM_ACCT_EXPIRED:
        case PAM_NEW_AUTHTOK_REQD:      /* expired: changed in the directory, not here */
        case PAM_CRED_INSUFFICIENT:
        case PAM_MAXTRIES:
                return PAM_VERDICT_REFUSED;
        default:                        /* AUTHINFO_UNAVAIL, SYSTEM_ERR, CONV_ERR, ... */
                return PAM_VERDICT_UNAVAILABLE;
        }
}

/* A service is used only when its own file is in the configuration directory: libpam would
 * fall back to the "other" service for a missing one, which is never what was meant. */
static bool service_is_configured(const char *service) {
        struct stat st;
        int dir = open(arg_pam_dir ?: PAM_DIR_DEFAULT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        bool ok;

        if (dir < 0)
                return false;
        ok = fstatat(dir, service, &st, 0) == 0 && S_ISREG(st.st_mode);
        close(dir);
        return ok;
}

static PamVerdict authenticate(const PamRequest *q) {
        Conversation c = { .password = q->password };
        struct pam_conv conv = { .conv = converse, .appdata_ptr = &c };
        pam_handle_t *h = NULL;
        int r;

        if (!service_is_configured(q->service)) {
                log_warning("PAM service '%s' has no file in %s: refused", q->service, arg_pam_dir ?: PAM_DIR_DEFAULT);
                return PAM_VERDICT_BAD_REQUEST;
        }
        r = arg_pam_dir ? pam_start_confdir(q->service, q->user, &conv, arg_pam_dir, &h)
                        : pam_start(q->service, q->user, &conv, &h);
        if (r != PAM_SUCCESS) {
                log_error("pam_start(%s): %s", q->service, pam_strerror(h, r));
                return PAM_VERDICT_UNAVAILABLE;
        }
        (void) pam_set_item(h, PAM_FAIL_DELAY, (const void *) no_fail_delay);
        r = pam_authenticate(h, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
        if (r == PAM_SUCCESS)
                r = pam_acct_mgmt(h, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
        log_full_errno(verdict_of(r) == PAM_VERDICT_UNAVAILABLE ? LOG_WARNING : LOG_DEBUG, 0,
                       "PAM service %s, user %s: %s", q->service, q->user, pam_strerror(h, r));
        (void) pam_end(h, r);
        return verdict_of(r);
}

/* The whole request, to the end of the stream: *ret_n bytes, or -EMSGSIZE when it is longer
 * than any request can be. */
static int read_request(int fd, uint8_t *buf, size_t size, size_t *ret_n) {
        size_t n = 0;

        for (;;) {
                ssize_t k = read(fd, buf + n, size - n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                n += (size_t) k;
                if (n == size)
                        return -EMSGSIZE;
        }
        *ret_n = n;
        return 0;
}

static int help(void) {
        printf("Usage: %s [OPTIONS]\n\n"
               "Checks one password against a PAM service for pkgtokend: reads one request from\n"
               "standard input (a socket), writes one verdict byte. Started by\n"
               "pkgtoken-pam-helper.socket, or by pkgtokend itself (PamHelper=).\n\n"
               "  -h --help          Show this help\n"
               "     --version       Show the version\n"
               "     --pam-dir=DIR   Read PAM services from DIR instead of the system's (tests)\n",
               PROGRAM_NAME);
        return 0;
}

enum { ARG_PAM_DIR = 0x100 };

static int parse_option(int c, const char *arg, void *userdata) {
        switch (c) {
        case ARG_PAM_DIR:
                if (*arg != '/')
                        return log_error_errno(EINVAL, "--pam-dir= needs an absolute path.");
                arg_pam_dir = arg;
                return 0;
        default:
                return log_error_errno(EINVAL, "Unknown or invalid option. See '%s --help'.", PROGRAM_NAME);
        }
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                OPTION_HELP,
                OPTION_VERSION,
                { "pam-dir", required_argument, NULL, ARG_PAM_DIR },
                {}
        };
        static uint8_t buf[PAM_REQUEST_MAX + 1];
        static PamRequest q;
        uint8_t verdict = PAM_VERDICT_BAD_REQUEST;
        size_t n = 0;
        int r;

        log_setup(PROGRAM_NAME);
        opterr = 0;
        r = options_parse(argc, argv, PROGRAM_NAME, "h", options, help, parse_option, NULL);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;

        /* The password must not end up in a core dump; a stack that never returns ends here. */
        (void) prctl(PR_SET_DUMPABLE, 0);
        (void) signal(SIGPIPE, SIG_IGN);
        alarm(RUN_TIMEOUT_SEC);

        r = read_request(STDIN_FILENO, buf, sizeof buf, &n);
        if (r < 0)
                log_warning_errno(r, "cannot read the request: %m");
        else if (pam_request_parse(buf, n, &q) < 0)
                log_warning("malformed request (%zu bytes): refused", n);
        else {
                erase_memory(buf, n);
                verdict = authenticate(&q);
        }
        erase_memory(buf, sizeof buf);
        pam_request_erase(&q);

        r = write_all(STDIN_FILENO, &verdict, 1);
        if (r < 0)
                return log_error_errno(r, "cannot write the verdict: %m"), EXIT_FAILURE;
        return EXIT_SUCCESS;
}
