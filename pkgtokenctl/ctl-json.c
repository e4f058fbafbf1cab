/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <string.h>

#include "ctl-json.h"
#include "erase.h"
#include "log.h"
#include "strv.h"

json_object *json_new_unsigned(uint64_t u) {
        if (u <= INT64_MAX)
                return json_object_new_int64((int64_t) u);
#if JSON_C_VERSION_NUM >= ((0 << 16) | (14 << 8))
        return json_object_new_uint64(u);
#else
        return json_object_new_double((double) u);
#endif
}

static int json_from_bus_basic(sd_bus_message *m, char type, json_object **ret) {
        union {
                uint8_t u8;
                int b;
                int16_t s16;
                uint16_t u16;
                int32_t s32;
                uint32_t u32;
                int64_t s64;
                uint64_t u64;
                double d;
                const char *s;
                int fd;
        } v;
        json_object *o;
        int r;

        r = sd_bus_message_read_basic(m, type, &v);
        if (r < 0)
                return r;

        switch (type) {
        case 'y': o = json_object_new_int64(v.u8); break;
        case 'b': o = json_object_new_boolean(v.b); break;
        case 'n': o = json_object_new_int64(v.s16); break;
        case 'q': o = json_object_new_int64(v.u16); break;
        case 'i': o = json_object_new_int64(v.s32); break;
        case 'u': o = json_object_new_int64(v.u32); break;
        case 'x': o = json_object_new_int64(v.s64); break;
        case 't': o = json_new_unsigned(v.u64); break;
        case 'd': o = json_object_new_double(v.d); break;
        case 's':
        case 'o':
        case 'g': o = json_object_new_string(v.s); break;
        case 'h':
                *ret = NULL;            /* file descriptors have no JSON form: null */
                return 0;
        default:
                return -EBADMSG;
        }
        if (!o)
                return -ENOMEM;

        *ret = o;
        return 0;
}

static bool bus_type_is_container(char type) {
        return type == SD_BUS_TYPE_ARRAY || type == SD_BUS_TYPE_STRUCT ||
               type == SD_BUS_TYPE_VARIANT || type == SD_BUS_TYPE_DICT_ENTRY;
}

static int json_from_bus_value(sd_bus_message *m, json_object **ret);

/* One entry of a dict: the key (a basic type; non-string keys use their JSON spelling) and
 * its value, added to c. */
static int json_from_bus_dict_entry(sd_bus_message *m, const char *contents, json_object *c) {
        _cleanup_json_ json_object *key = NULL, *value = NULL;
        int r;

        r = sd_bus_message_enter_container(m, SD_BUS_TYPE_DICT_ENTRY, contents);
        if (r >= 0)
                r = json_from_bus_value(m, &key);
        if (r >= 0)
                r = json_from_bus_value(m, &value);
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;

        r = json_add(c, key ? json_object_get_string(key) : "null", value);
        value = NULL;
        return r;
}

/* Reads the remaining values of the container we are in: an array, a struct, a dict. */
static int json_from_bus_container(sd_bus_message *m, bool dict, json_object **ret) {
        _cleanup_json_ json_object *c = NULL;
        int r;

        c = dict ? json_object_new_object() : json_object_new_array();
        if (!c)
                return -ENOMEM;

        for (;;) {
                json_object *value = NULL;
                const char *contents;
                char type;

                r = sd_bus_message_peek_type(m, &type, &contents);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;

                if (dict) {
                        if (type != SD_BUS_TYPE_DICT_ENTRY)
                                return -EBADMSG;
                        r = json_from_bus_dict_entry(m, contents, c);
                        if (r < 0)
                                return r;
                        continue;
                }

                r = json_from_bus_value(m, &value);
                if (r < 0)
                        return r;
                if (json_object_array_add(c, value) < 0) {
                        json_object_putp(&value);
                        return -ENOMEM;
                }
        }

        *ret = c;
        c = NULL;
        return 0;
}

