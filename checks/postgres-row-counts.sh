#!/usr/bin/env bash
# postgres-row-counts.sh — count the rows of tables in a restored PostgreSQL database.
#
# Prints one `rows.<table>=<count>` line per table; firedrill compares them with the
# check's `expect.row_counts` baselines. Runs on the runner through SSM, or by hand:
#
#   PGHOST=orders.xxxx.eu-west-1.rds.amazonaws.com PGPORT=5432 PGDATABASE=orders \
#   PGUSER=drill PGPASSWORD=... TABLES="orders customers" ./postgres-row-counts.sh
#
# Needs: psql (Amazon Linux 2023: `dnf install -y postgresql15`, served from the
# S3-hosted repositories through the VPC's S3 gateway endpoint).
# Environment: PGHOST, PGPORT (default 5432), PGDATABASE, PGUSER, PGPASSWORD, TABLES.
set -euo pipefail
: "${PGHOST:?PGHOST is not set}" "${PGDATABASE:?PGDATABASE is not set}" "${TABLES:?TABLES is not set}"
export PGPORT="${PGPORT:-5432}" PGCONNECT_TIMEOUT="${PGCONNECT_TIMEOUT:-10}"
for table in $TABLES; do
  # Table names come from the scenario, not from the data; quote them as identifiers.
  count=$(psql --no-psqlrc --tuples-only --no-align --set ON_ERROR_STOP=1 \
    --command "SELECT count(*) FROM \"${table//\"/\"\"}\"")
  echo "rows.${table}=${count}"
done
