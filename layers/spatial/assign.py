"""Projects → sectors: a project belongs to a sector when its geometry meets the sector's
footprint (spatial), or when its text, in the sector's own plan, names the sector (textual).
"""

from __future__ import annotations

import re

import shapely

from geo.crs import buffer_m

# --------------------------------------------------------------------------- assignment

LINE_FOOTPRINT_M = 1000.0  # a project within this of an unbuffered line (an axis) is on it


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
            said = None
            # a plan's sector names mean that plan's sector: 大学城 in the city plan's
            # 大学城复线隧道 is no sign of the 科学城 plan's 大学城 support
            if sector["doc_id"] in doc_ids[i]:
                names = [sector["name"], *own_doc_names]
                said = next((a for a in names if a in titles), None)
                if said is None and located_at.search(sentences):
                    said = sector["name"]
            if said:
                link(i, sector, "text", said)
            elif member_ids and not place_ids[i].isdisjoint(member_ids):
                # the first in the structure's own order (a set's order changes per process)
                member = next(text for pid, text in member_ids.items() if pid in place_ids[i])
                link(i, sector, "text", f"成员地名：{member}")
    # in the order the structures define them, so a project's list reads like the plans
    order = {sid: n for n, sid in enumerate(sectors["id"])}
    return [sorted(r.values(), key=lambda e: order[e["id"]]) for r in result]
