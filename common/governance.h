/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Governance: who may change what decides who may publish (tokens, two-factor settings,
 * maintainers, a package's policy, approving staged versions).  One pure rule for every door
 * (the registry API's methods, Verify's "owner", stage approval): a credential that can
 * publish without a one-time password must not be able to widen what it, or a thief holding
 * it, can do.  Only a person proving a current second factor governs: a password proof of an
 * account with 2FA (the login path checked its code), or an account token of an account with
 * 2FA plus a current code.  Admins (pkgtokenctl as root) stay able to, audited.
 *
 * Two exceptions keep npm usable: a session token may revoke itself (npm logout), and an
 * account without 2FA may turn 2FA on with a password proof (npm profile enable-2fa; the only
 * two-factor change there is for an account without it).  During a recovery hold (after a
 * recovery code or an admin's 2FA reset) nobody but an admin governs for the account.
 *
 * A Unix user linked to the account (a desktop) is a person at the machine: like a password
 * proof, except that the current code comes with the request and the method checks it.
 * docs/ARCHITECTURE.md, "Where each concept lives". */

#include <stdbool.h>

#include "model.h"

typedef enum GovernanceAct {
        GOVERN_NONE,             /* not governance: the rule does not apply */
        GOVERN_TOKENS,           /* create, revoke or rotate tokens */
        GOVERN_TWOFA,            /* change an account's 2FA mode, turn it off */
        GOVERN_TWOFA_ENROL,      /* turn 2FA on (enrol, confirm the first code) */
        GOVERN_MAINTAINERS,
        GOVERN_PACKAGE_POLICY,
        GOVERN_STAGE_APPROVAL,   /* approve or reject a staged version */
        GOVERN_LOGOUT,           /* a session token revoking itself */
        _GOVERN_ACT_MAX,
} GovernanceAct;

typedef enum ProofKind {
        PROOF_ADMIN,     /* root or the daemon's uid, through the admin methods */
        PROOF_PASSWORD,  /* account + password, and the code the login path asked for when 2FA is on */
        PROOF_TOKEN,
        PROOF_UID,       /* a Unix user linked to the account, by its real bus credentials; the method
                          * checks the account's code itself when 2FA is on (GOVERNANCE_CHECK_OTP) */
        _PROOF_KIND_MAX,
} ProofKind;

typedef struct GovernanceFacts {
        ProofKind proof;
        TokenType type;             /* token proofs */
        TokenOwner owner;           /* token proofs */
        TwoFactorMode account_2fa;  /* the proven account's active mode; package tokens: DISABLED */
        bool otp_given;             /* token proofs: a code came with the request */
        bool on_hold;               /* the account is in its recovery hold (accounts.h) */
} GovernanceFacts;

typedef enum GovernanceResult {
        GOVERNANCE_ALLOWED,       /* go on */
        GOVERNANCE_CHECK_OTP,     /* go on once the code given proves valid now (the caller checks it) */
        GOVERNANCE_OTP_REQUIRED,  /* ask for a current code */
        GOVERNANCE_REFUSED,
        _GOVERNANCE_RESULT_MAX,
} GovernanceResult;

typedef struct GovernanceVerdict {
        GovernanceResult result;
        ReasonCode code;        /* ok, otp-required, governance, recovery-hold, invalid-argument */
        const char *message;    /* static; says what would be accepted; never a secret */
} GovernanceVerdict;

GovernanceVerdict governance_decide(const GovernanceFacts *f, GovernanceAct act);
