/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The method handlers of org.pkgtoken1.Manager, for the vtable (bus-vtable.c).  Each lives in
 * the bus adapter of its area; userdata is the Manager. */

#include <systemd/sd-bus.h>

extern const sd_bus_vtable manager_vtable[];

/* bus-status.c */
int method_get_status(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_list_audit_events(sd_bus_message *msg, void *userdata, sd_bus_error *error);
/* bus-backup.c */
int method_backup(sd_bus_message *msg, void *userdata, sd_bus_error *error);
/* bus-accounts.c */
int method_create_account(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_get_account(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_list_accounts(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_set_account_locked(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_lift_recovery_hold(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_set_account_email(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_set_password_source(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_remove_account(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_check_account(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_link_account(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_unlink_account(sd_bus_message *msg, void *userdata, sd_bus_error *error);
/* bus-packages.c */
int method_create_package(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_get_package(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_list_packages(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_set_package_policy(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_set_package_options(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_add_maintainer(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_remove_maintainer(sd_bus_message *msg, void *userdata, sd_bus_error *error);
/* bus-tokens.c */
int method_create_token(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_get_token(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_list_tokens(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_revoke_token(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_rotate_token(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_rotate_own_token(sd_bus_message *msg, void *userdata, sd_bus_error *error);
/* bus-authorize.c */
int method_authorize(sd_bus_message *msg, void *userdata, sd_bus_error *error);
/* bus-refusal.c */
int method_report_refusal(sd_bus_message *msg, void *userdata, sd_bus_error *error);
/* bus-auth.c */
int method_set_password(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_authenticate(sd_bus_message *msg, void *userdata, sd_bus_error *error);
/* bus-twofa.c */
int method_enroll_totp(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_confirm_totp(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_set_two_factor_mode(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_regenerate_recovery_codes(sd_bus_message *msg, void *userdata, sd_bus_error *error);
/* bus-registry.c */
int method_verify(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_finish_publish(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_who_am_i(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_get_profile(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_list_own_tokens(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_create_own_token(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_revoke_own_token(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_logout(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_change_maintainer(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_enroll_own_totp(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_confirm_own_totp(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_set_own_two_factor_mode(sd_bus_message *msg, void *userdata, sd_bus_error *error);
/* bus-trusted.c */
int method_exchange_id_token(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_add_trusted_publisher(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_list_trusted_publishers(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_remove_trusted_publisher(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_list_issuers(sd_bus_message *msg, void *userdata, sd_bus_error *error);
/* bus-registry.c, for bus-trusted.c */
int method_add_own_trusted_publisher(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_list_own_trusted_publishers(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_remove_own_trusted_publisher(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_approve_own_stage(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_reject_own_stage(sd_bus_message *msg, void *userdata, sd_bus_error *error);
/* bus-stages.c */
int method_list_stages(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_get_stage(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_approve_stage(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_reject_stage(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_complete_stage(sd_bus_message *msg, void *userdata, sd_bus_error *error);
/* bus-registry-packages.c */
int method_get_package_info(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_set_own_package_policy(sd_bus_message *msg, void *userdata, sd_bus_error *error);
