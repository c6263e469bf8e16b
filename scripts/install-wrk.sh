#!/usr/bin/env bash
# Debian's wrk, the HTTP load generator of the API benchmark (bench/api.py). Needs root (apt-get);
# prints what to run otherwise. Idempotent: does nothing when wrk is on PATH.
set -euo pipefail
if command -v wrk > /dev/null; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "wrk is missing; install it as root: apt-get update && apt-get install -y wrk" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk > /dev/null
command -v wrk
