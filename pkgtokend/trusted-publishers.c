/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fnmatch.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "audit.h"
#include "erase.h"
#include "errors.h"
#include "log.h"
#include "second-factor.h"
#include "strv.h"
#include "tokens.h"
#include "trusted-publishers.h"
#include "utf8.h"

/* ---- claims ---- */

static bool claim_name_is_valid(const char *n) {
        static const char *const reserved[] = { "iss", "aud", "exp", "nbf", "iat", "jti" };
        size_t len = strlen(n);

        if (len == 0 || len > TRUSTED_CLAIM_NAME_MAX)
                return false;
        for (const char *c = n; *c; c++)
                if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                      *c == '_' || *c == '-' || *c == '.'))
                        return false;
        /* The issuer and the times are checked by the verification itself. */
        for (size_t i = 0; i < ELEMENTSOF(reserved); i++)
                if (streq(n, reserved[i]))
                        return false;
        return true;
}

static bool claim_value_is_valid(const char *v) {
        size_t len = strlen(v);
        return len > 0 && len <= TRUSTED_CLAIM_VALUE_MAX && utf8_is_printable(v, len, true);
}

int trusted_claims_to_json(char * const *pairs, char **ret_json, const char **ret_error) {
        struct json_object *o = json_object_new_object();
        size_t n = strv_length((char **) pairs);
        int r = 0;

        if (!o)
                return -ENOMEM;
        if (n == 0 || n % 2 != 0 || n / 2 > TRUSTED_CLAIMS_MAX) {
                *ret_error = "A trusted publisher needs 1 to 16 claims.";
                r = -ERR_INVALID_ARGUMENT;
        }
        for (size_t i = 0; r >= 0 && i < n; i += 2) {
                if (!claim_name_is_valid(pairs[i]) || !claim_value_is_valid(pairs[i + 1])) {
                        *ret_error = "Invalid claim: a name of letters, digits, '_', '-', '.' (not iss, aud, exp, "
                                     "nbf, iat, jti) and a printable value of at most 512 bytes.";
                        r = -ERR_INVALID_ARGUMENT;
                } else if (json_object_object_get_ex(o, pairs[i], NULL)) {
                        *ret_error = "A claim is named twice.";
                        r = -ERR_INVALID_ARGUMENT;
                } else
                        r = json_object_object_add(o, pairs[i], json_object_new_string(pairs[i + 1])) < 0 ? -ENOMEM : 0;
        }
        if (r >= 0) {
                *ret_json = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
                r = *ret_json ? 0 : -ENOMEM;
        }
        json_object_put(o);
        return r;
}

bool trusted_claims_match(const char *claims_json, const Jwt *j) {
        struct json_object *o = json_tokener_parse(claims_json);
        bool ok = o && json_object_is_type(o, json_type_object) && json_object_object_length(o) > 0;

        /* A stored publisher that does not parse matches nothing. */
        if (ok) {
                json_object_object_foreach(o, name, want) {
                        char buf[32];
                        const char *have = jwt_claim(j, name, buf);
                        if (!json_object_is_type(want, json_type_string) || !have ||
                            fnmatch(json_object_get_string(want), have, 0) != 0) {
                                ok = false;
                                break;
                        }
                }
        }
        json_object_put(o);
        return ok;
}

/* The claims that say where a publish came from, by the names GitHub Actions, GitLab CI and
 * Forgejo Actions give them; the first present one of each row counts. */
static const struct {
        const char *label;
        const char *claims[3];
} provenance_claims[] = {
        { "repository",  { "repository", "project_path" } },
        { "workflow",    { "job_workflow_ref", "workflow_ref", "ci_config_ref_uri" } },
        { "ref",         { "ref" } },
        { "sha",         { "sha" } },
        { "run_id",      { "run_id", "pipeline_id" } },
        { "environment", { "environment" } },
};

