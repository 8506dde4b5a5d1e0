#!/usr/bin/env bash
# csv-row-counts.sh — count the data rows (all lines but the header) of CSV exports on a
# restored volume. Prints `rows.<name>=<count>` for each `<name>.csv` in TABLES.
#
# By hand:
#   DATA_DIR=/mnt/restored TABLES="orders customers" ./csv-row-counts.sh
#
# Needs: coreutils only.
set -euo pipefail
: "${DATA_DIR:?DATA_DIR is not set}" "${TABLES:?TABLES is not set}"
for table in $TABLES; do
  file="$DATA_DIR/$table.csv"
  if [ ! -f "$file" ]; then
    echo "missing export: $file" >&2
    exit 1
  fi
  echo "rows.${table}=$(( $(wc -l < "$file") - 1 ))"
done
