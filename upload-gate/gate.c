/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* pkgtoken-upload-gate: sits between nginx (which authorised an upload for the project named
 * in its URL, through pam_pkgtoken) and the PyPI index behind it, and forwards an upload only
 * when its body belongs to that project (upload.h says what is checked).  Everything else
 * about the request passes unchanged.
 *
 *   nginx ──POST /legacy/PROJECT/──> gate ──POST /legacy/──> index (pypiserver, devpi, ...)
 *
 * One thread per connection, bounded; the body is spooled to an unlinked temporary file, so
 * the gate's memory does not grow with upload sizes; every socket has a timeout.  It keeps
 * no secret and logs none: the Authorization header is forwarded, never read. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <systemd/sd-daemon.h>

#include "erase.h"
#include "io-util.h"
#include "log.h"
#include "macro.h"
#include "options.h"
#include "report.h"
#include "upload.h"

#define HEAD_MAX        (64 * 1024)
#define CONNECTIONS_MAX 32
#define IO_TIMEOUT_SEC  60

typedef struct Settings {
        const char *listen;
        const char *backend;
        const char *prefix;         /* "/legacy/": the project is the next path segment */
        const char *backend_path;   /* NULL: the URL without the project segment */
        const char *spool_dir;
        const char *bus;            /* where pkgtokend hears of refusals; NULL: not told */
        bool forward_authorization; /* the index checks credentials itself */
        uint64_t max_body;
} Settings;

static Settings settings = {
        .prefix = "/legacy/",
        .bus = "unix:path=/run/dbus/system_bus_socket",
        .max_body = 256ULL << 20,
};
static atomic_int connections;

/* ---- addresses ---------------------------------------------------------------------------- */

/* "unix:/path" or "127.0.0.1:8080" / "[::1]:8080".  Only loopback TCP: the gate trusts that
 * nginx alone can reach it. */
static int parse_address(const char *s, struct sockaddr_storage *ret, socklen_t *ret_len) {
        memset(ret, 0, sizeof *ret);
        if (strncmp(s, "unix:", 5) == 0) {
                struct sockaddr_un *un = (struct sockaddr_un *) ret;
                if (strlen(s + 5) == 0 || strlen(s + 5) >= sizeof un->sun_path)
                        return -EINVAL;
                un->sun_family = AF_UNIX;
                strcpy(un->sun_path, s + 5);
                *ret_len = sizeof *un;
                return 0;
        }

        char host[64];
        const char *colon = strrchr(s, ':');
        if (!colon || (size_t) (colon - s) >= sizeof host)
                return -EINVAL;
        memcpy(host, s, (size_t) (colon - s));
        host[colon - s] = '\0';
        char *end;
        unsigned long port = strtoul(colon + 1, &end, 10);
        if (*end || port == 0 || port > 65535)
                return -EINVAL;

        struct sockaddr_in *in4 = (struct sockaddr_in *) ret;
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) ret;
        size_t hl = strlen(host);
        if (hl > 2 && host[0] == '[' && host[hl - 1] == ']') {
                host[hl - 1] = '\0';
                if (inet_pton(AF_INET6, host + 1, &in6->sin6_addr) != 1 || !IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
                        return -EINVAL;
                in6->sin6_family = AF_INET6;
                in6->sin6_port = htons((uint16_t) port);
                *ret_len = sizeof *in6;
                return 0;
        }
        if (inet_pton(AF_INET, host, &in4->sin_addr) != 1 || (ntohl(in4->sin_addr.s_addr) >> 24) != 127)
                return -EINVAL;
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t) port);
        *ret_len = sizeof *in4;
        return 0;
}

