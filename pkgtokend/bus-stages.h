/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Staged publishing on the bus (stages.h): the methods, the decision of a proven account
 * (bus-registry.c's ApproveOwnStage and RejectOwnStage) and the signals. */

#include <systemd/sd-bus.h>

#include "manager.h"
#include "stages.h"

/* Who decides through a registry, as bus-registry.c proved them. */
typedef struct StageProver {
        const char *account;         /* "" for a package token */
        const char *actor;
        const char *otp;             /* a token proof's code */
        const TokenRecord *token;    /* a token proof; NULL for a password proof (its code was checked) */
} StageProver;

/* (s id, b succeeded, a{sv} {"reason" s}): how a registry says a write it was allowed ended
 * (FinishPublish, CompleteStage).  Checks the caller (a verifier) first; the reason is at most
 * DESCRIPTION_MAX bytes of printable UTF-8. */
typedef struct Outcome {
        const char *id;
        bool succeeded;
        const char *reason;
} Outcome;
int bus_begin_outcome(Manager *m, sd_bus_message *msg, uid_t *ret_uid, Outcome *ret, sd_bus_error *error);

/* Reads (s id, a{sv} {"reason"}), decides and replies with the stage. */
int bus_decide_stage_for(Manager *m, sd_bus_message *msg, const StageProver *p, bool approve, sd_bus_error *error);

/* FinishPublish of a stage: StageCreated. */
void bus_emit_stage_created(Manager *m, const PendingPublish *p);

/* The timer's expiry of stages, with StageDecided for each. */
void bus_stages_expire(Manager *m);
