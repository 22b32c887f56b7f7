#!/usr/bin/env bash
# Sets up (once) and runs the app on the embedded default store.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements.txt
# a Chinese font for the printed map (导出地图 PNG/PDF); the map itself works without it
bash scripts/debs.sh fonts-noto-cjk \
  || echo "未能安装 fonts-noto-cjk：地图导出（PNG/PDF）将不可用，其余功能不受影响" >&2
exec .venv/bin/python scripts/serve.py \
  --server.headless true --browser.gatherUsageStats false "$@"
