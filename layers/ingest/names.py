"""What a project's name looks like: suffixes, phases, collectives, list items and clauses.

The vocabulary is data (``data/ingest/rules.yaml``); this module applies it.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

from gazetteer.normalise import normalise
from geo.vocabulary import suffixes
from layers.ingest.rules import rules, starts_with_verb

CLAUSE_SPLIT = "，；。：！？\n"
OPEN_BRACKETS = "（(“《【「"
CLOSE_BRACKETS = "）)”》】」"
AREA_SUFFIXES = suffixes("area_suffixes")
WHOLE_AREA_KINDS = set(suffixes("whole_area_kinds"))
WHOLE_AREA_ENDINGS = suffixes("whole_area_endings")
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
WORK_QUALIFIERS = re.compile("^(?:重点|重大|专项)+(?=.)")
NUMBERED_ROUTE = re.compile(r"[一二三四五六七八九十]+[纵横环射]")
# Two works joined in one phrase (江北国际机场和重庆西站) are two projects.
CONJUNCTIONS = re.compile("以及|和|及|与|并")
# Clauses that describe the labelled project rather than list others (长嘉汇：包括朝天门…).
DESCRIPTIVE_HEADS = ("包括", "依托", "围绕", "聚焦", "面向", "立足", "坚持", "总面积")
TRAILING = ("等项目建设", "等重点项目", "等重大项目", "等项目", "等工程", "项目建设", "等建设",
            "建设", "等", "改扩建", "扩建", "提档升级", "提质升级", "改造提升", "前期研究",
            "前期工作", "落地实施", "落地", "开工", "建成投用", "投用", "升级改造", "改造", "提升",
            "研究",
            "为牵引", "为核心", "为主体", "为重点", "为龙头", "为载体", "为依托", "为引领",
            "为主线", "为中心", "为主轴")


# How surely a finding names a project, most sure first.


def project_id(name: str) -> str:
    """Stable id: the same name gives the same id in every run and every plan."""
    return key_id(name_key(name))


def key_id(key: str) -> str:
    """The id of the project whose names have ``key`` (``name_key``)."""
    return "p-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:10]


def name_key(name: str) -> str:
    return re.sub(r"\s+", "", normalise(name))


@lru_cache(maxsize=1)
def name_patterns() -> dict:
    r = rules()
    return {
        "suffix": tuple(r["project_suffixes"]),
        "suffix_table": (tuple(sorted({len(x) for x in r["project_suffixes"]}, reverse=True)),
                         frozenset(r["project_suffixes"])),
        "generic": tuple(r["generic_heads"]),
        "proper": tuple(r.get("proper_heads") or ()),
        "generic_names": frozenset(r["generic_names"]),
        "type_suffixes": frozenset(r["type_suffixes"]),
        "clause_markers": tuple(r["clause_markers"]),
        "leading_actions": tuple(sorted(r["leading_actions"], key=len, reverse=True)),
        "etc_words": tuple(r["etc_words"]),
        "item_heads": (*FUNCTION_HEAD, *sorted(r["leading_actions"], key=len, reverse=True)),
        "programme_endings": tuple(r["programme_endings"]),
        "context_words": tuple(sorted(r["context_words"], key=len, reverse=True)),
        "collective": re.compile(r["collective_pattern"]),
        "tail": re.compile("(?:" + "|".join(r["list_tails"]) + ")"),
        "route": re.compile("[" + "".join(re.escape(s) for s in r["route_separators"]) + "]"),
        # between two places of a route: a short qualifier (城区, 段 …) then a separator
        "route_link": re.compile("[^{0}]{{0,6}}[{0}]\\s*".format(
            "".join(re.escape(s) for s in r["route_separators"]))),
        "verb_inside": re.compile("|".join(re.escape(v) for v in r["verbs"] if len(v) >= 2)),
        "linear": tuple(r["linear_suffixes"]),
    }


def strip_phase(name: str) -> str:
    while True:
        stripped = PHASE.sub("", name)
        if stripped == name or not stripped:
            return name
        name = stripped


ASIDE = re.compile(r"（[^（）]{1,20}）|\([^()]{1,20}\)")


def etc_at(text: str) -> int:
    """Where the 等 closing a list stands in ``text`` (-1: none); the 等 of a word (高等专科学校,
    同等, 等级: rules.yaml etc_words) is no list's."""
    words = name_patterns()["etc_words"]
    at = text.find("等")
    while at >= 0 and any(text.startswith(w, at - w.index("等")) for w in words):
        at = text.find("等", at + 1)
    return at


def without_asides(name: str) -> str:
    """The name without its bracketed asides: 重庆大学附属中心医院（重庆市急救医疗中心）科学城院区
    is the place 重庆大学附属中心医院科学城院区."""
    return ASIDE.sub("", name)


@lru_cache(maxsize=200_000)
def project_suffix(name: str) -> str:
    """The project word ``name`` ends with (工程, 大桥 …), ignoring a phase (二期, （一期）)."""
    core = strip_phase(name)
    lengths, suffixes = name_patterns()["suffix_table"]
    for n in lengths:
        if core[-n:] in suffixes:
            return core[-n:]
    return ""


