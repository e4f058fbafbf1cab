/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "decision.h"
#include "governance.h"
#include "strv.h"
#include "validate.h"

/* The decision table (docs/ARCHITECTURE.md, "Authorize").  authz_decide() walks the steps in the documented order
 * and stops at the first one that says no; every "no" has its own short reason so that logs
 * and audit records explain themselves.  Nothing here may ever echo the token. */

static Decision verdict(AuthzResult result, ReasonCode code, const char *reason) {
        return (Decision) {
                .result = result,
                .code = code,
                .reason = reason,
        };
}

static bool strv_isempty(char * const *l) {
        return !l || !l[0];
}

static bool facts_are_sane(const TokenFacts *token, const PackageFacts *package, Action action) {
        if (!token || !package)
                return false;

        /* The enums come from the database and the bus; a value we do not know must not fall
         * through to a default branch that allows. */
        if ((unsigned) token->type >= _TOKEN_TYPE_MAX ||
            (unsigned) token->owner >= _TOKEN_OWNER_MAX ||
            (unsigned) action >= _ACTION_MAX)
                return false;
        if (package->exists && (unsigned) package->policy >= _PACKAGE_POLICY_MAX)
                return false;
        if ((unsigned) token->account_2fa >= _TWOFA_MODE_MAX)
                return false;
        /* A package token has no person behind it to hold a second factor. */
        if (token->owner == TOKEN_OWNER_PACKAGE && token->account_2fa != TWOFA_DISABLED)
                return false;

        return true;
}

/* An empty allow-list means "from anywhere".  Otherwise the remote has to be known and inside
 * one entry; an entry that does not parse never matches, so a damaged list locks out rather
 * than opens up. */
static bool remote_is_allowed(char * const *cidrs, const char *remote) {
        uint8_t addr[16];
        int family;

        if (strv_isempty(cidrs))
                return true;

        if (isempty(remote) || address_parse(remote, &family, addr) < 0)
                return false;

        STRV_FOREACH(s, cidrs) {
                Cidr c;

                if (cidr_parse(*s, &c) < 0)
                        continue;
                if (cidr_contains(&c, family, addr))
                        return true;
        }

        return false;
}

/* Account tokens carry patterns (such as "left-pad*", or "@acme/" plus "*"); package tokens
 * list the packages that own them by exact name, so a wildcard that got into one matches
 * nothing. */
static bool scope_matches(const TokenFacts *token, const char *package_name) {
        if (isempty(package_name))
                return false;

        STRV_FOREACH(s, token->scope) {
                if (token->owner == TOKEN_OWNER_PACKAGE ? streq(*s, package_name)
                                                         : scope_pattern_matches(*s, package_name))
                        return true;
        }

        return false;
}

#define OUT_OF_SCOPE verdict(AUTHZ_FORBIDDEN, REASON_OUT_OF_SCOPE, "package out of token scope")

/* The scope step.  Returns true when the token may act on the package, or false and the
 * refusal in *ret. */
static bool scope_allows(const TokenFacts *token, const PackageFacts *package, const char *package_name,
                         Action action, Decision *ret) {
        bool scoped = !strv_isempty(token->scope);

        /* An unscoped token may read anything the registry serves. */
        if (action == ACTION_READ) {
                if (!scoped || scope_matches(token, package_name))
                        return true;
                *ret = OUT_OF_SCOPE;
                return false;
        }

        if (token->owner == TOKEN_OWNER_PACKAGE) {
                /* A package token belongs to its packages: it has no account whose packages an
                 * empty scope could stand for, and no account to become the maintainer of a
                 * new package. */
                if (!scope_matches(token, package_name))
                        *ret = OUT_OF_SCOPE;
                else if (!package->exists)
                        *ret = verdict(AUTHZ_FORBIDDEN, REASON_NO_SUCH_PACKAGE,
                                       action == ACTION_PUBLISH ? "package tokens cannot create packages"
                                                                : "no such package");
                else
                        return true;
                return false;
        }

        if (scoped && !scope_matches(token, package_name))
                *ret = OUT_OF_SCOPE;
        /* Only publishing creates a package (with the publishing account as its maintainer);
         * the other writes change what exists. */
        else if (!package->exists && action != ACTION_PUBLISH)
                *ret = verdict(AUTHZ_FORBIDDEN, REASON_NO_SUCH_PACKAGE, "no such package");
        /* Only stored maintainers count. */
        else if (package->exists && !package->account_maintains)
                *ret = verdict(AUTHZ_FORBIDDEN, REASON_NOT_MAINTAINER, "not a maintainer");
        else
                return true;
        return false;
}

