import os
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Tests never write into the checkout: the build (GeoPackage, caches) goes to a folder of this
# test run, set before any project module reads it.
_RUN_DIR = Path(tempfile.mkdtemp(prefix="planmap-tests-"))
os.environ["PLANMAP_BUILD_DIR"] = str(_RUN_DIR / "build")


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


@pytest.fixture(scope="session")
def extracted(gaz):
    """Every project of the five plans, extracted once per test run."""
    from layers.ingest.projects import extract_projects
    from layers.ingest.readers import load_documents

    return extract_projects(load_documents(), gaz)


@pytest.fixture(scope="session")
def cat(built_layers):
    """The web catalogue of every layer built from the five plans."""
    from layers.web.catalogue import Catalogue

    return Catalogue(built_layers)


@pytest.fixture(autouse=True, scope="session")
def _private_data_dir(tmp_path_factory):
    """The app's annotation store in a folder of this test run, never the checkout's build/."""
    import os

    folder = tmp_path_factory.mktemp("planmap-data")
    old = os.environ.get("PLANMAP_DATA_DIR")
    os.environ["PLANMAP_DATA_DIR"] = str(folder)
    yield folder
    if old is None:
        os.environ.pop("PLANMAP_DATA_DIR", None)
    else:
        os.environ["PLANMAP_DATA_DIR"] = old


def pytest_sessionfinish(session, exitstatus):
    import shutil

    shutil.rmtree(_RUN_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
def postgis_url():
    """The test PostGIS (PLANMAP_TEST_POSTGIS_URL, which scripts/test.sh starts and sets);
    skipped without one, unless PLANMAP_REQUIRE_POSTGIS is set, when the test fails."""
    url = os.environ.get("PLANMAP_TEST_POSTGIS_URL", "")
    if not url:
        if os.environ.get("PLANMAP_REQUIRE_POSTGIS"):
            pytest.fail("PLANMAP_REQUIRE_POSTGIS is set but PLANMAP_TEST_POSTGIS_URL is not")
        pytest.skip("no PostGIS: set PLANMAP_TEST_POSTGIS_URL (scripts/test.sh does)")
    return url
