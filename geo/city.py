"""The city profile (``data/city.yaml``): name, prefixes, codes, boundary file, metric CRS,
map centre. Read once, here; every package asks this module rather than naming the city."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from geo.datafile import load_yaml
from geo.paths import DATA_DIR

CITY_FILE = DATA_DIR / "city.yaml"


@dataclass(frozen=True)
class City:
    name: str
    short_name: str
    prefixes: tuple[str, ...]
    adcode: str
    province_code: str
    geonames_admin1: str
    boundary_file: Path
    metric_crs: str
    map_centre: tuple[float, float]  # lat, lon (folium's order)
    bbox: tuple[float, float, float, float]  # min lon, min lat, max lon, max lat
    neighbours: tuple[str, ...] = ()  # province codes a route leaving the city may end in


def load_city(path: Path = CITY_FILE) -> City:
    with open(path, encoding="utf-8") as f:
        raw = load_yaml(f)
    return City(
        name=raw["name"], short_name=raw["short_name"], prefixes=tuple(raw["prefixes"]),
        adcode=str(raw["adcode"]), province_code=str(raw["province_code"]),
        geonames_admin1=str(raw["geonames_admin1"]),
        boundary_file=path.parent / raw["boundary_file"], metric_crs=raw["metric_crs"],
        map_centre=(float(raw["map_centre"]["lat"]), float(raw["map_centre"]["lon"])),
        bbox=tuple(float(v) for v in raw["bbox"]),
        neighbours=tuple(str(v) for v in raw.get("neighbours") or ()))


CITY = load_city()
