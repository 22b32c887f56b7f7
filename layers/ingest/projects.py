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

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import cached_property

from layers.ingest.candidates import extract_candidates
from layers.ingest.gate import anchored
from layers.ingest.items import LENT_HEADS
from layers.ingest.locate import locate, mentions_in, plan_district

# --------------------------------------------------------------------------- assembling
from layers.ingest.model import FOUND_BY_RANK, Candidate, Project, Source
from layers.ingest.names import name_key, project_id, without_asides
from layers.ingest.rules import category_of
from layers.schema import PROJECT_COLUMNS, STORAGE_CRS, plan_position


def _source(c: Candidate, shared: dict) -> Source:
    """Where ``c`` was found. ``shared`` holds one object per distinct excerpt and section
    path of the plan: many names share a sentence and a section, and a pickle (the build's
    cache, a worker's answer) then stores each once: a fifth of the bytes to write and read."""
    doc = c.doc
    a, b = c.span
    start, end = doc.to_original(a), doc.to_original(min(b, len(doc.clean)))
    path = tuple(s.heading for s in doc.path_at(doc.to_original(c.section_at)))
    excerpt = doc.clean[a:b].strip()
    return Source(doc.doc_id, shared.setdefault(path, path), start, end,
                  shared.setdefault(excerpt, excerpt), c.found_by)


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

    @cached_property
    def keys(self) -> frozenset[str]:
        """The name keys the plan holds (found once: a build merges its cached plans again)."""
        return frozenset(n.key for n in self.namings)


def plan_names(doc, gazetteer) -> PlanNames:
    """Every project name ``doc`` holds, with its source."""
    shared: dict = {}
    return PlanNames(doc.doc_id, plan_district(gazetteer, doc),
                     tuple(Naming(name_key(c.name), c.name, _source(c, shared), c.description)
                           for c in extract_candidates(doc, gazetteer)))


def extract_projects(documents, gazetteer) -> list[Project]:
    """Every project of ``documents``, merged by name across documents and repeats."""
    return merge_plans([plan_names(doc, gazetteer) for doc in documents], gazetteer)


# What ``locate`` sets on a project: a project located once is located alike while the
# gazetteer is the same, so a build keeps these per (name, district, description)
LOCATED_FIELDS = ("places", "geometry_kind", "geometry", "precision_m", "status", "reason",
                  "schematic", "partial", "outside", "located_by")


def merge_plans(plans: list[PlanNames], gazetteer, known: Mapping | None = None,
                located: dict | None = None, locate_all=None,
                only: Collection[str] | None = None) -> list[Project]:
    """Projects from every plan's names: one per name across plans and repeats, each located.
    ``known``: what earlier builds with the same gazetteer located, (name, district,
    description) → LOCATED_FIELDS' values; ``located`` receives this merge's, so a cache
    keeps only what the corpus still holds. ``locate_all(wheres)`` locates those not known
    (default: ``locate_where`` on each, here; a build passes its worker processes').
    ``only``: the projects of these name keys alone (``Naming.key``), as the whole merge
    makes them: a project depends on the plans naming it and nothing else, so a build after
    one plan changed merges the names that plan holds and keeps the other projects."""
    merged: dict[str, Project] = {}
    descriptions: dict[str, str] = {}
    context = {plan.doc_id: plan.district for plan in plans}
    at_span: dict[tuple, int] = {}  # (key, doc, start, end) → index in that project's sources
    # every name of each plan and of each sentence, whether merged or not: a project is a
    # fragment or not by the other names beside it (_drop_fragments)
    by_doc: dict[str, frozenset[str]] = {}
    by_sentence: dict[tuple[str, int, int], set[str]] = {}
    only = None if only is None else set(only)
    for plan in plans:
        if only is not None and only.isdisjoint(plan.keys):
            continue
        by_doc[plan.doc_id] = by_doc.get(plan.doc_id, frozenset()) | plan.keys
        for naming in plan.namings:
            key, source = naming.key, naming.source
            by_sentence.setdefault((source.doc_id, source.start, source.end), set()).add(key)
            if only is not None and key not in only:
                continue
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
    _drop_fragments(merged, gazetteer, by_doc, by_sentence)
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
    return in_merged_order(merged.values())


