/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What a PyPI "legacy" upload (twine upload, POST multipart/form-data with :action=file_upload)
 * says it is, and whether that matches the project the URL (and so the PAM check) named.
 *
 * nginx + pam_pkgtoken authorise the request by its URL (/legacy/PROJECT/); the index behind
 * them stores what the body says.  upload_check() closes that gap: the body's "name" field
 * and every file name must belong to PROJECT.  The parser is strict on purpose: anything a
 * backend might read differently from us (a field given twice, escapes in quoted strings,
 * RFC 5987 filename*, a part without a name) is refused rather than interpreted.
 *
 * Pure functions over a buffer; unit-tested in tests/test-upload.c and fuzzed. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UPLOAD_FILES_MAX     8
#define UPLOAD_FILENAME_MAX  255
#define UPLOAD_NAME_MAX      214
#define UPLOAD_VERSION_MAX   64
#define UPLOAD_BOUNDARY_MAX  70    /* RFC 2046 */

typedef struct UploadInfo {
        char action[32];                       /* ":action", e.g. "file_upload" */
        char name[UPLOAD_NAME_MAX + 1];        /* "name": the project as its metadata spells it */
        char version[UPLOAD_VERSION_MAX + 1];  /* "version" */
        char files[UPLOAD_FILES_MAX][UPLOAD_FILENAME_MAX + 1];
        size_t n_files;
} UploadInfo;

/* Takes the boundary out of a Content-Type header value ("multipart/form-data;
 * boundary=..."), into buf.  0, or -EINVAL when it is not multipart/form-data with a valid
 * boundary. */
int upload_boundary(const char *content_type, char buf[static UPLOAD_BOUNDARY_MAX + 1]);

/* Reads the fields that matter out of a multipart/form-data body.  0, or -EBADMSG with a
 * static reason in *reason for a body we refuse to interpret. */
int upload_parse(const uint8_t *body, size_t n, const char *boundary, UploadInfo *ret, const char **reason);

/* Whether the upload belongs to project (a name as in the URL): its ":action" is
 * file_upload, its normalised "name" is the project's, its version is a plain PEP 440
 * version, and every file is an sdist or wheel of that name and version.  0, or -EPERM with
 * a static reason. */
int upload_check(const UploadInfo *u, const char *project, const char **reason);
