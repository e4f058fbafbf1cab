/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The whole Authorize verdict as one pure function of facts: the steps before the token's
 * own decision (rate limit, format and checksum, lookup, claimed account), authz_decide(),
 * the OTP step after it, and what the daemon records.  pkgtokend/authorize.c gathers the
 * facts, calls authorize_verdict() once and carries out what it says. */

#include <stdbool.h>

#include "decision.h"

typedef struct AuthorizeFacts {
        bool rate_limited;            /* the remote used up its failures: nothing else is looked at */
        int token_format;             /* token_check_format(): 0, -EBADMSG (checksum), other < 0 */
        bool token_found;             /* a token with this hash is stored */
        const TokenFacts *token;      /* when found */
        const char *token_account;    /* the token's account name; "" for package tokens */
        const char *claimed_account;  /* who the front end says presents it; "" or "__token__": nobody */
        const PackageFacts *package;  /* when found; loaded for publishes only */
        const char *package_name;     /* canonical */
        Action action;
        const char *remote;           /* "" when unknown */
        bool otp_given;
        bool two_phase;               /* Verify: an allowed write is pending until FinishPublish */
        usec_t now;
} AuthorizeFacts;

typedef struct AuthorizeVerdict {
        AuthzResult result;
        ReasonCode code;                 /* for programs (Verify) */
        const char *reason;              /* static, never contains a secret */
        bool token_identified;           /* the reply and the audit record name the token */
        const char *anonymous_actor;     /* the audit actor otherwise */
        bool creates_package;            /* an allowed publish of a new package creates it (two-phase:
                                          * when it finishes) */
        bool record;                     /* writes: audit record (and use) on disk before the answer */
        bool note_use;                   /* allowed reads: last use written back later */
        bool count_remote_failure;       /* a guess: counts against the remote address */
        bool count_account_failure;      /* a wrong code: counts toward the account's lockout */
        bool announce;                   /* emit PackagePublished (two-phase: when it finishes) */
        bool revoke_lineage;             /* a rotated-out secret reused: revoke all its rotations, alarm */
        int error;                       /* < 0: the OTP checker failed, fail the call */
} AuthorizeVerdict;

/* check_otp is called at most once, inside the publish's transaction, only when an OTP was
 * given and the token's decision is AUTHZ_OTP_REQUIRED. */
AuthorizeVerdict authorize_verdict(const AuthorizeFacts *f, OtpChecker check_otp, void *userdata);
