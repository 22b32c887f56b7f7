"""OpenStreetMap-derived extracts (ODbL 1.0, © OpenStreetMap contributors).

Rows derived from them carry ``licence`` = the ODbL notice, and the derived tables are offered
under the ODbL too (README: "Data, sources and licences").
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from geo.city import CITY
from geo.paths import BUILD_DIR

# Chongqing's bounding box with a margin; the district polygons decide membership.
STATIONS_ZIP = "oData-railway-station/Railway-station_oData.zip"


def read_stations(mirror: Path, cache_dir: Path = BUILD_DIR / "sources") -> list[dict]:
    """OSM stations (train, subway, monorail, tram) with a name, inside the bounding box:
    [{name, station, lon, lat}]."""
    import pyogrio

    from gazetteer.sources import snapshot_bytes

    target = cache_dir / "omap-stations"
    shp = target / "Railway-station_oData.shp"
    if not shp.exists():
        data = snapshot_bytes("osm-omap-stations", STATIONS_ZIP, mirror)
        target.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            archive.extractall(target)
    frame = pyogrio.read_dataframe(shp, bbox=CITY.bbox, encoding="utf-8")
    frame = frame[frame["name"].notna() & (frame["name"].str.strip() != "")]
    return [{"name": r.name.strip(), "station": r.station, "lon": round(r.geometry.x, 7),
             "lat": round(r.geometry.y, 7)} for r in frame.itertuples()]


STATION_PRECISION_M = 300.0  # a station's own extent: platforms, squares, entrances
STATION_KINDS = {"train": "铁路车站", "subway": "地铁站", "monorail": "单轨站"}


def station_places(stations: list[dict], taken: set[tuple[str, str]]):
    """One Place per station name per district ("礼嘉" → 礼嘉站), several OSM nodes of one
    name (metro and monorail platforms) at their mean, the spread widening the precision.
    ``taken``: (adcode, normalised name) already held by a hand-kept row, which wins here and
    is checked against the station by ``gazetteer verify``."""
    from gazetteer.normalise import normalise
    from gazetteer.places import Place
    from gazetteer.sources import licence_of
    from geo.boundaries import county_level, districts_at
    from geo.crs import distance_m

    districts = {d.adcode: d for d in county_level()}
    adcodes = districts_at([s["lon"] for s in stations], [s["lat"] for s in stations])
    groups: dict[tuple[str, str], list[dict]] = {}
    for s, adcode in zip(stations, adcodes, strict=True):
        if adcode:
            groups.setdefault((adcode, s["name"].removesuffix("站") + "站"), []).append(s)
    places = []
    for (adcode, name), nodes in sorted(groups.items()):
        if (adcode, normalise(name)) in taken:
            continue
        lon = sum(n["lon"] for n in nodes) / len(nodes)
        lat = sum(n["lat"] for n in nodes) / len(nodes)
        spread = max(float(distance_m(lon, lat, n["lon"], n["lat"])) for n in nodes)
        kinds = "、".join(sorted({STATION_KINDS.get(n["station"], n["station"]) for n in nodes}))
        district = districts[adcode]
        places.append(Place(
            id=f"s-{adcode}-{name}", name=name, aliases=(), kind="station",
            district=district.name, adcode=adcode, lon=round(lon, 6), lat=round(lat, 6),
            precision_m=max(STATION_PRECISION_M, round(spread + 150, -2)),
            source="osm-omap-stations", licence=licence_of("osm-omap-stations"),
            note=f"OSM {kinds}（{len(nodes)} 个节点）",
        ))
    return places
