/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>

#include "authorize-verdict.h"
#include "names.h"

/* A token that cannot be identified is answered and recorded without a name: its actor and
 * id stay out of the reply, the audit says who was not recognised. */
static AuthorizeVerdict anonymous(const AuthorizeFacts *f, AuthzResult result, ReasonCode code,
                                  const char *reason, const char *actor, bool guess) {
        return (AuthorizeVerdict) {
                .result = result,
                .code = code,
                .reason = reason,
                .anonymous_actor = actor,
                .record = action_is_write(f->action),
                .count_remote_failure = guess,
        };
}

static bool claimed_by_another(const AuthorizeFacts *f) {
        if (isempty(f->claimed_account) || streq(f->claimed_account, PKGTOKEN_ANY_ACCOUNT))
                return false;
        return f->token->owner != TOKEN_OWNER_ACCOUNT || !streq_ptr(f->token_account, f->claimed_account);
}

/* The OTP step: a publish that needs an OTP and came with one.  The code counts as the token
 * account's second factor: a wrong one counts toward that account's lockout. */
static void otp_step(const AuthorizeFacts *f, AuthorizeVerdict *v, OtpChecker check_otp, void *userdata) {
        int r = check_otp(userdata);

        if (r < 0) {
                v->error = r;
                return;
        }
        switch (r) {
        case OTP_CHECK_VALID:
                /* authz_decide() with otp_verified=true says exactly this (see decision.h). */
                v->result = AUTHZ_ALLOWED;
                v->code = REASON_OK;
                v->reason = "allowed";
                v->creates_package = !f->package->exists && f->action == ACTION_PUBLISH;
                return;
        case OTP_CHECK_LOCKED_OUT:
                v->result = AUTHZ_RATE_LIMITED;
                v->code = REASON_RATE_LIMITED;
                v->reason = "too many failed attempts; the account is locked for a while";
                return;
        case OTP_CHECK_REPLAYED:
                v->code = REASON_REPLAYED_OTP;
                v->reason = "OTP already used";
                break;
        case OTP_CHECK_MALFORMED:
                v->code = REASON_BAD_OTP;
                v->reason = "malformed OTP";
                break;
        default:
                v->code = REASON_BAD_OTP;
                v->reason = "wrong OTP";
                break;
        }
        v->result = AUTHZ_BAD_OTP;
        v->count_account_failure = true;
}

AuthorizeVerdict authorize_verdict(const AuthorizeFacts *f, OtpChecker check_otp, void *userdata) {
        AuthorizeVerdict v;
        Decision d;

        /* A guesser past its limit learns nothing, not even whether the token is well-formed. */
        if (f->rate_limited)
                return anonymous(f, AUTHZ_RATE_LIMITED, REASON_RATE_LIMITED, "too many failed attempts from this address",
                                 "unchecked token", false);

        /* Format and checksum first: a typo or a random guess costs no lookup. */
        if (f->token_format < 0)
                return anonymous(f, AUTHZ_INVALID, REASON_UNKNOWN, f->token_format == -EBADMSG ? "token checksum mismatch"
                                                                             : "malformed token",
                                 "unknown token", true);
        if (!f->token_found || !f->token)
                return anonymous(f, AUTHZ_INVALID, REASON_UNKNOWN, "unknown token", "unknown token", true);
        /* A front end that knows who claims the token (HTTP Basic, PAM) says so; a token of
         * another account is as good as unknown. */
        if (claimed_by_another(f))
                return anonymous(f, AUTHZ_INVALID, REASON_UNKNOWN, "token belongs to another account", "unknown token", true);

        d = authz_decide(f->token, f->package ?: &(const PackageFacts) {}, f->package_name, f->action,
                         f->remote, /* otp_verified= */ false, f->now);
        v = (AuthorizeVerdict) {
                .result = d.result,
                .code = d.code,
                .reason = d.reason,
                .token_identified = true,
                .creates_package = d.creates_package,
        };

        if (d.result == AUTHZ_OTP_REQUIRED && f->otp_given && f->token->owner == TOKEN_OWNER_ACCOUNT &&
            f->package && check_otp) {
                otp_step(f, &v, check_otp, userdata);
                if (v.error < 0)
                        return v;
        }

        v.record = action_is_write(f->action);
        v.note_use = !v.record && v.result == AUTHZ_ALLOWED;
        /* A dead token suggests guessing too; a wrong OTP is counted with the account's
         * lockout (which also counts it against the remote). */
        v.count_remote_failure = v.result == AUTHZ_INVALID;
        v.announce = f->action == ACTION_PUBLISH && v.result == AUTHZ_ALLOWED && !f->two_phase;
        v.revoke_lineage = v.code == REASON_ROTATED_REUSE;
        return v;
}
