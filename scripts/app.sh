#!/usr/bin/env bash
# Sets up (once) and runs the app on the embedded default store.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements.txt
exec .venv/bin/python scripts/serve.py \
  --server.headless true --browser.gatherUsageStats false "$@"
