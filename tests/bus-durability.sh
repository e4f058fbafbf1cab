#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# kill -9 at a random moment, over and over: every change pkgtokend acknowledged before it
# died is there after a restart, and the database passes PRAGMA integrity_check.
#
# Each round starts the daemon, lets a writer create accounts and tokens and revoke tokens
# through pkgtokenctl (recording each change only once the CLI reported success), kills the
# daemon with SIGKILL after a random delay, restarts it, checks every recorded change, stops
# it, and runs the sqlite3 CLI's integrity check on the file (on PostgreSQL, with
# PKGTOKEN_TEST_BACKEND=postgresql, the same rounds against the database server).
#
#   PKGTOKEN_DURABILITY_ROUNDS   rounds (default 24)

. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
need_binaries
need sqlite3 sort comm
ROUNDS=${PKGTOKEN_DURABILITY_ROUNDS:-24}
start_store

ok "account add alice" ctl account add alice
ok "package add pkg" ctl package add pkg --policy=none --maintainer=alice
stop_daemon

ACCOUNTS=$TMP/acked-accounts     # account names created
TOKENS=$TMP/acked-tokens         # "ID SECRET" of tokens created
REVOKED=$TMP/acked-revoked       # IDs revoked
: >"$ACCOUNTS"
: >"$TOKENS"
: >"$REVOKED"

# writer ROUND: changes until the daemon is gone; each acknowledged one is appended to the
# records right after the CLI returned success.
writer() {
        local round=$1 i=0 out id secret victim
        while :; do
                i=$((i + 1))
                ctl account add "r$round-a$i" >/dev/null 2>&1 || break
                echo "r$round-a$i" >>"$ACCOUNTS"
                out=$(ctl --json token create alice --type=automation --description="round $round #$i" 2>/dev/null) || break
                id=$(jq -r .id <<<"$out")
                secret=$(jq -r .token <<<"$out")
                echo "$id $secret" >>"$TOKENS"
                if [ $((i % 2)) -eq 0 ]; then
                        victim=$(cut -d' ' -f1 "$TOKENS" | sort | comm -23 - <(sort "$REVOKED") | head -n 1)
                        [ -n "$victim" ] || continue
                        ctl token revoke "$victim" >/dev/null 2>&1 || break
                        echo "$victim" >>"$REVOKED"
                fi
        done
}

# missing LIST-FILE PRESENT-FILE: the lines of LIST-FILE that PRESENT-FILE lacks.
missing() {
        comm -23 <(sort -u "$1") <(sort -u "$2")
}

bad_rounds=0
for ((round = 1; round <= ROUNDS; round++)); do
        if ! start_daemon; then
                fail "round $round: pkgtokend starts"
                bad_rounds=$((bad_rounds + 1))
                break
        fi
        writer "$round" &
        writer_pid=$!
        _pids+=("$writer_pid")
        # A random moment: 50..800 ms into the writes.
        sleep "0.$(printf '%03d' $((50 + RANDOM % 750)))"
        kill9_daemon
        wait "$writer_pid" 2>/dev/null
        _forget_pid "$writer_pid"

        problems=()
        if ! start_daemon; then
                problems+=("pkgtokend did not start after kill -9")
        else
                ctl --json account list | jq -r '.[].name' >"$TMP/accounts.now" 2>/dev/null
                ctl --json token list --account=alice >"$TMP/tokens.json" 2>/dev/null
                jq -r '.[].id' <"$TMP/tokens.json" >"$TMP/tokens.now"
                jq -r '.[] | select(.state == "revoked") | .id' <"$TMP/tokens.json" >"$TMP/revoked.now"
                lost=$(missing "$ACCOUNTS" "$TMP/accounts.now")
                [ -z "$lost" ] && [ -s "$TMP/accounts.now" ] || problems+=("accounts lost: ${lost:-(no list)}")
                lost=$(missing <(cut -d' ' -f1 "$TOKENS") "$TMP/tokens.now")
                [ -z "$lost" ] || problems+=("tokens lost: $lost")
                lost=$(missing "$REVOKED" "$TMP/revoked.now")
                [ -z "$lost" ] || problems+=("revocations lost: $lost")
                # The newest acknowledged token works, the newest revoked one does not.
                last=$(tail -n 1 "$TOKENS")
                # (A revocation the daemon committed but was killed before acknowledging may
                # have hit it: then it is in revoked.now, and refusing it is right.)
                if [ -n "$last" ] && ! grep -qx "${last%% *}" "$REVOKED" "$TMP/revoked.now"; then
                        authz "${last#* }" pkg publish
                        [ "$AUTHZ_RESULT" = allowed ] || problems+=("newest token ${last%% *}: $AUTHZ_RESULT")
                fi
                last=$(tail -n 1 "$REVOKED")
                if [ -n "$last" ]; then
                        authz "$(grep "^$last " "$TOKENS" | cut -d' ' -f2)" pkg publish
                        [ "$AUTHZ_RESULT" = invalid ] || problems+=("newest revoked token $last: $AUTHZ_RESULT")
                fi
                stop_daemon
                [ "$STOP_RC" -eq 0 ] || problems+=("pkgtokend exited $STOP_RC on SIGTERM")
                verdict=$(store_integrity | head -n 5)
                [ "$verdict" = ok ] || problems+=("integrity_check: $verdict")
        fi
        n_acc=$(wc -l <"$ACCOUNTS")
        n_tok=$(wc -l <"$TOKENS")
        n_rev=$(wc -l <"$REVOKED")
        if [ "${#problems[@]}" -eq 0 ]; then
                pass "round $round: kill -9, restart: all $n_acc accounts, $n_tok tokens, $n_rev revocations acknowledged so far are there; integrity_check ok"
        else
                fail "round $round: kill -9, restart: every acknowledged change is there, integrity_check ok" "${problems[@]}"
                diag_file "pkgtokend output" "$DAEMON_LOG"
                bad_rounds=$((bad_rounds + 1))
                stop_daemon
        fi
done
is "$bad_rounds" 0 "$ROUNDS rounds of kill -9 without a lost change"
diag "acknowledged: $(wc -l <"$ACCOUNTS") accounts, $(wc -l <"$TOKENS") tokens, $(wc -l <"$REVOKED") revocations;" \
     "in the store: $(store_sql 'SELECT count(*) FROM accounts;') accounts (alice and any committed but unacknowledged ones included)"

done_testing
