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

import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache

from shapely.geometry import LineString, MultiPoint, Point
from shapely.ops import unary_union

from gazetteer.normalise import normalise
from gazetteer.shapes import shape_of
from geo.crs import buffer_m
from layers.ingest.documents import Document, Section
from layers.ingest.rules import category_of, rules, starts_with_verb
from layers.schema import STORAGE_CRS

CLAUSE_SPLIT = "，；。：！？\n"
OPEN_BRACKETS = "（(“《【「"
CLOSE_BRACKETS = "）)”》】」"
# Area-like names take an area geometry when their place has one (片区, 新城 …).
AREA_SUFFIXES = ("片区", "新城", "园区", "产业园", "示范区", "新区", "湾区", "半岛", "岛", "城",
                 "小镇", "街区", "集聚区", "度假区", "景区", "保护区", "商圈", "园")
AREA_PLACE_KINDS = {"area", "district", "campus"}
PHASE = re.compile(r"(?:[一二三四五六七八九十\d]+期(?:工程)?|（[^（）]{1,12}）|\([^()]{1,12}\))$")
COUNT_HEAD = re.compile(
    r"^[\d一二三四五六七八九十百千万两]+(?:[—\-~～至][\d一二三四五六七八九十]+)?(?:\.\d+)?"
    r"[家个所座处条项万亿批类种期]")
# "…、江北嘴金融科技港两大特色园区": the count closes the list, it is not part of a name
COLLECTIVE_TAIL = re.compile(r"(?<=.{3})[两二三四五六七八九十\d]+[大个项座所家][^、]{0,8}$")
ORDINAL_HEAD = re.compile(r"^[①②③④⑤⑥⑦⑧⑨⑩\s]+")
FUNCTION_HEAD = tuple(sorted(
    ("和", "及", "与", "或", "把", "将", "在", "以", "对", "向", "为", "从", "由", "等", "并",
     "同时", "着力", "全力", "加大", "向北", "向南", "向东", "向西"),
    key=len, reverse=True))
# Two works joined in one phrase (江北国际机场和重庆西站) are two projects.
CONJUNCTIONS = re.compile("以及|和|及|与|并")
# Clauses that describe the labelled project rather than list others (长嘉汇：包括朝天门…).
DESCRIPTIVE_HEADS = ("包括", "依托", "围绕", "聚焦", "面向", "立足", "坚持", "总面积")
TRAILING = ("等项目建设", "等重点项目", "等重大项目", "等项目", "等工程", "项目建设", "等建设",
            "建设", "等", "改扩建", "扩建", "提档升级", "提质升级", "改造提升", "前期研究",
            "前期工作", "落地实施", "落地", "开工", "建成投用", "投用", "升级改造", "改造", "提升",
            "为牵引", "为核心", "为主体", "为重点", "为龙头", "为载体", "为依托", "为引领",
            "为主线", "为中心", "为主轴")


# How surely a finding names a project, most sure first.
FOUND_BY_RANK = {"block": 0, "entry": 1, "list": 2, "entity": 3}


@dataclass(frozen=True)
class Source:
    """Where a plan names a project: [start, end) is the excerpt's span in the original text."""

    doc_id: str
    sections: tuple[str, ...]
    start: int
    end: int
    excerpt: str
    found_by: str  # entry | list | block | entity


@dataclass
class PlaceRef:
    place_id: str | None
    name: str
    text: str
    status: str
    confidence: float
    precision_m: float | None = None
    candidates: tuple[str, ...] = ()
    texts: tuple[str, ...] = ()  # every way the plan wrote it (明月湖 for 两江协同创新区)
    unverified: bool = False  # the place's coordinate is from memory, unchecked (未核实)

    def as_dict(self) -> dict:
        return {"id": self.place_id, "name": self.name, "text": self.text,
                "texts": list(self.texts),
                "status": self.status, "confidence": self.confidence,
                "precision_m": self.precision_m, "candidates": list(self.candidates),
                "unverified": self.unverified}


