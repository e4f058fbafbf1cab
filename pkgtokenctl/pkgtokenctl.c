/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* pkgtokenctl: the admin and maintainer CLI.  A thin D-Bus client of pkgtokend in the style of
 * homectl/busctl: every verb is one method call, the daemon is the authority on names,
 * permissions and policy, and this program only turns command lines into calls and replies
 * into tables or JSON.
 *
 * This file: main(), the one option table and the verb table.  The verbs are in
 * ctl-accounts.c, ctl-packages.c, ctl-tokens.c, ctl-twofa.c, ctl-login.c, ctl-authorize.c and
 * ctl-audit.c; they call pkgtokend through ctl-bus.c, print through ctl-output.c (replies read
 * as JSON by ctl-json.c) and read and write secrets through ctl-secret.c.  Exit codes: ctl.h. */

#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl-commands.h"
#include "ctl-bus.h"
#include "ctl-help.h"
#include "ctl-output.h"
#include "ctl-self.h"
#include "ctl-time.h"
#include "ctl-verbs.h"
#include "duration.h"
#include "lifetime.h"
#include "macro.h"
#include "model.h"
#include "names.h"
#include "options.h"
#include "pam-request.h"
#include "strv.h"
#include "validate.h"

const char *arg_bus_address = NULL;
JsonMode arg_json = JSON_OFF;
bool arg_legend = true;
const char *arg_email = NULL;
const char *arg_kind = NULL;
const char *arg_password_from = NULL;
const char *arg_policy = NULL;
char **arg_maintainers = NULL;
const char *arg_type = NULL;
char **arg_packages = NULL;
bool arg_package_owned = false;
const char *arg_description = NULL;
usec_t arg_expires = 0;
char **arg_cidrs = NULL;
const char *arg_account = NULL;
const char *arg_remote = NULL;
bool arg_otp = false;
const char *arg_state = NULL;
const char *arg_reason = NULL;
int arg_require_approval = -1;
int arg_require_trusted_publishing = -1;
bool arg_provenance = false;
usec_t arg_since = 0;
uint32_t arg_limit = 100;
bool arg_password_stdin = false;
bool arg_old_password = false;
const char *arg_mode = NULL;
bool arg_force = false;
bool arg_session = false;
const char *arg_issuer = NULL;
char **arg_claims = NULL;
const char *arg_github = NULL;
const char *arg_gitlab = NULL;
const char *arg_workflow = NULL;
const char *arg_environment = NULL;
usec_t arg_max_token_lifetime = 0;
bool arg_max_token_lifetime_set = false;
usec_t arg_expiring = 0;
bool arg_expiring_set = false;
usec_t arg_grace = 0;

bool arg_ask_password = true;
uint32_t arg_uid = 0;
bool arg_uid_set = false;

static uint64_t arg_seen = 0;           /* OPT() bits of the verb options given */

static void args_free(void) {
        arg_maintainers = strv_free(arg_maintainers);
        arg_packages = strv_free(arg_packages);
        arg_cidrs = strv_free(arg_cidrs);
        arg_claims = strv_free(arg_claims);
}

/* ---------------------------------------------------------------------------------------------
 * The one option table.  Options from ARG_EMAIL on belong to verbs: each has a bit, OPT(), and
 * each verb lists the ones it accepts, so that "account add --policy=none" is an error rather
 * than a silently ignored word.
 *
 * Every option is listed once: its name, whether it takes a value, and its id (ARG_ID); the enum
 * of ids and getopt's table are both made from this list, so the two cannot drift apart. */
