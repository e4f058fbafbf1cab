/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "governance.h"
#include "macro.h"

/* What a person does instead, appended to every refusal so that it says what is accepted. */
#define INSTEAD ": log in as a person (npm login) on an account with two-factor authentication and give " \
                "a current one-time password (--otp)"

/* Who was refused, and why; one message per act so that npm prints what was refused. */
typedef enum Refusal {
        REFUSE_BYPASS_TOKEN,     /* automation and package tokens: publish without a code */
        REFUSE_READ_ONLY,
        REFUSE_NO_2FA_TOKEN,     /* a token of an account without 2FA: publishes without a code */
        REFUSE_NO_2FA_PASSWORD,  /* a password alone, no second factor to prove */
        REFUSE_TOKEN_FOR_2FA,    /* 2FA changes take a password proof */
        REFUSE_NO_2FA_UID,       /* a Unix login alone, no second factor to prove */
        _REFUSAL_MAX,
} Refusal;

#define ROW(who, why)                                                                                        \
        {                                                                                                    \
                [GOVERN_TOKENS] = who " cannot create, revoke or rotate tokens" why,                        \
                [GOVERN_TWOFA] = who " cannot change two-factor settings" why,                              \
                [GOVERN_TWOFA_ENROL] = who " cannot change two-factor settings" why,                        \
                [GOVERN_MAINTAINERS] = who " cannot change maintainers" why,                                \
                [GOVERN_PACKAGE_POLICY] = who " cannot change a package's policy" why,                      \
                [GOVERN_STAGE_APPROVAL] = who " cannot approve or reject staged versions" why,              \
        }

static const char * const refusal_message[_REFUSAL_MAX][_GOVERN_ACT_MAX] = {
        [REFUSE_BYPASS_TOKEN] = ROW("Automation and package tokens publish without a one-time password, so they",
                                    INSTEAD),
        [REFUSE_READ_ONLY] = ROW("A read-only token", INSTEAD),
        [REFUSE_NO_2FA_TOKEN] = ROW("Tokens of an account without two-factor authentication publish without a "
                                    "one-time password, so they", ": enable two-factor authentication (npm profile "
                                    "enable-2fa), then give a current one-time password (--otp)"),
        [REFUSE_NO_2FA_PASSWORD] = ROW("A password alone", ": enable two-factor authentication (npm profile "
                                       "enable-2fa), then give a current one-time password with it"),
        [REFUSE_NO_2FA_UID] = ROW("A Unix login alone", ": enable two-factor authentication (pkgtokenctl account "
                                  "2fa enable), then give a current one-time password (--otp)"),
        [REFUSE_TOKEN_FOR_2FA] = ROW("A token", ": two-factor changes take the account's password (and a current "
                                     "one-time password when two-factor authentication is on)"),
};

static GovernanceVerdict refuse(Refusal why, GovernanceAct act) {
        return (GovernanceVerdict) {
                .result = GOVERNANCE_REFUSED,
                .code = REASON_GOVERNANCE,
                .message = refusal_message[why][act],
        };
}

static GovernanceVerdict answer(GovernanceResult result, ReasonCode code, const char *message) {
        return (GovernanceVerdict) { .result = result, .code = code, .message = message };
}

static bool facts_are_sane(const GovernanceFacts *f, GovernanceAct act) {
        /* Values from the bus and the database: an unknown one must not fall through to an allow. */
        if (!f || (unsigned) act >= _GOVERN_ACT_MAX || act == GOVERN_NONE || (unsigned) f->proof >= _PROOF_KIND_MAX ||
            (unsigned) f->account_2fa >= _TWOFA_MODE_MAX)
                return false;
        if (f->proof != PROOF_TOKEN)
                return true;
        return (unsigned) f->type < _TOKEN_TYPE_MAX && (unsigned) f->owner < _TOKEN_OWNER_MAX &&
               (f->owner == TOKEN_OWNER_ACCOUNT || f->account_2fa == TWOFA_DISABLED);
}

