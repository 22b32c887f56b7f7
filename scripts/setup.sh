#!/usr/bin/env bash
# Creates .venv with Python 3.11 and installs the requirements named as arguments
# (default: requirements.txt). Idempotent: a second run only checks what is there.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; assert sys.version_info[:2] >= (3, 11)' 2>/dev/null; then
  echo "需要 Python 3.11 或更高版本（找到：$("$PYTHON" --version 2>&1)）" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  if ! "$PYTHON" -m venv .venv 2>/dev/null; then
    # Debian's python3 ships venv separately.
    rm -rf .venv
    apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
    "$PYTHON" -m venv .venv
  fi
fi
reqs=("$@")
[ ${#reqs[@]} -gt 0 ] || reqs=(requirements.txt)
args=()
for r in "${reqs[@]}"; do args+=(-r "$r"); done
stamp=".venv/.installed-$(cat "${reqs[@]}" requirements.txt | sha1sum | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check "${args[@]}"
  touch "$stamp"
fi
# The map's Leaflet/folium browser files, served by Streamlit from static/vendor/ so the map
# works offline: downloaded from npm once (sha512-checked), a quick check afterwards.
.venv/bin/python -m layers assets
