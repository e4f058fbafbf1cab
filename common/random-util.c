/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <sys/random.h>

#include "io-util.h"
#include "random-util.h"

/* Blocks only until the kernel pool is initialised once after boot, which is what we want for
 * secrets; io_loop() retries short reads and signals. */
static ssize_t getrandom_step(void *userdata, void *buf, size_t n) {
        return getrandom(buf, n, 0);
}

int random_bytes(void *p, size_t n) {
        return io_loop(getrandom_step, NULL, p, n);
}
