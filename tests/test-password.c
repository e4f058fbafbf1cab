/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Password hashing (common/password.c).
 *
 * Hashes are made at yescrypt cost 1 (the cheapest valid one, ~2 ms) so the test stays fast
 * under sanitizers; the code paths do not depend on the cost.  The known-answer hashes were
 * made with Python's crypt module, i.e. by libxcrypt directly, to show that we read ordinary
 * crypt(5) hashes. */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "macro.h"
#include "password.h"
#include "tap.h"

#define TEST_COST 1UL

#define KAT_PASSWORD "correct horse battery staple"
#define KAT_YESCRYPT "$y$j75$0ECCvZGB07.eNp.Z8WwP/0$.9VaUY5Qgd5rv5rf.MGGc5.3nqGpF9SB7Rwi2aSuax6"
#define KAT_SHA512CRYPT "$6$saltsaltsalt$ST/mWEmUvGaF8bR7RgZUdh5cwHaiiTTLMzdmz6VYMGgVtDKO8Huz6GcoOtpj0X0zfFtfnn1aYJnZLSFBw4K2p0"

static char *repeat(char c, size_t n) {
        char *s = malloc(n + 1);

        if (!s)
                abort();
        memset(s, c, n);
        s[n] = '\0';
        return s;
}

/* "$y$j75$" of "$y$j75$salt$hash": the method and the cost parameters. */
static size_t params_len(const char *hash) {
        const char *p = hash;

        for (int i = 0; i < 2 && p; i++)
                p = strchr(p + 1, '$');
        return p ? (size_t) (p - hash) + 1 : 0;
}

static void test_acceptable(void) {
        const char *reason = NULL;
        _cleanup_free_ char *max = repeat('a', PASSWORD_MAX), *over = repeat('a', PASSWORD_MAX + 1);

        CHECK_INT_EQ(password_check_acceptable("", PASSWORD_MIN_DEFAULT, &reason), -EINVAL, "empty refused");
        CHECK(reason && strstr(reason, "empty"), "reason says empty");
        CHECK_INT_EQ(password_check_acceptable(NULL, PASSWORD_MIN_DEFAULT, &reason), -EINVAL, "NULL refused");

        CHECK_INT_EQ(password_check_acceptable("s3cr3t!", PASSWORD_MIN_DEFAULT, &reason), -EINVAL, "7 characters with minimum 8 refused");
        CHECK(reason && strstr(reason, "short") && !strstr(reason, "s3cr3t!"), "reason says too short, without the password");
        CHECK_INT_EQ(password_check_acceptable("s3cr3t!!", PASSWORD_MIN_DEFAULT, &reason), 0, "8 characters accepted");
        CHECK(!reason, "no reason when accepted");
        CHECK_INT_EQ(password_check_acceptable("abc", 0, NULL), 0, "no minimum, no reason pointer");

        /* Characters, not bytes: 7 code points in 11 bytes is too short, 8 in 12 is fine. */
        CHECK_INT_EQ(password_check_acceptable("ünïcödé", 8, NULL), -EINVAL, "7 UTF-8 characters (11 bytes) too short");
        CHECK_INT_EQ(password_check_acceptable("ünïcödé!", 8, NULL), 0, "8 UTF-8 characters accepted");

        CHECK_INT_EQ(password_check_acceptable(max, PASSWORD_MIN_DEFAULT, &reason), 0, "4096 bytes accepted");
        CHECK_INT_EQ(password_check_acceptable(over, PASSWORD_MIN_DEFAULT, &reason), -EINVAL, "4097 bytes refused");
        CHECK(reason && strstr(reason, "4096"), "reason names the limit");
}