#define CTL_OPTIONS(X)                                                 \
        X("bus-address",        required_argument, BUS_ADDRESS)        \
        X("json",               optional_argument, JSON)               \
        X("no-legend",          no_argument,       NO_LEGEND)          \
        X("no-ask-password",    no_argument,       NO_ASK_PASSWORD)    \
        X("email",              required_argument, EMAIL)              \
        X("kind",               required_argument, KIND)               \
        X("policy",             required_argument, POLICY)             \
        X("maintainer",         required_argument, MAINTAINER)         \
        X("type",               required_argument, TYPE)               \
        X("package",            required_argument, PACKAGE)            \
        X("package-owned",      no_argument,       PACKAGE_OWNED)      \
        X("description",        required_argument, DESCRIPTION)        \
        X("expires",            required_argument, EXPIRES)            \
        X("cidr",               required_argument, CIDR)               \
        X("account",            required_argument, ACCOUNT)            \
        X("remote",             required_argument, REMOTE)             \
        X("otp",                no_argument,       OTP)                \
        X("since",              required_argument, SINCE)              \
        X("limit",              required_argument, LIMIT)              \
        X("password-stdin",     no_argument,       PASSWORD_STDIN)     \
        X("old-password",       no_argument,       OLD_PASSWORD)       \
        X("mode",               required_argument, MODE)               \
        X("force",              no_argument,       FORCE)              \
        X("session",            no_argument,       SESSION)            \
        X("issuer",             required_argument, ISSUER)             \
        X("claim",              required_argument, CLAIM)              \
        X("github",             required_argument, GITHUB)             \
        X("gitlab",             required_argument, GITLAB)             \
        X("workflow",           required_argument, WORKFLOW)           \
        X("environment",        required_argument, ENVIRONMENT)        \
        X("state",              required_argument, STATE)              \
        X("reason",             required_argument, REASON)             \
        X("require-approval",   required_argument, REQUIRE_APPROVAL)   \
        X("require-trusted-publishing", required_argument, REQUIRE_TRUSTED_PUBLISHING) \
        X("max-token-lifetime", required_argument, MAX_TOKEN_LIFETIME) \
        X("expiring",           required_argument, EXPIRING)           \
        X("grace",              required_argument, GRACE)              \
        X("provenance",         no_argument,       PROVENANCE)         \
        X("uid",                required_argument, UID)                \
        X("password-from",      required_argument, PASSWORD_FROM)

enum {
        _ARG_BEFORE_FIRST = 0x100 - 1,  /* the ids start above every short option and OPTION_VERSION_ID */
#define OPTION_ID(name, has_arg, id) ARG_##id,
        CTL_OPTIONS(OPTION_ID)
#undef OPTION_ID
        _ARG_END,
};

#define OPT(arg) (UINT64_C(1) << ((arg) - ARG_EMAIL))
_Static_assert(_ARG_END - ARG_EMAIL <= 64, "the verb options' bits fit a uint64_t");

static const struct option options[] = {
        OPTION_HELP,
        OPTION_VERSION,
#define OPTION_ROW(name, has_arg, id) { name, has_arg, NULL, ARG_##id },
        CTL_OPTIONS(OPTION_ROW)
#undef OPTION_ROW
        {}
};

/* The name of the verb option with bit OPT(), for dispatch_verb()'s messages. */
static const char *option_name(unsigned bit) {
        for (const struct option *o = options; o->name; o++)
                if (o->val == ARG_EMAIL + (int) bit)
                        return o->name;
        return "?";
}

/* ---------------------------------------------------------------------------------------------
 * Verb table and dispatch (systemd's verbs pattern, with multi-word verbs). */

/* "package policy" and its other name, "package set-policy": one verb under two names. */
#define PACKAGE_POLICY_VERB(name) \
        { name, "NAME [POLICY]", 1, 2, verb_package_policy,                                 \
          OPT(ARG_REQUIRE_APPROVAL) | OPT(ARG_REQUIRE_TRUSTED_PUBLISHING) | OPT(ARG_MAX_TOKEN_LIFETIME) }

