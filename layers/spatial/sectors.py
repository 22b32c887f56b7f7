"""Spatial structures → sectors: one GeoDataFrame row per sector, built from declarative YAML.

A *structure* is a plan's formula for its space (两江新区 “一核两带、三心四城、多网融合”); its
*elements* are the formula's parts (一核, 两带 …); each element holds *sectors*, the things a
planner points at (城市发展核, 长江绿色开放带, 嘉陵江智能创新带 …). Definitions live in
``data/structures/*.yaml`` (schema in that folder's README); this module validates them and
makes each sector's geometry:

- ``areas``     union of the members' areas: a district polygon, or a buffer of the member's
                point by its precision (the place is "somewhere in here");
- ``districts`` union of district polygons (一区两群); ``approximate: true`` when a district only
                stands in for a part of it (科学城沙坪坝片区);
- ``path``      a line through the members in order, schematic (串联 A—B—C);
- ``loop``      a closed ring through the members in order, as an area, schematic (闭合“心”形);
- ``line``      named linear features (rivers, roads) from ``layers.spatial.lines``, optionally cut to a
                ``reach`` between two places and buffered (``buffer_m``; belts default 2 km).

Any sector may be clipped to districts (``within``). Metric work happens in ``geo.crs``'s
projected CRS. Elements whose members the plan does not name become one placeholder row with
no geometry, so the structure and its sentence are still on the map's list.
"""

from __future__ import annotations

from dataclasses import dataclass

import shapely
from shapely.geometry import LineString, Point, Polygon
from shapely.ops import substring, unary_union

from gazetteer.index import NAME_RUNGS
from gazetteer.shapes import shape_of
from geo.boundaries import district_by_name
from geo.crs import METRIC_CRS, STORAGE_CRS, buffer_m, project_geometry
from layers.schema import SECTOR_KIND_LABELS
from layers.spatial.lines import load_lines

# --------------------------------------------------------------------------- geometry
from layers.spatial.structures import Member, SectorDef, Structure

# A member known only to within more than this is a "somewhere in here" circle, not a footprint:
# the sector is drawn but flagged approximate (中梁山, a 15 km ridge, as a 15 km circle).
AREA_APPROXIMATE_M = 5000.0


@dataclass
class _Resolved:
    member: Member
    place: object | None  # gazetteer Place
    reason: str = ""


def _resolve_member(member: Member, gazetteer) -> _Resolved:
    if member.place:
        place = gazetteer.place(member.place)
        if place is None:
            return _Resolved(member, None, f"地名库中没有 {member.place}")
        return _Resolved(member, place)
    # by name only: a reading or spelling guess would put a sector elsewhere (and the
    # homophone table costs a cold build a quarter second)
    res = gazetteer.resolve(member.text, fuzzy=False)
    if res.status == "ambiguous":
        return _Resolved(member, None, "地名有歧义：" + "、".join(
            c.place.name if c.place else c.name for c in res.candidates[:3]))
    best = res.best
    if best is None or best.place is None:
        return _Resolved(member, None, "地名库中没有")
    if best.matched_by not in NAME_RUNGS:
        # a curated definition names its places exactly (a longer name it begins is not it)
        return _Resolved(member, None, f"地名库只有近似匹配 {best.place.name}，请在定义中写明 place")
    return _Resolved(member, best.place)


def _district_geometry(place):
    """A district's own polygon (a former district's old one, as the plans meant it)."""
    return shape_of(place) if place.kind == "district" else None


def _area_of(place):
    return _district_geometry(place) or buffer_m(Point(place.lon, place.lat),
                                                 place.precision_m or 1000.0)


def _reach(line, start, end):
    """The part of ``line`` between the points nearest to two places (metric, WGS84 in/out)."""
    metric = project_geometry(line)
    a = metric.project(project_geometry(Point(start.lon, start.lat)))
    b = metric.project(project_geometry(Point(end.lon, end.lat)))
    part = substring(metric, min(a, b), max(a, b))
    return project_geometry(part, METRIC_CRS, STORAGE_CRS)


