/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl-commands.h"
#include "ctl-bus.h"
#include "log.h"

int verb_backup(int argc, char *argv[]) {
        _cleanup_free_ char *path = NULL;
        int r;

        /* The daemon writes the file and has a working directory of its own: send an absolute
         * name. */
        if (argv[0][0] == '/')
                path = strdup(argv[0]);
        else {
                _cleanup_free_ char *cwd = getcwd(NULL, 0);
                if (!cwd)
                        return log_error_errno(-errno, "Cannot get the current directory: %m");
                if (asprintf(&path, "%s/%s", cwd, argv[0]) < 0)
                        path = NULL;
        }
        if (!path)
                return log_oom();

        r = method_call_simple("Backup", "back up the token store", NULL, "sa{sv}", path, 0);
        if (r < 0)
                return r;
        printf("Backed up to %s\n", path);
        return 0;
}