/* The publishing-policy step, for a token that may publish at all.  Publish and session
 * tokens stand for a person, who proves presence with an OTP where the package's policy or
 * the account's own 2FA mode asks for it; automation tokens stand for CI, which has no OTP. */
static Decision policy_verdict(const TokenFacts *token, PackagePolicy policy, bool otp_verified) {
        bool otp_needed;

        /* The issuer's signature, the trusted publisher's claims and a minutes-long life stand
         * in for the OTP, under every policy: "2fa-only" refuses stored tokens, and this one
         * was never stored anywhere. */
        if (token->type == TOKEN_TRUSTED_PUBLISHING)
                return verdict(AUTHZ_ALLOWED, REASON_OK, "allowed");

        switch (policy) {

        case POLICY_NONE:
                if (token->type == TOKEN_AUTOMATION)
                        return verdict(AUTHZ_ALLOWED, REASON_OK, "allowed");
                otp_needed = token->account_2fa == TWOFA_AUTH_AND_WRITES;
                break;

        case POLICY_2FA_OR_AUTOMATION:
                /* Automation tokens exist precisely so CI can publish without a human. */
                if (token->type == TOKEN_AUTOMATION)
                        return verdict(AUTHZ_ALLOWED, REASON_OK, "allowed");
                otp_needed = true;
                break;

        case POLICY_2FA_ONLY:
                if (token->type == TOKEN_AUTOMATION)
                        return verdict(AUTHZ_FORBIDDEN, REASON_TOKENS_DISALLOWED,
                                       "automation tokens are not allowed for this package");
                otp_needed = true;
                break;

        default:
                return verdict(AUTHZ_FORBIDDEN, REASON_INVALID_ARGUMENT, "unknown publishing policy");
        }

        if (!otp_needed || otp_verified)
                return verdict(AUTHZ_ALLOWED, REASON_OK, "allowed");
        /* Asking for an OTP that nobody can give would only loop: say what is missing. */
        if (token->account_2fa == TWOFA_DISABLED)
                return verdict(AUTHZ_FORBIDDEN, REASON_OTP_REQUIRED, token->owner == TOKEN_OWNER_PACKAGE
                               ? "OTP required: package tokens cannot give one, use an automation token"
                               : "OTP required: enable two-factor authentication for the account");
        return verdict(AUTHZ_OTP_REQUIRED, REASON_OTP_REQUIRED, "OTP required");
}

/* Staging publishes nothing: the person who approves proves presence then, so no OTP is asked
 * now (CI stages with automation tokens).  A 2fa-only package still wants a person behind
 * every step, so tokens that publish without one stay out. */
static Decision stage_verdict(const TokenFacts *token, PackagePolicy policy) {
        if (policy == POLICY_2FA_ONLY && (token->type == TOKEN_AUTOMATION || token->owner == TOKEN_OWNER_PACKAGE))
                return verdict(AUTHZ_FORBIDDEN, REASON_TOKENS_DISALLOWED,
                               "automation and package tokens cannot stage versions of this package");
        return verdict(AUTHZ_ALLOWED, REASON_OK, "allowed");
}

static Decision owner_verdict(const TokenFacts *token, bool otp_verified) {
        GovernanceVerdict g = governance_decide(&(const GovernanceFacts) {
                .proof = PROOF_TOKEN,
                .type = token->type,
                .owner = token->owner,
                .account_2fa = token->account_2fa,
                .otp_given = otp_verified,
                .on_hold = token->account_on_hold,
        }, GOVERN_MAINTAINERS);

        switch (g.result) {
        case GOVERNANCE_ALLOWED:
        case GOVERNANCE_CHECK_OTP:   /* given means checked here (see decision.h) */
                return verdict(AUTHZ_ALLOWED, REASON_OK, "allowed");
        case GOVERNANCE_OTP_REQUIRED:
                return verdict(AUTHZ_OTP_REQUIRED, REASON_OTP_REQUIRED, "OTP required");
        default:
                return verdict(AUTHZ_FORBIDDEN, g.code, g.message);
        }
}

TokenState token_state(usec_t revoked_at, usec_t expires_at, usec_t now) {
        if (revoked_at != 0)
                return TOKEN_STATE_REVOKED;
        if (expires_at != 0 && now >= expires_at)
                return TOKEN_STATE_EXPIRED;
        return TOKEN_STATE_ACTIVE;
}