def sector_geometry(sector: SectorDef, gazetteer, lines) -> dict:
    """Geometry and its honesty flags for one sector (see the module doc for the methods)."""
    out = {"geometry": None, "schematic": False, "approximate": sector.approximate,
           "members": [], "status": "unknown", "reason": "", "precision_m": None}
    if sector.method is None:
        out["reason"] = sector.note or "规划只给出名称或格局，未写明成员"
        return out
    resolved = []
    for m in sector.members:
        if sector.method == "line":
            feature = lines.get(m.text)
            r = _Resolved(m, None, "" if feature else "线状地物库中没有")
            resolved.append((r, feature))
        else:
            resolved.append((_resolve_member(m, gazetteer), None))
    located = [(r, f) for r, f in resolved if r.place is not None or f is not None]
    out["members"] = [{
        "text": r.member.text,
        "id": r.place.id if r.place else (f.name if f else None),
        "name": r.place.name if r.place else (f.name if f else None),
        "precision_m": r.place.precision_m if r.place else None,
        "source": r.member.source or (f.source if f else (r.place.source if r.place else "")),
        "status": "located" if (r.place or f) else "unlocated",
        "reason": r.reason,
    } for r, f in resolved]
    missing = [r.member.text + "（" + r.reason + "）" for r, f in resolved
               if r.place is None and f is None]
    geometry = None
    if sector.method in ("areas", "districts"):
        parts = []
        for r, _ in located:
            if sector.method == "districts":
                district = _district_geometry(r.place)
                if district is None:
                    missing.append(f"{r.member.text}（不是区县）")
                    continue
                parts.append(district)
            else:
                parts.append(_area_of(r.place))
        geometry = unary_union(parts) if parts else None
        precisions = [r.place.precision_m for r, _ in located
                      if r.place.kind != "district" and r.place.precision_m]
        out["precision_m"] = max(precisions) if precisions else None
        if sector.method == "areas" and out["precision_m"] and \
                out["precision_m"] > AREA_APPROXIMATE_M:
            out["approximate"] = True
            out["reason"] = f"成员定位精度仅 {out['precision_m'] / 1000:g} 公里，范围为近似"
    elif sector.method in ("path", "loop"):
        points = [(r.place.lon, r.place.lat) for r, _ in located]
        out["schematic"] = True
        if sector.method == "path" and len(points) >= 2:
            geometry = LineString(points)
        elif sector.method == "loop" and len(points) >= 3:
            geometry = shapely.make_valid(Polygon(points))
        elif points:
            missing.append(f"可定位的成员不足 {2 if sector.method == 'path' else 3} 处")
        out["precision_m"] = max((r.place.precision_m for r, _ in located), default=None)
    elif sector.method == "line":
        found = [f for _, f in located]
        out["schematic"] = any(f.schematic for f in found)
        geometry = unary_union([f.geometry for f in found]) if found else None
        if geometry is not None and sector.reach:
            ends = [_resolve_member(Member(t), gazetteer) for t in sector.reach]
            if all(e.place for e in ends) and geometry.geom_type == "LineString":
                geometry = _reach(geometry, ends[0].place, ends[1].place)
            else:
                missing.append("起止地名未能定位或线不连续：" + "、".join(sector.reach))
        if found:
            out["precision_m"] = max(f.precision_m for f in found)
    if geometry is not None and sector.buffer_m:
        geometry = buffer_m(geometry, sector.buffer_m)
    if geometry is not None and sector.within:
        clip = unary_union([district_by_name(n).geometry for n in sector.within])
        geometry = geometry.intersection(clip)
    if geometry is not None and geometry.is_empty:
        geometry = None
    out["geometry"] = geometry
    if geometry is None:
        out["status"] = "unlocated"
    else:
        out["status"] = "partial" if missing else "located"
    out["reason"] = "；".join(x for x in ("未定位：" + "、".join(missing) if missing else "",
                                          out["reason"]) if x)
    if sector.note:
        out["reason"] = "；".join(x for x in (out["reason"], sector.note) if x)
    return out


def sectors_frame(structures: list[Structure], gazetteer, lines=None):
    """Every sector of every structure as a GeoDataFrame (EPSG:4326)."""
    import geopandas as gpd

    lines = load_lines(gazetteer) if lines is None else lines
    rows = []
    for s in structures:
        for d in s.sectors:
            g = sector_geometry(d, gazetteer, lines)
            rows.append({
                "id": d.id, "name": d.name, "aliases": list(d.aliases),
                "structure_id": s.id, "structure": s.name, "subject": s.subject,
                "theme": s.theme, "element": d.label, "kind": d.kind, "kind_label": SECTOR_KIND_LABELS[d.kind],
                "doc_id": s.doc_id, "sentence": d.sentence, "structure_sentence": s.sentence,
                "members": g["members"], "method": d.method or "",
                "buffer_m": d.buffer_m, "approximate": g["approximate"],
                "schematic": g["schematic"], "precision_m": g["precision_m"],
                "status": g["status"], "reason": g["reason"],
                "source": f"{s.doc_id}：{d.sentence}", "geometry": g["geometry"],
            })
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=STORAGE_CRS)
