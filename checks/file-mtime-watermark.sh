#!/usr/bin/env bash
# file-mtime-watermark.sh — print the newest modification time of the files on a
# restored volume, in RFC 3339 UTC: a volume restored from a snapshot holds nothing
# newer than the data it had then, so the measured RPO is t0 minus this instant.
#
# By hand:
#   DATA_DIR=/mnt/restored ./file-mtime-watermark.sh
#
# Needs: GNU find and date (coreutils, findutils: on every Linux AMI).
set -euo pipefail
: "${DATA_DIR:?DATA_DIR is not set}"
newest=$(find "$DATA_DIR" -type f -printf '%T@\n' | sort -n | tail -n 1)
if [ -z "$newest" ]; then
  echo "no files under $DATA_DIR: no watermark" >&2
  exit 1
fi
date -u -d "@${newest%.*}" +%Y-%m-%dT%H:%M:%SZ
