/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Refusals a registry makes on its own after pkgtokend allowed the request, e.g. the upload
 * gate finding another project's file in an upload that PAM authorised by its URL.  They go to
 * the audit like pkgtokend's own refusals, with the token that tried when the registry passes
 * it, so that every refused publish is on record. */

#include "model.h"
#include "store.h"

typedef struct RefusalReport {
        const char *token;       /* the secret the client presented; "" unknown */
        const char *package;     /* canonical, or "" */
        Action action;
        const char *reason;      /* the registry's words, validated as free text */
        const char *remote;      /* "" when unknown, else a valid address */
        const char *registry;    /* who reports, for the audit: "uid N" */
} RefusalReport;

/* Records the refusal (one row, committed).  A negative errno when the store failed. */
int refusal_record(Store *s, const RefusalReport *q, usec_t now);
