/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The daemon's life cycle: what it owns, connecting to the bus, running, freeing.  The
 * methods are in the bus adapters (bus-*.c, their vtable in bus-vtable.c). */

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <unistd.h>

#include "audit.h"
#include "bus-access.h"
#include "bus-error.h"
#include "bus-methods.h"
#include "bus-stages.h"
#include "bus-tokens.h"
#include "log.h"
#include "manager.h"
#include "names.h"
#include "password.h"
#include "seal-setup.h"

/* How long collected last-used times wait before they are written together. */
#define FLUSH_DELAY (1 * USEC_PER_SEC)

/* Password checks wait in this queue for a worker; past it, logins are answered
 * "rate-limited" at once instead of piling up. */
#define PASSWORD_QUEUE_MAX 64

/* Old audit records go a batch per tick, so that token checks never wait behind a long
 * DELETE; a full batch means there may be more, and the next tick comes at once. */
#define PRUNE_FIRST_DELAY (1 * USEC_PER_SEC)
#define PRUNE_INTERVAL    (60 * USEC_PER_SEC)
#define PRUNE_BATCH       500

/* ------------------------------------------------------------------------------------------ */
/* Writing back last uses                                                                     */

static int schedule_flush_in(Manager *m, usec_t delay);

/* One batch per tick; token checks that arrived meanwhile run between batches. */
static int on_flush_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        bool more = false;

        (void) last_used_flush_some(&m->last_used, &more);
        if (more)
                (void) schedule_flush_in(m, 0);
        return 0;
}

static int schedule_flush_in(Manager *m, usec_t delay) {
        int r;

        if (!m->flush_timer)
                return sd_event_add_time_relative(m->event, &m->flush_timer, CLOCK_MONOTONIC, delay, 0,
                                                  on_flush_timer, m);
        r = sd_event_source_set_time_relative(m->flush_timer, delay);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(m->flush_timer, SD_EVENT_ONESHOT);
}

static int on_prune_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        int r;

        bool more;

        /* Stages that ran out of time expire on the same tick (reads already show them so). */
        bus_stages_expire(m);

        r = audit_prune(m->store, now_realtime_usec(), m->config.audit_retention, PRUNE_BATCH);
        if (r < 0)
                log_warning("cannot prune old audit records: %s", strerror(-r));
        else if (r > 0)
                log_debug("pruned %d audit records older than AuditRetentionSec=", r);
        /* Spent ID tokens need remembering only until they expire. */
        if (store_jti_prune(m->store, now_realtime_usec()) < 0)
                log_warning("cannot prune spent ID tokens");
        more = r == PRUNE_BATCH;
        /* The same tick warns of tokens about to expire (TokenExpiryWarningSec=). */
        more = bus_warn_expiring_tokens(m, now_realtime_usec()) || more;
        (void) sd_event_source_set_time_relative(s, more ? 0 : PRUNE_INTERVAL);
        return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

/* LastUsed's wake(): the first use is pending. */
static void wake_flush(void *userdata) {
        (void) schedule_flush_in(userdata, FLUSH_DELAY);
}

/* ------------------------------------------------------------------------------------------ */
/* Life cycle                                                                                 */

static int resolve_registry_group(const char *name, gid_t *ret) {
        struct group gr, *result = NULL;
        char buf[4096];

        *ret = (gid_t) -1;
        if (isempty(name))
                return 0;
        if (getgrnam_r(name, &gr, buf, sizeof buf, &result) != 0 || !result) {
                log_error("RegistryGroup=%s: no such group", name);
                return -ENOENT;
        }
        *ret = gr.gr_gid;
        return 0;
}

