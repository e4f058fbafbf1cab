/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A stand-in for the daemon's one-time-code check, passed to authorize_verdict() and
 * login_verdict(): it answers a fixed outcome and counts its calls, so that a test can say
 * both what the verdict did with the answer and whether it asked at all. */

typedef struct Checker {
        int outcome;       /* what the checker returns */
        unsigned calls;
} Checker;

static inline int check_otp(void *userdata) {
        Checker *c = userdata;
        c->calls++;
        return c->outcome;
}
