"""Where the repository's data lives (one definition for every package)."""

from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_DIR / "data"
BUILD_DIR = REPO_DIR / "build"
