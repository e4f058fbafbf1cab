/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "macro.h"
#include "request.h"
#include "upload.h"

#define PART_HEADERS_MAX 8192

static bool boundary_char_is_valid(char c) {
        /* RFC 2046 bchars, without the space (no client sends one, and it invites trimming
         * differences). */
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               strchr("'()+_,-./:=?", c);
}

int upload_boundary(const char *content_type, char buf[static UPLOAD_BOUNDARY_MAX + 1]) {
        const char *p = content_type, *b;
        size_t n = 0;
        bool quoted;

        if (!p || strncasecmp(p, "multipart/form-data", 19) != 0)
                return -EINVAL;
        p += 19;
        b = strcasestr(p, "boundary=");
        if (!b)
                return -EINVAL;
        b += 9;
        quoted = *b == '"';
        if (quoted)
                b++;
        while (b[n] && b[n] != '"' && b[n] != ';' && b[n] != ' ') {
                if (!boundary_char_is_valid(b[n]) || n >= UPLOAD_BOUNDARY_MAX)
                        return -EINVAL;
                buf[n] = b[n];
                n++;
        }
        if (n == 0 || (quoted && b[n] != '"'))
                return -EINVAL;
        buf[n] = '\0';
        return 0;
}

/* One parameter of a Content-Disposition header: name="value", with value strictly quoted and
 * free of backslashes and quotes (nothing to unescape, so nothing to unescape differently). */
static int disposition_param(const char *h, size_t n, const char *key, char *out, size_t out_size, bool *found) {
        size_t klen = strlen(key);

        *found = false;
        for (size_t i = 0; i + klen + 2 <= n; i++) {
                size_t j;

                if (h[i] != ';')
                        continue;
                j = i + 1;
                while (j < n && h[j] == ' ')
                        j++;
                if (j + klen + 2 > n || strncasecmp(h + j, key, klen) != 0 || h[j + klen] != '=')
                        continue;
                j += klen + 1;
                if (h[j] != '"')
                        return -EBADMSG;
                j++;
                size_t start = j;
                while (j < n && h[j] != '"') {
                        if (h[j] == '\\' || (unsigned char) h[j] < 0x20)
                                return -EBADMSG;
                        j++;
                }
                if (j >= n || j - start >= out_size || *found)
                        return -EBADMSG;
                memcpy(out, h + start, j - start);
                out[j - start] = '\0';
                *found = true;
        }
        return 0;
}

/* Finds the Content-Disposition line among a part's headers. */
static const char *find_disposition(const char *h, size_t n, size_t *ret_len) {
        static const char key[] = "content-disposition:";
        const char *line = h, *end = h + n;

        while (line < end) {
                const char *eol = memmem(line, (size_t) (end - line), "\r\n", 2) ?: end;
                size_t len = (size_t) (eol - line);

                if (len > sizeof key - 1 && strncasecmp(line, key, sizeof key - 1) == 0) {
                        const char *v = line + sizeof key - 1;
                        while (v < eol && *v == ' ')
                                v++;
                        *ret_len = (size_t) (eol - v);
                        return v;
                }
                line = eol + 2;
        }
        return NULL;
}

typedef struct Field {
        const char *name;
        size_t offset;
        size_t size;
} Field;

static const Field fields[] = {
        { ":action", offsetof(UploadInfo, action),  sizeof(((UploadInfo *) 0)->action) },
        { "name",    offsetof(UploadInfo, name),    sizeof(((UploadInfo *) 0)->name) },
        { "version", offsetof(UploadInfo, version), sizeof(((UploadInfo *) 0)->version) },
};

static int take_part(UploadInfo *u, bool seen[static ELEMENTSOF(fields)], const char *headers, size_t hn,
                     const uint8_t *content, size_t cn, const char **reason) {
        char field[64], filename[UPLOAD_FILENAME_MAX + 1], star[UPLOAD_FILENAME_MAX + 1];
        const char *d;
        size_t dn;
        bool has_name, has_filename, has_star;

        d = find_disposition(headers, hn, &dn);
        if (!d || dn < 9 || strncasecmp(d, "form-data", 9) != 0)
                return *reason = "a part is not form-data", -EBADMSG;
        if (disposition_param(d, dn, "name", field, sizeof field, &has_name) < 0 ||
            disposition_param(d, dn, "filename", filename, sizeof filename, &has_filename) < 0 ||
            disposition_param(d, dn, "filename*", star, sizeof star, &has_star) < 0 || has_star)
                return *reason = "a part's Content-Disposition is malformed or ambiguous", -EBADMSG;
        if (!has_name)
                return *reason = "a part has no name", -EBADMSG;

        if (has_filename) {
                if (u->n_files >= UPLOAD_FILES_MAX)
                        return *reason = "too many files in one upload", -EBADMSG;
                snprintf(u->files[u->n_files++], sizeof u->files[0], "%s", filename);
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
                if (!streq(field, fields[i].name))
                        continue;
                if (seen[i])
                        return *reason = "a field is given twice", -EBADMSG;
                if (cn >= fields[i].size || memchr(content, '\0', cn))
                        return *reason = "a field is too long or holds a NUL byte", -EBADMSG;
                memcpy((char *) u + fields[i].offset, content, cn);
                ((char *) u + fields[i].offset)[cn] = '\0';
                seen[i] = true;
        }
        return 0;
}

