/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdio.h>

#include "accounts.h"
#include "audit.h"
#include "errors.h"
#include "lockout.h"
#include "login-verdict.h"
#include "pam-request.h"
#include "validate.h"

int account_load(Store *s, const char *name, AccountRecord *ret) {
        if (!account_name_is_valid(name))
                return -ERR_INVALID_ARGUMENT;
        return not_found_as(store_account_get(s, name, ret), -ERR_NO_SUCH_ACCOUNT);
}

int account_create(Store *s, const char *name, const char *email, AccountKind kind, usec_t now) {
        int r = store_account_insert(s, name, email, kind, now);
        return r == -EEXIST ? -ERR_ACCOUNT_EXISTS : r;
}

/* In the caller's transaction. */
static int link_uid(Store *s, const char *name, int64_t uid, uid_t caller, usec_t now) {
        int r = store_account_set_uid(s, name, uid);
        if (r == -EEXIST)
                return -ERR_ACCOUNT_EXISTS;
        if (r < 0)
                return not_found_as(r, -ERR_NO_SUCH_ACCOUNT);
        return audit_admin(s, now, uid < 0 ? AUDIT_ACCOUNT_UNLINK : AUDIT_ACCOUNT_LINK, caller, NULL, name);
}

int account_create_linked(Store *s, const char *name, const char *email, AccountKind kind, int64_t uid,
                          uid_t caller, usec_t now) {
        _cleanup_transaction_ Transaction tx = {};
        int r = store_begin(s, &tx);

        if (r >= 0)
                r = account_create(s, name, email, kind, now);
        if (r >= 0 && uid >= 0)
                r = link_uid(s, name, uid, caller, now);
        if (r >= 0)
                r = store_commit(&tx);
        return r;
}

int account_link(Store *s, const char *name, int64_t uid, uid_t caller, usec_t now) {
        _cleanup_transaction_ Transaction tx = {};
        int r = store_begin(s, &tx);

        if (r >= 0)
                r = link_uid(s, name, uid, caller, now);
        if (r >= 0)
                r = store_commit(&tx);
        return r;
}

int account_set_locked(Store *s, const char *name, bool locked) {
        int r;

        r = store_account_set_locked(s, name, locked);
        if (r >= 0 && !locked)
                r = store_failures_clear(s, name, NULL);
        return not_found_as(r, -ERR_NO_SUCH_ACCOUNT);
}

int account_remove(Store *s, const char *name) {
        return not_found_as(store_account_delete(s, name), -ERR_NO_SUCH_ACCOUNT);
}

int account_get_details(Store *s, usec_t lockout_window, const char *name, usec_t now, AccountRecord *ret,
                        AccountDetails *ret_details) {
        FailureRecord f;
        int64_t uid;
        int codes, r;

        r = store_account_get(s, name, ret);
        if (r < 0)
                return not_found_as(r, -ERR_NO_SUCH_ACCOUNT);
        codes = store_recovery_codes_count(s, ret->id);
        if (codes < 0)
                return codes;
        r = store_failures_get(s, ret->name, FAILURES_ALL_ADDRESSES, &f);
        if (r >= 0)
                r = store_account_get_uid(s, ret->name, &uid);
        if (r < 0)
                return r;
        *ret_details = (AccountDetails) {
                .recovery_codes_left = (unsigned) codes,
                .locked_until = f.locked_until > now ? f.locked_until : 0,
                .failed_attempts = f.window_start + lockout_window > now ? f.count : 0,
                .linked_uid = uid,
        };
        return 0;
}

int account_check(Store *s, const char *name, usec_t now, const char **ret_reason) {
        _cleanup_(account_record_done) AccountRecord a = {};
        bool exists;
        int r;

        r = account_name_is_valid(name) ? store_account_get(s, name, &a) : -ENOENT;
        if (r < 0 && r != -ENOENT)
                return r;
        exists = r >= 0;
        return account_check_verdict(exists, exists && a.locked, exists && !a.locked && lockout_active(s, a.name, now, NULL),
                                     ret_reason);
}

int account_start_hold(Store *s, const AccountRecord *a, usec_t hold, usec_t now, const char *why) {
        char until[64];
        char reason[256];
        int r;

        if (hold == 0 || a->hold_until >= now + hold)
                return 0;
        r = store_account_set_hold(s, a->name, now + hold);
        if (r < 0)
                return r;
        if (format_timestamp_utc(now + hold, until, sizeof until) < 0)
                snprintf(until, sizeof until, "@%llu", (unsigned long long) ((now + hold) / USEC_PER_SEC));
        snprintf(reason, sizeof reason, "%s: reads only until %s", why, until);
        return audit_record(s, now, AUDIT_RECOVERY_HOLD, NULL, AUDIT_RESULT_OK, a->name, NULL, NULL, reason);
}

int account_lift_hold(Store *s, const char *name, uid_t caller, usec_t now) {
        _cleanup_transaction_ Transaction tx = {};
        int r;

        r = store_begin(s, &tx);
        if (r < 0)
                return r;
        r = store_account_set_hold(s, name, 0);
        if (r == -ENOENT)
                return -ERR_NO_SUCH_ACCOUNT;
        if (r >= 0)
                r = audit_admin(s, now, AUDIT_RECOVERY_HOLD_LIFT, caller, NULL, name);
        if (r >= 0)
                r = store_commit(&tx);
        return r;
}

int account_set_password_source(Store *s, const char *name, const char *service, uid_t caller, usec_t now) {
        _cleanup_(account_record_done) AccountRecord a = {};
        _cleanup_transaction_ Transaction tx = {};
        char source[4 + PAM_SERVICE_NAME_MAX + 1], reason[ACCOUNT_NAME_MAX + sizeof source + 8];
        int r = store_begin(s, &tx);

        snprintf(source, sizeof source, "%s%s", service ? "pam:" : "", service ?: "");
        snprintf(reason, sizeof reason, "%s: %s", name, service ? source : "local");
        if (r >= 0)
                r = not_found_as(store_account_get(s, name, &a), -ERR_NO_SUCH_ACCOUNT);
        if (r >= 0 && a.kind != ACCOUNT_HUMAN)
                r = -ERR_ACCESS_DENIED;
        if (r >= 0)
                r = store_account_set_password_source(s, name, source);
        if (r >= 0)
                r = audit_admin(s, now, AUDIT_PASSWORD_SOURCE, caller, NULL, reason);
        if (r >= 0)
                r = store_commit(&tx);
        return r;
}

int account_set_email(Store *s, const char *name, const char *email, usec_t hold, uid_t caller, usec_t now) {
        _cleanup_(account_record_done) AccountRecord a = {};
        _cleanup_transaction_ Transaction tx = {};
        int r = store_begin(s, &tx);

        if (r >= 0)
                r = not_found_as(store_account_get(s, name, &a), -ERR_NO_SUCH_ACCOUNT);
        if (r < 0 || streq(a.email, email))
                return MIN(r, 0);   /* the same address: nothing changes, nothing to hold */
        r = store_account_set_email(s, name, email);
        if (r >= 0)
                r = audit_admin(s, now, AUDIT_ACCOUNT_EMAIL, caller, NULL, name);
        if (r >= 0)
                r = account_start_hold(s, &a, hold, now, "e-mail address changed");
        if (r >= 0)
                r = store_commit(&tx);
        return r;
}
