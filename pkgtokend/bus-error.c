/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdarg.h>
#include <stdio.h>

#include "bus-error.h"
#include "names.h"

const sd_bus_error_map pkgtoken_error_map[] = {
        SD_BUS_ERROR_MAP(PKGTOKEN_ERROR_INVALID_ARGUMENT,   ERR_INVALID_ARGUMENT),
        SD_BUS_ERROR_MAP(PKGTOKEN_ERROR_ACCESS_DENIED,      ERR_ACCESS_DENIED),
        SD_BUS_ERROR_MAP(PKGTOKEN_ERROR_NO_SUCH_ACCOUNT,    ERR_NO_SUCH_ACCOUNT),
        SD_BUS_ERROR_MAP(PKGTOKEN_ERROR_NO_SUCH_PACKAGE,    ERR_NO_SUCH_PACKAGE),
        SD_BUS_ERROR_MAP(PKGTOKEN_ERROR_NO_SUCH_TOKEN,      ERR_NO_SUCH_TOKEN),
        SD_BUS_ERROR_MAP(PKGTOKEN_ERROR_ACCOUNT_EXISTS,     ERR_ACCOUNT_EXISTS),
        SD_BUS_ERROR_MAP(PKGTOKEN_ERROR_PACKAGE_EXISTS,     ERR_PACKAGE_EXISTS),
        SD_BUS_ERROR_MAP(PKGTOKEN_ERROR_NOT_MAINTAINER,     ERR_NOT_MAINTAINER),
        SD_BUS_ERROR_MAP(PKGTOKEN_ERROR_ALREADY_MAINTAINER, ERR_ALREADY_MAINTAINER),
        SD_BUS_ERROR_MAP(PKGTOKEN_ERROR_LAST_MAINTAINER,    ERR_LAST_MAINTAINER),
        SD_BUS_ERROR_MAP(PKGTOKEN_ERROR_BAD_PASSWORD,       ERR_BAD_PASSWORD),
        SD_BUS_ERROR_MAP(PKGTOKEN_ERROR_OTP_REQUIRED,       ERR_OTP_REQUIRED),
        SD_BUS_ERROR_MAP(PKGTOKEN_ERROR_BAD_OTP,            ERR_BAD_OTP),
        SD_BUS_ERROR_MAP(PKGTOKEN_ERROR_REPLAYED_OTP,       ERR_REPLAYED_OTP),
        SD_BUS_ERROR_MAP(PKGTOKEN_ERROR_RATE_LIMITED,       ERR_RATE_LIMITED),
        SD_BUS_ERROR_MAP(PKGTOKEN_ERROR_2FA_NOT_ENABLED,    ERR_2FA_NOT_ENABLED),
        SD_BUS_ERROR_MAP(PKGTOKEN_ERROR_2FA_ENABLED,        ERR_2FA_ENABLED),
        SD_BUS_ERROR_MAP(PKGTOKEN_ERROR_NO_PENDING_2FA,     ERR_NO_PENDING_2FA),
        SD_BUS_ERROR_MAP(PKGTOKEN_ERROR_SECRETS_UNAVAILABLE, ERR_SECRETS_UNAVAILABLE),
        SD_BUS_ERROR_MAP(PKGTOKEN_ERROR_FORBIDDEN,          ERR_FORBIDDEN),
        SD_BUS_ERROR_MAP(PKGTOKEN_ERROR_NO_SUCH_PUBLISH,    ERR_NO_SUCH_PUBLISH),
        SD_BUS_ERROR_MAP(PKGTOKEN_ERROR_BAD_CREDENTIALS,    ERR_BAD_CREDENTIALS),
        SD_BUS_ERROR_MAP(PKGTOKEN_ERROR_UNAVAILABLE,        ERR_UNAVAILABLE),
        SD_BUS_ERROR_MAP(PKGTOKEN_ERROR_NO_SUCH_STAGE,      ERR_NO_SUCH_STAGE),
        SD_BUS_ERROR_MAP(PKGTOKEN_ERROR_STAGE_NOT_PENDING,  ERR_STAGE_NOT_PENDING),
        SD_BUS_ERROR_MAP(PKGTOKEN_ERROR_AUTHORIZATION_UNAVAILABLE, ERR_AUTHZ_UNAVAILABLE),
        SD_BUS_ERROR_MAP(PKGTOKEN_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED, ERR_AUTHZ_INTERACTIVE),
        SD_BUS_ERROR_MAP_END
};

int bus_error_add_map(void) {
        return sd_bus_error_add_map(pkgtoken_error_map);
}

const char *bus_error_name_from_errno(int r) {
        for (const sd_bus_error_map *m = pkgtoken_error_map; m->name; m++)
                if (m->code == -r)
                        return m->name;
        return NULL;
}

