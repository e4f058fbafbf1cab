/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One-time codes: TOTP through liboath and single-use recovery codes.
 *
 * TOTP is RFC 6238 with the parameters every authenticator app understands: HMAC-SHA1,
 * 6 digits, 30-second steps from the Unix epoch.  A code is accepted for the current step and
 * one step either side (clock skew, a code typed just as it rolled over).
 *
 * Nothing here reads the clock or stores anything: the caller passes `now` (so tests can use
 * the RFC vectors) and the last counter it accepted for the account, and stores the matched
 * counter it gets back in the same transaction as the check.  That is what makes each code
 * usable at most once. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define TOTP_DIGITS             6
#define TOTP_STEP               30      /* seconds */
#define TOTP_WINDOW             1       /* steps accepted either side of the current one */
#define TOTP_SECRET_SIZE        20      /* bytes; what we generate (160 bits, the HMAC-SHA1 size) */
/* Secrets we accept from the store: RFC 4226 §4 asks for at least 128 bits. */
#define TOTP_SECRET_MIN         16
#define TOTP_SECRET_MAX         64

#define TOTP_ISSUER_DEFAULT     "pkgtoken"
#define TOTP_ISSUER_MAX         64      /* bytes */
#define TOTP_ACCOUNT_MAX        256     /* bytes; bounds the URI (it ends up in a QR code) */

/* Fills out with TOTP_SECRET_SIZE random bytes.  Returns 0 or a negative errno. */
int totp_secret_generate(uint8_t out[static TOTP_SECRET_SIZE]);

/* RFC 4648 base32 of the secret without '=' padding (how authenticator apps want it), newly
 * allocated in *ret.  It is the secret: free it with erase_and_freep()/_cleanup_erase_.
 * Returns 0, -EINVAL (n out of range) or -ENOMEM. */
int totp_secret_base32(const uint8_t *secret, size_t n, char **ret);

/* Builds the enrolment URI, newly allocated in *ret (it carries the secret: erase it):
 *
 *     otpauth://totp/<Issuer>:<account>?secret=<BASE32>&issuer=<Issuer>&algorithm=SHA1&digits=6&period=30
 *
 * issuer and account are percent-encoded (RFC 3986 unreserved characters kept, every other
 * byte as %XX).  issuer NULL means TOTP_ISSUER_DEFAULT.  Returns -EINVAL instead of producing
 * a malformed URI: an issuer that is empty, longer than TOTP_ISSUER_MAX bytes, not valid
 * UTF-8, contains a control character or a ':' (it separates issuer from account in the
 * label); an account that is empty, longer than TOTP_ACCOUNT_MAX bytes, not valid UTF-8 or
 * contains a control character; a secret size outside TOTP_SECRET_MIN..TOTP_SECRET_MAX.
 * -ENOMEM on allocation failure. */
int totp_uri(const char *issuer, const char *account, const uint8_t *secret, size_t n, char **ret);

/* True when s is exactly TOTP_DIGITS ASCII digits (nothing before or after, no whitespace).
 * Looks at no more than TOTP_DIGITS + 1 bytes, however long s is. */
bool otp_code_is_wellformed(const char *s);

/* The code for time `now`, NUL-terminated in out (for tests and tools).  Returns 0, -EBADMSG
 * (secret size out of range), -ERANGE (now < 0) or -EIO (liboath failed). */
int totp_generate(const uint8_t *secret, size_t n, time_t now, char out[static TOTP_DIGITS + 1]);

/* Checks a code typed by a user at time `now` against the account's secret.
 *
 * last_used_counter is the counter of the last code accepted for this account, 0 when none
 * was ever accepted.  0 is safe as "none": counters are now / 30, so any real time since
 * 1970-01-01T00:00:30Z has a counter > 0; only tests with made-up times near the epoch see
 * the difference (the code for counter 0 can never be accepted).
 *
 * Returns:
 *   0          the code is right for a step within ±TOTP_WINDOW of now and that step's counter
 *              is > last_used_counter; the counter is stored in *ret_counter (may be NULL),
 *              and the caller must store it as the new last_used_counter in the same
 *              transaction that acts on the success;
 *   -EINVAL    the code is malformed (see otp_code_is_wellformed());
 *   -EACCES    the code is wrong (matches no step in the window);
 *   -EALREADY  the code is right but its counter is ≤ last_used_counter: a replay, or an
 *              older code after a newer one was used;
 *   -EBADMSG   the secret size is out of range (a damaged store, not a user error);
 *   -ERANGE    now < 0;
 *   -ENOMEM, -EIO  liboath failed.
 *
 * The comparison of each candidate with the typed code runs in constant time.  The window is
 * searched current, +1, −1 and the first match counts: in the rare (≈2·10⁻⁶) case where one
 * code is right for two steps of the window and the earlier match is a replay, the user gets
 * -EALREADY and simply uses the next code. */
int totp_verify(const uint8_t *secret, size_t n, const char *code, time_t now,
                uint64_t last_used_counter, uint64_t *ret_counter);

/* A replay check on its own: -EALREADY when counter ≤ last_used_counter, else 0.  totp_verify()
 * applies it; exposed so the store and the tests can use the same rule. */
int totp_counter_check_fresh(uint64_t counter, uint64_t last_used_counter);

/* Recovery codes: ten per account, single use, shown once, stored as SHA-256.
 *
 * A code is 10 characters of Crockford's base32 alphabet (digits and lower-case letters
 * without i, l, o, u), 50 random bits, shown as "xxxxx-xxxxx".  When a code is typed back,
 * case, spaces and dashes do not matter, and the letters people confuse with digits are read
 * as those digits (i, l → 1; o → 0), as Crockford's decoding does. */
#define RECOVERY_CODES_COUNT            10
#define RECOVERY_CODE_LEN               10                              /* normalised */
#define RECOVERY_CODE_DISPLAY_LEN       (RECOVERY_CODE_LEN + 1)         /* with the dash */
#define RECOVERY_CODE_HASH_SIZE         32

/* Fills codes[] with RECOVERY_CODES_COUNT distinct, newly allocated codes in display form.
 * On failure nothing is allocated and all entries are NULL.  Free with recovery_codes_free().
 * Returns 0, -ENOMEM or a negative errno from getrandom(). */
int recovery_codes_generate(char *codes[static RECOVERY_CODES_COUNT]);

/* Erases and frees every non-NULL entry and sets it to NULL. */
void recovery_codes_free(char *codes[static RECOVERY_CODES_COUNT]);

/* Turns typed input into the normalised form (RECOVERY_CODE_LEN lower-case characters of the
 * alphabet, NUL-terminated): case folded, spaces and dashes dropped, i/l/o mapped.  Returns 0
 * or -EINVAL (wrong length, or a character outside the alphabet). */
int recovery_code_normalize(const char *input, char out[static RECOVERY_CODE_LEN + 1]);

/* SHA-256 of a normalised code (the value to store and to look up).  Returns 0, or -EINVAL
 * when normalized is not in normalised form. */
int recovery_code_hash(const char *normalized, uint8_t out[static RECOVERY_CODE_HASH_SIZE]);
