"""Candidate project names in one document: 专栏 entries, enumerations, blocks, entities.
"""

from __future__ import annotations

import re

from gazetteer.outside import outside_at_start
from geo.city import CITY
from geo.vocabulary import suffixes
from layers.ingest.documents import Document, Section
from layers.ingest.gate import anchored, is_admin_area, is_whole_place, rejected
from layers.ingest.items import (
    SHARED_HEADS,
    SIZE_WORDS,
    WATER_ENDINGS,
    WATER_HEADS,
    is_site_name,
    names_in_item,
    run_heads,
    shared_head,
)
from layers.ingest.locate import mentions_in
from layers.ingest.model import Candidate

# --------------------------------------------------------------------------- extraction
from layers.ingest.names import (
    CLAUSE_SPLIT,
    CONJUNCTIONS,
    DESCRIPTIVE_HEADS,
    TRAILING,
    clean_item,
    etc_at,
    is_project_name,
    name_key,
    name_patterns,
    project_suffix,
    sentence_span,
    split_items,
)
from layers.ingest.rules import starts_with_verb

# "…、彭水阿依河等大型水库", "…万州4个化工园区", "…渝武等重大高铁项目": an enumeration closed by
# 等 or a count, a size word and a shared head (with its qualifier after 一批)
HEAD_TAIL = re.compile("(?:等(?:一批)?|[0-9一二三四五六七八九十两]{1,3}个)(?:重大|重点)?(?:" +
                       "|".join(map(re.escape, SIZE_WORDS)) + ")?(" +
                       # …金州等一批智慧商圈: after 一批, two characters qualify the head
                       "(?:(?<=一批)[\u4e00-\u9fff]{2})?(?:" +
                       "|".join(map(re.escape, SHARED_HEADS)) + "|(?:市级|国家)?(?:" +
                       "|".join(map(re.escape, suffixes("tail_heads"))) + ")))")
# "嘉陵江、乌江…等流域面积3000平方公里及以上重要支流和中小河流防洪综合治理": rivers closed by 等,
# then what qualifies them, then the work done to each
WATER_TAIL = re.compile("等[^、，；。]{0,30}?(" + "|".join(map(re.escape, WATER_HEADS)) + ")")
LINE_NUMBER = re.compile(r"\d+号线")


def _list_candidates(doc: Document, text: str, offset: int, shared_suffix: str = "",
                     found_by: str = "list", section_at: int | None = None,
                     in_place: bool = False) -> list[Candidate]:
    """Every project name in an enumeration ``text`` (at clean ``offset``); bare items take
    ``shared_suffix``, or else the head of the item that closes their run. ``in_place``: a
    专栏 entry labelled by a place, whose bare items are its sites."""
    out = []
    items = split_items(text, "、")
    heads = [shared_suffix] * len(items) if shared_suffix else run_heads(text, items)
    for (a, b), head in zip(items, heads, strict=True):
        plain = clean_item(text[a:b])
        found = names_in_item(text[a:b], head)
        # 黔江濯水古镇, 江北不夜九街: a 专栏 lists sites by name (the last one before its 等…)
        item = text[a:b]
        site = clean_item(item[: etc_at(item)] if etc_at(item) >= 0 else item)
        if not found and found_by == "entry" and is_site_name(site, in_place):
            found = ((site, ""),)
        # "在万州、达州、开州设立万达开…示范区": what precedes the action locates the work;
        # the item's other works before it (串联礼嘉智慧公园—金海湾公园—…) are siblings, not where
        first = min((at for at in (text.find(name, a) for name, _ in found) if at >= 0),
                    default=-1)
        for name, lent in found:
            span = sentence_span(doc.clean, offset + a, offset + b)
            description = text[:first] if name != plain and first > 0 else ""
            out.append(Candidate(name, doc, span, description, found_by,
                                  offset + a if section_at is None else section_at, lent))
    return out


def _clauses(text: str) -> list[tuple[int, int]]:
    return split_items(text, CLAUSE_SPLIT)


def _enumeration(doc: Document, clause: str, offset: int, found_by: str,
                 in_place: bool = False) -> list[Candidate]:
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
        # 等航电枢纽 lends itself; 等一批中小型水库 the kind of work its qualifiers describe
        shared = word if project_suffix(word) == word else shared_head(word)
        body = clause[: tail.start()]
        # "…涪江双江等航电枢纽和长江干线…、渠江重庆段等航道整治工程": a list already closed by
        # its own 等 before 和 is not this tail's
        cut = body.rfind("和")
        closed = body.rfind("等", 0, cut) if cut > 0 else -1
        if closed >= 0 and shared_head(body[closed + 1:cut]) and "、" not in body[closed:cut]:
            body, offset = body[cut + 1:], offset + cut + 1
    return _list_candidates(doc, body, offset, shared, found_by, in_place=in_place)


