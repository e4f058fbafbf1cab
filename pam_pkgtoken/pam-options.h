/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The module's arguments (man/pam_pkgtoken.8, OPTIONS), parsed the strict way of Linux-PAM's
 * own modules: anything unknown or malformed is a configuration error. */

#include <stdbool.h>
#include <security/pam_modules.h>

#include "request.h"
#include "time-util.h"

/* The system bus, by its fixed path: never from the environment (PAM modules run inside
 * setuid programs and servers whose environment is not ours to trust). */
#define DEFAULT_BUS_ADDRESS "unix:path=/run/dbus/system_bus_socket"
#define BUS_ADDRESS_MAX     4096
#define DIRECT_SOCKET_MAX   107     /* sockaddr_un's sun_path, less its NUL */

/* pkgtokend's direct socket beside the system bus (systemd/pkgtokend-direct.socket). */
#define DEFAULT_DIRECT_SOCKET "/run/pkgtoken/direct.sock"

#define DEFAULT_TIMEOUT_USEC (5 * USEC_PER_SEC)
#define TIMEOUT_USEC_MAX     (300 * USEC_PER_SEC)

typedef enum OtpMode {
        OTP_PROMPT,   /* "prompt": asked for by the conversation */
        OTP_APPEND,   /* "append": the last six digits of the secret */
        OTP_NONE,     /* "none": cannot be given */
        _OTP_MODE_MAX,
} OtpMode;

typedef enum DirectMode {
        DIRECT_AUTO,  /* "auto": the direct socket when it is there, else the bus */
        DIRECT_YES,   /* "yes": the direct socket only (fail closed without it) */
        DIRECT_NO,    /* "no": the bus only */
        _DIRECT_MODE_MAX,
} DirectMode;

typedef struct Options {
        bool debug;
        bool silent;                    /* PAM_SILENT */
        bool use_first_pass;
        bool try_first_pass;
        bool use_authtok;
        bool nullok;
        bool ignore_authinfo_unavail;
        bool tokens;
        usec_t timeout_usec;
        OtpMode otp;
        Action action;                  /* ACTION_UNSET without action= */
        const char *package;            /* NULL without package= */
        const char *bus_address;
        bool bus_address_set;           /* bus= was given */
        DirectMode direct;
        const char *direct_socket;      /* NULL: auto uses none (bus= without direct_socket=) */
        RequestLayout layout;
        const char *prefix;             /* "" without prefix= */
} Options;

/* PAM_SUCCESS, or PAM_SERVICE_ERR (logged) for an unknown or malformed argument. */
int options_parse(pam_handle_t *pamh, int flags, int argc, const char **argv, Options *ret);
