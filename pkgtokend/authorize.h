/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Authorize and Verify, the hot path: may this token read or publish this package now?  Gathers the
 * facts (as few store calls as the answer needs), takes the verdict of
 * common/authorize-verdict.c once, and carries out what it says. */

#include "code-reuse.h"
#include "last-used.h"
#include "lockout.h"
#include "model.h"
#include "store.h"

typedef struct Authorizer {
        Store *store;
        const Lockout *lockout;      /* wrong OTPs count toward the token account's lockout */
        RateLimit *ratelimit;        /* guessed tokens count against the remote */
        LastUsed *last_used;
        CodeReuse *code_reuse;       /* NULL: a code never repeats */
        /* Told of each token revoked because a rotated-out secret came back (rotation.h),
         * after the commit; NULL: nobody to tell. */
        void (*revoked)(const char *id, void *userdata);
        void *userdata;
} Authorizer;

typedef struct AuthorizeRequest {
        const char *token;           /* the secret */
        const char *package;         /* canonical */
        Action action;
        const char *remote;          /* "" when unknown, else a valid address */
        const char *otp;             /* "" none */
        const char *account;         /* "" or "__token__": any; else the token must be this account's */
        /* Verify: an allowed write is audited as pending and changes nothing until FinishPublish. */
        bool two_phase;
        const char *version;         /* "" none; recorded in the audit */
        const char *integrity;       /* "stage": the tarball's "sha512-..." integrity */
} AuthorizeRequest;

typedef struct AuthorizeAnswer {
        AuthzResult result;
        ReasonCode code;
        const char *reason;          /* static */
        char *actor;                 /* NULL when the token was not identified */
        TokenRecord token;           /* token.id NULL when not identified */
        bool announce;               /* emit PackagePublished */
        char *publish_id;            /* two-phase: the pending write of an allowed write */
        bool new_package;            /* an allowed publish of a package that does not exist yet */
} AuthorizeAnswer;
void authorize_answer_done(AuthorizeAnswer *a);

/* The actor as people read it: `alice (Token "ci")`, or `Token "x"` for package tokens. */


/* Fills *ret and returns 0, or a negative errno when the store failed (nothing answered). */
int authorize(const Authorizer *a, const AuthorizeRequest *q, usec_t now, AuthorizeAnswer *ret);
