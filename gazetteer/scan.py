"""Finding place names in running text: every mention with its offsets.

One Aho-Corasick automaton holds every name and alias of the gazetteer, the bare stems of
planning places (礼嘉 for 礼嘉片区), and the phrases of ``not_places.csv`` (山清水秀, 民族复兴,
长江 …). Matches are leftmost-longest and non-overlapping, so a phrase that contains a place name
(清水 in 山清水秀) swallows it. Offsets are those of the original text: the text is folded
character by character.

The bare stems of 街道/镇/乡 are not scanned: hundreds of them are ordinary words (宜居, 公平,
民主, 青年, 天府 …). A stem is found when its district qualifies it, as plans write
(酉阳龚滩古镇, 巫山大昌, 江津白沙); a stem plans use alone (礼嘉, 水土, 龙兴) is an alias of
its town, declared in ``town_aliases.csv``.
"""

from __future__ import annotations

import bisect
import csv
import dataclasses
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from ahocorasick_rs import AhoCorasick, MatchKind

from gazetteer.index import RUNG_CONFIDENCE, Index
from gazetteer.normalise import base_name, fold_table, normalise
from gazetteer.places import GAZETTEER_DIR
from geo.city import CITY

if TYPE_CHECKING:  # scan serves the Gazetteer, which imports it
    from gazetteer.core import Gazetteer

NOT_PLACES_FILE = GAZETTEER_DIR / "not_places.csv"
# The whole municipality is named in almost every sentence; it is no place to put on a map.
UNSCANNED_KINDS = {"municipality"}
# Administrative units are found by their names and aliases only, never by a bare stem.
NO_STEM_KINDS = {"municipality", "district", "town", "region"}
AUTO_THRESHOLD = 0.8
STEM_RUNGS = {"suffix"}  # matches by a name with its place-type suffix stripped


@dataclass(frozen=True)
class Mention:
    """A place found in a text: [start, end) are offsets into the original text."""

    document: str
    start: int
    end: int
    text: str
    place_id: str | None
    name: str
    confidence: float
    status: str  # auto | review | unlocated
    matched_by: str
    candidates: tuple[str, ...] = field(default=())  # place ids, best first (review)
    note: str = ""

    def as_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class NotPlace:
    """A phrase recognised so that the place names inside it are not taken as places."""

    phrase: str
    # ordinary | linear | outside | abbreviation (a compound of place abbreviations, 成渝: it
    # locates nothing, but a work named with it is a proper name, 成渝中线高铁)
    category: str
    reason: str


def abbreviations() -> tuple[str, ...]:
    """The declared compounds of place abbreviations (成渝, 川渝)."""
    return tuple(np_.phrase for np_ in load_not_places() if np_.category == "abbreviation")


@lru_cache(maxsize=4)
def load_not_places(path=NOT_PLACES_FILE) -> tuple[NotPlace, ...]:
    if not path.exists():
        return ()
    with open(path, encoding="utf-8", newline="") as fh:
        return tuple(NotPlace(r["phrase"].strip(), r["category"].strip(), r["reason"].strip())
                     for r in csv.DictReader(fh) if r["phrase"].strip())


@dataclass(frozen=True)
class Automaton:
    """The compiled keys (leftmost-longest) and, for key number i, its bucket."""

    matcher: AhoCorasick
    keys: tuple[str, ...]
    buckets: tuple[dict, ...]
    fold_table: dict  # the part of the folding table that can change a match
    foldable: re.Pattern  # any character that fold_table would change

    def fold(self, text: str) -> str:
        """``normalise.fold`` restricted to characters whose folded form occurs in some key:
        the others can never be part of a match, and plan text is full of them (，。：)."""
        if self.foldable.search(text) is None:
            return text
        return text.translate(self.fold_table)


def build_automaton(index: Index) -> Automaton:
    entries: dict[str, dict] = {}

    def put(key: str, value) -> None:
        if len(key) >= 2:
            entries.setdefault(key, {"places": {}, "not_place": None, "unlocated": [],
                                     "answers": {}})
            bucket = entries[key]
            if isinstance(value, NotPlace):
                bucket["not_place"] = value
            elif isinstance(value, tuple) and value[0] == "unlocated":
                bucket["unlocated"].append(value[1:])
            else:
                i, rung = value
                if i not in bucket["places"]:
                    bucket["places"][i] = rung

    district_names: dict[str, list[str]] = {}
    for p in index.places:
        if p.kind == "district":  # a former district's names qualify its successor's towns
            district_names.setdefault(p.district, []).extend(normalise(n) for n in p.names)

    def qualified(stem: str, district: str) -> list[str]:
        return [d + stem for d in district_names.get(district, [])] if stem else []

    for i, p in enumerate(index.places):
        if p.kind in UNSCANNED_KINDS:
            continue
        if p.kind == "town":
            for key in qualified(base_name(normalise(p.name)), p.district):
                put(key, (i, "district_hint"))
        put(normalise(p.name), (i, "exact"))
        for a in p.aliases:
            put(normalise(a), (i, "alias"))
        if p.kind not in NO_STEM_KINDS:
            for n in p.names:
                put(base_name(normalise(n)), (i, "suffix"))
    for key, namesakes in index.unlocated.items():
        for name, district, rung in namesakes:
            if rung != "suffix":
                put(key, ("unlocated", name, district))
                stem = base_name(key)
                # 武隆仙女山: the town has no point, but a place of that name in that district
                # may (the curated 仙女山); the qualified key then finds it.
                located = [i for i in index.norm.get(stem, [])
                           if index.places[i].district == district]
                for qkey in qualified(stem, district):
                    for i in located:
                        put(qkey, (i, "district_hint"))
                    put(qkey, ("unlocated", name, district))
    for np_ in load_not_places():
        put(normalise(np_.phrase), np_)
    for bucket in entries.values():
        if bucket["not_place"] is not None:
            # a declared ordinary word beats a place's bare stem (滨江 is riverside, not
            # 滨江新城); a place truly named or aliased so keeps its name
            bucket["places"] = {i: rung for i, rung in bucket["places"].items()
                                if rung not in STEM_RUNGS}
    keys = tuple(entries)
    # ahocorasick_rs rather than pyahocorasick: the latter searches a node's children one by
    # one, which with ~4,000 keys made scanning 4× slower.
    matcher = AhoCorasick(keys, matchkind=MatchKind.LeftmostLongest)
    alphabet = set("".join(keys))
    table = {code: ch for code, ch in fold_table().items() if ch in alphabet}
    foldable = re.compile("[" + re.escape("".join(map(chr, table))) + "]")
    return Automaton(matcher, keys, tuple(entries[k] for k in keys), table, foldable)


