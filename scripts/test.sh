#!/usr/bin/env bash
# `npm test`: installs what is missing, then runs unit and integration tests (real Temporal, real PostgreSQL).
# Extra arguments go to jest, e.g. `npm test -- --selectProjects unit`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
# PGlite (the embedded database) loads its WebAssembly through dynamic import, which jest's VM needs this flag for.
export NODE_OPTIONS="${NODE_OPTIONS:-} --experimental-vm-modules --disable-warning=ExperimentalWarning"
exec npx jest --maxWorkers=2 "$@"
