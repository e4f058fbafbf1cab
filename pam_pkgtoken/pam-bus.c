/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "bus-client.h"
#include "input-limits.h"
#include "names.h"
#include "pam-bus.h"
#include "time-util.h"

/* One spare connection per process, kept between PAM calls: a new connection costs a bus
 * handshake, and dbus-daemon and pkgtokend work for each one that comes and goes, several
 * times what the check itself costs (bench/run-pam.sh).  The module stays loaded for this
 * (linked with -z nodelete).  A connection is reused only in the process and under the euid
 * that opened it, to the same place (bus address or direct socket), and only when its last
 * call went well, so a late answer can never reach another call.  Threads each take it in
 * turn or open their own. */
static struct {
        pthread_mutex_t lock;
        sd_bus *bus;
        pid_t pid;
        uid_t euid;
        bool direct;
        char address[BUS_ADDRESS_MAX + 1];
} spare = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Whether a kept connection is still there: what arrived while it was idle is read first, so
 * that a peer that went away (a daemon restarted under us) is noticed now, not by the call. */
static bool spare_is_alive(sd_bus *bus) {
        int r;

        while ((r = sd_bus_process(bus, NULL)) > 0)
                ;
        return r >= 0 && sd_bus_is_open(bus) > 0;
}

/* address: the bus address, or the direct socket's path when direct. */
static sd_bus *spare_take(const char *address, bool direct) {
        sd_bus *bus = NULL;

        pthread_mutex_lock(&spare.lock);
        if (spare.bus) {
                if (spare.pid != getpid())
                        /* Inherited across fork: the parent owns it; just let go of our copy. */
                        spare.bus = sd_bus_unref(spare.bus);
                else if (spare.euid != geteuid() || spare.direct != direct || !streq(spare.address, address) ||
                         !spare_is_alive(spare.bus))
                        spare.bus = sd_bus_close_unref(spare.bus);
                else {
                        bus = spare.bus;
                        spare.bus = NULL;
                }
        }
        pthread_mutex_unlock(&spare.lock);
        return bus;
}

static void spare_put(sd_bus *bus, const char *address, bool direct) {
        pthread_mutex_lock(&spare.lock);
        if (!spare.bus && strlen(address) <= BUS_ADDRESS_MAX) {
                spare.bus = bus;
                spare.pid = getpid();
                spare.euid = geteuid();
                spare.direct = direct;
                snprintf(spare.address, sizeof spare.address, "%s", address);
                bus = NULL;
        }
        pthread_mutex_unlock(&spare.lock);
        /* No flush: a hung peer must not hold us. */
        sd_bus_close_unref(bus);
}

/* Where c->bus goes: the direct socket's path or the bus address. */
static const char *connection_address(Context *c) {
        return c->direct ? c->options.direct_socket : c->options.bus_address;
}

void bus_release(Context *c) {
        if (!c->bus)
                return;
        if (c->bus_failed)
                c->bus = sd_bus_close_unref(c->bus);
        else {
                spare_put(c->bus, connection_address(c), c->direct);
                c->bus = NULL;
        }
}

/* The daemon could not be asked: unavailable, and the log says why. */
static Outcome bus_failure(Context *c, const char *method, int r, const sd_bus_error *error) {
        if (r == -ENOMEM || sd_bus_error_has_name(error, SD_BUS_ERROR_NO_MEMORY))
                return OUTCOME_NO_MEMORY;
        if (sd_bus_error_has_name(error, PKGTOKEN_ERROR_ACCESS_DENIED)) {
                pam_syslog(c->pamh, LOG_ERR,
                           "pkgtokend refused %s to this process (uid %u): run it as root or as a member "
                           "of pkgtokend's RegistryGroup=", method, (unsigned) geteuid());
                return OUTCOME_UNAVAILABLE;
        }
        if (sd_bus_error_is_set(error))
                pam_syslog(c->pamh, LOG_ERR, "%s: pkgtokend is not available on %s: %s: %s", method,
                           PRINTABLE(connection_address(c)), PRINTABLE(error->name), PRINTABLE(error->message));
        else if (r == -ETIMEDOUT)
                pam_syslog(c->pamh, LOG_ERR, "%s: pkgtokend is not available on %s: no answer within the timeout",
                           method, PRINTABLE(connection_address(c)));
        else {
                errno = -r;
                pam_syslog(c->pamh, LOG_ERR, "%s: pkgtokend is not available on %s: %m", method,
                           PRINTABLE(connection_address(c)));
        }
        return OUTCOME_UNAVAILABLE;
}

