/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The whole Authorize verdict (common/authorize-verdict.c).
 *
 * 1. The steps before the token's decision: rate limit, format, lookup, claimed account.
 * 2. The OTP step, over every combination of token, account 2FA mode, package policy and
 *    state, OTP given or not and the checker's outcome: the checker is called once exactly
 *    when an OTP was given and the token's decision is otp-required, and the verdict equals
 *    what authz_decide() says with and without a verified OTP (the daemon's old two-pass
 *    decision), with a wrong code turned into bad-otp and counted.
 * 3. What is recorded: audit for publishes, last use for allowed reads, failures. */

#include "authorize-verdict.h"
#include "macro.h"
#include "model.h"
#include "names.h"
#include "otp-checker.h"
#include "tap.h"

#define NOW    (1800000000ULL * USEC_PER_SEC)
#define TARGET "@acme/target"

static TokenFacts live_token(void) {
        return (TokenFacts) {
                .type = TOKEN_PUBLISH,
                .owner = TOKEN_OWNER_ACCOUNT,
                .account_2fa = TWOFA_AUTH_ONLY,
        };
}

static AuthorizeFacts facts(const TokenFacts *t, const PackageFacts *p, Action action) {
        return (AuthorizeFacts) {
                .token_found = true,
                .token = t,
                .token_account = "alice",
                .claimed_account = "",
                .package = p,
                .package_name = TARGET,
                .action = action,
                .remote = "",
                .now = NOW,
        };
}

static const char *name(AuthzResult r) {
        return authz_result_to_string(r) ?: "(unknown)";
}

static void expect(const char *what, const AuthorizeVerdict *v, AuthzResult result, const char *reason) {
        if (!CHECK(v->result == result && streq_ptr(v->reason, reason), "%s → %s (%s)", what, name(result), reason))
                tap_diag("  got %s (\"%s\")", name(v->result), v->reason ?: "(null)");
}

static void test_before_the_token(void) {
        TokenFacts t = live_token();
        PackageFacts p = { .exists = true, .policy = POLICY_NONE, .account_maintains = true };
        AuthorizeFacts f;
        AuthorizeVerdict v;
        Checker c = { OTP_CHECK_VALID, 0 };

        f = facts(&t, &p, ACTION_PUBLISH);
        f.rate_limited = true;
        v = authorize_verdict(&f, check_otp, &c);
        expect("rate-limited remote", &v, AUTHZ_RATE_LIMITED, "too many failed attempts from this address");
        CHECK(!v.token_identified && streq_ptr(v.anonymous_actor, "unchecked token") && v.record &&
              !v.count_remote_failure && !v.announce, "  ... recorded as an unchecked token, not counted again");

        f = facts(&t, &p, ACTION_READ);
        f.rate_limited = true;
        v = authorize_verdict(&f, check_otp, &c);
        CHECK(v.result == AUTHZ_RATE_LIMITED && !v.record && !v.note_use, "rate-limited read: nothing recorded");

        f = facts(&t, &p, ACTION_PUBLISH);
        f.token_format = -EBADMSG;
        v = authorize_verdict(&f, check_otp, &c);
        expect("checksum mismatch", &v, AUTHZ_INVALID, "token checksum mismatch");
        CHECK(!v.token_identified && streq_ptr(v.anonymous_actor, "unknown token") && v.record &&
              v.count_remote_failure, "  ... recorded as an unknown token and counted against the remote");

        f = facts(&t, &p, ACTION_READ);
        f.token_format = -EINVAL;
        v = authorize_verdict(&f, check_otp, &c);
        expect("malformed token", &v, AUTHZ_INVALID, "malformed token");
        CHECK(v.count_remote_failure && !v.record, "  ... a read: counted, not recorded");

        f = facts(&t, &p, ACTION_READ);
        f.token_found = false;
        f.token = NULL;
        v = authorize_verdict(&f, check_otp, &c);
        expect("unknown token", &v, AUTHZ_INVALID, "unknown token");
        CHECK(v.count_remote_failure && !v.token_identified, "  ... counted, not identified");

        f = facts(&t, &p, ACTION_READ);
        f.claimed_account = "bob";
        v = authorize_verdict(&f, check_otp, &c);
        expect("token of alice claimed by bob", &v, AUTHZ_INVALID, "token belongs to another account");
        CHECK(v.count_remote_failure && !v.token_identified, "  ... counted, not identified");

        /* The owner may present an account token, and anybody may as __token__ (PyPI's user
         * name for tokens); a package token has no owner to claim. */
        static const struct {
                TokenOwner owner;
                const char *claimed, *what;
                AuthzResult result;
                const char *reason;
        } claims[] = {
                { TOKEN_OWNER_ACCOUNT, "alice",              "token of alice claimed by alice",
                  AUTHZ_ALLOWED, "allowed" },
                { TOKEN_OWNER_ACCOUNT, PKGTOKEN_ANY_ACCOUNT, "token claimed by __token__",
                  AUTHZ_ALLOWED, "allowed" },
                { TOKEN_OWNER_PACKAGE, "alice",              "package token claimed by an account",
                  AUTHZ_INVALID, "token belongs to another account" },
                { TOKEN_OWNER_PACKAGE, PKGTOKEN_ANY_ACCOUNT, "package token claimed by __token__",
                  AUTHZ_ALLOWED, "allowed" },
        };
        for (size_t i = 0; i < ELEMENTSOF(claims); i++) {
                t.owner = claims[i].owner;
                if (t.owner == TOKEN_OWNER_PACKAGE) {
                        t.account_2fa = TWOFA_DISABLED;
                        f.token_account = "";
                }
                f.claimed_account = claims[i].claimed;
                v = authorize_verdict(&f, check_otp, &c);
                expect(claims[i].what, &v, claims[i].result, claims[i].reason);
        }

        CHECK(c.calls == 0, "no OTP checked before the token's decision");
}

