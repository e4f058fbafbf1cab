/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Staged publishing: a version a token put into the registry unpublished, for a maintainer
 * to approve (then the registry publishes the approved bytes and says so) or reject, with a
 * current second factor; stages not decided in StageLifetimeSec= expire.  The rules are
 * common/stage-rules.c; the bus side is bus-stages.c. */

#include "lockout.h"
#include "stage-rules.h"
#include "store.h"

#define STAGE_ID_LEN 36

/* The audit's words for what happens to a stage (a stage's publish is "publish"). */
#define AUDIT_STAGE          "stage"
#define AUDIT_STAGE_APPROVE  "stage-approve"
#define AUDIT_STAGE_REJECT   "stage-reject"
#define AUDIT_STAGE_EXPIRE   "stage-expire"

/* A new stage id: a random (version 4) UUID, as npm expects. */
int stage_id_generate(char ret[static STAGE_ID_LEN + 1]);

/* FinishPublish of a stage, in the caller's transaction: the staged record, audited as
 * "staged PACKAGE@VERSION by ACTOR".  ERR_INVALID_ARGUMENT (*ret_message) when that version
 * waits for approval (or to be published) already. */
int stage_create(Store *s, const PendingPublish *p, usec_t lifetime, usec_t now, const char **ret_message);

/* The stage with its state as of now.  ERR_NO_SUCH_STAGE. */
int stage_load(Store *s, const char *id, usec_t now, StageRecord *ret);

typedef struct StageDecision {
        const Lockout *lockout;
        const char *id;
        bool approve;
        StageDecider decider;
        const char *account;         /* who decides; not for STAGE_DECIDER_ADMIN */
        const TokenRecord *token;    /* a token proof; NULL otherwise */
        const char *otp;             /* STAGE_DECIDER_CODE: checked (and spent) here */
        const char *actor;           /* the audit's name for who decides */
        const char *reason;          /* why ("" none) */
} StageDecision;

/* Approve or reject, in one transaction with the code's check and the audit record.  *ret is
 * the stage as decided.  ERR_NO_SUCH_STAGE, ERR_STAGE_NOT_PENDING, ERR_NOT_MAINTAINER,
 * ERR_FORBIDDEN, ERR_OTP_REQUIRED, ERR_BAD_OTP, ERR_REPLAYED_OTP, ERR_RATE_LIMITED, with
 * *ret_message saying why where there is more to say. */
int stage_decide(const StageDecision *q, usec_t now, StageRecord *ret, const char **ret_message);

/* CompleteStage: the registry published the approved bytes (succeeded: the stage is
 * "published", audited as a publish) or could not (it stays approved, the failure is
 * audited).  ERR_NO_SUCH_STAGE, ERR_STAGE_NOT_PENDING when it is not approved. */
int stage_complete(Store *s, const char *id, bool succeeded, const char *reason, const char *actor, usec_t now,
                   StageRecord *ret);

/* Marks and audits stages whose time ran out; cb hears of each (the bus signals them).
 * Returns how many. */
int stages_expire(Store *s, usec_t now, StageCallback cb, void *userdata);