static void test_round_trip(void) {
        _cleanup_free_ char *h1 = NULL, *h2 = NULL;

        CHECK_INT_EQ(password_hash(KAT_PASSWORD, TEST_COST, &h1), 0, "hash");
        CHECK(h1 && strncmp(h1, "$y$", 3) == 0, "hash is yescrypt ($y$): %s", h1 ?: "(null)");
        CHECK(h1 && strncmp(h1, "$y$j75$", 7) == 0, "cost 1 is encoded as j75");
        CHECK_INT_EQ(password_verify(KAT_PASSWORD, h1), 1, "right password matches");
        CHECK_INT_EQ(password_verify("correct horse battery stapl", h1), 0, "a prefix does not match");
        CHECK_INT_EQ(password_verify(KAT_PASSWORD "!", h1), 0, "an extension does not match");
        CHECK_INT_EQ(password_verify("Correct horse battery staple", h1), 0, "case matters");
        CHECK_INT_EQ(password_verify("", h1), 0, "empty does not match");
        CHECK_INT_EQ(password_verify(NULL, h1), 0, "NULL does not match");

        CHECK_INT_EQ(password_hash(KAT_PASSWORD, TEST_COST, &h2), 0, "hash again");
        CHECK(h1 && h2 && !streq(h1, h2), "two hashes of one password differ (salt)");
        CHECK_INT_EQ(password_verify(KAT_PASSWORD, h2), 1, "second hash matches too");

        CHECK_INT_EQ(password_verify(KAT_PASSWORD, KAT_YESCRYPT), 1, "libxcrypt yescrypt hash matches");
        CHECK_INT_EQ(password_verify("wrong", KAT_YESCRYPT), 0, "and refuses another password");
        CHECK_INT_EQ(password_verify(KAT_PASSWORD, KAT_SHA512CRYPT), 1, "sha512crypt hash (/etc/shadow) matches");

        _cleanup_free_ char *hu = NULL;
        CHECK_INT_EQ(password_hash("pässwörd ✓ 🔑", TEST_COST, &hu), 0, "hash UTF-8");
        CHECK_INT_EQ(password_verify("pässwörd ✓ 🔑", hu), 1, "UTF-8 matches");
        CHECK_INT_EQ(password_verify("passwörd ✓ 🔑", hu), 0, "one different character does not");
}

static void test_hash_errors(void) {
        char *h = NULL;
        _cleanup_free_ char *over = repeat('x', PASSWORD_MAX + 1);

        CHECK_INT_EQ(password_hash("", TEST_COST, &h), -EINVAL, "empty refused");
        CHECK_INT_EQ(password_hash(NULL, TEST_COST, &h), -EINVAL, "NULL refused");
        CHECK_INT_EQ(password_hash(over, TEST_COST, &h), -EINVAL, "4097 bytes refused");
        CHECK_INT_EQ(password_hash("password", PASSWORD_COST_MAX + 1, &h), -EINVAL, "cost 12 refused");
        CHECK(!h, "nothing returned on errors");
}

static void test_lengths(void) {
        /* 511 bytes go to libxcrypt as they are; from 512 on (its limit) they are reduced
         * first.  Either way every byte counts. */
        static const size_t sizes[] = { 511, 512, 513, PASSWORD_MAX };

        for (size_t i = 0; i < ELEMENTSOF(sizes); i++) {
                _cleanup_free_ char *pw = repeat('p', sizes[i]), *h = NULL;

                CHECK_INT_EQ(password_hash(pw, TEST_COST, &h), 0, "%zu-byte password hashed", sizes[i]);
                CHECK_INT_EQ(password_verify(pw, h), 1, "%zu-byte password matches", sizes[i]);
                pw[sizes[i] - 1] = 'q';
                CHECK_INT_EQ(password_verify(pw, h), 0, "%zu-byte password with the last byte changed does not", sizes[i]);
                pw[sizes[i] - 1] = '\0';
                CHECK_INT_EQ(password_verify(pw, h), 0, "%zu-byte password without its last byte does not", sizes[i]);
        }

        /* Over the limit: never set, so never a match, and nothing breaks. */
        _cleanup_free_ char *over = repeat('p', PASSWORD_MAX + 1), *huge = repeat('p', 1024 * 1024), *h = NULL;
        CHECK_INT_EQ(password_hash("pppp", TEST_COST, &h), 0, "hash");
        CHECK_INT_EQ(password_verify(over, h), 0, "4097 bytes: mismatch");
        CHECK_INT_EQ(password_verify(huge, h), 0, "1 MiB: mismatch");
        CHECK_INT_EQ(password_verify(huge, KAT_YESCRYPT), 0, "1 MiB against a real hash: mismatch");
}