/* A message we could not build or a reply we could not read: our problem or a daemon of
 * another version, never "unavailable" (which ignore_authinfo_unavail may turn into
 * PAM_IGNORE). */
static Outcome message_failure(Context *c, const char *method, const char *what, int r) {
        if (r == -ENOMEM)
                return OUTCOME_NO_MEMORY;
        errno = -r;
        pam_syslog(c->pamh, LOG_ERR, "%s: %s: %m", method, what);
        return OUTCOME_SYSTEM_ERROR;
}

/* The direct socket (direct=auto|yes): 1 with c->bus on it, 0 to use the bus instead, or the
 * failure of direct=yes. */
static int open_direct(Context *c, Outcome *ret) {
        int r;

        if (c->options.direct == DIRECT_NO || !c->options.direct_socket)
                return 0;
        c->direct = true;
        c->bus = spare_take(c->options.direct_socket, true);
        if (c->bus)
                return 1;
        r = bus_client_open_direct(c->options.direct_socket, "pam_pkgtoken", c->options.timeout_usec, &c->bus);
        if (r >= 0)
                return 1;
        if (c->options.direct == DIRECT_YES) {
                /* Fail closed: no quiet way around the socket the configuration asked for. */
                *ret = bus_failure(c, "connect", r, NULL);
                return -1;
        }
        log_debug(c, "direct socket %s not usable (%s): using the bus", c->options.direct_socket, strerror(-r));
        c->direct = false;
        return 0;
}

Outcome bus_open(Context *c) {
        sd_bus *bus = NULL;
        Outcome o = OUTCOME_OK;
        int r;

        if (c->bus)
                return OUTCOME_OK;
        r = open_direct(c, &o);
        if (r != 0)
                return o;
        c->bus = spare_take(c->options.bus_address, false);
        if (c->bus)
                return OUTCOME_OK;

        r = bus_client_open(c->options.bus_address, "pam_pkgtoken", c->options.timeout_usec, &bus);
        if (r < 0)
                return bus_failure(c, "connect", r, NULL);
        c->bus = bus;
        return OUTCOME_OK;
}

typedef struct PendingCall {
        bool done;
        sd_bus_message *reply;
        sd_bus_error error;
} PendingCall;

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        PendingCall *p = userdata;

        p->done = true;
        if (sd_bus_message_is_method_error(m, NULL))
                (void) sd_bus_error_copy(&p->error, sd_bus_message_get_error(m));
        else
                p->reply = sd_bus_message_ref(m);
        return 0;
}

/* sd_bus_call() with one deadline over everything still to happen on the connection: the
 * authentication and Hello of a fresh connection, sending, and the answer.  sd_bus_call()
 * alone waits for a connection to come up without a bound of ours. */
static int bus_call(Context *c, sd_bus_message *m, sd_bus_error *error, sd_bus_message **ret_reply) {
        sd_bus_slot *slot = NULL;
        PendingCall p = { .error = SD_BUS_ERROR_NULL };
        usec_t deadline = now_monotonic_usec() + c->options.timeout_usec;
        int r;

        r = sd_bus_call_async(c->bus, &slot, m, on_reply, &p, c->options.timeout_usec);
        while (r >= 0 && !p.done) {
                usec_t n;

                r = sd_bus_process(c->bus, NULL);
                if (r != 0)
                        continue;
                n = now_monotonic_usec();
                if (n >= deadline) {
                        r = -ETIMEDOUT;
                        break;
                }
                r = sd_bus_wait(c->bus, deadline - n);
                if (r == -EINTR)
                        r = 0;
        }
        sd_bus_slot_unref(slot);
        if (r < 0)
                c->bus_failed = true;

        if (r >= 0 && sd_bus_error_is_set(&p.error)) {
                r = sd_bus_error_copy(error, &p.error);
                if (r >= 0)
                        r = -EIO;
        }
        sd_bus_error_free(&p.error);
        if (r < 0) {
                sd_bus_message_unref(p.reply);
                return r;
        }
        *ret_reply = p.reply;
        return 0;
}