static void set_timeouts(int fd) {
        struct timeval tv = { .tv_sec = IO_TIMEOUT_SEC };
        (void) setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        (void) setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* ---- plain I/O ---------------------------------------------------------------------------- */

static void respond(int fd, int status, const char *reason_phrase, const char *text) {
        char buf[1024];
        int n = snprintf(buf, sizeof buf,
                         "HTTP/1.0 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %zu\r\n"
                         "Connection: close\r\n\r\n%s\n",
                         status, reason_phrase, strlen(text) + 1, text);
        if (n > 0)
                (void) write_all(fd, buf, (size_t) MIN((size_t) n, sizeof buf - 1));
}

/* ---- the request ---------------------------------------------------------------------------- */

typedef struct Request {
        char head[HEAD_MAX + 1];
        size_t head_len;          /* up to and including the blank line */
        size_t have;              /* bytes read into head, may run into the body */
        char method[16];
        char target[2048];
        char project[UPLOAD_NAME_MAX + 1];
        char content_type[256];
        char remote[64];
        char *authorization;      /* the header's value (in head), for the refusal report */
        uint64_t content_length;
} Request;

static int read_head(int fd, Request *q) {
        while (q->have < HEAD_MAX) {
                ssize_t k = read(fd, q->head + q->have, HEAD_MAX - q->have);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return -EIO;
                q->have += (size_t) k;
                q->head[q->have] = '\0';
                char *e = memmem(q->head, q->have, "\r\n\r\n", 4);
                if (e) {
                        q->head_len = (size_t) (e - q->head) + 4;
                        return 0;
                }
        }
        return -E2BIG;
}

/* The value of header name in the head (case-insensitive), or NULL; -EEXIST in *dup when
 * it appears twice (ambiguous framing is refused, as in request smuggling). */
static const char *header(const Request *q, const char *name, size_t *ret_len, bool *dup) {
        const char *line = strstr(q->head, "\r\n"), *found = NULL, *end = q->head + q->head_len - 2;
        size_t nl = strlen(name);

        *dup = false;
        while (line && line + 2 < end) {
                line += 2;
                const char *eol = strstr(line, "\r\n");
                if (!eol)
                        break;
                if ((size_t) (eol - line) > nl && strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
                        const char *v = line + nl + 1;
                        while (*v == ' ' || *v == '\t')
                                v++;
                        if (found)
                                *dup = true;
                        found = v;
                        *ret_len = (size_t) (eol - v);
                }
                line = eol;
        }
        return found;
}

static bool project_char_is_valid(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || strchr("-_.", c);
}

/* "POST /legacy/PROJECT/ HTTP/1.x" → method, target, project. */
static int parse_request_line(Request *q, const char **why) {
        const char *sp1, *sp2, *p;
        size_t plen = strlen(settings.prefix), n;

        sp1 = strchr(q->head, ' ');
        sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
        if (!sp1 || !sp2 || (size_t) (sp1 - q->head) >= sizeof q->method ||
            (size_t) (sp2 - sp1 - 1) >= sizeof q->target || strncmp(sp2 + 1, "HTTP/1.", 7) != 0)
                return *why = "malformed request line", -EBADMSG;
        memcpy(q->method, q->head, (size_t) (sp1 - q->head));
        memcpy(q->target, sp1 + 1, (size_t) (sp2 - sp1 - 1));

        if (strncmp(q->target, settings.prefix, plen) != 0)
                return *why = "not an upload URL of this gate", -ENOENT;
        p = q->target + plen;
        n = strcspn(p, "/?");
        if (n == 0 || n > UPLOAD_NAME_MAX)
                return *why = "the URL names no project", -ENOENT;
        for (size_t i = 0; i < n; i++)
                if (!project_char_is_valid(p[i]))
                        return *why = "the URL's project is not a project name", -ENOENT;
        memcpy(q->project, p, n);
        return 0;
}

static int parse_headers(Request *q, const char **why) {
        const char *v;
        size_t n;
        bool dup;

        if (header(q, "Transfer-Encoding", &n, &dup))
                return *why = "chunked uploads are not accepted (nginx sends a Content-Length)", -EBADMSG;
        v = header(q, "Content-Length", &n, &dup);
        if (!v || dup || n == 0 || n > 19)
                return *why = "missing or ambiguous Content-Length", -EBADMSG;
        q->content_length = 0;
        for (size_t i = 0; i < n; i++) {
                if (v[i] < '0' || v[i] > '9')
                        return *why = "malformed Content-Length", -EBADMSG;
                q->content_length = q->content_length * 10 + (uint64_t) (v[i] - '0');
        }
        if (q->content_length > settings.max_body)
                return *why = "upload too large", -EFBIG;
        v = header(q, "Content-Type", &n, &dup);
        if (!v || dup || n >= sizeof q->content_type)
                return *why = "missing or ambiguous Content-Type", -EBADMSG;
        memcpy(q->content_type, v, n);
        q->content_type[n] = '\0';
        /* Passed on to pkgtokend with a refusal, so that the audit names who tried. */
        v = header(q, "Authorization", &n, &dup);
        if (v && !dup)
                q->authorization = strndup(v, n);
        /* For the log and the audit: nginx's X-Real-IP, when the operator's config sets it. */
        v = header(q, "X-Real-IP", &n, &dup);
        if (v && !dup && n < sizeof q->remote) {
                memcpy(q->remote, v, n);
                q->remote[n] = '\0';
        }
        return 0;
}

/* Reads the body into an unlinked file: what came with the head, then the rest. */
static int spool_body(int fd, const Request *q) {
        const char *dir = settings.spool_dir ?: (getenv("TMPDIR") ?: "/var/tmp");
        uint64_t left = q->content_length;
        size_t early = MIN((uint64_t) (q->have - q->head_len), left);
        char buf[65536];
        int spool, r;

        spool = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (spool < 0)
                return log_error_errno(errno, "cannot create a spool file in %s: %m", dir);
        r = write_all(spool, q->head + q->head_len, early);
        left -= early;
        while (r >= 0 && left > 0) {
                ssize_t k = read(fd, buf, (size_t) MIN(left, sizeof buf));
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0) {
                        r = -EIO;
                        break;
                }
                r = write_all(spool, buf, (size_t) k);
                left -= (uint64_t) k;
        }
        if (r < 0) {
                close(spool);
                return r;
        }
        return spool;
}

