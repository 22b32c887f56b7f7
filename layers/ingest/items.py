"""How one list item reads as works: the head a list writes once for its items (水库, 变电站,
分校区 …), size words, two works joined by 和, and sites a 专栏 lists by name alone."""

from __future__ import annotations

import re
from functools import lru_cache

from geo.vocabulary import suffixes
from layers.ingest.names import (
    CONJUNCTIONS,
    clean_item,
    etc_at,
    inside_suffix_word,
    is_project_name,
    name_patterns,
    project_suffix,
)
from layers.ingest.rules import rules, starts_with_verb

SHARED_HEADS = suffixes("shared_heads")
SIZE_WORDS = suffixes("size_words")
PART_HEADS = suffixes("part_heads")
LENT_HEADS = frozenset((*SHARED_HEADS, *PART_HEADS))
LENT_HEAD_ORDER = (*PART_HEADS, *SHARED_HEADS)  # part heads first: 新校区 before 校区
OWN_KIND_ENDINGS = suffixes("own_kind_endings")
WATER_HEADS = suffixes("water_heads")
WATER_ENDINGS = suffixes("water_endings")
QUALIFIER_HEAD = re.compile(r"\d+千伏")
# 盘溪河…流域海绵城市改造专项工程: a river's name, then a work in its basin
BASIN_WORK = re.compile("^.{1,6}?(?:" + "|".join(map(re.escape, WATER_ENDINGS)) + ")(流域.{4,})$")


@lru_cache(maxsize=200_000)
def names_in_item(raw: str, shared_suffix: str = "") -> tuple[tuple[str, str], ...]:
    """(project name, the head it was lent or '') of each work in one list item: "X等Y" keeps
    X; "A和B" is two works when A is one; a bare item takes the list's shared head."""
    if etc_at(raw) >= 0:
        raw = raw[: etc_at(raw)]
    # 串联礼嘉智慧公园—金海湾公园—白马社区公园: a chain of works, each a name of its own (a
    # route's stops are places, not works, and stay one name)
    chain = [clean_item(x) for x in name_patterns()["route"].split(raw)] \
        if name_patterns()["route"].search(raw) else []
    if len(chain) >= 3 and sum(map(is_project_name, chain)) * 3 >= len(chain) * 2:
        return tuple((without_size_word(x), "") for x in chain if is_project_name(x))
    parts = [raw]
    borrowed = ""  # the head the first of two works joined by 和 takes from the second
    m = CONJUNCTIONS.search(raw)
    first = clean_item(raw[: m.start()]) if m else ""
    second_head = shared_head(clean_item(raw[m.end():])) if m else ""
    # 石堰口和宋家沟水库, 110千伏石头和红花变电站: two works of one shared head (a concrete kind)
    # 110千伏石头和红花变电站: the first work's rating is the second's too
    rating = QUALIFIER_HEAD.match(first) if m else None
    second = raw[m.end():] if m else ""
    if rating and not QUALIFIER_HEAD.match(clean_item(second)):
        second = rating.group(0) + clean_item(second)
    elif m and (host := _host_of(first)) and _is_component(clean_item(second)):
        second = host + clean_item(second)  # 江北国际机场T3B航站楼及第四跑道: the airport's
    if m and (is_project_name(first) or shared_suffix in SHARED_HEADS
              and is_project_name(first + shared_suffix)):
        parts = [raw[: m.start()], second]
    elif m and second_head and not project_suffix(first) and is_project_name(first + second_head):
        parts = [raw[: m.start()] + second_head, second]
        borrowed = second_head
    elif m and (brand := _brand_pair(first, clean_item(second))):
        # 京东方及宇隆研发中心: two firms' works of one kind, the kind written once
        parts, borrowed = [first + brand, second], brand
    elif m and project_suffix(first) and len(first) <= len(project_suffix(first)) + 1 \
            and is_project_name(clean_item(raw[m.end():])):
        # (…发展)示范园和礼嘉区块链谷: a bare project word before 和 is the tail of a work cut
        # off, no part of the next one's name
        parts = [raw[m.end():]]
    names = []
    for k, part in enumerate(parts):
        name = clean_item(part)
        lent = borrowed if k == 0 else ""
        # a reach (…重庆段) says where, the shared head what: 渠江重庆段等航道整治工程
        # …重庆大学、西南大学等高校分校区: a part head names a part of each item's own work
        # 铜梁同心桥 in …等一批中小型水库 is a reservoir: a one-character project word (桥)
        # is part of the item's name when the list names another kind (not 富力站 …等变电站)
        own = project_suffix(name)
        if shared_suffix and (not own or name.endswith("段") and shared_suffix in SHARED_HEADS
                              or shared_suffix in PART_HEADS
                              or len(own) == 1 and shared_suffix in SHARED_HEADS
                              and not shared_suffix.endswith(own)):
            if len(name) < 2:
                continue  # nothing of its own left (綦江（二期）… cleaned away)
            if is_project_name(name + shared_suffix):
                name, lent = name + shared_suffix, shared_suffix
        if not is_project_name(name):
            # "开州设立万达开川渝统筹发展示范区": the work is what follows the last action
            verbs = [m for m in name_patterns()["verb_inside"].finditer(name, 1)
                     if not inside_suffix_word(name, m.start())]
            tails = (clean_item(name[v.end():]) for v in reversed(verbs))
            name, lent = next((t for t in tails if is_project_name(t)), ""), ""
            if not name:
                continue
        names.append((without_size_word(name), lent))
    return tuple(names)


def _host_of(name: str) -> str:
    """The work a part belongs to, at the start of its name (江北国际机场 of …T3B航站楼)."""
    for end in range(len(name) - 1, 2, -1):
        suffix = project_suffix(name[:end])
        if len(suffix) >= 2 and is_project_name(name[:end]):
            return name[:end]
    return ""


