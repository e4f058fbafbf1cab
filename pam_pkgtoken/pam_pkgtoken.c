/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* pam_pkgtoken: a PAM module that checks registry accounts and tokens with pkgtokend.  It is a
 * thin state machine over the daemon's answers:
 *
 *   auth      the secret is a password (+ a one-time code, prompted for or appended), or a
 *             token given as the password; a token is checked for the package and action of
 *             the request (module arguments, the PAM environment, nginx's REQUEST line);
 *   account   the account exists and is not locked;
 *   password  changes the account's password through the daemon (old, new, retype).
 *
 * This file holds the PAM entry points and what each of them decides; the parts are
 *   pam-options.c  the module's arguments;
 *   pam-conv.c     the user, the secrets and the one login loop with its one-time code;
 *   pam-bus.c      the calls to pkgtokend, the connection kept between PAM calls, deadlines;
 *   pam-outcome.c  the one table where every outcome becomes a PAM code (fail closed);
 *   common/request.c  the request line, the registry layouts and the method → action rule.
 *
 * The module holds no secret but the ones the application hands it and stores nothing.  A
 * daemon that is absent, hung or refuses us gives PAM_AUTHINFO_UNAVAIL, never a success.  No
 * secret is ever logged or shown. */

#include <stdlib.h>

#include "names.h"
#include "pam-bus.h"
#include "pam-conv.h"
#include "pam-options.h"
#include "pam-outcome.h"
#include "request.h"
#include "token.h"

#define _public_ __attribute__((visibility("default")))

/* Longer "passwords" (and tokens) are refused without asking the daemon. */
#define SECRET_MAX PASSWORD_MAX

/* pam_set_data() keys. */
#define DATA_TOKEN_USER     "pam_pkgtoken:token-user"     /* auth succeeded with a token */
#define DATA_SKIP_CHAUTHTOK "pam_pkgtoken:skip-chauthtok" /* PRELIM_CHECK ignored the user */

static void free_data(pam_handle_t *pamh, void *data, int error_status) {
        free(data);
}

static const char *action_name(Action a) {
        return action_to_string(a) ?: "-";
}

static const char *remote_name(Context *c) {
        const char *remote = remote_address(c);
        return isempty(remote) ? "-" : remote;
}

/* Every entry point: the options (a broken configuration refuses everybody), one step, its
 * outcome as a PAM code, and the connection kept for the next call. */
static int run(pam_handle_t *pamh, int flags, int argc, const char **argv, Outcome (*step)(Context *c, int flags)) {
        _cleanup_(bus_release) Context c = { .pamh = pamh };
        int r;

        r = options_parse(pamh, flags, argc, argv, &c.options);
        if (r != PAM_SUCCESS)
                return r;
        return outcome_finish(&c, step(&c, flags));
}

/* ------------------------------------------------------------------------------------------ */
/* What a request is: action and package                                                     */

typedef struct Request {
        Action action;                  /* ACTION_UNSET: none known */
        char *package;                  /* NULL: none known */
} Request;

static void request_done(Request *q) {
        free(q->package);
        *q = (Request) {};
}

/* The action and the package to check a token for:
 *   package: PKGTOKEN_PACKAGE, else package=, else the REQUEST path;
 *   action:  PKGTOKEN_ACTION, else request_action_resolve() of action= and the REQUEST method.
 * A malformed PKGTOKEN_* variable or REQUEST line refuses the login (fail closed). */
static Outcome resolve_request(Context *c, Request *q) {
        const char *env_action, *env_package, *line;
        Action explicit_action = ACTION_UNSET, method_action = ACTION_UNSET;
        int r;

        *q = (Request) { .action = ACTION_UNSET };

        env_action = pam_getenv(c->pamh, "PKGTOKEN_ACTION");
        if (!isempty(env_action)) {
                r = action_from_string(env_action);
                if (r < 0 || !action_is_basic(r)) {
                        pam_syslog(c->pamh, LOG_ERR, "PKGTOKEN_ACTION='%s' is neither read nor publish: refused",
                                   PRINTABLE(env_action));
                        return OUTCOME_FORBIDDEN;
                }
                explicit_action = (Action) r;
        }
        env_package = pam_getenv(c->pamh, "PKGTOKEN_PACKAGE");
        if (!isempty(env_package) && !request_package_is_valid(env_package)) {
                pam_syslog(c->pamh, LOG_ERR, "PKGTOKEN_PACKAGE='%s' is not a package name: refused",
                           PRINTABLE(env_package));
                return OUTCOME_FORBIDDEN;
        }
        if (!isempty(env_package) || c->options.package) {
                q->package = strdup(!isempty(env_package) ? env_package : c->options.package);
                if (!q->package)
                        return OUTCOME_NO_MEMORY;
        }

        line = pam_getenv(c->pamh, "REQUEST");
        if (line) {
                _cleanup_free_ char *path = NULL, *package = NULL;

                r = request_parse(line, c->options.layout, c->options.prefix, &method_action, &path, &package);
                if (r == -ENOMEM)
                        return OUTCOME_NO_MEMORY;
                if (r < 0) {
                        /* Only the shape: the target may carry a secret in its query. */
                        pam_syslog(c->pamh, LOG_ERR, "REQUEST is not a request line \"METHOD /path HTTP/x.y\": refused");
                        return OUTCOME_FORBIDDEN;
                }
                if (!q->package) {
                        q->package = package;
                        package = NULL;
                }
                log_debug(c, "REQUEST: %s, path %s, package %s", action_name(method_action), PRINTABLE(path),
                          q->package ? PRINTABLE(q->package) : "-");
        }

        q->action = request_action_resolve(explicit_action, c->options.action, method_action);
        return OUTCOME_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Authentication                                                                             */

static Outcome authenticate_result(Context *c, const Answer *a) {
        Outcome o = outcome_from_authn_result(a->result);

        if (o == OUTCOME_OK) {
                log_debug(c, "account %s: password accepted", PRINTABLE(c->user));
                return o;
        }
        pam_syslog(c->pamh, LOG_NOTICE, "authentication failure for account %s from %s: %s (%s)", PRINTABLE(c->user),
                   remote_name(c), PRINTABLE(a->result), PRINTABLE(a->reason));
        if (o == OUTCOME_LOCKED && a->locked_until > 0)
                set_message(c, "Too many failed attempts: the account is locked for a while.");
        if (o == OUTCOME_SYSTEM_ERROR)
                pam_syslog(c->pamh, LOG_ERR, "Authenticate: unknown result '%s'", PRINTABLE(a->result));
        return o;
}

static Outcome authorize_result(Context *c, const Answer *a, const Request *q) {
        Outcome o = outcome_from_authz_result(a->result);

        if (o == OUTCOME_OK) {
                log_debug(c, "token %s (%s) of account %s may %s %s", PRINTABLE(a->token_id), PRINTABLE(a->actor),
                          PRINTABLE(c->user), action_name(q->action), PRINTABLE(q->package));
                return o;
        }
        pam_syslog(c->pamh, LOG_NOTICE, "token %s refused for account %s to %s %s from %s: %s (%s)",
                   isempty(a->token_id) ? "-" : PRINTABLE(a->token_id), PRINTABLE(c->user),
                   action_name(q->action), PRINTABLE(q->package), remote_name(c), PRINTABLE(a->result),
                   PRINTABLE(a->reason));
        if (o == OUTCOME_FORBIDDEN)
                set_message(c, "Access denied: %s.", PRINTABLE(a->reason));
        if (o == OUTCOME_SYSTEM_ERROR)
                pam_syslog(c->pamh, LOG_ERR, "Authorize: unknown result '%s'", PRINTABLE(a->result));
        return o;
}

static Outcome password_login(Context *c, const char *secret, const Request *q) {
        _cleanup_(answer_done) Answer a = {};
        Outcome o;

        if (q->action == ACTION_PUBLISH) {
                pam_syslog(c->pamh, LOG_NOTICE, "account %s: a password cannot authorise a publish; a token can",
                           PRINTABLE(c->user));
                set_message(c, "Publishing needs a token; a password only logs in.");
                return OUTCOME_FORBIDDEN;
        }

        o = conv_login(c, secret, &(Login) { .credential = CREDENTIAL_PASSWORD }, &a);
        if (o != OUTCOME_OK)
                return o;
        return authenticate_result(c, &a);
}

/* A token given as the password. */
static Outcome token_login(Context *c, const char *secret, const Request *q) {
        _cleanup_(answer_done) Answer a = {};
        char *user;
        Outcome o;

        if (!c->options.tokens) {
                pam_syslog(c->pamh, LOG_NOTICE, "account %s: a token was given and tokens=deny", PRINTABLE(c->user));
                set_message(c, "Tokens are not accepted here; log in with the account's password.");
                return OUTCOME_FORBIDDEN;
        }
        /* A publish whose package we cannot tell still goes to the daemon, which refuses it
         * and records who tried (every publish refusal is in the audit). */
        if (q->action == ACTION_UNSET || (!q->package && q->action != ACTION_PUBLISH)) {
                bool no_action = q->action == ACTION_UNSET;

                pam_syslog(c->pamh, LOG_NOTICE,
                           "account %s: cannot check a token without %s: set %s, PKGTOKEN_%s or the REQUEST of a known layout",
                           PRINTABLE(c->user), no_action ? "an action" : "a package",
                           no_action ? "action=" : "package=", no_action ? "ACTION" : "PACKAGE");
                set_message(c, "Access denied: cannot tell which package this request is for.");
                return OUTCOME_FORBIDDEN;
        }

        o = conv_login(c, secret, &(Login) { .credential = CREDENTIAL_TOKEN, .package = q->package ?: "", .action = q->action },
                       &a);
        if (o != OUTCOME_OK)
                return o;
        o = authorize_result(c, &a, q);
        if (o != OUTCOME_OK)
                return o;

        /* Account management then accepts the token's user without asking again: the token's
         * own checks (revoked, expired, locked account) are done. */
        user = strdup(c->user);
        if (!user)
                return OUTCOME_NO_MEMORY;
        o = outcome_from_pam(pam_set_data(c->pamh, DATA_TOKEN_USER, user, free_data));
        if (o != OUTCOME_OK)
                free(user);
        return o;
}

static Outcome authenticate(Context *c, int flags) {
        _cleanup_(request_done) Request q = {};
        const char *secret = NULL;
        Outcome o;

        o = conv_get_user(c);
        if (o != OUTCOME_OK)
                return o;
        o = resolve_request(c, &q);
        if (o != OUTCOME_OK)
                return o;
        log_debug(c, "authenticate account %s: action %s, package %s", PRINTABLE(c->user),
                  action_name(q.action), q.package ? PRINTABLE(q.package) : "-");

        /* nullok: leave accounts pkgtoken does not know to the modules stacked after this one,
         * before asking for anything. */
        if (c->options.nullok && !streq(c->user, PKGTOKEN_ANY_ACCOUNT)) {
                o = bus_check_account(c);
                if (o == OUTCOME_UNKNOWN_ACCOUNT)
                        return o;
                if (o != OUTCOME_OK && o != OUTCOME_ACCOUNT_LOCKED && o != OUTCOME_LOCKED)
                        return o;   /* a locked account gets its answer from Authenticate */
        }

        o = conv_get_secret(c, &secret);
        if (o != OUTCOME_OK)
                return o;
        /* Secrets no account can have are refused without a round trip. */
        if (isempty(secret) || strlen(secret) > SECRET_MAX || !string_is_utf8(secret)) {
                log_debug(c, "account %s: empty, overlong or non-UTF-8 secret", PRINTABLE(c->user));
                return OUTCOME_BAD_SECRET;
        }

        if (strncmp(secret, TOKEN_PREFIX, TOKEN_PREFIX_LEN) == 0)
                return token_login(c, secret, &q);
        return password_login(c, secret, &q);
}

_public_ int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        return run(pamh, flags, argc, argv, authenticate);
}

_public_ int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        Options o;
        /* No credentials to set; a broken configuration still says so. */
        return options_parse(pamh, flags, argc, argv, &o);
}