static int check_body(int spool, const Request *q, const char **why) {
        char boundary[UPLOAD_BOUNDARY_MAX + 1];
        UploadInfo u;
        void *map;
        int r;

        if (upload_boundary(q->content_type, boundary) < 0)
                return *why = "not multipart/form-data", -EBADMSG;
        if (q->content_length == 0)
                return *why = "empty upload", -EBADMSG;
        map = mmap(NULL, q->content_length, PROT_READ, MAP_PRIVATE, spool, 0);
        if (map == MAP_FAILED)
                return -errno;
        r = upload_parse(map, q->content_length, boundary, &u, why);
        if (r >= 0)
                r = upload_check(&u, q->project, why);
        munmap(map, q->content_length);
        return r;
}

/* ---- forwarding ---------------------------------------------------------------------------- */

/* The target the index sees: --backend-path, or the URL without the project segment. */
static void backend_target(const Request *q, char *buf, size_t size) {
        const char *rest = q->target + strlen(settings.prefix) + strlen(q->project);

        if (settings.backend_path)
                snprintf(buf, size, "%s", settings.backend_path);
        else
                snprintf(buf, size, "%.*s%s", (int) strlen(settings.prefix) - 1, settings.prefix,
                         *rest ? rest : "/");
}

/* Headers the index does not get: hop-by-hop ones, and the credentials (the gate reports a
 * refusal with them; the index behind it does not need the token) unless asked to. */
static bool dropped_header(const char *line, size_t n) {
        static const char *const names[] = { "Connection:", "Keep-Alive:", "Proxy-Connection:", "TE:", "Upgrade:" };
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (n >= strlen(names[i]) && strncasecmp(line, names[i], strlen(names[i])) == 0)
                        return true;
        return !settings.forward_authorization && n >= 14 && strncasecmp(line, "Authorization:", 14) == 0;
}

static int forward(int client, int spool, const Request *q) {
        struct sockaddr_storage sa;
        socklen_t sl;
        char target[2200], buf[65536];
        const char *line, *end = q->head + q->head_len - 2;
        int b, r;

        if (parse_address(settings.backend, &sa, &sl) < 0)
                return -EINVAL;
        b = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (b < 0)
                return -errno;
        set_timeouts(b);
        if (connect(b, (struct sockaddr *) &sa, sl) < 0) {
                r = -errno;
                close(b);
                return r;
        }

        backend_target(q, target, sizeof target);
        int n = snprintf(buf, sizeof buf, "%s %s HTTP/1.0\r\n", q->method, target);
        r = write_all(b, buf, (size_t) n);
        for (line = strstr(q->head, "\r\n") + 2; r >= 0 && line < end;) {
                const char *eol = strstr(line, "\r\n");
                if (!dropped_header(line, (size_t) (eol - line)))
                        r = write_all(b, line, (size_t) (eol - line) + 2);
                line = eol + 2;
        }
        if (r >= 0)
                r = write_all(b, "Connection: close\r\n\r\n", 21);
        off_t off = 0;
        while (r >= 0 && (uint64_t) off < q->content_length) {
                ssize_t k = sendfile(b, spool, &off, (size_t) MIN(q->content_length - (uint64_t) off, 1 << 20));
                if (k <= 0)
                        r = k < 0 ? -errno : -EIO;
        }
        /* The index's answer goes back unchanged. */
        while (r >= 0) {
                ssize_t k = read(b, buf, sizeof buf);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                r = write_all(client, buf, (size_t) k);
        }
        close(b);
        return r;
}

/* ---- connections ---------------------------------------------------------------------------- */

