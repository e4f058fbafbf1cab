/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The token store, on one of two backends (docs/ARCHITECTURE.md): the embedded SQLite
 * database (the default: one connection, prepared statements kept for the life of the
 * process, WAL with synchronous=FULL so that every committed write is on disk before the
 * caller is answered), or a PostgreSQL database shared by several hosts, where every rule
 * that must hold across hosts is one statement the database decides (store-postgresql.c).
 * Nothing outside store*.c knows which one runs.  Functions return 0 (or a positive count)
 * on success and a negative errno on failure:
 *   -ENOENT  no such row          -EEXIST  unique constraint (name taken)
 *   -EIO     the database failed or cannot be reached (logged with its message)
 *   -EUCLEAN the database is corrupt (see store_is_corrupt())
 * Records returned through ret parameters are owned by the caller; free with *_record_done(). */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"
#include "time-util.h"
#include "model.h"
#include "token.h"

#define STORE_DB_FILENAME "tokens.db"
#define STORE_SCHEMA_VERSION 10

typedef struct Store Store;

/* Opens (or creates, when the file does not exist) DIR/tokens.db, refuses a database that
 * fails its integrity check or that a newer schema wrote, and runs migrations.  On failure a
 * clear message has been logged to stderr and the file is untouched.  store_open_with_options()
 * below opens either backend. */
int store_open(const char *state_dir, Store **ret);
Store *store_free(Store *s);
static inline void store_freep(Store **s) {
        store_free(*s);
}
const char *store_path(const Store *s);

/* Write transactions: BEGIN IMMEDIATE ... COMMIT.  A Transaction left open by an early
 * return is rolled back by its cleanup handler. */
typedef struct Transaction {
        Store *store;
        bool open;
        bool relaxed;
} Transaction;
/* Below the free-space floor (StoreOptions.min_free_space, on the state directory's file
 * system), store_begin() fails with -ENOSPC, so that changes stop cleanly before SQLite
 * meets a full disk; reads (which need no transaction) keep working. */
int store_begin(Store *s, Transaction *ret);
/* Like store_begin(), but the commit is not fsync'd (WAL with synchronous=NORMAL): it still
 * survives a crash or kill -9 of the daemon, only an OS crash or power loss may lose it.  For
 * bookkeeping that runs on every login (failure counters, login audit), so that logins do not
 * stall token checks on the disk. */
int store_begin_relaxed(Store *s, Transaction *ret);
int store_commit(Transaction *t);
void store_rollback(Transaction *t);
static inline void transaction_rollbackp(Transaction *t) {
        store_rollback(t);
}
#define _cleanup_transaction_ _cleanup_(transaction_rollbackp)

/* ---- accounts ---- */
typedef struct AccountRecord {
        int64_t id;
        char *name;
        char *email;
        AccountKind kind;
        bool locked;
        usec_t created_at;
        TwoFactorMode twofa;      /* the active mode; DISABLED unless TOTP is confirmed */
        bool twofa_pending;       /* an enrolment waits for its confirming code */
        bool has_password;
        usec_t hold_until;        /* recovery hold: reads only until then; 0 none */
        char *password_source;    /* "" the password hash; "pam:SERVICE" a PAM service's */
} AccountRecord;
void account_record_done(AccountRecord *a);

int store_account_insert(Store *s, const char *name, const char *email, AccountKind kind, usec_t now);
int store_account_get(Store *s, const char *name, AccountRecord *ret);
int store_account_set_locked(Store *s, const char *name, bool locked);
int store_account_set_hold(Store *s, const char *name, usec_t until);
int store_account_set_email(Store *s, const char *name, const char *email);
/* "" or "pam:SERVICE"; a PAM source also forgets the local password hash.  -ENOENT. */
int store_account_set_password_source(Store *s, const char *name, const char *source);
int store_account_delete(Store *s, const char *name);
typedef int (*AccountCallback)(const AccountRecord *a, void *userdata);
int store_account_foreach(Store *s, AccountCallback cb, void *userdata);
/* The Unix uid an account is linked to (store-uids.c): -1 for none.  Setting a uid linked to
 * another account already is -EEXIST. */
