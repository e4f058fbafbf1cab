/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Runs a PAM service from a private configuration directory (pam_start_confdir) with a
 * scripted conversation, for tests/bus-pam.sh.
 *
 *   pam-driver [OPTIONS] CONFDIR SERVICE USER OPERATION...
 *   pam-driver --check-module MODULE.so
 *
 * OPERATION is authenticate, acct_mgmt, setcred or chauthtok; they run in order, like an
 * application would, and stop after the first that fails.  "pause" prints "paused" and waits
 * for a line on stdin (tests/bus-direct.sh restarts the daemon under a kept connection).  Every message the modules show
 * is printed as "STYLE: text" ("PROMPT_ECHO_OFF: Password: ", "ERROR_MSG: ...",
 * "TEXT_INFO: ..."), every operation's code as "pam_authenticate: PAM_SUCCESS", and the last
 * code as "result: PAM_SUCCESS".  The exit code is 0 whatever PAM said (the test compares
 * the output); 1 when PAM could not start, 2 for a usage error.
 *
 * Options:
 *   --silent                 pass PAM_SILENT
 *   --env NAME=VALUE         pam_putenv() before the operations (repeatable)
 *   --rhost HOST             PAM_RHOST
 *   --answer TEXT            the answer to the next prompt (repeatable, used in order)
 *   --answers-file FILE      more answers, one per line, after the --answer ones
 *   --hidden-answer TEXT     answer every PROMPT_ECHO_OFF with TEXT, and every
 *                            PROMPT_ECHO_ON with the user name, as nginx's auth_pam does
 * When the answers run out, the conversation fails (PAM_CONV_ERR).  (An application cannot
 * set PAM_AUTHTOK; a test stacks a module that reads the password, such as pam_exec.)
 *
 * --check-module dlopen()s the module and checks that it resolves and provides the pam_sm_*
 * functions while keeping its internals to itself. */

#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <security/pam_appl.h>

#define ANSWERS_MAX 64

static const char *answers[ANSWERS_MAX];
static size_t n_answers, next_answer;
static const char *hidden_answer;
static const char *user_name;

static const char *pam_code_name(int code) {
        static const struct {
                int code;
                const char *name;
        } names[] = {
#define N(x) { x, #x }
                N(PAM_SUCCESS), N(PAM_OPEN_ERR), N(PAM_SYMBOL_ERR), N(PAM_SERVICE_ERR),
                N(PAM_SYSTEM_ERR), N(PAM_BUF_ERR), N(PAM_PERM_DENIED), N(PAM_AUTH_ERR),
                N(PAM_CRED_INSUFFICIENT), N(PAM_AUTHINFO_UNAVAIL), N(PAM_USER_UNKNOWN),
                N(PAM_MAXTRIES), N(PAM_NEW_AUTHTOK_REQD), N(PAM_ACCT_EXPIRED), N(PAM_SESSION_ERR),
                N(PAM_CRED_UNAVAIL), N(PAM_CRED_EXPIRED), N(PAM_CRED_ERR), N(PAM_NO_MODULE_DATA),
                N(PAM_CONV_ERR), N(PAM_AUTHTOK_ERR), N(PAM_AUTHTOK_RECOVERY_ERR),
                N(PAM_AUTHTOK_LOCK_BUSY), N(PAM_AUTHTOK_DISABLE_AGING), N(PAM_TRY_AGAIN),
                N(PAM_IGNORE), N(PAM_ABORT), N(PAM_AUTHTOK_EXPIRED), N(PAM_MODULE_UNKNOWN),
                N(PAM_BAD_ITEM), N(PAM_CONV_AGAIN), N(PAM_INCOMPLETE),
#undef N
        };
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
                if (names[i].code == code)
                        return names[i].name;
        return "PAM_(unknown)";
}

static void free_responses(struct pam_response *r, int n) {
        for (int i = 0; i < n; i++)
                free(r[i].resp);
        free(r);
}

