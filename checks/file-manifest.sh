#!/usr/bin/env bash
# file-manifest.sh — compare restored files with a manifest of sha256 sums.
#
# The manifest is in `sha256sum` format (`<hex>  <relative path>`), kept in
# checks/manifests/ and named by the check's `expect.manifest`; firedrill passes its
# path as FIREDRILL_MANIFEST. Paths are relative to DATA_DIR (the restored volume's
# mount path). Prints `files.checked=<n>`; exits 1 naming every missing or changed file.
#
# By hand:
#   DATA_DIR=/mnt/restored FIREDRILL_MANIFEST=checks/manifests/orders.sha256 ./file-manifest.sh
#
# Needs: sha256sum (coreutils, on every Linux AMI).
set -euo pipefail
: "${DATA_DIR:?DATA_DIR is not set}" "${FIREDRILL_MANIFEST:?FIREDRILL_MANIFEST is not set}"
manifest=$(cd "$(dirname "$FIREDRILL_MANIFEST")" && pwd)/$(basename "$FIREDRILL_MANIFEST")
cd "$DATA_DIR"
if ! report=$(sha256sum --check --strict "$manifest" 2>&1); then
  echo "$report" | grep -v ': OK$' >&2
  exit 1
fi
echo "files.checked=$(grep -c . "$manifest")"
