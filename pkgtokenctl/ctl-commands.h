/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The verbs of pkgtokenctl, one function each, dispatched from the table in pkgtokenctl.c
 * (ctl-verbs.h).  Each gets the operands after the verb words and returns 0, an exit code
 * (ctl.h) or a negative errno after logging. */

/* "account add|list|show|lock|unlock|remove|passwd|set-password-source" (ctl-accounts.c) */
int verb_account_add(int argc, char *argv[]);
int verb_account_link(int argc, char *argv[]);
int verb_account_unlink(int argc, char *argv[]);
int verb_account_list(int argc, char *argv[]);
int verb_account_show(int argc, char *argv[]);
int verb_account_lock(int argc, char *argv[]);
int verb_account_unlock(int argc, char *argv[]);
int verb_account_remove(int argc, char *argv[]);
int verb_account_lift_hold(int argc, char *argv[]);
int verb_account_set_email(int argc, char *argv[]);
int verb_account_set_password_source(int argc, char *argv[]);
int verb_account_passwd(int argc, char *argv[]);

/* "account 2fa enable|confirm|disable|mode|recovery-codes": TOTP with an authenticator app
 * and one-use recovery codes, npm's model (ctl-twofa.c) */
int verb_account_2fa_enable(int argc, char *argv[]);
int verb_account_2fa_confirm(int argc, char *argv[]);
int verb_account_2fa_disable(int argc, char *argv[]);
int verb_account_2fa_mode(int argc, char *argv[]);
int verb_account_2fa_recovery_codes(int argc, char *argv[]);

/* "package add|list|show|policy|maintainer add|maintainer remove" (ctl-packages.c) */
int verb_package_add(int argc, char *argv[]);
int verb_package_list(int argc, char *argv[]);
int verb_package_show(int argc, char *argv[]);
int verb_package_policy(int argc, char *argv[]);
int verb_package_maintainer_add(int argc, char *argv[]);
int verb_package_maintainer_remove(int argc, char *argv[]);

/* "stage list|show|approve|reject": staged versions waiting for a maintainer (ctl-stages.c) */
int verb_stage_list(int argc, char *argv[]);
int verb_stage_show(int argc, char *argv[]);
int verb_stage_approve(int argc, char *argv[]);
int verb_stage_reject(int argc, char *argv[]);

/* "token create|list|show|revoke" (ctl-tokens.c) */
int verb_token_create(int argc, char *argv[]);
int verb_token_list(int argc, char *argv[]);
int verb_token_rotate(int argc, char *argv[]);
int verb_token_show(int argc, char *argv[]);
int verb_token_revoke(int argc, char *argv[]);

/* "login NAME": a password (and one-time code) checked as a registry would, optionally
 * opening a session.  Exits 0 only for "ok" (ctl-login.c). */
int verb_login(int argc, char *argv[]);

/* "authorize PACKAGE ACTION": the registry's question, asked by hand with the token on stdin.
 * Exits 0 only for "allowed" (ctl-authorize.c). */
int verb_authorize(int argc, char *argv[]);

/* "status" and "audit": the daemon's state and its history (ctl-audit.c) */
int verb_status(int argc, char *argv[]);
int verb_audit(int argc, char *argv[]);

/* --package= as a filter ("token list", "audit"): once, and a name rather than a pattern.
 * Returns 0 or EXIT_USAGE (logged).  (ctl-packages.c) */
int check_package_filter(const char *verb);

/* "backup PATH": the daemon writes a consistent copy of the store to a new file (ctl-backup.c) */
int verb_backup(int argc, char *argv[]);

/* "trust add|list|remove|require": trusted publishing (ctl-trust.c) */
int verb_trust_add(int argc, char *argv[]);
int verb_trust_list(int argc, char *argv[]);
int verb_trust_remove(int argc, char *argv[]);
int verb_trust_require(int argc, char *argv[]);
int verb_issuer_list(int argc, char *argv[]);
int verb_issuer_refresh(int argc, char *argv[]);
int verb_package_provenance(int argc, char *argv[]);
