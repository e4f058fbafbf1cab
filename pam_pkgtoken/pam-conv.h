/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The conversation: the user, the secrets (from the modules stacked before this one, or
 * prompted for), and the one login loop that passwords and tokens share, with its one-time
 * code (appended, prompted for, or none).  No secret is ever logged or shown. */

#include "pam-bus.h"
#include "pam-context.h"
#include "pam-outcome.h"

/* The user name, in c->user; OUTCOME_UNKNOWN_ACCOUNT for a name no account can have. */
Outcome conv_get_user(Context *c);

/* The password or token to check (use_first_pass, try_first_pass, or "Password: "). */
Outcome conv_get_secret(Context *c, const char **ret);

/* For chauthtok: the current password (PAM_OLDAUTHTOK, or "Current password: "), and the new
 * one (an earlier module's PAM_AUTHTOK, or typed twice). */
Outcome conv_get_old_password(Context *c, const char **ret);
Outcome conv_get_new_password(Context *c, const char **ret);

typedef enum Credential {
        CREDENTIAL_PASSWORD,            /* checked with Authenticate */
        CREDENTIAL_TOKEN,               /* checked with Authorize, for a package and an action */
} Credential;

typedef struct Login {
        Credential credential;
        const char *package;            /* tokens */
        Action action;                  /* tokens */
} Login;

/* The one login loop: splits an appended one-time code off the secret (otp=append), asks
 * pkgtokend, and when pkgtokend needs a code and none was given, asks the user for one
 * (otp=prompt) and pkgtokend once more.  OUTCOME_OK with pkgtokend's last answer in *ret, to
 * be judged by the caller; or why there is none. */
Outcome conv_login(Context *c, const char *secret, const Login *l, Answer *ret);
