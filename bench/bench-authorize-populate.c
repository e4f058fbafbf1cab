/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* bench-authorize populate (see bench-authorize.c): a token store of any size, written
 * straight through pkgtokend's store code before the daemon starts.  With
 * BENCH_STORE_CONNECTION= set, the store is that PostgreSQL database, and only the sampled
 * tokens (those written to TOKENS_FILE) are made here: bench/run-pg.sh adds the rest in one
 * INSERT ... SELECT FROM generate_series. */

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench-authorize.h"
#include "bench-util.h"
#include "model.h"
#include "store.h"
#include "time-util.h"
#include "token.h"

/* Runs in this process only, on every connection SQLite opens: a large page cache lets one
 * transaction insert a million rows into two random-keyed unique indexes without spilling
 * dirty pages to the WAL over and over.  The daemon's own settings are not affected: it
 * opens the database afterwards, in its own process. */
static int bench_sqlite_init(sqlite3 *db, char **errmsg, const struct sqlite3_api_routines *api) {
        (void) api;
        return sqlite3_exec(db, "PRAGMA cache_size = -524288", NULL, NULL, errmsg);   /* 512 MiB */
}

int do_populate(int argc, char *argv[]) {
        _cleanup_(store_freep) Store *store = NULL;
        _cleanup_transaction_ Transaction tx = {};
        char *empty[] = { NULL };
        AccountRecord account = {};
        int64_t package_id;
        unsigned long n, stride, written = 0;
        usec_t now = now_realtime_usec();
        uint64_t t0 = now_ns();
        FILE *out;
        int fd, r;

        if (argc != 3)
                die("usage: %s populate STATE_DIR N TOKENS_FILE", program);
        n = parse_ulong(argv[1], "token count", 1, 100000000);
        stride = n > SAMPLE_MAX ? n / SAMPLE_MAX : 1;

        umask(0077);   /* like pkgtokend: the database is for its owner alone */

        const char *connection = getenv("BENCH_STORE_CONNECTION");
        if (isempty(connection)) {
                char path[4096];
                struct stat st;
                snprintf(path, sizeof path, "%s/%s", argv[0], STORE_DB_FILENAME);
                if (stat(path, &st) == 0)
                        die("%s exists already; populate wants a fresh state directory", path);
        }

        r = sqlite3_auto_extension((void (*)(void)) bench_sqlite_init);
        if (r != SQLITE_OK)
                die("cannot register the SQLite tweaks: %s", sqlite3_errstr(r));

        r = store_open_with_options(argv[0], isempty(connection) ? NULL : &(StoreOptions) {
                .backend = STORE_BACKEND_POSTGRESQL,
                .connection = connection,
        }, &store);
        if (r < 0)
                die("cannot open the store in %s: %s", argv[0], strerror(-r));

        fd = open(argv[2], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0)
                die("cannot create %s: %m", argv[2]);
        out = fdopen(fd, "w");
        if (!out)
                die("fdopen: %m");

        r = store_begin(store, &tx);
        if (r < 0)
                die("cannot begin a transaction: %s", strerror(-r));
        r = store_account_insert(store, BENCH_ACCOUNT, "bench@example.invalid", ACCOUNT_SERVICE, now);
        if (r < 0)
                die("cannot create the account: %s", strerror(-r));
        r = store_account_get(store, BENCH_ACCOUNT, &account);
        if (r < 0)
                die("cannot read the account back: %s", strerror(-r));
        r = store_package_insert(store, BENCH_PACKAGE, POLICY_NONE, now, &package_id);
        if (r < 0)
                die("cannot create the package: %s", strerror(-r));
        r = store_maintainer_add(store, package_id, account.id, now);
        if (r < 0)
                die("cannot add the maintainer: %s", strerror(-r));

        for (unsigned long i = 0; i < n; i++) {
                char secret[TOKEN_LEN + 1], id[TOKEN_ID_LEN + 1], prefix[TOKEN_DISPLAY_LEN + 1];
                uint8_t hash[TOKEN_HASH_SIZE];

                if (!isempty(connection) && (i % stride != 0 || written >= SAMPLE_MAX))
                        continue;   /* the SQL filler's */
                r = token_generate(secret);
                if (r >= 0)
                        r = token_id_generate(id);
                if (r < 0)
                        die("cannot generate a token: %s", strerror(-r));
                token_hash(secret, hash);
                token_display_prefix(secret, prefix);

                TokenRecord t = {
                        .id = id,
                        .prefix = prefix,
                        .type = TOKEN_READ_ONLY,
                        .owner = TOKEN_OWNER_ACCOUNT,
                        .account_id = account.id,
                        .scope = empty,
                        .description = (char *) "",
                        .created_by = (char *) BENCH_ACCOUNT,
                        .created_at = now,
                        .cidrs = empty,
                };
                r = store_token_insert(store, &t, hash);
                if (r == -EEXIST) {   /* a public id collision: 72 random bits, but be exact */
                        i--;
                        continue;
                }
                if (r < 0)
                        die("cannot insert token %lu: %s", i, strerror(-r));

                if (i % stride == 0 && written < SAMPLE_MAX) {
                        fprintf(out, "%s\n", secret);
                        written++;
                }
        }
        account_record_done(&account);

        r = store_commit(&tx);
        if (r < 0)
                die("cannot commit: %s", strerror(-r));
        store = store_free(store);   /* checkpoints the WAL into the database */

        if (fflush(out) != 0 || fsync(fileno(out)) < 0 || fclose(out) != 0)
                die("cannot write %s: %m", argv[2]);

        printf("populated %lu tokens (%lu sampled) in %.1f s\n", n, written, (double) (now_ns() - t0) / 1e9);
        return EXIT_SUCCESS;
}

