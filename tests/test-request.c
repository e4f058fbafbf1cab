/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The registry-request vocabulary (common/request.c): request lines, methods and actions,
 * percent-decoding, the npm and PyPI path layouts with and without a prefix, PEP 503 names,
 * and the length limits.  Every path form man/pam_pkgtoken.8 lists under REQUEST PATHS has a
 * row below. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "request.h"
#include "tap.h"

static void *mfree(void *p) {
        free(p);
        return NULL;
}

/* before, n times c, after: the long inputs of the limit tests. */
static char *text(const char *before, char c, size_t n, const char *after) {
        char *s = NULL;

        if (asprintf(&s, "%s%*s%s", before, (int) n, "", after) < 0)
                abort();
        memset(s + strlen(before), c, n);
        return s;
}

/* ------------------------------------------------------------------------------------------ */

typedef struct LineCase {
        const char *line;
        Action action;
        const char *path;
        const char *name;       /* the description, for lines with control characters */
} LineCase;

typedef struct RefusedLine {
        const char *line;
        const char *name;       /* as above */
} RefusedLine;

#define R ACTION_READ
#define P ACTION_PUBLISH

/* Lines request_line_parse() accepts, with the action and path it reads from them. */
static const LineCase line_cases[] = {
        /* methods */
        { "GET /left-pad HTTP/1.1",                R, "/left-pad" },
        { "HEAD /left-pad HTTP/1.1",               R, "/left-pad" },
        { "PUT /left-pad HTTP/1.1",                P, "/left-pad" },
        { "POST /legacy/ HTTP/1.1",                P, "/legacy/" },
        { "PATCH /left-pad HTTP/1.1",              P, "/left-pad" },
        { "DELETE /left-pad/-rev/1-abc HTTP/1.1",  P, "/left-pad/-rev/1-abc" },
        { "OPTIONS /left-pad HTTP/1.1",            P, "/left-pad" },
        { "M-SEARCH /x HTTP/1.1",                  P, "/x" },
        { "MY_METHOD /x HTTP/1.1",                 P, "/x" },
        { "GETS /x HTTP/1.1",                      P, "/x" },
        { "GE /x HTTP/1.1",                        P, "/x" },
        { "HEADER /x HTTP/1.1",                    P, "/x" },
        { "ABCDEFGHIJKLMNOP /x HTTP/1.1",          P, "/x" },          /* 16: the longest method */
        /* versions */
        { "GET /x HTTP/1.0",                       R, "/x" },
        { "GET /x HTTP/2.0",                       R, "/x" },
        { "GET /x HTTP/2",                         R, "/x" },
        { "GET /x HTTP/3",                         R, "/x" },
        /* targets */
        { "GET / HTTP/1.1",                        R, "/" },
        { "GET /x/ HTTP/1.1",                      R, "/x/" },
        { "GET http://registry.example/p-none HTTP/1.1", R, "/p-none" },
        { "GET HTTPS://registry.example/p-none HTTP/1.1", R, "/p-none" },
        { "GET http://registry.example:8080/a/b HTTP/1.1", R, "/a/b" },
        { "GET http://registry.example HTTP/1.1",  R, "/" },
        { "GET http://registry.example?q=/x HTTP/1.1", R, "/" },
        { "GET http://registry.example#/x HTTP/1.1", R, "/" },
        /* query and fragment */
        { "GET /p-none?write=true HTTP/1.1",       R, "/p-none" },
        { "GET /p-none#frag HTTP/1.1",             R, "/p-none" },
        { "GET /p-none?a=%zz HTTP/1.1",            R, "/p-none" },     /* the query is not decoded */
        { "GET /?x HTTP/1.1",                      R, "/" },
        { "GET /p-none?a=b#c HTTP/1.1",            R, "/p-none" },
        /* percent-encoding */
        { "GET /@acme%2fwidget HTTP/1.1",          R, "/@acme/widget" },
        { "PUT /@acme%2Fwidget HTTP/1.1",          P, "/@acme/widget" },
        { "GET /%41%62c HTTP/1.1",                 R, "/Abc" },
        { "GET /a%20b HTTP/1.1",                   R, "/a b" },
        { "GET /a%25 HTTP/1.1",                    R, "/a%" },
        { "GET /a%3f HTTP/1.1",                    R, "/a?" },
        { "GET /%2e%2e HTTP/1.1",                  R, "/.." },
        { "GET /caf%c3%a9 HTTP/1.1",               R, "/caf\xc3\xa9" },
        { "GET /caf\xc3\xa9 HTTP/1.1",             R, "/caf\xc3\xa9", "GET /caf<U+00E9> HTTP/1.1" },
};

