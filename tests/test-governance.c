/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The governance rule (common/governance.c, issue 10).
 *
 * 1. Named cases from the issue, with what npm users meet.
 * 2. The whole table: every proof × token type × owner × the account's 2FA × code given × act,
 *    decided by governance_decide() and by an oracle restated here from the rule in prose. */

#include <string.h>

#include "governance.h"
#include "macro.h"
#include "tap.h"

typedef struct Case {
        const char *name;
        GovernanceFacts facts;
        GovernanceAct act;
        GovernanceResult result;
        ReasonCode code;
} Case;

#define TOKEN(t, o, mode, otp) { .proof = PROOF_TOKEN, .type = (t), .owner = (o), .account_2fa = (mode), .otp_given = (otp) }
#define PASSWORD(mode)         { .proof = PROOF_PASSWORD, .account_2fa = (mode) }
#define UID(mode, otp)         { .proof = PROOF_UID, .account_2fa = (mode), .otp_given = (otp) }

static const Case named[] = {
        { "automation token creates a token (npm token create)",
          TOKEN(TOKEN_AUTOMATION, TOKEN_OWNER_ACCOUNT, TWOFA_AUTH_AND_WRITES, true), GOVERN_TOKENS,
          GOVERNANCE_REFUSED, REASON_GOVERNANCE },
        { "automation token adds an owner (npm owner add)",
          TOKEN(TOKEN_AUTOMATION, TOKEN_OWNER_ACCOUNT, TWOFA_DISABLED, false), GOVERN_MAINTAINERS,
          GOVERNANCE_REFUSED, REASON_GOVERNANCE },
        { "automation token approves a stage",
          TOKEN(TOKEN_AUTOMATION, TOKEN_OWNER_ACCOUNT, TWOFA_AUTH_ONLY, true), GOVERN_STAGE_APPROVAL,
          GOVERNANCE_REFUSED, REASON_GOVERNANCE },
        { "package token changes a package's policy",
          TOKEN(TOKEN_PUBLISH, TOKEN_OWNER_PACKAGE, TWOFA_DISABLED, true), GOVERN_PACKAGE_POLICY,
          GOVERNANCE_REFUSED, REASON_GOVERNANCE },
        { "session token of an account without 2FA creates a token",
          TOKEN(TOKEN_SESSION, TOKEN_OWNER_ACCOUNT, TWOFA_DISABLED, false), GOVERN_TOKENS,
          GOVERNANCE_REFUSED, REASON_GOVERNANCE },
        { "publish token of an account without 2FA, a code given anyway",
          TOKEN(TOKEN_PUBLISH, TOKEN_OWNER_ACCOUNT, TWOFA_DISABLED, true), GOVERN_MAINTAINERS,
          GOVERNANCE_REFUSED, REASON_GOVERNANCE },
        { "session token of an account with 2FA, no code: npm asks for one",
          TOKEN(TOKEN_SESSION, TOKEN_OWNER_ACCOUNT, TWOFA_AUTH_ONLY, false), GOVERN_TOKENS,
          GOVERNANCE_OTP_REQUIRED, REASON_OTP_REQUIRED },
        { "session token of an account with 2FA and a code: checked, then allowed",
          TOKEN(TOKEN_SESSION, TOKEN_OWNER_ACCOUNT, TWOFA_AUTH_AND_WRITES, true), GOVERN_MAINTAINERS,
          GOVERNANCE_CHECK_OTP, REASON_OK },
        { "read-only token revokes a token",
          TOKEN(TOKEN_READ_ONLY, TOKEN_OWNER_ACCOUNT, TWOFA_AUTH_ONLY, true), GOVERN_TOKENS,
          GOVERNANCE_REFUSED, REASON_GOVERNANCE },
        { "session token with a code changes 2FA: needs the password",
          TOKEN(TOKEN_SESSION, TOKEN_OWNER_ACCOUNT, TWOFA_AUTH_ONLY, true), GOVERN_TWOFA,
          GOVERNANCE_REFUSED, REASON_GOVERNANCE },
        { "npm logout: a session token of an account without 2FA ends itself",
          TOKEN(TOKEN_SESSION, TOKEN_OWNER_ACCOUNT, TWOFA_DISABLED, false), GOVERN_LOGOUT,
          GOVERNANCE_ALLOWED, REASON_OK },
        { "a publish token does not log out",
          TOKEN(TOKEN_PUBLISH, TOKEN_OWNER_ACCOUNT, TWOFA_DISABLED, false), GOVERN_LOGOUT,
          GOVERNANCE_REFUSED, REASON_INVALID_ARGUMENT },
        { "password + code of an account with 2FA creates a token",
          PASSWORD(TWOFA_AUTH_ONLY), GOVERN_TOKENS, GOVERNANCE_ALLOWED, REASON_OK },
        { "password of an account without 2FA creates a token",
          PASSWORD(TWOFA_DISABLED), GOVERN_TOKENS, GOVERNANCE_REFUSED, REASON_GOVERNANCE },
        { "password of an account without 2FA turns 2FA on (npm profile enable-2fa)",
          PASSWORD(TWOFA_DISABLED), GOVERN_TWOFA_ENROL, GOVERNANCE_ALLOWED, REASON_OK },
        { "linked Unix user of an account with 2FA revokes a token without a code: asked for one",
          UID(TWOFA_AUTH_ONLY, false), GOVERN_TOKENS, GOVERNANCE_OTP_REQUIRED, REASON_OTP_REQUIRED },
        { "linked Unix user of an account with 2FA, a code given: checked, then allowed",
          UID(TWOFA_AUTH_AND_WRITES, true), GOVERN_TWOFA, GOVERNANCE_CHECK_OTP, REASON_OK },
        { "linked Unix user of an account without 2FA creates a token",
          UID(TWOFA_DISABLED, false), GOVERN_TOKENS, GOVERNANCE_REFUSED, REASON_GOVERNANCE },
        { "linked Unix user of an account without 2FA turns 2FA on",
          UID(TWOFA_DISABLED, false), GOVERN_TWOFA_ENROL, GOVERNANCE_ALLOWED, REASON_OK },
        { "linked Unix user does not log out",
          UID(TWOFA_AUTH_ONLY, true), GOVERN_LOGOUT, GOVERNANCE_REFUSED, REASON_INVALID_ARGUMENT },
        { "admin (pkgtokenctl as root) changes maintainers",
          { .proof = PROOF_ADMIN }, GOVERN_MAINTAINERS, GOVERNANCE_ALLOWED, REASON_OK },
        { "not governance at all: refused as invalid",
          TOKEN(TOKEN_SESSION, TOKEN_OWNER_ACCOUNT, TWOFA_AUTH_ONLY, true), GOVERN_NONE,
          GOVERNANCE_REFUSED, REASON_INVALID_ARGUMENT },
        { "unknown act", PASSWORD(TWOFA_AUTH_ONLY), _GOVERN_ACT_MAX, GOVERNANCE_REFUSED, REASON_INVALID_ARGUMENT },
        { "recovery hold: password + code of an account with 2FA creates no token",
          { .proof = PROOF_PASSWORD, .account_2fa = TWOFA_AUTH_ONLY, .on_hold = true }, GOVERN_TOKENS,
          GOVERNANCE_REFUSED, REASON_RECOVERY_HOLD },
        { "recovery hold: no re-enrolment either",
          { .proof = PROOF_PASSWORD, .on_hold = true }, GOVERN_TWOFA_ENROL, GOVERNANCE_REFUSED, REASON_RECOVERY_HOLD },
        { "recovery hold: a session still logs out",
          { .proof = PROOF_TOKEN, .type = TOKEN_SESSION, .on_hold = true }, GOVERN_LOGOUT, GOVERNANCE_ALLOWED, REASON_OK },
        { "recovery hold: an admin still governs",
          { .proof = PROOF_ADMIN, .on_hold = true }, GOVERN_MAINTAINERS, GOVERNANCE_ALLOWED, REASON_OK },
        { "package token with 2FA (impossible facts)",
          TOKEN(TOKEN_PUBLISH, TOKEN_OWNER_PACKAGE, TWOFA_AUTH_ONLY, true), GOVERN_TOKENS,
          GOVERNANCE_REFUSED, REASON_INVALID_ARGUMENT },
        { "unknown token type",
          TOKEN((TokenType) 9, TOKEN_OWNER_ACCOUNT, TWOFA_AUTH_ONLY, true), GOVERN_TOKENS,
          GOVERNANCE_REFUSED, REASON_INVALID_ARGUMENT },
};

