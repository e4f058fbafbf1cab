/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "ctl-views.h"
#include "macro.h"

static const Field account_columns[] = {
        { "name",         "NAME",        FIELD_STRING },
        { "kind",         "KIND",        FIELD_STRING },
        { "email",        "EMAIL",       FIELD_STRING },
        { "twofa",        "2FA",         FIELD_STRING },
        { "locked",       "LOCKED",      FIELD_BOOL },
        { "created_at",   "CREATED",     FIELD_TIMESTAMP },
};

const View account_list_view = { account_columns, ELEMENTSOF(account_columns), "account", "accounts" };

static const Field account_fields[] = {
        { "name",                "Name",                  FIELD_STRING },
        { "email",               "E-mail",                FIELD_STRING },
        { "kind",                "Kind",                  FIELD_STRING },
        { "has_password",        "Password set",          FIELD_BOOL },
        { "password_source",     "Password from",         FIELD_STRING },
        { "twofa",               "2FA mode",              FIELD_STRING },
        { "twofa_pending",       "2FA enrolment pending", FIELD_BOOL },
        { "recovery_codes_left", "Recovery codes left",   FIELD_NUMBER },
        { "locked",              "Locked",                FIELD_BOOL },
        { "locked_until",        "Locked out until",      FIELD_TIMESTAMP },
        { "hold_until",          "On hold until",         FIELD_TIMESTAMP, NULL, 0, true },
        { "failed_attempts",     "Failed attempts",       FIELD_NUMBER },
        { "linked_uid",          "Linked Unix user",      FIELD_NUMBER, NULL, 0, true },
        { "created_at",          "Created",               FIELD_TIMESTAMP },
};

const View account_show_view = { account_fields, ELEMENTSOF(account_fields) };

static const Field package_columns[] = {
        { "name",         "NAME",        FIELD_STRING },
        { "policy",       "POLICY",      FIELD_STRING },
        { "maintainers",  "MAINTAINERS", FIELD_LIST },
};

const View package_list_view = { package_columns, ELEMENTSOF(package_columns), "package", "packages" };

static const Field package_fields[] = {
        { "name",         "Name",        FIELD_STRING },
        { "policy",       "Policy",      FIELD_STRING },
        { "maintainers",  "Maintainers", FIELD_LIST },
        { "require_approval", "Requires approval", FIELD_BOOL },
        { "require_trusted_publishing", "Requires trusted publishing", FIELD_BOOL },
        { "max_token_lifetime", "Max token lifetime", FIELD_DURATION, "none" },
        { "created_at",   "Created",     FIELD_TIMESTAMP },
};

const View package_show_view = { package_fields, ELEMENTSOF(package_fields) };

static const Field token_columns[] = {
        { "id",           "ID",          FIELD_STRING },
        { "prefix",       "PREFIX",      FIELD_STRING },
        { "type",         "TYPE",        FIELD_STRING },
        { "owner",        "OWNER",       FIELD_TOKEN_OWNER },
        { "scope",        "SCOPE",       FIELD_LIST,      "all maintained" },
        { "description",  "DESCRIPTION", FIELD_STRING,    NULL, FREE_TEXT_COLUMN_MAX },
        { "created_by",   "CREATED-BY",  FIELD_STRING },
        { "created_at",   "CREATED",     FIELD_TIMESTAMP },
        { "last_used_at", "LAST-USED",   FIELD_TIMESTAMP, "never" },
        { "expires_at",   "EXPIRES",     FIELD_TIMESTAMP, "never" },
        { "state",        "STATE",       FIELD_STRING },
};

const View token_list_view = { token_columns, ELEMENTSOF(token_columns), "token", "tokens" };

static const Field token_fields[] = {
        { "id",             "ID",             FIELD_STRING },
        { "prefix",         "Prefix",         FIELD_STRING },
        { "type",           "Type",           FIELD_STRING },
        { "owner",          "Owner",          FIELD_STRING },
        { "account",        "Account",        FIELD_STRING },
        { "scope",          "Scope",          FIELD_LIST,      "all maintained packages" },
        { "description",    "Description",    FIELD_STRING },
        { "created_by",     "Created by",     FIELD_STRING },
        { "created_at",     "Created",        FIELD_TIMESTAMP },
        { "expires_at",     "Expires",        FIELD_TIMESTAMP, "never" },
        { "last_used_at",   "Last used",      FIELD_TIMESTAMP, "never" },
        { "last_used_from", "Last used from", FIELD_STRING },
        { "allowed_cidrs",  "Allowed CIDRs",  FIELD_LIST,      "any" },
        { "revoked_at",     "Revoked",        FIELD_TIMESTAMP },
        { "state",          "State",          FIELD_STRING },
};

