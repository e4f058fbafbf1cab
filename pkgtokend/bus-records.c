/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <json-c/json.h>

#include "bus-error.h"
#include "bus-records.h"
#include "bus-util.h"
#include "decision.h"

static int append_account_fields(sd_bus_message *reply, const AccountRecord *a) {
        APPEND(append_entry(reply, "name", "s", a->name));
        APPEND(append_entry(reply, "email", "s", a->email));
        APPEND(append_entry(reply, "kind", "s", account_kind_to_string(a->kind)));
        APPEND(append_entry(reply, "locked", "b", (int) a->locked));
        APPEND(append_entry(reply, "created_at", "t", (uint64_t) a->created_at));
        APPEND(append_entry(reply, "twofa", "s", twofa_mode_to_string(a->twofa)));
        APPEND(append_entry(reply, "twofa_pending", "b", (int) a->twofa_pending));
        APPEND(append_entry(reply, "has_password", "b", (int) a->has_password));
        /* A hold that has ended is no hold. */
        APPEND(append_entry(reply, "hold_until", "t", (uint64_t) (a->hold_until > now_realtime_usec() ? a->hold_until : 0)));
        APPEND(append_entry(reply, "password_source", "s", isempty(a->password_source) ? "local" : a->password_source));
        return 0;
}

int bus_append_account(const AccountRecord *a, void *reply) {
        APPEND(sd_bus_message_open_container(reply, 'a', "{sv}"));
        APPEND(append_account_fields(reply, a));
        return sd_bus_message_close_container(reply);
}

int bus_append_account_details(sd_bus_message *reply, const AccountRecord *a, const AccountDetails *d) {
        APPEND(sd_bus_message_open_container(reply, 'a', "{sv}"));
        APPEND(append_account_fields(reply, a));
        APPEND(append_entry(reply, "recovery_codes_left", "u", (uint32_t) d->recovery_codes_left));
        APPEND(append_entry(reply, "locked_until", "t", (uint64_t) d->locked_until));
        APPEND(append_entry(reply, "failed_attempts", "u", (uint32_t) d->failed_attempts));
        if (d->linked_uid >= 0)
                APPEND(append_entry(reply, "linked_uid", "u", (uint32_t) d->linked_uid));
        return sd_bus_message_close_container(reply);
}

int bus_append_package(const PackageRecord *p, void *reply) {
        APPEND(sd_bus_message_open_container(reply, 'a', "{sv}"));
        APPEND(append_entry(reply, "name", "s", p->name));
        APPEND(append_entry(reply, "policy", "s", package_policy_to_string(p->policy)));
        APPEND(append_entry(reply, "max_token_lifetime", "t", (uint64_t) p->max_token_lifetime));
        APPEND(append_strv_entry(reply, "maintainers", p->maintainers));
        APPEND(append_entry(reply, "created_at", "t", (uint64_t) p->created_at));
        APPEND(append_entry(reply, "require_approval", "b", p->requires_approval));
        APPEND(append_entry(reply, "require_trusted_publishing", "b", (int) p->trusted_publishing_only));
        return sd_bus_message_close_container(reply);
}

/* A rotated-out token whose grace is over is neither active nor revoked (yet). */
static TokenState shown_state(const TokenRecord *t, usec_t now) {
        TokenState s = token_state(t->revoked_at, t->expires_at, now);

        if (s == TOKEN_STATE_ACTIVE && t->rotated_until != 0 && now >= t->rotated_until)
                return TOKEN_STATE_ROTATED;
        return s;
}

int bus_append_token(sd_bus_message *reply, const TokenRecord *t, usec_t now) {
        APPEND(sd_bus_message_open_container(reply, 'a', "{sv}"));
        APPEND(append_entry(reply, "id", "s", t->id));
        APPEND(append_entry(reply, "prefix", "s", t->prefix));
        APPEND(append_entry(reply, "type", "s", token_type_to_string(t->type)));
        APPEND(append_entry(reply, "owner", "s", token_owner_to_string(t->owner)));
        APPEND(append_entry(reply, "account", "s", t->account));
        APPEND(append_strv_entry(reply, "scope", t->scope));
        APPEND(append_entry(reply, "description", "s", t->description));
        APPEND(append_entry(reply, "created_by", "s", t->created_by));
        APPEND(append_entry(reply, "created_at", "t", (uint64_t) t->created_at));
        APPEND(append_entry(reply, "expires_at", "t", (uint64_t) t->expires_at));
        APPEND(append_entry(reply, "last_used_at", "t", (uint64_t) t->last_used_at));
        APPEND(append_entry(reply, "last_used_from", "s", t->last_used_from));
        APPEND(append_strv_entry(reply, "allowed_cidrs", t->cidrs));
        APPEND(append_entry(reply, "revoked_at", "t", (uint64_t) t->revoked_at));
        APPEND(append_entry(reply, "lineage", "s", t->lineage));
        APPEND(append_entry(reply, "rotated_until", "t", (uint64_t) t->rotated_until));
        APPEND(append_entry(reply, "state", "s", token_state_to_string(shown_state(t, now))));
        return sd_bus_message_close_container(reply);
}

/* The provenance (a JSON object of strings in the store) as "provenance" a{ss}; a record
 * without one has an empty dict.  A stored value that is not such an object shows as empty
 * rather than failing the whole list. */
static int append_provenance(sd_bus_message *reply, const char *json) {
        struct json_object *o = isempty(json) ? NULL : json_tokener_parse(json);
        int r;

        r = sd_bus_message_open_container(reply, 'e', "sv");
        if (r >= 0)
                r = sd_bus_message_append(reply, "s", "provenance");
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'v', "a{ss}");
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "{ss}");
        if (r >= 0 && o && json_object_is_type(o, json_type_object)) {
                json_object_object_foreach(o, key, value) {
                        if (!json_object_is_type(value, json_type_string))
                                continue;
                        r = sd_bus_message_append(reply, "{ss}", key, json_object_get_string(value));
                        if (r < 0)
                                break;
                }
        }
        json_object_put(o);
        for (int k = 0; r >= 0 && k < 3; k++)
                r = sd_bus_message_close_container(reply);
        return r;
}

int bus_append_audit_event(const AuditEvent *e, void *reply) {
        APPEND(sd_bus_message_open_container(reply, 'a', "{sv}"));
        APPEND(append_entry(reply, "time", "t", (uint64_t) e->time));
        APPEND(append_entry(reply, "action", "s", e->action));
        APPEND(append_entry(reply, "package", "s", e->package));
        APPEND(append_entry(reply, "result", "s", e->result));
        APPEND(append_entry(reply, "actor", "s", e->actor));
        APPEND(append_entry(reply, "token_id", "s", e->token_id));
        APPEND(append_entry(reply, "remote", "s", e->remote));
        APPEND(append_entry(reply, "reason", "s", e->reason));
        APPEND(append_entry(reply, "count", "t", MAX(e->count, UINT64_C(1))));
        APPEND(append_entry(reply, "version", "s", e->version ?: ""));
        APPEND(append_provenance(reply, e->provenance));
        return sd_bus_message_close_container(reply);
}

int bus_reply_list(Store *s, sd_bus_message *msg, BusListFill fill, const void *query, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        APPEND(sd_bus_message_open_container(reply, 'a', "a{sv}"));
        r = fill(s, reply, query);
        if (r < 0)
                return bus_error_set_errno_message(error, r, NULL);
        APPEND(sd_bus_message_close_container(reply));
        return sd_bus_send(NULL, reply, NULL);
}
