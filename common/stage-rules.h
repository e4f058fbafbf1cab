/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Staged publishing's rules as pure functions (pkgtokend/stages.c carries them out): when a
 * stage counts as expired, what a recorded integrity looks like, and who may approve or
 * reject.  A decision needs a maintainer proving presence with a current second factor, never
 * a token alone; an admin (root through pkgtokenctl) may decide as such. */

#include <stdbool.h>

#include "model.h"
#include "time-util.h"

/* How the one who decides proved presence. */
typedef enum StageDecider {
        STAGE_DECIDER_ADMIN,     /* root or the daemon's uid, for no account: an admin override */
        STAGE_DECIDER_PASSWORD,  /* an account's password, and its code when 2FA is on (a login) */
        STAGE_DECIDER_CODE,      /* an account's token (or an admin naming the account) and a code to check now */
        _STAGE_DECIDER_MAX,
} StageDecider;

typedef struct StageDecisionFacts {
        StageDecider decider;
        bool by_token;               /* STAGE_DECIDER_CODE through a registry: token_type/owner count */
        TokenType token_type;
        TokenOwner token_owner;
        bool out_of_scope;           /* by_token: the token's scope does not cover the package */
        TwoFactorMode account_2fa;   /* not for ADMIN */
        bool maintainer;             /* not for ADMIN */
        bool on_hold;                /* not for ADMIN: the account is in its recovery hold */
        bool otp_given;              /* STAGE_DECIDER_CODE */
        StageState state;            /* as stage_state_effective() says */
} StageDecisionFacts;

typedef struct StageDecisionVerdict {
        ReasonCode code;             /* REASON_OK, or why not */
        const char *message;         /* static, for people */
        bool not_pending;            /* refused because the stage was decided, published or expired */
        bool check_otp;              /* REASON_OK only once the code (otp_given) checks out now */
} StageDecisionVerdict;

/* Approve and reject follow the same rules. */
StageDecisionVerdict stage_decision_verdict(const StageDecisionFacts *f);

/* A staged version past expires_at is expired, whether or not the timer wrote it yet. */
StageState stage_state_effective(StageState stored, usec_t expires_at, usec_t now);

/* npm's integrity of a tarball: "sha512-" and the base64 of 64 bytes. */
bool stage_integrity_is_valid(const char *s);

/* A stage id is a lowercase UUID (npm validates it as one). */
bool stage_id_is_valid(const char *s);
