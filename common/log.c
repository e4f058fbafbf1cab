/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

static const char *log_program = "pkgtoken";
static int log_max_level = LOG_INFO;
static bool log_prefix = false;

/* systemd sets JOURNAL_STREAM=DEV:INODE for a service whose stderr is the journal; stderr
 * may have been redirected since, so compare it with what stderr is now. */
static bool stderr_is_journal(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino;
}

void log_setup(const char *program) {
        log_program = program;
        log_prefix = stderr_is_journal();
}

void log_set_max_level(int level) {
        log_max_level = level;
}

int log_get_max_level(void) {
        return log_max_level;
}

void log_set_prefix(bool on) {
        log_prefix = on;
}

int log_level_from_string(const char *s) {
        static const char *const names[] = {
                "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
        };

        if (!s)
                return -EINVAL;
        if (s[0] >= '0' && s[0] <= '7' && s[1] == '\0')
                return s[0] - '0';
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (streq(s, names[i]))
                        return (int) i;
        if (streq(s, "error"))
                return LOG_ERR;
        return -EINVAL;
}

int log_internal(int level, int error, const char *format, ...) {
        int saved_errno = errno;
        va_list ap;

        error = error < 0 ? -error : error;
        if (level <= log_max_level) {
                /* One fprintf per piece would interleave with other writers; build the line
                 * first, then write it at once. */
                char line[2048];
                int n = 0;

                if (log_prefix)
                        n = snprintf(line, sizeof line, "<%d>", level);
                n += snprintf(line + n, sizeof line - (size_t) n, "%s: ", log_program);
                errno = error ? error : saved_errno;   /* for %m */
                va_start(ap, format);
                if ((size_t) n < sizeof line)
                        vsnprintf(line + n, sizeof line - (size_t) n, format, ap);
                va_end(ap);
                fprintf(stderr, "%s\n", line);
        }
        errno = saved_errno;
        return -error;
}