static const Verb verbs[] = {
        { "status",                     "",                0, 0, verb_status },
        { "account add",                "NAME",            1, 1, verb_account_add,
          OPT(ARG_EMAIL) | OPT(ARG_KIND) | OPT(ARG_UID) | OPT(ARG_PASSWORD_FROM) },
        { "account link",               "NAME UID",        2, 2, verb_account_link },
        { "account unlink",             "NAME",            1, 1, verb_account_unlink },
        { "account list",               "",                0, 0, verb_account_list },
        { "account show",               "[NAME]",          0, 1, verb_account_show },
        { "account lock",               "NAME",            1, 1, verb_account_lock },
        { "account unlock",             "NAME",            1, 1, verb_account_unlock },
        { "account remove",             "NAME",            1, 1, verb_account_remove },
        { "account lift-hold",          "NAME",            1, 1, verb_account_lift_hold },
        { "account set-email",          "NAME EMAIL",      2, 2, verb_account_set_email },
        { "account set-password-source", "NAME SOURCE",    2, 2, verb_account_set_password_source },
        { "account passwd",             "[NAME]",          0, 1, verb_account_passwd,
          OPT(ARG_PASSWORD_STDIN) | OPT(ARG_OLD_PASSWORD) | OPT(ARG_OTP) },
        { "account 2fa enable",         "[NAME]",          0, 1, verb_account_2fa_enable, OPT(ARG_MODE) },
        { "account 2fa confirm",        "[NAME]",          0, 1, verb_account_2fa_confirm, OPT(ARG_MODE) },
        { "account 2fa disable",        "[NAME]",          0, 1, verb_account_2fa_disable, OPT(ARG_FORCE) },
        { "account 2fa mode",           "[NAME] MODE",     1, 2, verb_account_2fa_mode, OPT(ARG_FORCE) },
        { "account 2fa recovery-codes", "NAME",            1, 1, verb_account_2fa_recovery_codes,
          OPT(ARG_FORCE) },
        { "package add",                "NAME",            1, 1, verb_package_add,
          OPT(ARG_POLICY) | OPT(ARG_MAINTAINER) },
        { "package list",               "",                0, 0, verb_package_list },
        { "package show",               "NAME",            1, 1, verb_package_show },
        PACKAGE_POLICY_VERB("package policy"),
        PACKAGE_POLICY_VERB("package set-policy"),
        { "package provenance",         "NAME [VERSION]",  1, 2, verb_package_provenance },
        { "package maintainer add",     "PACKAGE ACCOUNT", 2, 2, verb_package_maintainer_add },
        { "package maintainer remove",  "PACKAGE ACCOUNT", 2, 2, verb_package_maintainer_remove },
        { "stage list",                 "",                0, 0, verb_stage_list,
          OPT(ARG_PACKAGE) | OPT(ARG_STATE) },
        { "stage show",                 "ID",              1, 1, verb_stage_show },
        { "stage approve",              "ID",              1, 1, verb_stage_approve,
          OPT(ARG_ACCOUNT) | OPT(ARG_OTP) | OPT(ARG_REASON) },
        { "stage reject",               "ID",              1, 1, verb_stage_reject,
          OPT(ARG_ACCOUNT) | OPT(ARG_OTP) | OPT(ARG_REASON) },
        { "token create",               "[ACCOUNT] --type=TYPE", 0, 1, verb_token_create,
          OPT(ARG_TYPE) | OPT(ARG_PACKAGE) | OPT(ARG_PACKAGE_OWNED) | OPT(ARG_DESCRIPTION) |
          OPT(ARG_EXPIRES) | OPT(ARG_CIDR) | OPT(ARG_OTP) },
        { "token list",                 "",                0, 0, verb_token_list,
          OPT(ARG_ACCOUNT) | OPT(ARG_PACKAGE) | OPT(ARG_EXPIRING) },
        { "token show",                 "ID",              1, 1, verb_token_show },
        { "token revoke",               "ID",              1, 1, verb_token_revoke, OPT(ARG_OTP) },
        { "token rotate",               "ID",              1, 1, verb_token_rotate, OPT(ARG_GRACE) },
        { "authorize",                  "PACKAGE ACTION",  2, 2, verb_authorize,
          OPT(ARG_REMOTE) | OPT(ARG_OTP) },
        { "login",                      "NAME",            1, 1, verb_login,
          OPT(ARG_SESSION) | OPT(ARG_REMOTE) | OPT(ARG_OTP) },
        { "audit",                      "",                0, 0, verb_audit,
          OPT(ARG_PACKAGE) | OPT(ARG_SINCE) | OPT(ARG_LIMIT) | OPT(ARG_PROVENANCE) },
        { "backup",                     "PATH",            1, 1, verb_backup },
        { "trust add",                  "PACKAGE",         1, 1, verb_trust_add,
          OPT(ARG_ISSUER) | OPT(ARG_CLAIM) | OPT(ARG_GITHUB) | OPT(ARG_GITLAB) | OPT(ARG_WORKFLOW) |
          OPT(ARG_ENVIRONMENT) },
        { "trust list",                 "[PACKAGE]",       0, 1, verb_trust_list },
        { "trust remove",               "ID",              1, 1, verb_trust_remove },
        { "trust require",              "PACKAGE yes|no",  2, 2, verb_trust_require },
        { "issuer list",                "",                0, 0, verb_issuer_list },
        { "issuer refresh",             "[NAME...]",       0, UINT_MAX, verb_issuer_refresh },
        { "help",                       "",                0, UINT_MAX, verb_help, ~UINT64_C(0) },
};

