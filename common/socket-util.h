/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Connects a new non-blocking, close-on-exec AF_UNIX stream socket to path: how the clients of
 * pkgtokend's direct socket and pkgtokend itself (to pkgtoken-pam-helper) reach a local
 * service.  A local stream socket connects at once or not at all, so this never waits.
 * Returns the fd, or a negative errno (-ENAMETOOLONG for a path that does not fit). */
int unix_stream_connect(const char *path);
