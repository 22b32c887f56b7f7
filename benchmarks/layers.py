"""Layers benchmark: sectors built and projects assigned; every layer exported.

    .venv/bin/python benchmarks/layers.py

Measures (gazetteer and projects loaded beforehand, as the build has them):
- building every sector of every structure and assigning every project (goal ≤ 1 s), cold
  (first call: boundary polygons read, district unions made) and warm;
- exporting all four layers as RFC 7946 GeoJSON (goal ≤ 0.5 s), as GeoPackage, and as the
  GCJ-02 GeoJSON copy.
Then prints what the sectors hold: per structure, sectors located / partial / unlocated /
unknown, and how many projects each of the most-used sectors receives (spatial / text).
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
GOAL_SECTORS_S = 1.0
GOAL_EXPORT_S = 0.5


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def main() -> None:
    from gazetteer import Gazetteer
    from layers.build import districts_frame, places_frame
    from layers.export import export_layers
    from layers.ingest.projects import extract_projects, projects_frame
    from layers.ingest.readers import load_documents
    from layers.spatial.assign import assign_sectors
    from layers.spatial.sectors import sectors_frame
    from layers.spatial.structures import load_structures

    gazetteer = Gazetteer()
    projects = projects_frame(extract_projects(load_documents(), gazetteer))

    def sectors_and_assignment():
        sectors = sectors_frame(load_structures(), gazetteer)
        return sectors, assign_sectors(projects, sectors)

    (sectors, assigned), cold = timed(sectors_and_assignment)
    _, warm = timed(sectors_and_assignment)
    print(f"sectors + assignment ({len(sectors)} sectors, {len(projects)} projects): "
          f"cold {cold:.3f} s = {cold / GOAL_SECTORS_S:.2f} × the 1 s goal; warm {warm:.3f} s")

    projects["sectors"] = assigned
    layers = {"places": places_frame(gazetteer), "projects": projects, "sectors": sectors,
              "districts": districts_frame()}
    with tempfile.TemporaryDirectory() as tmp:
        export_layers(layers, Path(tmp) / "warmup")  # first-call imports are not the export
        _, geojson_s = timed(export_layers, layers, Path(tmp) / "geojson")
        _, gpkg_s = timed(export_layers, layers, Path(tmp) / "all.gpkg", fmt="gpkg")
        _, gcj_s = timed(export_layers, layers, Path(tmp) / "gcj", datum="gcj02")
        size = sum(p.stat().st_size for p in (Path(tmp) / "geojson").glob("*.geojson"))
    counts = ", ".join(f"{n} {len(f)}" for n, f in layers.items())
    print(f"export all layers ({counts}) as GeoJSON: {geojson_s:.3f} s = "
          f"{geojson_s / GOAL_EXPORT_S:.2f} × the 0.5 s goal ({size / 1e6:.1f} MB)")
    print(f"  as one GeoPackage: {gpkg_s:.3f} s; GCJ-02 GeoJSON copy: {gcj_s:.3f} s")

    print("structure                         sectors  located  partial  unlocated  unknown")
    for sid, rows in sectors.groupby("structure_id", sort=False):
        status = Counter(rows["status"])
        print(f"{sid:33} {len(rows):7}  {status['located']:7}  {status['partial']:7}  "
              f"{status['unlocated']:9}  {status['unknown']:7}")
    with_sector = sum(bool(s) for s in assigned)
    print(f"projects with at least one sector: {with_sector} of {len(projects)}; "
          f"located projects: {int(projects.geometry.notna().sum())}")
    per_sector = Counter()
    by_text = Counter()
    for entries in assigned:
        for e in entries:
            per_sector[e["name"]] += 1
            by_text[e["name"]] += "text" in e["by"]
    print("most-used sectors (projects, of which named by text):")
    for name, n in per_sector.most_common(12):
        print(f"  {name}: {n} ({by_text[name]})")


if __name__ == "__main__":
    main()
