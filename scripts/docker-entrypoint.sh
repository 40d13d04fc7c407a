#!/bin/sh
# Migrate the database (idempotent), then run the requested service: portal or radius.
set -e
hotspot init
exec hotspot "$@"
