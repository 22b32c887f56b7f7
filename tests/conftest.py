import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session")
def gaz():
    from gazetteer import Gazetteer

    return Gazetteer()


@pytest.fixture(scope="session")
def plan_texts():
    return {p.name: p.read_text(encoding="utf-8") for p in sorted((ROOT / "data" / "plans").glob("*.txt"))}


@pytest.fixture(scope="session")
def built_layers(gaz):
    """Every layer built from the five plans, once per test run."""
    from layers.build import build_layers

    return build_layers(gazetteer=gaz)
