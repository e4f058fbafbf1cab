/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The object's vtable: org.pkgtoken1.Manager as dbus/org.pkgtoken1.xml describes it
 * (tests/bus-introspect.sh compares the two). */

#include "bus-methods.h"

const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),

        SD_BUS_METHOD_WITH_ARGS("GetStatus", SD_BUS_NO_ARGS, SD_BUS_RESULT("a{sv}", status),
                                method_get_status, SD_BUS_VTABLE_UNPRIVILEGED),

        SD_BUS_METHOD_WITH_ARGS("CreateAccount",
                                SD_BUS_ARGS("s", name, "s", email, "s", kind, "a{sv}", options),
                                SD_BUS_NO_RESULT, method_create_account, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetAccount", SD_BUS_ARGS("s", name), SD_BUS_RESULT("a{sv}", account),
                                method_get_account, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListAccounts", SD_BUS_NO_ARGS, SD_BUS_RESULT("aa{sv}", accounts),
                                method_list_accounts, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetAccountLocked", SD_BUS_ARGS("s", name, "b", locked), SD_BUS_NO_RESULT,
                                method_set_account_locked, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RemoveAccount", SD_BUS_ARGS("s", name), SD_BUS_NO_RESULT,
                                method_remove_account, SD_BUS_VTABLE_UNPRIVILEGED),

        SD_BUS_METHOD_WITH_ARGS("CreatePackage", SD_BUS_ARGS("s", name, "s", policy, "as", maintainers),
                                SD_BUS_NO_RESULT, method_create_package, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetPackage", SD_BUS_ARGS("s", name), SD_BUS_RESULT("a{sv}", package),
                                method_get_package, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListPackages", SD_BUS_NO_ARGS, SD_BUS_RESULT("aa{sv}", packages),
                                method_list_packages, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetPackagePolicy", SD_BUS_ARGS("s", name, "s", policy), SD_BUS_NO_RESULT,
                                method_set_package_policy, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("AddMaintainer", SD_BUS_ARGS("s", package, "s", account), SD_BUS_NO_RESULT,
                                method_add_maintainer, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RemoveMaintainer", SD_BUS_ARGS("s", package, "s", account), SD_BUS_NO_RESULT,
                                method_remove_maintainer, SD_BUS_VTABLE_UNPRIVILEGED),

        SD_BUS_METHOD_WITH_ARGS("CreateToken",
                                SD_BUS_ARGS("s", account, "s", type, "as", scope, "s", description,
                                            "t", expires_at, "as", allowed_cidrs, "a{sv}", options),
                                SD_BUS_RESULT("s", id, "s", token),
                                method_create_token, SD_BUS_VTABLE_UNPRIVILEGED | SD_BUS_VTABLE_SENSITIVE),
        SD_BUS_METHOD_WITH_ARGS("GetToken", SD_BUS_ARGS("s", id), SD_BUS_RESULT("a{sv}", token),
                                method_get_token, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListTokens", SD_BUS_ARGS("s", account, "s", package),
                                SD_BUS_RESULT("aa{sv}", tokens), method_list_tokens, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RevokeToken", SD_BUS_ARGS("s", id), SD_BUS_NO_RESULT,
                                method_revoke_token, SD_BUS_VTABLE_UNPRIVILEGED),

        SD_BUS_METHOD_WITH_ARGS("Authorize",
                                SD_BUS_ARGS("s", token, "s", package, "s", action, "a{sv}", options),
                                SD_BUS_RESULT("s", result, "s", reason, "s", actor, "s", token_id),
                                method_authorize, SD_BUS_VTABLE_UNPRIVILEGED | SD_BUS_VTABLE_SENSITIVE),

        SD_BUS_METHOD_WITH_ARGS("SetPassword",
                                SD_BUS_ARGS("s", account, "s", password, "a{sv}", options), SD_BUS_NO_RESULT,
                                method_set_password, SD_BUS_VTABLE_UNPRIVILEGED | SD_BUS_VTABLE_SENSITIVE),
        SD_BUS_METHOD_WITH_ARGS("Authenticate",
                                SD_BUS_ARGS("s", account, "s", password, "s", otp, "a{sv}", options),
                                SD_BUS_RESULT("s", result, "s", reason, "a{sv}", details),
                                method_authenticate, SD_BUS_VTABLE_UNPRIVILEGED | SD_BUS_VTABLE_SENSITIVE),
        SD_BUS_METHOD_WITH_ARGS("EnrollTOTP", SD_BUS_ARGS("s", account, "a{sv}", options), SD_BUS_RESULT("s", uri),
                                method_enroll_totp, SD_BUS_VTABLE_UNPRIVILEGED | SD_BUS_VTABLE_SENSITIVE),
        SD_BUS_METHOD_WITH_ARGS("ConfirmTOTP",
                                SD_BUS_ARGS("s", account, "s", otp, "s", mode, "a{sv}", options),
                                SD_BUS_RESULT("as", recovery_codes),
                                method_confirm_totp, SD_BUS_VTABLE_UNPRIVILEGED | SD_BUS_VTABLE_SENSITIVE),
        SD_BUS_METHOD_WITH_ARGS("SetTwoFactorMode",
                                SD_BUS_ARGS("s", account, "s", mode, "s", otp, "a{sv}", options), SD_BUS_NO_RESULT,
                                method_set_two_factor_mode, SD_BUS_VTABLE_UNPRIVILEGED | SD_BUS_VTABLE_SENSITIVE),
        SD_BUS_METHOD_WITH_ARGS("RegenerateRecoveryCodes",
                                SD_BUS_ARGS("s", account, "s", otp, "a{sv}", options),
                                SD_BUS_RESULT("as", recovery_codes),
                                method_regenerate_recovery_codes, SD_BUS_VTABLE_UNPRIVILEGED | SD_BUS_VTABLE_SENSITIVE),

        SD_BUS_METHOD_WITH_ARGS("CheckAccount", SD_BUS_ARGS("s", account, "a{sv}", options),
                                SD_BUS_RESULT("s", state, "s", reason),
                                method_check_account, SD_BUS_VTABLE_UNPRIVILEGED),

        SD_BUS_METHOD_WITH_ARGS("ReportRefusal",
                                SD_BUS_ARGS("s", token, "s", package, "s", action, "s", reason, "a{sv}", options),
                                SD_BUS_NO_RESULT, method_report_refusal,
                                SD_BUS_VTABLE_UNPRIVILEGED | SD_BUS_VTABLE_SENSITIVE),

        SD_BUS_METHOD_WITH_ARGS("ListAuditEvents", SD_BUS_ARGS("s", package, "t", since, "u", limit),
                                SD_BUS_RESULT("aa{sv}", events), method_list_audit_events,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Backup", SD_BUS_ARGS("s", path, "a{sv}", options), SD_BUS_NO_RESULT,
                                method_backup, SD_BUS_VTABLE_UNPRIVILEGED),

        SD_BUS_SIGNAL_WITH_ARGS("TokenCreated", SD_BUS_ARGS("s", id, "s", type), 0),
        SD_BUS_SIGNAL_WITH_ARGS("TokenRevoked", SD_BUS_ARGS("s", id), 0),
        SD_BUS_SIGNAL_WITH_ARGS("PackagePublished", SD_BUS_ARGS("s", package, "s", actor, "s", token_id), 0),

        SD_BUS_VTABLE_END
};
