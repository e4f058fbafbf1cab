/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "macro.h"
#include "request.h"
#include "validate.h"

static const char * const request_layout_table[_REQUEST_LAYOUT_MAX] = {
        [REQUEST_LAYOUT_AUTO] = "auto",
        [REQUEST_LAYOUT_NPM]  = "npm",
        [REQUEST_LAYOUT_PYPI] = "pypi",
};

const char *request_layout_to_string(RequestLayout l) {
        if ((unsigned) l >= _REQUEST_LAYOUT_MAX)
                return NULL;
        return request_layout_table[l];
}

int request_layout_from_string(const char *s) {
        for (size_t i = 0; s && i < ELEMENTSOF(request_layout_table); i++)
                if (streq(request_layout_table[i], s))
                        return (int) i;
        return -EINVAL;
}

/* ------------------------------------------------------------------------------------------ */
/* Methods and actions                                                                        */

#define HTTP_METHOD_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZ_-"

/* The method is the n bytes at method, already known to be of HTTP_METHOD_CHARS. */
static Action method_action(const char *method, size_t n) {
        if ((n == 3 && strncmp(method, "GET", 3) == 0) || (n == 4 && strncmp(method, "HEAD", 4) == 0))
                return ACTION_READ;
        return ACTION_PUBLISH;
}

int http_method_to_action(const char *method) {
        size_t n;

        if (!method)
                return -EINVAL;
        n = strspn(method, HTTP_METHOD_CHARS);
        if (n == 0 || n > HTTP_METHOD_MAX || method[n] != 0)
                return -EINVAL;
        return (int) method_action(method, n);
}

Action request_action_resolve(Action explicit_action, Action configured, Action method) {
        if (explicit_action != ACTION_UNSET)
                return explicit_action;
        if (configured == ACTION_PUBLISH || method == ACTION_PUBLISH)
                return ACTION_PUBLISH;
        if (configured == ACTION_READ || method == ACTION_READ)
                return ACTION_READ;
        return ACTION_UNSET;
}

/* ------------------------------------------------------------------------------------------ */
/* Words                                                                                      */

bool ascii_word_is_valid(const char *s, size_t max) {
        size_t n = string_length_within(s, max);

        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (s[i] <= ' ' || s[i] >= 0x7f)
                        return false;
        return true;
}

bool request_package_is_valid(const char *s) {
        return ascii_word_is_valid(s, PACKAGE_NAME_MAX);
}

bool request_prefix_is_valid(const char *prefix) {
        return ascii_word_is_valid(prefix, REQUEST_PREFIX_MAX) && prefix[0] == '/' && !strpbrk(prefix, "?#%");
}

/* The prefix without its trailing slashes: "/npm/" and "/npm" are one prefix, "/" none. */
static size_t prefix_length(const char *prefix) {
        size_t n = prefix ? strlen(prefix) : 0;

        while (n > 0 && prefix[n - 1] == '/')
                n--;
        return n;
}

void pep503_normalize_into(const char *name, char *out) {
        char *w = out;

        for (const char *s = name; *s; s++) {
                if (strchr("-_.", *s)) {
                        if (w == out || w[-1] != '-')
                                *w++ = '-';
                } else
                        *w++ = (*s >= 'A' && *s <= 'Z') ? (char) (*s - 'A' + 'a') : *s;
        }
        *w = 0;
}

int pep503_normalize(const char *name, char **ret) {
        char *out = malloc(strlen(name) + 1);

        if (!out)
                return -ENOMEM;
        pep503_normalize_into(name, out);
        *ret = out;
        return 0;
}

static bool has_suffix(const char *s, const char *suffix, size_t *ret_stem) {
        size_t n = strlen(s), k = strlen(suffix);

        if (n <= k || strcasecmp(s + n - k, suffix) != 0)
                return false;
        *ret_stem = n - k;
        return true;
}

int pypi_filename_split(const char *filename, char *project, size_t psize, char *version, size_t vsize) {
        static const char *const sdist[] = { ".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz", ".tar" };
        static const char *const built[] = { ".whl", ".egg" };
        const char *dash, *v;
        size_t n = 0, stem;
        bool is_built = false, known = false;

        if (strpbrk(filename, "/\\"))
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(built) && !known; i++)
                known = is_built = has_suffix(filename, built[i], &stem);
        for (size_t i = 0; i < ELEMENTSOF(sdist) && !known; i++)
                known = has_suffix(filename, sdist[i], &stem);
        if (!known)
                return -EINVAL;

        /* The project ends at the first "-" of a wheel or egg (they escape "-" in names) and at
         * the last "-" of an sdist (whose version holds none). */
        if (is_built)
                dash = memchr(filename, '-', stem);
        else
                dash = memrchr(filename, '-', stem);
        if (!dash || dash == filename || (size_t) (dash - filename) >= psize)
                return -EINVAL;
        v = dash + 1;
        n = is_built ? strcspn(v, "-") : stem - (size_t) (v - filename);
        if (is_built && v + n > filename + stem)
                n = stem - (size_t) (v - filename);
        if (n == 0 || n >= vsize)
                return -EINVAL;
        memcpy(project, filename, (size_t) (dash - filename));
        project[dash - filename] = 0;
        memcpy(version, v, n);
        version[n] = 0;
        return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* The request line                                                                           */