int manager_new(const char *state_dir, const Config *config, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = NULL;
        long cpus;
        int r;

        m = calloc(1, sizeof *m);
        if (!m)
                return -ENOMEM;
        m->own_uid = geteuid();
        m->config = *config;
        m->state_dir = strdup(state_dir);
        if (!m->state_dir)
                return -ENOMEM;

        r = sd_event_default(&m->event);
        if (r < 0)
                return r;
        r = store_open_with_options(state_dir, &(StoreOptions) {
                .background_check_above = (uint64_t) m->config.integrity_check_background_above_mib << 20,
                .min_free_space = (uint64_t) m->config.min_free_space_mib << 20,
        }, &m->store);
        if (r < 0)
                return r;

        r = seal_setup(m->store, state_dir, m->config.seal_key_file);
        if (r < 0)
                return r;

        r = resolve_registry_group(m->config.registry_group, &m->registry_gid);
        if (r < 0)
                return r;
        m->ratelimit = ratelimit_new(m->config.token_guess_limit, m->config.token_guess_ipv6_prefixlen);
        if (!m->ratelimit)
                return -ENOMEM;
        m->lockout = (Lockout) {
                .store = m->store,
                .ratelimit = m->ratelimit,
                .threshold = m->config.lockout_threshold,
                .account_threshold = m->config.lockout_account_threshold,
                .window = m->config.lockout_window,
                .duration = m->config.lockout_duration,
                .recovery_hold = m->config.recovery_hold,
        };
        m->last_used = (LastUsed) {
                .store = m->store,
                .wake = wake_flush,
                .userdata = m,
        };
        m->trusted = (TrustedPublishing) {
                .store = m->store,
                .skew = m->config.trusted_clock_skew,
                .lifetime = m->config.trusted_token_lifetime,
        };
        r = issuers_load(isempty(m->config.issuers_directory) ? ISSUERS_DIRECTORY_DEFAULT : m->config.issuers_directory,
                         &m->trusted.issuers);
        if (r < 0)
                return r;
        m->pam = (PamBackend) {
                .helper_path = m->config.pam_helper,
                .socket_path = isempty(m->config.pam_helper_socket) ? PAM_HELPER_SOCKET_DEFAULT
                                                                     : m->config.pam_helper_socket,
                .timeout = m->config.pam_helper_timeout,
        };
        r = code_reuse_new(&m->code_reuse);
        if (r < 0)
                return r;
        r = sd_event_add_time_relative(m->event, &m->prune_timer, CLOCK_MONOTONIC, PRUNE_FIRST_DELAY, 0,
                                       on_prune_timer, m);
        if (r < 0)
                return r;
        r = bus_error_add_map();
        if (r < 0)
                return r;
        /* Computed once here, so the first unknown-account login is not the only one that
         * is slower. */
        r = password_dummy_hash(m->config.password_cost, &m->dummy_hash);
        if (r < 0) {
                log_error("cannot compute a password hash: %s", strerror(-r));
                return r;
        }
        /* One CPU is left to the event loop and dbus-daemon: with a hashing thread on every
         * CPU, token checks wait behind yescrypt (nice alone does not stop that; bench/run.sh
         * measures Authorize latency during a burst of logins). */
        cpus = sysconf(_SC_NPROCESSORS_ONLN);
        r = worker_pool_new(m->event, cpus > 2 ? (unsigned) cpus - 1 : 1, PASSWORD_QUEUE_MAX, &m->workers);
        if (r < 0)
                return r;

        *ret = m;
        m = NULL;
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        /* Workers first: their last done() callbacks still answer on the bus and use the store. */
        worker_pool_free(m->workers);
        if (m->store)
                (void) last_used_flush_all(&m->last_used);
        ratelimit_free(m->ratelimit);
        code_reuse_free(m->code_reuse);
        issuers_done(&m->trusted.issuers);
        last_used_done(&m->last_used);
        sd_event_source_unref(m->flush_timer);
        sd_event_source_unref(m->prune_timer);
        direct_server_free(m->direct);
        bus_access_done(m);
        m->own_events = own_events_free(m->own_events);
        creds_cache_free(m->creds);
        sd_bus_flush_close_unref(m->bus);
        store_free(m->store);
        sd_event_unref(m->event);
        free(m->state_dir);
        free(m);
        return NULL;
}

static int open_bus(const char *address, sd_bus **ret) {
        _cleanup_(sd_bus_unrefp) sd_bus *bus = NULL;
        int r;

        if (!address)
                return sd_bus_open_system(ret);

        r = sd_bus_new(&bus);
        if (r < 0)
                return r;
        r = sd_bus_set_address(bus, address);
        if (r < 0)
                return r;
        r = sd_bus_set_bus_client(bus, true);
        if (r < 0)
                return r;
        r = sd_bus_start(bus);
        if (r < 0)
                return r;
        *ret = bus;
        bus = NULL;
        return 0;
}

int manager_connect_bus(Manager *m, const char *address) {
        int r;

        r = open_bus(address, &m->bus);
        if (r < 0) {
                log_error("cannot connect to the %s bus: %s", address ? address : "system",
                        strerror(-r));
                return r;
        }
        r = sd_bus_add_object_vtable(m->bus, NULL, PKGTOKEN_OBJECT_PATH, PKGTOKEN_MANAGER_IFACE, manager_vtable, m);
        if (r < 0)
                return r;
        r = creds_cache_new(m->bus, m->registry_gid, &m->creds);
        if (r < 0)
                return r;
        r = bus_access_setup(m);
        if (r < 0)
                return r;
        r = own_events_new(m->bus, &m->own_events);
        if (r < 0)
                return r;
        r = sd_bus_attach_event(m->bus, m->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return r;
        /* When the bus goes away there is nobody left to serve: exit and let systemd decide. */
        r = sd_bus_set_exit_on_disconnect(m->bus, true);
        if (r < 0)
                return r;
        r = sd_bus_request_name(m->bus, PKGTOKEN_BUS_NAME, 0);
        if (r < 0) {
                log_error("cannot own the bus name %s: %s", PKGTOKEN_BUS_NAME, strerror(-r));
                return r;
        }
        return 0;
}

int manager_listen_direct(Manager *m, const char *path) {
        const DirectService service = {
                .event = m->event,
                .vtable = manager_vtable,
                .userdata = m,
                .registry_gid = m->registry_gid,
        };
        int r;

        r = direct_server_new(&service, isempty(path) ? m->config.direct_socket : path, &m->direct);
        if (r < 0)
                log_error("cannot serve the direct socket: %s", strerror(-r));
        return r;
}

int manager_run(Manager *m) {
        return sd_event_loop(m->event);
}