static const char *provenance_value(const Jwt *j, size_t row, char buf[static 32]) {
        for (size_t k = 0; k < ELEMENTSOF(provenance_claims[row].claims) && provenance_claims[row].claims[k]; k++) {
                const char *v = jwt_claim(j, provenance_claims[row].claims[k], buf);
                if (v && claim_value_is_valid(v))
                        return v;
        }
        return NULL;
}

/* The words of the text form: a value with a space would make "label=value ..." ambiguous. */
static int provenance_append_text(char **s, const char *label, const char *value) {
        char *t = NULL;

        if (strchr(value, ' '))
                return 0;
        if (asprintf(&t, "%s%s%s=%s", *s, **s ? " " : "", label, value) < 0)
                return -ENOMEM;
        free(*s);
        *s = t;
        return 0;
}

int trusted_provenance(const Jwt *j, char **ret_text, char **ret_json) {
        _cleanup_free_ char *text = strdup(""), *json = NULL;
        struct json_object *o = json_object_new_object();
        char buf[32];
        const char *iss = jwt_claim(j, "iss", buf);
        int r = text && o ? 0 : -ENOMEM;

        if (r >= 0 && iss && claim_value_is_valid(iss))
                r = json_object_object_add(o, "issuer", json_object_new_string(iss)) < 0 ? -ENOMEM : 0;
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(provenance_claims); i++) {
                const char *v = provenance_value(j, i, buf);
                if (!v)
                        continue;
                r = provenance_append_text(&text, provenance_claims[i].label, v);
                if (r >= 0 && json_object_object_add(o, provenance_claims[i].label, json_object_new_string(v)) < 0)
                        r = -ENOMEM;
        }
        if (r >= 0) {
                json = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
                r = json ? 0 : -ENOMEM;
        }
        json_object_put(o);
        if (r < 0)
                return r;
        *ret_text = text;
        *ret_json = json;
        text = json = NULL;
        return 0;
}

/* ---- issuers ---- */

void issuer_keys_state_done(IssuerKeysState *s) {
        strv_free(s->kids);
        *s = (IssuerKeysState) {};
}

int issuer_keys_state(const Issuer *i, IssuerKeysState *ret) {
        _cleanup_(jwt_key_set_done) JwtKeySet keys = {};
        IssuerKeysState s = {};
        struct stat st;
        int r;

        if (stat(i->keys_file, &st) < 0)
                s.error = -errno;
        else
                s.mtime = (usec_t) st.st_mtim.tv_sec * USEC_PER_SEC + (usec_t) st.st_mtim.tv_nsec / 1000;
        r = s.error < 0 ? s.error : jwt_key_set_load(i->keys_file, &keys);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                s.error = r;
        for (size_t k = 0; k < keys.n; k++)
                if (strv_extend(&s.kids, keys.keys[k].kid) < 0) {
                        issuer_keys_state_done(&s);
                        return -ENOMEM;
                }
        s.n_keys = keys.n;
        *ret = s;
        return 0;
}

/* ---- managing publishers ---- */

static int new_publisher_id(char ret[static TOKEN_ID_LEN + 1]) {
        int r = token_id_generate(ret);
        if (r < 0)
                return r;
        /* "tk_..." becomes "tp_...": the same alphabet, a different kind of id. */
        ret[1] = 'p';
        return 0;
}

