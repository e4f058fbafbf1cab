/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "audit.h"
#include "lockout.h"

bool lockout_active(Store *s, const char *name, usec_t now, usec_t *ret_until) {
        FailureRecord f;

        /* If the counters cannot be read, treat the name as locked: fail closed. */
        if (store_failures_get(s, name, &f) < 0)
                f.locked_until = UINT64_MAX;
        if (ret_until)
                *ret_until = f.locked_until;
        return f.locked_until > now;
}

int lockout_note_failure(const Lockout *l, const char *name, const char *remote, usec_t now) {
        FailureRecord f;
        int r;

        ratelimit_note_failure(l->ratelimit, remote, now);
        r = store_failures_get(l->store, name, &f);
        if (r < 0)
                return r;
        if (f.window_start + l->window <= now) {
                /* A new window for this name: a good moment to forget names whose windows and
                 * lockouts are over, so guessed names do not pile up. */
                r = store_failures_prune(l->store, now - MAX(l->window, l->duration));
                if (r < 0)
                        return r;
                f = (FailureRecord) { .window_start = now, .locked_until = f.locked_until };
        }
        f.count++;
        if (f.count < l->threshold)
                return store_failures_put(l->store, name, &f);

        f = (FailureRecord) { .window_start = now, .locked_until = now + l->duration };
        r = store_failures_put(l->store, name, &f);
        if (r < 0)
                return r;
        r = audit_record(l->store, now, AUDIT_LOCKOUT, NULL, AUDIT_RESULT_LOCKED, name, NULL, remote,
                         "too many failed passwords or OTPs");
        return r < 0 ? r : 1;
}

int lockout_refuse(const Lockout *l, Transaction *tx, const char *name, const char *remote, usec_t now, int error) {
        int r;

        r = lockout_note_failure(l, name, remote, now);
        if (r >= 0)
                r = store_commit(tx);
        return r < 0 ? r : error;
}
