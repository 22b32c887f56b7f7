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

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import shapely
import yaml
from shapely.geometry import LineString, Point, Polygon
from shapely.ops import substring, unary_union

from gazetteer.core import NAME_RUNGS
from gazetteer.shapes import shape_of
from geo.boundaries import district_by_name
from geo.crs import METRIC_CRS, STORAGE_CRS, buffer_m, project_geometry
from geo.paths import DATA_DIR
from layers.schema import SECTOR_KIND_LABELS
from layers.spatial.lines import load_lines

STRUCTURES_DIR = DATA_DIR / "structures"
METHODS = ("areas", "districts", "path", "loop", "line")
BELT_BUFFER_M = 2000.0  # the default belt half-width; per sector ``buffer_m`` overrides
LINE_FOOTPRINT_M = 1000.0  # a project within this of an unbuffered line (an axis) is on it
# A member known only to within more than this is a "somewhere in here" circle, not a footprint:
# the sector is drawn but flagged approximate (中梁山, a 15 km ridge, as a 15 km circle).
AREA_APPROXIMATE_M = 5000.0
STRUCTURE_KEYS = {"id", "name", "aliases", "subject", "theme", "sentence", "elements"}
ELEMENT_KEYS = {"label", "kind", "sentence", "sectors", "note"}
SECTOR_KEYS = {"name", "aliases", "geometry", "members", "defined_members", "sentence", "reach",
               "within", "buffer_m", "approximate", "note"}
MEMBER_KEYS = {"text", "place", "source"}
CN_COUNT = {"一": 1, "两": 2, "二": 2, "双": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
            "八": 8, "九": 9, "十": 10}


class StructureError(ValueError):
    """A structure file that cannot be read as written; the message says where and why."""


@dataclass(frozen=True)
class Member:
    text: str  # as the plan writes it
    place: str | None = None  # gazetteer id, when the text alone would resolve wrongly
    source: str = ""  # set when the member is not in the plan's text (a definition we add)


@dataclass(frozen=True)
class SectorDef:
    structure_id: str
    structure: str
    doc_id: str
    subject: str
    label: str
    kind: str
    name: str
    sentence: str  # the sentence that names this sector's members (or the element's/structure's)
    method: str | None  # None: the plan names no members
    members: tuple[Member, ...] = ()
    aliases: tuple[str, ...] = ()
    reach: tuple[str, ...] = ()
    within: tuple[str, ...] = ()
    buffer_m: float | None = None
    approximate: bool = False
    note: str = ""

    @property
    def id(self) -> str:
        digest = hashlib.sha1(f"{self.label}|{self.name}".encode()).hexdigest()[:6]
        return f"{self.structure_id}-{digest}"


@dataclass
class Structure:
    id: str
    name: str
    doc_id: str
    subject: str
    theme: str
    sentence: str
    aliases: tuple[str, ...]
    elements: list[dict] = field(default_factory=list)  # label, kind, sentence, note, sectors
    file: str = ""

    @property
    def sectors(self) -> list[SectorDef]:
        return [s for e in self.elements for s in e["sectors"]]


def label_count(label: str) -> int | None:
    """How many sectors a label promises: 三心 → 3, 一坪两山 → 3, 多网 → None (two or more)."""
    numerals = re.findall(rf"[{''.join(CN_COUNT)}多百]", label)
    if not numerals or any(n in "多百" for n in numerals):
        return None
    return sum(CN_COUNT[n] for n in numerals)


def _fail(where: str, message: str):
    raise StructureError(f"{where}：{message}")


def _check_keys(item, allowed: set, where: str) -> dict:
    if not isinstance(item, dict):
        _fail(where, "应为键值表")
    unknown = set(item) - allowed
    if unknown:
        _fail(where, f"未知字段 {'、'.join(sorted(unknown))}")
    return item


