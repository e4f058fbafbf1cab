/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* "--help" and "help": the commands and options, on stdout. */

int help(void);
int verb_help(int argc, char *argv[]);
