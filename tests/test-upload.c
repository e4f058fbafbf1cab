/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The upload gate's parser and check (upload-gate/upload.c), on bodies shaped like twine's
 * (requests-toolbelt's MultipartEncoder): valid uploads pass, uploads of another project, or
 * that a backend could read differently from us, do not. */

#include <stdio.h>

#include "macro.h"
#include "tap.h"
#include "request.h"
#include "upload.h"

#define B "b0undary-1234"

typedef struct Part {
        const char *disposition;   /* after "Content-Disposition: " */
        const char *content;
} Part;

static size_t build(char *buf, size_t size, const Part *parts, size_t n) {
        size_t len = 0;

        for (size_t i = 0; i < n; i++)
                len += (size_t) snprintf(buf + len, size - len, "--" B "\r\nContent-Disposition: %s\r\n\r\n%s\r\n",
                                         parts[i].disposition, parts[i].content);
        len += (size_t) snprintf(buf + len, size - len, "--" B "--\r\n");
        return len;
}

/* Parses and checks an upload of the given fields and one file at project; returns the
 * result of whichever step failed (or 0). */
static int try_upload(const char *project, const char *action, const char *name, const char *version,
                      const char *filename, const char **reason) {
        char fdisp[512], body[8192];
        UploadInfo u;
        Part parts[] = {
                { "form-data; name=\":action\"", action },
                { "form-data; name=\"protocol_version\"", "1" },
                { "form-data; name=\"name\"", name },
                { "form-data; name=\"version\"", version },
                { fdisp, "\x1f\x8b binary \r\n-- not a boundary" },
                { "form-data; name=\"sha256_digest\"", "00" },
        };
        size_t n;
        int r;

        snprintf(fdisp, sizeof fdisp, "form-data; name=\"content\"; filename=\"%s\"", filename);
        n = build(body, sizeof body, parts, ELEMENTSOF(parts));
        r = upload_parse((const uint8_t *) body, n, B, &u, reason);
        if (r < 0)
                return r;
        return upload_check(&u, project, reason);
}

static void test_uploads(void) {
        /* Each case differs from an upload of demo-pkg 1.0 (":action" file_upload) in what it names. */
        static const struct {
                const char *project, *action, *name, *version, *file;
                int r;
                const char *what;
        } v[] = {
                { .file = "demo-pkg-1.0.tar.gz", .what = "an sdist of the project" },
                { .file = "demo_pkg-1.0.tar.gz", .what = "a PEP 625 sdist name" },
                { .file = "demo_pkg-1.0-py3-none-any.whl", .what = "a wheel" },
                { .name = "Demo_Pkg", .file = "Demo_Pkg-1.0.zip", .what = "names compared PEP 503-normalised" },
                { .project = "Demo.Pkg", .version = "2.0rc1", .file = "demo.pkg-2.0rc1.tar.gz", .what = "the URL's project normalised too" },
                { .version = "1!2.0+local.1", .file = "demo_pkg-1!2.0+local.1-py3-none-any.whl", .what = "epochs and local versions" },
                { .name = "other-pkg", .file = "other-pkg-1.0.tar.gz", .r = -EPERM, .what = "another project's name" },
                { .file = "other-pkg-1.0.tar.gz", .r = -EPERM, .what = "another project's file" },
                { .file = "other_pkg-1.0-py3-none-any.whl", .r = -EPERM, .what = "another project's wheel" },
                { .project = "demo", .name = "demo", .file = "demo-pkg-1.0.tar.gz", .r = -EPERM, .what = "a project whose name extends the URL's" },
                { .version = "2-1.0", .file = "demo-pkg-2-1.0.tar.gz", .r = -EPERM, .what = "a version with '-' (demo-pkg-2 1.0?)" },
                { .file = "demo-pkg-1.1.tar.gz", .r = -EPERM, .what = "a file of another version" },
                { .file = "demo-pkg-1.0.exe", .r = -EPERM, .what = "an unknown file type" },
                { .file = "../demo-pkg-1.0.tar.gz", .r = -EPERM, .what = "a path in the file name" },
                { .file = "demo-pkg.tar.gz", .r = -EPERM, .what = "a file name without a version" },
                { .action = "submit", .file = "demo-pkg-1.0.tar.gz", .r = -EPERM, .what = "another :action" },
                { .name = "", .file = "demo-pkg-1.0.tar.gz", .r = -EPERM, .what = "an empty name" },
                { .version = "", .file = "demo-pkg-1.0.tar.gz", .r = -EPERM, .what = "an empty version" },
                { .file = "demo-pkg-1.0\\\".tar.gz", .r = -EBADMSG, .what = "an escaped quote in a file name" },
        };

        for (size_t i = 0; i < ELEMENTSOF(v); i++) {
                const char *reason = NULL;
                int r = try_upload(v[i].project ?: "demo-pkg", v[i].action ?: "file_upload", v[i].name ?: "demo-pkg",
                                   v[i].version ?: "1.0", v[i].file, &reason);
                CHECK_INT_EQ(r, v[i].r, "%s: %s", v[i].r == 0 ? "accepted" : "refused", v[i].what);
                CHECK(v[i].r == 0 || reason, "  ... with a reason (%s)", reason ?: "none");
        }
}

static int parse_parts(const Part *parts, size_t n, UploadInfo *u, const char **reason) {
        char body[8192];
        size_t len = build(body, sizeof body, parts, n);
        return upload_parse((const uint8_t *) body, len, B, u, reason);
}

static void test_ambiguity(void) {
        const char *reason;
        UploadInfo u;

        Part twice[] = {
                { "form-data; name=\"name\"", "demo-pkg" },
                { "form-data; name=\"name\"", "other-pkg" },
        };
        CHECK_INT_EQ(parse_parts(twice, 2, &u, &reason), -EBADMSG, "a field given twice is refused");

        Part star[] = {
                { "form-data; name=\"content\"; filename=\"demo-pkg-1.0.tar.gz\"; filename*=UTF-8''other-pkg-1.0.tar.gz", "x" },
        };
        CHECK_INT_EQ(parse_parts(star, 1, &u, &reason), -EBADMSG, "filename* beside filename is refused");

        Part two_filenames[] = {
                { "form-data; name=\"content\"; filename=\"demo-pkg-1.0.tar.gz\"; filename=\"other-pkg-1.0.tar.gz\"", "x" },
        };
        CHECK_INT_EQ(parse_parts(two_filenames, 1, &u, &reason), -EBADMSG, "two filename parameters are refused");

        Part unquoted[] = { { "form-data; name=name", "demo-pkg" } };
        CHECK_INT_EQ(parse_parts(unquoted, 1, &u, &reason), -EBADMSG, "an unquoted parameter is refused");

        Part nameless[] = { { "form-data; filename=\"demo-pkg-1.0.tar.gz\"", "x" } };
        CHECK_INT_EQ(parse_parts(nameless, 1, &u, &reason), -EBADMSG, "a part without a name is refused");

        Part attachment[] = { { "attachment; name=\"name\"", "x" } };
        CHECK_INT_EQ(parse_parts(attachment, 1, &u, &reason), -EBADMSG, "a part that is not form-data is refused");

        Part nul[] = { { "form-data; name=\"name\"", "" } };
        CHECK_INT_EQ(parse_parts(nul, 1, &u, &reason), 0, "an empty field parses");

        char many[UPLOAD_FILES_MAX + 1][80];
        Part files[UPLOAD_FILES_MAX + 1];
        for (size_t i = 0; i <= UPLOAD_FILES_MAX; i++) {
                snprintf(many[i], sizeof many[i], "form-data; name=\"content\"; filename=\"demo-pkg-1.%zu.tar.gz\"", i);
                files[i] = (Part) { many[i], "x" };
        }
        CHECK_INT_EQ(parse_parts(files, UPLOAD_FILES_MAX, &u, &reason), 0, "%d files parse", UPLOAD_FILES_MAX);
        CHECK_INT_EQ((int) u.n_files, UPLOAD_FILES_MAX, "  ... all of them are recorded");
        CHECK_INT_EQ(parse_parts(files, UPLOAD_FILES_MAX + 1, &u, &reason), -EBADMSG, "more files are refused");
}

static void test_framing(void) {
        static const char good[] = "preamble\r\n--" B "\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\ndemo\r\n--" B "--";
        const char *reason;
        UploadInfo u;

        CHECK_INT_EQ(upload_parse((const uint8_t *) good, sizeof good - 1, B, &u, &reason), 0, "a preamble is skipped");
        CHECK_STR_EQ(u.name, "demo", "  ... and the field is read");
        for (size_t n = 0; n < sizeof good - 3; n++)
                if (upload_parse((const uint8_t *) good, n, B, &u, &reason) == 0) {
                        CHECK(false, "a body cut at %zu bytes is refused", n);
                        return;
                }
        CHECK(true, "a body cut anywhere before its close delimiter is refused");
        CHECK_INT_EQ(upload_parse((const uint8_t *) good, sizeof good - 1, "other", &u, &reason), -EBADMSG,
                     "the wrong boundary is refused");
}

static void test_boundary(void) {
        static const struct {
                const char *content_type, *boundary;
        } v[] = {
                { "multipart/form-data; boundary=abc", "abc" },
                { "multipart/form-data; boundary=\"a b\"", NULL },
                { "multipart/form-data; boundary=\"abc\"", "abc" },
                { "Multipart/Form-Data; charset=utf-8; boundary=abc123", "abc123" },
                { "multipart/form-data; boundary=abc; charset=utf-8", "abc" },
                { "multipart/form-data", NULL },
                { "multipart/form-data; boundary=", NULL },
                { "application/x-www-form-urlencoded; boundary=abc", NULL },
                { "multipart/form-data; boundary=\"abc", NULL },
                { "multipart/form-data; boundary=0123456789012345678901234567890123456789012345678901234567890123456789x", NULL },
        };

        for (size_t i = 0; i < ELEMENTSOF(v); i++) {
                char b[UPLOAD_BOUNDARY_MAX + 1];
                int r = upload_boundary(v[i].content_type, b);
                if (v[i].boundary)
                        CHECK(r == 0 && streq(b, v[i].boundary), "boundary of '%s' is '%s'", v[i].content_type, v[i].boundary);
                else
                        CHECK_INT_EQ(r, -EINVAL, "'%s' is refused", v[i].content_type);
        }
}

static void test_normalize(void) {
        static const StringPair v[] = {
                { "Demo_Pkg", "demo-pkg" },
                { "demo.-_pkg", "demo-pkg" },
                { "A", "a" },
                { "zope.interface", "zope-interface" },
                { "", "" },
        };

        for (size_t i = 0; i < ELEMENTSOF(v); i++) {
                char buf[64];
                pep503_normalize_into(v[i].in, buf);
                CHECK(streq(buf, v[i].out), "PEP 503: '%s' -> '%s'", v[i].in, v[i].out);
        }
}

int main(void) {
        test_uploads();
        test_ambiguity();
        test_framing();
        test_boundary();
        test_normalize();
        return tap_finish();
}