/* ------------------------------------------------------------------------------------------ */
/* Account management                                                                         */

static Outcome account(Context *c, int flags) {
        const void *data = NULL;
        Outcome o;

        o = conv_get_user(c);
        if (o != OUTCOME_OK)
                return o;
        if (pam_get_data(c->pamh, DATA_TOKEN_USER, &data) == PAM_SUCCESS && streq_ptr(data, c->user)) {
                log_debug(c, "account %s: authenticated by a token in this session", PRINTABLE(c->user));
                return OUTCOME_OK;
        }
        if (streq(c->user, PKGTOKEN_ANY_ACCOUNT))
                return OUTCOME_UNKNOWN_ACCOUNT;
        return bus_check_account(c);
}

_public_ int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        return run(pamh, flags, argc, argv, account);
}

/* ------------------------------------------------------------------------------------------ */
/* Password change                                                                            */

static Outcome set_password(Context *c, const char *old, const char *new) {
        Outcome o;

        o = bus_open(c);
        if (o != OUTCOME_OK)
                return o;
        /* Both passwords must be valid UTF-8 to travel; a new one that is not cannot be set. */
        if (!string_is_utf8(new) || strlen(new) > SECRET_MAX) {
                set_message(c, "The new password must be valid UTF-8 text of at most %d bytes.", SECRET_MAX);
                return OUTCOME_NEW_PASSWORD_REJECTED;
        }
        if (!string_is_utf8(old) || strlen(old) > SECRET_MAX)
                return OUTCOME_OLD_PASSWORD_WRONG;
        return bus_set_password(c, old, new);
}

