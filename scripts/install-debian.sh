#!/usr/bin/env bash
# Install Debian packages a target needs unless their command is already on PATH (idempotent).
# Needs root (apt-get); prints what to run otherwise.
#
#   scripts/install-debian.sh chromium chromium fonts-dejavu-core   # the browser tests' headless Chromium
#   scripts/install-debian.sh wrk wrk                               # the API benchmark's load generator
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 COMMAND PACKAGE..." >&2; exit 2; }
command_name="$1"; shift
if command -v "$command_name" > /dev/null; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "$command_name is missing; install it as root: apt-get update && apt-get install -y $*" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" > /dev/null
command -v "$command_name"
