/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A small pool of threads for work that must not stall the event loop: password hashing
 * (yescrypt is deliberately slow) would otherwise delay every token check queued behind it.
 *
 * A job's run() executes on a worker thread and must not touch the bus or the store; its
 * done() runs afterwards on the event loop thread, where it may.  The threads run at a lower
 * CPU priority than the loop, so a burst of logins slows token checks as little as possible. */

#include <stdbool.h>
#include <systemd/sd-event.h>

typedef struct WorkerPool WorkerPool;
typedef struct WorkerJob WorkerJob;

typedef void (*WorkerRun)(void *userdata);
typedef void (*WorkerDone)(void *userdata);

int worker_pool_new(sd_event *event, unsigned n_threads, unsigned max_queued, WorkerPool **ret);
WorkerPool *worker_pool_free(WorkerPool *p);
static inline void worker_pool_freep(WorkerPool **p) {
        worker_pool_free(*p);
}

/* Queues a job.  -EBUSY when max_queued jobs are waiting already (the caller answers
 * "rate-limited" instead of letting a flood of logins grow memory and latency). */
int worker_pool_submit(WorkerPool *p, WorkerRun run, WorkerDone done, void *userdata);
unsigned worker_pool_queued(WorkerPool *p);
