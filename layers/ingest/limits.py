"""The limits a plan file is read within (``data/ingest/limits.yaml``)."""

from __future__ import annotations

from functools import cache

from geo.datafile import load_yaml
from geo.paths import DATA_DIR

LIMITS_FILE = DATA_DIR / "ingest" / "limits.yaml"


@cache
def limits() -> dict:
    with open(LIMITS_FILE, encoding="utf-8") as f:
        return load_yaml(f)
