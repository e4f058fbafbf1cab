/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdio.h>

#include "audit.h"
#include "refusal.h"
#include "tokens.h"

#define REFUSED "refused"

int refusal_record(Store *s, const RefusalReport *q, usec_t now) {
        _cleanup_(token_record_done) TokenRecord t = {};
        _cleanup_transaction_ Transaction tx = {};
        _cleanup_free_ char *actor = NULL, *reason = NULL;
        uint8_t hash[TOKEN_HASH_SIZE];
        int r;

        /* The token names who tried.  It was checked (and counted) when the registry asked
         * first; here it is only looked up, and an unknown one is recorded as such. */
        if (!isempty(q->token) && token_check_format(q->token) == 0) {
                token_hash(q->token, hash);
                r = store_token_get_by_hash(s, hash, &t);
                explicit_bzero(hash, sizeof hash);
                if (r < 0 && r != -ENOENT)
                        return r;
                if (r >= 0) {
                        actor = token_format_actor(&t);
                        if (!actor)
                                return -ENOMEM;
                }
        }
        if (asprintf(&reason, "%s: %s", q->registry, q->reason) < 0)
                return -ENOMEM;

        r = store_begin(s, &tx);
        if (r < 0)
                return r;
        r = audit_record(s, now, action_to_string(q->action), q->package, REFUSED, actor ?: "unknown token",
                         t.id, q->remote, reason);
        if (r < 0)
                return r;
        return store_commit(&tx);
}
