/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdlib.h>

#include "erase.h"
#include "pam-conv.h"
#include "token.h"

#define PROMPT_PASSWORD     "Password: "
#define PROMPT_OTP          "One-time code: "
#define PROMPT_OLD_PASSWORD "Current password: "
#define PROMPT_NEW_PASSWORD "New password: "
#define PROMPT_RETYPE       "Retype new password: "

#define USER_NAME_MAX 256   /* longer user names are no account's; pkgtokend's limit is lower */
#define OTP_DIGITS    6     /* an appended code: a TOTP code */
#define OTP_MAX       16    /* a TOTP code or a recovery code, blanks dropped; pkgtokend refuses longer */

Outcome conv_get_user(Context *c) {
        const char *user = NULL;
        int r;

        r = pam_get_user(c->pamh, &user, NULL);
        if (r == PAM_BUF_ERR)
                return OUTCOME_NO_MEMORY;
        if (r == PAM_CONV_ERR || r == PAM_CONV_AGAIN)
                return OUTCOME_CONV_ERROR;
        if (r != PAM_SUCCESS) {
                pam_syslog(c->pamh, LOG_ERR, "cannot get the user name: %s", pam_strerror(c->pamh, r));
                return OUTCOME_SYSTEM_ERROR;
        }
        /* No pkgtoken account has such a name; the daemon would say "unknown" too. */
        if (isempty(user) || strlen(user) > USER_NAME_MAX || !string_is_utf8(user)) {
                log_debug(c, "user name '%s' is not an account name", PRINTABLE(user));
                return OUTCOME_UNKNOWN_ACCOUNT;
        }
        c->user = user;
        return OUTCOME_OK;
}

/* One hidden answer from the conversation.  NULL answers count as a failed conversation. */
static Outcome prompt(Context *c, const char *text, char **ret) {
        _cleanup_erase_ char *answer = NULL;
        int r;

        r = pam_prompt(c->pamh, PAM_PROMPT_ECHO_OFF, &answer, "%s", text);
        if (r == PAM_BUF_ERR)
                return OUTCOME_NO_MEMORY;
        if (r != PAM_SUCCESS || !answer) {
                log_debug(c, "conversation failed: %s", pam_strerror(c->pamh, r));
                return OUTCOME_CONV_ERROR;
        }
        *ret = answer;
        answer = NULL;
        return OUTCOME_OK;
}

/* Keeps value as the PAM item, so that modules stacked after this one may use it; *ret points
 * into PAM's copy. */
static Outcome set_item(Context *c, int item, const char *value, const char **ret) {
        const void *kept = NULL;
        int r;

        r = pam_set_item(c->pamh, item, value);
        if (r == PAM_SUCCESS)
                r = pam_get_item(c->pamh, item, &kept);
        if (r == PAM_SUCCESS && !kept)
                r = PAM_SYSTEM_ERR;
        if (r != PAM_SUCCESS)
                return outcome_from_pam(r);
        *ret = kept;
        return OUTCOME_OK;
}

static Outcome prompt_item(Context *c, int item, const char *text, const char **ret) {
        _cleanup_erase_ char *answer = NULL;
        Outcome o;

        o = prompt(c, text, &answer);
        if (o != OUTCOME_OK)
                return o;
        return set_item(c, item, answer, ret);
}

/* Where a secret comes from: the item an earlier module obtained, else the prompt, unless the
 * option required_by (use_first_pass, use_authtok) is set: then a missing item is `missing`. */
typedef struct SecretSource {
        int item;
        const char *what;               /* for the log */
        const char *required_by;
        Outcome missing;
        const char *prompt;             /* NULL: *ret is NULL without an item; the caller prompts */
} SecretSource;

