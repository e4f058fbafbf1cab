/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <syslog.h>
#include <security/pam_ext.h>

#include "duration.h"
#include "macro.h"
#include "pam-options.h"

static bool startswith(const char *s, const char *prefix, const char **ret_rest) {
        size_t n = strlen(prefix);

        if (strncmp(s, prefix, n) != 0)
                return false;
        *ret_rest = s + n;
        return true;
}

/* The index of s in words[], or -EINVAL: the enumerated options (otp=, tokens=). */
static int word_index(const char *s, const char * const *words, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (streq(words[i], s))
                        return (int) i;
        return -EINVAL;
}

static const char * const otp_mode_table[_OTP_MODE_MAX] = {
        [OTP_PROMPT] = "prompt",
        [OTP_APPEND] = "append",
        [OTP_NONE]   = "none",
};

static const char * const direct_mode_table[_DIRECT_MODE_MAX] = {
        [DIRECT_AUTO] = "auto",
        [DIRECT_YES]  = "yes",
        [DIRECT_NO]   = "no",
};

/* "allow" is 1, "deny" 0. */
static const char * const tokens_table[] = { "deny", "allow" };

/* One argument "name" or "name=value": 0, -EINVAL when it is malformed, -ENOENT when unknown. */
static int parse_option(const char *a, Options *o) {
        const char *v;
        int r;

        if (streq(a, "debug"))
                o->debug = true;
        else if (streq(a, "use_first_pass"))
                o->use_first_pass = true;
        else if (streq(a, "try_first_pass"))
                o->try_first_pass = true;
        else if (streq(a, "use_authtok"))
                o->use_authtok = true;
        else if (streq(a, "nullok"))
                o->nullok = true;
        else if (streq(a, "ignore_authinfo_unavail"))
                o->ignore_authinfo_unavail = true;
        else if (startswith(a, "timeout=", &v))
                /* The duration grammar; a bare number is seconds, as it always was. */
                return parse_duration_bounded(v, USEC_PER_SEC, TIMEOUT_USEC_MAX, &o->timeout_usec) < 0 ? -EINVAL : 0;
        else if (startswith(a, "otp=", &v)) {
                r = word_index(v, otp_mode_table, ELEMENTSOF(otp_mode_table));
                if (r < 0)
                        return r;
                o->otp = (OtpMode) r;
        } else if (startswith(a, "action=", &v)) {
                r = action_from_string(v);
                if (r < 0 || !action_is_basic(r))
                        return -EINVAL;
                o->action = (Action) r;
        } else if (startswith(a, "package=", &v)) {
                if (!request_package_is_valid(v))
                        return -EINVAL;
                o->package = v;
        } else if (startswith(a, "tokens=", &v)) {
                r = word_index(v, tokens_table, ELEMENTSOF(tokens_table));
                if (r < 0)
                        return r;
                o->tokens = r;
        } else if (startswith(a, "bus=", &v)) {
                if (!ascii_word_is_valid(v, BUS_ADDRESS_MAX))
                        return -EINVAL;
                o->bus_address = v;
                o->bus_address_set = true;
        } else if (startswith(a, "direct=", &v)) {
                r = word_index(v, direct_mode_table, ELEMENTSOF(direct_mode_table));
                if (r < 0)
                        return r;
                o->direct = (DirectMode) r;
        } else if (startswith(a, "direct_socket=", &v)) {
                if (*v != '/' || !ascii_word_is_valid(v, DIRECT_SOCKET_MAX))
                        return -EINVAL;
                o->direct_socket = v;
        } else if (startswith(a, "layout=", &v)) {
                r = request_layout_from_string(v);
                if (r < 0)
                        return r;
                o->layout = (RequestLayout) r;
        } else if (startswith(a, "prefix=", &v)) {
                if (!request_prefix_is_valid(v))
                        return -EINVAL;
                o->prefix = v;
        } else
                return -ENOENT;
        return 0;
}

int options_parse(pam_handle_t *pamh, int flags, int argc, const char **argv, Options *ret) {
        *ret = (Options) {
                .silent = flags & PAM_SILENT,
                .tokens = true,
                .timeout_usec = DEFAULT_TIMEOUT_USEC,
                .otp = OTP_PROMPT,
                .action = ACTION_UNSET,
                .bus_address = DEFAULT_BUS_ADDRESS,
                .layout = REQUEST_LAYOUT_AUTO,
                .prefix = "",
        };

        for (int i = 0; i < argc; i++) {
                int r = parse_option(argv[i], ret);

                /* A broken configuration refuses everybody (fail closed), and says why. */
                if (r < 0) {
                        pam_syslog(pamh, LOG_ERR, "%s option '%.64s': fix the PAM configuration",
                                   r == -ENOENT ? "unknown" : "invalid", argv[i]);
                        return PAM_SERVICE_ERR;
                }
        }
        /* The default direct socket belongs to the system bus: with another bus= it would be
         * another daemon's, so auto uses a direct socket then only when one is named. */
        if (!ret->direct_socket && (!ret->bus_address_set || ret->direct == DIRECT_YES))
                ret->direct_socket = DEFAULT_DIRECT_SOCKET;
        return PAM_SUCCESS;
}
