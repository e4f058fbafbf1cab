/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What bench-authorize's commands share: the account and package of the store that populate
 * writes and run measures. */

#define BENCH_ACCOUNT       "bench"
#define BENCH_PACKAGE       "bench-pkg"
#define SAMPLE_MAX          10000   /* secrets populate writes to the tokens file, at most */

/* bench-authorize populate STATE_DIR N TOKENS_FILE */
int do_populate(int argc, char *argv[]);
