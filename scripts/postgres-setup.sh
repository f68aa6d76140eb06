#!/usr/bin/env bash
# Create the PostgreSQL role and database of coopatlas, then migrate and load the reference
# data. Run as a user that can `sudo -u postgres` (or set PSQL to reach the server as a
# superuser). Idempotent: an existing role or database is kept.
#
#   scripts/postgres-setup.sh [DB_NAME] [DB_USER]
#   → prints the DATABASE_URL to put in the environment (see docs/postgresql.md)
set -euo pipefail
DB_NAME=${1:-coopatlas}
DB_USER=${2:-coopatlas}
PSQL=${PSQL:-sudo -u postgres psql}
HOST=${PGHOST:-localhost}
PORT=${PGPORT:-5432}
PASSWORD=$(python3 -c "import secrets; print(secrets.token_urlsafe(24))")

if ! $PSQL -tAc "SELECT 1 FROM pg_roles WHERE rolname='$DB_USER'" | grep -q 1; then
  $PSQL -qc "CREATE ROLE \"$DB_USER\" LOGIN PASSWORD '$PASSWORD';"
  echo "role $DB_USER created"
else
  echo "role $DB_USER exists: its password is unchanged (reset it with ALTER ROLE if needed)"
  PASSWORD="<its password>"
fi
if ! $PSQL -tAc "SELECT 1 FROM pg_database WHERE datname='$DB_NAME'" | grep -q 1; then
  # UTF-8 and a French collation: accents sort as a French reader expects.
  $PSQL -qc "CREATE DATABASE \"$DB_NAME\" OWNER \"$DB_USER\" ENCODING 'UTF8' TEMPLATE template0;"
  echo "database $DB_NAME created"
fi
# A query running past the limit is cancelled; prod.py also sets it per connection.
$PSQL -qc "ALTER ROLE \"$DB_USER\" SET statement_timeout = '30s';"
$PSQL -qc "ALTER ROLE \"$DB_USER\" SET idle_in_transaction_session_timeout = '60s';"

URL="postgres://$DB_USER:$PASSWORD@$HOST:$PORT/$DB_NAME"
echo
echo "DATABASE_URL=$URL"
if [ "$PASSWORD" != "<its password>" ] && [ -x .venv/bin/coopatlas ]; then
  DATABASE_URL="$URL" .venv/bin/coopatlas setup   # migrate (and the cache table) + reference data
fi