static int json_from_bus_value(sd_bus_message *m, json_object **ret) {
        const char *contents;
        char type;
        int r, q;

        r = sd_bus_message_peek_type(m, &type, &contents);
        if (r < 0)
                return r;
        if (r == 0)
                return -EBADMSG;        /* a value was expected */

        if (!bus_type_is_container(type))
                return json_from_bus_basic(m, type, ret);

        r = sd_bus_message_enter_container(m, type, contents);
        if (r < 0)
                return r;

        if (type == SD_BUS_TYPE_VARIANT)
                r = json_from_bus_value(m, ret);
        else
                r = json_from_bus_container(m,
                                            type == SD_BUS_TYPE_ARRAY && contents[0] == '{',
                                            ret);
        if (r < 0)
                return r;

        q = sd_bus_message_exit_container(m);
        if (q < 0) {
                json_object_putp(ret);
                *ret = NULL;
                return q;
        }
        return 0;
}

int reply_read_json(sd_bus_message *reply, json_type expected, json_object **ret) {
        _cleanup_json_ json_object *v = NULL;
        int r;

        r = json_from_bus_value(reply, &v);
        if (r >= 0 && !json_object_is_type(v, expected))
                r = -EBADMSG;
        if (r < 0)
                return log_error_errno(r, "Failed to parse reply from pkgtokend: %m");

        *ret = v;
        v = NULL;
        return 0;
}

json_object *json_get(json_object *o, const char *key) {
        json_object *v;

        if (!o || !json_object_object_get_ex(o, key, &v))
                return NULL;
        return v;
}

const char *json_get_string(json_object *o, const char *key) {
        json_object *v = json_get(o, key);
        return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

bool json_get_unsigned(json_object *o, const char *key, uint64_t *ret) {
        json_object *v = json_get(o, key);

        if (json_object_is_type(v, json_type_int)) {
#if JSON_C_VERSION_NUM >= ((0 << 16) | (14 << 8))
                *ret = json_object_get_uint64(v);
#else
                int64_t i = json_object_get_int64(v);
                *ret = i < 0 ? 0 : (uint64_t) i;
#endif
                return true;
        }
        if (json_object_is_type(v, json_type_double)) {
                double d = json_object_get_double(v);
                *ret = d < 0 ? 0 : (uint64_t) d;
                return true;
        }
        return false;
}

int json_add(json_object *o, const char *key, json_object *v) {
        if (!v || json_object_object_add(o, key, v) < 0) {
                json_object_putp(&v);
                return -ENOMEM;
        }
        return 0;
}

int json_add_string(json_object *o, const char *key, const char *value) {
        return json_add(o, key, json_object_new_string(value));
}

int json_add_strv(json_object *o, const char *key, char * const *l) {
        _cleanup_json_ json_object *a = json_object_new_array();
        int r;

        if (!a)
                return -ENOMEM;
        STRV_FOREACH(i, l) {
                json_object *v = json_object_new_string(*i);

                if (!v || json_object_array_add(a, v) < 0) {
                        json_object_putp(&v);
                        return -ENOMEM;
                }
        }
        r = json_add(o, key, a);        /* takes a, even on error */
        a = NULL;
        return r;
}

static void json_string_erase(json_object *o) {
        /* json-c hands out its own buffer; wiping it in place is the only way to keep the
         * secret out of freed heap memory. */
        if (json_object_is_type(o, json_type_string))
                erase_memory((char *) json_object_get_string(o), (size_t) json_object_get_string_len(o));
}

void json_erase_strings(json_object *o) {
        switch (json_object_get_type(o)) {

        case json_type_string:
                json_string_erase(o);
                break;

        case json_type_array:
                for (size_t i = 0; i < json_object_array_length(o); i++)
                        json_erase_strings(json_object_array_get_idx(o, i));
                break;

        case json_type_object: {
                json_object_object_foreach(o, key, value) {
                        (void) key;
                        json_erase_strings(value);
                }
                break;
        }

        default:
                break;
        }
}