/* Errors of a method that are answers rather than failures: an outcome, or _OUTCOME_MAX for
 * "not one of ours" (then the daemon counts as unavailable). */
typedef Outcome (*KnownErrors)(Context *c, const sd_bus_error *error);

/* Calls method with the arguments of types, on the spare connection or a new one.  Every call
 * is marked sensitive: secrets travel in them, and sd-bus wipes such messages when freed. */
static Outcome method_call(Context *c, const char *method, KnownErrors known_errors, sd_bus_message **ret_reply,
                           const char *types, ...) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        va_list ap;
        Outcome o;
        int r;

        o = bus_open(c);
        if (o != OUTCOME_OK)
                return o;
        /* A direct connection has nobody else on it: no destination. */
        r = sd_bus_message_new_method_call(c->bus, &m, c->direct ? NULL : PKGTOKEN_BUS_NAME, PKGTOKEN_OBJECT_PATH,
                                           PKGTOKEN_MANAGER_IFACE, method);
        if (r >= 0)
                r = sd_bus_message_sensitive(m);
        if (r >= 0) {
                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
        }
        if (r < 0)
                return message_failure(c, method, "cannot build the call", r);

        r = bus_call(c, m, &error, ret_reply);
        if (r >= 0)
                return OUTCOME_OK;
        if (known_errors && sd_bus_error_is_set(&error)) {
                o = known_errors(c, &error);
                if (o != _OUTCOME_MAX)
                        return o;
        }
        return bus_failure(c, method, r, &error);
}

const char *remote_address(Context *c) {
        const void *item = NULL;
        unsigned char buf[sizeof(struct in6_addr)];

        /* nginx's auth_pam and Apache's mod_authnz_pam set PAM_RHOST to the client's address;
         * without one, a token's allow-list refuses. */
        if (pam_get_item(c->pamh, PAM_RHOST, &item) != PAM_SUCCESS || !item)
                return "";
        if (strnlen(item, REMOTE_MAX + 1) <= REMOTE_MAX &&
            (inet_pton(AF_INET, item, buf) == 1 || inet_pton(AF_INET6, item, buf) == 1))
                return item;
        log_debug(c, "PAM_RHOST '%s' is not an IP address: no remote address sent", PRINTABLE(item));
        return "";
}

void answer_done(Answer *a) {
        sd_bus_message_unref(a->reply);
        *a = (Answer) {};
}

static int read_authenticate_details(sd_bus_message *reply, Answer *a) {
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const char *key;

                /* Only locked_until is read; details added later are skipped. */
                r = sd_bus_message_read(reply, "s", &key);
                if (r >= 0)
                        r = streq(key, "locked_until") ? sd_bus_message_read(reply, "v", "t", &a->locked_until)
                                                       : sd_bus_message_skip(reply, "v");
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return r;
        }
        return r < 0 ? r : sd_bus_message_exit_container(reply);
}

Outcome bus_authenticate(Context *c, const char *password, const char *otp, Answer *ret) {
        Outcome o;
        int r;

        o = method_call(c, "Authenticate", NULL, &ret->reply, "sssa{sv}", c->user, password, otp,
                        1, "remote", "s", remote_address(c));
        if (o != OUTCOME_OK)
                return o;
        (void) sd_bus_message_sensitive(ret->reply);
        r = sd_bus_message_read(ret->reply, "ss", &ret->result, &ret->reason);
        if (r >= 0)
                r = read_authenticate_details(ret->reply, ret);
        if (r < 0)
                return message_failure(c, "Authenticate", "unexpected reply from pkgtokend", r);
        return OUTCOME_OK;
}

static Outcome authorize_errors(Context *c, const sd_bus_error *error) {
        if (!sd_bus_error_has_name(error, PKGTOKEN_ERROR_INVALID_ARGUMENT))
                return _OUTCOME_MAX;
        /* The request, not the token: a package name or an address the daemon refuses. */
        pam_syslog(c->pamh, LOG_NOTICE, "Authorize refused the request for account %s: %s",
                   PRINTABLE(c->user), PRINTABLE(error->message));
        return OUTCOME_FORBIDDEN;
}

