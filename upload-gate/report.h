/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Tells pkgtokend about an upload the gate refused (ReportRefusal), so that it is in the audit
 * with the token that tried, like every other refused publish.  Best effort: the refusal
 * stands whether or not the daemon hears of it (a failure is logged). */

/* authorization: the request's Authorization header value (HTTP Basic with the token as the
 * password, or Bearer), NULL when none; remote: the client's address or "". */
void report_refusal(const char *bus_address, const char *authorization, const char *project, const char *reason,
                    const char *remote);
