/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* One org.pkgtoken1.Manager call, on the bus or on pkgtokend's direct socket, the arguments
 * written as busctl writes them, for tests/bus-direct.sh (busctl and gdbus always say Hello,
 * which a peer-to-peer connection does not answer).
 *
 *   direct-call (--bus ADDRESS | --direct PATH) METHOD SIGNATURE [ARGUMENT...]
 *
 * Arguments: a basic value as it is (b: true/false); an array as its count and then its
 * elements; a dict entry as key and value; a variant as its signature and then its value.
 * $DIRECT_CALL_SENDER, when set, is written into the call's sender field (what a peer may
 * claim on a direct connection; the bus overwrites it).  Prints the reply (sd_bus_message_dump(), the same text for both ways) and exits 0; an error
 * reply prints "error NAME: MESSAGE" and exits 1; 2 is a usage error; 3 no connection. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-client.h"
#include "macro.h"
#include "names.h"

typedef struct Args {
        char **v;
        int n, i;
} Args;

static const char *next_arg(Args *a) {
        return a->i < a->n ? a->v[a->i++] : NULL;
}

/* The length of the single complete type at s. */
static size_t type_length(const char *s) {
        size_t depth = 0, i = 0;

        do {
                if (s[i] == '(' || s[i] == '{')
                        depth++;
                else if (s[i] == ')' || s[i] == '}')
                        depth--;
        } while (s[i] && (s[i++] == 'a' || depth > 0));
        return i;
}

static int append_one(sd_bus_message *m, const char *type, size_t len, Args *a);

static int append_types(sd_bus_message *m, const char *types, size_t len, Args *a) {
        for (size_t i = 0; i < len;) {
                size_t k = type_length(types + i);
                int r = append_one(m, types + i, k, a);
                if (r < 0)
                        return r;
                i += k;
        }
        return 0;
}

static int append_one(sd_bus_message *m, const char *type, size_t len, Args *a) {
        _cleanup_free_ char *inner = strndup(type + 1, len - 1);
        const char *v = next_arg(a);
        int r;

        if (!inner || !v)
                return -EINVAL;
        switch (type[0]) {
        case 's':
        case 'o':
                return sd_bus_message_append_basic(m, type[0], v);
        case 'b':
                return sd_bus_message_append(m, "b", (int) streq(v, "true"));
        case 'u':
                return sd_bus_message_append(m, "u", (uint32_t) strtoul(v, NULL, 10));
        case 't':
                return sd_bus_message_append(m, "t", (uint64_t) strtoull(v, NULL, 10));
        case 'v':
                r = sd_bus_message_open_container(m, 'v', v);
                if (r >= 0)
                        r = append_types(m, v, strlen(v), a);
                return r < 0 ? r : sd_bus_message_close_container(m);
        case 'a': {
                unsigned long n = strtoul(v, NULL, 10);
                r = sd_bus_message_open_container(m, 'a', inner);
                for (unsigned long i = 0; r >= 0 && i < n; i++) {
                        if (inner[0] == '{') {
                                _cleanup_free_ char *entry = strndup(inner + 1, strlen(inner) - 2);
                                r = entry ? sd_bus_message_open_container(m, 'e', entry) : -ENOMEM;
                                if (r >= 0)
                                        r = append_types(m, entry, strlen(entry), a);
                                if (r >= 0)
                                        r = sd_bus_message_close_container(m);
                        } else
                                r = append_types(m, inner, strlen(inner), a);
                }
                return r < 0 ? r : sd_bus_message_close_container(m);
        }
        default:
                return -EOPNOTSUPP;
        }
}

int main(int argc, char *argv[]) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL, *reply = NULL;
        sd_bus *bus = NULL;
        bool direct;
        Args a = { .v = argv, .n = argc, .i = 5 };
        int r;

        if (argc < 5 || (!streq(argv[1], "--bus") && !streq(argv[1], "--direct"))) {
                fprintf(stderr, "usage: direct-call (--bus ADDRESS | --direct PATH) METHOD SIGNATURE [ARGUMENT...]\n");
                return 2;
        }
        direct = streq(argv[1], "--direct");
        r = direct ? bus_client_open_direct(argv[2], "direct-call", 0, &bus)
                   : bus_client_open(argv[2], "direct-call", 0, &bus);
        if (r < 0) {
                fprintf(stderr, "cannot connect: %s\n", strerror(-r));
                return 3;
        }
        r = sd_bus_message_new_method_call(bus, &m, direct ? NULL : PKGTOKEN_BUS_NAME, PKGTOKEN_OBJECT_PATH,
                                           PKGTOKEN_MANAGER_IFACE, argv[3]);
        /* A peer-to-peer message's sender is the peer's to write: a test claims to be somebody. */
        if (r >= 0 && getenv("DIRECT_CALL_SENDER"))
                r = sd_bus_message_set_sender(m, getenv("DIRECT_CALL_SENDER"));
        if (r >= 0)
                r = append_types(m, argv[4], strlen(argv[4]), &a);
        if (r >= 0 && a.i != argc)
                r = -E2BIG;
        if (r < 0) {
                fprintf(stderr, "cannot build the call: %s\n", strerror(-r));
                return 2;
        }
        r = sd_bus_call(bus, m, 0, &error, &reply);
        sd_bus_message_unref(m);
        if (r < 0) {
                if (sd_bus_error_is_set(&error))
                        printf("error %s: %s\n", error.name, error.message ?: "");
                else
                        printf("error %s\n", strerror(-r));
                sd_bus_close_unref(bus);
                return 1;
        }
        (void) sd_bus_message_dump(reply, stdout, 0);
        sd_bus_message_unref(reply);
        sd_bus_close_unref(bus);
        return 0;
}
