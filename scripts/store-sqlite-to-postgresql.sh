#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# store-sqlite-to-postgresql.sh TOKENS_DB CONNECTION: copies a pkgtoken SQLite store
# (tokens.db, or a copy made with `pkgtokenctl backup`) into a PostgreSQL database, every
# table and row as it is (ids included: sealed TOTP seeds are bound to their account's id).
#
# Before: stop pkgtokend (a store that is still written loses what comes after the copy), and
# start pkgtokend once with [Store] Backend=postgresql and this Connection= so that it creates
# the schema (then stop it).  The script refuses unless both stores have the same schema
# version and the PostgreSQL one holds no account, package or token yet.  Everything is copied
# in one transaction: on any error nothing is.  Afterwards give every host the seal key the
# SQLite host used (docs/postgresql.md).
#
# CONNECTION is a libpq connection string or service ("service=pkgtoken"); the password, if
# one is needed, comes from ~/.pgpass or PGPASSFILE, never from the command line.

set -euo pipefail

if [ $# -ne 2 ]; then
        echo "usage: $0 TOKENS_DB CONNECTION" >&2
        exit 2
fi
db=$1 connection=$2
die() {
        echo "store-sqlite-to-postgresql: $*" >&2
        exit 1
}
command -v sqlite3 >/dev/null || die "sqlite3 not found (apt-get install sqlite3)"
command -v psql >/dev/null || die "psql not found (apt-get install postgresql-client)"
[ -f "$db" ] || die "$db: no such file"

pg() {
        psql -X -q -A -t -v ON_ERROR_STOP=1 "$connection" "$@"
}

# Tables in an order that satisfies their foreign keys.
tables=(accounts packages maintainers tokens audit recovery_codes auth_failures pending_publishes stages
        trusted_publishers used_jtis)

sqlite_version=$(sqlite3 -readonly "$db" 'PRAGMA user_version') || die "$db: cannot read it"
pg_version=$(pg -c 'SELECT max(version) FROM pkgtoken_schema' 2>/dev/null) ||
        die "no pkgtoken schema in the PostgreSQL database: start pkgtokend once with [Store] Backend=postgresql"
[ "$sqlite_version" = "$pg_version" ] ||
        die "schema versions differ: $db has $sqlite_version, PostgreSQL $pg_version (run the same pkgtokend on both first)"
[ "$(pg -c 'SELECT (SELECT count(*) FROM accounts) + (SELECT count(*) FROM packages) + (SELECT count(*) FROM tokens)')" = 0 ] ||
        die "the PostgreSQL store is not empty: refusing to merge two stores"

# select_list TABLE: its columns, blobs as PostgreSQL's bytea hex ("\x..."), in table order.
select_list() {
        sqlite3 -readonly "$db" "SELECT CASE WHEN type = 'BLOB' THEN
                        'CASE WHEN ' || name || ' IS NULL THEN NULL ELSE ''\\x'' || lower(hex(' || name || ')) END'
                        ELSE name END FROM pragma_table_info('$1') ORDER BY cid" | paste -sd, -
}

columns() {
        sqlite3 -readonly "$db" "SELECT name FROM pragma_table_info('$1') ORDER BY cid" | paste -sd, -
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 0700 "$work"
script=$work/copy.sql
echo 'BEGIN;' >"$script"
for t in "${tables[@]}"; do
        # CSV: NULL is an empty field, an empty text "" (sqlite3 -csv and COPY agree on both).
        sqlite3 -readonly -csv "$db" "SELECT $(select_list "$t") FROM $t" >"$work/$t.csv" || die "cannot read $t"
        echo "\\copy $t ($(columns "$t")) FROM '$work/$t.csv' WITH (FORMAT csv)" >>"$script"
done
# Identity columns continue after the copied ids.
for t in accounts packages tokens audit; do
        echo "SELECT setval(pg_get_serial_sequence('$t', 'id'), GREATEST((SELECT max(id) FROM $t), 1));" >>"$script"
done
echo 'COMMIT;' >>"$script"
pg -f "$script" >/dev/null || die "the copy failed; nothing was changed"

for t in "${tables[@]}"; do
        a=$(sqlite3 -readonly "$db" "SELECT count(*) FROM $t")
        b=$(pg -c "SELECT count(*) FROM $t")
        [ "$a" = "$b" ] || die "$t: $a rows in $db but $b in PostgreSQL"
        echo "$t: $b rows"
done
echo "copied $db into PostgreSQL (schema version $pg_version)"