Decision authz_decide(const TokenFacts *token, const PackageFacts *package, const char *package_name,
                      Action action, const char *remote, bool otp_verified, usec_t now) {

        PackagePolicy policy;
        Decision d;

        if (!facts_are_sane(token, package, action))
                return verdict(AUTHZ_FORBIDDEN, REASON_INVALID_ARGUMENT, "invalid request");
        /* A write must name what it changes (a publish may create it): a registry that cannot
         * tell the package (an upload to /legacy/) still asks, so that the refusal is in the
         * audit with who tried.  An identity question is about the token alone. */
        if (action_is_write(action) && isempty(package_name))
                return verdict(AUTHZ_FORBIDDEN, REASON_INVALID_ARGUMENT, "the request names no package");
        if (action == ACTION_IDENTITY && !isempty(package_name))
                return verdict(AUTHZ_FORBIDDEN, REASON_INVALID_ARGUMENT, "invalid request");

        /* A dead token is "invalid" (401), like an unknown one, so a client asks for a new
         * token instead of for different permissions. */
        /* A rotated-out secret after its grace, expired or not: a copy is in someone's hands
         * (GitLab's reuse detection); the caller revokes the whole lineage. */
        if (token->revoked_at == 0 && token->rotated_until != 0 && now >= token->rotated_until)
                return verdict(AUTHZ_INVALID, REASON_ROTATED_REUSE,
                               "rotated-out token used again: all its rotations are revoked");
        switch (token_state(token->revoked_at, token->expires_at, now)) {
        case TOKEN_STATE_REVOKED:
                return verdict(AUTHZ_INVALID, REASON_REVOKED, "token revoked");
        case TOKEN_STATE_EXPIRED:
                return verdict(AUTHZ_INVALID, REASON_EXPIRED, "token expired");
        default:
                break;
        }

        /* Only account tokens act as an account; a package token outlives its creator and
         * whatever happens to the creator's account. */
        if (token->owner == TOKEN_OWNER_ACCOUNT && token->account_locked)
                return verdict(AUTHZ_FORBIDDEN, REASON_ACCOUNT_LOCKED, "account locked");

        /* After a recovery the account reads but writes nothing until the hold ends. */
        if (token->owner == TOKEN_OWNER_ACCOUNT && token->account_on_hold && action_is_write(action))
                return verdict(AUTHZ_FORBIDDEN, REASON_RECOVERY_HOLD,
                               "account on hold after a recovery: reads only until the hold ends");

        if (!remote_is_allowed(token->cidrs, remote))
                return verdict(AUTHZ_FORBIDDEN, REASON_ADDRESS_NOT_ALLOWED, "address not allowed");

        if (action == ACTION_IDENTITY)
                return verdict(AUTHZ_ALLOWED, REASON_OK, "allowed");

        if (!scope_allows(token, package, package_name, action, &d))
                return d;

        if (action == ACTION_READ)
                return verdict(AUTHZ_ALLOWED, REASON_OK, "allowed");

        if (token->type == TOKEN_READ_ONLY)
                return verdict(AUTHZ_FORBIDDEN, REASON_READ_ONLY, "read-only token");

        /* A token minted from a CI's ID token stands for one workflow's publish, nothing more. */
        if (token->type == TOKEN_TRUSTED_PUBLISHING && action != ACTION_PUBLISH)
                return verdict(AUTHZ_FORBIDDEN, REASON_GOVERNANCE, "trusted-publishing tokens only publish");
        if (action == ACTION_PUBLISH && package->trusted_publishing_only && token->type != TOKEN_TRUSTED_PUBLISHING)
                return verdict(AUTHZ_FORBIDDEN, REASON_TRUSTED_PUBLISHING_ONLY,
                               "this package takes publishes through trusted publishing only");

        /* Maintainers are governance (common/governance.c): only a person with a current
         * second factor changes who may publish, whatever the package's policy. */
        if (action == ACTION_OWNER)
                return owner_verdict(token, otp_verified);

        /* A package that requires approval takes new versions only through a stage, whatever
         * the token and however many codes come with it. */
        if (action == ACTION_PUBLISH && package->exists && package->requires_approval)
                return verdict(AUTHZ_FORBIDDEN, REASON_STAGE_REQUIRED, STAGE_REQUIRED_MESSAGE);

        /* A package that does not exist yet will get the default policy, so judge the publish
         * that creates it by that policy. */
        policy = package->exists ? package->policy : PACKAGE_POLICY_DEFAULT;
        if (action == ACTION_STAGE)
                return stage_verdict(token, policy);
        d = policy_verdict(token, policy, otp_verified);
        d.creates_package = d.result == AUTHZ_ALLOWED && !package->exists && action == ACTION_PUBLISH;
        return d;
}