def _entry_candidates(doc: Document, entry: Section, gazetteer) -> list[Candidate]:
    """A 专栏 entry's projects. Its label is a category when its text lists projects
    (电源基础设施。建成…电厂、…电站); otherwise a label that names a work or a place is the
    project and its text the description (超瞬态实验装置：依托重庆大学…)."""
    a = doc.to_clean(entry.start)
    b = doc.to_clean(entry.end)
    text = doc.clean[a:b]
    label = entry.title
    body_at = len(label) + 1 if label and text.startswith(label) else 0
    body = text[body_at:]
    in_place = bool(label) and _names_place(gazetteer, label)
    out = []
    for ca, cb in _clauses(body):
        clause = body[ca:cb].strip()
        if clause.startswith(DESCRIPTIVE_HEADS):
            continue
        # only a bare list under a place's label is its sites (…：悦来中心、智博村、悦来汇。)
        bare = in_place and "，" not in body and not starts_with_verb(clause) and \
            not name_patterns()["verb_inside"].search(clause)
        found = _enumeration(doc, body[ca:cb], a + body_at + ca, "entry", bare)
        found += _route_items(doc, body[ca:cb], a + body_at + ca, gazetteer)
        for c in found:
            # 两江协同创新区核心区：推动A、B — the label's place locates its items
            c.description = c.description or label
        out += found
    # A label its own text counts or repeats (现代农业产业园。创建2—3个国家级现代农业产业园) is
    # the kind of thing listed, not one work.
    named_work = not out and is_project_name(label) and label not in body
    if label and (named_work or _names_place(gazetteer, label)):
        span = sentence_span(doc.clean, a, a + len(label))
        out.append(Candidate(label, doc, span, body, "entry", a))
    return out


def _names_place(gazetteer, label: str) -> bool:
    """A label that is exactly a (non-administrative) gazetteer place: 长嘉汇, 艺术湾. The
    scan's whole-label mention decides (the resolver's fuzzy rungs are no use for a label)."""
    whole = [m for m in mentions_in(gazetteer, label)
             if m.start == 0 and m.end == len(label) and m.place_id and m.status == "auto"]
    return bool(whole) and whole[0].confidence >= 0.95 and gazetteer.place(
        whole[0].place_id).kind not in ("district", "town", "municipality")


def _route_items(doc: Document, clause: str, offset: int, gazetteer) -> list[Candidate]:
    """Routes written as places joined by separators (合川—璧山—江津) in a 专栏 list."""
    out = []
    sep = name_patterns()["route"]
    for ia, ib in split_items(clause, "、"):
        item = clean_item(clause[ia:ib])
        parts = sep.split(item)
        if len(parts) < 2 or not all(parts):
            continue
        inside = [gazetteer.resolve(part, fuzzy=False).status in ("resolved", "ambiguous")
                  for part in parts]
        # a route may leave the city (重庆—赤水—叙永): an outside seat is a stop too
        outside = [not here and _is_outside(part) for part, here in zip(parts, inside, strict=True)]
        if any(inside) and all(h or o for h, o in zip(inside, outside, strict=True)):
            out.append(Candidate(item, doc, sentence_span(doc.clean, offset + ia, offset + ib),
                                  "", "entry", offset + ia))
    return out


def _is_outside(text: str) -> bool:
    found = outside_at_start(text)
    return found is not None and found[1] == len(text)


