#!/usr/bin/env bash
# Renders the report of the fixture history and screenshots its overview, one scenario
# page, one run page and the coverage page at 1366 px and 390 px wide with headless Chromium (Debian's
# `chromium` package), into docs/screenshots/. Run from the repository root.
set -euo pipefail
site=target/report-site/screenshots
cargo run -q -- report --history tests/fixtures/report/history --scenarios tests/fixtures/report/scenarios \
  --coverage tests/fixtures/report/coverage.json --as-of 2026-11-28T12:00:00Z --out "$site" >/dev/null
run=$(ls "$site"/runs/ | grep '^fd-orders-db-20260301' | head -1)
shoot() { # page name width height
  profile=$(mktemp -d)
  chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --disable-quic --user-data-dir="$profile" --hide-scrollbars \
    --window-size="$3,$4" --screenshot="docs/screenshots/$2-$3.png" "file://$PWD/$site/$1" >/dev/null 2>&1
  rm -rf "$profile"
}
shoot index.html overview 1366 900
shoot index.html overview 390 2100
shoot scenarios/storefront-full.html scenario 1366 2900
shoot scenarios/storefront-full.html scenario 390 4300
shoot "runs/$run" run 1366 1500
shoot "runs/$run" run 390 2700
shoot coverage.html coverage 1366 1300
shoot coverage.html coverage 390 3200
ls -l docs/screenshots/*.png
