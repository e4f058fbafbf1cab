/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A minimal TAP producer for the unit tests (automake's tap-driver.sh reads it).
 *
 *     CHECK(x == 1, "x is one");          ok 1 - x is one / not ok 1 - x is one + where
 *     CHECK_INT_EQ(r, -EINVAL, "...");    also shows both values on failure
 *     tap_diag("anything");               # anything
 *     return tap_finish();                prints the plan "1..N"; non-zero if anything failed
 *
 * The plan comes at the end so tests may loop over tables without counting first. */

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* A row of a table of string cases: an input and what it should become. */
typedef struct StringPair {
        const char *in, *out;
} StringPair;

static unsigned tap_tests_run;
static unsigned tap_tests_failed;

#define TAP_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define TAP_UNUSED __attribute__((unused))

static TAP_UNUSED TAP_PRINTF(1, 2) void tap_diag(const char *fmt, ...) {
        va_list ap;

        fputs("# ", stdout);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        fputc('\n', stdout);
}

static TAP_UNUSED TAP_PRINTF(5, 6) bool tap_check(bool ok, const char *file, int line, const char *expr,
                                                  const char *fmt, ...) {
        va_list ap;

        tap_tests_run++;
        if (!ok)
                tap_tests_failed++;

        printf("%s %u - ", ok ? "ok" : "not ok", tap_tests_run);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        fputc('\n', stdout);

        if (!ok)
                printf("#   failed at %s:%d: %s\n", file, line, expr);

        /* Keep the order of diagnostics and results even when a test crashes right after. */
        fflush(stdout);
        return ok;
}

/* CHECK(condition, "printf-style description", ...) */
#define CHECK(cond, ...) tap_check(!!(cond), __FILE__, __LINE__, #cond, __VA_ARGS__)

#define CHECK_INT_EQ(actual, expected, ...)                                                     \
        ({                                                                                      \
                long long _a = (long long) (actual), _e = (long long) (expected);               \
                bool _ok = tap_check(_a == _e, __FILE__, __LINE__, #actual " == " #expected,    \
                                     __VA_ARGS__);                                              \
                if (!_ok)                                                                       \
                        tap_diag("  got %lld, expected %lld", _a, _e);                          \
                _ok;                                                                            \
        })

#define CHECK_STR_EQ(actual, expected, ...)                                                     \
        ({                                                                                      \
                const char *_a = (actual), *_e = (expected);                                    \
                bool _ok = tap_check(_a && _e ? strcmp(_a, _e) == 0 : _a == _e,                 \
                                     __FILE__, __LINE__, #actual " == " #expected, __VA_ARGS__); \
                if (!_ok)                                                                       \
                        tap_diag("  got \"%s\", expected \"%s\"", _a ?: "(null)", _e ?: "(null)"); \
                _ok;                                                                            \
        })

static TAP_UNUSED int tap_finish(void) {
        printf("1..%u\n", tap_tests_run);
        if (tap_tests_failed > 0)
                tap_diag("%u of %u checks failed", tap_tests_failed, tap_tests_run);
        fflush(stdout);
        return tap_tests_failed > 0 ? 1 : 0;
}
