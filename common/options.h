/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The command line loop the programs share (pkgtokend, pkgtokenctl, the upload gate). */

#include <getopt.h>

/* The options every program spells the same way; options_parse() answers them itself. */
#define OPTION_VERSION_ID 0xff
#define OPTION_HELP { "help", no_argument, NULL, 'h' }
#define OPTION_VERSION { "version", no_argument, NULL, OPTION_VERSION_ID }

/* Called for every other option: c is getopt_long()'s answer (also ':' and '?'), arg the
 * option's value.  Returns 0 to go on, > 0 to stop and exit successfully, or a negative errno
 * for a usage error. */
typedef int (*OptionHandler)(int c, const char *arg, void *userdata);

/* Runs getopt_long() over argv.  -h/--help calls help() (the help is printed, its result does
 * not matter); --version prints "PROGRAM VERSION".  Returns 1 when the program should go on
 * (optind names the first argument left), 0 to exit successfully, a negative errno on a usage
 * error (already logged). */
int options_parse(int argc, char *argv[], const char *program, const char *shortopts, const struct option *options,
                  int (*help)(void), OptionHandler handle, void *userdata);

/* options_parse() for a program that takes options only: a word left over is a usage error
 * ("unexpected argument"). */
int options_parse_no_arguments(int argc, char *argv[], const char *program, const char *shortopts,
                               const struct option *options, int (*help)(void), OptionHandler handle,
                               void *userdata);

/* The value of an option that must not be empty: *ret = arg, or logs message and -EINVAL. */
int option_nonempty(const char *arg, const char *message, const char **ret);
