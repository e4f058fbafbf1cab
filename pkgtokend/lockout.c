/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "audit.h"
#include "lockout.h"

static bool locked(Store *s, const char *name, const char *address, usec_t now, usec_t *ret_until) {
        FailureRecord f;

        /* If the counters cannot be read, treat the name as locked: fail closed. */
        if (store_failures_get(s, name, address, &f) < 0)
                f.locked_until = UINT64_MAX;
        if (ret_until)
                *ret_until = f.locked_until;
        return f.locked_until > now;
}

bool lockout_active(Store *s, const char *name, usec_t now, usec_t *ret_until) {
        return locked(s, name, FAILURES_ALL_ADDRESSES, now, ret_until);
}

bool lockout_active_from(const Lockout *l, const char *name, const char *remote, usec_t now, usec_t *ret_until) {
        char address[RATELIMIT_ADDRESS_MAX];
        usec_t all, from;
        bool r;

        ratelimit_format_address(l->ratelimit, remote, address);
        r = locked(l->store, name, FAILURES_ALL_ADDRESSES, now, &all);
        r = locked(l->store, name, address, now, &from) || r;
        if (ret_until)
                *ret_until = MAX(all > now ? all : 0, from > now ? from : 0);
        return r;
}

/* One more failure in the record of (name, address); *ret_locked when it reached threshold. */
static int count_failure(const Lockout *l, const char *name, const char *address, unsigned threshold, usec_t now,
                         bool *ret_locked) {
        FailureRecord f;
        int r;

        *ret_locked = false;
        r = store_failures_get(l->store, name, address, &f);
        if (r < 0)
                return r;
        if (f.window_start + l->window <= now)
                f = (FailureRecord) { .window_start = now, .locked_until = f.locked_until };
        f.count++;
        if (f.count >= threshold) {
                f = (FailureRecord) { .window_start = now, .locked_until = now + l->duration };
                *ret_locked = true;
        }
        return store_failures_put(l->store, name, address, &f);
}

int lockout_note_failure(const Lockout *l, const char *name, const char *remote, usec_t now) {
        char address[RATELIMIT_ADDRESS_MAX];
        bool all_locked, address_locked;
        FailureRecord f;
        int r;

        ratelimit_note_failure(l->ratelimit, remote, now);
        ratelimit_format_address(l->ratelimit, remote, address);

        r = store_failures_get(l->store, name, FAILURES_ALL_ADDRESSES, &f);
        if (r < 0)
                return r;
        if (f.window_start + l->window <= now) {
                /* A new window for this name: a good moment to forget names whose windows and
                 * lockouts are over, so guessed names do not pile up. */
                r = store_failures_prune(l->store, now - MAX(l->window, l->duration));
                if (r < 0)
                        return r;
        }
        r = count_failure(l, name, FAILURES_ALL_ADDRESSES, l->account_threshold, now, &all_locked);
        if (r < 0)
                return r;
        r = count_failure(l, name, address, l->threshold, now, &address_locked);
        if (r < 0)
                return r;
        if (!all_locked && !address_locked)
                return 0;

        r = audit_record(l->store, now, AUDIT_LOCKOUT, NULL, AUDIT_RESULT_LOCKED, name, NULL, remote,
                         all_locked ? "too many failed passwords or OTPs from all addresses"
                                    : "too many failed passwords or OTPs from this address");
        return r < 0 ? r : 1;
}

int lockout_clear(const Lockout *l, const char *name, const char *remote) {
        char address[RATELIMIT_ADDRESS_MAX];
        int r;

        ratelimit_format_address(l->ratelimit, remote, address);
        r = store_failures_clear(l->store, name, address);
        if (r >= 0)
                r = store_failures_clear(l->store, name, FAILURES_ALL_ADDRESSES);
        return r;
}

int lockout_refuse(const Lockout *l, Transaction *tx, const char *name, const char *remote, usec_t now, int error) {
        int r;

        r = lockout_note_failure(l, name, remote, now);
        if (r >= 0)
                r = store_commit(tx);
        return r < 0 ? r : error;
}