static int unhex(char ch) {
        if (ch >= '0' && ch <= '9')
                return ch - '0';
        if (ch >= 'a' && ch <= 'f')
                return ch - 'a' + 10;
        if (ch >= 'A' && ch <= 'F')
                return ch - 'A' + 10;
        return -1;
}

/* "HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/2", "HTTP/3", and nothing after it. */
static bool http_version_is_valid(const char *p) {
        if (strncmp(p, "HTTP/", 5) != 0 || p[5] < '0' || p[5] > '9')
                return false;
        p += 6;
        if (*p == '.') {
                if (p[1] < '0' || p[1] > '9')
                        return false;
                p += 2;
        }
        return *p == 0;
}

/* The path of a target that ends at end: origin-form "/path", or absolute-form
 * "http://host/path" (no path there is "/", returned as an empty run at end).  NULL when the
 * target is neither. */
static const char *target_path(const char *target, const char *end) {
        const char *authority, *path;

        if (strncasecmp(target, "http://", 7) != 0 && strncasecmp(target, "https://", 8) != 0)
                return *target == '/' ? target : NULL;
        authority = strstr(target, "//") + 2;
        path = authority + strcspn(authority, "/?# ");
        return *path == '/' ? path : end;
}

/* Decodes the n bytes at path (percent-escapes; "" becomes "/").  -EINVAL for a malformed
 * escape or a control character, which no registry path has and which would make what we
 * check differ from what the registry sees. */
static int path_decode(const char *path, size_t n, char **ret) {
        _cleanup_free_ char *decoded = malloc(n + 2);
        char *w = decoded;

        if (!decoded)
                return -ENOMEM;
        if (n == 0)
                *w++ = '/';
        for (size_t i = 0; i < n; i++) {
                int ch = (unsigned char) path[i];

                if (ch == '%') {
                        int hi = i + 2 < n ? unhex(path[i + 1]) : -1;
                        int lo = hi >= 0 ? unhex(path[i + 2]) : -1;
                        if (hi < 0 || lo < 0)
                                return -EINVAL;
                        ch = hi * 16 + lo;
                        i += 2;
                }
                if (ch < ' ' || ch == 0x7f)
                        return -EINVAL;
                *w++ = (char) ch;
        }
        *w = 0;
        *ret = decoded;
        decoded = NULL;
        return 0;
}

