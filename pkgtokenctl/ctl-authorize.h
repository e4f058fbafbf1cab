/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* "authorize PACKAGE ACTION": the registry's question, asked by hand with the token on stdin.
 * Exits 0 only for "allowed". */

int verb_authorize(int argc, char *argv[]);
