/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "decision.h"
#include "strv.h"
#include "validate.h"

/* The decision table (docs/ARCHITECTURE.md, "Authorize").  authz_decide() walks the steps in the documented order
 * and stops at the first one that says no; every "no" has its own short reason so that logs
 * and audit records explain themselves.  Nothing here may ever echo the token. */

static Decision verdict(AuthzResult result, const char *reason) {
        return (Decision) {
                .result = result,
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

/* The scope step.  Returns NULL when the token may act on the package, or the reason why
 * not. */
static const char *scope_refusal(const TokenFacts *token, const PackageFacts *package,
                                 const char *package_name, Action action) {
        bool scoped = !strv_isempty(token->scope);

        /* An unscoped token may read anything the registry serves. */
        if (action == ACTION_READ)
                return !scoped || scope_matches(token, package_name) ? NULL : "package out of token scope";

        if (token->owner == TOKEN_OWNER_PACKAGE) {
                /* A package token belongs to its packages: it has no account whose packages an
                 * empty scope could stand for, and no account to become the maintainer of a
                 * new package. */
                if (!scope_matches(token, package_name))
                        return "package out of token scope";
                if (!package->exists)
                        return "package tokens cannot create packages";
                return NULL;
        }

        if (scoped && !scope_matches(token, package_name))
                return "package out of token scope";

        /* Only stored maintainers count.  A package that does not exist yet is created with
         * the publishing account as its maintainer. */
        if (package->exists && !package->account_maintains)
                return "not a maintainer";

        return NULL;
}

/* The publishing-policy step, for a token that may publish at all.  Publish and session
 * tokens stand for a person, who proves presence with an OTP where the package's policy or
 * the account's own 2FA mode asks for it; automation tokens stand for CI, which has no OTP. */
static Decision policy_verdict(const TokenFacts *token, PackagePolicy policy, bool otp_verified) {
        bool otp_needed;

        switch (policy) {

        case POLICY_NONE:
                if (token->type == TOKEN_AUTOMATION)
                        return verdict(AUTHZ_ALLOWED, "allowed");
                otp_needed = token->account_2fa == TWOFA_AUTH_AND_WRITES;
                break;

        case POLICY_2FA_OR_AUTOMATION:
                /* Automation tokens exist precisely so CI can publish without a human. */
                if (token->type == TOKEN_AUTOMATION)
                        return verdict(AUTHZ_ALLOWED, "allowed");
                otp_needed = true;
                break;

        case POLICY_2FA_ONLY:
                if (token->type == TOKEN_AUTOMATION)
                        return verdict(AUTHZ_FORBIDDEN,
                                       "automation tokens are not allowed for this package");
                otp_needed = true;
                break;

        default:
                return verdict(AUTHZ_FORBIDDEN, "unknown publishing policy");
        }

        if (!otp_needed || otp_verified)
                return verdict(AUTHZ_ALLOWED, "allowed");
        /* Asking for an OTP that nobody can give would only loop: say what is missing. */
        if (token->account_2fa == TWOFA_DISABLED)
                return verdict(AUTHZ_FORBIDDEN, token->owner == TOKEN_OWNER_PACKAGE
                               ? "OTP required: package tokens cannot give one, use an automation token"
                               : "OTP required: enable two-factor authentication for the account");
        return verdict(AUTHZ_OTP_REQUIRED, "OTP required");
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
        const char *refusal;
        Decision d;

        if (!facts_are_sane(token, package, action))
                return verdict(AUTHZ_FORBIDDEN, "invalid request");
        /* A publish must name what it publishes: it may create that package.  A registry that
         * cannot tell the package (an upload to /legacy/) still asks, so that the refusal is
         * in the audit with who tried. */
        if (action == ACTION_PUBLISH && isempty(package_name))
                return verdict(AUTHZ_FORBIDDEN, "the request names no package");

        /* A dead token is "invalid" (401), like an unknown one, so a client asks for a new
         * token instead of for different permissions. */
        switch (token_state(token->revoked_at, token->expires_at, now)) {
        case TOKEN_STATE_REVOKED:
                return verdict(AUTHZ_INVALID, "token revoked");
        case TOKEN_STATE_EXPIRED:
                return verdict(AUTHZ_INVALID, "token expired");
        default:
                break;
        }

        /* Only account tokens act as an account; a package token outlives its creator and
         * whatever happens to the creator's account. */
        if (token->owner == TOKEN_OWNER_ACCOUNT && token->account_locked)
                return verdict(AUTHZ_FORBIDDEN, "account locked");

        if (!remote_is_allowed(token->cidrs, remote))
                return verdict(AUTHZ_FORBIDDEN, "address not allowed");

        refusal = scope_refusal(token, package, package_name, action);
        if (refusal)
                return verdict(AUTHZ_FORBIDDEN, refusal);

        if (action == ACTION_READ)
                return verdict(AUTHZ_ALLOWED, "allowed");

        if (token->type == TOKEN_READ_ONLY)
                return verdict(AUTHZ_FORBIDDEN, "read-only token");

        /* A package that does not exist yet will get the default policy, so judge the publish
         * that creates it by that policy. */
        policy = package->exists ? package->policy : PACKAGE_POLICY_DEFAULT;
        d = policy_verdict(token, policy, otp_verified);
        d.creates_package = d.result == AUTHZ_ALLOWED && !package->exists;
        return d;
}
