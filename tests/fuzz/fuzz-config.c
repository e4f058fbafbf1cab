/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* libFuzzer target for pkgtokend.conf parsing (pkgtokend/config.c): any bytes, NULs and
 * overlong lines included.  A parse either fails with -EINVAL or leaves every setting within
 * the bounds the daemon relies on. */

#include <errno.h>

#include "config.h"
#include "fuzz.h"
#include "log.h"
#include "otp.h"
#include "password.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        /* config_parse() logs each refusal ("pkgtokend: fuzz.conf:3: unknown key"). */
        log_setup("pkgtokend");
        fuzz_silence_stdio_stderr();
        return 0;
}

static bool string_fits(const char *s, size_t size) {
        return memchr(s, 0, size) != NULL;
}

/* The daemon puts the issuer into otpauth:// URIs. */
static bool issuer_is_usable(const char *issuer) {
        static const uint8_t secret[TOTP_SECRET_SIZE];
        char *uri = NULL;
        int r;

        r = totp_uri(issuer, "fuzz", secret, sizeof secret, &uri);
        free(uri);
        return r >= 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Config c;
        FILE *f;
        int r;

        if (size == 0)
                return 0;   /* fmemopen() refuses an empty buffer */

        f = fmemopen((void *) data, size, "r");
        fuzz_assert(f);

        config_init_defaults(&c);
        r = config_parse(&c, f, "fuzz.conf");
        fclose(f);

        fuzz_assert(r == 0 || r == -EINVAL);
        if (r < 0)
                return 0;

        /* The ranges in pkgtokend/config.c's table (or the defaults). */
        fuzz_assert(c.password_cost <= PASSWORD_COST_MAX);
        fuzz_assert(c.min_password_length >= 1 && c.min_password_length <= 1024);
        fuzz_assert(c.session_lifetime >= 60 * USEC_PER_SEC && c.session_lifetime <= 30 * 86400 * USEC_PER_SEC);
        fuzz_assert(c.lockout_threshold >= 1 && c.lockout_threshold <= 1000);
        fuzz_assert(c.lockout_window >= 1 * USEC_PER_SEC && c.lockout_window <= 30 * 86400 * USEC_PER_SEC);
        fuzz_assert(c.lockout_duration >= 1 * USEC_PER_SEC && c.lockout_duration <= 365 * 86400 * USEC_PER_SEC);
        fuzz_assert(c.token_guess_limit >= 1 && c.token_guess_limit <= 1000000);
        fuzz_assert(c.log_level >= LOG_EMERG && c.log_level <= LOG_DEBUG);
        fuzz_assert(string_fits(c.totp_issuer, sizeof c.totp_issuer));
        fuzz_assert(string_fits(c.registry_group, sizeof c.registry_group));
        fuzz_assert(c.registry_group[0] != '-');

        fuzz_assert(issuer_is_usable(c.totp_issuer));
        return 0;
}
