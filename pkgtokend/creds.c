/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>

#include "creds.h"
#include "macro.h"

typedef struct CacheEntry {
        char *sender;   /* unique name, e.g. ":1.42"; the tree key */
        Caller caller;
} CacheEntry;

struct CredsCache {
        void *root;     /* tsearch(3) tree of CacheEntry, ordered by sender */
        size_t size;
        sd_bus_slot *disconnect_slot;
        gid_t registry_gid;
};

static int entry_compare(const void *a, const void *b) {
        return strcmp(((const CacheEntry *) a)->sender, ((const CacheEntry *) b)->sender);
}

static void entry_free(void *p) {
        CacheEntry *e = p;
        free(e->sender);
        free(e);
}

static void cache_forget(CredsCache *c, const char *sender) {
        CacheEntry key = { .sender = (char *) sender };
        CacheEntry **found = tfind(&key, &c->root, entry_compare);
        if (!found)
                return;
        CacheEntry *e = *found;
        tdelete(&key, &c->root, entry_compare);
        entry_free(e);
        c->size--;
}

/* NameOwnerChanged(name, old_owner, "") for a unique name: that connection is gone. */
static int on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        CredsCache *c = userdata;
        const char *name, *old_owner, *new_owner;

        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0)
                return 0;
        if (name[0] == ':' && isempty(new_owner))
                cache_forget(c, name);
        return 0;
}

int creds_cache_new(sd_bus *bus, gid_t registry_gid, CredsCache **ret) {
        CredsCache *c = calloc(1, sizeof *c);
        int r;

        if (!c)
                return -ENOMEM;
        c->registry_gid = registry_gid;
        r = sd_bus_match_signal_async(bus, &c->disconnect_slot, "org.freedesktop.DBus",
                                      "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                      "NameOwnerChanged", on_name_owner_changed, NULL, c);
        if (r < 0) {
                free(c);
                return r;
        }
        *ret = c;
        return 0;
}

CredsCache *creds_cache_free(CredsCache *c) {
        if (!c)
                return NULL;
        sd_bus_slot_unref(c->disconnect_slot);
        tdestroy(c->root, entry_free);
        free(c);
        return NULL;
}

static int query_uid(sd_bus_message *m, uid_t *ret) {
        sd_bus_creds *creds = NULL;
        int r;

        /* EUID as dbus-daemon saw it; no SD_BUS_CREDS_AUGMENT, which would read /proc and race
         * with a caller that execs a setuid binary. */
        r = sd_bus_query_sender_creds(m, SD_BUS_CREDS_EUID, &creds);
        if (r < 0)
                return r;
        r = sd_bus_creds_get_euid(creds, ret);
        sd_bus_creds_unref(creds);
        return r;
}

/* Membership as the user database has it (getgrouplist), primary group included. */
static bool user_in_group(uid_t uid, gid_t gid) {
        struct passwd pw, *result = NULL;
        gid_t groups[256];
        int n = (int) ELEMENTSOF(groups);
        char buf[4096];

        if (gid == (gid_t) -1)
                return false;
        if (getpwuid_r(uid, &pw, buf, sizeof buf, &result) != 0 || !result)
                return false;
        if (pw.pw_gid == gid)
                return true;
        /* Too many groups to list counts as "not a member": fail closed. */
        if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) < 0)
                return false;
        for (int i = 0; i < n; i++)
                if (groups[i] == gid)
                        return true;
        return false;
}

int caller_for_uid(uid_t uid, gid_t registry_gid, Caller *ret) {
        *ret = (Caller) { .uid = uid, .in_registry_group = user_in_group(uid, registry_gid) };
        return 0;
}

static int query_caller(CredsCache *c, sd_bus_message *m, Caller *ret) {
        uid_t uid;
        int r = query_uid(m, &uid);
        if (r < 0)
                return r;
        return caller_for_uid(uid, c->registry_gid, ret);
}

int creds_cache_sender(CredsCache *c, sd_bus_message *m, Caller *ret) {
        const char *sender = sd_bus_message_get_sender(m);
        CacheEntry key = { .sender = (char *) sender }, *e;
        CacheEntry **found;
        Caller caller;
        int r;

        if (!sender || sender[0] != ':')
                return query_caller(c, m, ret);   /* direct connection: nothing stable to key on */

        found = tfind(&key, &c->root, entry_compare);
        if (found) {
                *ret = (*found)->caller;
                return 0;
        }

        r = query_caller(c, m, &caller);
        if (r < 0)
                return r;

        e = calloc(1, sizeof *e);
        if (!e)
                return -ENOMEM;
        e->sender = strdup(sender);
        e->caller = caller;
        if (!e->sender || !tsearch(e, &c->root, entry_compare)) {
                entry_free(e);
                return -ENOMEM;
        }
        c->size++;
        *ret = caller;
        return 0;
}

size_t creds_cache_size(const CredsCache *c) {
        return c->size;
}
