/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The table of codes the same client may send again (pkgtokend/code-reuse.c), with time
 * injected: a remembered code matches exactly its subject, secret, address and code, and only
 * until it expires; a full table gives up the entry that expires first. */

#include <stdio.h>

#include "code-reuse.h"
#include "macro.h"
#include "tap.h"

#define T0 (1000 * USEC_PER_SEC)

int main(void) {
        CodeReuse *c = NULL;

        if (code_reuse_new(&c) < 0)
                abort();

        code_reuse_remember(c, "alice", "pw", "192.0.2.7", "123456", T0 + 90 * USEC_PER_SEC, T0);
        CHECK(code_reuse_matches(c, "alice", "pw", "192.0.2.7", "123456", T0 + 1), "the same client, code and credentials match");
        CHECK(code_reuse_matches(c, "alice", "pw", "192.0.2.7", "123456", T0 + 90 * USEC_PER_SEC - 1), "  ... until just before the code expires");
        CHECK(!code_reuse_matches(c, "alice", "pw", "192.0.2.7", "123456", T0 + 90 * USEC_PER_SEC), "  ... and not after");
        CHECK(!code_reuse_matches(c, "alice", "pw", "192.0.2.8", "123456", T0 + 1), "another address does not match");
        CHECK(!code_reuse_matches(c, "alice", "px", "192.0.2.7", "123456", T0 + 1), "another password does not match");
        CHECK(!code_reuse_matches(c, "bob", "pw", "192.0.2.7", "123456", T0 + 1), "another account does not match");
        CHECK(!code_reuse_matches(c, "alice", "pw", "192.0.2.7", "123457", T0 + 1), "another code does not match");
        CHECK(!code_reuse_matches(c, "alicepw", "", "192.0.2.7", "123456", T0 + 1), "subject and secret do not run together");
        CHECK(!code_reuse_matches(c, "alice", "pw", "", "123456", T0 + 1), "no address never matches");

        code_reuse_remember(c, "alice", "pw", "2001:db8::1", "111111", T0 + 60 * USEC_PER_SEC, T0);
        CHECK(code_reuse_matches(c, "alice", "pw", "2001:DB8:0::1", "111111", T0 + 1), "an address written another way is the same address");

        code_reuse_remember(c, "carol", "pw", "", "222222", T0 + 60 * USEC_PER_SEC, T0);
        CHECK(!code_reuse_matches(c, "carol", "pw", "", "222222", T0 + 1), "a code from no address is not remembered");
        code_reuse_remember(c, "carol", "pw", "192.0.2.9", "222222", T0, T0);
        CHECK(!code_reuse_matches(c, "carol", "pw", "192.0.2.9", "222222", T0), "an already expired code is not remembered");

        /* Fill the table with codes that expire later than alice's first one: it gives way. */
        for (unsigned i = 0; i < CODE_REUSE_MAX; i++) {
                char code[16];
                snprintf(code, sizeof code, "%06u", i);
                code_reuse_remember(c, "dave", "pw", "192.0.2.10", code, T0 + 200 * USEC_PER_SEC, T0 + 1);
        }
        CHECK(!code_reuse_matches(c, "alice", "pw", "192.0.2.7", "123456", T0 + 2), "a full table gives up what expires first");
        CHECK(code_reuse_matches(c, "dave", "pw", "192.0.2.10", "000000", T0 + 2), "  ... and keeps the later ones");
        CHECK(code_reuse_matches(c, "dave", "pw", "192.0.2.10", "004095", T0 + 2), "  ... up to the newest");

        code_reuse_free(c);
        return tap_finish();
}