@dataclass
class Project:
    id: str
    name: str
    category: str
    sources: list[Source] = field(default_factory=list)
    places: list[PlaceRef] = field(default_factory=list)
    geometry_kind: str = "none"  # point | line | area | multi | none
    geometry: object = None
    precision_m: float | None = None
    status: str = "unlocated"  # auto | review | unlocated
    reason: str = ""
    schematic: bool = False  # a line drawn straight through places, not the real course

    @property
    def doc_ids(self) -> list[str]:
        return list(dict.fromkeys(s.doc_id for s in self.sources))


@dataclass
class _Candidate:
    name: str
    doc: Document
    span: tuple[int, int]  # clean offsets of the excerpt
    description: str  # text whose places locate the project when its name names none
    found_by: str
    section_at: int  # clean offset whose section path is the project's


def project_id(name: str) -> str:
    """Stable id: the same name gives the same id in every run and every plan."""
    return "p-" + hashlib.sha1(name_key(name).encode("utf-8")).hexdigest()[:10]


def name_key(name: str) -> str:
    return re.sub(r"\s+", "", normalise(name))


@lru_cache(maxsize=1)
def _patterns() -> dict:
    r = rules()
    return {
        "suffix": tuple(r["project_suffixes"]),
        "suffix_table": (tuple(sorted({len(x) for x in r["project_suffixes"]}, reverse=True)),
                         frozenset(r["project_suffixes"])),
        "generic": tuple(r["generic_heads"]),
        "collective": re.compile(r["collective_pattern"]),
        "tail": re.compile("(?:" + "|".join(r["list_tails"]) + ")"),
        "route": re.compile("[" + "".join(re.escape(s) for s in r["route_separators"]) + "]"),
        # between two places of a route: a short qualifier (城区, 段 …) then a separator
        "route_link": re.compile("[^{0}]{{0,6}}[{0}]\\s*".format(
            "".join(re.escape(s) for s in r["route_separators"]))),
        "verb_inside": re.compile("|".join(re.escape(v) for v in r["verbs"] if len(v) >= 2)),
        "linear": tuple(r["linear_suffixes"]),
    }


def _strip_phase(name: str) -> str:
    while True:
        stripped = PHASE.sub("", name)
        if stripped == name or not stripped:
            return name
        name = stripped


def project_suffix(name: str) -> str:
    """The project word ``name`` ends with (工程, 大桥 …), ignoring a phase (二期, （一期）)."""
    core = _strip_phase(name)
    lengths, suffixes = _patterns()["suffix_table"]
    for n in lengths:
        if core[-n:] in suffixes:
            return core[-n:]
    return ""


@lru_cache(maxsize=200_000)
def is_project_name(name: str, allow_enumeration: bool = False) -> bool:
    """Precision gate: a name a planner would put on a map, not a goal, slogan or fragment.
    ``allow_enumeration`` admits a name that lists places (鱼复、龙兴、水土新城建设工程), as a
    name line or a collective's list writes it."""
    p = _patterns()
    forbidden = r"[，。；：！？\n的]" if allow_enumeration else r"[，。；：！？、\n的]"
    if not 3 <= len(name) <= 40 or re.search(forbidden, name):
        return False
    if "等" in name:
        return False
    suffix = project_suffix(name)
    if not suffix or len(_strip_phase(name)) <= len(suffix) + 1:
        return False
    # A one-character project word (线, 园, 港 …) needs a modifier that names something:
    # 水际线 and 万州港 are a slogan and a place, 27号线 and 郑万高铁 are works.
    modifier = _strip_phase(name)[: -len(suffix)]
    if len(suffix) == 1 and len(modifier) < 3 and not re.search(r"[0-9A-Za-z]", modifier):
        return False
    qualified = bool(re.search(r"（[^（）]{2,}）", name))  # a parenthesis names the site
    if (name.startswith(p["generic"]) and not qualified) or COUNT_HEAD.match(name) \
            or starts_with_verb(name):
        return False
    if p["collective"].search(_strip_phase(name)):
        return False
    if _unbalanced(name):
        return False
    # An action inside the name makes it a clause (长寿打造…示范区), unless the action is
    # part of the project word itself (…建设工程, …提升工程).
    for m in p["verb_inside"].finditer(name, 1):
        if _inside_suffix_word(name, m.start()):
            continue
        rest = name[m.end():]
        while (verb := starts_with_verb(rest)) and len(rest) > len(verb):
            rest = rest[len(verb):]
        if _strip_phase(rest) != project_suffix(rest):
            return False
    return True