def find_places(gazetteer: Gazetteer, text: str, district: str | None = None,
                document: str = "", include_not_places: bool = False) -> list[Mention]:
    """Every place mention in ``text``. ``district`` (a name or adcode) prefers places there
    when a name is shared. With ``include_not_places`` the swallowed phrases are returned too,
    as mentions with status ``not_place`` (for the scan report)."""
    if not isinstance(text, str) or not text:
        return []
    automaton = gazetteer.automaton
    places = gazetteer.places
    adcode = None
    if district:
        adcode = gazetteer.district_adcode(district)
        if adcode is None:
            raise ValueError(f"未知区县：{district}")
    mentions = []
    buckets = automaton.buckets
    folded = automaton.fold(text)
    for index, start, stop in automaton.matcher.find_matches_as_indexes(folded):
        if start and folded[start].isdigit() and folded[start - 1].isdigit():
            continue  # "4号线" inside "14号线" is not line 4
        bucket = buckets[index]
        surface = text[start:stop]
        if bucket["places"]:
            # The answer depends only on the key and the district preference: work it out once.
            answer = bucket["answers"].get(adcode)
            if answer is None:
                answer = bucket["answers"][adcode] = _answer(gazetteer, bucket, places, adcode)
            mentions.append(Mention(document, start, stop, surface, *answer))
        elif bucket["not_place"] is not None:
            if include_not_places:
                np_ = bucket["not_place"]
                mentions.append(Mention(document, start, stop, surface, None, np_.phrase, 0.0,
                                        "not_place", np_.category, (), np_.reason))
        elif bucket["unlocated"]:
            names = "、".join(f"{d}{n}" for n, d in bucket["unlocated"])
            mentions.append(Mention(document, start, stop, surface, None, surface, 0.0,
                                    "unlocated", "unlocated", (),
                                    f"地名库知道该地名但没有坐标：{names}"))
    if any(m.status == "review" for m in mentions):
        mentions = _resolve_from_sentence(gazetteer, text, mentions)
    return mentions


_SENTENCE_END = re.compile(r"[。；;！？!?\n]")
CONTEXT_CONFIDENCE = 0.85  # a namesake chosen by its sentence: sure enough, below a name rung


def _resolve_from_sentence(gazetteer, text: str, mentions: list[Mention]) -> list[Mention]:
    """A name several districts share (人和, 复兴) is decided by its sentence when exactly one
    of its candidates lies in a district the sentence names, or where another place the
    sentence names lies ("云阳县人和街道", "江津区双福、白沙与…"); otherwise it stays review."""
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]

    def sentence_of(pos: int) -> int:
        return bisect.bisect_right(ends, pos)

    context: dict[int, set[str]] = {}
    for m in mentions:
        if m.status == "auto" and m.place_id:
            place = gazetteer.place(m.place_id)
            if place.adcode != CITY.adcode:
                context.setdefault(sentence_of(m.start), set()).add(place.adcode)
    out = []
    for m in mentions:
        if m.status == "review":
            near = context.get(sentence_of(m.start), set())
            fits = [c for c in m.candidates if gazetteer.place(c).adcode in near]
            if len(fits) == 1:
                chosen = gazetteer.place(fits[0])
                m = dataclasses.replace(
                    m, place_id=chosen.id, name=chosen.name, confidence=CONTEXT_CONFIDENCE,
                    status="auto", matched_by=m.matched_by + "+context",
                    note=f"同句提及{chosen.district}，据此确定")
        out.append(m)
    return out


def _answer(gazetteer, bucket, places, adcode) -> tuple:
    """(place id, name, confidence, status, matched_by, candidates, note) for a key."""
    scored = bucket["places"]
    ids = list(scored)
    if adcode is not None and any(places[i].adcode == adcode for i in ids):
        ids = [i for i in ids if places[i].adcode == adcode]
    ids.sort(key=lambda i: gazetteer.rank_key(places[i], RUNG_CONFIDENCE[scored[i]]))
    top = places[ids[0]]
    top_conf = RUNG_CONFIDENCE[scored[ids[0]]]
    namesakes = [(n, d) for n, d in bucket["unlocated"] if d != top.district
                 and (adcode is None or gazetteer.district_adcode(d) == adcode)]
    share = gazetteer.ambiguity([(places[i], RUNG_CONFIDENCE[scored[i]]) for i in ids], namesakes)
    confidence = top_conf / share
    status = "auto" if share == 1 and confidence >= AUTO_THRESHOLD else "review"
    note = ""
    if namesakes:
        note = "同名无坐标：" + "、".join(f"{d}{n}" for n, d in namesakes)
    return (top.id, top.name, round(confidence, 3), status, scored[ids[0]],
            tuple(places[i].id for i in ids), note)
