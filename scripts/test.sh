#!/usr/bin/env bash
# Sets up everything the tests need and runs the whole suite: lint, data check, pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements-test.txt
.venv/bin/python -m ruff check .
.venv/bin/python -m gazetteer check
.venv/bin/python -m pytest -q "$@"