static Outcome get_secret_item(Context *c, const SecretSource *s, const char **ret) {
        const void *value = NULL;

        if (pam_get_item(c->pamh, s->item, &value) != PAM_SUCCESS)
                return OUTCOME_SYSTEM_ERROR;
        if (value) {
                log_debug(c, "using %s from an earlier module", s->what);
                *ret = value;
                return OUTCOME_OK;
        }
        if (s->required_by) {
                pam_syslog(c->pamh, LOG_ERR, "%s: no earlier module obtained %s", s->required_by, s->what);
                return s->missing;
        }
        if (!s->prompt) {
                *ret = NULL;
                return OUTCOME_OK;
        }
        return prompt_item(c, s->item, s->prompt, ret);
}

/* An item that use_first_pass requires from an earlier module, and that is prompted for otherwise. */
static Outcome get_first_pass_item(Context *c, int item, const char *what, Outcome missing,
                                   const char *prompt_text, const char **ret) {
        return get_secret_item(c, &(SecretSource) {
                        .item = item,
                        .what = what,
                        .required_by = c->options.use_first_pass ? "use_first_pass" : NULL,
                        .missing = missing,
                        .prompt = prompt_text,
                }, ret);
}

Outcome conv_get_secret(Context *c, const char **ret) {
        /* Without use_first_pass or try_first_pass, an earlier module's password is not ours. */
        if (!c->options.use_first_pass && !c->options.try_first_pass)
                return prompt_item(c, PAM_AUTHTOK, PROMPT_PASSWORD, ret);
        return get_first_pass_item(c, PAM_AUTHTOK, "a password", OUTCOME_BAD_SECRET, PROMPT_PASSWORD, ret);
}

Outcome conv_get_old_password(Context *c, const char **ret) {
        return get_first_pass_item(c, PAM_OLDAUTHTOK, "the current password", OUTCOME_OLD_PASSWORD_MISSING,
                                   PROMPT_OLD_PASSWORD, ret);
}

Outcome conv_get_new_password(Context *c, const char **ret) {
        _cleanup_erase_ char *first = NULL, *again = NULL;
        const char *stacked = NULL;
        Outcome o;

        /* pam_pwquality and the like set it; use_authtok requires it. */
        o = get_secret_item(c, &(SecretSource) {
                        .item = PAM_AUTHTOK,
                        .what = "the new password",
                        .required_by = c->options.use_authtok ? "use_authtok" : NULL,
                        .missing = OUTCOME_NEW_PASSWORD_REJECTED,
                }, &stacked);
        if (o != OUTCOME_OK || stacked) {
                *ret = stacked;
                return o;
        }
        o = prompt(c, PROMPT_NEW_PASSWORD, &first);
        if (o == OUTCOME_OK)
                o = prompt(c, PROMPT_RETYPE, &again);
        if (o != OUTCOME_OK)
                return o;
        if (!streq(first, again)) {
                set_message(c, "Sorry, passwords do not match.");
                return OUTCOME_NEW_PASSWORD_REJECTED;
        }
        return set_item(c, PAM_AUTHTOK, first, ret);
}

/* A one-time code, asked for by the conversation.  Blanks are dropped ("123 456"). */
static Outcome get_otp(Context *c, const char *secret, char **ret) {
        _cleanup_erase_ char *answer = NULL;
        size_t n;
        char *w;
        Outcome o;

        o = prompt(c, PROMPT_OTP, &answer);
        if (o != OUTCOME_OK)
                return o;

        /* A client that answers every hidden prompt with the password (nginx's auth_pam, other
         * HTTP Basic front ends) cannot give a code this way: sending its answer would only
         * count a failure against the account. */
        if (streq(answer, secret)) {
                pam_syslog(c->pamh, LOG_NOTICE,
                           "account %s: the client answered the one-time code prompt with the password; "
                           "it cannot answer prompts: use otp=append", PRINTABLE(c->user));
                return OUTCOME_OTP_MISSING;
        }

        n = strlen(answer);
        w = answer;
        for (const char *p = answer; *p; p++)
                if (*p != ' ' && *p != '\t')
                        *w++ = *p;
        erase_memory(w, n - (size_t) (w - answer));   /* the tail, and the new end */
        if (isempty(answer))
                return OUTCOME_OTP_MISSING;
        if (strlen(answer) > OTP_MAX || !string_is_utf8(answer))
                return OUTCOME_BAD_OTP;

        *ret = answer;
        answer = NULL;
        return OUTCOME_OK;
}