static Outcome change_password(Context *c, int flags) {
        const void *data = NULL;
        const char *old = NULL, *new = NULL;
        Outcome o;

        /* Nothing here expires, so there is never an expired password to change. */
        if (flags & PAM_CHANGE_EXPIRED_AUTHTOK) {
                log_debug(c, "PAM_CHANGE_EXPIRED_AUTHTOK: pkgtoken passwords do not expire");
                return OUTCOME_OK;
        }
        if (!(flags & (PAM_PRELIM_CHECK | PAM_UPDATE_AUTHTOK))) {
                pam_syslog(c->pamh, LOG_ERR, "pam_sm_chauthtok called without PAM_PRELIM_CHECK or PAM_UPDATE_AUTHTOK");
                return OUTCOME_BAD_CONFIG;
        }

        o = conv_get_user(c);
        if (o != OUTCOME_OK)
                return o;

        if (flags & PAM_PRELIM_CHECK) {
                o = streq(c->user, PKGTOKEN_ANY_ACCOUNT) ? OUTCOME_UNKNOWN_ACCOUNT : bus_check_account(c);
                if (o == OUTCOME_UNKNOWN_ACCOUNT && c->options.nullok) {
                        /* The update phase follows; it must not prompt for a password it will
                         * not change. */
                        if (pam_set_data(c->pamh, DATA_SKIP_CHAUTHTOK, (void *) 1, NULL) != PAM_SUCCESS)
                                return OUTCOME_SYSTEM_ERROR;
                }
                if (o != OUTCOME_OK)
                        return o;
                return conv_get_old_password(c, &old);
        }

        if (pam_get_data(c->pamh, DATA_SKIP_CHAUTHTOK, &data) == PAM_SUCCESS && data)
                return OUTCOME_UNKNOWN_ACCOUNT;
        o = conv_get_old_password(c, &old);
        if (o == OUTCOME_OK)
                o = conv_get_new_password(c, &new);
        if (o != OUTCOME_OK)
                return o;
        return set_password(c, old, new);
}

_public_ int pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        return run(pamh, flags, argc, argv, change_password);
}
