/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* How the registry API's methods that act for a proven account get their account (the proof
 * machinery of bus-registry.c), shared with bus-registry-packages.c. */

#include <systemd/sd-bus.h>

#include "authorize.h"
#include "governance.h"
#include "manager.h"

typedef struct Proof {
        const char *token;
        const char *account;
        const char *password;
        const char *otp;
        const char *remote;
} Proof;

/* An account proven by a proof, as the methods below act on it. */
typedef struct Proven {
        const char *account;           /* "" for a package token */
        const char *actor;             /* "alice (registry uid 998)" */
        const char *otp;               /* the proof's code, for changes that need one */
        bool otp_verified;             /* a password proof checked the code already */
        const AuthorizeAnswer *token;  /* token proofs: the token; NULL for password proofs */
        const Proof *proof;            /* token proofs only (password proofs finish later) */
} Proven;

typedef int (*ProvenHandler)(Manager *m, sd_bus_message *msg, const Proven *p, sd_bus_error *error);

/* What a method asks of its proof. */
typedef struct ProofRule {
        ProvenHandler handler;
        bool account_needed;       /* not a package token */
        /* Governance (common/governance.h): the proof must come from a person with a current
         * second factor.  For token proofs of accounts with 2FA the handler checks the code
         * (GOVERNANCE_CHECK_OTP): token_create(), registry_revoke_own_token(), Verify's
         * "owner" do. */
        GovernanceAct governance;
        bool by_uid;               /* a linked Unix user may prove itself by its uid (bus-registry.c) */
} ProofRule;

/* Reads the proof, checks the caller and it, and hands the proven account to the rule's
 * handler: at once for a token, after the hash when the proof has a password. */
int bus_dispatch_proof(Manager *m, sd_bus_message *msg, const ProofRule *rule, sd_bus_error *error);

#define DEFINE_PROOF_METHOD(method, fn, ...)                                                    \
        int method(sd_bus_message *msg, void *userdata, sd_bus_error *error) {                  \
                static const ProofRule rule = { .handler = fn, __VA_ARGS__ };                  \
                return bus_dispatch_proof(userdata, msg, &rule, error);                         \
        }

/* A token proof must be allowed action on package by Verify's rules (scope, CIDR; for "owner"
 * a maintainer and governance: common/governance.h); the refusal as the error a client sees. */
int bus_check_token_action(Manager *m, const Proven *p, const char *package, Action action, sd_bus_error *error);

/* Who may govern a package (ChangeMaintainer, SetOwnPackagePolicy), besides the proof's
 * governance rule: a maintainer, by a token allowed "owner" or by a password proof
 * (bus-registry-packages.c). */
int bus_check_package_governance(Manager *m, const Proven *p, const char *package, sd_bus_error *error);