int request_line_parse(const char *line, Action *ret_action, char **ret_path) {
        const char *target, *end, *path;
        size_t method_len, n;
        int r;

        method_len = strspn(line, HTTP_METHOD_CHARS);
        if (method_len == 0 || method_len > HTTP_METHOD_MAX || line[method_len] != ' ')
                return -EINVAL;
        target = line + method_len + 1;
        end = strchr(target, ' ');
        if (!end || end == target || !http_version_is_valid(end + 1))
                return -EINVAL;

        path = target_path(target, end);
        if (!path)
                return -EINVAL;
        n = strcspn(path, "?# ");
        if (path + n > end)
                n = (size_t) (end - path);

        r = path_decode(path, n, ret_path);
        if (r < 0)
                return r;
        *ret_action = method_action(line, method_len);
        return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Paths and packages                                                                         */

/* Splits "/a/b/c/" in place into segments (at most REQUEST_SEGMENTS_MAX; more is "unknown
 * shape", n = max + 1).  Empty, "." and ".." segments make the path unusable (-EINVAL). */
static int path_split(char *path, char *segments[static REQUEST_SEGMENTS_MAX], size_t *ret_n) {
        size_t n = 0;
        char *p = path;

        if (*p != '/')
                return -EINVAL;
        p++;
        while (*p) {
                char *slash = strchr(p, '/');
                if (slash)
                        *slash = 0;
                if (*p == 0 || streq(p, ".") || streq(p, ".."))
                        return -EINVAL;
                if (n == REQUEST_SEGMENTS_MAX) {
                        *ret_n = REQUEST_SEGMENTS_MAX + 1;
                        return 0;
                }
                segments[n++] = p;
                if (!slash)
                        break;
                p = slash + 1;   /* a trailing slash ends the loop with *p == 0 */
        }
        *ret_n = n;
        return 0;
}

static bool streq_any(const char *s, const char *a, const char *b) {
        return streq(s, a) || streq(s, b);
}

/* What may follow an npm package's name: nothing, a version or tag, "-/<tarball>",
 * "-rev/<rev>" or "-/<tarball>/-rev/<rev>". */
static bool npm_rest_is_valid(char **s, size_t rest) {
        switch (rest) {
        case 0:
                return true;
        case 1:
                return !streq_any(s[0], "-", "-rev");
        case 2:
                return streq_any(s[0], "-", "-rev");
        case 4:
                return streq(s[0], "-") && streq(s[2], "-rev");
        default:
                return false;
        }
}

static int npm_package(char **s, size_t n, char **ret) {
        size_t i = 0;
        bool endpoint = false;
        char *name;

        if (n == 0 || n > REQUEST_SEGMENTS_MAX)
                return 0;
        if (streq(s[0], "-")) {
                /* "/-/package/<name>/...": dist-tags, collaborators; other "/-/" name none. */
                if (n < 3 || !streq(s[1], "package"))
                        return 0;
                endpoint = true;
                i = 2;
        }
        if (s[i][0] == '@') {
                if (i + 1 >= n || s[i][1] == 0)
                        return 0;
                size_t scope = strlen(s[i]), rest = strlen(s[i + 1]);

                name = malloc(scope + 1 + rest + 1);
                if (!name)
                        return -ENOMEM;
                memcpy(name, s[i], scope);
                name[scope] = '/';
                memcpy(name + scope + 1, s[i + 1], rest + 1);
                i += 2;
        } else {
                name = strdup(s[i]);
                if (!name)
                        return -ENOMEM;
                i += 1;
        }

        if (!endpoint && !npm_rest_is_valid(s + i, n - i)) {
                free(name);
                return 0;
        }
        *ret = name;
        return 1;
}

/* A file of /packages/... (pypiserver: /packages/FILE; warehouse: /packages/xx/yy/HASH/FILE)
 * names its project in its file name. */
static int pypi_file_package(const char *file, char **ret) {
        char project[PACKAGE_NAME_MAX + 1], version[PYPI_VERSION_MAX + 1];

        if (pypi_filename_split(file, project, sizeof project, version, sizeof version) < 0)
                return 0;
        return pep503_normalize(project, ret) < 0 ? -ENOMEM : 1;
}

static int pypi_package(char **s, size_t n, char **ret) {
        const char *name = NULL;
        int r;

        if ((n == 2 || n == 3) && streq(s[0], "simple"))
                name = s[1];   /* the project's page, or a file below it */
        else if (n >= 3 && n <= 4 && streq(s[0], "pypi") && streq(s[n - 1], "json"))
                name = s[1];
        else if (n == 2 && streq(s[0], "legacy"))
                name = s[1];   /* per-project uploads; pkgtoken-upload-gate checks the body */
        else if (n >= 2 && n <= REQUEST_SEGMENTS_MAX && streq(s[0], "packages"))
                return pypi_file_package(s[n - 1], ret);
        if (!name)
                return 0;
        r = pep503_normalize(name, ret);
        return r < 0 ? r : 1;
}

static bool is_pypi_path(char **s, size_t n) {
        return n > 0 && n <= REQUEST_SEGMENTS_MAX &&
               (streq_any(s[0], "simple", "pypi") || streq_any(s[0], "packages", "legacy"));
}

int request_path_package(const char *path, RequestLayout layout, const char *prefix, char **ret_package) {
        _cleanup_free_ char *copy = NULL, *package = NULL;
        char *segments[REQUEST_SEGMENTS_MAX] = {};
        size_t len = prefix_length(prefix), n = 0;
        int r;

        *ret_package = NULL;
        if (len > 0) {
                if (strncmp(path, prefix, len) != 0 || (path[len] != '/' && path[len] != 0))
                        return 0;   /* outside the prefix */
                path += len;
                if (*path == 0)
                        return 0;
        }

        copy = strdup(path);
        if (!copy)
                return -ENOMEM;
        if (path_split(copy, segments, &n) < 0)
                return 0;

        if (layout == REQUEST_LAYOUT_PYPI || (layout == REQUEST_LAYOUT_AUTO && is_pypi_path(segments, n)))
                r = pypi_package(segments, n, &package);
        else if (layout == REQUEST_LAYOUT_NPM || layout == REQUEST_LAYOUT_AUTO)
                r = npm_package(segments, n, &package);
        else
                return -EINVAL;
        if (r <= 0)
                return r;
        if (!request_package_is_valid(package))
                return 0;

        *ret_package = package;
        package = NULL;
        return 1;
}

int request_parse(const char *line, RequestLayout layout, const char *prefix, Action *ret_action, char **ret_path,
                  char **ret_package) {
        _cleanup_free_ char *path = NULL, *package = NULL;
        Action action;
        int r;

        r = request_line_parse(line, &action, &path);
        if (r < 0)
                return r;
        r = request_path_package(path, layout, prefix, &package);
        if (r < 0)
                return r;

        *ret_action = action;
        if (ret_path) {
                *ret_path = path;
                path = NULL;
        }
        *ret_package = package;
        package = NULL;
        return 0;
}
