"""The precision gate: candidate names that are not works a planner would map — types,
programmes, counted classes, roles a plan gives a place, places named in passing — however
they were read. Words are data (``data/ingest/rules.yaml``)."""

from __future__ import annotations

import re
from bisect import bisect_left
from functools import lru_cache

from gazetteer.scan import abbreviations
from geo.vocabulary import suffixes
from layers.ingest.locate import mentions_in
from layers.ingest.model import Candidate
from layers.ingest.names import name_patterns, project_suffix, strip_phase
from layers.ingest.rules import rules

DISTRICT_HEADS = frozenset(suffixes("district_heads"))
WATER_HEADS = frozenset(suffixes("water_heads"))
PLACE_HEADS = frozenset(suffixes("place_heads"))
# size words that are not themselves a count (一批 is)
SIZE_WORD = re.compile("|".join(w for w in suffixes("size_words") if not w.startswith("一")))


def rejected(gazetteer, c: Candidate) -> bool:
    """Whether the candidate is not a work (see the module's doc)."""
    if is_type_name(gazetteer, c.name) or is_programme(gazetteer, c.name) \
            or in_passing(gazetteer, c) or is_counted(c) or is_positioning(c) \
            or is_laid_out_class(gazetteer, c):
        return True
    if not c.lent_head:
        return False
    item = c.name[: -len(c.lent_head)]
    if c.lent_head in PLACE_HEADS and "等" + c.lent_head in c.doc.clean[slice(*_clause(c))]:
        # 协同建设好礼嘉、悦来、水土、龙盛等片区: areas "such as" places the gazetteer has are
        # those places, named by way of example (解放碑、江北嘴、弹子石三个片区 are the three
        # sites a 消费 专栏 is about)
        return is_whole_place(item, mentions_in(gazetteer, item)) or bool(
            gazetteer.resolve(item, fuzzy=False).candidates)
    if c.lent_head in DISTRICT_HEADS:
        # a head a plan lends to places (涪陵、南川页岩气) names nothing at a non-place
        # (复合材料、电子材料和页岩气、氢能等产业 lists industries)
        return not any(m.place_id for m in mentions_in(gazetteer, item)) \
            and not gazetteer.resolve(item, fuzzy=False).candidates  # 万盛, 复兴: a bare stem
    # a head lent to a bare district names no work of its own (江津、铜梁、合川等至中心城区的…
    # 铁路 is not 江津铁路); a town's may (水土、龙兴老街 → 水土老街)
    # (綦江防洪综合治理: a work done to a river, which may share a district's name)
    return c.lent_head not in WATER_HEADS and is_district(gazetteer, item)


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
    # 新（扩）建城市大型水厂49座 counts 城市水厂: the size word is the list's, not the name's
    for text in dict.fromkeys((sentence, SIZE_WORD.sub("", sentence))):
        at = text.find(c.name)
        while at >= 0:
            if after.match(text, at + len(c.name)) or before.search(text[:at]):
                return True
            at = text.find(c.name, at + 1)
    return False


@lru_cache(maxsize=64)
def _marks(clean: str, marks: str) -> list[int]:
    """Offsets of every character of ``marks`` in a document's clean text, in order."""
    return [i for i, ch in enumerate(clean) if ch in marks]


def _clause(c: Candidate) -> tuple[int, int]:
    """Clean offsets of the clause the candidate was read from (between ，；：。 marks; a
    colon opens a clause but does not close one)."""
    clean = c.doc.clean
    opening = _marks(clean, "，；：。！？\n")
    closing = _marks(clean, "，；。！？\n")
    k = bisect_left(opening, c.section_at)
    start = opening[k - 1] + 1 if k else 0
    k = bisect_left(closing, c.section_at)
    return start, closing[k] if k < len(closing) else len(clean)


def anchored(gazetteer, name: str) -> bool:
    """Whether a name holds something proper: a located place, a number, a Latin name or a
    compound of place abbreviations (天际线、山脊线、水际线 is a slogan; 27号线、渝广城际铁路、
    成渝中线高铁 are works)."""
    return bool(re.search(r"[0-9A-Za-z]", name)) or any(a in name for a in abbreviations()) \
        or any(
        m.place_id and m.status in ("auto", "review") for m in mentions_in(gazetteer, name))


def is_laid_out_class(gazetteer, c: Candidate) -> bool:
    """集中布局技术创新中心、前沿交叉研究平台、孵化器: what a plan lays out is kinds of facility,
    and 机动车尾气遥感检测设施 is one by its ending; such a name holding nothing proper is a kind."""
    r = rules()
    start, _ = _clause(c)
    at = c.doc.clean.find(c.name, start)
    lead = c.doc.clean[start:at] if at >= 0 else ""
    return (c.name.endswith(tuple(r["class_endings"])) or any(v in lead for v in r["class_verbs"])) \
        and not anchored(gazetteer, c.name)


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
    """A name the plan draws by, in a clause that builds nothing: wholly a known place in
    running text (串联果园港、鱼复新城; 发挥悦来国际会展城…作用), or any name listed in a
    clause that opens with a linking word (东连渝北仙桃数据谷, 西接蔡家智慧新城; rules.yaml
    passing_words, which leave out 串联: a 专栏's green ring strings its own sites)."""
    if c.found_by == "block":
        return False
    start, end = _clause(c)
    clean = c.doc.clean
    clause = clean[start:end].replace(c.name, "")
    if any(w in clause for w in rules()["build_words"]):
        return False
    at = clean.find(c.name, start, end)
    lead = clean[start:at] if at >= 0 else ""
    # (沿空港大道、渝都大道: the linking word may be read into the first name)
    if re.sub("^向[东南西北]", "", lead + c.name).startswith(tuple(rules()["passing_words"])):
        return True
    return c.found_by in ("list", "entity") and is_whole_place(c.name,
                                                               mentions_in(gazetteer, c.name))


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
