/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The direct socket (bus-direct.h): accepting peer-to-peer sd-bus connections, knowing who is
 * on each, and forgetting them when they go. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-id128.h>

#include "bus-direct.h"
#include "log.h"
#include "macro.h"
#include "names.h"

typedef struct DirectConnection {
        sd_bus *bus;                 /* NULL: a free slot */
        Caller caller;
        sd_event_source *starting;   /* until the connection runs: on_starting() */
} DirectConnection;

struct DirectServer {
        DirectService service;
        int listen_fd;
        char *bound_path;            /* the socket we bound ourselves, removed on exit */
        struct stat bound_st;        /* ... if it is still ours then */
        sd_event_source *listen_source;
        sd_id128_t server_id;        /* the guid of the D-Bus authentication */
        unsigned n_connections;
        size_t last;                 /* the slot found last: calls come in runs on one connection */
        DirectConnection connections[DIRECT_CONNECTIONS_MAX];
};

static DirectConnection *find_connection(DirectServer *s, sd_bus *bus) {
        if (s->connections[s->last].bus == bus)
                return &s->connections[s->last];
        for (size_t i = 0; i < ELEMENTSOF(s->connections); i++)
                if (s->connections[i].bus == bus) {
                        s->last = i;
                        return &s->connections[i];
                }
        return NULL;
}

static void connection_drop(DirectServer *s, DirectConnection *c) {
        /* No flush: the peer is gone or not worth waiting for. */
        sd_event_source_disable_unref(c->starting);
        sd_bus_close_unref(c->bus);
        *c = (DirectConnection) {};
        s->n_connections--;
}

/* sd-bus synthesises org.freedesktop.DBus.Local.Disconnected when the peer goes: the slot
 * and the connection are freed (sd_bus_process() holds its own reference meanwhile). */
static int on_disconnected(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        DirectServer *s = userdata;
        DirectConnection *c = find_connection(s, sd_bus_message_get_bus(msg));

        if (c)
                connection_drop(s, c);
        return 0;
}

/* The uid the kernel recorded when the peer connected: nothing the peer says about itself
 * (a p2p message's sender field is the peer's to write, so it is never looked at). */
static int peer_caller(int fd, gid_t registry_gid, Caller *ret) {
        struct ucred ucred;
        socklen_t n = sizeof ucred;

        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &ucred, &n) < 0)
                return -errno;
        if (n != sizeof ucred || ucred.uid == (uid_t) -1)
                return -ENODATA;
        log_debug("direct connection from pid %d (uid %u, gid %u)", (int) ucred.pid, (unsigned) ucred.uid,
                  (unsigned) ucred.gid);
        return caller_for_uid(ucred.uid, registry_gid, ret);
}

/* sd-bus (252) leaves a call that came in one read with the client's BEGIN in its buffer until
 * more input arrives: the authentication ends, the connection runs, and nothing wakes it for
 * the call it already holds.  A client that waits for OK and then sends BEGIN and its first
 * call in one go (dbus-native, so the Verdaccio plugin) would wait for its answer forever.  So
 * after each turn of the loop, until the connection runs, it is asked once more to process
 * what it has; then this source goes.  Only connections still authenticating pay for it. */
static int on_starting(sd_event_source *source, void *userdata) {
        DirectConnection *c = userdata;
        _cleanup_(sd_bus_unrefp) sd_bus *bus = NULL;
        int r;

        if (sd_bus_is_ready(c->bus) <= 0)
                return 0;
        c->starting = sd_event_source_disable_unref(c->starting);
        /* Processing may end the connection (on_disconnected() frees the slot): keep it. */
        bus = sd_bus_ref(c->bus);
        do
                r = sd_bus_process(bus, NULL);
        while (r > 0);
        return 0;
}

/* Serves fd in c; the fd is closed in any case. */
static int connection_start(DirectServer *s, int fd, DirectConnection *c) {
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        int r;

        r = peer_caller(fd, s->service.registry_gid, &c->caller);
        if (r >= 0)
                r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_fd(bus, fd, fd);   /* from here on the bus closes fd */
        if (r < 0) {
                close(fd);
                return r;
        }
        r = sd_bus_set_server(bus, true, s->server_id);
        if (r < 0)
                return r;
        (void) sd_bus_set_description(bus, "direct");
        r = sd_bus_add_object_vtable(bus, NULL, PKGTOKEN_OBJECT_PATH, PKGTOKEN_MANAGER_IFACE, s->service.vtable,
                                     s->service.userdata);
        if (r < 0)
                return r;
        r = sd_bus_match_signal(bus, NULL, "org.freedesktop.DBus.Local", "/org/freedesktop/DBus/Local",
                                "org.freedesktop.DBus.Local", "Disconnected", on_disconnected, s);
        if (r < 0)
                return r;
        r = sd_bus_attach_event(bus, s->service.event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return r;
        r = sd_bus_start(bus);
        if (r < 0)
                return r;
        r = sd_event_add_post(s->service.event, &c->starting, on_starting, c);
        if (r < 0)
                return r;
        c->bus = bus;
        bus = NULL;
        return 0;
}

static int on_connect(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        DirectServer *s = userdata;
        DirectConnection *c;
        int cfd, r;

        cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0) {
                if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                        log_warning("direct socket: cannot accept a connection: %m");
                return 0;
        }
        c = find_connection(s, NULL);
        if (!c) {
                log_warning("direct socket: %d connections already, refusing one more", DIRECT_CONNECTIONS_MAX);
                close(cfd);
                return 0;
        }
        r = connection_start(s, cfd, c);
        if (r < 0) {
                log_warning("direct socket: cannot serve a connection: %s", strerror(-r));
                *c = (DirectConnection) {};
                return 0;
        }
        s->n_connections++;
        return 0;
}