static void refuse(int fd, const Request *q, int r, const char *why) {
        int status = r == -EPERM ? 403 : r == -EFBIG ? 413 : r == -ENOENT ? 404 : 400;
        const char *phrase = status == 403 ? "Forbidden" : status == 413 ? "Payload Too Large" :
                             status == 404 ? "Not Found" : "Bad Request";
        char text[512];

        log_warning("refused %s upload for project '%s'%s%s: %s", q->method, q->project,
                    *q->remote ? " from " : "", q->remote, why);
        snprintf(text, sizeof text, "pkgtoken-upload-gate: upload refused: %s.", why);
        respond(fd, status, phrase, text);
        /* PAM allowed this upload by its URL (and pkgtokend recorded that); that the body was
         * another project's must be on record too. */
        if (status == 403 && settings.bus)
                report_refusal(settings.bus, q->authorization, q->project, why, q->remote);
}

static void request_freep(Request **q) {
        if (*q) {
                erase_and_freep(&(*q)->authorization);
                free(*q);
        }
}

static void serve(int fd) {
        _cleanup_(request_freep) Request *q = calloc(1, sizeof *q);
        const char *why = NULL;
        int spool = -1, r;

        if (!q) {
                respond(fd, 503, "Service Unavailable", "pkgtoken-upload-gate: out of memory.");
                return;
        }
        set_timeouts(fd);
        r = read_head(fd, q);
        if (r < 0) {
                if (r == -E2BIG)
                        respond(fd, 431, "Request Header Fields Too Large", "pkgtoken-upload-gate: headers too large.");
                return;
        }
        r = parse_request_line(q, &why);
        if (r >= 0 && !streq(q->method, "POST"))
                r = -EBADMSG, why = "only POST uploads pass this gate";
        if (r >= 0)
                r = parse_headers(q, &why);
        if (r < 0) {
                refuse(fd, q, r, why);
                return;
        }

        spool = spool_body(fd, q);
        if (spool < 0) {
                respond(fd, 503, "Service Unavailable", "pkgtoken-upload-gate: cannot read the upload.");
                return;
        }
        r = check_body(spool, q, &why);
        if (r < 0 && why) {
                close(spool);
                refuse(fd, q, r, why);
                return;
        }
        if (r >= 0)
                r = forward(fd, spool, q);
        close(spool);
        if (r < 0) {
                log_error_errno(r, "cannot forward an upload for '%s' to %s: %m", q->project, settings.backend);
                respond(fd, 502, "Bad Gateway", "pkgtoken-upload-gate: the package index did not answer.");
                return;
        }
        log_info("forwarded upload for project '%s'%s%s", q->project, *q->remote ? " from " : "", q->remote);
}

static void *connection_thread(void *p) {
        int fd = (int) (intptr_t) p;

        serve(fd);
        close(fd);
        atomic_fetch_sub(&connections, 1);
        return NULL;
}

