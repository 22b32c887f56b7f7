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

from collections.abc import Mapping
from dataclasses import dataclass

from layers.ingest.candidates import extract_candidates
from layers.ingest.gate import anchored
from layers.ingest.items import LENT_HEADS
from layers.ingest.locate import locate, mentions_in, plan_district

# --------------------------------------------------------------------------- assembling
from layers.ingest.model import FOUND_BY_RANK, Candidate, Project, Source
from layers.ingest.names import name_key, project_id, without_asides
from layers.ingest.rules import category_of
from layers.schema import PROJECT_COLUMNS, STORAGE_CRS, plan_position


def _source(c: Candidate) -> Source:
    doc = c.doc
    a, b = c.span
    start, end = doc.to_original(a), doc.to_original(min(b, len(doc.clean)))
    path = tuple(s.heading for s in doc.path_at(doc.to_original(c.section_at)))
    return Source(doc.doc_id, path, start, end, doc.clean[a:b].strip(), c.found_by)


@dataclass(frozen=True)
class Naming:
    """One place a plan names a project: the name, the source, and text that may locate it."""
    key: str  # name_key(name): names that are one project
    name: str
    source: Source
    description: str


@dataclass(frozen=True)
class PlanNames:
    """What one plan contributes before plans are merged: computed per document from its text,
    the manifest row and the rules, so it can be cached by content and run in any process."""
    doc_id: str
    district: str | None  # the plan's own district (plan_district)
    namings: tuple[Naming, ...]


def plan_names(doc, gazetteer) -> PlanNames:
    """Every project name ``doc`` holds, with its source."""
    return PlanNames(doc.doc_id, plan_district(gazetteer, doc),
                     tuple(Naming(name_key(c.name), c.name, _source(c), c.description)
                           for c in extract_candidates(doc, gazetteer)))


def extract_projects(documents, gazetteer) -> list[Project]:
    """Every project of ``documents``, merged by name across documents and repeats."""
    return merge_plans([plan_names(doc, gazetteer) for doc in documents], gazetteer)


# What ``locate`` sets on a project: a project located once is located alike while the
# gazetteer is the same, so a build keeps these per (name, district, description)
LOCATED_FIELDS = ("places", "geometry_kind", "geometry", "precision_m", "status", "reason",
                  "schematic", "partial", "outside", "located_by")


def merge_plans(plans: list[PlanNames], gazetteer, known: Mapping | None = None,
                located: dict | None = None, locate_all=None) -> list[Project]:
    """Projects from every plan's names: one per name across plans and repeats, each located.
    ``known``: what earlier builds with the same gazetteer located, (name, district,
    description) → LOCATED_FIELDS' values; ``located`` receives this merge's, so a cache
    keeps only what the corpus still holds. ``locate_all(wheres)`` locates those not known
    (default: ``locate_where`` on each, here; a build passes its worker processes')."""
    merged: dict[str, Project] = {}
    descriptions: dict[str, str] = {}
    context = {plan.doc_id: plan.district for plan in plans}
    at_span: dict[tuple, int] = {}  # (key, doc, start, end) → index in that project's sources
    for plan in plans:
        for naming in plan.namings:
            key, source = naming.key, naming.source
            project = merged.get(key)
            if project is None:
                project = merged[key] = Project(project_id(naming.name), naming.name, "")
            span = (key, source.doc_id, source.start, source.end)
            same = at_span.get(span)
            if same is None:
                at_span[span] = len(project.sources)
                project.sources.append(source)
            elif FOUND_BY_RANK[source.found_by] < FOUND_BY_RANK[project.sources[same].found_by]:
                project.sources[same] = source
            if naming.description and not descriptions.get(key):
                descriptions[key] = naming.description
    _drop_fragments(merged, gazetteer)
    known = {} if known is None else known
    located = {} if located is None else located
    wheres: dict[str, tuple] = {}
    for key, project in merged.items():
        project.sources.sort(key=lambda s: (s.doc_id, s.start))
        best = min(project.sources, key=lambda s: FOUND_BY_RANK[s.found_by])
        # innermost section title first, then the name
        project.category = category_of((*reversed(best.sections), project.name))
        # the plan's own district decides shared names, when every plan naming it agrees
        plans_district = {context[d] for d in project.doc_ids}
        district = plans_district.pop() if len(plans_district) == 1 else None
        wheres[key] = (project.name, district, descriptions.get(key, ""))
    unknown = list(dict.fromkeys(w for w in wheres.values() if w not in known))
    if unknown:
        found = (locate_all(unknown) if locate_all is not None
                 else [locate_where(w, gazetteer) for w in unknown])
        known = {**known, **dict(zip(unknown, found, strict=True))}
    for key, project in merged.items():
        where = wheres[key]
        for field_name, value in zip(LOCATED_FIELDS, known[where], strict=True):
            setattr(project, field_name, _fresh(value))
        located[where] = known[where]
    return sorted(merged.values(), key=lambda p: plan_position(p.sources[0].doc_id,
                                                             p.sources[0].start, p.id))


def locate_where(where: tuple[str, str | None, str], gazetteer) -> tuple:
    """LOCATED_FIELDS' values of a project (name, the district of the plans naming it or None,
    its description): located alike wherever it runs, so a build may share the work out."""
    name, district, description = where
    project = Project("", name, "")
    located_name, name_mentions = _located_name(gazetteer, name, district)
    desc_mentions = mentions_in(gazetteer, description, district) if description else []
    locate(project, name_mentions, desc_mentions, gazetteer, description, located_name)
    return tuple(getattr(project, f) for f in LOCATED_FIELDS)


def _fresh(value):
    """A project's own copy of a located value: lists are copied, their items (PlaceRefs,
    never changed once located) and geometries (immutable) shared."""
    return list(value) if isinstance(value, list) else value


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
    if not rows:  # the columns all the same
        return gpd.GeoDataFrame(columns=[c for c in PROJECT_COLUMNS if c != "sectors"],
                                geometry="geometry", crs=STORAGE_CRS)
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=STORAGE_CRS)
