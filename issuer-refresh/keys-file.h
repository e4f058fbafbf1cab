/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* Replaces path with data atomically: a temporary file in the same directory, written and
 * fsync()ed, mode 0644 (pkgtokend reads it as another user), renamed over path, and the
 * directory fsync()ed, so that a crash leaves the old file or the new one, never a part.
 * 0 or a negative errno; on failure path is untouched and no temporary file is left. */
int keys_file_replace(const char *path, const char *data, size_t size);