/* Each of these makes request_line_parse() return -EINVAL. */
static const RefusedLine refused_lines[] = {
        /* methods */
        { "ABCDEFGHIJKLMNOPQ /x HTTP/1.1" },    /* 17 */
        { "get /x HTTP/1.1" },
        { "Get /x HTTP/1.1" },
        { "G3T /x HTTP/1.1" },
        { " GET /x HTTP/1.1" },
        { "/x HTTP/1.1" },
        /* versions */
        { "GET /x" },
        { "GET /x " },
        { "GET /x HTTP/" },
        { "GET /x HTTP/1." },
        { "GET /x HTTP/11" },
        { "GET /x HTTP/1.1.1" },
        { "GET /x HTTP/x" },
        { "GET /x http/1.1" },
        { "GET /x HTTP/1.1 " },
        { "GET /x HTTP/1.1 extra" },
        { "GET /x HTTP/1.1\r\n", "GET /x HTTP/1.1 CR LF" },
        /* the shape of the line */
        { "" },
        { "GET" },
        { "GET " },
        { "GET  /x HTTP/1.1" },
        { "GET\t/x HTTP/1.1", "GET TAB /x HTTP/1.1" },
        { "GET /a b HTTP/1.1" },
        /* targets */
        { "GET p-none HTTP/1.1" },
        { "GET * HTTP/1.1" },
        { "GET ftp://host/x HTTP/1.1" },
        /* percent-encoding */
        { "GET /%zz HTTP/1.1" },
        { "GET /a%2 HTTP/1.1" },
        { "GET /a% HTTP/1.1" },
        { "GET /a%g0 HTTP/1.1" },
        { "GET /a%2?x HTTP/1.1" },
        { "GET /p%00none HTTP/1.1" },
        { "GET /a%0a HTTP/1.1" },
        { "GET /a%1f HTTP/1.1" },
        { "GET /a%7f HTTP/1.1" },
        { "GET /a\x01 HTTP/1.1", "GET /a<U+0001> HTTP/1.1" },
        { "GET /a\x7f HTTP/1.1", "GET /a<DEL> HTTP/1.1" },
};

static void test_request_line(void) {
        for (size_t i = 0; i < ELEMENTSOF(line_cases); i++) {
                const LineCase *t = line_cases + i;
                const char *name = t->name ?: t->line;
                _cleanup_free_ char *path = NULL;
                Action action = ACTION_UNSET;
                int r;

                r = request_line_parse(t->line, &action, &path);
                if (!CHECK_INT_EQ(r, 0, "request_line_parse(\"%s\") returns %d", name, 0))
                        continue;
                CHECK_STR_EQ(action_to_string(action), action_to_string(t->action), "  ... action %s",
                             action_to_string(t->action));
                CHECK_STR_EQ(path, t->path, "  ... path");
        }
        for (size_t i = 0; i < ELEMENTSOF(refused_lines); i++) {
                const RefusedLine *t = refused_lines + i;
                _cleanup_free_ char *path = NULL;
                Action action = ACTION_UNSET;

                CHECK_INT_EQ(request_line_parse(t->line, &action, &path), -EINVAL,
                             "request_line_parse(\"%s\") returns %d", t->name ?: t->line, -EINVAL);
        }
}

/* ------------------------------------------------------------------------------------------ */

/* Paths that name the same package (or none) under one layout and prefix. */
typedef struct PathCase {
        RequestLayout layout;
        const char *prefix;
        const char *package;    /* NULL: none */
        const char *paths[16];  /* up to the first NULL */
} PathCase;

#define AUTO REQUEST_LAYOUT_AUTO
#define NPM  REQUEST_LAYOUT_NPM
#define PYPI REQUEST_LAYOUT_PYPI

