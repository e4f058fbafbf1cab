/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "macro.h"
#include "model.h"

/* One lookup in each direction, shared by every enum below.  Tables are indexed by the enum
 * value, so a hole (a NULL entry) or an out-of-range value is simply "unknown". */

static const char *string_table_lookup_to(const char * const *table, size_t n, int i) {
        if (i < 0 || (size_t) i >= n)
                return NULL;
        return table[i];
}

static int string_table_lookup_from(const char * const *table, size_t n, const char *s) {
        if (!s)
                return -EINVAL;

        for (size_t i = 0; i < n; i++)
                if (streq_ptr(table[i], s))
                        return (int) i;

        return -EINVAL;
}

#define DEFINE_STRING_TABLE_LOOKUP(name, type)                                           \
        const char *name##_to_string(type v) {                                           \
                return string_table_lookup_to(name##_table, ELEMENTSOF(name##_table), v); \
        }                                                                                \
        int name##_from_string(const char *s) {                                          \
                return string_table_lookup_from(name##_table, ELEMENTSOF(name##_table), s); \
        }

static const char * const account_kind_table[_ACCOUNT_KIND_MAX] = {
        [ACCOUNT_HUMAN]   = "human",
        [ACCOUNT_SERVICE] = "service",
};
DEFINE_STRING_TABLE_LOOKUP(account_kind, AccountKind);

static const char * const package_policy_table[_PACKAGE_POLICY_MAX] = {
        [POLICY_NONE]              = "none",
        [POLICY_2FA_OR_AUTOMATION] = "2fa-or-automation",
        [POLICY_2FA_ONLY]          = "2fa-only",
};
DEFINE_STRING_TABLE_LOOKUP(package_policy, PackagePolicy);

static const char * const token_type_table[_TOKEN_TYPE_MAX] = {
        [TOKEN_READ_ONLY]  = "read-only",
        [TOKEN_PUBLISH]    = "publish",
        [TOKEN_AUTOMATION] = "automation",
        [TOKEN_SESSION]    = "session",
        [TOKEN_TRUSTED_PUBLISHING] = "trusted-publishing",
};
DEFINE_STRING_TABLE_LOOKUP(token_type, TokenType);

static const char * const token_owner_table[_TOKEN_OWNER_MAX] = {
        [TOKEN_OWNER_ACCOUNT] = "account",
        [TOKEN_OWNER_PACKAGE] = "package",
};
DEFINE_STRING_TABLE_LOOKUP(token_owner, TokenOwner);

static const char * const action_table[_ACTION_MAX] = {
        [ACTION_READ]    = "read",
        [ACTION_PUBLISH]   = "publish",
        [ACTION_UNPUBLISH] = "unpublish",
        [ACTION_DEPRECATE] = "deprecate",
        [ACTION_DIST_TAG]  = "dist-tag",
        [ACTION_OWNER]     = "owner",
        [ACTION_IDENTITY]  = "identity",
        [ACTION_STAGE]     = "stage",
};
DEFINE_STRING_TABLE_LOOKUP(action, Action);