Outcome bus_authorize(Context *c, const char *token, const char *package, Action action, const char *otp,
                      Answer *ret) {
        Outcome o;
        int r;

        /* The options: the code only when there is one (the last entry, left out otherwise). */
        o = method_call(c, "Authorize", authorize_errors, &ret->reply, "sssa{sv}", token, package,
                        action_to_string(action), isempty(otp) ? 2 : 3,
                        "remote", "s", remote_address(c), "account", "s", c->user, "otp", "s", otp);
        if (o != OUTCOME_OK)
                return o;
        r = sd_bus_message_read(ret->reply, "ssss", &ret->result, &ret->reason, &ret->actor, &ret->token_id);
        if (r < 0)
                return message_failure(c, "Authorize", "unexpected reply from pkgtokend", r);
        return OUTCOME_OK;
}

Outcome bus_check_account(Context *c) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *state, *reason;
        Outcome o;
        int r;

        o = method_call(c, "CheckAccount", NULL, &reply, "sa{sv}", c->user, 0);
        if (o != OUTCOME_OK)
                return o;
        r = sd_bus_message_read(reply, "ss", &state, &reason);
        if (r < 0)
                return message_failure(c, "CheckAccount", "unexpected reply from pkgtokend", r);

        o = outcome_from_account_state(state);
        switch (o) {
        case OUTCOME_OK:
                break;
        case OUTCOME_ACCOUNT_LOCKED:
                pam_syslog(c->pamh, LOG_NOTICE, "account %s may not be used: %s", PRINTABLE(c->user), PRINTABLE(reason));
                break;
        case OUTCOME_LOCKED:
                pam_syslog(c->pamh, LOG_NOTICE, "account %s is locked out: %s", PRINTABLE(c->user), PRINTABLE(reason));
                break;
        case OUTCOME_UNKNOWN_ACCOUNT:
                log_debug(c, "account %s is unknown to pkgtokend", PRINTABLE(c->user));
                break;
        default:
                pam_syslog(c->pamh, LOG_ERR, "CheckAccount: unknown state '%s'", PRINTABLE(state));
        }
        return o;
}

static Outcome set_password_errors(Context *c, const sd_bus_error *error) {
        if (sd_bus_error_has_name(error, PKGTOKEN_ERROR_BAD_PASSWORD)) {
                pam_syslog(c->pamh, LOG_NOTICE, "password change for account %s: the current password is wrong",
                           PRINTABLE(c->user));
                return OUTCOME_OLD_PASSWORD_WRONG;
        }
        if (sd_bus_error_has_name(error, PKGTOKEN_ERROR_INVALID_ARGUMENT)) {
                /* Why the new password is unacceptable: the daemon's reason holds no secret. */
                set_message(c, "%s", PRINTABLE(error->message));
                return OUTCOME_NEW_PASSWORD_REJECTED;
        }
        if (sd_bus_error_has_name(error, PKGTOKEN_ERROR_RATE_LIMITED))
                return OUTCOME_RATE_LIMITED;
        if (sd_bus_error_has_name(error, PKGTOKEN_ERROR_NO_SUCH_ACCOUNT))
                return OUTCOME_UNKNOWN_ACCOUNT;
        if (sd_bus_error_has_name(error, PKGTOKEN_ERROR_ACCESS_DENIED)) {
                /* A service account (no password), or a caller pkgtokend does not accept. */
                pam_syslog(c->pamh, LOG_NOTICE, "password change for account %s refused: %s", PRINTABLE(c->user),
                           PRINTABLE(error->message));
                set_message(c, "This account's password cannot be changed here.");
                return OUTCOME_FORBIDDEN;
        }
        return _OUTCOME_MAX;
}

Outcome bus_set_password(Context *c, const char *old, const char *new) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Outcome o;

        o = method_call(c, "SetPassword", set_password_errors, &reply, "ssa{sv}", c->user, new,
                        1, "old_password", "s", old);
        if (o == OUTCOME_OK)
                pam_syslog(c->pamh, LOG_NOTICE, "password changed for account %s", PRINTABLE(c->user));
        return o;
}