def _inside_suffix_word(name: str, at: int) -> bool:
    """Whether position ``at`` starts inside a project word (研究 in 研究院)."""
    lengths, suffixes = _patterns()["suffix_table"]
    return any(n > 2 and name[at:at + n] in suffixes for n in lengths)


def _unbalanced(text: str) -> bool:
    depth = 0
    for ch in text:
        if ch in OPEN_BRACKETS and ch != "“":
            depth += 1
        elif ch in CLOSE_BRACKETS and ch != "”":
            depth -= 1
            if depth < 0:
                return True
    return depth != 0 or text.count("“") != text.count("”")


@lru_cache(maxsize=200_000)
def clean_item(item: str) -> str:
    """A list item reduced to its name: no ordinal, leading action or trailing 建设/等项目."""
    s = ORDINAL_HEAD.sub("", item.strip())
    s = COLLECTIVE_TAIL.sub("", s)
    changed = True
    while changed and s:
        changed = False
        verb = starts_with_verb(s)
        if verb and len(s) > len(verb) + 1:
            s = s[len(verb):]
            changed = True
        for head in FUNCTION_HEAD:
            if s.startswith(head) and len(s) > len(head) + 1:
                s = s[len(head):]
                changed = True
        for tail in TRAILING:
            if s.endswith(tail) and len(s) > len(tail) + 1:
                s = s[: -len(tail)]
                changed = True
                break
        s = s.strip()
    return s


def split_items(text: str, seps: str = "、") -> list[tuple[int, int]]:
    """Spans of ``text`` split at ``seps`` outside brackets and quotes."""
    spans, depth, start = [], 0, 0
    quote = False
    for i, ch in enumerate(text):
        if ch == "“":
            quote = True
        elif ch == "”":
            quote = False
        elif ch in OPEN_BRACKETS:
            depth += 1
        elif ch in CLOSE_BRACKETS:
            depth = max(0, depth - 1)
        elif ch in seps and depth == 0 and not quote:
            spans.append((start, i))
            start = i + 1
    spans.append((start, len(text)))
    return [(a, b) for a, b in spans if text[a:b].strip()]


def _sentence_span(clean: str, start: int, end: int) -> tuple[int, int]:
    a = start
    while a > 0 and clean[a - 1] not in "。！？；\n":
        a -= 1
    b = end
    while b < len(clean) and clean[b] not in "。！？；\n":
        b += 1
    if b < len(clean) and clean[b] != "\n":
        b += 1
    return a, b


# --------------------------------------------------------------------------- extraction


def _list_candidates(doc: Document, text: str, offset: int, shared_suffix: str = "",
                     found_by: str = "list", section_at: int | None = None) -> list[_Candidate]:
    """Every project name in an enumeration ``text`` (at clean ``offset``)."""
    out = []
    for a, b in split_items(text, "、"):
        plain = clean_item(text[a:b])
        for name in _names_in_item(text[a:b], shared_suffix):
            span = _sentence_span(doc.clean, offset + a, offset + b)
            # "在万州、达州、开州设立万达开…示范区": what precedes the action locates the work
            at = text.find(name, a)
            description = text[:at] if name != plain and at > 0 else ""
            out.append(_Candidate(name, doc, span, description, found_by,
                                  offset + a if section_at is None else section_at))
    return out


@lru_cache(maxsize=200_000)
def _names_in_item(raw: str, shared_suffix: str = "") -> tuple[str, ...]:
    """Project names in one list item: "X等Y" keeps X; "A和B" is two works when A is one."""
    if "等" in raw:
        raw = raw[: raw.index("等")]
    parts = [raw]
    m = CONJUNCTIONS.search(raw)
    if m and is_project_name(clean_item(raw[: m.start()])):
        parts = [raw[: m.start()], raw[m.end():]]
    names = []
    for part in parts:
        name = clean_item(part)
        if shared_suffix and not project_suffix(name):
            name = name + shared_suffix
        if not is_project_name(name):
            # "开州设立万达开川渝统筹发展示范区": the work is what follows the last action
            verbs = [m for m in _patterns()["verb_inside"].finditer(name, 1)
                     if not _inside_suffix_word(name, m.start())]
            tails = (clean_item(name[v.end():]) for v in reversed(verbs))
            name = next((t for t in tails if is_project_name(t)), "")
            if not name:
                continue
        names.append(name)
    return tuple(names)