static void test_named_cases(void) {
        for (size_t i = 0; i < ELEMENTSOF(named); i++) {
                const Case *c = &named[i];
                GovernanceVerdict v = governance_decide(&c->facts, c->act);

                CHECK(v.result == c->result && v.code == c->code && !isempty(v.message), "%s: %s", c->name,
                      v.message ?: "(no message)");
        }
        CHECK(governance_decide(NULL, GOVERN_TOKENS).result == GOVERNANCE_REFUSED, "no facts: refused");
}

/* Every refusal says what would be accepted. */
static void test_messages(void) {
        GovernanceVerdict v;

        v = governance_decide(&(GovernanceFacts) TOKEN(TOKEN_AUTOMATION, TOKEN_OWNER_ACCOUNT, TWOFA_DISABLED, false),
                              GOVERN_TOKENS);
        CHECK(strstr(v.message, "cannot create, revoke or rotate tokens") && strstr(v.message, "--otp"),
              "automation token, tokens: says what is refused and what works: %s", v.message);
        v = governance_decide(&(GovernanceFacts) TOKEN(TOKEN_PUBLISH, TOKEN_OWNER_ACCOUNT, TWOFA_DISABLED, false),
                              GOVERN_MAINTAINERS);
        CHECK(strstr(v.message, "cannot change maintainers") && strstr(v.message, "enable-2fa"),
              "token of an account without 2FA: says to enable 2FA: %s", v.message);
        v = governance_decide(&(GovernanceFacts) PASSWORD(TWOFA_DISABLED), GOVERN_STAGE_APPROVAL);
        CHECK(strstr(v.message, "cannot approve or reject staged versions"), "password alone, stages: %s", v.message);
        v = governance_decide(&(GovernanceFacts) UID(TWOFA_DISABLED, false), GOVERN_TOKENS);
        CHECK(strstr(v.message, "Unix login") && strstr(v.message, "2fa enable"),
              "linked Unix user without 2FA: says to enable 2FA with pkgtokenctl: %s", v.message);
}