static const PathCase path_cases[] = {
        /* npm: the package document */
        { NPM,  NULL,      "left-pad",        { "/left-pad", "/left-pad/" } },
        { NPM,  NULL,      "Left-Pad",        { "/Left-Pad" } },  /* pkgtokend canonicalises */
        { NPM,  NULL,      "@acme/widget",    { "/@acme/widget", "/@acme/widget/" } },
        /* npm: versions and tags, tarballs, revisions */
        { NPM,  NULL,      "left-pad",        { "/left-pad/1.0.0", "/left-pad/latest" } },
        { NPM,  NULL,      "@acme/widget",    { "/@acme/widget/1.0.0" } },
        { NPM,  NULL,      "left-pad",        { "/left-pad/-/left-pad-1.0.0.tgz" } },
        { NPM,  NULL,      "@acme/widget",    { "/@acme/widget/-/widget-1.0.0.tgz" } },
        { NPM,  NULL,      "left-pad",        { "/left-pad/-/left-pad-1.0.0.tgz/-rev/3-abc" } },
        { NPM,  NULL,      "@acme/widget",    { "/@acme/widget/-/widget-1.0.0.tgz/-rev/3-abc" } },
        { NPM,  NULL,      "left-pad",        { "/left-pad/-rev/3-abc" } },
        { NPM,  NULL,      "@acme/widget",    { "/@acme/widget/-rev/3-abc" } },
        /* npm: shapes that name no package */
        { NPM,  NULL,      NULL,              { "/left-pad/-", "/left-pad/-rev", "/left-pad/1.0.0/extra",
                                                "/left-pad/-/a.tgz/extra", "/left-pad/-/a.tgz/-x/1",
                                                "/left-pad/-/a.tgz/-rev/1/extra", "/@acme", "/@acme/",
                                                "/@/widget" } },
        /* npm: "/-/package/<name>/..." and the other "/-/" endpoints */
        { NPM,  NULL,      "left-pad",        { "/-/package/left-pad/dist-tags",
                                                "/-/package/left-pad/dist-tags/latest" } },
        { NPM,  NULL,      "@acme/widget",    { "/-/package/@acme/widget/dist-tags/latest" } },
        { NPM,  NULL,      "left-pad",        { "/-/package/left-pad/collaborators", "/-/package/left-pad" } },
        { NPM,  NULL,      NULL,              { "/-/package/@acme", "/-/package", "/-/package/", "/-/whoami",
                                                "/-/v1/login", "/-/v1/search",
                                                "/-/user/org.couchdb.user:bob",
                                                "/-/npm/v1/security/audits/quick", "/-" } },
        /* npm: what PyPI paths read as */
        { NPM,  NULL,      "simple",          { "/simple/p-none/" } },
        { NPM,  NULL,      NULL,              { "/packages/ab/cd/p_none-1.0.tar.gz" } },
        /* empty, "." and ".." segments, and the root */
        { AUTO, NULL,      NULL,              { "/", "//left-pad", "/left-pad//1.0.0", "/left-pad//",
                                                "/./left-pad", "/left-pad/.", "/p-oa/../p-none", "/..",
                                                "/simple/../p-none/", "left-pad", "" } },
        /* names that are no ASCII word */
        { AUTO, NULL,      NULL,              { "/a b", "/caf\xc3\xa9", "/simple/caf\xc3\xa9/" } },
        /* PyPI: the simple API and the JSON API, PEP 503 names */
        { PYPI, NULL,      "p-none",          { "/simple/p-none/", "/simple/p-none", "/simple/P_None/",
                                                "/simple/P..none" } },
        { PYPI, NULL,      "foo-bar-baz-qux", { "/simple/Foo.Bar_baz--qux/" } },
        { PYPI, NULL,      "p-none",          { "/pypi/p-none/json", "/pypi/P_None/json",
                                                "/pypi/p-none/1.0/json", "/pypi/p-none/1.0/json/" } },
        /* PyPI: files name their project: below its page, or in their file name */
        { PYPI, NULL,      "p-none",          { "/simple/p-none/p_none-1.0.tar.gz",
                                                "/simple/P_None/anything",
                                                "/packages/ab/cd/p_none-1.0.tar.gz",
                                                "/packages/p_none-1.0.tar.gz" } },
        { PYPI, NULL,      "demo-pkg",        { "/packages/Demo.Pkg-2.0.zip" } },
        { PYPI, NULL,      "demo-pkg-2",      { "/packages/demo-pkg-2-1.0.tar.bz2" } },
        { PYPI, NULL,      "demo-pkg",        { "/packages/demo_pkg-1.0-py3-none-any.whl",
                                                "/packages/demo_pkg-1.0-py3.9.egg" } },
        /* ... and per-project uploads name theirs (the upload gate checks the body) */
        { PYPI, NULL,      "demo-pkg",        { "/legacy/demo-pkg/", "/legacy/Demo_Pkg" } },
        /* PyPI: the index, other files, uploads without a project and other shapes name none */
        { PYPI, NULL,      NULL,              { "/simple/", "/simple", "/simple/p-none/a/b",
                                                "/packages/ab/cd/p_none.tar.gz",
                                                "/packages/ab/cd/p_none-1.0.exe", "/packages/-1.0.tar.gz",
                                                "/packages/", "/legacy/", "/legacy/demo-pkg/extra", "/",
                                                "/pypi/p-none", "/pypi/p-none/1.0",
                                                "/pypi/p-none/1.0/2/json", "/p-none", "/@acme/widget" } },
        /* auto: PyPI's four roots the PyPI way, the rest the npm way */
        { AUTO, NULL,      "p-none",          { "/simple/p-none/", "/simple/P_None/", "/pypi/p-none/json" } },
        { AUTO, NULL,      NULL,              { "/simple/" } },
        { AUTO, NULL,      "p-none",          { "/packages/ab/cd/p_none-1.0.tar.gz", "/legacy/p-none/" } },
        { AUTO, NULL,      NULL,              { "/legacy/", "/legacy" } },
        { AUTO, NULL,      "p-none",          { "/p-none" } },
        { AUTO, NULL,      "@acme/widget",    { "/@acme/widget/-/widget-1.0.0.tgz",
                                                "/-/package/@acme/widget/dist-tags" } },
        { AUTO, NULL,      "simplex",         { "/simplex/1.0.0" } },
        { AUTO, NULL,      "Simple",          { "/Simple/P_None/" } },
        /* prefixes */
        { AUTO, "/npm/",   "p-none",          { "/npm/p-none" } },
        { AUTO, "/npm",    "p-none",          { "/npm/p-none" } },
        { AUTO, "/npm//",  "p-none",          { "/npm/p-none/1.0.0" } },
        { NPM,  "/npm/",   "@acme/widget",    { "/npm/@acme/widget" } },
        { AUTO, "/npm/",   NULL,              { "/p-none", "/npmx/p-none", "/npm", "/npm/", "/NPM/p-none",
                                                "/npm//p-none" } },
        { AUTO, "/a/b/",   "p-none",          { "/a/b/p-none" } },
        { AUTO, "/a/b/",   NULL,              { "/a/p-none" } },
        { AUTO, "/",       "p-none",          { "/p-none" } },
        { AUTO, "",        "p-none",          { "/p-none" } },
        { AUTO, "/py",     "foo",             { "/py/simple/Foo/" } },
        { PYPI, "/py/",    "foo",             { "/py/pypi/foo/json" } },
        { PYPI, "/py/",    NULL,              { "/simple/foo/" } },
        { AUTO, "/simple", "p-none",          { "/simple/p-none/" } },  /* npm's way, under the prefix */
};