def _clauses(text: str) -> list[tuple[int, int]]:
    return split_items(text, CLAUSE_SPLIT)


def _enumeration(doc: Document, clause: str, offset: int, found_by: str) -> list[_Candidate]:
    """Items of one clause; a tail "等航电枢纽" lends its project word to bare items."""
    tail = re.search(r"等([^、，。；]{1,8})$", clause)
    shared = ""
    body = clause
    if tail:
        word = tail.group(1)
        for cut in TRAILING:
            if word.endswith(cut) and len(word) > len(cut):
                word = word[: -len(cut)]
                break
        if project_suffix(word) == word:
            shared = word
        body = clause[: tail.start()]
    return _list_candidates(doc, body, offset, shared, found_by)


def _entry_candidates(doc: Document, entry: Section, gazetteer) -> list[_Candidate]:
    """A 专栏 entry's projects. Its label is a category when its text lists projects
    (电源基础设施。建成…电厂、…电站); otherwise a label that names a work or a place is the
    project and its text the description (超瞬态实验装置：依托重庆大学…)."""
    a = doc.to_clean(entry.start)
    b = doc.to_clean(entry.end)
    text = doc.clean[a:b]
    label = entry.title
    body_at = len(label) + 1 if label and text.startswith(label) else 0
    body = text[body_at:]
    out = []
    for ca, cb in _clauses(body):
        clause = body[ca:cb].strip()
        if clause.startswith(DESCRIPTIVE_HEADS):
            continue
        found = _enumeration(doc, body[ca:cb], a + body_at + ca, "entry")
        found += _route_items(doc, body[ca:cb], a + body_at + ca, gazetteer)
        for c in found:
            # 两江协同创新区核心区：推动A、B — the label's place locates its items
            c.description = c.description or label
        out += found
    # A label its own text counts or repeats (现代农业产业园。创建2—3个国家级现代农业产业园) is
    # the kind of thing listed, not one work.
    named_work = not out and is_project_name(label) and label not in body
    if label and (named_work or _names_place(gazetteer, label)):
        span = _sentence_span(doc.clean, a, a + len(label))
        out.append(_Candidate(label, doc, span, body, "entry", a))
    return out


def _names_place(gazetteer, label: str) -> bool:
    """A label that is exactly a (non-administrative) gazetteer place: 长嘉汇, 艺术湾."""
    res = gazetteer.resolve(label)
    best = res.best
    return bool(best) and res.status == "resolved" and best.confidence >= 0.95 and \
        best.place.kind not in ("district", "town", "municipality")


def _route_items(doc: Document, clause: str, offset: int, gazetteer) -> list[_Candidate]:
    """Routes written as places joined by separators (合川—璧山—江津) in a 专栏 list."""
    out = []
    sep = _patterns()["route"]
    for ia, ib in split_items(clause, "、"):
        item = clean_item(clause[ia:ib])
        parts = sep.split(item)
        if len(parts) < 2 or not all(parts):
            continue
        if all(gazetteer.resolve(part).status in ("resolved", "ambiguous") for part in parts):
            out.append(_Candidate(item, doc, _sentence_span(doc.clean, offset + ia, offset + ib),
                                  "", "entry", offset + ia))
    return out


def _sentence_list_candidates(doc: Document, gazetteer) -> list[_Candidate]:
    """Enumerations anywhere that end in a list tail (…等项目建设), or whose every item is a
    project name (推动A高速连接线、B联络线落地实施), and collectives' lists."""
    p = _patterns()
    clean = doc.clean
    out = []
    for m in p["tail"].finditer(clean):
        a, _ = _sentence_span(clean, m.start(), m.start())
        clause_start = max(clean.rfind(ch, a, m.start()) for ch in "，；：") + 1
        clause_start = max(clause_start, a)
        out += _enumeration(doc, clean[clause_start:m.start()], clause_start, "list")
    for m in re.finditer(r"[^，；。：！？\n]{6,300}", clean):
        clause = m.group(0)
        items = split_items(clause, "、")
        if len(items) < 2 and not CONJUNCTIONS.search(clause):
            continue
        names = [_names_in_item(clause[a:b]) for a, b in items]
        if all(names) and sum(len(n) for n in names) >= 2 and any(
                _anchored(gazetteer, n) for group in names for n in group):
            out += _enumeration(doc, clause, m.start(), "list")
    return out + _collective_candidates(doc)


