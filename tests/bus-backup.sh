#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Backup: the daemon holds tokens.db exclusively, so it writes the copy itself (Backup, admins
# only, never over an existing file; `pkgtokenctl backup PATH`).  And what an operator does when
# the store is damaged (README, "When the database is damaged"): stop pkgtokend, put the backup
# in place of tokens.db, start it: everything backed up is there.

. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
sqlite_only "the Backup method copies the SQLite file (PostgreSQL backups are pg_dump's, docs/postgresql.md)"
need_binaries
need dd sqlite3 yes
start_store
BACKUP=$TMP/backup.db

ok "account add alice" ctl account add alice
ok "package add pkg" ctl package add pkg --policy=none --maintainer=alice
must_create_token A alice --type=automation

# --- refusals --------------------------------------------------------------------------------------------
if have_gdbus; then
        is "$(dbus_error_name Backup "'relative.db'" '{}')" org.pkgtoken1.Error.InvalidArgument \
                "Backup with a relative path: InvalidArgument"
        : >"$TMP/exists.db"
        is "$(dbus_error_name Backup "'$TMP/exists.db'" '{}')" org.pkgtoken1.Error.InvalidArgument \
                "Backup over an existing file: InvalidArgument"
        is "$(stat -c %s "$TMP/exists.db")" 0 "  ... the file is left as it was"
        is "$(dbus_error_name Backup "'$TMP/x.db'" "{'compress': <true>}")" org.pkgtoken1.Error.InvalidArgument \
                "Backup with an unknown option: InvalidArgument"
else
        skip "gdbus not found" 4
fi
if is_root && command -v setpriv >/dev/null 2>&1 && id nobody >/dev/null 2>&1; then
        run setpriv --reuid=nobody --regid="$(id -gn nobody)" --clear-groups -- \
                "$PKGTOKENCTL" --bus-address="$PKGTOKEN_BUS_ADDRESS" backup "$TMP/by-nobody.db"
        isnt "$RUN_RC" 0 "backup as an unprivileged user is refused"
        like "$RUN_ERR" 'AccessDenied|[Aa]ccess denied|not allowed|[Pp]ermission' "  ... access denied"
        [ -e "$TMP/by-nobody.db" ] && fail "  ... and no file is written" || pass "  ... and no file is written"
else
        skip "not root or no setpriv/nobody: cannot call as an unprivileged user" 3
fi

# --- a backup, then damage, then the restore -----------------------------------------------------------
ok "pkgtokenctl backup $BACKUP" ctl backup "$BACKUP"
is "$(stat -c %a "$BACKUP")" 600 "  ... the backup is mode 0600"
is "$(sqlite3 "$BACKUP" 'PRAGMA integrity_check;')" ok "  ... and passes PRAGMA integrity_check"
is "$(sqlite3 "$BACKUP" 'PRAGMA journal_mode;')" delete "  ... one self-contained file (no WAL)"
is "$(sqlite3 "$BACKUP" "SELECT name FROM accounts;")" alice "  ... holding the accounts"
not_ok "a second backup to the same file is refused" ctl backup "$BACKUP"
(cd "$TMP" && ctl backup relative-backup.db) >/dev/null 2>&1
is "$(sqlite3 "$TMP/relative-backup.db" "SELECT name FROM accounts;")" alice \
        "pkgtokenctl backup with a relative name writes it relative to the caller's directory"

stop_daemon
is "$STOP_RC" 0 "pkgtokend exits 0 on SIGTERM"
page_size=$(sqlite3 "$DB" 'PRAGMA page_size;')
root=$(sqlite3 "$DB" "SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = 'accounts';")
yes 'garbage!' | head -c "$page_size" | dd of="$DB" bs="$page_size" seek=$((root - 1)) count=1 conv=notrunc status=none
run timeout --kill-after=2 "$PKGTOKEN_TEST_TIMEOUT" "$PKGTOKEND" --state-dir="$STATE_DIR" \
        --bus-address="$PKGTOKEN_BUS_ADDRESS"
isnt "$RUN_RC" 0 "the damaged database: pkgtokend refuses to start"
like "$RUN_ERR" 'integrity check|corrupt' "  ... saying why"

# What the README tells the operator to do.
mv "$DB" "$TMP/damaged.db"
rm -f "$DB-wal" "$DB-shm"
cp "$BACKUP" "$DB"
chmod 0600 "$DB"
must_start_daemon
ok "restored: account show alice" ctl account show alice
ok "  ... package show pkg" ctl package show pkg
expect_authz allowed "  ... the token made before the backup authorizes" "$A_SECRET" pkg publish
stop_daemon
is "$STOP_RC" 0 "pkgtokend exits 0 on SIGTERM"

done_testing
