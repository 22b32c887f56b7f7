"""The ingestion rules (data/ingest/rules.yaml): action verbs, project suffixes, categories.

Read once per process; the vocabulary is data, so a new suffix or category needs no code."""

from __future__ import annotations

from functools import lru_cache

from geo.datafile import load_yaml
from geo.paths import DATA_DIR
from geo.vocabulary import suffixes

RULES_FILE = DATA_DIR / "ingest" / "rules.yaml"


@lru_cache(maxsize=1)
def rules() -> dict:
    with open(RULES_FILE, encoding="utf-8") as f:
        data = load_yaml(f)
    data["verbs"] = tuple(sorted(set(data["verbs"]), key=len, reverse=True))
    # the suffix lists live in the shared vocabulary (data/vocabulary.yaml)
    data["project_suffixes"] = suffixes("project_suffixes")
    data["linear_suffixes"] = suffixes("linear_suffixes")
    data["generic_heads"] = tuple(data["generic_heads"])
    return data


@lru_cache(maxsize=1)
def _verb_table() -> tuple[tuple[int, ...], frozenset[str]]:
    verbs = rules()["verbs"]
    return tuple(sorted({len(v) for v in verbs}, reverse=True)), frozenset(verbs)


def starts_with_verb(text: str) -> str:
    """The (longest) action word ``text`` starts with, or ''."""
    lengths, verbs = _verb_table()
    for n in lengths:
        if text[:n] in verbs:
            return text[:n]
    return ""


def category_of(texts) -> str:
    """The first category (in the rules' order) whose words occur in ``texts``, searched
    text by text; the fallback category when none does."""
    cats = rules()["categories"]
    for text in texts:
        for cat, spec in cats.items():
            if any(w in text for w in spec["words"]):
                return cat
    return rules()["other_category"]["name"]
