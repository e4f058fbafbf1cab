/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The one place that names the bus API: bus name, object, interface and error names.
 * dbus/org.pkgtoken1.xml is the contract; a test checks the daemon matches it. */

#define PKGTOKEN_BUS_NAME       "org.pkgtoken1"
#define PKGTOKEN_OBJECT_PATH    "/org/pkgtoken1"
#define PKGTOKEN_MANAGER_IFACE  "org.pkgtoken1.Manager"

/* The user name that presents a token without claiming an account (PyPI's convention): with
 * it, package tokens work over HTTP Basic and PAM. */
#define PKGTOKEN_ANY_ACCOUNT "__token__"

/* Environment variable naming a private bus, for the daemon and the CLI alike. */
#define PKGTOKEN_BUS_ADDRESS_ENV "PKGTOKEN_BUS_ADDRESS"

#define PKGTOKEN_ERROR_PREFIX             "org.pkgtoken1.Error."
#define PKGTOKEN_ERROR_NO_SUCH_ACCOUNT    PKGTOKEN_ERROR_PREFIX "NoSuchAccount"
#define PKGTOKEN_ERROR_NO_SUCH_PACKAGE    PKGTOKEN_ERROR_PREFIX "NoSuchPackage"
#define PKGTOKEN_ERROR_NO_SUCH_TOKEN      PKGTOKEN_ERROR_PREFIX "NoSuchToken"
#define PKGTOKEN_ERROR_ACCOUNT_EXISTS     PKGTOKEN_ERROR_PREFIX "AccountExists"
#define PKGTOKEN_ERROR_PACKAGE_EXISTS     PKGTOKEN_ERROR_PREFIX "PackageExists"
#define PKGTOKEN_ERROR_NOT_MAINTAINER     PKGTOKEN_ERROR_PREFIX "NotMaintainer"
#define PKGTOKEN_ERROR_ALREADY_MAINTAINER PKGTOKEN_ERROR_PREFIX "AlreadyMaintainer"
#define PKGTOKEN_ERROR_LAST_MAINTAINER    PKGTOKEN_ERROR_PREFIX "LastMaintainer"
#define PKGTOKEN_ERROR_ACCESS_DENIED      PKGTOKEN_ERROR_PREFIX "AccessDenied"
#define PKGTOKEN_ERROR_INVALID_ARGUMENT   PKGTOKEN_ERROR_PREFIX "InvalidArgument"
#define PKGTOKEN_ERROR_BAD_PASSWORD       PKGTOKEN_ERROR_PREFIX "BadPassword"
#define PKGTOKEN_ERROR_OTP_REQUIRED       PKGTOKEN_ERROR_PREFIX "OTPRequired"
#define PKGTOKEN_ERROR_BAD_OTP            PKGTOKEN_ERROR_PREFIX "BadOTP"
#define PKGTOKEN_ERROR_REPLAYED_OTP       PKGTOKEN_ERROR_PREFIX "ReplayedOTP"
#define PKGTOKEN_ERROR_RATE_LIMITED       PKGTOKEN_ERROR_PREFIX "RateLimited"
#define PKGTOKEN_ERROR_2FA_NOT_ENABLED    PKGTOKEN_ERROR_PREFIX "TwoFactorNotEnabled"
#define PKGTOKEN_ERROR_2FA_ENABLED        PKGTOKEN_ERROR_PREFIX "TwoFactorAlreadyEnabled"
#define PKGTOKEN_ERROR_NO_PENDING_2FA     PKGTOKEN_ERROR_PREFIX "NoPendingEnrollment"
#define PKGTOKEN_ERROR_FORBIDDEN         PKGTOKEN_ERROR_PREFIX "Forbidden"
#define PKGTOKEN_ERROR_NO_SUCH_PUBLISH   PKGTOKEN_ERROR_PREFIX "NoSuchPublish"
#define PKGTOKEN_ERROR_BAD_CREDENTIALS   PKGTOKEN_ERROR_PREFIX "BadCredentials"
#define PKGTOKEN_ERROR_UNAVAILABLE       PKGTOKEN_ERROR_PREFIX "Unavailable"
#define PKGTOKEN_ERROR_NO_SUCH_STAGE     PKGTOKEN_ERROR_PREFIX "NoSuchStage"
#define PKGTOKEN_ERROR_STAGE_NOT_PENDING PKGTOKEN_ERROR_PREFIX "StageNotPending"
/* polkit (pkgtokend/bus-polkit.c): */
#define PKGTOKEN_ERROR_AUTHORIZATION_UNAVAILABLE PKGTOKEN_ERROR_PREFIX "AuthorizationUnavailable"
#define PKGTOKEN_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED PKGTOKEN_ERROR_PREFIX "InteractiveAuthorizationRequired"
#define PKGTOKEN_ERROR_STORE_CORRUPT      PKGTOKEN_ERROR_PREFIX "StoreCorrupt"
#define PKGTOKEN_ERROR_SECRETS_UNAVAILABLE PKGTOKEN_ERROR_PREFIX "SecretsUnavailable"
