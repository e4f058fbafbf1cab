/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* "package add|list|show|policy|maintainer add|maintainer remove". */

int verb_package_add(int argc, char *argv[]);
int verb_package_list(int argc, char *argv[]);
int verb_package_show(int argc, char *argv[]);
int verb_package_policy(int argc, char *argv[]);
int verb_package_maintainer_add(int argc, char *argv[]);
int verb_package_maintainer_remove(int argc, char *argv[]);

/* --package= as a filter ("token list", "audit"): once, and a name rather than a pattern.
 * Returns 0 or EXIT_USAGE (logged). */
int check_package_filter(const char *verb);
