#!/usr/bin/env bash
# mysql-watermark.sh — print the newest data timestamp of a restored MySQL database in
# RFC 3339 UTC (the measured RPO is t0 minus it).
#
# By hand:
#   MYSQL_HOST=... MYSQL_DATABASE=shop MYSQL_USER=drill MYSQL_PWD=... \
#   WATERMARK_TABLE=orders WATERMARK_COLUMN=created_at ./mysql-watermark.sh
#
# Needs: the mysql client. The column is read as UTC (DATETIME written in UTC, or TIMESTAMP).
set -euo pipefail
: "${MYSQL_HOST:?}" "${MYSQL_DATABASE:?}" "${MYSQL_USER:?}" "${WATERMARK_TABLE:?}" "${WATERMARK_COLUMN:?}"
newest=$(mysql --host="$MYSQL_HOST" --port="${MYSQL_PORT:-3306}" --user="$MYSQL_USER" \
  --connect-timeout=10 --batch --skip-column-names "$MYSQL_DATABASE" --execute \
  "SET time_zone = '+00:00'; SELECT DATE_FORMAT(MAX(\`${WATERMARK_COLUMN//\`/\`\`}\`), '%Y-%m-%dT%H:%i:%sZ') FROM \`${WATERMARK_TABLE//\`/\`\`}\`")
if [ -z "$newest" ] || [ "$newest" = "NULL" ]; then
  echo "no rows in ${WATERMARK_TABLE}: no watermark" >&2
  exit 1
fi
echo "$newest"
