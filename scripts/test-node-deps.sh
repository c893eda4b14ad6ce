#!/usr/bin/env bash
# Installs the npm packages that tests use as real peers (an SMTP receiver, DuckDB) into
# tests/node/node_modules, once. The npm registry is the only place they come from.
set -euo pipefail
cd "$(dirname "$0")/../tests/node"
if [ -f package.json ] && [ ! -d node_modules ]; then
  npm install --no-audit --no-fund --loglevel=error
fi