static void test_bad_hashes(void) {
        _cleanup_free_ char *h = NULL, *locked = NULL, *truncated = NULL, *changed = NULL, *long_hash = NULL;

        CHECK_INT_EQ(password_hash("password", TEST_COST, &h), 0, "hash");
        if (!h)
                return;

        if (asprintf(&locked, "!%s", h) < 0)
                abort();
        truncated = strndup(h, strlen(h) - 1);
        changed = strdup(h);
        changed[strlen(changed) - 1] = changed[strlen(changed) - 1] == 'A' ? 'B' : 'A';
        long_hash = repeat('y', 1000);
        memcpy(long_hash, "$y$j75$", 7);

        const char *bad[] = {
                "", "*", "!", "!!", "*LK*", "x", "garbage", "$", "$y$", "$y$j75$", "$y$$$", "$y$j75$$",
                "$y$zzz$abc$def", "$y$j75$0ECCvZGB07.eNp.Z8WwP/0$", "$1$salt$hash", "ab01234567890",
                "$2b$99$xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "$6$", "$6$$", "\xff\xfe",
                locked, truncated, changed, long_hash,
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                CHECK_INT_EQ(password_verify("password", bad[i]), 0, "bad hash #%zu is a mismatch", i);
        CHECK_INT_EQ(password_verify("password", NULL), 0, "NULL hash is a mismatch");
}

static void test_dummy(void) {
        const char *d = NULL, *d2 = NULL, *d0 = NULL;
        _cleanup_free_ char *real = NULL, *real0 = NULL;
        char pw[32];

        CHECK_INT_EQ(password_dummy_hash(TEST_COST, &d), 0, "dummy hash");
        CHECK_INT_EQ(password_dummy_hash(TEST_COST, &d2), 0, "dummy hash again");
        CHECK(d && d == d2, "computed once per cost");
        CHECK_INT_EQ(password_hash("password", TEST_COST, &real), 0, "real hash");
        CHECK(d && real && params_len(d) > 3 && params_len(d) == params_len(real) &&
              strncmp(d, real, params_len(d)) == 0, "dummy has the method and cost of a real hash: %s", d ?: "(null)");
        CHECK(d && real && strlen(d) == strlen(real), "and the same length");

        bool any = false;
        for (unsigned i = 0; i < 5; i++) {
                snprintf(pw, sizeof(pw), "guess-%u-%d", i, rand());
                any = any || password_verify(pw, d) != 0;
        }
        CHECK(!any, "dummy hash matches no guess");
        CHECK_INT_EQ(password_verify("", d), 0, "nor the empty password");

        /* The library default (cost 0) is what the daemon uses unless configured. */
        CHECK_INT_EQ(password_dummy_hash(0, &d0), 0, "dummy hash at the default cost");
        CHECK_INT_EQ(password_hash("password", 0, &real0), 0, "real hash at the default cost");
        CHECK(d0 && real0 && params_len(d0) == params_len(real0) && strncmp(d0, real0, params_len(d0)) == 0,
              "default-cost dummy matches a default-cost hash: %s", d0 ?: "(null)");
        CHECK(d0 != d, "different costs, different dummies");

        CHECK_INT_EQ(password_dummy_hash(PASSWORD_COST_MAX + 1, &d), -EINVAL, "cost 12 refused");
}

/* Threads: every worker hashes, verifies (right and wrong) and asks for the dummy hash of a
 * cost nobody has asked for yet, all at once. */
#define N_THREADS 4
#define N_ROUNDS 10

static const char *shared_hash;
static pthread_barrier_t barrier;

struct worker {
        unsigned id;
        unsigned failures;
        const char *dummy;
};

static void *worker_run(void *userdata) {
        struct worker *w = userdata;
        char pw[64], wrong[64];

        pthread_barrier_wait(&barrier);

        if (password_dummy_hash(2, &w->dummy) < 0)
                w->failures++;

        for (unsigned i = 0; i < N_ROUNDS; i++) {
                _cleanup_free_ char *own = NULL;

                snprintf(pw, sizeof(pw), "thread %u round %u", w->id, i);
                snprintf(wrong, sizeof(wrong), "thread %u round %u!", w->id, i);

                if (password_verify(KAT_PASSWORD, shared_hash) != 1)
                        w->failures++;
                if (password_verify("not " KAT_PASSWORD, shared_hash) != 0)
                        w->failures++;
                if (w->dummy && password_verify(pw, w->dummy) != 0)
                        w->failures++;
                if (password_hash(pw, TEST_COST, &own) < 0)
                        w->failures++;
                else if (password_verify(pw, own) != 1 || password_verify(wrong, own) != 0)
                        w->failures++;
        }

        return NULL;
}

static void test_threads(void) {
        _cleanup_free_ char *h = NULL;
        pthread_t t[N_THREADS];
        struct worker w[N_THREADS] = {};
        unsigned failures = 0;
        bool same_dummy = true;

        CHECK_INT_EQ(password_hash(KAT_PASSWORD, TEST_COST, &h), 0, "shared hash");
        shared_hash = h;

        pthread_barrier_init(&barrier, NULL, N_THREADS);
        for (unsigned i = 0; i < N_THREADS; i++) {
                w[i].id = i;
                if (pthread_create(&t[i], NULL, worker_run, &w[i]) != 0)
                        abort();
        }
        for (unsigned i = 0; i < N_THREADS; i++) {
                pthread_join(t[i], NULL);
                failures += w[i].failures;
                if (!w[i].dummy || w[i].dummy != w[0].dummy)
                        same_dummy = false;
        }
        pthread_barrier_destroy(&barrier);

        CHECK_INT_EQ(failures, 0, "%d threads × %d rounds of hash/verify agree", N_THREADS, N_ROUNDS);
        CHECK(same_dummy, "all threads got the same dummy hash");
}

int main(void) {
        test_acceptable();
        test_round_trip();
        test_hash_errors();
        test_lengths();
        test_bad_hashes();
        test_dummy();
        test_threads();
        return tap_finish();
}