/* The socket systemd passed: one listening AF_UNIX stream socket, or none (0). */
static int listen_fd_from_systemd(void) {
        int n = sd_listen_fds(true);

        if (n <= 0)
                return n;
        if (n > 1 || sd_is_socket_unix(SD_LISTEN_FDS_START, SOCK_STREAM, 1, NULL, 0) <= 0) {
                log_error("direct socket: systemd passed %d sockets, expected one listening unix stream socket", n);
                return -EINVAL;
        }
        return SD_LISTEN_FDS_START;
}

/* Binds path ourselves: 0660, the registry group when we may give it away (root may; a daemon
 * that is not a member may not, and then only its own group can connect: fail closed).
 *
 * The socket is bound under a name of its own beside path and renamed into place once it
 * listens, so that a client never finds path refusing connections (bound, not yet listening)
 * and a socket a killed daemon left behind is replaced in one step.  Anything at path that is
 * not a socket stays, and the daemon refuses to start. */
static int bind_socket(const char *path, gid_t registry_gid, struct stat *ret_st) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_free_ char *staging = NULL;
        struct stat st;
        int fd, r;

        if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
                log_error("DirectSocket=%s: exists and is not a socket", path);
                return -EEXIST;
        }
        if (asprintf(&staging, "%s.%d~", path, (int) getpid()) < 0)
                return -ENOMEM;
        if (strlen(staging) >= sizeof sa.sun_path) {
                log_error("DirectSocket=%s: too long; it is bound as %s first, and a unix socket path has "
                          "at most %zu bytes", path, staging, sizeof sa.sun_path - 1);
                return -EINVAL;
        }
        memcpy(sa.sun_path, staging, strlen(staging));
        (void) unlink(staging);

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        /* Made under the daemon's umask 0077, opened up to the group only afterwards. */
        if (bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
                r = -errno;
                log_error("DirectSocket=%s: %s", path, strerror(-r));
                close(fd);
                return r;
        }
        if (chmod(staging, 0660) < 0 || listen(fd, SOMAXCONN) < 0)
                goto fail;
        if (registry_gid != (gid_t) -1 && chown(staging, (uid_t) -1, registry_gid) < 0)
                log_warning("DirectSocket=%s: cannot give it to the registry group (%m): only the daemon's group "
                            "can connect", path);
        if (lstat(staging, ret_st) < 0 || rename(staging, path) < 0)
                goto fail;
        return fd;

fail:
        r = -errno;
        log_error("DirectSocket=%s: %s", path, strerror(-r));
        (void) unlink(staging);
        close(fd);
        return r;
}

int direct_server_new(const DirectService *service, const char *path, DirectServer **ret) {
        _cleanup_(direct_server_freep) DirectServer *s = NULL;
        int fd, r;

        *ret = NULL;
        fd = listen_fd_from_systemd();
        if (fd < 0)
                return fd;
        if (fd == 0 && isempty(path))
                return 0;

        s = calloc(1, sizeof *s);
        if (!s)
                return -ENOMEM;
        s->service = *service;
        s->listen_fd = -1;
        if (fd == 0) {
                fd = bind_socket(path, service->registry_gid, &s->bound_st);
                if (fd < 0)
                        return fd;
                s->listen_fd = fd;
                s->bound_path = strdup(path);
                if (!s->bound_path)
                        return -ENOMEM;
        } else {
                s->listen_fd = fd;
                /* accept4() must not block the loop on a connection that went away meanwhile. */
                if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
                        return -errno;
        }
        r = sd_id128_randomize(&s->server_id);
        if (r < 0)
                return r;
        r = sd_event_add_io(service->event, &s->listen_source, s->listen_fd, EPOLLIN, on_connect, s);
        if (r < 0)
                return r;
        log_info("serving verifiers directly on %s", s->bound_path ?: "the socket systemd passed");
        *ret = s;
        s = NULL;
        return 0;
}

/* A daemon started meanwhile may have put its own socket at path: that one stays. */
static void unlink_if_ours(const char *path, const struct stat *ours) {
        struct stat st;

        if (lstat(path, &st) == 0 && st.st_dev == ours->st_dev && st.st_ino == ours->st_ino)
                (void) unlink(path);
}

DirectServer *direct_server_free(DirectServer *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(s->connections); i++)
                if (s->connections[i].bus)
                        connection_drop(s, &s->connections[i]);
        sd_event_source_unref(s->listen_source);
        if (s->listen_fd >= 0)
                close(s->listen_fd);
        if (s->bound_path)
                unlink_if_ours(s->bound_path, &s->bound_st);
        free(s->bound_path);
        free(s);
        return NULL;
}

int direct_server_caller(DirectServer *s, sd_bus *bus, Caller *ret) {
        DirectConnection *c;

        if (!s || !bus)
                return 0;
        c = find_connection(s, bus);
        if (!c)
                return 0;
        *ret = c->caller;
        return 1;
}

unsigned direct_server_connections(const DirectServer *s) {
        return s ? s->n_connections : 0;
}
