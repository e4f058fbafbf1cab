/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Staged publishing's rules (common/stage-rules.c): who may approve or reject, when a stage
 * counts as expired, what an integrity and a stage id look like.  The decision table is
 * walked whole against an oracle restated here from the rules in prose. */

#include <string.h>

#include "macro.h"
#include "stage-rules.h"
#include "tap.h"

#define NOW (1800000000ULL * USEC_PER_SEC)

/* The rules: an admin decides as such; anyone else must be a maintainer with 2FA who gives a
 * current code (a password proof checked it already), and no token that publishes without
 * an OTP nor a read-only token may decide; only a staged version can be decided, and a code
 * is checked only when everything else allows. */
static ReasonCode oracle(const StageDecisionFacts *f, bool *ret_check, bool *ret_not_pending) {
        *ret_check = *ret_not_pending = false;
        /* Only a code proof comes with a token. */
        if (f->by_token && f->decider != STAGE_DECIDER_CODE)
                return REASON_INVALID_ARGUMENT;
        if (f->decider != STAGE_DECIDER_ADMIN) {
                if (f->by_token && (f->token_type == TOKEN_AUTOMATION || f->token_owner == TOKEN_OWNER_PACKAGE))
                        return REASON_GOVERNANCE;
                if (f->by_token && f->token_type == TOKEN_READ_ONLY)
                        return REASON_READ_ONLY;
                if (f->by_token && f->out_of_scope)
                        return REASON_OUT_OF_SCOPE;
                if (!f->maintainer)
                        return REASON_NOT_MAINTAINER;
                if (f->on_hold)
                        return REASON_RECOVERY_HOLD;
                if (f->account_2fa == TWOFA_DISABLED)
                        return REASON_OTP_REQUIRED;
                if (f->decider == STAGE_DECIDER_CODE && !f->otp_given)
                        return REASON_OTP_REQUIRED;
        }
        if (f->state != STAGE_STAGED) {
                *ret_not_pending = true;
                return REASON_INVALID_ARGUMENT;
        }
        *ret_check = f->decider == STAGE_DECIDER_CODE;
        return REASON_OK;
}

static void test_table(void) {
        size_t n = 0, bad = 0, allowed = 0, admin_allowed = 0, token_alone = 0;

        for (StageDecider d = 0; d < _STAGE_DECIDER_MAX; d++)
        for (int by_token = 0; by_token <= 1; by_token++)
        for (TokenType type = 0; type < _TOKEN_TYPE_MAX; type++)
        for (TokenOwner owner = 0; owner < _TOKEN_OWNER_MAX; owner++)
        for (TwoFactorMode twofa = 0; twofa < _TWOFA_MODE_MAX; twofa++)
        for (int maintainer = 0; maintainer <= 1; maintainer++)
        for (int on_hold = 0; on_hold <= 1; on_hold++)
        for (int otp = 0; otp <= 1; otp++)
        for (int out_of_scope = 0; out_of_scope <= 1; out_of_scope++)
        for (StageState state = 0; state < _STAGE_STATE_MAX; state++) {
                StageDecisionFacts f = {
                        .decider = d, .by_token = by_token, .token_type = type, .token_owner = owner,
                        .out_of_scope = out_of_scope,
                        .account_2fa = twofa, .maintainer = maintainer, .otp_given = otp, .state = state,
                        .on_hold = d != STAGE_DECIDER_ADMIN && on_hold,
                };
                bool check, not_pending;
                ReasonCode want = oracle(&f, &check, &not_pending);
                StageDecisionVerdict v = stage_decision_verdict(&f);

                n++;
                if (v.code != want || v.check_otp != check || v.not_pending != not_pending || !v.message) {
                        if (bad++ < 5)
                                tap_diag("  decider %d token=%d %s %s 2fa %s maintainer=%d otp=%d %s: got %s, want %s",
                                         d, by_token, token_type_to_string(type), token_owner_to_string(owner),
                                         twofa_mode_to_string(twofa), maintainer, otp, stage_state_to_string(state),
                                         reason_code_to_string(v.code), reason_code_to_string(want));
                }
                if (v.code == REASON_OK) {
                        allowed++;
                        admin_allowed += d == STAGE_DECIDER_ADMIN;
                        /* Never a token alone: a token's decision always waits for its code. */
                        token_alone += by_token && d != STAGE_DECIDER_ADMIN && !v.check_otp;
                }
        }
        CHECK(bad == 0, "decision table: %zu combinations agree with the oracle", n);
        CHECK(allowed > admin_allowed && admin_allowed > 0, "decision table: admins and maintainers may decide (%zu)",
              allowed);
        CHECK(token_alone == 0, "decision table: no token decides without a code checked now");
}