int store_account_set_uid(Store *s, const char *name, int64_t uid);
int store_account_get_uid(Store *s, const char *name, int64_t *ret);
int store_account_by_uid(Store *s, uid_t uid, char **ret_name);   /* -ENOENT: none */

/* What proves an account's identity.  Loaded only where it is checked or changed, kept out
 * of AccountRecord so that listing accounts never touches it; wiped by the _done(). */
#define TOTP_SECRET_STORED_MAX 64
typedef struct AccountSecrets {
        /* Seeds are stored sealed (seal.h); they are opened here.  When the seal key is
         * missing or wrong, the password hash is still returned, the seeds are not and this
         * says so: a 2FA check must then fail with -EKEYEXPIRED, never take "no seed" for
         * "2FA off". */
        bool seeds_unavailable;
        int64_t id;
        char *password_hash;                       /* "" when none */
        uint8_t totp_secret[TOTP_SECRET_STORED_MAX];
        size_t totp_secret_size;                   /* 0 when 2FA is off */
        uint8_t totp_pending[TOTP_SECRET_STORED_MAX];
        size_t totp_pending_size;                  /* 0 when no enrolment waits */
        uint64_t totp_last_counter;                /* the last TOTP counter accepted; 0 none */
} AccountSecrets;
void account_secrets_done(AccountSecrets *a);
int store_account_get_secrets(Store *s, const char *name, AccountSecrets *ret);
int store_account_set_password(Store *s, int64_t id, const char *hash);
/* Seals secret with the store's seal key: -EKEYEXPIRED without one. */
int store_account_set_totp_pending(Store *s, int64_t id, const uint8_t *secret, size_t n);
/* Pending secret becomes the active one, with the counter of the confirming code. */
int store_account_activate_totp(Store *s, int64_t id, TwoFactorMode mode, uint64_t counter);
/* TWOFA_DISABLED also forgets the secret, a pending one, the counter and recovery codes. */
int store_account_set_twofa_mode(Store *s, int64_t id, TwoFactorMode mode);
/* Moves the counter forward only: 1 moved, 0 when counter was not newer (a replay). */
int store_account_advance_totp_counter(Store *s, int64_t id, uint64_t counter);

#define RECOVERY_HASH_SIZE 32
int store_recovery_codes_replace(Store *s, int64_t id, const uint8_t (*hashes)[RECOVERY_HASH_SIZE], size_t n);
int store_recovery_code_consume(Store *s, int64_t id, const uint8_t hash[static RECOVERY_HASH_SIZE]); /* 1 used, 0 unknown */
int store_recovery_codes_count(Store *s, int64_t id);

/* Failed passwords and OTPs by account name, known or not, so that lockouts cannot tell
 * which accounts exist, and survive restarts; per name and remote address (as the rate
 * limiter writes it, ratelimit_format_address()), and per name from all addresses under the
 * address FAILURES_ALL_ADDRESSES. */
#define FAILURES_ALL_ADDRESSES "*"
typedef struct FailureRecord {
        unsigned count;          /* failures since window_start */
        usec_t window_start;
        usec_t locked_until;     /* 0 = not locked out */
} FailureRecord;
int store_failures_get(Store *s, const char *name, const char *address, FailureRecord *ret);   /* zeros when none */
int store_failures_put(Store *s, const char *name, const char *address, const FailureRecord *f);
/* address NULL: every record of the name. */
int store_failures_clear(Store *s, const char *name, const char *address);
/* Forgets records whose window and lockout both ended before `before`. */
int store_failures_prune(Store *s, usec_t before);

/* TOTP seeds at rest (seal.h): the key the store seals and opens them with (copied; NULL:
 * none, and then sealed seeds are unavailable and new ones refused with -EKEYEXPIRED). */