def _texts(value, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        _fail(where, "应为文字列表")
    return tuple(v.strip() for v in value)


def _member(item, where: str) -> Member:
    if isinstance(item, str):
        return Member(item.strip())
    _check_keys(item, MEMBER_KEYS, where)
    if not isinstance(item.get("text"), str):
        _fail(where, "成员缺少 text")
    return Member(item["text"].strip(), item.get("place"), item.get("source", ""))


def _sector(raw, structure: Structure, element: dict, where: str) -> SectorDef:
    _check_keys(raw, SECTOR_KEYS, where)
    if not isinstance(raw.get("name"), str):
        _fail(where, "缺少 name")
    method = raw.get("geometry")
    members = tuple(_member(m, f"{where}.members") for m in raw.get("members") or ())
    defined = raw.get("defined_members") or ()
    members += tuple(_member(m, f"{where}.defined_members") for m in defined)
    if any(m.source == "" for m in members[len(members) - len(defined):]):
        _fail(where, "defined_members 的每个成员须写明 source（规划文本之外的依据）")
    if method is not None and method not in METHODS:
        _fail(where, f"未知几何方法 {method}（可选：{'、'.join(METHODS)}）")
    if method is not None and not members:
        _fail(where, f"几何方法 {method} 需要成员")
    if method is None and members:
        _fail(where, "有成员却未写几何方法 geometry")
    buffer = raw.get("buffer_m")
    if buffer is not None and (not isinstance(buffer, (int, float)) or buffer <= 0):
        _fail(where, "buffer_m 应为正数（米）")
    if buffer is None and method == "line" and element["kind"] == "belt":
        buffer = BELT_BUFFER_M
    within = _texts(raw.get("within"), f"{where}.within")
    unknown = [n for n in within if district_by_name(n) is None]
    if unknown:
        _fail(where, f"within 中的 {'、'.join(unknown)} 不是区县")
    reach = _texts(raw.get("reach"), f"{where}.reach")
    if reach and (method != "line" or len(reach) != 2):
        _fail(where, "reach 只用于 line，且须为起止两处地名")
    return SectorDef(
        structure_id=structure.id, structure=structure.name, doc_id=structure.doc_id,
        subject=structure.subject, label=element["label"], kind=element["kind"],
        name=raw["name"].strip(),
        sentence=raw.get("sentence") or element["sentence"] or structure.sentence,
        method=method, members=members, aliases=_texts(raw.get("aliases"), where),
        reach=reach, within=within,
        buffer_m=float(buffer) if buffer is not None else None,
        approximate=bool(raw.get("approximate", False)), note=raw.get("note", "") or "")


def read_structure_file(path: Path) -> list[Structure]:
    where = path.name
    try:
        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        _fail(where, f"无法读取（{exc}）")
    _check_keys(data, {"doc_id", "structures"}, where)
    doc_id = data.get("doc_id")
    if not isinstance(doc_id, str) or not isinstance(data.get("structures"), list):
        _fail(where, "须有 doc_id 和 structures 列表")
    out = []
    for i, raw in enumerate(data["structures"]):
        at = f"{where} structures[{i}]"
        _check_keys(raw, STRUCTURE_KEYS, at)
        for key in ("id", "name", "sentence"):
            if not isinstance(raw.get(key), str):
                _fail(at, f"缺少 {key}")
        structure = Structure(
            id=raw["id"], name=raw["name"], doc_id=doc_id, subject=raw.get("subject", ""),
            theme=raw.get("theme", ""), sentence=raw["sentence"],
            aliases=_texts(raw.get("aliases"), at), file=path.name)
        for j, el in enumerate(raw.get("elements") or ()):
            el_at = f"{at}.elements[{j}]"
            _check_keys(el, ELEMENT_KEYS, el_at)
            if not isinstance(el.get("label"), str) or el.get("kind") not in SECTOR_KIND_LABELS:
                _fail(el_at, f"须有 label 和 kind（可选：{'、'.join(SECTOR_KIND_LABELS)}）")
            element = {"label": el["label"], "kind": el["kind"],
                       "sentence": el.get("sentence", ""), "note": el.get("note", "") or "",
                       "sectors": []}
            sectors = el.get("sectors")
            if sectors == "unknown":
                # the plan gives the formula only: one row says so, with no geometry
                element["sectors"] = [SectorDef(
                    structure_id=structure.id, structure=structure.name, doc_id=doc_id,
                    subject=structure.subject, label=el["label"], kind=el["kind"],
                    name=el["label"], sentence=el.get("sentence") or structure.sentence,
                    method=None, note=element["note"])]
            elif isinstance(sectors, list) and sectors:
                element["sectors"] = [_sector(s, structure, element, f"{el_at}.sectors[{k}]")
                                      for k, s in enumerate(sectors)]
            else:
                _fail(el_at, "sectors 应为列表，或 unknown（规划未列出成员）")
            structure.elements.append(element)
        if not structure.elements:
            _fail(at, "没有 elements")
        out.append(structure)
    return out


def load_structures(directory: Path = STRUCTURES_DIR) -> list[Structure]:
    structures = [s for path in sorted(Path(directory).glob("*.yaml"))
                  for s in read_structure_file(path)]
    seen: dict[str, str] = {}
    for s in structures:
        if s.id in seen:
            raise StructureError(f"{s.file}：结构 id {s.id} 与 {seen[s.id]} 重复")
        seen[s.id] = s.file
        sector_ids = [d.id for d in s.sectors]
        if len(set(sector_ids)) != len(sector_ids):
            raise StructureError(f"{s.file}：结构 {s.id} 中有重名的单元")
    return structures


# --------------------------------------------------------------------------- geometry


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
    res = gazetteer.resolve(member.text)
    if res.status == "ambiguous":
        return _Resolved(member, None, "地名有歧义：" + "、".join(
            c.place.name if c.place else c.name for c in res.candidates[:3]))
    best = res.best
    if best is None or best.place is None:
        return _Resolved(member, None, "地名库中没有")
    if best.matched_by not in NAME_RUNGS:
        # a curated definition names its places exactly; a guess would put a sector elsewhere
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


# --------------------------------------------------------------------------- assignment


def _footprint(geometry):
    """What a project must touch to lie in a sector: lines get a corridor, areas are themselves."""
    if geometry.geom_type in ("LineString", "MultiLineString"):
        return buffer_m(geometry, LINE_FOOTPRINT_M)
    return geometry


def _probe(geometry):
    """The part of a project that must lie in a sector. An area project is a place's
    precision circle or a district — "somewhere in here" — so its centre decides, not any
    overlap; points and lines count wherever they touch."""
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        centre = geometry.centroid
        return centre if geometry.contains(centre) else geometry.point_on_surface()
    return geometry


# A plan places a project in a sector by writing the sector after a locative word
# (位于嘉陵江智能创新带, 布局在龙盛新城); a sector merely named in the same sentence does not.
LOCATIVE = "位于|地处|坐落于|落户|布局于|布局在|建在|在"


def _project_texts(row) -> tuple[str, str]:
    """(what names the project: its name and section titles, the sentences about it)."""
    titles = [row["name"]]
    sentences = []
    for src in row["sources"] or ():
        titles.extend(src.get("sections") or ())
        sentences.append(src.get("excerpt") or "")
    return "\n".join(titles), "\n".join(sentences)


def assign_sectors(projects, sectors) -> list[list[dict]]:
    """For each project (row order), the sectors it lies in and the sectors its text names.

    Each entry: {id, name, structure, element, kind, approximate, by: ["spatial"] | ["text"]
    | both, text}; ``approximate`` repeats the sector's flag, so a link to a stand-in
    boundary reads as such.
    where ``text`` says what in the plan tied them (a sector name, an alias in the same plan,
    or a member place the project is located by). Spatial means the project's geometry
    intersects the sector's (lines: within ``LINE_FOOTPRINT_M``).
    """
    result: list[dict[str, dict]] = [{} for _ in range(len(projects))]

    def link(i, sector, by, text=""):
        entry = result[i].setdefault(sector["id"], {
            "id": sector["id"], "name": sector["name"], "structure": sector["structure"],
            "element": sector["element"], "kind": sector["kind"],
            "approximate": bool(sector["approximate"]), "by": [], "text": ""})
        if by not in entry["by"]:
            entry["by"].append(by)
        if text and not entry["text"]:
            entry["text"] = text

    geometry_column = sectors.geometry.name
    records = sectors.to_dict("records")  # plain dicts: pandas row access is slow in loops
    located = [(i, g) for i, g in enumerate(projects.geometry) if g is not None and not g.is_empty]
    if located:
        tree = shapely.STRtree([_probe(g) for _, g in located])
        for sector in records:
            footprint = sector[geometry_column]
            if footprint is None or footprint.is_empty:
                continue
            for k in tree.query(_footprint(footprint), predicate="intersects"):
                link(located[k][0], sector, "spatial")
    rows = projects.drop(columns=projects.geometry.name).to_dict("records")
    texts = [_project_texts(row) for row in rows]
    # the places a project is named by (礼嘉智慧公园), not every place in its sentence
    place_ids = [{p["id"] for p in (row["places"] or ())
                  if p.get("id") and any(t in row["name"] for t in p.get("texts") or [p["text"]])}
                 for row in rows]
    doc_ids = [set(row["doc_ids"] or ()) for row in rows]
    for sector in records:
        if sector["name"] == sector["element"]:
            continue  # a placeholder (三轴, 七横 …): the plan names nothing to find
        own_doc_names = [a for a in sector["aliases"] if len(a) >= 2]
        member_ids: dict[str, str] = {}
        if not sector["approximate"] and sector["method"] in ("areas", "districts", "path",
                                                               "loop"):
            member_ids = {m["id"]: m["text"] for m in sector["members"] if m["id"]}
        located_at = re.compile(rf"(?:{LOCATIVE}){re.escape(sector['name'])}")
        for i, (titles, sentences) in enumerate(texts):
            names = [sector["name"], *own_doc_names] if sector["doc_id"] in doc_ids[i] \
                else [sector["name"]]
            said = next((a for a in names if a in titles), None)
            if said is None and located_at.search(sentences):
                said = sector["name"]
            if said:
                link(i, sector, "text", said)
            elif member_ids and place_ids[i] & set(member_ids):
                member = member_ids[next(iter(place_ids[i] & set(member_ids)))]
                link(i, sector, "text", f"成员地名：{member}")
    # in the order the structures define them, so a project's list reads like the plans
    order = {sid: n for n, sid in enumerate(sectors["id"])}
    return [sorted(r.values(), key=lambda e: order[e["id"]]) for r in result]