def _is_component(name: str) -> bool:
    """A part named only by its order or number (第四跑道, T3航站楼)."""
    suffix = project_suffix(name)
    return bool(suffix) and len(name) - len(suffix) <= 3 and bool(
        re.match(r"第|[A-Z]?\d", name))


def without_size_word(name: str) -> str:
    """云阳向阳大型水库 → 云阳向阳水库: the size word before a shared head is the list's, not
    the work's name."""
    head = shared_head(name)
    for size in SIZE_WORDS if head else ():
        stem = name[: -len(head)]
        if stem.endswith(size) and len(stem) > len(size) + 1:
            return stem[: -len(size)] + head
    return name


@lru_cache(maxsize=1)
def district_short_names() -> tuple[str, ...]:
    """Short names of the districts, current and former (plans before 2026: 江北, 渝北)."""
    from gazetteer.places import GAZETTEER_DIR, read_place_file
    from geo.boundaries import short_name

    names = set()
    for p in read_place_file(GAZETTEER_DIR / "districts.csv"):
        if p.kind == "district":
            names |= {short_name(p.name), p.name.removesuffix("新区")}
    return tuple(sorted(names, key=len, reverse=True))


@lru_cache(maxsize=50_000)
def is_site_name(item: str, in_place: bool = False) -> bool:
    """A district's short name then the site's own name (黔江濯水古镇, 永川茶山竹海, 江北不夜九街):
    how a 专栏 lists the sites it is about, with no project word; under a label that is a
    place (悦来国际会展城：…、智博村、悦来汇) the site's own name alone."""
    head = next((d for d in district_short_names() if item.startswith(d)), "")
    if head:
        return _is_site_own_name(item[len(head):], 12)
    return in_place and not item.startswith(name_patterns()["generic"]) and \
        _is_site_own_name(item, 8)


def _is_site_own_name(rest: str, longest: int) -> bool:
    r = rules()
    return 2 <= len(rest) <= longest and re.fullmatch(r"[\u4e00-\u9fff·•—]+", rest) \
        is not None and not starts_with_verb(rest) and not name_patterns()[
            "verb_inside"].search(rest) and not rest.endswith(tuple(r["not_site_endings"])) \
        and not any(w in rest for w in r["not_site_words"])


def _brand_pair(first: str, second: str) -> str:
    """The kind two short names share when only the second writes it (京东方及宇隆研发中心 →
    研发中心), else ''. Both names are a firm's or brand's two or three characters, and the
    kind is one the vocabulary knows (a project word, or a generic name such as 研发中心)."""
    if project_suffix(first) or not (2 <= len(first) <= 3) \
            or not re.fullmatch(r"[\u4e00-\u9fff]+", first):
        return ""
    kinds = name_patterns()["generic_names"]
    for k in (2, 3):
        kind = second[k:]
        if kind in kinds or kind == project_suffix(kind):
            return kind if is_project_name(first + kind) else ""
    return ""


@lru_cache(maxsize=100_000)
def shared_head(word: str) -> str:
    """The head ``word`` ends with, when it is one a list writes once for all its items."""
    if not word.endswith(LENT_HEAD_ORDER):
        return ""
    return next(h for h in LENT_HEAD_ORDER if word.endswith(h))


def _before_action(item: str) -> str:
    """An item up to the action inside it (金凤镇卫生院升级为二级综合医院 → 金凤镇卫生院): the
    head a list shares is its works' kind, not what they become."""
    head = shared_head(item)
    for m in name_patterns()["verb_inside"].finditer(item, 1):
        # …生态保护修复工程: an action inside the shared head itself is the head's
        if not inside_suffix_word(item, m.start()) and m.start() < len(item) - len(head):
            return item[: m.start()]
    return item


def run_heads(text: str, items: list[tuple[int, int]]) -> list[str]:
    """The head each item takes: a run of bare items (no project word of their own) takes the
    shared head of the item that closes it (…大塘、枣子、学团变电站、礼白大道… → 枣子变电站)."""
    heads, head, on_water = [], "", False
    for a, b in reversed(items):
        whole = clean_item(text[a:b])
        item = _before_action(whole)
        # …铜锣峡、黄草峡储气库和巴南一品油库: the head of the work before 和 closes the run
        own = shared_head(item) or shared_head(CONJUNCTIONS.split(item)[0])
        # 南川页岩气和潼南—合川、开州罗家寨常规天然气: a bare work after 和 opens the run that
        # follows, and takes its head
        joined = CONJUNCTIONS.split(item)
        second_bare = head if len(joined) == 2 and own and not shared_head(item) and \
            not project_suffix(joined[1]) and not joined[1].endswith(OWN_KIND_ENDINGS) else ""
        basin = BASIN_WORK.match(whole)
        if basin and is_project_name(whole):
            # 盘溪河、肖家河、跳蹬河流域海绵城市改造专项工程: the work in each river's basin
            own = head = basin.group(1)
            on_water = True
        elif own and len(item) > len(own):
            head, on_water = own, own in WATER_HEADS
        elif project_suffix(item) and not (len(project_suffix(item)) == 1
                                           and head.endswith(project_suffix(item))):
            head = ""  # a work of another kind ends the run (高新站 in a run of 变电站 does not)
        # a river keeps its own kind, except against a work done to a river
        river = on_water and item.endswith(WATER_ENDINGS)
        bare = not own and not project_suffix(item) and (
            river or not item.endswith(OWN_KIND_ENDINGS))
        heads.append(head if bare else second_bare)
    return heads[::-1]
