/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The errno → org.pkgtoken1.Error.* map (pkgtokend/bus-error.c): one name per errno and back,
 * sd-bus's own lookup agrees once the map is added, and every other errno is reported as the
 * store's failure without detail. */

#include "bus-error.h"
#include "macro.h"
#include "names.h"
#include "tap.h"

static void test_map(void) {
        size_t n = 0, bad = 0;

        for (const sd_bus_error_map *m = pkgtoken_error_map; m->name; m++, n++) {
                size_t same_code = 0, same_name = 0;

                for (const sd_bus_error_map *o = pkgtoken_error_map; o->name; o++) {
                        same_code += o->code == m->code;
                        same_name += streq(o->name, m->name);
                }
                if (same_code != 1 || same_name != 1 || !streq_ptr(bus_error_name_from_errno(-m->code), m->name) ||
                    strncmp(m->name, PKGTOKEN_ERROR_PREFIX, strlen(PKGTOKEN_ERROR_PREFIX)) != 0) {
                        bad++;
                        tap_diag("  %s (%d)", m->name, m->code);
                }
        }
        CHECK(n == 27 && bad == 0, "%zu error names, each with its own errno, looked up both ways", n);
        CHECK(!bus_error_name_from_errno(-EIO) && !bus_error_name_from_errno(-ENOENT) &&
              !bus_error_name_from_errno(-EEXIST) && !bus_error_name_from_errno(-EINVAL),
              "the store's errnos (EIO, ENOENT, EEXIST, EINVAL) are not names");
}

static void test_sd_bus_agrees(void) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        int r;

        CHECK(bus_error_add_map() >= 0, "the map is added to sd-bus");
        r = sd_bus_error_set(&e, PKGTOKEN_ERROR_REPLAYED_OTP, "x");
        CHECK(r == -ERR_REPLAYED_OTP && sd_bus_error_get_errno(&e) == ERR_REPLAYED_OTP,
              "sd-bus maps ReplayedOTP to its errno");
        CHECK(streq_ptr(bus_error_name_from_errno(-EKEYEXPIRED), PKGTOKEN_ERROR_SECRETS_UNAVAILABLE),
              "the store's -EKEYEXPIRED (no seal key) is SecretsUnavailable");
}

static void test_set(void) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int r;

        r = bus_error_set_errnof(&e, -ERR_NO_SUCH_ACCOUNT, "No such account '%s'.", "bob");
        CHECK(r < 0 && streq_ptr(e.name, PKGTOKEN_ERROR_NO_SUCH_ACCOUNT) && streq_ptr(e.message, "No such account 'bob'."),
              "a mapped errno with a formatted message");
        sd_bus_error_free(&e);

        r = bus_error_set_errno_message(&e, -ERR_NO_SUCH_TOKEN, NULL);
        CHECK(r < 0 && streq_ptr(e.name, PKGTOKEN_ERROR_NO_SUCH_TOKEN) && streq_ptr(e.message, "No such token."),
              "a mapped errno with its default message");
        sd_bus_error_free(&e);

        r = bus_error_set_errno_message(&e, -EIO, "secret detail");
        CHECK(r < 0 && streq_ptr(e.name, SD_BUS_ERROR_FAILED) &&
              streq_ptr(e.message, "The token store failed; see the pkgtokend log."),
              "any other errno: the store failed, without detail");
        sd_bus_error_free(&e);

        r = bus_error_set_errnof(&e, -ENOSPC, "%s", "ignored");
        CHECK(r < 0 && streq_ptr(e.message, "The token store is out of disk space."), "ENOSPC: out of disk space");
        sd_bus_error_free(&e);

        r = bus_error_set_errno_message(&e, -ENOMEM, NULL);
        CHECK(r == -ENOMEM && !sd_bus_error_is_set(&e), "ENOMEM stays -ENOMEM for sd-bus to report");
}

int main(void) {
        test_map();
        test_sd_bus_agrees();
        test_set();

        return tap_finish();
}
