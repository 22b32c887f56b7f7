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

from geo.paths import DATA_DIR

LINES_DIR = DATA_DIR / "lines"
LINES_FILE = LINES_DIR / "lines.yaml"
LINE_KEYS = {"name", "aliases", "kind", "file", "through", "source", "precision_m", "note"}


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
    merged = linemerge(unary_union(parts)) if parts else None
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
            items = yaml.safe_load(f) or []
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
