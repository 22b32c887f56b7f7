#!/usr/bin/env bash
# Sets up everything the tests need and runs the whole suite: lint, data check, pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements-test.txt
# The browser tests (tests/e2e) drive Debian's Chromium, never a browser a test tool downloads;
# fonts-noto-cjk so Chinese text renders in screenshots. Skipped quietly when both are there.
if [ ! -x /usr/bin/chromium ] \
  || ! dpkg-query -W -f='${Status}' fonts-noto-cjk 2>/dev/null | grep -q 'ok installed'; then
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null; then
      echo "需要 root 或 sudo 来安装 chromium 与 fonts-noto-cjk（浏览器测试用）" >&2
      exit 1
    fi
    sudo=(sudo)
  fi
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null
fi
# The annotation store's suite also runs against a real PostGIS (Debian's packages, a private
# throwaway server on loopback, started every time: nothing survives between machines).
# The server is stopped when the suite ends, however it ends: nothing is left running.
trap 'bash scripts/postgis.sh stop' EXIT
PLANMAP_TEST_POSTGIS_URL="$(bash scripts/postgis.sh)"
export PLANMAP_TEST_POSTGIS_URL
# CI must never skip the browser or PostGIS tests silently: without them they fail instead.
export PLANMAP_REQUIRE_E2E=1 PLANMAP_REQUIRE_POSTGIS=1
.venv/bin/python -m ruff check .
.venv/bin/python -m gazetteer check
.venv/bin/python -m gazetteer verify
.venv/bin/python -m pytest -q "$@"
