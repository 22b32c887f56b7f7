"""The precision gate: candidate names that are not works a planner would map — types,
programmes, counted classes, roles a plan gives a place, places named in passing — however
they were read. Words are data (``data/ingest/rules.yaml``)."""

from __future__ import annotations

import re
from functools import lru_cache

from geo.vocabulary import suffixes
from layers.ingest.locate import mentions_in
from layers.ingest.model import Candidate
from layers.ingest.names import name_patterns, project_suffix, strip_phase
from layers.ingest.rules import rules

DISTRICT_HEADS = frozenset(suffixes("district_heads"))
WATER_HEADS = frozenset(suffixes("water_heads"))


def rejected(gazetteer, c: Candidate) -> bool:
    """Whether the candidate is not a work (see the module's doc)."""
    if is_type_name(gazetteer, c.name) or is_programme(gazetteer, c.name) \
            or in_passing(gazetteer, c) or is_counted(c) or is_positioning(c):
        return True
    # a head lent to a bare district names no work of its own (江津、铜梁、合川等至中心城区的…
    # 铁路 is not 江津铁路); a town's may (水土、龙兴老街 → 水土老街)
    # (綦江防洪综合治理: a work done to a river, which may share a district's name)
    return bool(c.lent_head) and c.lent_head not in DISTRICT_HEADS and \
        c.lent_head not in WATER_HEADS and is_district(gazetteer, c.name[: -len(c.lent_head)])


@lru_cache(maxsize=1)
def _count_patterns() -> tuple[re.Pattern, re.Pattern]:
    number = "[0-9０-９.一二三四五六七八九十百千万两]+(?:余|多)?"
    measure = "(?:" + "|".join(map(re.escape, rules()["count_measures"])) + ")"
    return (re.compile(number + measure),
            re.compile(number + measure + "[^、，；：。,]{0,12}$"))


def is_counted(c: Candidate) -> bool:
    """Whether the plan counts the name where it names it: a class (示范学校 of 250所…示范学校)."""
    after, before = _count_patterns()
    a, b = c.span
    sentence = c.doc.clean[a:b]
    at = sentence.find(c.name)
    while at >= 0:
        if after.match(sentence, at + len(c.name)) or before.search(sentence[:at]):
            return True
        at = sentence.find(c.name, at + 1)
    return False


def _clause(c: Candidate) -> tuple[int, int]:
    """Clean offsets of the clause the candidate was read from (between ，；：。 marks)."""
    clean = c.doc.clean
    start = max(clean.rfind(ch, 0, c.section_at) for ch in "，；：。！？\n") + 1
    ends = [i for i in (clean.find(ch, c.section_at) for ch in "，；。！？\n") if i >= 0]
    return start, min(ends, default=len(clean))


def is_positioning(c: Candidate) -> bool:
    """打造两江新区智慧体验中心、会展中心; 重点打造…中国西部氢谷: roles the plan gives a place
    (names ending like a role, listed after 打造 in their clause, no 等项目 calling them works)."""
    r = rules()
    if c.found_by == "block" or not c.name.endswith(tuple(r["positioning_suffixes"])):
        return False
    clean = c.doc.clean
    start, end = _clause(c)
    at = clean.find(c.name, start, end)
    lead = clean[start:at if at >= 0 else c.section_at]
    # roles come listed (打造A、B、C); one work built is one object (打造万州企业研发基地)
    return any(v in lead for v in r["positioning_verbs"]) and "、" in clean[start:end] \
        and not re.search("等[^、，。；]{0,6}(?:项目|工程)", clean[start:end])


def in_passing(gazetteer, c: Candidate) -> bool:
    """A running-text name that is wholly a known place, in a clause that builds nothing
    (串联果园港、鱼复新城; 发挥悦来国际会展城…作用): the plan names a place it has."""
    if c.found_by not in ("list", "entity"):
        return False
    mentions = mentions_in(gazetteer, c.name)
    if not is_whole_place(c.name, mentions):
        return False
    start, end = _clause(c)
    clause = c.doc.clean[start:end].replace(c.name, "")
    return not any(w in clause for w in rules()["build_words"])


def is_programme(gazetteer, name: str) -> bool:
    """工业污染防治工程, 垃圾分类项目, 智慧社保零距离服务系统: an action everywhere or an
    information system, no work in one place; 建设智能之谷、低碳之谷: a slogan."""
    r = rules()
    if name.endswith(tuple(r["slogan_endings"])):
        return True
    return any(w in name for w in (*r["programme_words"], *r["system_words"])) and not any(
        m.place_id for m in mentions_in(gazetteer, name))


def is_type_name(gazetteer, name: str) -> bool:
    """创新中心, 科技平台: a type word after two characters; 高速公路: a kind of work named by
    kinds of work — either naming no place (大学城 is one)."""
    p = name_patterns()
    suffix = project_suffix(name)
    modifier = strip_phase(name)[: -len(suffix)] if suffix else name
    typed = suffix and project_suffix(modifier) == modifier or suffix in p["type_suffixes"] \
        and len(modifier) <= 2 and not re.search(r"[0-9A-Za-z]", modifier)
    return bool(typed) and not any(m.place_id for m in mentions_in(gazetteer, name))


def is_whole_place(name: str, mentions) -> bool:
    """Whether one located mention covers all of ``name`` (鱼复新城 is a gazetteer place)."""
    return any(m.start == 0 and m.end == len(name) and m.place_id for m in mentions)


def is_district(gazetteer, name: str) -> bool:
    whole = [m for m in mentions_in(gazetteer, name)
             if m.start == 0 and m.end == len(name) and m.place_id]
    return bool(whole) and gazetteer.place(whole[0].place_id).kind in ("district", "municipality")


def is_admin_area(gazetteer, name: str, mentions) -> bool:
    """Whether ``name`` is, as a whole, an administrative unit the gazetteer knows."""
    whole = [m for m in mentions if m.start == 0 and m.end == len(name) and m.place_id]
    if whole:
        return gazetteer.place(whole[0].place_id).kind in ("district", "town", "municipality")
    return False