/* The rule, restated: admins always; a session ends itself; otherwise a person's account
 * token (publish or session) of an account with 2FA, with a current code, or a password
 * proof of an account with 2FA (the login asked for its code); 2FA changes only by password;
 * nothing but a logout during a recovery hold (admins excepted);
 * an account without 2FA may still change its 2FA (turn it on) by password.  A linked Unix
 * user is a password proof whose code comes with the request: with 2FA it needs one. */
static void oracle(const GovernanceFacts *f, GovernanceAct act, GovernanceResult *ret_result, ReasonCode *ret_code) {
        bool person_token = f->owner == TOKEN_OWNER_ACCOUNT && (f->type == TOKEN_PUBLISH || f->type == TOKEN_SESSION);
        bool twofa = f->account_2fa != TWOFA_DISABLED;
        bool twofa_act = act == GOVERN_TWOFA || act == GOVERN_TWOFA_ENROL;

        *ret_code = REASON_OK;
        *ret_result = GOVERNANCE_ALLOWED;
        if (f->proof == PROOF_ADMIN)
                return;
        if (f->on_hold && act != GOVERN_LOGOUT) {
                *ret_result = GOVERNANCE_REFUSED;
                *ret_code = REASON_RECOVERY_HOLD;
                return;
        }
        if (act == GOVERN_LOGOUT) {
                if (f->proof != PROOF_TOKEN || f->type != TOKEN_SESSION || f->owner != TOKEN_OWNER_ACCOUNT) {
                        *ret_result = GOVERNANCE_REFUSED;
                        *ret_code = REASON_INVALID_ARGUMENT;
                }
                return;
        }
        if (f->proof == PROOF_UID && twofa) {
                *ret_result = f->otp_given ? GOVERNANCE_CHECK_OTP : GOVERNANCE_OTP_REQUIRED;
                *ret_code = f->otp_given ? REASON_OK : REASON_OTP_REQUIRED;
                return;
        }
        if (f->proof == PROOF_PASSWORD || f->proof == PROOF_UID) {
                if (!twofa && !twofa_act) {
                        *ret_result = GOVERNANCE_REFUSED;
                        *ret_code = REASON_GOVERNANCE;
                }
                return;
        }
        if (!person_token || twofa_act || !twofa) {
                *ret_result = GOVERNANCE_REFUSED;
                *ret_code = REASON_GOVERNANCE;
        } else if (!f->otp_given) {
                *ret_result = GOVERNANCE_OTP_REQUIRED;
                *ret_code = REASON_OTP_REQUIRED;
        } else
                *ret_result = GOVERNANCE_CHECK_OTP;
}