static bool all_of(const char *s, size_t n, const char *set) {
        return strspn(s, set) >= n;
}
#define DIGITS "0123456789"
#define BASE62 DIGITS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

/* With otp=append, the length of the credential in secret when a code follows it, else 0:
 * a password longer than six characters that ends in six digits (decided without asking
 * pkgtokend, so a wrong password counts once; a password that itself ends in six digits is
 * then followed by a code, or on an account without 2FA by any six digits, which are
 * ignored); a token (whose length is fixed) followed by exactly six digits. */
static size_t appended_otp_at(Context *c, const char *secret, Credential credential) {
        size_t n = strlen(secret);

        if (c->options.otp != OTP_APPEND)
                return 0;
        if (credential == CREDENTIAL_PASSWORD)
                return n > OTP_DIGITS && all_of(secret + n - OTP_DIGITS, OTP_DIGITS, DIGITS) ? n - OTP_DIGITS : 0;
        return n == TOKEN_LEN + OTP_DIGITS && all_of(secret + TOKEN_PREFIX_LEN, TOKEN_LEN - TOKEN_PREFIX_LEN, BASE62) &&
               all_of(secret + TOKEN_LEN, OTP_DIGITS, DIGITS) ? TOKEN_LEN : 0;
}

static Outcome ask(Context *c, const Login *l, const char *credential, const char *otp, Answer *ret) {
        answer_done(ret);
        if (l->credential == CREDENTIAL_PASSWORD)
                return bus_authenticate(c, credential, otp, ret);
        return bus_authorize(c, credential, l->package, l->action, otp, ret);
}

/* pkgtokend needs a code, and otp= does not let us prompt for one. */
static Outcome otp_not_given(Context *c, Credential credential) {
        switch (c->options.otp) {
        case OTP_APPEND:
                set_message(c, "A one-time code is needed: append its %d digits to the %s.", OTP_DIGITS,
                            credential == CREDENTIAL_TOKEN ? "token" : "password");
                return OUTCOME_OTP_MISSING;
        case OTP_NONE:
                pam_syslog(c->pamh, LOG_NOTICE, "account %s needs a one-time code, and otp=none", PRINTABLE(c->user));
                return OUTCOME_OTP_UNSUPPORTED;
        default:
                return OUTCOME_OTP_MISSING;
        }
}

Outcome conv_login(Context *c, const char *secret, const Login *l, Answer *ret) {
        _cleanup_erase_ char *credential = NULL, *otp = NULL;
        size_t split = appended_otp_at(c, secret, l->credential);
        Outcome o;

        credential = split > 0 ? strndup(secret, split) : strdup(secret);
        otp = strdup(split > 0 ? secret + split : "");
        if (!credential || !otp)
                return OUTCOME_NO_MEMORY;

        o = ask(c, l, credential, otp, ret);
        if (o != OUTCOME_OK || !streq(ret->result, "otp-required") || !isempty(otp))
                return o;

        if (c->options.otp != OTP_PROMPT)
                return otp_not_given(c, l->credential);
        if (l->credential == CREDENTIAL_PASSWORD)
                log_debug(c, "account %s: password right, asking for the one-time code", PRINTABLE(c->user));
        else
                log_debug(c, "token %s needs a one-time code for %s", PRINTABLE(ret->token_id), PRINTABLE(l->package));
        erase_and_freep(&otp);
        otp = NULL;
        o = get_otp(c, secret, &otp);
        if (o != OUTCOME_OK)
                return o;
        return ask(c, l, credential, otp, ret);
}
