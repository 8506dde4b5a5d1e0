#!/usr/bin/env bash
# file-watermark.sh — print the newest timestamp in one column of a CSV export on a
# restored volume (RFC 3339, UTC, e.g. 2026-11-24T23:58:00Z): the measured RPO is t0
# minus it. RFC 3339 UTC timestamps sort as text, so no date parsing is needed.
#
# By hand:
#   DATA_DIR=/mnt/restored WATERMARK_FILE=orders.csv WATERMARK_COLUMN=3 ./file-watermark.sh
#
# Needs: coreutils only. WATERMARK_COLUMN is 1-based.
set -euo pipefail
: "${DATA_DIR:?}" "${WATERMARK_FILE:?}" "${WATERMARK_COLUMN:?}"
newest=$(tail -n +2 "$DATA_DIR/$WATERMARK_FILE" | cut -d, -f"$WATERMARK_COLUMN" | sort | tail -n 1)
if [ -z "$newest" ]; then
  echo "no rows in $WATERMARK_FILE: no watermark" >&2
  exit 1
fi
echo "$newest"
