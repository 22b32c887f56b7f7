"""Annotations benchmark: writes, a bbox listing, and the map layer of many annotations.

    .venv/bin/python benchmarks/annotations.py [postgresql://…]

Measures on the embedded SQLite store (and on PostGIS when a URL is given):
- 1,000 adds, each its own transaction with its history row, as the app makes them
  (goal ≤ 2 s), and the same 1,000 in one ``add_many`` transaction (an import);
- listing the annotations in a bbox holding ~1,000 of 10,000 (goal ≤ 0.2 s), and all 10,000;
- building the map layer of 10,000 annotations (popups, styles, GeoJSON; goal ≤ 2 s) and
  rendering the whole map page HTML with it.
Prints each median of 3 runs with its ratio to the goal.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
GOAL_ADDS_S = 2.0
GOAL_BBOX_S = 0.2
GOAL_RENDER_S = 2.0
N_ADDS = 1_000
N_STORED = 10_000
BBOX = (106.4, 29.4, 106.7, 29.7)  # the main city's core


def median_of(fn, runs=3):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def report(label, seconds, goal=None, runs=None):
    line = f"{label:<46} median {seconds:7.3f} s"
    if runs:
        line += "  (runs: " + ", ".join(f"{t:.3f}" for t in runs) + ")"
    if goal:
        line += f"  goal {goal:.1f} s  ratio {seconds / goal:.2f}"
    print(line)


def shapes(n, seed=7):
    """Points, lines and small polygons over Chongqing's main city and beyond."""
    from shapely.geometry import LineString, Point, box

    rng = random.Random(seed)
    out = []
    for i in range(n):
        x, y = rng.uniform(105.8, 108.0), rng.uniform(28.9, 30.6)
        kind = i % 3
        out.append(Point(x, y) if kind == 0 else
                   LineString([(x, y), (x + 0.01, y + 0.005)]) if kind == 1 else
                   box(x, y, x + 0.004, y + 0.003))
    return out


def bench(location: str, label: str) -> None:
    from layers.notes.store import AnnotationStore
    from layers.web.current import default_catalogue
    from layers.web.webmap import annotations_data, base_map, geojson_group

    def fresh():
        if location.startswith("postgresql"):
            import psycopg

            with psycopg.connect(location, autocommit=True) as con:
                con.execute("DROP TABLE IF EXISTS history, annotations, meta")
            return AnnotationStore(location)
        path = Path(tempfile.mkdtemp()) / "a.sqlite"
        return AnnotationStore(path)

    print(f"--- {label}")
    geoms = shapes(N_ADDS)

    def adds():
        store = fresh()
        for i, g in enumerate(geoms):
            store.add(g, f"第 {i} 条：用地待核实", "张工", tags=["待核实"])

    t, runs = median_of(adds)
    report(f"{N_ADDS:,} adds, one transaction each", t, GOAL_ADDS_S, runs)

    def add_many():
        fresh().add_many([{"geometry": g, "note": f"第 {i} 条"} for i, g in enumerate(geoms)],
                         author="张工", action="import")

    t, runs = median_of(add_many)
    report(f"{N_ADDS:,} adds in one transaction (import)", t, None, runs)

    store = fresh()
    store.add_many([{"geometry": g, "note": f"第 {i} 条：<b>用地</b>待核实", "tags": ["意见"]}
                    for i, g in enumerate(shapes(N_STORED, seed=11))], author="李工")
    inside = len(store.list(bbox=BBOX))
    t, runs = median_of(lambda: store.list(bbox=BBOX))
    report(f"list bbox ({inside:,} of {N_STORED:,})", t, GOAL_BBOX_S, runs)
    t, runs = median_of(lambda: store.list())
    report(f"list all {N_STORED:,}", t, None, runs)

    notes = store.list()
    cat = default_catalogue()

    def layer():
        return geojson_group("规划师标注", annotations_data(notes, {}, "wgs84"), 7)

    t, runs = median_of(layer)
    report(f"map layer of {N_STORED:,} annotations", t, GOAL_RENDER_S, runs)

    def page():
        m = base_map("blank", draw=True)
        layer().add_to(m)
        return m.get_root().render()

    t, runs = median_of(page)
    report(f"whole map HTML with {N_STORED:,} annotations", t, GOAL_RENDER_S, runs)
    del cat


def main() -> None:
    bench("sqlite", "SQLite (embedded default, synchronous=FULL)")
    if len(sys.argv) > 1:
        bench(sys.argv[1], "PostGIS " + sys.argv[1].rsplit("@", 1)[-1])


if __name__ == "__main__":
    main()
