/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The one generic reader of replies: any D-Bus value to JSON.  a{sv} becomes an object, aa{sv}
 * an array of objects, and fields the daemon adds later appear in --json output without
 * changes here.  Tables and "show" output read the same JSON (ctl-output.h), so there is no
 * per-verb parsing code.  Plus the small JSON helpers the verbs build their answers with. */

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>
#include <systemd/sd-bus.h>

#include "macro.h"

static inline void json_object_putp(json_object **o) {
        if (*o)
                json_object_put(*o);
}
#define _cleanup_json_ _cleanup_(json_object_putp)

/* An unsigned number, as an int64 when it fits (json-c's common case). */
json_object *json_new_unsigned(uint64_t u);

/* Reads the one value of a reply and checks it has the expected shape; logs failures. */
int reply_read_json(sd_bus_message *reply, json_type expected, json_object **ret);

/* Getters; a missing key or a key of another type reads as absent. */
json_object *json_get(json_object *o, const char *key);
const char *json_get_string(json_object *o, const char *key);
bool json_get_unsigned(json_object *o, const char *key, uint64_t *ret);

/* Adders: 0 or -ENOMEM. */
int json_add(json_object *o, const char *key, json_object *v);   /* takes v, even on error */
int json_add_string(json_object *o, const char *key, const char *value);
int json_add_strv(json_object *o, const char *key, char * const *l);

/* Wipes every string in a JSON tree that held secrets, before it is freed. */
void json_erase_strings(json_object *o);
