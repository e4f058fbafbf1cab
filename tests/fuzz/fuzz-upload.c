/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The upload gate's multipart parser and check (upload-gate/upload.c).  Input: a first line
 * "PROJECT BOUNDARY", then the body.  Invariants: the parser answers 0 or -EBADMSG (with a
 * reason), every string it returns is NUL-terminated within its field, and an upload the check
 * accepts really names the project, in its "name" field and in every file name. */

#include <errno.h>

#include "fuzz.h"
#include "request.h"
#include "upload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char project[UPLOAD_NAME_MAX + 1] = "", boundary[UPLOAD_BOUNDARY_MAX + 1] = "";
        const uint8_t *nl = memchr(data, '\n', size), *body;
        const char *reason = NULL;
        UploadInfo u;
        int r;

        char line[300];

        if (!nl || (size_t) (nl - data) >= sizeof line)
                return 0;
        memcpy(line, data, (size_t) (nl - data));
        line[nl - data] = '\0';
        if (sscanf(line, "%214s %70s", project, boundary) != 2)
                return 0;
        body = nl + 1;

        r = upload_parse(body, size - (size_t) (body - data), boundary, &u, &reason);
        fuzz_assert(r == 0 || (r == -EBADMSG && reason));
        if (r < 0)
                return 0;
        fuzz_assert(memchr(u.name, '\0', sizeof u.name) && memchr(u.version, '\0', sizeof u.version));
        fuzz_assert(u.n_files <= UPLOAD_FILES_MAX);

        r = upload_check(&u, project, &reason);
        fuzz_assert(r == 0 || (r == -EPERM && reason));
        if (r == 0) {
                char a[UPLOAD_NAME_MAX + 1], b[UPLOAD_NAME_MAX + 1];
                pep503_normalize_into(project, a);
                pep503_normalize_into(u.name, b);
                fuzz_assert(strcmp(a, b) == 0);
                fuzz_assert(u.n_files > 0);
                for (size_t i = 0; i < u.n_files; i++)
                        fuzz_assert(!strchr(u.files[i], '/') && strstr(u.files[i], u.version));
        }
        return 0;
}
