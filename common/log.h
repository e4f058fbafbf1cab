/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The one logging helper of the daemon and the CLI: one line on stderr, "PROGRAM: message",
 * with syslog levels.  When stderr is connected to the journal ($JOURNAL_STREAM names it, as
 * systemd sets it for services) each line starts with the kernel-style priority prefix
 * ("<3>"), so journald files it at the right priority.  The PAM module logs through
 * pam_syslog() instead: it runs inside someone else's process.  Never pass a secret. */

#include <stdbool.h>
#include <syslog.h>

#include "macro.h"

/* program: the prefix of every line.  Prefixes are used when stderr is the journal. */
void log_setup(const char *program);
void log_set_max_level(int level);
int log_get_max_level(void);
/* Forces the "<N>" prefixes on or off (tests, and --log-prefix style options). */
void log_set_prefix(bool on);

/* "emerg".."debug" (as in LogLevel= of systemd) or a digit 0..7; -EINVAL otherwise. */
int log_level_from_string(const char *s);

/* Logs at level (when not above the maximum) with errno set to error, so the format may use
 * %m; returns -|error| (or 0 when error is 0), for "return log_error_errno(r, ...)". */
int log_internal(int level, int error, const char *format, ...) _printf_(3, 4);

#define log_full_errno(level, error, ...) log_internal((level), (error), __VA_ARGS__)
#define log_error_errno(error, ...)   log_internal(LOG_ERR, (error), __VA_ARGS__)
#define log_warning_errno(error, ...) log_internal(LOG_WARNING, (error), __VA_ARGS__)
#define log_error(...)   ((void) log_internal(LOG_ERR, 0, __VA_ARGS__))
#define log_warning(...) ((void) log_internal(LOG_WARNING, 0, __VA_ARGS__))
#define log_notice(...)  ((void) log_internal(LOG_NOTICE, 0, __VA_ARGS__))
#define log_info(...)    ((void) log_internal(LOG_INFO, 0, __VA_ARGS__))
#define log_debug(...)   ((void) log_internal(LOG_DEBUG, 0, __VA_ARGS__))
#define log_oom() log_internal(LOG_ERR, ENOMEM, "Out of memory.")
