/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Trusted publishing: a package trusts publishers (an issuer and the claims its ID tokens
 * must carry: exact values or globs), and ExchangeIdToken turns a CI's signed ID token that
 * matches one of them into a publish token for that package alone, for minutes, with no
 * secret stored anywhere.  Verification is common/jwt.c; the issuers are issuers.c. */

#include "issuers.h"
#include "jwt.h"
#include "lockout.h"
#include "model.h"
#include "store.h"
#include "token.h"

#define TRUSTED_CLAIMS_MAX 16
#define TRUSTED_CLAIM_NAME_MAX 64
#define TRUSTED_CLAIM_VALUE_MAX 512
/* ID tokens living longer than this are refused, so that the replay cache stays small. */
#define TRUSTED_ID_TOKEN_LIFETIME_MAX (24 * USEC_PER_HOUR)

/* pairs: name, value, name, value, ... (NULL-terminated).  Returns the JSON object to store,
 * or ERR_INVALID_ARGUMENT with *ret_error. */
int trusted_claims_to_json(char * const *pairs, char **ret_json, const char **ret_error);
/* Every claim of the publisher is in the ID token and matches (fnmatch(), so "*" globs). */
bool trusted_claims_match(const char *claims_json, const Jwt *j);
/* Where a publish came from: the issuer, repository, workflow, ref, sha, run_id and
 * environment claims (by the names GitHub, GitLab and Forgejo give them) as a JSON object of
 * strings, the audit's provenance field; and as "repository=acme/app workflow=... ref=...
 * sha=... run_id=..." (no issuer; values with spaces left out), the reason's text. */
int trusted_provenance(const Jwt *j, char **ret_text, char **ret_json);

/* What the daemon holds for trusted publishing (the manager owns it, like Lockout). */
typedef struct TrustedPublishing {
        Store *store;
        Issuers issuers;
        usec_t skew;                  /* allowed clock difference to an issuer */
        usec_t lifetime;              /* of the minted tokens */
} TrustedPublishing;

/* What ListIssuers shows of an issuer's keys file: its keys' ids, and when it was written
 * (0 and error set when it cannot be read or holds no usable key). */
typedef struct IssuerKeysState {
        char **kids;                  /* "" for a key without kid */
        size_t n_keys;
        usec_t mtime;
        int error;                    /* negative errno of reading or parsing; 0 ok */
} IssuerKeysState;
void issuer_keys_state_done(IssuerKeysState *s);
int issuer_keys_state(const Issuer *i, IssuerKeysState *ret);

typedef struct TrustedAdd {
        const char *package;          /* canonical */
        const char *issuer;
        const char *actor;
} TrustedAdd;
/* claim_pairs: name, value, ... (trusted_claims_to_json()).  ERR_INVALID_ARGUMENT
 * (*ret_message), ERR_NO_SUCH_PACKAGE. */
int trusted_publisher_add(const TrustedPublishing *tp, const TrustedAdd *q, char * const *claim_pairs, usec_t now,
                          char **ret_id, const char **ret_message);
/* ERR_NO_SUCH_TOKEN is not it: -ENOENT for an unknown id. */
int trusted_publisher_remove(Store *s, const char *id, const char *actor, usec_t now);
/* The package of a trusted publisher: -ENOENT for an unknown id. */
int trusted_publisher_package(Store *s, const char *id, char **ret);

/* Managing a package's trusted publishers through a registry is governance: a maintainer of
 * the package, whose account has two-factor authentication on and who gives a current code
 * (otp, or otp_verified: a password proof checked it); with need_otp false (listing) a
 * maintainer.  ERR_NO_SUCH_PACKAGE, ERR_NOT_MAINTAINER, ERR_FORBIDDEN (*ret_message), and the
 * errors of second_factor_require_now(). */
typedef struct TrustedGovernor {
        const char *account;
        const char *actor;            /* as the audit names it */
        const char *otp;
        bool otp_verified;
} TrustedGovernor;
int trusted_check_governor(const Lockout *l, const TrustedGovernor *g, const char *package, bool need_otp, usec_t now,
                           const char **ret_message);

typedef struct TrustedExchange {
        const char *id_token;
        const char *package;          /* canonical */
        const char *remote;
} TrustedExchange;

typedef struct TrustedAnswer {
        ReasonCode code;              /* REASON_OK when a token was minted */
        const char *message;          /* static, for people */
        char *token_id;
        char secret[TOKEN_LEN + 1];   /* the token, once */
        usec_t expires_at;
        char *provenance;             /* trusted_provenance()'s text */
        char *provenance_json;        /* and its JSON, for the audit */
} TrustedAnswer;
void trusted_answer_done(TrustedAnswer *a);

/* Verifies, checks the publisher and the jti, mints and audits, all in one transaction.
 * Refusals are answers (ret->code), audited too; a negative errno is a failure. */
int trusted_exchange(const TrustedPublishing *tp, const TrustedExchange *q, usec_t now, TrustedAnswer *ret);
