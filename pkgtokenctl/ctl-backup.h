/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* "backup PATH": the daemon writes a consistent copy of the store to a new file. */

int verb_backup(int argc, char *argv[]);
