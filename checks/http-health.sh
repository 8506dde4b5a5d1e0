#!/usr/bin/env bash
# http-health.sh — check that a restored application answers over HTTP inside the
# isolated VPC. Prints `http.status=<code>` and the first line of the body; exits 1
# unless the status is EXPECT_STATUS (default 200).
#
# By hand:
#   URL=http://10.250.1.23:8080/health ./http-health.sh
#
# Needs: curl (on every Amazon Linux AMI). The isolated VPC has no internet: the URL
# must be the restored copy's private address or localhost on the runner.
set -euo pipefail
: "${URL:?URL is not set}"
body=$(mktemp)
trap 'rm -f "$body"' EXIT
status=$(curl --silent --show-error --max-time "${HTTP_TIMEOUT:-10}" --output "$body" \
  --write-out '%{http_code}' "$URL") || status=000
echo "http.status=${status}"
head -n 1 "$body"
[ "$status" = "${EXPECT_STATUS:-200}" ]