static const char *layout_name(RequestLayout l) {
        return request_layout_to_string(l) ?: "?";
}

static void test_path_package(void) {
        for (size_t i = 0; i < ELEMENTSOF(path_cases); i++) {
                const PathCase *t = path_cases + i;

                for (const char * const *path = t->paths; *path; path++) {
                        _cleanup_free_ char *package = NULL;
                        int r;

                        r = request_path_package(*path, t->layout, t->prefix, &package);
                        CHECK_INT_EQ(r, t->package ? 1 : 0, "layout=%s prefix=%s: %s names %s",
                                     layout_name(t->layout), t->prefix ?: "-",
                                     (*path)[0] == '/' && !strchr(*path, '\xc3') ? *path : "(odd path)",
                                     t->package ?: "no package");
                        CHECK_STR_EQ(package, t->package, "  ... the package");
                }
        }
}

/* ------------------------------------------------------------------------------------------ */

static void test_limits(void) {
        _cleanup_free_ char *name214 = text("", 'a', PACKAGE_NAME_MAX, ""), *name215 = text("", 'a', PACKAGE_NAME_MAX + 1, "");
        _cleanup_free_ char *path214 = text("/", 'a', PACKAGE_NAME_MAX, ""), *path215 = text("/", 'a', PACKAGE_NAME_MAX + 1, "");
        _cleanup_free_ char *scoped = text("/@s/", 'a', PACKAGE_NAME_MAX - 3, ""), *scoped_long = text("/@s/", 'a', PACKAGE_NAME_MAX - 2, "");
        _cleanup_free_ char *pypi_long = text("/simple/", 'a', PACKAGE_NAME_MAX + 1, "/");
        _cleanup_free_ char *p1024 = text("/", 'p', REQUEST_PREFIX_MAX - 1, ""), *p1025 = text("/", 'p', REQUEST_PREFIX_MAX, "");
        _cleanup_free_ char *under1024 = text("/", 'p', REQUEST_PREFIX_MAX - 1, "/left-pad"), *package = NULL;
        int r;

        CHECK(request_package_is_valid(name214), "a package name of %d bytes is valid", PACKAGE_NAME_MAX);
        CHECK(!request_package_is_valid(name215), "one of %d bytes is not", PACKAGE_NAME_MAX + 1);
        CHECK(!request_package_is_valid(""), "\"\" is no package name");
        CHECK(!request_package_is_valid(NULL), "NULL is no package name");
        CHECK(!request_package_is_valid("a b"), "\"a b\" is no package name");
        CHECK(!request_package_is_valid("caf\xc3\xa9"), "non-ASCII is no package name");
        CHECK(!request_package_is_valid("a\x7f"), "DEL is no package name");
        CHECK(request_package_is_valid("@acme/widget"), "\"@acme/widget\" passes");

        r = request_path_package(path214, NPM, NULL, &package);
        CHECK_INT_EQ(r, 1, "npm: a path naming a %d-byte package names it", PACKAGE_NAME_MAX);
        CHECK_STR_EQ(package, name214, "  ... the package");
        package = mfree(package);
        r = request_path_package(path215, NPM, NULL, &package);
        CHECK_INT_EQ(r, 0, "npm: a %d-byte package name is none", PACKAGE_NAME_MAX + 1);
        CHECK(!package, "  ... and NULL");
        r = request_path_package(scoped, NPM, NULL, &package);
        CHECK_INT_EQ(r, 1, "npm: a scoped name of %d bytes (\"@s/\" included) is one", PACKAGE_NAME_MAX);
        CHECK_INT_EQ(package ? strlen(package) : 0, PACKAGE_NAME_MAX, "  ... of %d bytes", PACKAGE_NAME_MAX);
        package = mfree(package);
        r = request_path_package(scoped_long, NPM, NULL, &package);
        CHECK_INT_EQ(r, 0, "npm: a scoped name of %d bytes is none", PACKAGE_NAME_MAX + 1);
        r = request_path_package(pypi_long, PYPI, NULL, &package);
        CHECK_INT_EQ(r, 0, "pypi: a %d-byte name is none", PACKAGE_NAME_MAX + 1);

        CHECK(request_prefix_is_valid(p1024), "a prefix of %d bytes is valid", REQUEST_PREFIX_MAX);
        CHECK(!request_prefix_is_valid(p1025), "one of %d bytes is not", REQUEST_PREFIX_MAX + 1);
        r = request_path_package(under1024, NPM, p1024, &package);
        CHECK_INT_EQ(r, 1, "a path below a %d-byte prefix names its package", REQUEST_PREFIX_MAX);
        CHECK_STR_EQ(package, "left-pad", "  ... the package");
        package = mfree(package);

        /* Eight segments at most: the ninth makes the shape unknown. */
        r = request_path_package("/-/package/left-pad/a/b/c/d/e", NPM, NULL, &package);
        CHECK_INT_EQ(r, 1, "8 segments are read");
        CHECK_STR_EQ(package, "left-pad", "  ... the package");
        package = mfree(package);
        r = request_path_package("/-/package/left-pad/a/b/c/d/e/f", NPM, NULL, &package);
        CHECK_INT_EQ(r, 0, "9 segments name no package");
        r = request_path_package("/-/package/left-pad/a/b/c/d/e/", NPM, NULL, &package);
        CHECK_INT_EQ(r, 1, "8 segments and a trailing slash are read");
        package = mfree(package);
        r = request_path_package("/simple/left-pad/a/b/c/d/e/f/g", AUTO, NULL, &package);
        CHECK_INT_EQ(r, 0, "auto, 9 segments under /simple/: none");

        r = request_path_package("/left-pad", (RequestLayout) 7, NULL, &package);
        CHECK_INT_EQ(r, -EINVAL, "a layout outside RequestLayout is refused");
        CHECK(!package, "  ... with NULL");
}

