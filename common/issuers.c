/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issuers.h"
#include "log.h"
#include "macro.h"
#include "utf8.h"

#define ISSUER_FILE_MAX 4096

void issuer_done(Issuer *i) {
        char **strings[] = { &i->name, &i->url, &i->audience, &i->keys_file, &i->jwks_uri };

        for (size_t k = 0; k < ELEMENTSOF(strings); k++)
                free(*strings[k]);
        *i = (Issuer) {};
}

void issuers_done(Issuers *l) {
        for (size_t i = 0; i < l->n; i++)
                issuer_done(&l->items[i]);
        free(l->items);
        *l = (Issuers) {};
}

const Issuer *issuers_find(const Issuers *l, const char *url) {
        for (size_t i = 0; url && i < l->n; i++)
                if (streq(l->items[i].url, url))
                        return &l->items[i];
        return NULL;
}

static int parse_algorithms(const char *value, unsigned *ret) {
        _cleanup_free_ char *copy = strdup(value);
        unsigned mask = 0;
        char *save = NULL;

        if (!copy)
                return -ENOMEM;
        for (char *w = strtok_r(copy, " \t,", &save); w; w = strtok_r(NULL, " \t,", &save)) {
                int a = jwt_alg_from_string(w);
                if (a < 0)
                        return -EINVAL;
                mask |= JWT_ALG_MASK(a);
        }
        if (mask == 0)
                return -EINVAL;
        *ret = mask;
        return 0;
}

bool issuer_url_is_valid(const char *url) {
        static const char *const loopback[] = { "http://127.0.0.1", "http://localhost", "http://[::1]" };

        if (strncmp(url, "https://", 8) == 0)
                return strlen(url) > 8;
        /* The host must end where the loopback name does: not "http://localhost.evil.com". */
        for (size_t k = 0; k < ELEMENTSOF(loopback); k++) {
                size_t n = strlen(loopback[k]);
                if (strncmp(url, loopback[k], n) == 0 && strchr(":/", url[n]) && url[n] != 0)
                        return true;
                if (streq(url, loopback[k]))
                        return true;
        }
        return false;
}

static bool value_is_sane(const char *v, size_t max) {
        return !isempty(v) && strlen(v) <= max && utf8_is_printable(v, strlen(v), true);
}

static int set_string(char **field, const char *value) {
        free(*field);
        *field = strdup(value);
        return *field ? 0 : -ENOMEM;
}

/* One "Key=Value" line into i; *ret_error for a line that is wrong. */
static int apply_line(Issuer *i, const char *dir, char *line, const char **ret_error) {
        char *eq = strchr(line, '='), *key = line, *value;

        if (!eq) {
                *ret_error = "a line is not Key=Value";
                return -EINVAL;
        }
        *eq = 0;
        value = eq + 1;
        if (streq(key, "Issuer")) {
                /* An https URL, as OIDC discovery requires; http only on loopback, for tests. */
                if (!value_is_sane(value, ISSUER_URL_MAX) || !issuer_url_is_valid(value)) {
                        *ret_error = "Issuer= must be an https:// URL";
                        return -EINVAL;
                }
                return set_string(&i->url, value);
        }
        if (streq(key, "Audience")) {
                if (!value_is_sane(value, ISSUER_AUDIENCE_MAX)) {
                        *ret_error = "Audience= must be printable, at most 256 bytes";
                        return -EINVAL;
                }
                return set_string(&i->audience, value);
        }
        if (streq(key, "Algorithms")) {
                if (parse_algorithms(value, &i->algorithms) < 0) {
                        *ret_error = "Algorithms= takes RS256 and/or ES256 only";
                        return -EINVAL;
                }
                return 0;
        }
        if (streq(key, "KeysFile")) {
                if (!value_is_sane(value, 1024)) {
                        *ret_error = "KeysFile= must name a file";
                        return -EINVAL;
                }
                free(i->keys_file);
                if (value[0] == '/')
                        i->keys_file = strdup(value);
                else if (asprintf(&i->keys_file, "%s/%s", dir, value) < 0)
                        i->keys_file = NULL;
                return i->keys_file ? 0 : -ENOMEM;
        }
        if (streq(key, "JwksUri")) {
                if (!value_is_sane(value, ISSUER_URL_MAX) || !issuer_url_is_valid(value)) {
                        *ret_error = "JwksUri= must be an https:// URL";
                        return -EINVAL;
                }
                return set_string(&i->jwks_uri, value);
        }
        if (streq(key, "Discovery")) {
                if (!streq(value, "yes") && !streq(value, "no")) {
                        *ret_error = "Discovery= takes yes or no";
                        return -EINVAL;
                }
                i->discovery = streq(value, "yes");
                return 0;
        }
        *ret_error = "unknown key (Issuer=, Audience=, Algorithms=, KeysFile=, Discovery=, JwksUri=)";
        return -EINVAL;
}