static void test_recording(void) {
        TokenFacts t = live_token();
        PackageFacts p = { .exists = true, .policy = POLICY_NONE, .account_maintains = true };
        PackageFacts none = {};
        AuthorizeFacts f;
        AuthorizeVerdict v;

        f = facts(&t, &none, ACTION_READ);
        v = authorize_verdict(&f, check_otp, &(Checker) {});
        CHECK(v.result == AUTHZ_ALLOWED && v.note_use && !v.record && !v.announce && v.token_identified,
              "allowed read: last use noted, nothing recorded");

        t.revoked_at = 1;
        v = authorize_verdict(&f, check_otp, &(Checker) {});
        CHECK(v.result == AUTHZ_INVALID && !v.note_use && v.count_remote_failure && v.token_identified,
              "revoked token read: counted against the remote, no use noted");
        t.revoked_at = 0;

        t.type = TOKEN_AUTOMATION;
        f = facts(&t, &p, ACTION_PUBLISH);
        v = authorize_verdict(&f, check_otp, &(Checker) {});
        CHECK(v.result == AUTHZ_ALLOWED && v.record && v.announce && !v.note_use && !v.creates_package,
              "allowed publish: recorded and announced");

        f.package = &none;
        v = authorize_verdict(&f, check_otp, &(Checker) {});
        CHECK(v.result == AUTHZ_ALLOWED && v.creates_package, "allowed publish of a new package creates it");

        t.type = TOKEN_READ_ONLY;
        f.package = &p;
        v = authorize_verdict(&f, check_otp, &(Checker) {});
        CHECK(v.result == AUTHZ_FORBIDDEN && v.record && !v.announce && !v.count_remote_failure,
              "forbidden publish: recorded, not announced, not counted");
}

/* ---------------------------------------------------------------------------------------- */
/* The OTP step over the whole table */

static const int outcomes[] = {
        OTP_CHECK_VALID, OTP_CHECK_MALFORMED, OTP_CHECK_WRONG, OTP_CHECK_REPLAYED, OTP_CHECK_LOCKED_OUT, -EIO,
};

static const char *bad_otp_reason(int outcome) {
        return outcome == OTP_CHECK_REPLAYED ? "OTP already used" :
               outcome == OTP_CHECK_MALFORMED ? "malformed OTP" : "wrong OTP";
}

/* Returns true when v is what the old two-pass decision gave for these facts. */
static bool agrees(const AuthorizeFacts *f, int outcome, const AuthorizeVerdict *v, unsigned calls) {
        Decision first = authz_decide(f->token, f->package, f->package_name, f->action, f->remote, false, f->now);
        Decision second = authz_decide(f->token, f->package, f->package_name, f->action, f->remote, true, f->now);
        bool otp_step = first.result == AUTHZ_OTP_REQUIRED && f->otp_given && f->token->owner == TOKEN_OWNER_ACCOUNT;

        if (calls != (otp_step ? 1u : 0u))
                return false;
        if (!otp_step)
                return v->error == 0 && v->result == first.result && v->code == first.code &&
                       streq_ptr(v->reason, first.reason) && v->creates_package == first.creates_package &&
                       !v->count_account_failure;
        if (outcome < 0)
                return v->error == outcome;
        if (outcome == OTP_CHECK_VALID)
                return v->result == second.result && v->code == second.code && streq_ptr(v->reason, second.reason) &&
                       v->creates_package == second.creates_package && !v->count_account_failure;
        if (outcome == OTP_CHECK_LOCKED_OUT)
                return v->result == AUTHZ_RATE_LIMITED && v->code == REASON_RATE_LIMITED && !v->count_account_failure &&
                       !v->creates_package;
        return v->result == AUTHZ_BAD_OTP && streq_ptr(v->reason, bad_otp_reason(outcome)) &&
               v->code == (outcome == OTP_CHECK_REPLAYED ? REASON_REPLAYED_OTP : REASON_BAD_OTP) &&
               v->count_account_failure && !v->creates_package && !v->announce;
}

