/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* "account 2fa enable|confirm|disable|mode|recovery-codes": TOTP with an authenticator app
 * and one-use recovery codes, npm's model. */

int verb_account_2fa_enable(int argc, char *argv[]);
int verb_account_2fa_confirm(int argc, char *argv[]);
int verb_account_2fa_disable(int argc, char *argv[]);
int verb_account_2fa_mode(int argc, char *argv[]);
int verb_account_2fa_recovery_codes(int argc, char *argv[]);