int issuer_parse(const char *text, const char *dir, const char *name, Issuer *ret, const char **ret_error) {
        _cleanup_free_ char *copy = strdup(text);
        Issuer i = { .algorithms = JWT_ALG_MASK(JWT_ALG_RS256) | JWT_ALG_MASK(JWT_ALG_ES256) };
        char *save = NULL;
        int r = 0;

        *ret_error = NULL;
        if (!copy)
                return -ENOMEM;
        i.name = strdup(name);
        if (!i.name)
                return -ENOMEM;
        for (char *line = strtok_r(copy, "\n", &save); line && r >= 0; line = strtok_r(NULL, "\n", &save)) {
                line[strcspn(line, "\r")] = 0;
                if (line[0] == 0 || line[0] == '#' || line[0] == ';' || streq(line, "[Issuer]"))
                        continue;
                r = apply_line(&i, dir, line, ret_error);
        }
        if (r >= 0 && (!i.url || !i.audience || !i.keys_file)) {
                *ret_error = "Issuer=, Audience= and KeysFile= are required";
                r = -EINVAL;
        }
        if (r >= 0 && i.discovery && i.jwks_uri) {
                *ret_error = "Discovery=yes and JwksUri= are two ways to say one thing: give one";
                r = -EINVAL;
        }
        if (r < 0) {
                issuer_done(&i);
                return r;
        }
        *ret = i;
        return 0;
}

static int read_small_file(const char *path, char **ret) {
        _cleanup_free_ char *buf = malloc(ISSUER_FILE_MAX + 1);
        FILE *f;
        size_t n;

        if (!buf)
                return -ENOMEM;
        f = fopen(path, "re");
        if (!f)
                return -errno;
        n = fread(buf, 1, ISSUER_FILE_MAX + 1, f);
        fclose(f);
        if (n > ISSUER_FILE_MAX)
                return -EFBIG;
        buf[n] = 0;
        if (strlen(buf) != n)
                return -EINVAL;
        *ret = buf;
        buf = NULL;
        return 0;
}

static bool is_conf_name(const char *n) {
        size_t len = strlen(n);
        return n[0] != '.' && len > 5 && streq(n + len - 5, ".conf");
}

/* Loads one file into the list; a bad one is logged and skipped. */
static int load_one(const char *dir, const char *file, Issuers *l) {
        _cleanup_free_ char *path = NULL, *text = NULL, *name = NULL;
        const char *error = NULL;
        Issuer i, *items;
        int r;

        if (asprintf(&path, "%s/%s", dir, file) < 0)
                return -ENOMEM;
        name = strndup(file, strlen(file) - 5);
        if (!name)
                return -ENOMEM;
        r = read_small_file(path, &text);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                log_error("%s: cannot read: %s; issuer skipped", path, strerror(-r));
                l->n_invalid++;
                return 0;
        }
        r = issuer_parse(text, dir, name, &i, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                log_error("%s: %s; issuer skipped", path, error);
                l->n_invalid++;
                return 0;
        }
        if (issuers_find(l, i.url)) {
                log_error("%s: issuer %s is configured twice; this file skipped", path, i.url);
                issuer_done(&i);
                l->n_invalid++;
                return 0;
        }
        items = realloc(l->items, (l->n + 1) * sizeof *items);
        if (!items) {
                issuer_done(&i);
                return -ENOMEM;
        }
        l->items = items;
        l->items[l->n++] = i;
        return 0;
}

int issuers_load(const char *dir, Issuers *ret) {
        struct dirent **entries = NULL;
        Issuers l = {};
        int n, r = 0;

        *ret = (Issuers) {};
        n = scandir(dir, &entries, NULL, alphasort);
        if (n < 0) {
                if (errno != ENOENT)
                        log_warning("IssuersDirectory=%s: %s; no trusted publishing", dir, strerror(errno));
                return 0;
        }
        for (int k = 0; k < n; k++) {
                if (r >= 0 && is_conf_name(entries[k]->d_name))
                        r = load_one(dir, entries[k]->d_name, &l);
                free(entries[k]);
        }
        free(entries);
        if (r < 0) {
                issuers_done(&l);
                return r;
        }
        log_debug("%zu trusted-publishing issuers from %s", l.n, dir);
        *ret = l;
        return 0;
}