static void test_whole_table(void) {
        size_t by_result[_GOVERNANCE_RESULT_MAX] = {};

        for (ProofKind proof = 0; proof < _PROOF_KIND_MAX; proof++)
        for (GovernanceAct act = GOVERN_TOKENS; act < _GOVERN_ACT_MAX; act++) {
                size_t n = 0, bad = 0;

                for (TokenType type = 0; type < _TOKEN_TYPE_MAX; type++)
                for (TokenOwner owner = 0; owner < _TOKEN_OWNER_MAX; owner++)
                for (TwoFactorMode mode = 0; mode < _TWOFA_MODE_MAX; mode++)
                for (int otp = 0; otp <= 1; otp++)
                for (int hold = 0; hold <= 1; hold++) {
                        if (owner == TOKEN_OWNER_PACKAGE && mode != TWOFA_DISABLED)
                                continue;   /* no person behind a package token */
                        GovernanceFacts f = {
                                .proof = proof, .type = type, .owner = owner, .account_2fa = mode, .otp_given = otp,
                                .on_hold = hold,
                        };
                        GovernanceVerdict v = governance_decide(&f, act);
                        GovernanceResult want;
                        ReasonCode code;

                        oracle(&f, act, &want, &code);
                        n++;
                        by_result[v.result < _GOVERNANCE_RESULT_MAX ? v.result : 0]++;
                        if (v.result == want && v.code == code && !isempty(v.message))
                                continue;
                        if (bad++ < 3)
                                tap_diag("  %s token, %s, 2fa %s, otp=%d: got %d/%s, expected %d/%s",
                                         token_type_to_string(type), token_owner_to_string(owner),
                                         twofa_mode_to_string(mode), otp, v.result, reason_code_to_string(v.code),
                                         want, reason_code_to_string(code));
                }
                CHECK(bad == 0, "table: proof %d, act %d: %zu combinations agree with the oracle", proof, act, n);
        }
        CHECK(by_result[GOVERNANCE_ALLOWED] && by_result[GOVERNANCE_CHECK_OTP] && by_result[GOVERNANCE_OTP_REQUIRED] &&
              by_result[GOVERNANCE_REFUSED], "table: every outcome occurs");
}

int main(void) {
        test_named_cases();
        test_messages();
        test_whole_table();

        return tap_finish();
}
