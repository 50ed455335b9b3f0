#!/usr/bin/env bash
# Installs Tern's node modules when they are missing or older than package-lock.json; quick when present.
# (The Temporal CLI and the embedded database are set up by the commands that need them.)
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "bootstrap: Node.js 20 and npm are required — install them, then run this command again" >&2
  exit 2
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "bootstrap: installing node modules (npm ci)…" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
