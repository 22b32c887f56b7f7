"""Places that are lines: metro and suburban rail routes (OSM), rivers (World Data Bank II).

Metro routes come as one OSM relation per direction; a line's shape is the union of its routes
(both directions, branches and extensions that bear its name), merged. Services that run over
other lines' tracks (4–环–5直通快速, 10号线快速) are not lines of their own.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from gazetteer.places import Place
from geo.city import CITY
from geo.datafile import load_yaml

METRO_INDEX = "public/data/lines/China.json"
METRO_GEOMETRY = "public/data/geometry/{id}.json"
# "重庆轨道交通1号线：璧山 → 朝天门" → line "重庆轨道交通1号线"; a service over other lines' tracks
# (直通快速, 快速) is skipped.
_ROUTE_NAME = re.compile(r"^(?P<line>重庆(?:轨道交通|市郊铁路)[^：:]+?)\s*[：:]")
_SERVICE = re.compile(r"快速|直通")
LINE_PRECISION_M = 50.0  # OSM traces the track; the representative point is on it


def metro_aliases(name: str) -> tuple[str, ...]:
    """重庆轨道交通1号线 → 1号线, 轨道交通1号线, 轨道1号线, 地铁1号线; 重庆市郊铁路江跳线 → 江跳线 …
    (the scanner never takes "1号线" out of "11号线": a match may not start after a digit)."""
    short = name.removeprefix("重庆轨道交通").removeprefix("重庆市郊铁路")
    if short.endswith("号线"):
        return (short, f"轨道交通{short}", f"轨道{short}", f"地铁{short}")
    if short == "环线":
        return (f"轨道交通{short}", f"轨道{short}", f"地铁{short}")
    return (short, f"市郊铁路{short}")


def metro_lines(mirror: Path) -> list[tuple[Place, object]]:
    """[(place, shapely line)] of every Chongqing metro/suburban line the extract has."""
    import shapely
    from shapely.geometry import shape

    from gazetteer.shapes import representative_point
    from gazetteer.sources import licence_of, snapshot_bytes

    routes = json.loads(snapshot_bytes("osm-metrodrifter", METRO_INDEX, mirror))
    parts: dict[str, list] = {}
    for route in routes:
        if route.get("city") != CITY.short_name:
            continue
        m = _ROUTE_NAME.match(route["name"])
        if m is None or _SERVICE.search(route["name"]):
            continue
        line = m.group("line").replace("国博支线", "")  # the 国博 branch is part of line 6
        data = json.loads(snapshot_bytes("osm-metrodrifter",
                                         METRO_GEOMETRY.format(id=route["id"]), mirror))
        geoms = [shape(f["geometry"]) for f in data["features"] if f.get("geometry")]
        parts.setdefault(line, []).extend(geoms)
    out = []
    for name, geoms in sorted(parts.items()):
        merged = shapely.line_merge(shapely.unary_union(geoms))
        lon, lat = representative_point(merged)
        out.append((Place(
            id=f"l-osm-{name}", name=name, aliases=metro_aliases(name), kind="rail",
            geometry="line", district=CITY.name, adcode=CITY.adcode, lon=lon, lat=lat,
            precision_m=LINE_PRECISION_M, source="osm-metrodrifter",
            licence=licence_of("osm-metrodrifter"),
            note=f"OSM 线路关系 {len(geoms)} 段合并", ), merged))
    return out


def river_lines() -> list[tuple[Place, object]]:
    """The rivers data/lines holds (extracted from World Data Bank II by python -m layers
    rivers), as gazetteer places."""
    from shapely.geometry import shape
    from shapely.ops import linemerge, unary_union

    from gazetteer.shapes import representative_point
    from gazetteer.sources import licence_of
    from geo.paths import DATA_DIR

    lines_dir = DATA_DIR / "lines"
    items = load_yaml((lines_dir / "lines.yaml").read_text(encoding="utf-8")) or []
    out = []
    for item in items:
        if item.get("kind") != "river" or "file" not in item:
            continue
        data = json.loads((lines_dir / item["file"]).read_text(encoding="utf-8"))
        merged = unary_union([shape(f["geometry"]) for f in data["features"]])
        if merged.geom_type == "MultiLineString":
            merged = linemerge(merged)
        lon, lat = representative_point(merged)
        out.append((Place(
            id=f"l-river-{item['name']}", name=item["name"], aliases=tuple(item.get("aliases") or ()),
            kind="water", geometry="line", district=CITY.name, adcode=CITY.adcode, lon=lon, lat=lat,
            precision_m=float(item.get("precision_m") or 1000), source="wdb2-rivers",
            licence=licence_of("wdb2-rivers"), note=f"河道中心线：data/lines/{item['file']}"),
            merged))
    return out