static const char * const reason_code_table[_REASON_CODE_MAX] = {
        [REASON_OK]                  = "ok",
        [REASON_UNKNOWN]             = "unknown",
        [REASON_REVOKED]             = "revoked",
        [REASON_EXPIRED]             = "expired",
        [REASON_OUT_OF_SCOPE]        = "out-of-scope",
        [REASON_ADDRESS_NOT_ALLOWED] = "address-not-allowed",
        [REASON_READ_ONLY]           = "read-only",
        [REASON_TOKENS_DISALLOWED]   = "tokens-disallowed",
        [REASON_OTP_REQUIRED]        = "otp-required",
        [REASON_BAD_OTP]             = "bad-otp",
        [REASON_REPLAYED_OTP]        = "replayed-otp",
        [REASON_NOT_MAINTAINER]      = "not-maintainer",
        [REASON_RATE_LIMITED]        = "rate-limited",
        [REASON_ACCOUNT_LOCKED]      = "account-locked",
        [REASON_BAD_CREDENTIALS]     = "bad-credentials",
        [REASON_GOVERNANCE]          = "governance",
        [REASON_NO_SUCH_PACKAGE]     = "no-such-package",
        [REASON_LAST_MAINTAINER]     = "last-maintainer",
        [REASON_ALREADY_MAINTAINER]  = "already-maintainer",
        [REASON_INVALID_ARGUMENT]    = "invalid-argument",
        [REASON_UNAVAILABLE]         = "unavailable",
        [REASON_UNKNOWN_ISSUER]      = "unknown-issuer",
        [REASON_BAD_SIGNATURE]       = "bad-signature",
        [REASON_WRONG_AUDIENCE]      = "wrong-audience",
        [REASON_CLAIM_MISMATCH]      = "claim-mismatch",
        [REASON_REPLAYED_JTI]        = "replayed-jti",
        [REASON_NO_TRUSTED_PUBLISHER] = "no-trusted-publisher",
        [REASON_TRUSTED_PUBLISHING_ONLY] = "trusted-publishing-only",
        [REASON_STAGE_REQUIRED]      = "stage-required",
        [REASON_ROTATED_REUSE]       = "rotated-reuse",
        [REASON_RECOVERY_HOLD]       = "recovery-hold",
};
DEFINE_STRING_TABLE_LOOKUP(reason_code, ReasonCode);

static const char * const authz_result_table[_AUTHZ_RESULT_MAX] = {
        [AUTHZ_ALLOWED]      = "allowed",
        [AUTHZ_OTP_REQUIRED] = "otp-required",
        [AUTHZ_FORBIDDEN]    = "forbidden",
        [AUTHZ_INVALID]      = "invalid",
        [AUTHZ_BAD_OTP]      = "bad-otp",
        [AUTHZ_RATE_LIMITED] = "rate-limited",
};
DEFINE_STRING_TABLE_LOOKUP(authz_result, AuthzResult);

static const char * const twofa_mode_table[_TWOFA_MODE_MAX] = {
        [TWOFA_DISABLED]        = "disabled",
        [TWOFA_AUTH_ONLY]       = "auth-only",
        [TWOFA_AUTH_AND_WRITES] = "auth-and-writes",
};
DEFINE_STRING_TABLE_LOOKUP(twofa_mode, TwoFactorMode);

static const char * const authn_result_table[_AUTHN_RESULT_MAX] = {
        [AUTHN_OK]              = "ok",
        [AUTHN_OTP_REQUIRED]    = "otp-required",
        [AUTHN_BAD_CREDENTIALS] = "bad-credentials",
        [AUTHN_BAD_OTP]         = "bad-otp",
        [AUTHN_LOCKED]          = "locked",
        [AUTHN_RATE_LIMITED]    = "rate-limited",
};
DEFINE_STRING_TABLE_LOOKUP(authn_result, AuthnResult);

static const char * const token_state_table[_TOKEN_STATE_MAX] = {
        [TOKEN_STATE_ACTIVE]  = "active",
        [TOKEN_STATE_EXPIRED] = "expired",
        [TOKEN_STATE_REVOKED] = "revoked",
        [TOKEN_STATE_ROTATED] = "rotated",
};
DEFINE_STRING_TABLE_LOOKUP(token_state, TokenState);

static const char * const stage_state_table[_STAGE_STATE_MAX] = {
        [STAGE_STAGED]    = "staged",
        [STAGE_APPROVED]  = "approved",
        [STAGE_PUBLISHED] = "published",
        [STAGE_REJECTED]  = "rejected",
        [STAGE_EXPIRED]   = "expired",
};
DEFINE_STRING_TABLE_LOOKUP(stage_state, StageState);

static const char * const account_state_table[_ACCOUNT_STATE_MAX] = {
        [ACCOUNT_STATE_ACTIVE]     = "active",
        [ACCOUNT_STATE_UNKNOWN]    = "unknown",
        [ACCOUNT_STATE_LOCKED]     = "locked",
        [ACCOUNT_STATE_LOCKED_OUT] = "locked-out",
};
DEFINE_STRING_TABLE_LOOKUP(account_state, AccountState);
