"""The printed map (导出地图): time to render a sheet, PDF and PNG, for the whole city and for
the 主城 at zoom 11, in one process (the page renders on request, in the server's process).

    .venv/bin/python benchmarks/printmap.py [--runs 5]

Prints min / median / max seconds per view and format, and the file sizes. The first render
of a process also loads matplotlib and the font (printed apart as "first").
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VIEWS = {"全市": None, "主城 z11": "29.58000,106.55000,11"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from layers.web import webmap
    from layers.web.compose import print_sheet
    from layers.web.current import default_catalogue
    from layers.web.printmap import render
    from layers.web.state import ViewState, parse_view

    cat = default_catalogue()
    sheets = {}
    for name, view in VIEWS.items():
        state = ViewState(view=view or "")
        selected = cat.select(state)
        if view:
            lat, lon, zoom = parse_view(view, (-180, -90, 180, 90), (0, 30))
            extent = webmap.view_bounds((lat, lon), zoom)
        else:
            extent = tuple(cat.districts.total_bounds)
        sheets[name] = print_sheet(cat, state, selected, cat.visible_sectors(state), extent,
                                   made="2026-11-29")
    start = time.perf_counter()
    render(sheets["全市"], "png")
    print(f"first render in this process (imports, font): {time.perf_counter() - start:.2f} s")
    for name, sheet in sheets.items():
        for fmt in ("pdf", "png"):
            times, size = [], 0
            for _ in range(args.runs):
                start = time.perf_counter()
                size = len(render(sheet, fmt))
                times.append(time.perf_counter() - start)
            print(f"{name:8} {fmt}: min {min(times):.2f} / median {statistics.median(times):.2f}"
                  f" / max {max(times):.2f} s, {size / 1024:,.0f} KB")


if __name__ == "__main__":
    main()
