"""Regional names that are unions of districts (主城都市区, 渝东北三峡库区城镇群, 三北 …), from
``data/gazetteer/regions.yaml``: a region's shape is the union of its members' polygons, its
point a point inside it. A member may be another region."""

from __future__ import annotations

from pathlib import Path

from gazetteer.places import GAZETTEER_DIR, Place
from geo.city import CITY
from geo.datafile import load_yaml

REGIONS_FILE = GAZETTEER_DIR / "regions.yaml"
SIMPLIFY_DEG = 0.0005


def read_regions(path: Path = REGIONS_FILE) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return load_yaml(fh)["regions"]


def region_places(path: Path = REGIONS_FILE) -> list[tuple[Place, object]]:
    import shapely

    from gazetteer.shapes import representative_point
    from gazetteer.sources import licence_of
    from geo.boundaries import district_by_name
    from geo.crs import equivalent_radius_m

    regions = read_regions(path)
    by_name = {r["name"]: r for r in regions}

    def districts_of(name: str, seen=()) -> list:
        if name in by_name:
            if name in seen:
                raise ValueError(f"{path.name}: {name} 的成员循环引用")
            return [d for m in by_name[name]["members"] for d in districts_of(m, (*seen, name))]
        district = district_by_name(name) or district_by_name(name + "区") \
            or district_by_name(name + "县")
        if district is None:
            raise ValueError(f"{path.name}: 未知成员 {name}")
        return [district]

    out = []
    for r in regions:
        members = {d.adcode: d for d in districts_of(r["name"])}
        # A region's edge needs no more than ~50 m: its members' own polygons keep the detail.
        union = shapely.unary_union([d.geometry for d in members.values()]).simplify(
            SIMPLIFY_DEG, preserve_topology=True)
        lon, lat = representative_point(union)
        names = "、".join(d.short_name for d in members.values())
        note = f"{len(members)} 个区县：{names}"
        if r.get("note"):
            note += f"；{r['note']}"
        if r.get("sentence"):
            note += f"；规划原文：{r['sentence']}"
        out.append((Place(
            id=f"r-{r['name']}", name=r["name"], aliases=tuple(r.get("aliases") or ()),
            kind="region", geometry="area", district=CITY.name, adcode=CITY.adcode, lon=lon, lat=lat,
            precision_m=round(equivalent_radius_m(union), -2), source=r["source"],
            licence=licence_of(r["source"]), note=note), union))
    return out
