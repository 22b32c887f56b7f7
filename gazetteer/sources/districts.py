"""The municipality and its districts/counties: a point at each seat, the polygon kept apart.

A district's name lands at its seat (区/县政府驻地), as every planner and every web map expects:
adcode-vonng's county points are Amap's district centres, which Amap puts at the seat (GCJ-02,
converted here). The polygon (``data/boundaries``) stays the district's geometry; the precision
is the radius of a circle of the district's area, because the name denotes the whole district.
"""

from __future__ import annotations

from pathlib import Path

from gazetteer.places import Place
from geo.boundaries import BOUNDARIES_FILE, county_level, municipality, short_name
from geo.city import CITY
from geo.crs import equivalent_radius_m


def seat_points(mirror: Path) -> dict[str, dict]:
    """{district short name (重庆 for the municipality): {name, code, lon, lat}} from
    adcode-vonng's province and county rows."""
    from gazetteer.sources.towns import adcode_points, read_adcode_rows

    rows = read_adcode_rows(mirror)
    seats = {key[0]: v for key, v in adcode_points(rows, "county").items()}
    province = adcode_points([{**r, "county": CITY.short_name} for r in rows if r["level"] == "province"],
                             "province")
    seats.update({key[0]: v for key, v in province.items()})
    return seats


def district_places(mirror: Path) -> list[Place]:
    from gazetteer.sources import licence_of

    seats = seat_points(mirror)
    places = []
    for d in (municipality(), *county_level()):
        short = CITY.short_name if d.level == "municipality" else d.short_name
        seat = seats.get(short)
        if seat is None:
            raise ValueError(f"adcode-vonng 没有 {d.name} 的驻地点")
        aliases = (short,) if short != d.name else ()
        places.append(Place(
            id=f"d-{d.adcode}", name=d.name, aliases=aliases,
            kind="municipality" if d.level == "municipality" else "district", geometry="area",
            district=d.name, adcode=d.adcode, lon=seat["lon"], lat=seat["lat"],
            precision_m=round(equivalent_radius_m(d.geometry), -2), source="adcode-vonng",
            licence=licence_of("adcode-vonng"), checked_against="",
            note=f"point = seat (adcode-vonng {seat['code']} {seat['name']}, GCJ-02 → WGS84); "
                 f"geometry: {BOUNDARIES_FILE.relative_to(BOUNDARIES_FILE.parents[2])}",
        ))
    return places


__all__ = ["district_places", "seat_points", "short_name"]