static int conversation(int n, const struct pam_message **msg, struct pam_response **ret, void *userdata) {
        struct pam_response *r;

        if (n <= 0 || n > PAM_MAX_NUM_MSG)
                return PAM_CONV_ERR;
        r = calloc((size_t) n, sizeof *r);
        if (!r)
                return PAM_BUF_ERR;

        for (int i = 0; i < n; i++) {
                const char *text = msg[i]->msg ? msg[i]->msg : "";
                const char *answer = NULL;

                switch (msg[i]->msg_style) {
                case PAM_PROMPT_ECHO_OFF:
                case PAM_PROMPT_ECHO_ON:
                        printf("%s: %s\n", msg[i]->msg_style == PAM_PROMPT_ECHO_OFF ? "PROMPT_ECHO_OFF" : "PROMPT_ECHO_ON",
                               text);
                        if (hidden_answer)
                                answer = msg[i]->msg_style == PAM_PROMPT_ECHO_OFF ? hidden_answer : user_name;
                        else if (next_answer < n_answers)
                                answer = answers[next_answer++];
                        if (!answer) {
                                printf("(no answer left: the conversation fails)\n");
                                free_responses(r, n);
                                return PAM_CONV_ERR;
                        }
                        r[i].resp = strdup(answer);
                        if (!r[i].resp) {
                                free_responses(r, n);
                                return PAM_BUF_ERR;
                        }
                        break;
                case PAM_ERROR_MSG:
                        printf("ERROR_MSG: %s\n", text);
                        break;
                case PAM_TEXT_INFO:
                        printf("TEXT_INFO: %s\n", text);
                        break;
                default:
                        printf("STYLE_%d: %s\n", msg[i]->msg_style, text);
                        free_responses(r, n);
                        return PAM_CONV_ERR;
                }
        }
        fflush(stdout);
        *ret = r;
        return PAM_SUCCESS;
}

static int check_module(const char *path) {
        static const char *const wanted[] = {
                "pam_sm_authenticate", "pam_sm_setcred", "pam_sm_acct_mgmt", "pam_sm_chauthtok",
        };
        /* Internal names that must not leak out of the module. */
        static const char *const hidden[] = {
                "parse_options", "finish", "outcome_table", "authenticate", "bus_call", "request_line_parse",
        };
        bool ok = true;
        void *h;

        h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
                printf("dlopen: %s\n", dlerror());
                return 1;
        }
        for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
                bool found = dlsym(h, wanted[i]) != NULL;
                printf("%s: %s\n", wanted[i], found ? "exported" : "MISSING");
                ok = ok && found;
        }
        for (size_t i = 0; i < sizeof hidden / sizeof hidden[0]; i++) {
                bool found = dlsym(h, hidden[i]) != NULL;
                printf("%s: %s\n", hidden[i], found ? "EXPORTED" : "hidden");
                ok = ok && !found;
        }
        dlclose(h);
        return ok ? 0 : 1;
}

static int read_answers_file(const char *path) {
        static char *lines[ANSWERS_MAX];
        size_t n_lines = 0;
        char *line = NULL;
        size_t size = 0;
        ssize_t len;
        FILE *f;

        f = fopen(path, "re");
        if (!f) {
                perror(path);
                return -1;
        }
        while ((len = getline(&line, &size, f)) >= 0) {
                if (len > 0 && line[len - 1] == '\n')
                        line[len - 1] = 0;
                if (n_answers >= ANSWERS_MAX || n_lines >= ANSWERS_MAX) {
                        fprintf(stderr, "pam-driver: too many answers\n");
                        fclose(f);
                        free(line);
                        return -1;
                }
                lines[n_lines] = line;
                answers[n_answers++] = lines[n_lines++];
                line = NULL;
                size = 0;
        }
        free(line);
        fclose(f);
        return 0;
}

