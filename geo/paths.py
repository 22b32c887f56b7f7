"""Where the repository's data lives (one definition for every package)."""

import os
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_DIR / "data"
# Build products (the GeoPackage, caches): ``PLANMAP_BUILD_DIR`` moves them out of the
# checkout (a test run, a server whose code folder is read-only).
BUILD_DIR = Path(os.environ.get("PLANMAP_BUILD_DIR") or REPO_DIR / "build")


def data_dir() -> Path:
    """What planners add and write (annotations, review decisions, the plans they upload):
    ``PLANMAP_DATA_DIR``, default build/data. Read at each call, so a test or a server can
    point it elsewhere."""
    return Path(os.environ.get("PLANMAP_DATA_DIR") or BUILD_DIR / "data")
