#!/usr/bin/env bash
# mysql-row-counts.sh — count the rows of tables in a restored MySQL/MariaDB database.
#
# Prints one `rows.<table>=<count>` line per table, for `expect.row_counts`. By hand:
#   MYSQL_HOST=... MYSQL_PORT=3306 MYSQL_DATABASE=shop MYSQL_USER=drill MYSQL_PWD=... \
#   TABLES="orders customers" ./mysql-row-counts.sh
#
# Needs: the mysql client (Amazon Linux 2023: `dnf install -y mariadb105`).
# MYSQL_PWD is read by the client itself, so the password never shows in `ps`.
set -euo pipefail
: "${MYSQL_HOST:?}" "${MYSQL_DATABASE:?}" "${MYSQL_USER:?}" "${TABLES:?}"
for table in $TABLES; do
  count=$(mysql --host="$MYSQL_HOST" --port="${MYSQL_PORT:-3306}" --user="$MYSQL_USER" \
    --connect-timeout=10 --batch --skip-column-names "$MYSQL_DATABASE" \
    --execute "SELECT COUNT(*) FROM \`${table//\`/\`\`}\`")
  echo "rows.${table}=${count}"
done
