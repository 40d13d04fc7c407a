#!/usr/bin/env bash
# Install the Debian packages the test suite uses as real peers, when a command is missing.
# Each entry is COMMAND:PACKAGE; add to the list when a test needs another real tool.
set -euo pipefail
needed=(
  radclient:freeradius-utils
  chromium:chromium
  pg_dump:postgresql-client
)
missing=()
for entry in "${needed[@]}"; do
  command -v "${entry%%:*}" >/dev/null 2>&1 || missing+=("${entry#*:}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "missing Debian packages: ${missing[*]} (install them as root with apt-get)" >&2
  exit 1
fi
echo "installing Debian packages: ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
