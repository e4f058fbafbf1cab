/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* "login NAME": a password (and one-time code) checked as a registry would, optionally
 * opening a session.  Exits 0 only for "ok". */

int verb_login(int argc, char *argv[]);