const View token_show_view = { token_fields, ELEMENTSOF(token_fields) };

static const Field status_fields[] = {
        { "version",         "Version",         FIELD_STRING },
        { "schema_version",  "Schema version",  FIELD_NUMBER },
        { "state_directory", "State directory", FIELD_STRING },
        { "accounts",        "Accounts",        FIELD_NUMBER },
        { "packages",        "Packages",        FIELD_NUMBER },
        { "tokens",          "Tokens",          FIELD_NUMBER },
        { "active_tokens",   "Active tokens",   FIELD_NUMBER },
};

const View status_view = { status_fields, ELEMENTSOF(status_fields) };

static const Field audit_columns[] = {
        { "time",         "TIME",        FIELD_TIMESTAMP },
        { "action",       "ACTION",      FIELD_STRING },
        { "package",      "PACKAGE",     FIELD_STRING },
        { "version",      "VERSION",     FIELD_STRING },
        { "result",       "RESULT",      FIELD_STRING },
        { "actor",        "ACTOR",       FIELD_STRING,    NULL, FREE_TEXT_COLUMN_MAX },
        { "token_id",     "TOKEN",       FIELD_STRING },
        { "remote",       "REMOTE",      FIELD_STRING },
        { "reason",       "REASON",      FIELD_STRING },
        { "provenance",   "PROVENANCE",  FIELD_MAP },
};

const View audit_view = { audit_columns, ELEMENTSOF(audit_columns), "event", "events" };

static const Field issuer_columns[] = {
        { "name",            "NAME",       FIELD_STRING },
        { "issuer",          "ISSUER",     FIELD_STRING },
        { "keys_file_mtime", "KEYS-FILE",  FIELD_TIMESTAMP, "missing" },
        { "kids",            "KEY-IDS",    FIELD_LIST,      "none" },
        { "audience",        "AUDIENCE",   FIELD_STRING },
        { "algorithms",      "ALGORITHMS", FIELD_LIST },
        { "refresh",         "REFRESH",    FIELD_STRING,    "by hand" },
        { "keys_error",      "ERROR",      FIELD_STRING },
};

const View issuer_list_view = { issuer_columns, ELEMENTSOF(issuer_columns), "issuer", "issuers" };

static const Field trusted_publisher_columns[] = {
        { "id",           "ID",          FIELD_STRING },
        { "package",      "PACKAGE",     FIELD_STRING },
        { "issuer",       "ISSUER",      FIELD_STRING },
        { "claims",       "CLAIMS",      FIELD_STRING },
        { "created_by",   "CREATED-BY",  FIELD_STRING },
        { "created_at",   "CREATED",     FIELD_TIMESTAMP },
};

const View trusted_publisher_list_view = { trusted_publisher_columns, ELEMENTSOF(trusted_publisher_columns),
                                           "trusted publisher", "trusted publishers" };
static const Field stage_columns[] = {
        { "id",           "ID",          FIELD_STRING },
        { "package",      "PACKAGE",     FIELD_STRING },
        { "version",      "VERSION",     FIELD_STRING },
        { "state",        "STATE",       FIELD_STRING },
        { "staged_by",    "STAGED-BY",   FIELD_STRING,    NULL, FREE_TEXT_COLUMN_MAX },
        { "staged_at",    "STAGED",      FIELD_TIMESTAMP },
        { "expires_at",   "EXPIRES",     FIELD_TIMESTAMP },
};

const View stage_list_view = { stage_columns, ELEMENTSOF(stage_columns), "staged version", "staged versions" };

static const Field stage_fields[] = {
        { "id",           "ID",          FIELD_STRING },
        { "package",      "Package",     FIELD_STRING },
        { "version",      "Version",     FIELD_STRING },
        { "integrity",    "Integrity",   FIELD_STRING },
        { "state",        "State",       FIELD_STRING },
        { "staged_by",    "Staged by",   FIELD_STRING },
        { "token_id",     "Token",       FIELD_STRING },
        { "staged_at",    "Staged",      FIELD_TIMESTAMP },
        { "expires_at",   "Expires",     FIELD_TIMESTAMP },
        { "decided_by",   "Decided by",  FIELD_STRING },
        { "decided_at",   "Decided",     FIELD_TIMESTAMP },
        { "reason",       "Reason",      FIELD_STRING },
};

const View stage_show_view = { stage_fields, ELEMENTSOF(stage_fields) };