typedef struct SealKey SealKey;
int store_set_seal_key(Store *s, const SealKey *key);
/* How many accounts hold a sealed seed (active or pending). */
int store_count_sealed_seeds(Store *s, uint64_t *ret);
/* Opens one sealed seed with key: 0 when it opens or there is none, -EBADMSG when not. */
int store_probe_seal_key(Store *s, const SealKey *key);
/* Seals the seeds stored in clear (before sealing existed), all in one transaction, with
 * the store's key; returns how many. */
int store_seal_plain_seeds(Store *s);

/* ---- packages and maintainers ---- */
typedef struct PackageRecord {
        int64_t id;
        char *name;
        PackagePolicy policy;
        usec_t created_at;
        char **maintainers;    /* account names, sorted */
        bool requires_approval; /* versions come through approved stages only */
        usec_t max_token_lifetime;  /* tokens that can publish it live at most this long; 0 none */
        bool trusted_publishing_only; /* publishes only with trusted-publishing tokens */
} PackageRecord;
void package_record_done(PackageRecord *p);

int store_package_insert(Store *s, const char *name, PackagePolicy policy, usec_t now, int64_t *ret_id);
/* Without maintainers (the hot path needs only id and policy): */
int store_package_lookup(Store *s, const char *name, PackageRecord *ret);
int store_package_get(Store *s, const char *name, PackageRecord *ret);
int store_package_set_policy(Store *s, const char *name, PackagePolicy policy);
int store_package_set_requires_approval(Store *s, const char *name, bool on);
int store_package_set_max_token_lifetime(Store *s, const char *name, usec_t lifetime);
typedef int (*PackageCallback)(const PackageRecord *p, void *userdata);
int store_package_foreach(Store *s, PackageCallback cb, void *userdata);

int store_maintainer_add(Store *s, int64_t package_id, int64_t account_id, usec_t now);
int store_maintainer_remove(Store *s, int64_t package_id, int64_t account_id);
int store_maintainer_check(Store *s, int64_t package_id, int64_t account_id);  /* 1, 0 or -errno */
int store_maintainer_count(Store *s, int64_t package_id);

/* ---- tokens ---- */
typedef struct TokenRecord {
        int64_t rowid;
        char *id;                 /* public id */
        char *prefix;             /* display prefix */
        TokenType type;
        TokenOwner owner;
        int64_t account_id;       /* account tokens; 0 for package tokens */
        char *account;            /* owning account name; "" for package tokens */
        bool account_locked;
        TwoFactorMode account_2fa;
        char **scope;
        char *description;
        char *created_by;
        usec_t created_at;
        usec_t expires_at;
        usec_t last_used_at;
        char *last_used_from;
        char **cidrs;
        usec_t revoked_at;
        char *lineage;            /* the id of the first token of its rotations (itself when never rotated) */
        usec_t rotated_until;     /* rotated out: the secret works until then, its use after revokes the lineage; 0 no */
        usec_t expiry_warned_at;  /* TokenExpiring sent; 0 not yet */
        usec_t account_hold_until; /* account tokens: the account's recovery hold; 0 none */
        uint8_t hash[TOKEN_HASH_SIZE]; /* found by store_token_get_by_hash(): its hash; else zeros */
        /* A copy from the store's memory (store-token-cache.c): every string and list above in
         * this one allocation, freed with it; such a record's fields are read, never replaced. */
        void *block;
        size_t block_size;
} TokenRecord;
void token_record_done(TokenRecord *t);

int store_token_insert(Store *s, const TokenRecord *t, const uint8_t hash[static TOKEN_HASH_SIZE]);
int store_token_get_by_hash(Store *s, const uint8_t hash[static TOKEN_HASH_SIZE], TokenRecord *ret);
int store_token_get(Store *s, const char *id, TokenRecord *ret);
int store_token_revoke(Store *s, const char *id, usec_t now);      /* 1 revoked now, 0 already */
/* A use of the token found by store_token_get_by_hash() (its rowid and hash). */
int store_token_touch(Store *s, int64_t rowid, const uint8_t hash[static TOKEN_HASH_SIZE], usec_t now,
                      const char *remote);