/* ---------------------------------------------------------------------------------------------
 * Option values are checked here, before any bus traffic, so that a typo is a usage error
 * (exit 2) and never reaches the daemon.  Names given as operands are checked by the daemon,
 * which is the authority on them. */

static int parse_u32(const char *s, uint32_t *ret) {
        uint64_t v = 0;

        if (isempty(s) || strlen(s) > 10)
                return -EINVAL;
        for (const char *p = s; *p; p++) {
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                v = v * 10 + (uint64_t) (*p - '0');
        }
        if (v > UINT32_MAX)
                return -ERANGE;

        *ret = (uint32_t) v;
        return 0;
}

/* --package: a pattern for "token create", a name for the filters; the verb checks which,
 * here only that it can be either. */
static bool package_argument_is_valid(const char *s) {
        _cleanup_free_ char *canonical = NULL;

        return scope_pattern_is_valid(s) || package_name_canonicalize(s, &canonical) >= 0;
}

static bool account_kind_is_valid(const char *s) {
        return account_kind_from_string(s) >= 0;
}

static bool package_policy_is_valid(const char *s) {
        return package_policy_from_string(s) >= 0;
}

/* Session tokens exist, but only "login --session" hands them out. */
static bool token_type_argument_is_valid(const char *s) {
        return token_type_is_made_to_order(token_type_from_string(s));
}

/* What trust add passes on to the daemon, which checks claims itself: one printable word. */
static bool trust_word_is_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > 512)
                return false;
        for (; *s; s++)
                if ((unsigned char) *s <= ' ' || *s == 0x7f)
                        return false;
        return true;
}

static bool password_source_is_valid(const char *s) {
        const char *service;
        return password_source_parse(s, &service) >= 0 && !isempty(s);
}

static bool stage_state_is_valid(const char *s) {
        return stage_state_from_string(s) >= 0;
}

static bool remote_address_is_valid(const char *s) {
        uint8_t addr[16];
        int family;

        return address_parse(s, &family, addr) >= 0;
}

/* The verb options whose value one predicate checks: kept as given, or collected into a list
 * for the repeatable ones.  A refused value is "Invalid WHAT 'VALUE'HINT.". */
typedef struct CheckedOption {
        int arg;
        const char *what;
        const char *hint;
        bool (*is_valid)(const char *s);
        const char **value;
        char ***list;
} CheckedOption;

static const CheckedOption checked_options[] = {
        { ARG_EMAIL,      "e-mail address", "", email_is_valid,                &arg_email },
        { ARG_KIND,       "account kind",   ": use human or service",
          account_kind_is_valid,        &arg_kind },
        { ARG_PASSWORD_FROM, "password source", ": use local or pam:SERVICE",
          password_source_is_valid,     &arg_password_from },
        { ARG_POLICY,     "policy",         ": use none, 2fa-or-automation or 2fa-only",
          package_policy_is_valid,      &arg_policy },
        { ARG_TYPE,       "token type",     ": use read-only, publish or automation",
          token_type_argument_is_valid, &arg_type },
        { ARG_ACCOUNT,    "account name",   "", account_name_is_valid,         &arg_account },
        { ARG_REMOTE,     "remote address", "", remote_address_is_valid,       &arg_remote },
        { ARG_STATE,      "state",          ": use staged, approved, published, rejected or expired",
          stage_state_is_valid,         &arg_state },
        { ARG_MAINTAINER, "account name",   "", account_name_is_valid,         .list = &arg_maintainers },
        { ARG_PACKAGE,    "package name",   "", package_argument_is_valid,     .list = &arg_packages },
        { ARG_CIDR,       "CIDR",           " (e.g. 192.0.2.0/24, 2001:db8::/32; host bits must be zero)",
          cidr_is_valid,                .list = &arg_cidrs },
        { ARG_ISSUER,     "issuer",         ": an https:// URL", trust_word_is_valid, &arg_issuer },
        { ARG_CLAIM,      "claim",          ": use NAME=VALUE", trust_word_is_valid, .list = &arg_claims },
        { ARG_GITHUB,     "repository",     ": use OWNER/REPO", trust_word_is_valid, &arg_github },
        { ARG_GITLAB,     "project",        ": use GROUP/PROJECT", trust_word_is_valid, &arg_gitlab },
        { ARG_WORKFLOW,   "workflow file",  "", trust_word_is_valid, &arg_workflow },
        { ARG_ENVIRONMENT, "environment",   "", trust_word_is_valid, &arg_environment },
};