/* ------------------------------------------------------------------------------------------ */

static void test_methods(void) {
        static const struct {
                const char *method;
                int action;
        } cases[] = {
                { "GET", ACTION_READ },         { "HEAD", ACTION_READ },
                { "PUT", ACTION_PUBLISH },      { "POST", ACTION_PUBLISH },
                { "PATCH", ACTION_PUBLISH },    { "DELETE", ACTION_PUBLISH },
                { "OPTIONS", ACTION_PUBLISH },  { "TRACE", ACTION_PUBLISH },
                { "PROPFIND", ACTION_PUBLISH }, { "GETS", ACTION_PUBLISH },
                { "M-SEARCH", ACTION_PUBLISH }, { "ABCDEFGHIJKLMNOP", ACTION_PUBLISH },
                { "ABCDEFGHIJKLMNOPQ", -EINVAL }, { "get", -EINVAL },
                { "Head", -EINVAL },            { "", -EINVAL },
                { "GET ", -EINVAL },            { "G T", -EINVAL },
                { "GET1", -EINVAL },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                CHECK_INT_EQ(http_method_to_action(cases[i].method), cases[i].action, "method \"%s\": %s",
                             cases[i].method, action_to_string(cases[i].action) ?: "invalid");
        CHECK_INT_EQ(http_method_to_action(NULL), -EINVAL, "method NULL: invalid");
}

static void test_action_resolve(void) {
        static const struct {
                Action explicit_action, configured, method, result;
        } cases[] = {
                { ACTION_UNSET,   ACTION_UNSET,   ACTION_UNSET,   ACTION_UNSET },
                { ACTION_UNSET,   ACTION_UNSET,   ACTION_READ,    ACTION_READ },
                { ACTION_UNSET,   ACTION_UNSET,   ACTION_PUBLISH, ACTION_PUBLISH },
                { ACTION_UNSET,   ACTION_READ,    ACTION_UNSET,   ACTION_READ },
                { ACTION_UNSET,   ACTION_PUBLISH, ACTION_UNSET,   ACTION_PUBLISH },
                { ACTION_UNSET,   ACTION_READ,    ACTION_PUBLISH, ACTION_PUBLISH },   /* action=read: PUT stays a write */
                { ACTION_UNSET,   ACTION_PUBLISH, ACTION_READ,    ACTION_PUBLISH },
                { ACTION_UNSET,   ACTION_READ,    ACTION_READ,    ACTION_READ },
                { ACTION_READ,    ACTION_PUBLISH, ACTION_PUBLISH, ACTION_READ },      /* PKGTOKEN_ACTION wins */
                { ACTION_PUBLISH, ACTION_READ,    ACTION_READ,    ACTION_PUBLISH },
                { ACTION_READ,    ACTION_UNSET,   ACTION_UNSET,   ACTION_READ },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                CHECK_INT_EQ(request_action_resolve(cases[i].explicit_action, cases[i].configured, cases[i].method),
                             cases[i].result, "resolve(explicit %s, configured %s, method %s) = %s",
                             action_to_string(cases[i].explicit_action) ?: "-",
                             action_to_string(cases[i].configured) ?: "-",
                             action_to_string(cases[i].method) ?: "-", action_to_string(cases[i].result) ?: "-");
        CHECK(!action_to_string(ACTION_UNSET), "ACTION_UNSET has no word");
}

static void test_words(void) {
        static const struct {
                const char *name, *normalized;
        } pep503[] = {
                { "p-none", "p-none" },         { "P_None", "p-none" },
                { "P..none", "p-none" },        { "Foo.Bar", "foo-bar" },
                { "a-_.b", "a-b" },             { "_a_", "-a-" },
                { "ZOPE.Interface", "zope-interface" }, { "", "" },
                { "caf\xc3\xa9", "caf\xc3\xa9" },
        };

        for (size_t i = 0; i < ELEMENTSOF(pep503); i++) {
                _cleanup_free_ char *n = NULL;

                CHECK_INT_EQ(pep503_normalize(pep503[i].name, &n), 0, "pep503_normalize(#%zu) succeeds", i);
                CHECK_STR_EQ(n, pep503[i].normalized, "  ... #%zu normalises", i);
        }

        CHECK(ascii_word_is_valid("unix:path=/run/x", 4096), "a bus address is a word");
        CHECK(ascii_word_is_valid("abc", 3), "3 bytes fit max 3");
        CHECK(!ascii_word_is_valid("abcd", 3), "4 bytes do not");
        CHECK(!ascii_word_is_valid("a\tb", 10), "a tab is not in a word");

        CHECK(request_prefix_is_valid("/npm/"), "prefix /npm/");
        CHECK(request_prefix_is_valid("/"), "prefix /");
        CHECK(request_prefix_is_valid("/a/b"), "prefix /a/b");
        CHECK(!request_prefix_is_valid("npm"), "prefix npm (no leading slash)");
        CHECK(!request_prefix_is_valid(""), "prefix \"\"");
        CHECK(!request_prefix_is_valid(NULL), "prefix NULL");
        CHECK(!request_prefix_is_valid("/a b"), "prefix with a blank");
        CHECK(!request_prefix_is_valid("/a?x"), "prefix with ?");
        CHECK(!request_prefix_is_valid("/a#x"), "prefix with #");
        CHECK(!request_prefix_is_valid("/a%2f"), "prefix with %%");

        for (RequestLayout l = 0; l < _REQUEST_LAYOUT_MAX; l++)
                CHECK_INT_EQ(request_layout_from_string(request_layout_to_string(l)), l, "layout %s round trips",
                             request_layout_to_string(l));
        CHECK_INT_EQ(request_layout_from_string("maven"), -EINVAL, "layout maven is unknown");
        CHECK_INT_EQ(request_layout_from_string(""), -EINVAL, "layout \"\" is unknown");
        CHECK_INT_EQ(request_layout_from_string(NULL), -EINVAL, "layout NULL is unknown");
        CHECK(!request_layout_to_string(_REQUEST_LAYOUT_MAX), "no word for _REQUEST_LAYOUT_MAX");
}

/* ------------------------------------------------------------------------------------------ */

static void test_request_parse(void) {
        _cleanup_free_ char *path = NULL, *package = NULL;
        Action action = ACTION_UNSET;
        int r;

        r = request_parse("PUT /@acme%2fwidget HTTP/1.1", NPM, NULL, &action, &path, &package);
        CHECK_INT_EQ(r, 0, "request_parse: PUT /@acme%%2fwidget");
        CHECK_INT_EQ(action, ACTION_PUBLISH, "  ... publishes");
        CHECK_STR_EQ(path, "/@acme/widget", "  ... path");
        CHECK_STR_EQ(package, "@acme/widget", "  ... package");
        path = mfree(path);
        package = mfree(package);

        r = request_parse("GET /npm/-/whoami HTTP/1.1", AUTO, "/npm/", &action, NULL, &package);
        CHECK_INT_EQ(r, 0, "request_parse: GET /npm/-/whoami, prefix=/npm/, no path wanted");
        CHECK_INT_EQ(action, ACTION_READ, "  ... reads");
        CHECK(!package, "  ... names no package");

        r = request_parse("GET http://h/simple/P_None/?x=1 HTTP/2", AUTO, NULL, &action, &path, &package);
        CHECK_INT_EQ(r, 0, "request_parse: absolute-form PyPI request");
        CHECK_STR_EQ(path, "/simple/P_None/", "  ... path");
        CHECK_STR_EQ(package, "p-none", "  ... package");
        path = mfree(path);
        package = mfree(package);

        action = ACTION_UNSET;
        r = request_parse("GET /p%00none HTTP/1.1", AUTO, NULL, &action, &path, &package);
        CHECK_INT_EQ(r, -EINVAL, "request_parse: malformed line");
        CHECK(action == ACTION_UNSET && !path && !package, "  ... leaves the results alone");
}

int main(void) {
        test_request_line();
        test_path_package();
        test_limits();
        test_methods();
        test_action_resolve();
        test_words();
        test_request_parse();
        return tap_finish();
}
