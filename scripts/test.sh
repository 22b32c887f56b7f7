#!/usr/bin/env bash
# Sets up everything the tests need and runs the whole suite: lint, data check, pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements-test.txt
# The browser tests (tests/e2e) drive Debian's Chromium, never a browser a test tool downloads;
# fonts-noto-cjk so Chinese text renders in screenshots and printed maps; nginx for the team
# deployment's test (tests/e2e/test_team.py: two app servers behind it, scripts/team.py).
bash scripts/debs.sh chromium fonts-noto-cjk nginx
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