typedef int (*TokenCallback)(const TokenRecord *t, void *userdata);
/* account: that account's tokens; package: the package tokens scoped to it; both NULL: all. */
int store_token_foreach(Store *s, const char *account, const char *package, TokenCallback cb, void *userdata);
/* Alive tokens expiring in (from, to] not yet warned about, soonest first, at most limit. */
int store_token_foreach_expiring(Store *s, usec_t from, usec_t to, unsigned limit, TokenCallback cb, void *userdata);
int store_token_mark_warned(Store *s, const char *id, usec_t now);
/* Rotation: the old secret works until `until`; 1 done, 0 (revoked or rotated already). */
int store_token_set_rotated(Store *s, const char *id, usec_t until);
/* The unrevoked tokens of a lineage (the first token's id). */
int store_token_foreach_in_lineage(Store *s, const char *lineage, TokenCallback cb, void *userdata);

/* ---- audit ---- */
typedef struct AuditEvent {
        usec_t time;
        const char *action;
        const char *package;
        const char *result;
        const char *actor;
        const char *token_id;
        const char *remote;
        const char *reason;
        uint64_t count;           /* how many times (repeated refusals share a record); 0 is 1 */
        const char *version;      /* the version a write named; "" none */
        /* Trusted publishing's claims (a JSON object of strings; "" none).  An exchange gives
         * them; every later record about the token it minted (its publishes) inherits them
         * from the exchange's record, in the INSERT itself, so no write path has to. */
        const char *provenance;
} AuditEvent;
int store_audit_append(Store *s, const AuditEvent *e);
/* Counts e once more in the newest record of the same action, result, reason and actor from
 * the same remote address, without a token, written since window_start: 1 when there was
 * one, 0 when there was none (append e then). */
int store_audit_count_repeat(Store *s, const AuditEvent *e, usec_t window_start);
/* Deletes at most batch records older than before; returns how many. */
int store_audit_prune(Store *s, usec_t before, unsigned batch);
typedef int (*AuditCallback)(const AuditEvent *e, void *userdata);
int store_audit_foreach(Store *s, const char *package, usec_t since, unsigned limit, AuditCallback cb, void *userdata);

/* ---- pending writes (Verify's two-phase publish) ---- */
typedef struct PendingPublish {
        char *id;                 /* "pb_..." */
        usec_t created_at;
        Action action;
        char *package;
        char *version;
        char *token_id;
        int64_t account_id;       /* the first maintainer of a new package; 0 none */
        char *actor;
        char *remote;
        bool new_package;
        char *integrity;          /* a stage's tarball integrity; "" otherwise */
} PendingPublish;
void pending_publish_done(PendingPublish *p);
int store_pending_insert(Store *s, const PendingPublish *p);
/* Removes and returns it: -ENOENT when there is none (or its account is gone). */
int store_pending_take(Store *s, const char *id, PendingPublish *ret);
int store_pending_prune(Store *s, usec_t before);

/* ---- trusted publishing (store-trusted.c) ---- */
typedef struct TrustedPublisherRecord {
        char *id;                 /* "tp_..." */
        char *package;
        char *issuer;
        char *claims;             /* a JSON object: claim name -> exact value or glob */
        char *created_by;
        usec_t created_at;
} TrustedPublisherRecord;
void trusted_publisher_record_done(TrustedPublisherRecord *t);
/* -ENOENT when the package does not exist. */
int store_trusted_insert(Store *s, const TrustedPublisherRecord *t);
/* 1 removed, 0 none such. */
int store_trusted_delete(Store *s, const char *id);
typedef int (*TrustedPublisherCallback)(const TrustedPublisherRecord *t, void *userdata);
/* package NULL or "": all. */
int store_trusted_foreach(Store *s, const char *package, TrustedPublisherCallback cb, void *userdata);
/* Remembers an ID token's jti until expires_at: -EEXIST when it was used already. */
int store_jti_use(Store *s, const char *issuer, const char *jti, usec_t expires_at);
int store_jti_prune(Store *s, usec_t before);
/* A package that takes publishes through trusted publishing only: 1, 0, -ENOENT. */
int store_package_set_trusted_only(Store *s, const char *package, bool on);
/* ---- staged versions (stages.h) ---- */
typedef struct StageRecord {
        char *id;                 /* a UUID */
        char *package;
        char *version;
        char *integrity;          /* "sha512-..." of the staged tarball */
        char *staged_by;          /* the actor: alice (Token "ci"), Token "x" */
        char *token_id;
        char *remote;
        usec_t staged_at;
        usec_t expires_at;
        StageState state;         /* as stored: stage_state_effective() says whether it expired since */
        char *decided_by;         /* "" until approved or rejected */
        usec_t decided_at;
        char *reason;
} StageRecord;
void stage_record_done(StageRecord *r);
int store_stage_insert(Store *s, const StageRecord *r);
int store_stage_get(Store *s, const char *id, StageRecord *ret);
/* Moves the stage from state `from` to `to`: 1 when it moved, 0 when it was not in `from`. */
int store_stage_set_state(Store *s, const char *id, StageState from, StageState to, const char *decided_by,
                          usec_t decided_at, const char *reason);
