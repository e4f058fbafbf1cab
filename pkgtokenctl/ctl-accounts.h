/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* "account add|list|show|lock|unlock|remove|passwd". */

int verb_account_add(int argc, char *argv[]);
int verb_account_list(int argc, char *argv[]);
int verb_account_show(int argc, char *argv[]);
int verb_account_lock(int argc, char *argv[]);
int verb_account_unlock(int argc, char *argv[]);
int verb_account_remove(int argc, char *argv[]);
int verb_account_passwd(int argc, char *argv[]);