/* What a client reads when a method names no more than the error. */
static const char *default_message(int r) {
        switch (-r) {
        case ERR_NO_SUCH_ACCOUNT:
                return "No such account.";
        case ERR_NO_SUCH_PACKAGE:
                return "No such package.";
        case ERR_NO_SUCH_TOKEN:
                return "No such token.";
        case ERR_SECRETS_UNAVAILABLE:
                return "Two-factor authentication is unavailable: pkgtokend cannot open the stored TOTP "
                       "secrets (its seal key is missing or wrong); see the pkgtokend log.";
        case ERR_NO_SUCH_PUBLISH:
                return "No such pending publish (unknown, finished or expired).";
        case ERR_BAD_CREDENTIALS:
                return "The proof does not prove an account.";
        case ERR_NO_SUCH_STAGE:
                return "No such staged version.";
        case ERR_STAGE_NOT_PENDING:
                return "The staged version was decided already, was published or expired.";
        case ERR_AUTHZ_UNAVAILABLE:
                return "Access denied: polkit, which decides for callers other than root, did not answer.";
        case ERR_AUTHZ_INTERACTIVE:
                return "Access denied without authentication: allow interactive authorization (drop "
                       "--no-ask-password) and run a polkit agent, or ask an administrator.";
        default:
                return NULL;
        }
}

static int set_failure(sd_bus_error *e, int r) {
        if (r == -ENOMEM)
                return -ENOMEM;
        if (r == -ENOSPC)
                return sd_bus_error_set(e, SD_BUS_ERROR_FAILED, "The token store is out of disk space.");
        /* The store latched corruption (store.c): no answer comes from it until an operator
         * restores a backup.  A name of its own, so that clients can tell it from a hiccup. */
        if (r == -EUCLEAN)
                return sd_bus_error_set(e, PKGTOKEN_ERROR_STORE_CORRUPT,
                                        "The token store is damaged and pkgtokend refuses to use it; "
                                        "see the pkgtokend log.");
        return sd_bus_error_set(e, SD_BUS_ERROR_FAILED, "The token store failed; see the pkgtokend log.");
}

int bus_error_set_errnof(sd_bus_error *e, int r, const char *format, ...) {
        _cleanup_free_ char *message = NULL;
        const char *name = bus_error_name_from_errno(r);
        va_list ap;
        int k;

        if (!name)
                return set_failure(e, r);
        va_start(ap, format);
        k = vasprintf(&message, format, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        return sd_bus_error_set(e, name, message);
}

int bus_error_set_errno_message(sd_bus_error *e, int r, const char *message) {
        const char *name = bus_error_name_from_errno(r);

        if (!name)
                return set_failure(e, r);
        return sd_bus_error_set(e, name, message ?: default_message(r));
}

int bus_error_set_account(sd_bus_error *e, int r, const char *name) {
        switch (-r) {
        case ERR_INVALID_ARGUMENT:
                return bus_error_set_errnof(e, r, "Invalid account name: 1-64 characters of a-z, 0-9, '.', '_', '-', "
                                                  "starting with a letter or digit.");
        case ERR_NO_SUCH_ACCOUNT:
                return bus_error_set_errnof(e, r, "No such account '%s'.", name);
        default:
                return bus_error_set_errno_message(e, r, NULL);
        }
}

int bus_error_set_package(sd_bus_error *e, int r, const char *name) {
        if (r == -ERR_NO_SUCH_PACKAGE)
                return bus_error_set_errnof(e, r, "No such package '%s'.", name);
        return bus_error_set_errno_message(e, r, NULL);
}

int bus_error_set_maintainer(sd_bus_error *e, int r, const char *package, const char *account) {
        switch (-r) {
        case ERR_NO_SUCH_PACKAGE:
                return bus_error_set_package(e, r, package);
        case ERR_ALREADY_MAINTAINER:
                return bus_error_set_errnof(e, r, "'%s' already maintains '%s'.", account, package);
        case ERR_LAST_MAINTAINER:
                return bus_error_set_errnof(e, r, "'%s' is the last maintainer of '%s'; add another first.", account,
                                            package);
        case ERR_NOT_MAINTAINER:
                return bus_error_set_errnof(e, r, "'%s' does not maintain '%s'.", account, package);
        default:
                return bus_error_set_account(e, r, account);
        }
}

int bus_reply_errno(sd_bus_message *msg, int r, const char *message) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;

        r = bus_error_set_errno_message(&e, r, message);
        if (!sd_bus_error_is_set(&e))
                return r;
        return sd_bus_reply_method_error(msg, &e);
}