def _anchored(gazetteer, name: str) -> bool:
    """Whether a name holds something proper: a located place, a number or a Latin name
    (天际线、山脊线、水际线 is a slogan; 27号线、渝广城际铁路 are works)."""
    return bool(re.search(r"[0-9A-Za-z]", name)) or any(
        m.place_id and m.status in ("auto", "review") for m in _mentions(gazetteer, name))


def _collective_candidates(doc: Document) -> list[_Candidate]:
    """The list a collective introduces: 十大工程包括A，B，鱼复、龙兴、水土新城建设工程，…"""
    clean = doc.clean
    out = []
    for m in re.finditer(r"(?:[十百千两\d一二三四五六七八九]+大(?:工程|项目))(?:主要)?包括", clean):
        a = m.end()
        b = a
        while b < len(clean) and clean[b] not in "。；！？":
            b += 1
        text = clean[a:b]
        for ia, ib in split_items(text, "，"):
            name = clean_item(text[ia:ib])
            if is_project_name(name, allow_enumeration=True):
                out.append(_Candidate(name, doc, _sentence_span(clean, a + ia, a + ib), "",
                                      "list", a + ia))
    return out


def _entity_candidates(doc: Document, gazetteer) -> list[_Candidate]:
    """Named works in running text that carry a located place in their name."""
    clean = doc.clean
    out = []
    for m in re.finditer(r"[^，。；：、！？“”《》\n\s]{4,40}", clean):
        run = m.group(0)
        for name in _names_in_item(run):
            mentions = _mentions(gazetteer, name)
            if len(name) > 25 or not any(x.status in ("auto", "review") and x.place_id
                                         for x in mentions):
                continue
            if _is_admin_area(gazetteer, name, mentions):
                continue  # 两江新区 in running text is where things are, not a project
            start = m.start() + max(run.find(name), 0)
            out.append(_Candidate(name, doc, _sentence_span(clean, start, start + len(name)),
                                  "", "entity", start))
    return out


def _is_admin_area(gazetteer, name: str, mentions) -> bool:
    """Whether ``name`` is, as a whole, an administrative unit the gazetteer knows."""
    whole = [m for m in mentions if m.start == 0 and m.end == len(name) and m.place_id]
    if whole:
        return gazetteer.place(whole[0].place_id).kind in ("district", "town", "municipality")
    return False


def _block_candidates(doc: Document) -> list[_Candidate]:
    """Article blocks named by their own line; an unnamed block takes the one name of the
    article's enumeration (十大工程包括 …) that no block claims."""
    blocks = [s for s in doc.sections if s.kind == "block"]
    if not blocks:
        return []
    named = {name_key(s.title) for s in blocks if s.title}
    listed = [c.name for c in _collective_candidates(doc)]
    leftover = list(dict.fromkeys(n for n in listed if name_key(n) not in named))
    unnamed = [s for s in blocks if not s.title]
    out = []
    for s in blocks:
        name = s.title
        if not name and len(unnamed) == 1 and len(leftover) == 1:
            name = leftover[0]
        if not name or not is_project_name(name, allow_enumeration=True):
            continue
        a, b = doc.to_clean(s.start), doc.to_clean(s.end)
        first = _sentence_span(doc.clean, a + 1, a + 1)
        first = (max(first[0], a), first[1])
        out.append(_Candidate(name, doc, first, doc.clean[a:b], "block", a))
    return out


def extract_candidates(doc: Document, gazetteer) -> list[_Candidate]:
    cands = _block_candidates(doc)
    for s in doc.sections:
        if s.kind == "entry":
            cands += _entry_candidates(doc, s, gazetteer)
    cands += _sentence_list_candidates(doc, gazetteer)
    cands += _entity_candidates(doc, gazetteer)
    return cands


