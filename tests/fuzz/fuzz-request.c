/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* libFuzzer target for common/request.c, the request-line parser the PAM module runs on
 * nginx's REQUEST variable (text from any HTTP client).
 *
 * Input: OPTIONS "\n" LINE.  The first byte of OPTIONS picks the layout (auto, npm, pypi); the
 * rest is the prefix= value, used only when request_prefix_is_valid() accepts it, as the
 * module's option parser does.  Without "\n" everything is the line, layout auto, no prefix.
 *
 * Checked beyond memory safety: the parser is deterministic and total (0, -EINVAL or -ENOMEM);
 * a parsed line has a read or publish action that agrees with http_method_to_action() of its
 * method, and a path that starts with "/" and holds no control character; the package is
 * NULL or passes request_package_is_valid(), lies below the prefix, is PEP 503-normalised for
 * layout=pypi and is "name" or "@scope/name" for layout=npm; request_parse() agrees with
 * request_line_parse() + request_path_package(). */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool streq_null(const char *a, const char *b) {
        return a && b ? strcmp(a, b) == 0 : a == b;
}

static void check_package(const char *package, const char *path, RequestLayout layout, const char *prefix) {
        size_t prefix_len = prefix ? strlen(prefix) : 0;

        if (!package)
                return;
        fuzz_assert(request_package_is_valid(package));

        while (prefix_len > 0 && prefix[prefix_len - 1] == '/')
                prefix_len--;
        if (prefix_len > 0)
                fuzz_assert(strncmp(path, prefix, prefix_len) == 0 && path[prefix_len] == '/');

        if (layout == REQUEST_LAYOUT_PYPI) {
                char *again = NULL;

                fuzz_assert(pep503_normalize(package, &again) == 0);
                fuzz_assert(strcmp(again, package) == 0);
                free(again);
        } else if (layout == REQUEST_LAYOUT_NPM) {
                const char *slash = strchr(package, '/');

                if (slash) {
                        fuzz_assert(package[0] == '@' && slash > package + 1 && slash[1] != 0);
                        fuzz_assert(!strchr(slash + 1, '/'));
                }
                fuzz_assert(strstr(path, package));
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const uint8_t *nl = memchr(data, '\n', size);
        RequestLayout layout = REQUEST_LAYOUT_AUTO;
        char *line, *prefix = NULL, *path = NULL, *path2 = NULL, *package = NULL, *package2 = NULL;
        Action action = ACTION_UNSET, action2 = ACTION_UNSET;
        int r, r2;

        if (nl) {
                size_t n = (size_t) (nl - data);

                if (n > 0) {
                        layout = (RequestLayout) (data[0] % _REQUEST_LAYOUT_MAX);
                        prefix = fuzz_strndup(data + 1, n - 1);
                        r = http_method_to_action(prefix);
                        fuzz_assert(r == -EINVAL || r == ACTION_READ || r == ACTION_PUBLISH);
                        if (!request_prefix_is_valid(prefix)) {
                                free(prefix);
                                prefix = NULL;
                        }
                }
                line = fuzz_strndup(nl + 1, size - n - 1);
        } else
                line = fuzz_strndup(data, size);

        r = request_parse(line, layout, prefix, &action, &path, &package);
        fuzz_assert(r == 0 || r == -EINVAL || r == -ENOMEM);

        r2 = request_line_parse(line, &action2, &path2);
        fuzz_assert(r2 == r || r == -ENOMEM || r2 == -ENOMEM);

        if (r == 0 && r2 == 0) {
                size_t method_len = strcspn(line, " ");
                char *method = fuzz_strndup((const uint8_t *) line, method_len);

                fuzz_assert(action == ACTION_READ || action == ACTION_PUBLISH);
                fuzz_assert(action == action2);
                fuzz_assert(http_method_to_action(method) == (int) action);
                free(method);

                fuzz_assert(path[0] == '/');
                fuzz_assert(strcmp(path, path2) == 0);
                for (const char *p = path; *p; p++)
                        fuzz_assert((unsigned char) *p >= ' ' && *p != 0x7f);

                check_package(package, path, layout, prefix);
                r2 = request_path_package(path, layout, prefix, &package2);
                fuzz_assert(r2 == (package ? 1 : 0) || r2 == -ENOMEM);
                if (r2 >= 0)
                        fuzz_assert(streq_null(package, package2));
        } else
                fuzz_assert(!path && !package);

        /* PEP 503 normalisation is idempotent on anything. */
        {
                char *once = NULL, *twice = NULL;

                if (pep503_normalize(line, &once) == 0 && pep503_normalize(once, &twice) == 0)
                        fuzz_assert(strcmp(once, twice) == 0);
                free(once);
                free(twice);
        }

        free(line);
        free(prefix);
        free(path);
        free(path2);
        free(package);
        free(package2);
        return 0;
}
