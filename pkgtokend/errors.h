/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The errno values the domain returns for the errors clients see by name.  Each stands for
 * exactly one org.pkgtoken1.Error.* name: pkgtokend/bus-error.c holds the map (sd-bus's
 * SD_BUS_ERROR_MAP) and is the only place that turns them into names.  Any other negative
 * errno is a failure of the daemon or its store, reported without detail.
 *
 * Values were picked among errnos the store and the libraries never return, so that a
 * failure cannot masquerade as an answer. */

#include <errno.h>

#define ERR_INVALID_ARGUMENT    EDOM
#define ERR_ACCESS_DENIED       EPERM
#define ERR_NO_SUCH_ACCOUNT     ESRCH
#define ERR_NO_SUCH_PACKAGE     ENOPKG
#define ERR_NO_SUCH_TOKEN       ENODATA
#define ERR_ACCOUNT_EXISTS      EADDRINUSE
#define ERR_PACKAGE_EXISTS      ENOTUNIQ
#define ERR_NOT_MAINTAINER      ENOLINK
#define ERR_ALREADY_MAINTAINER  EISCONN
#define ERR_LAST_MAINTAINER     ENOTEMPTY
#define ERR_BAD_PASSWORD        EKEYREJECTED
#define ERR_OTP_REQUIRED        ENOKEY
#define ERR_BAD_OTP             EBADR
#define ERR_REPLAYED_OTP        ESTALE
#define ERR_RATE_LIMITED        EUSERS
#define ERR_2FA_NOT_ENABLED     ENOPROTOOPT
#define ERR_2FA_ENABLED         EALREADY
#define ERR_NO_PENDING_2FA      ENOMSG
/* The store returns this one itself: the TOTP seal key is missing or wrong (store.h). */
#define ERR_SECRETS_UNAVAILABLE EKEYEXPIRED
/* The registry API's (issue 9): */
#define ERR_FORBIDDEN           EKEYREVOKED   /* governance by a token that publishes without an OTP, wrong proof */
#define ERR_NO_SUCH_PUBLISH     ENOANO        /* FinishPublish: unknown or expired publish id */
#define ERR_BAD_CREDENTIALS     EBADE         /* a proof that proves no account (unknown and wrong alike) */
#define ERR_UNAVAILABLE         EREMCHG       /* the daemon cannot answer now */
/* Staged publishing's: */
#define ERR_NO_SUCH_STAGE       ENOSTR        /* an unknown stage id */
#define ERR_STAGE_NOT_PENDING   EBADSLT       /* decided already, published or expired */
/* polkit's (bus-polkit.c): */
#define ERR_AUTHZ_UNAVAILABLE   ENAVAIL       /* polkit absent, not answering in time, or failing: denied */
#define ERR_AUTHZ_INTERACTIVE   ENOTNAM       /* polkit would ask for a password; the caller said not to */

/* The store says -ENOENT for "no such row"; the domain says which thing a caller named. */
static inline int not_found_as(int r, int error) {
        return r == -ENOENT ? error : r;
}