# --------------------------------------------------------------------------- places, geometry


# Names and descriptions recur across plans and runs: scan each text once. The key is the
# gazetteer's index, which lives as long as the process for its data folder.
_MENTION_CACHE: dict = {}


def _mentions(gazetteer, text: str, district: str | None = None):
    """Places in ``text``; a name several districts share prefers ``district`` (the plan's)."""
    key = (id(gazetteer._index), text, district)
    hit = _MENTION_CACHE.get(key)
    if hit is None:
        if len(_MENTION_CACHE) > 50_000:
            _MENTION_CACHE.clear()
        hit = _MENTION_CACHE[key] = gazetteer.find_places(text, district=district)
    return hit


def plan_district(gazetteer, doc) -> str | None:
    """The district a plan is about, when its title names one (重庆两江新区…纲要 → 两江新区):
    the context for names several districts share. A city-wide plan has none."""
    for m in _mentions(gazetteer, doc.title):
        place = gazetteer.place(m.place_id) if m.place_id and m.status == "auto" else None
        if place is not None and place.kind == "district":
            return place.district
    return None


def _place_refs(gazetteer, mentions) -> list[PlaceRef]:
    refs: dict[str, PlaceRef] = {}
    for m in mentions:
        key = m.place_id or m.text
        ref = refs.get(key)
        if ref is not None:
            if m.text not in ref.texts:
                ref.texts += (m.text,)
            continue
        place = gazetteer.place(m.place_id) if m.place_id else None
        refs[key] = PlaceRef(m.place_id, m.name, m.text, m.status, m.confidence,
                             place.precision_m if place else None, m.candidates, (m.text,),
                             bool(place and place.unverified))
    return list(refs.values())


def locate(project: Project, name_mentions, description_mentions, gazetteer) -> None:
    """Set the project's places, geometry, precision, status and reason."""
    # The places listed are those of the name and of its own description; the geometry is
    # made from the name's places when it has located ones (礼嘉智慧公园 locates itself).
    name_located = any(m.place_id and m.status in ("auto", "review") for m in name_mentions)
    mentions = name_mentions if name_located else description_mentions
    refs = _place_refs(gazetteer, mentions)
    project.places = _place_refs(gazetteer, [*name_mentions, *description_mentions])
    located = [r for r in refs if r.place_id and r.status in ("auto", "review")]
    places = {r.place_id: gazetteer.place(r.place_id) for r in located}
    linear_work = _strip_phase(project.name).endswith(_patterns()["linear"])
    # A river, rail line or region named only in the description is context (沿长江…,
    # 主城都市区…), not the project's site; a line in the name of a work that does not run
    # along it lends only its name (长江音乐厅).
    located = [r for r in located if not _extended(places[r.place_id]) or (
        name_located and (linear_work or places[r.place_id].geometry != "line"))]
    specific = [r for r in located if places[r.place_id].kind != "district"]
    points = [r for r in specific if not _extended(places[r.place_id])]
    used = points or specific or located
    if not used:
        unlocated = [r.text for r in project.places if r.status == "unlocated"]
        project.geometry, project.geometry_kind, project.status = None, "none", "unlocated"
        project.reason = ("地名库中无坐标：" + "、".join(unlocated)) if unlocated else \
            "名称和描述中没有可定位的地名"
        return
    review = any(r.status == "review" for r in used)
    reason = ""
    pts = [Point(places[r.place_id].lon, places[r.place_id].lat) for r in used]
    precision = max(places[r.place_id].precision_m or 0 for r in used) or None
    route = _route_places(project.name, name_mentions)
    project.schematic = False
    if not points and any(_extended(places[r.place_id]) for r in used):
        # Only lines or regions: the project follows the real shape (15号线二期 along the
        # metro line, a 主城都市区 programme over its districts).
        shapes = [shape_of(places[r.place_id]) for r in used]
        project.geometry = shapes[0] if len(shapes) == 1 else unary_union(shapes)
        project.geometry_kind = "line" if all(
            places[r.place_id].geometry == "line" for r in used) else "area"
        regions = [r.text for r in used if places[r.place_id].kind == "region"]
        if regions:
            review = True  # known only as "somewhere in 渝东北": a planner should place it
            reason = "仅知所在区域：" + "、".join(regions)
    elif route is not None:
        route_used = [r for r in route if r.place_id in places]
        if len(route_used) >= 2 and len(route_used) == len(route):
            project.geometry = LineString(
                [(places[r.place_id].lon, places[r.place_id].lat) for r in route_used])
            project.geometry_kind, project.schematic = "line", True
        else:
            review = True
            reason = "线路端点未全部定位：" + "、".join(r.text for r in route
                                               if r.place_id not in places)
            project.geometry = pts[0] if len(pts) == 1 else MultiPoint(pts)
            project.geometry_kind = "point" if len(pts) == 1 else "multi"
    elif len(used) == 1:
        place = places[used[0].place_id]
        if _strip_phase(project.name).endswith(AREA_SUFFIXES) and place.kind in AREA_PLACE_KINDS:
            if place.kind == "district":  # its own polygon (a former district's old one)
                project.geometry = shape_of(place)
            else:
                project.geometry = buffer_m(pts[0], place.precision_m or 1000)
            project.geometry_kind = "area"
        else:
            project.geometry, project.geometry_kind = pts[0], "point"
    else:
        project.geometry, project.geometry_kind = MultiPoint(pts), "multi"
    project.precision_m = precision
    project.status = "review" if review else "auto"
    if review and not reason:
        reason = "地名有歧义：" + "、".join(r.text for r in used if r.status == "review")
    project.reason = reason


