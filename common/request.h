/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What an HTTP request to a package registry asks for: the action (model.h's Action) and the
 * package, read from the request line.  Pure functions without I/O that need nothing beyond
 * libc, so the PAM module compiles this file in directly (it links only libpam and
 * libsystemd); unit-tested in tests/test-request.c, fuzzed by tests/fuzz/fuzz-request.c.
 *
 * The vocabulary, shared by pam_pkgtoken and by the registry plugins:
 *
 *   method → action   GET and HEAD read; every other method (PUT, POST, PATCH, DELETE, and
 *                     any method we do not know) publishes: whatever may change the registry
 *                     needs a publishing right, so an unknown method can never pass as a read.
 *
 *   request line      "METHOD SP target SP HTTP/x.y", as nginx's $request and auth_pam's
 *                     REQUEST variable carry it.  METHOD is 1..16 of [A-Z_-]; the target is a
 *                     path ("/left-pad") or an absolute URL ("http://host/left-pad", whose path
 *                     is used); query and fragment are dropped; percent-escapes are decoded,
 *                     and a malformed escape or a decoded control character (NUL included)
 *                     makes the whole line malformed.  The version is "HTTP/" DIGIT ["." DIGIT].
 *
 *   layouts           how the path names a package (RequestLayout):
 *                     npm:  /name, /@scope/name (also /@scope%2fname), each optionally followed
 *                           by /version-or-tag, /-/file.tgz, /-/file.tgz/-rev/rev or /-rev/rev;
 *                           /-/package/name/... (dist-tags, collaborators).  Other /-/...
 *                           endpoints (login, whoami, search, audits) name no package.
 *                     pypi: /simple/name/, /simple/name/FILE, /pypi/name/json,
 *                           /pypi/name/version/json, /legacy/name/ (per-project uploads,
 *                           behind pkgtoken-upload-gate, which checks that the body is of that
 *                           project), and /packages/.../FILE, whose project is in the file
 *                           name (pypi_filename_split()); the name normalised as PEP 503
 *                           says.  /simple/ (the index) and uploads to /legacy/ or / name no
 *                           package: the name of such an upload is only in its body.
 *                     auto: paths under /simple/, /pypi/, /packages/ and /legacy/ the PyPI
 *                           way, everything else the npm way.
 *                     A path with empty, "." or ".." segments, or more than eight segments,
 *                     names no package: a registry may read it differently from how it reads.
 *
 *   prefix            the registry is served below this path ("/npm/"); it is removed before
 *                     the layout reads the path, and a path outside it names no package.
 *
 *   package           a derived package name is only ever returned when it passes
 *                     request_package_is_valid(); pkgtokend then validates it properly. */

#include <stdbool.h>
#include <stddef.h>

#include "input-limits.h"
#include "model.h"

/* "No action known (yet)": a request line always yields an action, but callers that merge
 * several sources (a configured action=, the application's PKGTOKEN_ACTION) need a word for
 * none.  It lies outside model.h's range, so action_to_string() gives NULL for it. */
#define ACTION_UNSET _ACTION_MAX

#define HTTP_METHOD_MAX      16
#define REQUEST_PREFIX_MAX   1024
#define REQUEST_SEGMENTS_MAX 8

typedef enum RequestLayout {
        REQUEST_LAYOUT_AUTO,   /* "auto" */
        REQUEST_LAYOUT_NPM,    /* "npm" */
        REQUEST_LAYOUT_PYPI,   /* "pypi" */
        _REQUEST_LAYOUT_MAX,
} RequestLayout;

const char *request_layout_to_string(RequestLayout l);
int request_layout_from_string(const char *s);   /* a RequestLayout, or -EINVAL */

/* The action for an HTTP method (see above); -EINVAL when method is not 1..16 of [A-Z_-]. */
int http_method_to_action(const char *method);

/* The one merge rule when several sources name an action: the application's own word
 * (explicit, e.g. PKGTOKEN_ACTION) wins; otherwise publish if the configuration or the
 * method says publish (a configuration cannot make a write a read), else read if either says
 * read, else ACTION_UNSET.  Each argument may be ACTION_UNSET. */
Action request_action_resolve(Action explicit_action, Action configured, Action method);

/* Printable ASCII without blanks, 1..max bytes: words in module arguments and environment
 * variables (package names, path prefixes, bus addresses). */
bool ascii_word_is_valid(const char *s, size_t max);

/* What may be passed on as a package name: an ASCII word of at most PACKAGE_NAME_MAX bytes. */
bool request_package_is_valid(const char *s);

/* A prefix= value: an ASCII word of at most REQUEST_PREFIX_MAX bytes that starts with "/" and
 * has no "?", "#" or "%" (it is compared with the decoded path).  Trailing slashes do not
 * matter ("/npm/" is "/npm"; "/" is no prefix). */
bool request_prefix_is_valid(const char *prefix);

/* PEP 503: lower case (ASCII), and every run of "-", "_" and "." becomes one "-".
 * 0 or -ENOMEM.  _into() writes to out, which has room for strlen(name) + 1 bytes. */
int pep503_normalize(const char *name, char **ret);
void pep503_normalize_into(const char *name, char *out);

#define PYPI_VERSION_MAX 64

/* Splits the file name of a PyPI distribution into its project (as spelled, not normalised)
 * and version: wheels and eggs ("demo_pkg-1.0-py3-none-any.whl", whose project ends at the
 * first "-") and sdists ("demo-pkg-1.0.tar.gz", .zip, .tar.bz2, .tar.xz, .tgz, .tar: at the
 * last "-").  0, or -EINVAL for anything else (a path, another extension, no version). */
int pypi_filename_split(const char *filename, char *project, size_t psize, char *version, size_t vsize);

/* Parses a request line.  Returns 0, the action of the method and the target's path, decoded,
 * starting with "/", without query or fragment (newly allocated); -EINVAL when the line is
 * malformed, -ENOMEM. */
int request_line_parse(const char *line, Action *ret_action, char **ret_path);

/* The package a decoded path names under layout and prefix (NULL or "" for none).  Returns 1
 * and a newly allocated name, 0 and NULL when the path names none, -ENOMEM, or -EINVAL for a
 * layout outside RequestLayout. */
int request_path_package(const char *path, RequestLayout layout, const char *prefix, char **ret_package);

/* Both at once: the action, the path (ret_path may be NULL) and the package (NULL when the
 * path names none) of a request line.  0, -EINVAL for a malformed line, -ENOMEM. */
int request_parse(const char *line, RequestLayout layout, const char *prefix, Action *ret_action, char **ret_path,
                  char **ret_package);