static int usage(void) {
        fprintf(stderr,
                "usage: pam-driver [--silent] [--env NAME=VALUE]... [--rhost HOST] [--answer TEXT]...\n"
                "                  [--answers-file FILE] [--hidden-answer TEXT]\n"
                "                  CONFDIR SERVICE USER OPERATION...\n"
                "       pam-driver --check-module MODULE.so\n"
                "OPERATION: authenticate, acct_mgmt, setcred, chauthtok, pause\n");
        return 2;
}

int main(int argc, char *argv[]) {
        const char *envs[32], *rhost = NULL;
        size_t n_envs = 0;
        struct pam_conv conv = { conversation, NULL };
        pam_handle_t *pamh = NULL;
        int flags = 0, i, r, last = PAM_SUCCESS;

        setvbuf(stdout, NULL, _IOLBF, 0);

        if (argc == 3 && strcmp(argv[1], "--check-module") == 0)
                return check_module(argv[2]);

        for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
                const char *opt = argv[i];
                const char *arg = i + 1 < argc ? argv[i + 1] : NULL;

                if (strcmp(opt, "--silent") == 0) {
                        flags |= PAM_SILENT;
                        continue;
                }
                if (!arg)
                        return usage();
                i++;
                if (strcmp(opt, "--env") == 0) {
                        if (n_envs >= sizeof envs / sizeof envs[0] || !strchr(arg, '='))
                                return usage();
                        envs[n_envs++] = arg;
                } else if (strcmp(opt, "--rhost") == 0)
                        rhost = arg;
                else if (strcmp(opt, "--answer") == 0) {
                        if (n_answers >= ANSWERS_MAX)
                                return usage();
                        answers[n_answers++] = arg;
                } else if (strcmp(opt, "--answers-file") == 0) {
                        if (read_answers_file(arg) < 0)
                                return 2;
                } else if (strcmp(opt, "--hidden-answer") == 0)
                        hidden_answer = arg;
                else
                        return usage();
        }
        if (argc - i < 4)
                return usage();
        user_name = argv[i + 2];

        r = pam_start_confdir(argv[i + 1], argv[i + 2], &conv, argv[i], &pamh);
        if (r != PAM_SUCCESS) {
                printf("pam_start_confdir: %s\n", pam_code_name(r));
                return 1;
        }
        for (size_t k = 0; k < n_envs; k++)
                if (pam_putenv(pamh, envs[k]) != PAM_SUCCESS) {
                        printf("pam_putenv failed\n");
                        return 1;
                }
        if (rhost && pam_set_item(pamh, PAM_RHOST, rhost) != PAM_SUCCESS) {
                printf("pam_set_item failed\n");
                return 1;
        }

        for (i += 3; i < argc; i++) {
                const char *op = argv[i];

                if (strcmp(op, "authenticate") == 0)
                        last = pam_authenticate(pamh, flags);
                else if (strcmp(op, "acct_mgmt") == 0)
                        last = pam_acct_mgmt(pamh, flags);
                else if (strcmp(op, "setcred") == 0)
                        last = pam_setcred(pamh, flags | PAM_ESTABLISH_CRED);
                else if (strcmp(op, "chauthtok") == 0)
                        last = pam_chauthtok(pamh, flags);
                else if (strcmp(op, "pause") == 0) {
                        /* The test does something meanwhile (restarts the daemon) and then
                         * writes a line: the module's kept connection is what it was. */
                        char line[64];
                        printf("paused\n");
                        last = fgets(line, sizeof line, stdin) ? PAM_SUCCESS : PAM_ABORT;
                } else {
                        pam_end(pamh, PAM_ABORT);
                        return usage();
                }
                printf("pam_%s: %s\n", op, pam_code_name(last));
                if (last != PAM_SUCCESS)
                        break;
        }
        printf("result: %s\n", pam_code_name(last));
        pam_end(pamh, last);
        return 0;
}
