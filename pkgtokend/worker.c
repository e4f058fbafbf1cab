/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include "list.h"
#include "macro.h"
#include "worker.h"

/* Nice value of the worker threads: the event loop (nice 0) wins the CPU when both want it. */
#define WORKER_NICE 10

struct WorkerJob {
        WorkerRun run;
        WorkerDone done;
        void *userdata;
        WorkerJob *next;
};

typedef struct JobQueue {
        WorkerJob *head, *tail;
} JobQueue;

struct WorkerPool {
        pthread_mutex_t lock;
        pthread_cond_t wake;
        JobQueue pending;       /* waiting for a thread */
        JobQueue finished;      /* waiting for done() on the loop */
        unsigned n_pending, n_running, max_queued;
        bool stopping;

        pthread_t *threads;
        unsigned n_threads;

        int notify_fd;          /* eventfd: "finished has jobs" */
        sd_event_source *notify_source;
};

static void queue_push(JobQueue *q, WorkerJob *j) {
        LIST_APPEND(next, q->head, q->tail, j);
}

static WorkerJob *queue_pop(JobQueue *q) {
        WorkerJob *j = q->head;
        if (j) {
                q->head = j->next;
                if (!q->head)
                        q->tail = NULL;
        }
        return j;
}

static void *worker_main(void *userdata) {
        WorkerPool *p = userdata;

        /* Linux applies nice per thread. */
        (void) setpriority(PRIO_PROCESS, 0, WORKER_NICE);

        pthread_mutex_lock(&p->lock);
        for (;;) {
                WorkerJob *j;

                while (!p->stopping && !p->pending.head)
                        pthread_cond_wait(&p->wake, &p->lock);
                if (p->stopping)
                        break;
                j = queue_pop(&p->pending);
                p->n_pending--;
                p->n_running++;
                pthread_mutex_unlock(&p->lock);

                j->run(j->userdata);

                pthread_mutex_lock(&p->lock);
                p->n_running--;
                queue_push(&p->finished, j);
                /* Wake the loop after letting go of the lock, so it does not wake only to wait
                 * for this lower-priority thread. */
                pthread_mutex_unlock(&p->lock);
                (void) eventfd_write(p->notify_fd, 1);
                pthread_mutex_lock(&p->lock);
        }
        pthread_mutex_unlock(&p->lock);
        return NULL;
}

static int on_notify(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        WorkerPool *p = userdata;
        JobQueue done;
        eventfd_t value;

        (void) eventfd_read(fd, &value);
        pthread_mutex_lock(&p->lock);
        done = p->finished;
        p->finished = (JobQueue) {};
        pthread_mutex_unlock(&p->lock);

        for (WorkerJob *j; (j = queue_pop(&done)); ) {
                j->done(j->userdata);
                free(j);
        }
        return 0;
}

int worker_pool_new(sd_event *event, unsigned n_threads, unsigned max_queued, WorkerPool **ret) {
        WorkerPool *p;
        int r;

        p = calloc(1, sizeof *p);
        if (!p)
                return -ENOMEM;
        pthread_mutex_init(&p->lock, NULL);
        pthread_cond_init(&p->wake, NULL);
        p->max_queued = max_queued;
        p->notify_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (p->notify_fd < 0) {
                r = -errno;
                goto fail;
        }
        r = sd_event_add_io(event, &p->notify_source, p->notify_fd, EPOLLIN, on_notify, p);
        if (r < 0)
                goto fail;

        p->threads = calloc(n_threads, sizeof(pthread_t));
        if (!p->threads) {
                r = -ENOMEM;
                goto fail;
        }
        for (; p->n_threads < n_threads; p->n_threads++) {
                r = -pthread_create(&p->threads[p->n_threads], NULL, worker_main, p);
                if (r < 0)
                        goto fail;
        }
        *ret = p;
        return 0;

fail:
        worker_pool_free(p);
        return r;
}

/* Stops the threads after their current job.  Jobs that never ran are dropped with their
 * done() called, so callers can answer and free; finished jobs get their done() too. */
WorkerPool *worker_pool_free(WorkerPool *p) {
        if (!p)
                return NULL;

        pthread_mutex_lock(&p->lock);
        p->stopping = true;
        pthread_cond_broadcast(&p->wake);
        pthread_mutex_unlock(&p->lock);
        for (unsigned i = 0; i < p->n_threads; i++)
                pthread_join(p->threads[i], NULL);
        free(p->threads);

        for (WorkerJob *j; (j = queue_pop(&p->finished)) || (j = queue_pop(&p->pending)); ) {
                j->done(j->userdata);
                free(j);
        }

        sd_event_source_disable_unref(p->notify_source);
        if (p->notify_fd >= 0)
                close(p->notify_fd);
        pthread_cond_destroy(&p->wake);
        pthread_mutex_destroy(&p->lock);
        free(p);
        return NULL;
}

int worker_pool_submit(WorkerPool *p, WorkerRun run, WorkerDone done, void *userdata) {
        WorkerJob *j;

        pthread_mutex_lock(&p->lock);
        if (p->n_pending >= p->max_queued) {
                pthread_mutex_unlock(&p->lock);
                return -EBUSY;
        }
        j = malloc(sizeof *j);
        if (!j) {
                pthread_mutex_unlock(&p->lock);
                return -ENOMEM;
        }
        *j = (WorkerJob) { .run = run, .done = done, .userdata = userdata };
        queue_push(&p->pending, j);
        p->n_pending++;
        pthread_cond_signal(&p->wake);
        pthread_mutex_unlock(&p->lock);
        return 0;
}

unsigned worker_pool_queued(WorkerPool *p) {
        pthread_mutex_lock(&p->lock);
        unsigned n = p->n_pending + p->n_running;
        pthread_mutex_unlock(&p->lock);
        return n;
}