def _extended(place) -> bool:
    """A line or a region: a place that is not a site (districts have their own rule)."""
    return place.geometry != "point" and place.kind not in ("district", "municipality")


def _route_places(name: str, mentions) -> list[PlaceRef] | None:
    """Places of a route name (合川—璧山—江津), in order, or None when it is no route."""
    link = _patterns()["route_link"]
    ms = sorted(mentions, key=lambda m: m.start)
    if len(ms) < 2:
        return None
    chain = [ms[0]]
    for prev, cur in zip(ms, ms[1:], strict=False):
        if link.fullmatch(name[prev.end:cur.start]):
            chain.append(cur)
        elif len(chain) >= 2:
            break
        else:
            chain = [cur]
    if len(chain) < 2:
        return None
    return [PlaceRef(m.place_id if m.status in ("auto", "review") else None, m.name, m.text,
                     m.status, m.confidence) for m in chain]


# --------------------------------------------------------------------------- assembling


def _source(c: _Candidate) -> Source:
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
    _drop_fragments(merged)
    for key, project in merged.items():
        project.sources.sort(key=lambda s: (s.doc_id, s.start))
        best = min(project.sources, key=lambda s: FOUND_BY_RANK[s.found_by])
        # innermost section title first, then the name
        project.category = category_of((*reversed(best.sections), project.name))
        # the plan's own district decides shared names, when every plan naming it agrees
        plans = {context[d] for d in project.doc_ids}
        district = plans.pop() if len(plans) == 1 else None
        name_mentions = _mentions(gazetteer, project.name, district)
        desc = descriptions.get(key, "")
        desc_mentions = _mentions(gazetteer, desc, district) if desc else []
        locate(project, name_mentions, desc_mentions, gazetteer)
    return sorted(merged.values(), key=lambda p: (p.sources[0].doc_id, p.sources[0].start))


def _drop_fragments(merged: dict[str, Project]) -> None:
    """A name found only as an entity that is the tail of another project's name in the same
    plan is a fragment of that name (水土新城建设工程 of 鱼复、龙兴、水土新城建设工程)."""
    by_doc: dict[str, list[str]] = {}
    for key, p in merged.items():
        for d in p.doc_ids:
            by_doc.setdefault(d, []).append(key)
    for key in list(merged):
        p = merged[key]
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
            "status": p.status, "reason": p.reason,
            "source": f"{first.doc_id}：" + " › ".join(first.sections),
            "geometry": p.geometry,
        })
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=STORAGE_CRS)
    if not len(frame):
        frame = gpd.GeoDataFrame(columns=["id", "name", "geometry"], geometry="geometry",
                                 crs=STORAGE_CRS)
    return frame