static GovernanceVerdict decide_token(const GovernanceFacts *f, GovernanceAct act) {
        /* npm logout: a session ends itself, whatever the account's 2FA; nothing else logs out. */
        if (act == GOVERN_LOGOUT)
                return f->type == TOKEN_SESSION && f->owner == TOKEN_OWNER_ACCOUNT
                        ? answer(GOVERNANCE_ALLOWED, REASON_OK, "allowed")
                        : answer(GOVERNANCE_REFUSED, REASON_INVALID_ARGUMENT,
                                 "Only a session token logs out; revoke other tokens instead.");

        /* Trusted-publishing tokens publish without a code too (and are package tokens anyway). */
        if (f->owner == TOKEN_OWNER_PACKAGE || f->type == TOKEN_AUTOMATION || f->type == TOKEN_TRUSTED_PUBLISHING)
                return refuse(REFUSE_BYPASS_TOKEN, act);
        if (f->type == TOKEN_READ_ONLY)
                return refuse(REFUSE_READ_ONLY, act);
        if (act == GOVERN_TWOFA || act == GOVERN_TWOFA_ENROL)
                return refuse(REFUSE_TOKEN_FOR_2FA, act);
        /* A publish or session token of an account without 2FA publishes without a code: a
         * thief holding it must not be able to mint more, or add a maintainer. */
        if (f->account_2fa == TWOFA_DISABLED)
                return refuse(REFUSE_NO_2FA_TOKEN, act);
        if (!f->otp_given)
                return answer(GOVERNANCE_OTP_REQUIRED, REASON_OTP_REQUIRED,
                              "OTP required: give a current one-time password (--otp)");
        return answer(GOVERNANCE_CHECK_OTP, REASON_OK, "allowed with a current one-time password");
}

GovernanceVerdict governance_decide(const GovernanceFacts *f, GovernanceAct act) {
        if (!facts_are_sane(f, act))
                return answer(GOVERNANCE_REFUSED, REASON_INVALID_ARGUMENT, "invalid request");

        if (f->proof == PROOF_ADMIN)
                /* pkgtokenctl as root: the operator's own controls (and the audit) apply. */
                return answer(GOVERNANCE_ALLOWED, REASON_OK, "allowed");
        /* Whoever just recovered the account may have taken it over: hands off until the
         * hold ends (a session may still end itself). */
        if (f->on_hold && act != GOVERN_LOGOUT)
                return answer(GOVERNANCE_REFUSED, REASON_RECOVERY_HOLD,
                              "The account is on hold after a recovery (a recovery code used, or two-factor "
                              "authentication reset): it reads only until the hold ends, or an administrator "
                              "lifts it (pkgtokenctl account lift-hold).");

        switch (f->proof) {
        case PROOF_UID:
                if (act == GOVERN_LOGOUT)
                        return answer(GOVERNANCE_REFUSED, REASON_INVALID_ARGUMENT, "Only a session token logs out.");
                if (f->account_2fa == TWOFA_DISABLED)
                        return act == GOVERN_TWOFA_ENROL || act == GOVERN_TWOFA
                                ? answer(GOVERNANCE_ALLOWED, REASON_OK, "allowed")
                                : refuse(REFUSE_NO_2FA_UID, act);
                if (!f->otp_given)
                        return answer(GOVERNANCE_OTP_REQUIRED, REASON_OTP_REQUIRED,
                                      "OTP required: give a current one-time password (--otp)");
                return answer(GOVERNANCE_CHECK_OTP, REASON_OK, "allowed with a current one-time password");
        case PROOF_PASSWORD:
                if (act == GOVERN_LOGOUT)
                        return answer(GOVERNANCE_REFUSED, REASON_INVALID_ARGUMENT, "Only a session token logs out.");
                /* The login path asked for the account's code when 2FA is on.  Without 2FA the
                 * one two-factor change there is (turning it on) stays open to the password. */
                if (f->account_2fa != TWOFA_DISABLED || act == GOVERN_TWOFA_ENROL || act == GOVERN_TWOFA)
                        return answer(GOVERNANCE_ALLOWED, REASON_OK, "allowed");
                return refuse(REFUSE_NO_2FA_PASSWORD, act);
        default:
                return decide_token(f, act);
        }
}
