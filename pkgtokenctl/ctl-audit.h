/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* "status" and "audit": the daemon's state and its history. */

int verb_status(int argc, char *argv[]);
int verb_audit(int argc, char *argv[]);
