/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdio.h>

#include "audit.h"

int audit_record(Store *s, usec_t now, const char *action, const char *package, const char *result,
                 const char *actor, const char *token_id, const char *remote, const char *reason) {
        return store_audit_append(s, &(AuditEvent) {
                .time = now,
                .action = action,
                .package = package ?: "",
                .result = result,
                .actor = actor,
                .token_id = token_id ?: "",
                .remote = remote ?: "",
                .reason = reason ?: "",
        });
}

int audit_record_repeatable(Store *s, usec_t now, const char *action, const char *package, const char *result,
                            const char *actor, const char *remote, const char *reason) {
        AuditEvent e = {
                .time = now,
                .action = action,
                .package = package ?: "",
                .result = result,
                .actor = actor,
                .token_id = "",
                .remote = remote ?: "",
                .reason = reason ?: "",
        };
        int r;

        r = store_audit_count_repeat(s, &e, now - now % AUDIT_REPEAT_WINDOW);
        if (r != 0)
                return MIN(r, 0);
        return store_audit_append(s, &e);
}

int audit_prune(Store *s, usec_t now, usec_t retention, unsigned batch) {
        if (now <= retention)
                return 0;
        return store_audit_prune(s, now - retention, batch);
}

void audit_admin_actor(uid_t uid, char buf[static 32]) {
        (void) snprintf(buf, 32, "uid %u", (unsigned) uid);
}

int audit_admin(Store *s, usec_t now, const char *action, uid_t caller, const char *token_id, const char *reason) {
        char actor[32];

        audit_admin_actor(caller, actor);
        return audit_record(s, now, action, NULL, AUDIT_RESULT_OK, actor, token_id, NULL, reason);
}