def in_merged_order(projects) -> list[Project]:
    """``projects`` in ``plan_position`` order, as the projects layer holds them."""
    return sorted(projects, key=lambda p: plan_position(p.sources[0].doc_id, p.sources[0].start,
                                                        p.id))


def changed_keys(before: Mapping[str, PlanNames], now: list[PlanNames]) -> set[str] | None:
    """The name keys of the plans added, removed or changed between ``before`` (the plans of
    an earlier merge by doc_id, in its order) and ``now``: the projects ``merge_plans(now,
    only=…)`` must merge again, every other being as it was. None when the plans kept are
    not in their order of before (which name a project takes first depends on it)."""
    ids = {plan.doc_id: plan for plan in now}
    kept = [doc for doc, plan in ids.items() if before.get(doc) is plan]
    if len(ids) != len(now) or kept != [doc for doc in before if doc in ids and
                                        ids[doc] is before[doc]]:
        return None
    keys: set[str] = set()
    for plan in now:
        if before.get(plan.doc_id) is not plan:
            keys |= plan.keys
    for doc, plan in before.items():
        if ids.get(doc) is not plan:
            keys |= plan.keys
    return keys


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


def _drop_fragments(merged: dict[str, Project], gazetteer, by_doc: dict[str, frozenset[str]],
                    by_sentence: dict[tuple[str, int, int], set[str]]) -> None:
    """Names that are pieces of another project's name, where both are read:

    - a name found only as an entity that is the tail of another project's name in the same
      plan (水土新城建设工程 of 鱼复、龙兴、水土新城建设工程);
    - a name that another name in the same sentence holds whole: as its tail when the tail
      is read in running text and anchored to nothing of its own (示范项目 of 重点石窟寺保护利用示范项目; 8号线 and 大学城
      are not pieces of 18号线 and 重庆大学城), or before a shared head the list lent it (垫江永安
      of 垫江永安水库, read once as a site and once with the list's head).

    ``by_doc``, ``by_sentence``: every name key of each plan and of each sentence (doc_id,
    start, end) of the plans naming the ``merged`` projects.
    """
    # the names holding each name as their tail, or before a lent head: asked per sentence and
    # per plan of every source (a name in many plans has many), so found once
    longer_by_tail: dict[str, set[str]] = {}
    headed: dict[str, set[str]] = {}
    for other in set().union(*by_doc.values()):
        for cut in range(1, len(other)):
            longer_by_tail.setdefault(other[cut:], set()).add(other)
            if other[cut:] in LENT_HEADS:
                headed.setdefault(other[:cut], set()).add(other)
    nothing: set[str] = set()
    for key in list(merged):
        p = merged[key]
        longer, lent = longer_by_tail.get(key, nothing), headed.get(key, nothing)
        # (asked only where it can matter: a name no other name ends with is never a tail)
        loose = bool(longer) and not anchored(gazetteer, p.name)
        p.sources = [s for s in p.sources
                     if not _held_in_sentence(s, by_sentence, loose, longer, lent)]
        if not p.sources:
            del merged[key]
            continue
        if any(s.found_by != "entity" for s in p.sources):
            continue
        if longer and all(not longer.isdisjoint(by_doc[d]) for d in p.doc_ids):
            del merged[key]


def _held_in_sentence(source, by_sentence: dict, loose: bool, longer: set[str],
                      lent: set[str]) -> bool:
    """Whether another name of ``source``'s sentence holds this one: as its tail (``longer``;
    only a ``loose`` name read in running text) or before a lent head (``lent``)."""
    others = by_sentence[(source.doc_id, source.start, source.end)]
    return (loose and source.found_by != "entry" and not longer.isdisjoint(others)
            or not lent.isdisjoint(others))


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
