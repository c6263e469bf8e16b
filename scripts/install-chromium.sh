#!/usr/bin/env bash
# Debian's Chromium, for the tests that render the report and the Airflow UI in a real headless browser.
# Needs root (apt-get); prints what to run otherwise.
set -euo pipefail
if command -v chromium > /dev/null; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "Chromium is missing; install it as root: apt-get update && apt-get install -y chromium" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core > /dev/null
chromium --version