@lru_cache(maxsize=200_000)
def is_project_name(name: str, allow_enumeration: bool = False) -> bool:
    """Precision gate: a name a planner would put on a map, not a goal, slogan or fragment.
    ``allow_enumeration`` admits a name that lists places (鱼复、龙兴、水土新城建设工程), as a
    name line or a collective's list writes it."""
    p = name_patterns()
    forbidden = r"[，。；：！？\n的]" if allow_enumeration else r"[，。；：！？、\n的]"
    if not 3 <= len(name) <= 40 or re.search(forbidden, name):
        return False
    if etc_at(name) >= 0 or strip_phase(name) in p["generic_names"]:
        return False
    if strip_phase(name).endswith(p["programme_endings"]):
        return False
    # 北部研发策源地以重庆大学城(为核心): a clause's marker inside makes it a fragment
    if any(name.find(w, 1) > 0 for w in p["clause_markers"]):
        return False
    # “五区”指…, “四廊”即…: a definition of a term, not a name
    if re.match(r"^“[^”]{1,8}”(?:指|即|是|为)", name):
        return False
    suffix = project_suffix(name)
    if not suffix:
        return _is_work_with_action(name)
    if len(strip_phase(name)) <= len(suffix) + 1:
        return False
    # A one-character project word (线, 园, 港 …) needs a modifier that names something:
    # 水际线 and 万州港 are a slogan and a place, 27号线 and 郑万高铁 are works.
    modifier = strip_phase(name)[: -len(suffix)]
    if len(suffix) == 1 and len(modifier) < 3 and not re.search(r"[0-9A-Za-z]", modifier) \
            and not NUMBERED_ROUTE.fullmatch(modifier):  # 一纵线, 六横线 are roads
        return False
    qualified = bool(re.search(r"（[^（）]{2,}）", name))  # a parenthesis names the site
    generic = name.startswith(p["generic"]) and not name.startswith(p["proper"])
    if (generic and not qualified) or COUNT_HEAD.match(name) \
            or starts_with_verb(name):
        return False
    if p["collective"].search(strip_phase(name)):
        return False
    if _unbalanced(name):
        return False
    # An action inside the name makes it a clause (长寿打造…示范区), unless the action is
    # part of the project word itself (…建设工程, …提升工程).
    for m in p["verb_inside"].finditer(name, 1):
        if inside_suffix_word(name, m.start()):
            continue
        rest = name[m.end():]
        while (verb := starts_with_verb(rest)) and len(rest) > len(verb):
            rest = rest[len(verb):]
        rest = WORK_QUALIFIERS.sub("", rest)  # …生态保护修复重点工程 is one work's name
        if strip_phase(rest) != project_suffix(rest):
            return False
    return True


WORK_ACTIONS = suffixes("work_actions")
REACH_WORDS = suffixes("reach_words")
WATER_ENDINGS = suffixes("water_endings")


def _is_work_with_action(name: str) -> bool:
    """渝遂高速扩能, 寸滩邮轮母港改造, 梁滩河全流域综合治理: a work's name, or a named river,
    then the action done to it."""
    core = strip_phase(name)
    action = next((a for a in WORK_ACTIONS if core.endswith(a)), "")
    if not action or starts_with_verb(core):
        return False
    rest = core[: -len(action)]
    reach = next((w for w in REACH_WORDS if rest.endswith(w)), "")
    river = rest[: len(rest) - len(reach)]
    # 梁滩河, 乌江; not 江河, 河湖 (water words, no river's name)
    named = len(river) >= 3 or len(river) == 2 and river[0] not in "江河湖溪沟水"
    if named and river.endswith(WATER_ENDINGS) and \
            not river.startswith(name_patterns()["generic"]):
        return True
    return bool(project_suffix(rest)) and is_project_name(rest)


def inside_suffix_word(name: str, at: int) -> bool:
    """Whether position ``at`` starts inside a project word (研究 in 研究院)."""
    lengths, suffixes = name_patterns()["suffix_table"]
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
        if s.startswith(name_patterns()["proper"]):
            break  # 以色列（重庆）生命科学园 begins with a name, not with 以
        heads = name_patterns()["item_heads"]
        for head in heads if s.startswith(heads) else ():
            if s.startswith(head) and len(s) > len(head) + 1:
                s = s[len(head):]
                changed = True
        for tail in TRAILING if s.endswith(TRAILING) else ():
            if s.endswith(tail) and len(s) > len(tail) + 1:
                if _is_work_with_action(s):
                    break  # 达（开）万铁路扩能改造, 蚂蟥梁立交改造: the action is the work's
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


def sentence_span(clean: str, start: int, end: int) -> tuple[int, int]:
    a = start
    while a > 0 and clean[a - 1] not in "。！？；\n":
        a -= 1
    b = end
    while b < len(clean) and clean[b] not in "。！？；\n":
        b += 1
    if b < len(clean) and clean[b] != "\n":
        b += 1
    return a, b