static int parse_checked_option(const CheckedOption *o, const char *value) {
        if (!o->is_valid(value))
                return log_error_errno(EINVAL, "Invalid %s '%s'%s.", o->what, value, o->hint);

        if (!o->list) {
                *o->value = value;
                return 0;
        }
        if (strv_extend(o->list, value) < 0)
                return log_oom();
        return 0;
}

/* The verb options without a value. */
static const struct {
        int arg;
        bool *flag;
} flag_options[] = {
        { ARG_PACKAGE_OWNED,  &arg_package_owned },
        { ARG_OTP,            &arg_otp },
        { ARG_PASSWORD_STDIN, &arg_password_stdin },
        { ARG_OLD_PASSWORD,   &arg_old_password },
        { ARG_FORCE,          &arg_force },
        { ARG_SESSION,        &arg_session },
        { ARG_PROVENANCE,     &arg_provenance },
};

static int parse_verb_option(int c, const char *value, usec_t now) {
        arg_seen |= OPT(c);

        for (size_t i = 0; i < ELEMENTSOF(flag_options); i++)
                if (flag_options[i].arg == c) {
                        *flag_options[i].flag = true;
                        return 0;
                }
        for (size_t i = 0; i < ELEMENTSOF(checked_options); i++)
                if (checked_options[i].arg == c)
                        return parse_checked_option(&checked_options[i], value);

        switch (c) {
        case ARG_REQUIRE_APPROVAL:
        case ARG_REQUIRE_TRUSTED_PUBLISHING:
                if (!streq(value, "yes") && !streq(value, "no"))
                        return log_error_errno(EINVAL, "Invalid --%s='%s': use yes or no.", option_name((unsigned) (c - ARG_EMAIL)),
                                               value);
                *(c == ARG_REQUIRE_APPROVAL ? &arg_require_approval : &arg_require_trusted_publishing) = streq(value, "yes");
                return 0;
        case ARG_REASON:
        case ARG_DESCRIPTION:
                if (!description_is_valid(value))
                        return log_error_errno(EINVAL, "Invalid description: at most %d bytes "
                                               "of UTF-8 text without control characters.",
                                               DESCRIPTION_MAX);
                if (c == ARG_REASON)
                        arg_reason = value;
                else
                        arg_description = value;
                return 0;
        case ARG_MODE:
                /* The mode 2FA is turned on in; "disabled" is not one of them. */
                if (twofa_mode_from_string(value) <= TWOFA_DISABLED)
                        return log_error_errno(EINVAL, "Invalid --mode='%s': use auth-only or "
                                               "auth-and-writes.", value);
                arg_mode = value;
                return 0;
        case ARG_EXPIRES:
                return parse_expires(value, now, &arg_expires);
        case ARG_SINCE:
                return parse_since(value, now, &arg_since);
        case ARG_GRACE:
                if (parse_duration_bounded(value, 0, 24 * USEC_PER_HOUR, &arg_grace) < 0)
                        return log_error_errno(EINVAL, "Invalid --grace='%s': 0 to 24h (30s, 15min, 2h).", value);
                return 0;
        case ARG_EXPIRING:
                arg_expiring_set = true;
                if (parse_duration_bounded(value, 0, TOKEN_LIFETIME_MAX_SEC * USEC_PER_SEC, &arg_expiring) < 0)
                        return log_error_errno(EINVAL, "Invalid --expiring='%s': use 7d, 12h, 30m.", value);
                return 0;
        case ARG_MAX_TOKEN_LIFETIME:
                arg_max_token_lifetime_set = true;
                if (streq(value, "none"))
                        return 0;
                if (parse_duration_bounded(value, 0, TOKEN_LIFETIME_MAX_SEC * USEC_PER_SEC, &arg_max_token_lifetime) < 0)
                        return log_error_errno(EINVAL, "Invalid --max-token-lifetime='%s': use 90d, 12h, 30m "
                                               "(at most 3660d), 0 or none.", value);
                return 0;
        case ARG_UID:
                if (parse_u32(value, &arg_uid) < 0 || arg_uid == 0 || arg_uid == UINT32_MAX)
                        return log_error_errno(EINVAL, "Invalid --uid='%s': the number of an ordinary Unix user.",
                                               value);
                arg_uid_set = true;
                return 0;
        case ARG_LIMIT:
                if (parse_u32(value, &arg_limit) < 0 || arg_limit == 0)
                        return log_error_errno(EINVAL, "Invalid --limit='%s': a number from 1 to "
                                               "%" PRIu32 ".", value, UINT32_MAX);
                return 0;
        default:
                return log_error_errno(EINVAL, "Unhandled option.");
        }
}