static void test_otp_table(void) {
        size_t n = 0, bad = 0, checked = 0;

        for (TokenType type = 0; type < _TOKEN_TYPE_MAX; type++)
        for (TokenOwner owner = 0; owner < _TOKEN_OWNER_MAX; owner++)
        for (TwoFactorMode mode = 0; mode < _TWOFA_MODE_MAX; mode++)
        for (int policy = -1; policy < _PACKAGE_POLICY_MAX; policy++)   /* -1: the package does not exist */
        for (Action action = 0; action < _ACTION_MAX; action++)
        for (int otp_given = 0; otp_given <= 1; otp_given++)
        for (size_t o = 0; o < ELEMENTSOF(outcomes); o++) {
                TokenFacts t = {
                        .type = type,
                        .owner = owner,
                        .account_2fa = owner == TOKEN_OWNER_PACKAGE ? TWOFA_DISABLED : mode,
                };
                static char *exact[] = { TARGET, NULL };
                PackageFacts p = {
                        .exists = policy >= 0,
                        .policy = policy >= 0 ? (PackagePolicy) policy : POLICY_NONE,
                        .account_maintains = true,
                };
                AuthorizeFacts f;
                AuthorizeVerdict v;
                Checker c = { outcomes[o], 0 };

                if (owner == TOKEN_OWNER_PACKAGE)
                        t.scope = exact;
                f = facts(&t, &p, action);
                f.token_account = owner == TOKEN_OWNER_PACKAGE ? "" : "alice";
                f.otp_given = otp_given;
                v = authorize_verdict(&f, check_otp, &c);
                n++;
                checked += c.calls;
                if (!agrees(&f, outcomes[o], &v, c.calls)) {
                        if (bad++ < 5)
                                tap_diag("  %s %s token, 2fa %s, policy %s, %s, otp %s, outcome %d: got %s (%s), %u checks",
                                         token_owner_to_string(owner), token_type_to_string(type), twofa_mode_to_string(mode),
                                         policy >= 0 ? package_policy_to_string(policy) : "(new package)",
                                         action_to_string(action), otp_given ? "given" : "none", outcomes[o],
                                         name(v.result), v.reason ?: "(null)", c.calls);
                }
                if (v.error == 0 && (v.record != action_is_write(action) ||
                                     v.note_use != (!action_is_write(action) && v.result == AUTHZ_ALLOWED) ||
                                     v.announce != (action == ACTION_PUBLISH && v.result == AUTHZ_ALLOWED) ||
                                     v.count_remote_failure != (v.result == AUTHZ_INVALID) || !v.token_identified))
                        if (bad++ < 5)
                                tap_diag("  recording flags wrong for %s %s, %s", token_type_to_string(type),
                                         action_to_string(action), name(v.result));
        }

        CHECK(bad == 0, "OTP table: %zu combinations agree with the two-pass decision, the checker called only "
              "when the code decides", n);
        CHECK(checked > 0, "OTP table: the checker was needed %zu times", checked);
}

static void test_no_checker(void) {
        TokenFacts t = live_token();
        PackageFacts p = { .exists = true, .policy = POLICY_2FA_ONLY, .account_maintains = true };
        AuthorizeFacts f = facts(&t, &p, ACTION_PUBLISH);
        AuthorizeVerdict v;

        f.otp_given = true;
        v = authorize_verdict(&f, NULL, NULL);
        expect("OTP given but no checker", &v, AUTHZ_OTP_REQUIRED, "OTP required");
}

/* ---------------------------------------------------------------------------------------- */
/* Verify: reason codes of the steps around the token's decision, and two-phase writes */

