#!/usr/bin/env bash
# postgres-watermark.sh — print the newest data timestamp of a restored PostgreSQL
# database, in RFC 3339 UTC: the measured RPO is t0 minus this instant.
#
# By hand:
#   PGHOST=... PGDATABASE=orders PGUSER=drill PGPASSWORD=... \
#   WATERMARK_TABLE=orders WATERMARK_COLUMN=created_at ./postgres-watermark.sh
#
# Needs: psql. Environment: PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD,
# WATERMARK_TABLE, WATERMARK_COLUMN (a timestamptz column, or timestamp in UTC).
set -euo pipefail
: "${PGHOST:?}" "${PGDATABASE:?}" "${WATERMARK_TABLE:?}" "${WATERMARK_COLUMN:?}"
export PGPORT="${PGPORT:-5432}" PGCONNECT_TIMEOUT="${PGCONNECT_TIMEOUT:-10}"
newest=$(psql --no-psqlrc --tuples-only --no-align --set ON_ERROR_STOP=1 --command \
  "SELECT to_char(max(\"${WATERMARK_COLUMN//\"/\"\"}\") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM \"${WATERMARK_TABLE//\"/\"\"}\"")
if [ -z "$newest" ]; then
  echo "no rows in ${WATERMARK_TABLE}: no watermark" >&2
  exit 1
fi
echo "$newest"
