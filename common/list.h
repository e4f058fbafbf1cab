/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Appending to a list kept as a head and a tail pointer: the worker's job queues and the rate
 * limiter's least-recently-used order link their items the same way, so they share this one
 * macro.  next names the item's link towards the tail. */
#define LIST_APPEND(next, head, tail, item)             \
        do {                                            \
                (item)->next = NULL;                    \
                if (tail)                               \
                        (tail)->next = (item);          \
                else                                    \
                        (head) = (item);                \
                (tail) = (item);                        \
        } while (0)