static void expect_code(const char *what, const AuthorizeVerdict *v, AuthzResult result, ReasonCode code) {
        if (!CHECK(v->result == result && v->code == code, "Verify: %s → %s/%s", what, name(result),
                   reason_code_to_string(code)))
                tap_diag("  got %s/%s (\"%s\")", name(v->result), reason_code_to_string(v->code) ?: "?",
                         v->reason ?: "(null)");
}

static void test_verify(void) {
        TokenFacts t = live_token();
        PackageFacts p = { .exists = true, .policy = POLICY_NONE, .account_maintains = true };
        PackageFacts none = {};
        AuthorizeFacts f = facts(&t, &p, ACTION_PUBLISH);
        AuthorizeVerdict v;

        f.two_phase = true;
        f.rate_limited = true;
        v = authorize_verdict(&f, check_otp, &(Checker) {});
        expect_code("rate-limited remote", &v, AUTHZ_RATE_LIMITED, REASON_RATE_LIMITED);
        f.rate_limited = false;

        f.token_format = -EBADMSG;
        v = authorize_verdict(&f, check_otp, &(Checker) {});
        expect_code("bad checksum", &v, AUTHZ_INVALID, REASON_UNKNOWN);
        f.token_format = -EINVAL;
        v = authorize_verdict(&f, check_otp, &(Checker) {});
        expect_code("malformed token", &v, AUTHZ_INVALID, REASON_UNKNOWN);
        f.token_format = 0;
        f.token_found = false;
        v = authorize_verdict(&f, check_otp, &(Checker) {});
        expect_code("unknown token", &v, AUTHZ_INVALID, REASON_UNKNOWN);
        f.token_found = true;
        f.claimed_account = "bob";
        v = authorize_verdict(&f, check_otp, &(Checker) {});
        expect_code("token of another account", &v, AUTHZ_INVALID, REASON_UNKNOWN);
        f.claimed_account = "";

        t.type = TOKEN_AUTOMATION;
        f.package = &none;
        v = authorize_verdict(&f, check_otp, &(Checker) {});
        expect_code("two-phase publish of a new package", &v, AUTHZ_ALLOWED, REASON_OK);
        CHECK(v.record && v.creates_package && !v.announce,
              "  ... recorded, will create the package, announced only when it finishes");

        for (Action a = ACTION_UNPUBLISH; a <= ACTION_OWNER; a++) {
                f.action = a;
                v = authorize_verdict(&f, check_otp, &(Checker) {});
                expect_code(action_to_string(a), &v, AUTHZ_FORBIDDEN, REASON_NO_SUCH_PACKAGE);
                CHECK(v.record && !v.creates_package && !v.announce, "  ... recorded, creates nothing");
        }
        f.package = &p;
        v = authorize_verdict(&f, check_otp, &(Checker) {});
        expect_code("automation token changing owners", &v, AUTHZ_FORBIDDEN, REASON_GOVERNANCE);

        f.action = ACTION_IDENTITY;
        f.package_name = "";
        f.package = NULL;
        v = authorize_verdict(&f, check_otp, &(Checker) {});
        expect_code("identity", &v, AUTHZ_ALLOWED, REASON_OK);
        CHECK(!v.record && v.note_use && v.token_identified, "  ... not recorded, use noted");
}

/* Issue 10: a rotated-out secret after its grace takes its lineage down, even on a read;
 * during the grace it is an ordinary token. */
static void test_rotated_reuse(void) {
        TokenFacts t = live_token();
        AuthorizeFacts f = facts(&t, NULL, ACTION_READ);
        AuthorizeVerdict v;

        t.rotated_until = NOW + 1;
        v = authorize_verdict(&f, check_otp, &(Checker) {});
        CHECK(v.result == AUTHZ_ALLOWED && !v.revoke_lineage, "rotated-out read within the grace: allowed, nothing revoked");
        t.rotated_until = NOW;
        v = authorize_verdict(&f, check_otp, &(Checker) {});
        expect_code("rotated-out read after the grace", &v, AUTHZ_INVALID, REASON_ROTATED_REUSE);
        CHECK(v.revoke_lineage && v.token_identified && !v.note_use,
              "  ... revoke the lineage, name the token, note no use");
        t.revoked_at = NOW - 1;
        v = authorize_verdict(&f, check_otp, &(Checker) {});
        CHECK(v.code == REASON_REVOKED && !v.revoke_lineage, "  ... once revoked: revoked, nothing more to do");
}

int main(void) {
        test_before_the_token();
        test_rotated_reuse();
        test_verify();
        test_recording();
        test_otp_table();
        test_no_checker();

        return tap_finish();
}
