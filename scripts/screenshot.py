"""Rebuilds docs/app.png, the README's picture of the app (the 主城 at zoom 11: sectors and
project areas with their stacked fills, place names, precision circles, the legend), and
docs/printed.png, a printed sheet of the same view (导出地图).

    .venv/bin/python scripts/screenshot.py

Starts the app as scripts/app.sh does, opens it in Debian's Chromium (offline: any request
off this machine is refused) on a link to that view and saves the page.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "docs" / "app.png"
PRINTED = ROOT / "docs" / "printed.png"
VIEW = "29.58000,106.55000,11"  # lat, lon, zoom: the 主城, where most projects are
PRINTED_DPI = 80  # small enough to commit, large enough to read


def main() -> None:
    from playwright.sync_api import sync_playwright

    from tests.e2e.helpers import (
        CHROMIUM,
        CHROMIUM_ARGS,
        is_local,
        map_frame,
        open_app,
        streamlit_server,
    )

    with streamlit_server("streamlit_app.py", cwd=ROOT) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 950}, locale="zh-CN")
        page.route("**/*", lambda r: r.continue_() if is_local(r.request.url) else r.abort())
        open_app(page, f"{url}/?v={VIEW}", timeout=60_000)
        frame = map_frame(page, timeout=60_000)
        frame.wait_for_function("() => (window.feature_group || []).filter("
                                "g => window.map.hasLayer(g)).length >= 3", timeout=60_000)
        frame.locator(".planmap-place").first.wait_for(timeout=60_000)
        page.wait_for_timeout(1000)
        OUT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(OUT))
        extent = frame.evaluate("() => { const b = window.map.getBounds();"
                                " return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; }")
        browser.close()
    print(f"wrote {OUT.relative_to(ROOT)}")
    write_printed(tuple(extent))


def write_printed(extent) -> None:
    from layers.schema import PRINT
    from layers.web.compose import print_sheet
    from layers.web.current import default_catalogue
    from layers.web.popups import local_date
    from layers.web.printmap import render
    from layers.web.state import ViewState

    cat, state = default_catalogue(), ViewState(view=VIEW)
    sheet = print_sheet(cat, state, cat.select(state), cat.visible_sectors(state), extent,
                        made=local_date())
    PRINT["png_dpi"] = PRINTED_DPI  # this picture only
    PRINTED.write_bytes(render(sheet, "png"))
    print(f"wrote {PRINTED.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
