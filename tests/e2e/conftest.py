"""Fixtures for the browser tests: the Streamlit app on loopback, Debian's Chromium, a page.

Every test in tests/e2e gets the ``e2e`` marker and a 120 s timeout. Without /usr/bin/chromium
they are skipped, unless PLANMAP_REQUIRE_E2E is set (scripts/test.sh sets it), when they fail.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.e2e.helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    streamlit_server,
    watched_page,
)

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
E2E_TIMEOUT = 120


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.e2e)
            if item.get_closest_marker("timeout") is None:
                item.add_marker(pytest.mark.timeout(E2E_TIMEOUT))


@pytest.fixture(scope="session")
def app_data_dir(_private_data_dir):
    """The app server's PLANMAP_DATA_DIR: the test run's own, empty at the start."""
    return _private_data_dir


@pytest.fixture(scope="session")
def app_server(tmp_path_factory, app_data_dir):
    """Base URL (http://127.0.0.1:PORT) of the app, started as scripts/app.sh starts it.

    It runs from a folder of this test run (the entry, its pages, its config and a static/
    holding a copy of the offline assets, which Streamlit serves from beside the entry
    script), so nothing it does touches the checkout. The app's data store,
    PLANMAP_DATA_DIR, is ``app_data_dir``.
    """
    app_dir = tmp_path_factory.mktemp("app")
    shutil.copy(ROOT / "streamlit_app.py", app_dir)
    (app_dir / "app_pages").symlink_to(ROOT / "app_pages")
    shutil.copytree(ROOT / ".streamlit", app_dir / ".streamlit")
    shutil.copytree(ROOT / "static" / "vendor", app_dir / "static" / "vendor")
    log = tmp_path_factory.mktemp("streamlit-log") / "streamlit.log"
    with streamlit_server(
        app_dir / "streamlit_app.py",
        cwd=app_dir,
        # a crash in native code (GDAL, GEOS, PDFium) leaves its Python stack in the log
        env={"PLANMAP_DATA_DIR": str(app_data_dir), "PYTHONPATH": str(ROOT),
             "PYTHONFAULTHANDLER": "1"},
        log_path=log,
        timeout=60,
    ) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, through Playwright (never a browser Playwright downloads)."""
    if not os.access(CHROMIUM, os.X_OK):
        msg = f"{CHROMIUM} is missing: apt-get install chromium (scripts/test.sh does)"
        if os.environ.get("PLANMAP_REQUIRE_E2E"):
            pytest.fail(f"PLANMAP_REQUIRE_E2E is set but {msg}", pytrace=False)
        pytest.skip(msg)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # launch() gives Chromium a fresh, empty temporary --user-data-dir of its own.
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser):
    """A fresh page that cannot reach beyond loopback (``watched_page``)."""
    pg = watched_page(browser)
    try:
        yield pg
    finally:
        pg.context.close()
