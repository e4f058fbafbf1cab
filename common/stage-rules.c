/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <string.h>

#include "macro.h"
#include "stage-rules.h"

static StageDecisionVerdict refuse(ReasonCode code, const char *message) {
        return (StageDecisionVerdict) { .code = code, .message = message };
}

StageDecisionVerdict stage_decision_verdict(const StageDecisionFacts *f) {
        if (!f || (unsigned) f->decider >= _STAGE_DECIDER_MAX || (unsigned) f->state >= _STAGE_STATE_MAX ||
            (unsigned) f->token_type >= _TOKEN_TYPE_MAX || (unsigned) f->token_owner >= _TOKEN_OWNER_MAX ||
            (unsigned) f->account_2fa >= _TWOFA_MODE_MAX)
                return refuse(REASON_INVALID_ARGUMENT, "invalid request");
        /* A token proves presence only with a code checked now. */
        if (f->by_token && f->decider != STAGE_DECIDER_CODE)
                return refuse(REASON_INVALID_ARGUMENT, "invalid request");

        if (f->decider != STAGE_DECIDER_ADMIN) {
                /* A token that publishes without a code must not also let its own stages through. */
                if (f->by_token && (f->token_owner == TOKEN_OWNER_PACKAGE || f->token_type == TOKEN_AUTOMATION))
                        return refuse(REASON_GOVERNANCE, "Tokens that publish without an OTP (automation and package "
                                                         "tokens) cannot approve or reject staged versions.");
                if (f->by_token && f->token_type == TOKEN_READ_ONLY)
                        return refuse(REASON_READ_ONLY, "A read-only token cannot approve or reject staged versions.");
                if (f->by_token && f->out_of_scope)
                        return refuse(REASON_OUT_OF_SCOPE, "This token's scope does not cover the package.");
                if (!f->maintainer)
                        return refuse(REASON_NOT_MAINTAINER, "Only a maintainer of the package may approve or reject "
                                                             "its staged versions.");
                /* Whoever just recovered the account may have taken it over (the governance
                 * rule's recovery hold, common/governance.c). */
                if (f->on_hold)
                        return refuse(REASON_RECOVERY_HOLD, "The account is on hold after a recovery: it reads "
                                                            "only until the hold ends, or an administrator lifts it.");
                /* Presence is a current code: an account without 2FA has none to give. */
                if (f->account_2fa == TWOFA_DISABLED)
                        return refuse(REASON_OTP_REQUIRED, "Approving or rejecting a staged version needs a current "
                                                           "OTP: enable two-factor authentication for the account.");
                if (f->decider == STAGE_DECIDER_CODE && !f->otp_given)
                        return refuse(REASON_OTP_REQUIRED, "OTP required to approve or reject a staged version.");
        }
        /* Last among the refusals, so that a code is not spent on a stage nobody may decide. */
        if (f->state != STAGE_STAGED) {
                StageDecisionVerdict v = refuse(REASON_INVALID_ARGUMENT,
                                                "The staged version was decided already, was published or expired.");
                v.not_pending = true;
                return v;
        }
        return (StageDecisionVerdict) {
                .code = REASON_OK,
                .message = "allowed",
                .check_otp = f->decider == STAGE_DECIDER_CODE,
        };
}

StageState stage_state_effective(StageState stored, usec_t expires_at, usec_t now) {
        if (stored == STAGE_STAGED && expires_at != 0 && now >= expires_at)
                return STAGE_EXPIRED;
        return stored;
}

static bool is_base64_char(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

bool stage_integrity_is_valid(const char *s) {
        static const char prefix[] = "sha512-";
        /* 64 bytes are 86 base64 characters and "==". */
        const size_t digits = 86;

        if (!s || strncmp(s, prefix, strlen(prefix)) != 0)
                return false;
        s += strlen(prefix);
        if (strlen(s) != digits + 2 || !streq(s + digits, "=="))
                return false;
        for (size_t i = 0; i < digits; i++)
                if (!is_base64_char(s[i]))
                        return false;
        return true;
}

bool stage_id_is_valid(const char *s) {
        if (!s || strlen(s) != 36)
                return false;
        for (size_t i = 0; i < 36; i++) {
                bool dash = i == 8 || i == 13 || i == 18 || i == 23;
                if (dash ? s[i] != '-' : !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        }
        return true;
}