static int parse_json_mode(const char *value) {
        if (!value || streq(value, "short"))
                arg_json = JSON_SHORT;
        else if (streq(value, "pretty"))
                arg_json = JSON_PRETTY;
        else if (streq(value, "off"))
                arg_json = JSON_OFF;
        else
                return log_error_errno(EINVAL, "Invalid --json='%s': use short or pretty.", value);
        return 0;
}

typedef struct ParseState {
        usec_t now;
        char **argv;
} ParseState;

static int parse_option(int c, const char *arg, void *userdata) {
        const ParseState *p = userdata;
        int r;

        if (c >= ARG_EMAIL && c < _ARG_END) {
                r = parse_verb_option(c, arg, p->now);
                return r < 0 ? r : 0;
        }

        switch (c) {
        case ARG_BUS_ADDRESS:
                return option_nonempty(arg, "--bus-address= needs an address.", &arg_bus_address);
        case ARG_JSON:
                r = parse_json_mode(arg);
                return r < 0 ? r : 0;
        case ARG_NO_LEGEND:
                arg_legend = false;
                return 0;
        case ARG_NO_ASK_PASSWORD:
                arg_ask_password = false;
                return 0;
        case ':':
                return log_error_errno(EINVAL, "Option '%s' needs a value.", p->argv[optind - 1]);
        case '?':
                if (optopt > 0 && optopt < 0x100)
                        return log_error_errno(EINVAL, "Unknown option '-%c'. See '%s --help'.", optopt,
                                               PROGRAM_NAME);
                return log_error_errno(EINVAL, "Unknown or invalid option '%s'. See '%s --help'.",
                                       p->argv[optind - 1], PROGRAM_NAME);
        default:
                return log_error_errno(EINVAL, "Unhandled option.");
        }
}

/* Returns 1 to go on with a verb, 0 to exit successfully (--help, --version), or a negative
 * errno for a usage error. */
static int parse_argv(int argc, char *argv[]) {
        /* Our own messages instead of getopt's, which name argv[0] with its full path. */
        opterr = 0;
        return options_parse(argc, argv, PROGRAM_NAME, ":h", options, help, parse_option,
                             &(ParseState) { .now = now_realtime_usec(), .argv = argv });
}

int main(int argc, char *argv[]) {
        int r;

        log_setup(PROGRAM_NAME);

        /* Only the character set, for the display width of descriptions in tables.  Every
         * string from the daemon is UTF-8, so under the plain C locale (services, cron, ssh
         * without LANG) measure it as UTF-8 rather than one column per byte. */
        if (!setlocale(LC_CTYPE, "") || !locale_is_utf8())
                (void) setlocale(LC_CTYPE, "C.UTF-8");

        r = parse_argv(argc, argv);
        if (r <= 0) {
                args_free();
                return r < 0 ? EXIT_USAGE : EXIT_SUCCESS;
        }

        /* Verbs return a negative errno after logging a failure, or an exit status. */
        r = dispatch_verb(verbs, ELEMENTSOF(verbs), arg_seen, option_name, argc - optind, argv + optind);

        self_done();
        bus_close();
        args_free();

        if (fflush(stdout) != 0 || ferror(stdout)) {
                log_error_errno(errno ?: EIO, "Failed to write output: %m");
                return EXIT_FAILURE;
        }

        return r < 0 ? EXIT_FAILURE : r;
}
