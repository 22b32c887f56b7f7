"""Rebuilds docs/app.png, the README's picture of the app with every layer on.

    .venv/bin/python scripts/screenshot.py

Starts the app as scripts/app.sh does, opens it in Debian's Chromium (offline: any request
off this machine is refused), turns the places layer on and saves the page.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "docs" / "app.png"


def main() -> None:
    from playwright.sync_api import sync_playwright

    from tests.e2e.helpers import (
        CHROMIUM,
        CHROMIUM_ARGS,
        is_local,
        map_frame,
        open_app,
        streamlit_server,
        wait_for_app,
    )

    with streamlit_server("streamlit_app.py", cwd=ROOT) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 950}, locale="zh-CN")
        page.route("**/*", lambda r: r.continue_() if is_local(r.request.url) else r.abort())
        open_app(page, url, timeout=60_000)
        page.get_by_text("显示地名库地点").click()
        wait_for_app(page, timeout=60_000)
        frame = map_frame(page, timeout=60_000)
        frame.wait_for_function("() => (window.feature_group || []).filter("
                                "g => window.map.hasLayer(g)).length >= 4", timeout=60_000)
        page.wait_for_timeout(1000)
        OUT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(OUT))
        browser.close()
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
