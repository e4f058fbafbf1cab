/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "seal.h"
#include "seal-setup.h"

static const char *load_error(int r) {
        switch (r) {
        case -EPERM:
                return "group or others may read it, or it is not a regular file; it must be mode 0400 or 0600";
        case -EBADMSG:
                return "it is not " STRINGIFY(SEAL_KEY_SIZE) " bytes long";
        default:
                return strerror(-r);
        }
}

/* The default key file: loaded, or made while no sealed seed needs another one. */
static int load_or_create(Store *s, const char *path, SealKey *ret) {
        uint64_t sealed;
        int r;

        r = seal_key_load(path, ret);
        if (r != -ENOENT)
                return r;
        r = store_count_sealed_seeds(s, &sealed);
        if (r < 0)
                return r;
        if (sealed > 0) {
                log_error("%s: missing, and %" PRIu64 " account(s) hold TOTP secrets sealed with it. A new key "
                          "would open none of them, so none is made: two-factor checks and enrolments are "
                          "refused until the key file is restored.", path, sealed);
                return -ENOENT;
        }
        r = seal_key_create(path, ret);
        if (r < 0)
                return log_error_errno(r, "%s: cannot create the TOTP seal key: %m", path);
        log_info("%s: created the key that seals TOTP secrets. Back it up apart from tokens.db: a backup "
                 "of the database alone cannot give the secrets away, nor can it give them back.", path);
        return 0;
}

static int find_key(Store *s, const char *state_dir, const char *key_file, SealKey *ret, char **ret_path) {
        const char *creds = getenv("CREDENTIALS_DIRECTORY");
        _cleanup_free_ char *path = NULL;
        int r;

        if (!isempty(creds)) {
                if (asprintf(&path, "%s/%s", creds, SEAL_KEY_CREDENTIAL) < 0)
                        return -ENOMEM;
                r = seal_key_load(path, ret);
                if (r != -ENOENT)
                        goto done;
                free(path);
                path = NULL;
        }
        if (!isempty(key_file)) {
                path = strdup(key_file);
                if (!path)
                        return -ENOMEM;
                r = seal_key_load(path, ret);
                goto done;
        }
        if (asprintf(&path, "%s/%s", state_dir, SEAL_KEY_FILENAME) < 0)
                return -ENOMEM;
        return load_or_create(s, path, ret) < 0 ? -ENOKEY : (*ret_path = path, path = NULL, 0);
done:
        if (r < 0) {
                log_error("%s: cannot load the TOTP seal key: %s. Two-factor checks and enrolments are refused.",
                          path, load_error(r));
                return -ENOKEY;
        }
        *ret_path = path;
        path = NULL;
        return 0;
}

int seal_setup(Store *s, const char *state_dir, const char *key_file) {
        _cleanup_free_ char *path = NULL;
        SealKey key;
        int r;

        r = find_key(s, state_dir, key_file, &key, &path);
        if (r == -ENOMEM)
                return log_oom();
        if (r < 0)
                return 0;   /* said why; the daemon runs without 2FA */

        r = store_probe_seal_key(s, &key);
        if (r == -EBADMSG) {
                seal_key_erase(&key);
                log_error("%s: this key does not open the sealed TOTP secrets (a wrong key?). Two-factor checks "
                          "and enrolments are refused until pkgtokend is restarted with the right one.", path);
                return 0;
        }
        if (r >= 0)
                r = store_set_seal_key(s, &key);
        seal_key_erase(&key);
        if (r < 0)
                return r;

        r = store_seal_plain_seeds(s);
        if (r == -ENOMEM)
                return log_oom();
        if (r < 0) {
                /* They stay usable as they are; the next start tries again. */
                log_error_errno(r, "cannot seal the TOTP secrets stored in clear: %m");
                return 0;
        }
        if (r > 0)
                log_info("sealed %d TOTP secret(s) stored in clear, with the key %s", r, path);
        return 0;
}
