#!/usr/bin/env bash
# tcp-port.sh — check that a restored service accepts TCP connections (e.g. a database
# before its credentials are tried). Prints `tcp.open=<host>:<port>`; exits 1 if the
# port does not answer within TCP_TIMEOUT seconds (default 10).
#
# By hand:
#   HOST=orders.xxxx.eu-west-1.rds.amazonaws.com PORT=5432 ./tcp-port.sh
#
# Needs: bash (its /dev/tcp) and coreutils' timeout.
set -euo pipefail
: "${HOST:?HOST is not set}" "${PORT:?PORT is not set}"
if timeout "${TCP_TIMEOUT:-10}" bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$HOST" "$PORT" 2>/dev/null; then
  echo "tcp.open=${HOST}:${PORT}"
else
  echo "nothing answers on ${HOST}:${PORT}" >&2
  exit 1
fi
