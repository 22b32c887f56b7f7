"""The gazetteer's index over a data folder: every name, alias, normalised and base form to
its places, the districts, the towns without coordinates. Built once per folder and shared;
``gazetteer.core`` answers queries from it and ``gazetteer.scan`` builds its automaton from it."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from gazetteer.normalise import base_name, normalise
from gazetteer.places import GAZETTEER_DIR, Place, load_places

# Confidence of each rung of the matching ladder: how sure a match by that rung can be.
RUNG_CONFIDENCE = {
    "exact": 1.0,
    "alias": 0.97,
    "normalised": 0.95,
    "suffix": 0.9,
    "district_hint": 0.9,  # in a text: a stem qualified by its district, 酉阳龚滩
    "pinyin": 0.85,
    "homophone": 0.8,  # same pinyin, other characters: the usual input-method typo (礼家 → 礼嘉)
    "prefix": 0.6,
}
# Rungs that match a written name itself; pinyin, homophone, prefix and fuzzy are guesses that
# curated data (structure members) must not rely on.
NAME_RUNGS = frozenset({"exact", "alias", "normalised", "suffix", "district_hint"})

@dataclass
class Index:
    places: list[Place]
    by_id: dict[str, Place]
    exact: dict[str, list[int]] = field(default_factory=dict)
    alias: dict[str, list[int]] = field(default_factory=dict)
    norm: dict[str, list[int]] = field(default_factory=dict)
    base: dict[str, list[int]] = field(default_factory=dict)
    districts: list[tuple[str, str]] = field(default_factory=list)  # (normalised name, adcode)
    # NBS towns that have no coordinates: (name, district, rung at which the key matches them)
    unlocated: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)
    automaton: object = None  # Aho-Corasick automaton for scanning, built on first use
    answers: dict = field(default_factory=dict)  # (query, adcode) → Resolution, bounded
    # id(Resolution) → (Resolution, its best Location): a remembered answer's Location is
    # built once (geopy's Point and the raw dict are most of an exact geocode's cost)
    locations: dict = field(default_factory=dict)
    # tables derived from the above on first use (sorted keys, readings, metric coordinates):
    # shared like the index, so a new Gazetteer() over the same folder never rebuilds them
    derived: dict = field(default_factory=dict)


def add_to(table: dict, key: str, value) -> None:
    """Appends ``value`` to ``table[key]`` once (an empty key is no key)."""
    if key:
        bucket = table.setdefault(key, [])
        if value not in bucket:
            bucket.append(value)


def build_index(directory: Path, with_planner: bool = False) -> Index:
    places = load_places(directory)
    if with_planner:
        from gazetteer.planner import planner_places

        places = places + planner_places()
    index = Index(places=places, by_id={p.id: p for p in places})
    for i, p in enumerate(places):
        add_to(index.exact, p.name, i)
        for a in p.aliases:
            add_to(index.alias, a, i)
        for n in p.names:
            key = normalise(n)
            add_to(index.norm, key, i)
            add_to(index.base, base_name(key), i)
        if p.kind == "district":
            for n in p.names:
                index.districts.append((normalise(n), p.adcode))
    index.districts.sort(key=lambda d: -len(d[0]))
    unmatched = directory / "towns_unmatched.csv"
    if unmatched.exists():
        # NBS area codes → today's district (a former district's row names its successor)
        district_names = {p.id.removeprefix("d-"): p.district for p in places
                          if p.kind == "district"}
        with open(unmatched, encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                name = row["name"]
                district = district_names.get(row["areaCode"], row["areaCode"])
                key = normalise(name)
                add_to(index.unlocated, key, (name, district, "normalised"))
                add_to(index.unlocated, base_name(key), (name, district, "suffix"))
    return index


_INDEXES: dict[tuple, Index] = {}


def index_for(directory: Path) -> Index:
    """The index of a data folder; the default folder's also holds the places planners
    decided (gazetteer/planner.py), so a new decision makes a new index."""
    from gazetteer.planner import planner_stamp

    directory = Path(directory).resolve()
    planner = planner_stamp() if directory == GAZETTEER_DIR.resolve() else None
    key = (directory, planner)
    if key not in _INDEXES:
        if planner is not None:  # the open-data index stays; of those with decisions, the newest
            for old in [k for k in _INDEXES if k[0] == directory and k[1] is not None]:
                del _INDEXES[old]
        _INDEXES[key] = build_index(directory, with_planner=planner is not None)
    return _INDEXES[key]
