/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* Fills buf from getrandom(2): the one source of randomness for tokens, token ids, TOTP
 * secrets, recovery codes and the dummy password.  0 or a negative errno. */
int random_bytes(void *buf, size_t n);
