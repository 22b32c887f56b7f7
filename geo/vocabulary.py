"""The suffix vocabulary (``data/vocabulary.yaml``): every list of name endings the project
uses, read once here so the gazetteer, the district names and ingestion share one table."""

from __future__ import annotations

from geo.datafile import load_yaml
from geo.paths import DATA_DIR

VOCABULARY_FILE = DATA_DIR / "vocabulary.yaml"

with open(VOCABULARY_FILE, encoding="utf-8") as _f:
    _LISTS = load_yaml(_f)


def suffixes(role: str) -> tuple[str, ...]:
    """The suffixes of ``role`` (a key of vocabulary.yaml), longest first, without repeats."""
    if role not in _LISTS:
        raise KeyError(f"{VOCABULARY_FILE.name} 中没有 {role}（可选：{'、'.join(_LISTS)}）")
    return tuple(sorted(dict.fromkeys(_LISTS[role]), key=len, reverse=True))
