"""The Place noun and the gazetteer's data files.

Every row of every file under ``data/gazetteer/`` (``districts.csv``, ``towns.csv``,
``curated.csv``) has the columns of ``COLUMNS``; ``load_places`` reads them all into Places.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from geo.paths import DATA_DIR

GAZETTEER_DIR = DATA_DIR / "gazetteer"
PLACE_FILES = ("districts.csv", "towns.csv", "stations.csv", "lines.csv", "regions.csv",
               "curated.csv")
COLUMNS = (
    "id", "name", "aliases", "kind", "geometry", "district", "adcode", "lon", "lat",
    "precision_m", "source", "licence", "checked_against", "note",
)
# What a place is on a map. lon/lat is always its representative point (a district's seat, a
# point on a line); a line's or area's shape is in shapes.geojson (districts: data/boundaries).
GEOMETRIES = ("point", "line", "area")
RECALL_SOURCE = "recall"  # data/gazetteer/sources.yaml: a coordinate from memory
KINDS = {
    "municipality": "直辖市",
    "district": "区县",
    "town": "街道/镇/乡",
    "area": "片区/新城/园区",
    "port": "港口",
    "airport": "机场",
    "station": "车站/枢纽",
    "water": "水体",
    "mountain": "山体",
    "campus": "校园/机构",
    "road": "道路",
    "bridge": "桥梁",
    "tunnel": "隧道",
    "rail": "轨道",
    "landmark": "地标",
    "region": "区域（区县组合）",
    "planner": "规划师指定",  # a place a planner pointed on the map (gazetteer/planner.py)
}
# When one name fits several places equally well, planning places rank before
# administrative units of the same name: a plan saying 悦来 means the 片区 before the 街道.
KIND_RANK = {k: i for i, k in enumerate(
    ("planner", "area", "port", "airport", "station", "campus", "water", "mountain", "landmark", "bridge",
     "tunnel", "road", "rail", "town", "district", "region", "municipality")
)}


@dataclass(frozen=True)
class Place:
    id: str
    name: str
    aliases: tuple[str, ...]
    kind: str
    district: str
    adcode: str
    lon: float
    lat: float
    precision_m: float
    source: str
    licence: str = ""
    checked_against: str = ""
    note: str = ""
    file: str = field(default="", compare=False)
    geometry: str = "point"  # point | line | area: what the place is on a map

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    @property
    def unverified(self) -> bool:
        """A coordinate from memory with no independent check: shown as 未核实."""
        return self.source == RECALL_SOURCE and not self.checked_against

    def as_dict(self) -> dict:
        return {
            "id": self.id, "name": self.name, "aliases": list(self.aliases), "kind": self.kind,
            "geometry": self.geometry,
            "district": self.district, "adcode": self.adcode, "lon": self.lon, "lat": self.lat,
            "precision_m": self.precision_m, "source": self.source, "licence": self.licence,
            "checked_against": self.checked_against, "note": self.note,
        }


class DataError(ValueError):
    """A gazetteer data row that cannot be read; the message names file and line."""


def _place_from_row(row: dict, where: str) -> Place:
    try:
        return Place(
            id=row["id"].strip(),
            name=row["name"].strip(),
            aliases=tuple(a.strip() for a in (row.get("aliases") or "").split("|") if a.strip()),
            kind=row["kind"].strip(),
            district=row["district"].strip(),
            adcode=row["adcode"].strip(),
            lon=float(row["lon"]),
            lat=float(row["lat"]),
            precision_m=float(row["precision_m"]),
            source=row["source"].strip(),
            licence=(row.get("licence") or "").strip(),
            checked_against=(row.get("checked_against") or "").strip(),
            note=(row.get("note") or "").strip(),
            file=where,
            geometry=(row.get("geometry") or "point").strip(),
        )
    except (KeyError, TypeError, ValueError) as exc:
        name = where.split(":")[0]
        remedy = "该文件由人工维护，请改正该行" if name in HAND_KEPT_FILES else REBUILD_HINT
        raise DataError(f"{where}: 无法读取该行（{exc}）；{remedy}") from exc


HAND_KEPT_FILES = ("curated.csv",)
REBUILD_HINT = "运行 python -m gazetteer build 重建（见 README“Refreshing the sources”）"


def _remedy(path: Path) -> str:
    return ("该文件由人工维护，请从版本库恢复" if path.name in HAND_KEPT_FILES else REBUILD_HINT)


def read_place_file(path: Path) -> list[Place]:
    path = Path(path)
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or ())]
            if missing:
                raise DataError(f"{path.name}: 缺少列 {', '.join(missing)}；{_remedy(path)}")
            return [_place_from_row(row, f"{path.name}:{i}") for i, row in enumerate(reader, 2)]
    except FileNotFoundError as exc:
        raise DataError(f"地名库文件 {path} 不存在；{_remedy(path)}") from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"{path.name} 已损坏（{exc}）；{_remedy(path)}") from exc


def write_place_file(path: Path, places: list[Place]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for p in places:
            row = p.as_dict()
            row["aliases"] = "|".join(p.aliases)
            row["lon"] = f"{p.lon:.6f}"
            row["lat"] = f"{p.lat:.6f}"
            row["precision_m"] = f"{p.precision_m:.0f}"
            writer.writerow(row)


def load_places(directory: Path = GAZETTEER_DIR) -> list[Place]:
    places: list[Place] = []
    for name in PLACE_FILES:  # every file is required: a missing one is an error, not fewer places
        places.extend(read_place_file(Path(directory) / name))
    return places
