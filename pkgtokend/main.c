/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

#include "macro.h"
#include "log.h"
#include "config.h"
#include "manager.h"
#include "names.h"
#include "options.h"

#define DEFAULT_STATE_DIR "/var/lib/pkgtoken"

typedef struct Options {
        const char *state_dir;
        const char *bus_address;
        const char *config_file;
        const char *direct_socket;
        int log_level;           /* -1: LogLevel= of the configuration */
} Options;

static int help(void) {
        printf("Usage: pkgtokend [OPTIONS]\n\n"
               "Owns the pkgtoken database and answers token, account and package requests on D-Bus\n"
               "as %s on %s.\n\n"
               "  -h --help               Show this help\n"
               "     --version            Show the version\n"
               "     --state-dir=DIR      Keep the database in DIR (default: $STATE_DIRECTORY, else %s)\n"
               "     --bus-address=ADDR   Serve on this bus instead of the system bus\n"
               "                          (default: $%s, else the system bus)\n"
               "     --config=FILE        Read settings from FILE (default: %s, if it exists)\n"
               "     --direct-socket=PATH Serve verifiers on this unix socket too, without the bus\n"
               "                          (default: the socket systemd passes, else DirectSocket=)\n"
               "     --log-level=LEVEL    Log up to LEVEL: err, warning, notice, info, debug (default:\n"
               "                          LogLevel= of the configuration, else info)\n",
               PKGTOKEN_BUS_NAME, PKGTOKEN_OBJECT_PATH, DEFAULT_STATE_DIR, PKGTOKEN_BUS_ADDRESS_ENV,
               CONFIG_FILE_DEFAULT);
        return 0;
}

/* systemd passes StateDirectory= as $STATE_DIRECTORY, colon-separated when there are several;
 * ours is the first. */
static char *state_dir_from_environment(void) {
        const char *e = getenv("STATE_DIRECTORY");
        if (isempty(e))
                return strdup(DEFAULT_STATE_DIR);
        return strndup(e, strcspn(e, ":"));
}

enum { ARG_STATE_DIR = 0x100, ARG_BUS_ADDRESS, ARG_CONFIG, ARG_LOG_LEVEL, ARG_DIRECT_SOCKET };

static int parse_option(int c, const char *arg, void *userdata) {
        Options *o = userdata;

        switch (c) {
        case ARG_STATE_DIR:
                return option_nonempty(arg, "--state-dir= needs a directory", &o->state_dir);
        case ARG_BUS_ADDRESS:
                return option_nonempty(arg, "--bus-address= needs an address", &o->bus_address);
        case ARG_CONFIG:
                return option_nonempty(arg, "--config= needs a file", &o->config_file);
        case ARG_DIRECT_SOCKET:
                return option_nonempty(arg, "--direct-socket= needs a path", &o->direct_socket);
        case ARG_LOG_LEVEL:
                o->log_level = log_level_from_string(arg);
                if (o->log_level < 0)
                        return log_error_errno(EINVAL, "--log-level= takes emerg, alert, crit, err, warning, notice, "
                                                       "info or debug");
                return 0;
        default:
                return -EINVAL;
        }
}

/* Returns 1 to run, 0 to exit successfully, -EINVAL on a usage error. */
static int parse_argv(int argc, char *argv[], Options *o) {
        static const struct option options[] = {
                OPTION_HELP,
                OPTION_VERSION,
                { "state-dir",   required_argument, NULL, ARG_STATE_DIR   },
                { "bus-address", required_argument, NULL, ARG_BUS_ADDRESS },
                { "config",      required_argument, NULL, ARG_CONFIG      },
                { "log-level",   required_argument, NULL, ARG_LOG_LEVEL   },
                { "direct-socket", required_argument, NULL, ARG_DIRECT_SOCKET },
                {}
        };

        return options_parse_no_arguments(argc, argv, "pkgtokend", "h", options, help, parse_option, o);
}

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

/* Blocked before any thread starts, so that every thread inherits the mask and the signals
 * reach only the event loop's signalfd. */
static int block_exit_signals(void) {
        sigset_t mask;

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        return sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ? -errno : 0;
}

static int setup_signals(sd_event *e) {
        int r;

        r = sd_event_add_signal(e, NULL, SIGTERM, on_exit_signal, NULL);
        if (r < 0)
                return r;
        return sd_event_add_signal(e, NULL, SIGINT, on_exit_signal, NULL);
}

int main(int argc, char *argv[]) {
        _cleanup_(manager_freep) Manager *m = NULL;
        _cleanup_free_ char *default_state_dir = NULL;
        Options o = { .log_level = -1 };
        Config config;
        int r;

        log_setup("pkgtokend");
        r = parse_argv(argc, argv, &o);
        if (r <= 0)
                return r < 0 ? 2 : 0;
        if (!o.bus_address && !isempty(getenv(PKGTOKEN_BUS_ADDRESS_ENV)))
                o.bus_address = getenv(PKGTOKEN_BUS_ADDRESS_ENV);
        if (!o.state_dir) {
                default_state_dir = state_dir_from_environment();
                if (!default_state_dir)
                        return 1;
                o.state_dir = default_state_dir;
        }

        /* A bad setting stops the daemon before it serves anybody: fail closed. */
        config_init_defaults(&config);
        r = config_load(&config, o.config_file ?: CONFIG_FILE_DEFAULT, /* optional= */ !o.config_file);
        if (r < 0)
                return 1;
        log_set_max_level(o.log_level >= 0 ? o.log_level : config.log_level);

        /* The database and its WAL are readable by the daemon alone. */
        umask(0077);
        r = block_exit_signals();
        if (r < 0) {
                log_error_errno(r, "cannot block signals: %m");
                return 1;
        }

        r = manager_new(o.state_dir, &config, &m);
        if (r < 0) {
                if (r == -ENOMEM)
                        log_error("out of memory");
                return 1;
        }
        r = setup_signals(m->event);
        if (r < 0) {
                log_error_errno(r, "cannot set up signal handling: %m");
                return 1;
        }
        r = manager_connect_bus(m, o.bus_address);
        if (r < 0)
                return 1;
        /* After the bus: a verifier that finds the socket finds the name taken too. */
        r = manager_listen_direct(m, o.direct_socket);
        if (r < 0)
                return 1;

        (void) sd_notify(false, "READY=1\nSTATUS=Serving token checks.");
        r = manager_run(m);
        (void) sd_notify(false, "STOPPING=1\nSTATUS=Shutting down.");
        if (r < 0) {
                log_error_errno(r, "event loop failed: %m");
                return 1;
        }
        return 0;
}