int trusted_publisher_add(const TrustedPublishing *tp, const TrustedAdd *q, char * const *claim_pairs, usec_t now,
                          char **ret_id, const char **ret_message) {
        _cleanup_free_ char *claims = NULL, *reason = NULL;
        _cleanup_transaction_ Transaction tx = {};
        char id[TOKEN_ID_LEN + 1];
        int r;

        if (!issuers_find(&tp->issuers, q->issuer)) {
                *ret_message = "No such issuer is configured (IssuersDirectory=).";
                return -ERR_INVALID_ARGUMENT;
        }
        r = trusted_claims_to_json(claim_pairs, &claims, ret_message);
        if (r < 0)
                return r;
        r = new_publisher_id(id);
        if (r < 0)
                return r;
        if (asprintf(&reason, "%s %s %s", id, q->issuer, claims) < 0)
                return -ENOMEM;
        r = store_begin(tp->store, &tx);
        if (r < 0)
                return r;
        r = store_trusted_insert(tp->store, &(TrustedPublisherRecord) {
                .id = id,
                .package = (char *) q->package,
                .issuer = (char *) q->issuer,
                .claims = claims,
                .created_by = (char *) q->actor,
                .created_at = now,
        });
        if (r < 0)
                return not_found_as(r, -ERR_NO_SUCH_PACKAGE);
        r = audit_record(tp->store, now, AUDIT_TRUSTED_ADD, q->package, AUDIT_RESULT_OK, q->actor, NULL, NULL, reason);
        if (r >= 0)
                r = store_commit(&tx);
        if (r < 0)
                return r;
        *ret_id = strdup(id);
        return *ret_id ? 0 : -ENOMEM;
}

typedef struct FindPublisher {
        const char *id;
        char *package;
} FindPublisher;

static int find_publisher(const TrustedPublisherRecord *t, void *userdata) {
        FindPublisher *f = userdata;

        if (!streq(t->id, f->id))
                return 0;
        f->package = strdup(t->package);
        return f->package ? 1 : -ENOMEM;
}

int trusted_publisher_package(Store *s, const char *id, char **ret) {
        FindPublisher f = { .id = id };
        int r = store_trusted_foreach(s, NULL, find_publisher, &f);

        if (r >= 0 && !f.package)
                r = -ENOENT;
        if (r < 0)
                return r;
        *ret = f.package;
        return 0;
}

int trusted_publisher_remove(Store *s, const char *id, const char *actor, usec_t now) {
        _cleanup_transaction_ Transaction tx = {};
        FindPublisher f = { .id = id };
        int r;

        r = store_begin(s, &tx);
        if (r >= 0)
                r = trusted_publisher_package(s, id, &f.package);
        if (r >= 0)
                r = store_trusted_delete(s, id);
        if (r >= 0)
                r = audit_record(s, now, AUDIT_TRUSTED_REMOVE, f.package, AUDIT_RESULT_OK, actor, NULL, NULL, id);
        if (r >= 0)
                r = store_commit(&tx);
        free(f.package);
        return r < 0 ? r : 0;
}

int trusted_check_governor(const Lockout *l, const TrustedGovernor *g, const char *package, bool need_otp, usec_t now,
                           const char **ret_message) {
        _cleanup_(account_record_done) AccountRecord a = {};
        _cleanup_(package_record_done) PackageRecord p = {};
        int r;

        r = store_account_get(l->store, g->account, &a);
        if (r < 0)
                return not_found_as(r, -ERR_BAD_CREDENTIALS);
        r = store_package_lookup(l->store, package, &p);
        if (r < 0)
                return not_found_as(r, -ERR_NO_SUCH_PACKAGE);
        r = store_maintainer_check(l->store, p.id, a.id);
        if (r <= 0)
                return r < 0 ? r : -ERR_NOT_MAINTAINER;
        if (!need_otp)
                return 0;
        /* Whoever adds a publisher lets CI publish without anyone's code again: only a person
         * who proves presence now may. */
        if (a.twofa == TWOFA_DISABLED) {
                *ret_message = "Managing trusted publishers needs two-factor authentication on the account.";
                return -ERR_FORBIDDEN;
        }
        if (g->otp_verified)
                return 0;
        return second_factor_require_now(l, g->account, g->otp, /* allow_recovery= */ false, now, ret_message);
}

/* ---- the exchange ---- */

void trusted_answer_done(TrustedAnswer *a) {
        free(a->token_id);
        free(a->provenance);
        free(a->provenance_json);
        erase_memory(a->secret, sizeof a->secret);
        *a = (TrustedAnswer) {};
}