int upload_parse(const uint8_t *body, size_t n, const char *boundary, UploadInfo *ret, const char **reason) {
        char delim[UPLOAD_BOUNDARY_MAX + 5];
        bool seen[ELEMENTSOF(fields)] = {};
        const uint8_t *p, *end = body + n;
        size_t dn;
        int r;

        *ret = (UploadInfo) {};
        *reason = NULL;
        if (isempty(boundary) || strlen(boundary) > UPLOAD_BOUNDARY_MAX)
                return *reason = "no boundary", -EBADMSG;
        dn = (size_t) snprintf(delim, sizeof delim, "\r\n--%s", boundary);

        /* The first delimiter may start the body (without the CRLF before it). */
        if (n >= dn - 2 && memcmp(body, delim + 2, dn - 2) == 0)
                p = body + dn - 2;
        else {
                p = memmem(body, n, delim, dn);
                if (!p)
                        return *reason = "no multipart boundary in the body", -EBADMSG;
                p += dn;
        }

        for (;;) {
                const uint8_t *headers, *hend, *content, *next;

                if (end - p >= 2 && p[0] == '-' && p[1] == '-')
                        return 0;   /* the close delimiter; the epilogue is ignored */
                if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
                        return *reason = "malformed multipart delimiter", -EBADMSG;
                headers = p + 2;
                hend = memmem(headers, (size_t) MIN(end - headers, PART_HEADERS_MAX), "\r\n\r\n", 4);
                if (!hend)
                        return *reason = "a part's headers are missing or too long", -EBADMSG;
                content = hend + 4;
                next = memmem(content, (size_t) (end - content), delim, dn);
                if (!next)
                        return *reason = "the body ends inside a part", -EBADMSG;
                r = take_part(ret, seen, (const char *) headers, (size_t) (hend - headers), content,
                              (size_t) (next - content), reason);
                if (r < 0)
                        return r;
                p = next + dn;
        }
}

/* A PEP 440 version in its plain form: starts with a digit, then digits, letters, ".", "!"
 * and "+".  No "-" or "_": with them a file name could be read as another project's. */
static bool version_is_plain(const char *v) {
        if (!(*v >= '0' && *v <= '9'))
                return false;
        for (; *v; v++)
                if (!((*v >= '0' && *v <= '9') || (*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') ||
                      *v == '.' || *v == '!' || *v == '+'))
                        return false;
        return true;
}

int upload_check(const UploadInfo *u, const char *project, const char **reason) {
        char want[UPLOAD_NAME_MAX + 1], got[UPLOAD_FILENAME_MAX + 1];

        if (!streq(u->action, "file_upload"))
                return *reason = "only :action=file_upload is accepted", -EPERM;
        if (strlen(project) > UPLOAD_NAME_MAX || isempty(u->name))
                return *reason = "the upload names no project", -EPERM;
        pep503_normalize_into(project, want);
        pep503_normalize_into(u->name, got);
        if (!streq(want, got))
                return *reason = "the upload's project is not the one in the URL", -EPERM;
        if (!version_is_plain(u->version))
                return *reason = "the upload's version is not a plain PEP 440 version", -EPERM;
        if (u->n_files == 0)
                return *reason = "the upload holds no file", -EPERM;

        for (size_t i = 0; i < u->n_files; i++) {
                char p[UPLOAD_FILENAME_MAX + 1], v[UPLOAD_FILENAME_MAX + 1];

                if (pypi_filename_split(u->files[i], p, sizeof p, v, sizeof v) < 0)
                        return *reason = "a file name is not an sdist, wheel or egg name", -EPERM;
                pep503_normalize_into(p, got);
                if (!streq(want, got))
                        return *reason = "a file belongs to another project", -EPERM;
                if (strcasecmp(v, u->version) != 0)
                        return *reason = "a file's version is not the upload's version", -EPERM;
        }
        return 0;
}
