/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the login benchmark's driver (bench-login.c) and its client processes
 * (bench-login-client.c) agree on: the accounts and package it makes, and the messages on
 * the pipes between them. */

#include <stdbool.h>
#include <stdint.h>

#define CLIENTS_MAX         64
#define SVC_ACCOUNT         "blsvc"
#define BENCH_PACKAGE       "bench-login-pkg"
#define EMAIL               "bench@example.invalid"

typedef enum Kind {
        KIND_IDLE,             /* nothing this slice */
        KIND_AUTHORIZE,        /* the latency client */
        KIND_LOGIN_PW,
        KIND_LOGIN_UNKNOWN,
        KIND_LOGIN_OTP,
        KIND_SETUP,            /* connect, make own accounts, warm up */
        KIND_SETUP_OTP,        /* make `arg` accounts with 2FA */
} Kind;

/* driver → client, one per slice */
typedef struct Go {
        uint32_t kind, arg;
        uint64_t start_ns;     /* CLOCK_MONOTONIC: when to begin calling */
        uint64_t measure_ns;   /* calls beginning before this are not recorded */
        uint64_t stop_ns;      /* no call begins at or after this */
} Go;

/* client → driver, one per slice, followed by n_samples latencies (ns, uint32, saturated) */
typedef struct Report {
        uint64_t calls, elapsed_ns, cpu_ns, n_samples;   /* cpu_ns: the client's own, this slice */
} Report;

/* The setup, before the clients: one service account, a package it maintains and a
 * read-only token for it, whose secret it returns. */
char *make_token(const char *address);

/* A client process: runs the slices it reads from go_fd, writes a Report (and its samples) for
 * each to report_fd; the latency client runs Authorize with token, the others log in. */
_Noreturn void client_main(unsigned index, bool latency, const char *token, const char *address, uint64_t warmup_ns,
                           int go_fd, int report_fd);