static ReasonCode code_of(JwtResult r) {
        switch (r) {
        case JWT_OK:
                return REASON_OK;
        case JWT_WRONG_ISSUER:
                return REASON_UNKNOWN_ISSUER;
        case JWT_WRONG_AUDIENCE:
                return REASON_WRONG_AUDIENCE;
        case JWT_EXPIRED:
        case JWT_NOT_YET_VALID:
        case JWT_TOO_LONG_LIVED:
                return REASON_EXPIRED;
        case JWT_MISSING_CLAIM:
                return REASON_CLAIM_MISMATCH;
        default:
                return REASON_BAD_SIGNATURE;
        }
}

static int refuse(TrustedAnswer *ret, ReasonCode code, const char *message) {
        ret->code = code;
        ret->message = message;
        return 0;
}

typedef struct PublisherMatch {
        const char *issuer;
        const Jwt *jwt;
        bool issuer_known;       /* the package trusts some publisher of this issuer */
        char *matched;           /* the id of the first publisher whose claims match */
} PublisherMatch;

static int match_publisher(const TrustedPublisherRecord *t, void *userdata) {
        PublisherMatch *m = userdata;

        if (!streq(t->issuer, m->issuer))
                return 0;
        m->issuer_known = true;
        if (!trusted_claims_match(t->claims, m->jwt))
                return 0;
        m->matched = strdup(t->id);
        return m->matched ? 1 : -ENOMEM;
}

/* The signature and the standard claims; 1 when the token verifies, 0 when ret says why not. */
static int verify_id_token(const TrustedPublishing *tp, const Jwt *j, const Issuer **ret_issuer, usec_t now,
                           TrustedAnswer *ret) {
        _cleanup_(jwt_key_set_done) JwtKeySet keys = {};
        const Issuer *issuer;
        char buf[32];
        JwtResult v;
        int r;

        issuer = issuers_find(&tp->issuers, jwt_claim(j, "iss", buf));
        if (!issuer)
                return refuse(ret, REASON_UNKNOWN_ISSUER, "the ID token's issuer is not trusted here");
        r = jwt_key_set_load(issuer->keys_file, &keys);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                log_error("issuer %s: cannot load its keys from %s: %s", issuer->name, issuer->keys_file, strerror(-r));
                return refuse(ret, REASON_UNAVAILABLE, "the issuer's keys cannot be read");
        }
        v = jwt_verify(j, &keys, &(JwtPolicy) {
                .issuer = issuer->url,
                .audience = issuer->audience,
                .algorithms = issuer->algorithms,
                .skew = tp->skew,
                .max_lifetime = TRUSTED_ID_TOKEN_LIFETIME_MAX,
        }, now);
        if (v != JWT_OK)
                return refuse(ret, code_of(v), jwt_result_to_string(v));
        *ret_issuer = issuer;
        return 1;
}

static char *describe_token(const Jwt *j, const char *publisher) {
        char buf[32], *s = NULL;
        const char *repo = provenance_value(j, 0, buf);

        if (asprintf(&s, "trusted publishing: %s", repo && strlen(repo) <= 200 ? repo : publisher) < 0)
                return NULL;
        return s;
}

/* In tx: spends the jti, mints the token.  0, or a refusal in ret. */
static int mint(const TrustedPublishing *tp, const TrustedExchange *q, const Jwt *j, const Issuer *issuer, const char *publisher, usec_t now,
                TrustedAnswer *ret) {
        _cleanup_free_ char *description = describe_token(j, publisher), *created_by = NULL;
        TokenRecord t;
        char buf[32];
        int r;

        if (!description || asprintf(&created_by, "trusted publisher %s", publisher) < 0)
                return -ENOMEM;
        r = store_jti_use(tp->store, issuer->url, jwt_claim(j, "jti", buf), jwt_expires_at(j) + tp->skew);
        if (r == -EEXIST)
                return refuse(ret, REASON_REPLAYED_JTI, "this ID token was exchanged already");
        if (r < 0)
                return r;
        t = (TokenRecord) {
                .type = TOKEN_TRUSTED_PUBLISHING,
                .owner = TOKEN_OWNER_PACKAGE,
                /* the one package, by its exact name, as package tokens are scoped */
                .scope = (char *[]) { (char *) q->package, NULL },
                .description = description,
                .created_by = created_by,
                .created_at = now,
                .expires_at = now + tp->lifetime,
        };
        r = token_mint(tp->store, &t, ret->secret);
        if (r < 0)
                return r;
        ret->token_id = t.id;
        ret->expires_at = t.expires_at;
        return refuse(ret, REASON_OK, "allowed");
}

