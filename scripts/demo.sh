#!/usr/bin/env bash
# Create the venv if needed, install the package, and run the demo: a throwaway MariaDB in a
# temp dir (unless --tidb-host/--tidb-port are given), a small sample dump, an import, the result.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/pip install -q -e .
exec .venv/bin/python -m tidb_lightning.demo "$@"
