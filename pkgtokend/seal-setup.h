/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Where the TOTP seal key comes from, at start-up: the systemd credential
 * $CREDENTIALS_DIRECTORY/totp-seal-key (LoadCredentialEncrypted=), else SealKeyFile=, else
 * STATE_DIR/totp-seal.key, made (0400) at the first start while no sealed seed exists, never
 * later: a new key would open none of them.  A key that does not open the sealed seeds is
 * not used.  With a key, seeds stored in clear are sealed, in one transaction.  Without one,
 * the daemon runs: 2FA checks and enrolments fail with SecretsUnavailable, nothing else. */

#include "store.h"

/* Logs what it found and did; fails only when out of memory. */
int seal_setup(Store *s, const char *state_dir, const char *key_file);
