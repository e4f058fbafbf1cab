/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdarg.h>
#include <stdio.h>

#include "model.h"
#include "pam-outcome.h"

static const struct {
        int pam;
        const char *message;            /* shown to the user unless PAM_SILENT; NULL: nothing */
} outcome_table[_OUTCOME_MAX] = {
        [OUTCOME_OK]                    = { PAM_SUCCESS,              NULL },
        [OUTCOME_BAD_SECRET]            = { PAM_AUTH_ERR,             NULL },
        [OUTCOME_BAD_TOKEN]             = { PAM_AUTH_ERR,             "The token is not valid (unknown, revoked or expired)." },
        [OUTCOME_BAD_OTP]               = { PAM_AUTH_ERR,             "Wrong or already used one-time code." },
        [OUTCOME_OTP_MISSING]           = { PAM_AUTH_ERR,             "A one-time code is needed." },
        [OUTCOME_OTP_UNSUPPORTED]       = { PAM_PERM_DENIED,          "A one-time code is needed, and this service cannot ask for one." },
        [OUTCOME_LOCKED]                = { PAM_MAXTRIES,             "The account is locked." },
        [OUTCOME_RATE_LIMITED]          = { PAM_MAXTRIES,             "Too many failed attempts; try again later." },
        [OUTCOME_FORBIDDEN]             = { PAM_PERM_DENIED,          "Access denied." },
        [OUTCOME_ACCOUNT_LOCKED]        = { PAM_PERM_DENIED,          "The account is locked." },
        [OUTCOME_UNKNOWN_ACCOUNT]       = { PAM_USER_UNKNOWN,         NULL },
        [OUTCOME_UNAVAILABLE]           = { PAM_AUTHINFO_UNAVAIL,     "The package registry's login service is not available; try again later." },
        [OUTCOME_NO_MEMORY]             = { PAM_BUF_ERR,              NULL },
        [OUTCOME_CONV_ERROR]            = { PAM_CONV_ERR,             NULL },
        [OUTCOME_BAD_CONFIG]            = { PAM_SERVICE_ERR,          NULL },
        [OUTCOME_OLD_PASSWORD_WRONG]    = { PAM_AUTH_ERR,             "The current password is wrong." },
        [OUTCOME_OLD_PASSWORD_MISSING]  = { PAM_AUTHTOK_RECOVERY_ERR, NULL },
        [OUTCOME_NEW_PASSWORD_REJECTED] = { PAM_AUTHTOK_ERR,          NULL },
        [OUTCOME_SYSTEM_ERROR]          = { PAM_SYSTEM_ERR,           NULL },
};

void set_message(Context *c, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        (void) vsnprintf(c->message, sizeof c->message, fmt, ap);
        va_end(ap);
}

int outcome_finish(Context *c, Outcome o) {
        const char *message;
        int pam;

        if ((unsigned) o >= _OUTCOME_MAX)
                o = OUTCOME_SYSTEM_ERROR;
        message = c->message[0] ? c->message : outcome_table[o].message;
        pam = outcome_table[o].pam;
        if (o != OUTCOME_OK && pam == PAM_SUCCESS)
                pam = PAM_SYSTEM_ERR;   /* a hole in the table: never a success */

        /* The escape hatches: the modules stacked after this one decide, and say why. */
        if ((o == OUTCOME_UNKNOWN_ACCOUNT && c->options.nullok) ||
            (o == OUTCOME_UNAVAILABLE && c->options.ignore_authinfo_unavail)) {
                pam = PAM_IGNORE;
                message = NULL;
        }

        if (message && o != OUTCOME_OK && !c->options.silent)
                (void) pam_error(c->pamh, "%s", message);
        log_debug(c, "result: %s", pam_strerror(c->pamh, pam));
        return pam;
}

Outcome outcome_from_pam(int pam_code) {
        return pam_code == PAM_SUCCESS ? OUTCOME_OK :
               pam_code == PAM_BUF_ERR ? OUTCOME_NO_MEMORY : OUTCOME_SYSTEM_ERROR;
}

/* A table lookup that fails closed: unknown words, and holes in the table (a word added to
 * model.h and not here), are errors; only the word at ok is a success. */
static Outcome lookup(const Outcome *table, size_t n, int i, int ok) {
        if (i < 0 || (size_t) i >= n)
                return OUTCOME_SYSTEM_ERROR;
        if (i == ok)
                return OUTCOME_OK;
        return table[i] == OUTCOME_OK ? OUTCOME_SYSTEM_ERROR : table[i];
}

Outcome outcome_from_authn_result(const char *result) {
        static const Outcome table[_AUTHN_RESULT_MAX] = {
                [AUTHN_OK]              = OUTCOME_OK,
                [AUTHN_OTP_REQUIRED]    = OUTCOME_BAD_OTP,
                [AUTHN_BAD_CREDENTIALS] = OUTCOME_BAD_SECRET,
                [AUTHN_BAD_OTP]         = OUTCOME_BAD_OTP,
                [AUTHN_LOCKED]          = OUTCOME_LOCKED,
                [AUTHN_RATE_LIMITED]    = OUTCOME_RATE_LIMITED,
        };
        return lookup(table, ELEMENTSOF(table), authn_result_from_string(result), AUTHN_OK);
}

Outcome outcome_from_authz_result(const char *result) {
        static const Outcome table[_AUTHZ_RESULT_MAX] = {
                [AUTHZ_ALLOWED]      = OUTCOME_OK,
                [AUTHZ_OTP_REQUIRED] = OUTCOME_BAD_OTP,
                [AUTHZ_FORBIDDEN]    = OUTCOME_FORBIDDEN,
                [AUTHZ_INVALID]      = OUTCOME_BAD_TOKEN,
                [AUTHZ_BAD_OTP]      = OUTCOME_BAD_OTP,
                [AUTHZ_RATE_LIMITED] = OUTCOME_RATE_LIMITED,
        };
        return lookup(table, ELEMENTSOF(table), authz_result_from_string(result), AUTHZ_ALLOWED);
}

Outcome outcome_from_account_state(const char *state) {
        static const Outcome table[_ACCOUNT_STATE_MAX] = {
                [ACCOUNT_STATE_ACTIVE]     = OUTCOME_OK,
                [ACCOUNT_STATE_LOCKED]     = OUTCOME_ACCOUNT_LOCKED,
                [ACCOUNT_STATE_LOCKED_OUT] = OUTCOME_LOCKED,
                [ACCOUNT_STATE_UNKNOWN]    = OUTCOME_UNKNOWN_ACCOUNT,
        };
        return lookup(table, ELEMENTSOF(table), account_state_from_string(state), ACCOUNT_STATE_ACTIVE);
}
