"""Projects named in plan documents, each with its sources, places and geometry.

Where a plan names projects, and how this module reads them:

- 专栏 entries: ``名称：描述`` (the label is the project: 超瞬态实验装置：依托重庆大学…) or
  ``类别。item、item、item`` (the label is a category, the items are projects);
- enumerations ending in a list tail ("推动A、B、C等项目建设") or following a collective
  ("十大工程包括A，B，…");
- blocks of an article named by a line of their own (果园港枢纽港建设工程);
- named entities elsewhere (加快打造果园港国际枢纽经济产业园) — only when the name holds a
  place the gazetteer locates, because a bare "X中心" in running text is as often a goal.

Precision comes before recall: a name must end like a project (工程, 基地, 大桥 … see
``data/ingest/rules.yaml``), must not open with a generic word (一批, 重大 …) and must not be a
collective (十大工程). The same name in two plans, or twice in one, is one project with every
source listed.
"""

from __future__ import annotations

from layers.ingest.candidates import extract_candidates
from layers.ingest.gate import anchored
from layers.ingest.items import LENT_HEADS
from layers.ingest.locate import locate, mentions_in, plan_district

# --------------------------------------------------------------------------- assembling
from layers.ingest.model import FOUND_BY_RANK, Candidate, Project, Source
from layers.ingest.names import name_key, project_id, without_asides
from layers.ingest.rules import category_of
from layers.schema import STORAGE_CRS


def _source(c: Candidate) -> Source:
    doc = c.doc
    a, b = c.span
    start, end = doc.to_original(a), doc.to_original(min(b, len(doc.clean)))
    path = tuple(s.heading for s in doc.path_at(doc.to_original(c.section_at)))
    return Source(doc.doc_id, path, start, end, doc.clean[a:b].strip(), c.found_by)


def extract_projects(documents, gazetteer) -> list[Project]:
    """Every project of ``documents``, merged by name across documents and repeats."""
    merged: dict[str, Project] = {}
    descriptions: dict[str, str] = {}
    context = {doc.doc_id: plan_district(gazetteer, doc) for doc in documents}
    for doc in documents:
        for c in extract_candidates(doc, gazetteer):
            key = name_key(c.name)
            source = _source(c)
            project = merged.get(key)
            if project is None:
                project = merged[key] = Project(project_id(c.name), c.name, "")
            same = next((s for s in project.sources if (s.doc_id, s.start, s.end) ==
                         (source.doc_id, source.start, source.end)), None)
            if same is None:
                project.sources.append(source)
            elif FOUND_BY_RANK[source.found_by] < FOUND_BY_RANK[same.found_by]:
                project.sources[project.sources.index(same)] = source
            if c.description and not descriptions.get(key):
                descriptions[key] = c.description
    _drop_fragments(merged, gazetteer)
    for key, project in merged.items():
        project.sources.sort(key=lambda s: (s.doc_id, s.start))
        best = min(project.sources, key=lambda s: FOUND_BY_RANK[s.found_by])
        # innermost section title first, then the name
        project.category = category_of((*reversed(best.sections), project.name))
        # the plan's own district decides shared names, when every plan naming it agrees
        plans = {context[d] for d in project.doc_ids}
        district = plans.pop() if len(plans) == 1 else None
        name, name_mentions = _located_name(gazetteer, project.name, district)
        desc = descriptions.get(key, "")
        desc_mentions = mentions_in(gazetteer, desc, district) if desc else []
        locate(project, name_mentions, desc_mentions, gazetteer, desc, name)
    return sorted(merged.values(), key=lambda p: (p.sources[0].doc_id, p.sources[0].start))


def _located_name(gazetteer, name: str, district: str | None):
    """(the name to locate by, its place mentions): the name without its bracketed asides when
    that is one known place whole (…中心医院（重庆市急救医疗中心）科学城院区), else the name."""
    plain = without_asides(name)
    if plain != name:
        mentions = mentions_in(gazetteer, plain, district)
        if any(m.place_id and m.status == "auto" and m.start == 0 and m.end == len(plain)
               for m in mentions):
            return plain, mentions
    return name, mentions_in(gazetteer, name, district)


def forget_texts(gazetteer) -> None:
    """Drop every cache keyed by text (places found in a text, list items read, answers), so
    the next extraction pays for its texts as a new plan would; rules stay loaded."""
    from layers.ingest import items, locate, names

    locate._MENTION_CACHE.clear()
    for cached in (items.names_in_item, items.shared_head, items.is_site_name, names.clean_item,
                   names.project_suffix):
        cached.cache_clear()
    gazetteer.index.answers.clear()
    gazetteer.index.locations.clear()


def _drop_fragments(merged: dict[str, Project], gazetteer) -> None:
    """Names that are pieces of another project's name, where both are read:

    - a name found only as an entity that is the tail of another project's name in the same
      plan (水土新城建设工程 of 鱼复、龙兴、水土新城建设工程);
    - a name that another name in the same sentence holds whole: as its tail when the tail
      is read in running text and anchored to nothing of its own (示范项目 of 重点石窟寺保护利用示范项目; 8号线 and 大学城
      are not pieces of 18号线 and 重庆大学城), or before a shared head the list lent it (垫江永安
      of 垫江永安水库, read once as a site and once with the list's head).
    """
    by_doc: dict[str, list[str]] = {}
    by_sentence: dict[tuple[str, int, int], set[str]] = {}
    for key, p in merged.items():
        for d in p.doc_ids:
            by_doc.setdefault(d, []).append(key)
        for s in p.sources:
            by_sentence.setdefault((s.doc_id, s.start, s.end), set()).add(key)
    for key in list(merged):
        p = merged[key]
        loose = not anchored(gazetteer, p.name)
        p.sources = [s for s in p.sources if not any(
            other != key and (loose and s.found_by != "entry" and other.endswith(key)
                              or other.startswith(key)
                              and other[len(key):] in LENT_HEADS)
            for other in by_sentence[(s.doc_id, s.start, s.end)])]
        if not p.sources:
            del merged[key]
            continue
        if any(s.found_by != "entity" for s in p.sources):
            continue
        docs = p.doc_ids
        if all(any(other != key and other.endswith(key) for other in by_doc[d]) for d in docs):
            del merged[key]


def projects_frame(projects: list[Project]):
    """Projects as a GeoDataFrame in EPSG:4326; list columns hold Python lists."""
    import geopandas as gpd

    rows = []
    for p in projects:
        first = p.sources[0]
        rows.append({
            "id": p.id, "name": p.name, "doc_ids": p.doc_ids,
            "sections": [list(s.sections) for s in p.sources],
            "category": p.category, "excerpt": first.excerpt,
            "sources": [{"doc_id": s.doc_id, "sections": list(s.sections), "start": s.start,
                         "end": s.end, "excerpt": s.excerpt, "found_by": s.found_by}
                        for s in p.sources],
            "places": [r.as_dict() for r in p.places],
            "geometry_kind": p.geometry_kind, "precision_m": p.precision_m,
            # a route is drawn straight between its places: right in order, not in course
            "schematic": p.schematic,
            "partial": p.partial, "outside": list(p.outside),
            "status": p.status, "reason": p.reason,
            "source": f"{first.doc_id}：" + " › ".join(first.sections),
            "geometry": p.geometry,
        })
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=STORAGE_CRS)
    if not len(frame):
        frame = gpd.GeoDataFrame(columns=["id", "name", "geometry"], geometry="geometry",
                                 crs=STORAGE_CRS)
    return frame
