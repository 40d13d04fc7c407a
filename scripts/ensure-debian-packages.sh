#!/usr/bin/env bash
# Install the Debian packages a run drives as real peers, when what they provide is missing.
# Each entry is CHECK:PACKAGE, CHECK a command name or an absolute path the package installs.
# No arguments: the test suite's list (add to it when a test needs another real tool); the
# benchmarks pass their own. Exit 1 with one line on stderr when they cannot be installed here.
set -euo pipefail
if [ $# -gt 0 ]; then
  needed=("$@")
else
  needed=(
    radclient:freeradius-utils
    chromium:chromium
    pg_dump:postgresql-client
  )
fi
missing=()
for entry in "${needed[@]}"; do
  check="${entry%%:*}"
  if [[ "$check" == /* ]]; then
    [ -e "$check" ] || missing+=("${entry#*:}")
  else
    command -v "$check" >/dev/null 2>&1 || missing+=("${entry#*:}")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "missing Debian packages: ${missing[*]} (as root: apt-get update && apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "installing Debian packages: ${missing[*]}"
if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
       apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } 2>/dev/null; then
  echo "missing Debian packages: ${missing[*]} (apt-get install ${missing[*]} failed)" >&2
  exit 1
fi
