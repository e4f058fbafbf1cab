/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* libFuzzer target for the PAM helper's request framing (common/pam-request.c): any bytes
 * are parsed without reading past them; an accepted request has valid, NUL-free fields within
 * their limits and builds back to exactly the same bytes; a refused one leaves nothing. */

#include <errno.h>

#include "fuzz.h"
#include "macro.h"
#include "pam-request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static uint8_t again[PAM_REQUEST_MAX];
        static PamRequest q;
        int r, n;

        memset(&q, 'Z', sizeof q);
        r = pam_request_parse(data, size, &q);
        fuzz_assert(r == 0 || r == -EINVAL);
        if (r < 0) {
                fuzz_assert(q.service[0] == 0 && q.user[0] == 0 && q.password[0] == 0);
                return 0;
        }
        fuzz_assert(size <= PAM_REQUEST_MAX);
        fuzz_assert(pam_service_name_is_valid(q.service));
        fuzz_assert(!isempty(q.user) && strlen(q.user) <= ACCOUNT_NAME_MAX);
        fuzz_assert(strlen(q.password) <= PASSWORD_MAX);

        n = pam_request_build(again, sizeof again, q.service, q.user, q.password);
        fuzz_assert(n >= 0 && (size_t) n == size && memcmp(again, data, size) == 0);
        pam_request_erase(&q);
        return 0;
}