static int listen_on(const char *address) {
        struct sockaddr_storage sa;
        socklen_t sl;
        int fd, one = 1;

        if (parse_address(address, &sa, &sl) < 0)
                return log_error_errno(EINVAL, "--listen=%s: use unix:/path or a loopback HOST:PORT", address);
        fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return log_error_errno(errno, "socket: %m");
        (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (sa.ss_family == AF_UNIX)
                (void) unlink(((struct sockaddr_un *) &sa)->sun_path);
        if (bind(fd, (struct sockaddr *) &sa, sl) < 0 || listen(fd, 64) < 0) {
                int r = log_error_errno(errno, "cannot listen on %s: %m", address);
                close(fd);
                return r;
        }
        return fd;
}

static int help(void) {
        printf("Usage: pkgtoken-upload-gate --listen=ADDRESS --backend=ADDRESS [OPTIONS]\n\n"
               "Forwards PyPI uploads (POST PREFIX/PROJECT/) to the package index only when the\n"
               "upload's project and file names belong to PROJECT.\n\n"
               "  -h --help               Show this help\n"
               "     --listen=ADDRESS     unix:/path or a loopback HOST:PORT (or a socket from systemd)\n"
               "     --backend=ADDRESS    the index: unix:/path or a loopback HOST:PORT\n"
               "     --prefix=PATH        URL path before the project (default: /legacy/)\n"
               "     --backend-path=PATH  path the index takes uploads on (default: the URL\n"
               "                          without the project segment)\n"
               "     --max-body=MIB       largest upload in MiB (default: 256)\n"
               "     --spool-dir=DIR      where bodies wait while checked (default: $TMPDIR or /var/tmp)\n"
               "     --bus=ADDRESS        tell pkgtokend of refusals on this bus (default: the system\n"
               "                          bus; \"none\": do not)\n"
               "     --forward-authorization  pass the Authorization header on to the index\n");
        return 0;
}

enum { ARG_LISTEN = 0x100, ARG_BACKEND, ARG_PREFIX, ARG_BACKEND_PATH, ARG_MAX_BODY, ARG_SPOOL_DIR, ARG_BUS,
       ARG_FORWARD_AUTHORIZATION };

static int parse_option(int c, const char *arg, void *userdata) {
        struct sockaddr_storage sa;
        socklen_t sl;
        char *end;

        switch (c) {
        case ARG_LISTEN:
                settings.listen = arg;
                return 0;
        case ARG_BACKEND:
                if (parse_address(arg, &sa, &sl) < 0)
                        return log_error_errno(EINVAL, "--backend=%s: use unix:/path or a loopback HOST:PORT", arg);
                settings.backend = arg;
                return 0;
        case ARG_PREFIX:
                if (arg[0] != '/' || arg[strlen(arg) - 1] != '/')
                        return log_error_errno(EINVAL, "--prefix= must start and end with '/'");
                settings.prefix = arg;
                return 0;
        case ARG_BACKEND_PATH:
                if (arg[0] != '/' || strpbrk(arg, " \r\n"))
                        return log_error_errno(EINVAL, "--backend-path= must be a path");
                settings.backend_path = arg;
                return 0;
        case ARG_MAX_BODY:
                errno = 0;
                settings.max_body = strtoull(arg, &end, 10) << 20;
                if (errno || *end || settings.max_body == 0 || settings.max_body > (64ULL << 30))
                        return log_error_errno(EINVAL, "--max-body= takes MiB, 1..65536");
                return 0;
        case ARG_SPOOL_DIR:
                settings.spool_dir = arg;
                return 0;
        case ARG_FORWARD_AUTHORIZATION:
                settings.forward_authorization = true;
                return 0;
        case ARG_BUS:
                settings.bus = streq(arg, "none") ? NULL : arg;
                return 0;
        default:
                return -EINVAL;
        }
}

static int parse_argv(int argc, char *argv[]) {
        static const struct option options[] = {
                OPTION_HELP,
                { "listen",       required_argument, NULL, ARG_LISTEN       },
                { "backend",      required_argument, NULL, ARG_BACKEND      },
                { "prefix",       required_argument, NULL, ARG_PREFIX       },
                { "backend-path", required_argument, NULL, ARG_BACKEND_PATH },
                { "max-body",     required_argument, NULL, ARG_MAX_BODY     },
                { "spool-dir",    required_argument, NULL, ARG_SPOOL_DIR    },
                { "bus",          required_argument, NULL, ARG_BUS          },
                { "forward-authorization", no_argument, NULL, ARG_FORWARD_AUTHORIZATION },
                {}
        };
        int r;

        r = options_parse(argc, argv, "pkgtoken-upload-gate", "h", options, help, parse_option, NULL);
        if (r <= 0)
                return r;
        if (!settings.backend || (!settings.listen && isempty(getenv("LISTEN_FDS"))))
                return log_error_errno(EINVAL, "--listen= and --backend= are needed (see --help)");
        return 1;
}

/* systemd socket activation: exactly one socket, for us. */
static int socket_from_systemd(void) {
        int n = sd_listen_fds(/* unset_environment= */ true);

        if (n != 1)
                return log_error_errno(n < 0 ? n : EINVAL, "expected one socket from systemd, got %d", n);
        return SD_LISTEN_FDS_START;
}

int main(int argc, char *argv[]) {
        int fd, r;

        log_setup("pkgtoken-upload-gate");
        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? 2 : 0;
        signal(SIGPIPE, SIG_IGN);

        fd = settings.listen ? listen_on(settings.listen) : socket_from_systemd();
        if (fd < 0)
                return 1;
        log_info("forwarding uploads under %s to %s", settings.prefix, settings.backend);

        for (;;) {
                pthread_attr_t attr;
                pthread_t t;
                int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

                if (c < 0) {
                        if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE)
                                continue;
                        log_error_errno(errno, "accept: %m");
                        return 1;
                }
                if (atomic_fetch_add(&connections, 1) >= CONNECTIONS_MAX) {
                        atomic_fetch_sub(&connections, 1);
                        respond(c, 503, "Service Unavailable", "pkgtoken-upload-gate: busy, try again.");
                        close(c);
                        continue;
                }
                pthread_attr_init(&attr);
                pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
                if (pthread_create(&t, &attr, connection_thread, (void *) (intptr_t) c) != 0) {
                        atomic_fetch_sub(&connections, 1);
                        respond(c, 503, "Service Unavailable", "pkgtoken-upload-gate: busy, try again.");
                        close(c);
                }
                pthread_attr_destroy(&attr);
        }
}
