#!/usr/bin/env bash
# Create the venv if needed, install the package with its test extras, run the test-suite.
# Needs Python >= 3.11; tests start their own private MariaDB (Debian's mariadb-server,
# installed on demand when run as root).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/pip install -q -e '.[test]'
exec .venv/bin/python -m pytest -q "$@"