static void test_named_cases(void) {
        StageDecisionFacts automation = {
                .decider = STAGE_DECIDER_CODE, .by_token = true, .token_type = TOKEN_AUTOMATION,
                .account_2fa = TWOFA_AUTH_AND_WRITES, .maintainer = true, .otp_given = true, .state = STAGE_STAGED,
        };
        StageDecisionVerdict v = stage_decision_verdict(&automation);
        CHECK(v.code == REASON_GOVERNANCE && strstr(v.message, "automation"),
              "an automation token of a maintainer with a code may not approve (governance)");

        StageDecisionFacts person = automation;
        person.token_type = TOKEN_PUBLISH;
        v = stage_decision_verdict(&person);
        CHECK(v.code == REASON_OK && v.check_otp, "a maintainer's publish token with a code: allowed once the code checks");

        person.otp_given = false;
        v = stage_decision_verdict(&person);
        CHECK(v.code == REASON_OTP_REQUIRED, "  ... without a code: otp-required");

        StageDecisionFacts no2fa = { .decider = STAGE_DECIDER_PASSWORD, .maintainer = true, .state = STAGE_STAGED };
        v = stage_decision_verdict(&no2fa);
        CHECK(v.code == REASON_OTP_REQUIRED && strstr(v.message, "enable two-factor"),
              "a password proof of an account without 2FA cannot prove presence");

        StageDecisionFacts expired = { .decider = STAGE_DECIDER_ADMIN, .state = STAGE_EXPIRED };
        v = stage_decision_verdict(&expired);
        CHECK(v.not_pending, "an admin cannot decide an expired stage either");

        StageDecisionFacts bogus = { .decider = _STAGE_DECIDER_MAX };
        CHECK(stage_decision_verdict(&bogus).code == REASON_INVALID_ARGUMENT && stage_decision_verdict(NULL).code ==
              REASON_INVALID_ARGUMENT, "unknown deciders and no facts decide nothing");
}

static void test_expiry(void) {
        CHECK(stage_state_effective(STAGE_STAGED, NOW + 1, NOW) == STAGE_STAGED &&
              stage_state_effective(STAGE_STAGED, NOW, NOW) == STAGE_EXPIRED &&
              stage_state_effective(STAGE_APPROVED, NOW - 1, NOW) == STAGE_APPROVED &&
              stage_state_effective(STAGE_REJECTED, NOW - 1, NOW) == STAGE_REJECTED,
              "a staged version expires at expires_at; decided ones keep their state");
}

static void test_formats(void) {
        static const struct {
                const char *s;
                bool integrity, id;
        } cases[] = {
                { "sha512-" "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==", true, false },
                { "sha512-" "abc+/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/AAAAAAA==", true, false },
                { "sha512-" "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==", false, false },
                { "sha512-" "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA*==", false, false },
                { "sha1-AAAAAAAAAAAAAAAAAAAAAAAAAAA=", false, false },
                { "", false, false },
                { "0b7f5a2e-4c1d-4e8a-9f3b-2d6c8e1a7b90", false, true },
                { "0B7F5A2E-4C1D-4E8A-9F3B-2D6C8E1A7B90", false, false },
                { "0b7f5a2e4c1d-4e8a-9f3b-2d6c8e1a7b90-", false, false },
                { "0b7f5a2e-4c1d-4e8a-9f3b-2d6c8e1a7b9", false, false },
                { "../../etc/passwd", false, false },
        };
        size_t bad = 0;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                if (stage_integrity_is_valid(cases[i].s) != cases[i].integrity ||
                    stage_id_is_valid(cases[i].s) != cases[i].id) {
                        bad++;
                        tap_diag("  \"%s\"", cases[i].s);
                }
        CHECK(bad == 0 && !stage_integrity_is_valid(NULL) && !stage_id_is_valid(NULL),
              "integrities (sha512 SRI) and stage ids (lowercase UUIDs): %zu cases", ELEMENTSOF(cases));
}

int main(void) {
        test_table();
        test_named_cases();
        test_expiry();
        test_formats();
        return tap_finish();
}
