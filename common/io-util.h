/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* One step of a transfer: moves at most n bytes at buf, returns how many, or -1 with errno. */
typedef ssize_t (*io_step_t)(void *userdata, void *buf, size_t n);

/* Calls step until all n bytes at buf are done, retrying short transfers and EINTR: the one
 * loop behind write_all() and random_bytes().  0 or a negative errno. */
int io_loop(io_step_t step, void *userdata, void *buf, size_t n);

/* Writes all n bytes to fd.  0 or a negative errno. */
int write_all(int fd, const void *buf, size_t n);

/* fsync()s the directory that holds path, so that a rename() or a new file in it is durable.
 * 0 or a negative errno. */
int fsync_parent_directory(const char *path);
