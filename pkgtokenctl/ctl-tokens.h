/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* "token create|list|show|revoke". */

int verb_token_create(int argc, char *argv[]);
int verb_token_list(int argc, char *argv[]);
int verb_token_show(int argc, char *argv[]);
int verb_token_revoke(int argc, char *argv[]);