static int audit_exchange(const TrustedPublishing *tp, const TrustedExchange *q, const TrustedAnswer *a, usec_t now) {
        _cleanup_free_ char *reason = NULL;

        if (asprintf(&reason, "%s%s%s", reason_code_to_string(a->code), isempty(a->provenance) ? "" : ": ",
                     a->provenance ?: "") < 0)
                return -ENOMEM;
        return store_audit_append(tp->store, &(AuditEvent) {
                .time = now,
                .action = AUDIT_TOKEN_EXCHANGE,
                .package = q->package,
                .result = a->code == REASON_OK ? AUDIT_RESULT_OK : authz_result_to_string(AUTHZ_FORBIDDEN),
                .actor = "trusted publishing",
                .token_id = a->token_id ?: "",
                .remote = q->remote ?: "",
                .reason = reason,
                .version = "",
                .provenance = a->provenance_json ?: "",
        });
}

static int exchange_in(const TrustedPublishing *tp, const TrustedExchange *q, const Jwt *j, Transaction *tx, usec_t now, TrustedAnswer *ret) {
        _cleanup_(package_record_done) PackageRecord p = {};
        PublisherMatch m = { .jwt = j };
        const Issuer *issuer = NULL;
        int r;

        r = verify_id_token(tp, j, &issuer, now, ret);
        if (r <= 0)
                return r;
        r = trusted_provenance(j, &ret->provenance, &ret->provenance_json);
        if (r < 0)
                return r;
        r = store_package_lookup(tp->store, q->package, &p);
        if (r == -ENOENT)
                return refuse(ret, REASON_NO_SUCH_PACKAGE, "no such package");
        if (r < 0)
                return r;
        m.issuer = issuer->url;
        r = store_trusted_foreach(tp->store, q->package, match_publisher, &m);
        if (r < 0)
                return r;
        if (!m.matched)
                return refuse(ret, m.issuer_known ? REASON_CLAIM_MISMATCH : REASON_NO_TRUSTED_PUBLISHER,
                              m.issuer_known ? "no trusted publisher of the package matches the ID token's claims"
                                             : "the package trusts no publisher of this issuer");
        r = store_begin(tp->store, tx);
        if (r >= 0)
                r = mint(tp, q, j, issuer, m.matched, now, ret);
        free(m.matched);
        return r;
}

int trusted_exchange(const TrustedPublishing *tp, const TrustedExchange *q, usec_t now, TrustedAnswer *ret) {
        _cleanup_transaction_ Transaction tx = {};
        _cleanup_(jwt_done) Jwt j = {};
        int r;

        *ret = (TrustedAnswer) {};
        r = jwt_parse(q->id_token, &j);
        if (r < 0)
                return r;
        if (r != JWT_OK)
                r = refuse(ret, REASON_BAD_SIGNATURE, jwt_result_to_string(r));
        else
                r = exchange_in(tp, q, &j, &tx, now, ret);
        if (r < 0)
                return r;
        /* A refused exchange changes nothing but the audit: the jti is spent only by a minted
         * token, so a refusal for a wrong package does not burn a good ID token. */
        if (ret->code != REASON_OK)
                store_rollback(&tx);
        r = audit_exchange(tp, q, ret, now);
        if (r >= 0 && tx.open)
                r = store_commit(&tx);
        if (r < 0) {
                trusted_answer_done(ret);
                return r;
        }
        return 0;
}