def _sentence_list_candidates(doc: Document, gazetteer) -> list[Candidate]:
    """Enumerations anywhere that end in a list tail (…等项目建设), or whose every item is a
    project name (推动A高速连接线、B联络线落地实施), and collectives' lists."""
    p = name_patterns()
    clean = doc.clean
    out = []
    for m in p["tail"].finditer(clean):
        a, _ = sentence_span(clean, m.start(), m.start())
        clause_start = max(clean.rfind(ch, a, m.start()) for ch in "，；：") + 1
        clause_start = max(clause_start, a)
        out += _labelled(_enumeration(doc, clean[clause_start:m.start()], clause_start, "list"),
                         clean, a, clause_start)
    for m in HEAD_TAIL.finditer(clean):
        a, _ = sentence_span(clean, m.start(), m.start())
        start = max(clean.rfind(ch, a, m.start()) for ch in "，；：") + 1
        # "…等大型水库和永川白沙、…等一批中型水库": a list starts after the previous one's head
        start = max(start, a, *(clean.rfind(h + "和", a, m.start()) + len(h) + 1
                                for h in SHARED_HEADS if clean.rfind(h + "和", a, m.start()) >= 0))
        out += _labelled(_list_candidates(doc, clean[start:m.start()], start, m.group(1), "list"),
                         clean, a, start)
    for m in WATER_TAIL.finditer(clean):
        a, _ = sentence_span(clean, m.start(), m.start())
        start = max(a, *(clean.rfind(ch, a, m.start()) + 1 for ch in "，；："))
        items = split_items(clean[start:m.start()], "、")
        if all(clean_item(clean[start + x:start + y]).endswith(WATER_ENDINGS) for x, y in items):
            out += _list_candidates(doc, clean[start:m.start()], start, m.group(1), "list")
    for m in re.finditer(r"[^，；。：！？\n]{6,300}", clean):
        clause = m.group(0)
        items = split_items(clause, "、")
        # (only a chain, joined by route separators, reads as three names or more)
        if len(items) == 1 and p["route"].search(clause) and len(names_in_item(clause)) >= 3:
            # 串联桃源公园—红树林公园—…: a chain of works is a list of its own
            out += _list_candidates(doc, clause, m.start())
            continue
        if len(items) < 2 and not CONJUNCTIONS.search(clause):
            continue
        names = [names_in_item(clause[a:b], head)
                 for (a, b), head in zip(items, run_heads(clause, items), strict=True)]
        # one unrecognised item no longer drops the list: most items must be works
        named = sum(1 for n in names if n)
        if named * 3 >= len(names) * 2 and sum(len(n) for n in names) >= 2 and any(
                anchored(gazetteer, n) for group in names for n, _ in group):
            out += _enumeration(doc, clause, m.start(), "list")
    return out + _collective_candidates(doc)


def _labelled(found: list[Candidate], clean: str, sentence_start: int, list_start: int):
    """Candidates of a list that a label opens (龙盛新城：新建…、两江智能制造创新中心等项目):
    the label is where they are, their description."""
    if list_start > sentence_start and clean[list_start - 1] == "：":
        label = clean[sentence_start:list_start - 1]
        for c in found:
            c.description = c.description or label
    return found


def _collective_candidates(doc: Document) -> list[Candidate]:
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
                span = sentence_span(clean, a + ia, a + ib)
                out.append(Candidate(name, doc, span, "", "list", a + ia))
    return out


def _entity_candidates(doc: Document, gazetteer) -> list[Candidate]:
    """Named works in running text that carry a located place or a line's number in their
    name (15号线延伸线)."""
    clean = doc.clean
    out = []
    for m in re.finditer(r"[^，。；：、！？“”《》\n\s]{4,40}", clean):
        run = m.group(0)
        for name, _ in names_in_item(run):
            # 绿道系统和礼嘉山城步道: the part before 和 names nothing, the work is what follows
            joined = list(CONJUNCTIONS.finditer(name))
            if joined and not anchored(gazetteer, name[: joined[-1].start()]) and \
                    is_project_name(name[joined[-1].end():]):
                name = name[joined[-1].end():]
            mentions = mentions_in(gazetteer, name)
            # the city's own name opens an institution's (重庆卓越工程师学院): as good as a place
            if len(name) > 25 or not (LINE_NUMBER.search(name) or name.startswith(
                    CITY.short_name) and len(name) >= len(CITY.short_name) + 4 or any(
                    x.status in ("auto", "review") and x.place_id for x in mentions)):
                continue
            if is_admin_area(gazetteer, name, mentions):
                continue  # 两江新区 in running text is where things are, not a project
            at = max(run.find(name), 0)
            if is_whole_place(name, mentions) and clean[:m.start() + at].endswith(
                    name_patterns()["context_words"]):
                continue  # 依托重庆大学城…: a place named in passing
            start = m.start() + at
            out.append(Candidate(name, doc, sentence_span(clean, start, start + len(name)),
                                  "", "entity", start))
    return out


def _block_candidates(doc: Document) -> list[Candidate]:
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
        first = sentence_span(doc.clean, a + 1, a + 1)
        first = (max(first[0], a), first[1])
        out.append(Candidate(name, doc, first, doc.clean[a:b], "block", a))
        # 鱼复、龙兴、水土新城建设工程: the block's works are projects too, each with the head
        # its name writes once
        works = re.sub("(?:建设)?(?:工程|项目)$", "", name)
        at = doc.clean.rfind(works, 0, b)
        if "、" in works and at >= 0:
            out += _list_candidates(doc, works, at, project_suffix(works), section_at=a)
    return out


def extract_candidates(doc: Document, gazetteer) -> list[Candidate]:
    cands = _block_candidates(doc)
    for s in doc.sections:
        if s.kind == "entry":
            cands += _entry_candidates(doc, s, gazetteer)
    cands += _sentence_list_candidates(doc, gazetteer)
    cands += _entity_candidates(doc, gazetteer)
    return [c for c in cands if not rejected(gazetteer, c)]
