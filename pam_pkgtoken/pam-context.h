/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The state of one PAM call, and the small text helpers every part of the module uses to
 * put outside text (user names, the daemon's reasons) into log lines and messages. */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <syslog.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <systemd/sd-bus.h>

#include "pam-options.h"
#include "utf8.h"

typedef struct Context {
        pam_handle_t *pamh;
        Options options;
        const char *user;
        sd_bus *bus;
        bool direct;                    /* bus is a connection to the direct socket */
        bool bus_failed;                /* a call on bus failed or timed out: never reuse it */
        char message[256];              /* replaces the outcome's message when set */
} Context;

#define log_debug(c, ...)                                                       \
        do {                                                                    \
                if ((c)->options.debug)                                         \
                        pam_syslog((c)->pamh, LOG_DEBUG, __VA_ARGS__);          \
        } while (0)

/* Printable ASCII only, bounded: outside text made safe for a log line or a message. */
static inline const char *printable(const char *s, char *buf, size_t size) {
        size_t i = 0;

        if (!s)
                s = "";
        for (; *s && i + 1 < size; s++)
                buf[i++] = (*s >= ' ' && *s < 0x7f) ? *s : '?';
        buf[i] = 0;
        return buf;
}
#define PRINTABLE(s) printable((s), (char[96]) {}, 96)

/* Whether s is valid UTF-8 (what may travel on the bus as a string). */
static inline bool string_is_utf8(const char *s) {
        size_t n = strlen(s);

        for (size_t i = 0; i < n;) {
                uint32_t c;
                size_t k = utf8_decode((const uint8_t *) s + i, n - i, &c);

                if (k == 0)
                        return false;
                i += k;
        }
        return true;
}
