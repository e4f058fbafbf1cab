/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The audit log: who did what, when, with which outcome.  Records are appended inside the
 * caller's transaction, so an action and its record are written together or not at all. */

#include <sys/types.h>

#include "store.h"

/* The actions recorded besides Authorize's "read"/"publish" (action_to_string()). */
#define AUDIT_LOCKOUT          "lockout"
#define AUDIT_LOGIN            "login"
#define AUDIT_TOKEN_CREATE     "token-create"
#define AUDIT_TOKEN_REVOKE     "token-revoke"
#define AUDIT_PASSWORD_CHANGE  "password-change"
#define AUDIT_2FA_ENABLE       "2fa-enable"
#define AUDIT_2FA_MODE         "2fa-mode"
#define AUDIT_2FA_DISABLE      "2fa-disable"
#define AUDIT_RECOVERY_CODES   "recovery-codes"
#define AUDIT_MAINTAINER_ADD   "maintainer-add"
#define AUDIT_MAINTAINER_REMOVE "maintainer-remove"
#define AUDIT_PACKAGE_POLICY   "package-policy"
#define AUDIT_LOGOUT           "logout"
#define AUDIT_TOKEN_EXCHANGE   "token-exchange"           /* ExchangeIdToken (trusted publishing) */
#define AUDIT_TRUSTED_ADD      "trusted-publisher-add"
#define AUDIT_TRUSTED_REMOVE   "trusted-publisher-remove"
#define AUDIT_TRUSTED_ONLY     "trusted-publishing-only"

/* Their results (Authorize's are authz_result_to_string()). */
#define AUDIT_RESULT_OK        "ok"
#define AUDIT_RESULT_LOCKED    "locked"
#define AUDIT_RESULT_FAILED    "failed"

/* NULL package, token_id, remote or reason are recorded as "". */
int audit_record(Store *s, usec_t now, const char *action, const char *package, const char *result,
                 const char *actor, const char *token_id, const char *remote, const char *reason);
/* A refusal that names no token (an unknown token, a rate-limited address): such refusals
 * from one address come by the thousand, so the same one (action, result, reason, actor)
 * from the same address within one AUDIT_REPEAT_WINDOW is one record with a count.  Every
 * decision about a known token still has a record of its own. */
#define AUDIT_REPEAT_WINDOW (60 * USEC_PER_SEC)
int audit_record_repeatable(Store *s, usec_t now, const char *action, const char *package, const char *result,
                            const char *actor, const char *remote, const char *reason);

/* Deletes, at most batch at a time, records older than now - retention; returns how many. */
int audit_prune(Store *s, usec_t now, usec_t retention, unsigned batch);

/* How the audit names an admin: "uid N". */
void audit_admin_actor(uid_t uid, char buf[static 32]);
/* An administrative action by the bus caller uid, recorded as "uid N" with result "ok". */
int audit_admin(Store *s, usec_t now, const char *action, uid_t caller, const char *token_id, const char *reason);