typedef int (*StageCallback)(const StageRecord *r, void *userdata);
/* package "" or NULL: all, oldest first.  cb must not change stages. */
int store_stage_foreach(Store *s, const char *package, StageCallback cb, void *userdata);
/* The stage still stored as staged whose expiry passed longest ago: -ENOENT when none. */
int store_stage_next_expired(Store *s, usec_t now, StageRecord *ret);

/* ---- status ---- */
typedef struct StoreCounts {
        uint64_t accounts, packages, tokens, active_tokens;
} StoreCounts;
int store_counts(Store *s, usec_t now, StoreCounts *ret);

/* ---- integrity and backups ---- */

/* Databases up to this size get the full integrity check before start-up (about a second
 * for 16 MiB); larger ones the quick check, and the full check in a background thread. */
#define STORE_BACKGROUND_CHECK_ABOVE_MIB_DEFAULT 16
typedef enum StoreBackendType {
        STORE_BACKEND_SQLITE,
        STORE_BACKEND_POSTGRESQL,
        _STORE_BACKEND_MAX,
} StoreBackendType;
/* [Store] Backend= (config.c reads it without the store's code). */
static inline int store_backend_type_from_string(const char *s) {
        return streq_ptr(s, "sqlite") ? STORE_BACKEND_SQLITE : streq_ptr(s, "postgresql") ? STORE_BACKEND_POSTGRESQL : -EINVAL;
}
/* How long start-up waits for PostgreSQL to answer before it gives up (and fails closed). */
#define STORE_CONNECT_TIMEOUT_SEC_DEFAULT 30
typedef struct StoreOptions {
        uint64_t background_check_above;   /* bytes; SQLite */
        uint64_t min_free_space;           /* bytes; 0: no floor; SQLite */
        StoreBackendType backend;
        const char *connection;            /* PostgreSQL: a libpq conninfo string or "service=NAME" */
        const char *password_file;         /* PostgreSQL: the password, read at start; NULL none */
        usec_t connect_timeout;            /* PostgreSQL: start-up waits this long for the server */
} StoreOptions;
#define STORE_OPTIONS_DEFAULT { .background_check_above = STORE_BACKGROUND_CHECK_ABOVE_MIB_DEFAULT * UINT64_C(1024 * 1024) }
int store_open_with_options(const char *state_dir, const StoreOptions *o, Store **ret);

/* Once the store is known to be corrupt (the integrity check found damage, or SQLite met it
 * while answering), every store function fails with -EUCLEAN, and the daemon said so in its
 * log once.  A wrong answer is never given instead. */
bool store_is_corrupt(Store *s);

/* A consistent copy of the database to a new file (-EEXIST if path exists), made with
 * SQLite's online backup API on the daemon's own connection.  PostgreSQL: -EOPNOTSUPP
 * (pg_dump makes its backups, docs/postgresql.md). */
int store_backup(Store *s, const char *path);
