"""The gazetteer: names → places, offline, with geopy's contract.

``Gazetteer().geocode(query)`` returns a ``geopy.location.Location`` (or None), like any geopy
geocoder, so it also works as ``geopandas.tools.geocode(names, provider=Gazetteer)``.
``resolve`` gives the full answer behind it: status, ranked candidates and the matching rung.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gazetteer.index import RUNG_CONFIDENCE, add_to, index_for
from gazetteer.normalise import base_name, clean_query, normalise
from gazetteer.places import GAZETTEER_DIR, KIND_RANK, Place
from gazetteer.scan import build_automaton, find_places

if TYPE_CHECKING:
    from geopy.location import Location

# geopy is imported where a Location is made: a build, which never makes one, starts faster

MAX_QUERY_CHARS = 200
MAX_REMEMBERED_ANSWERS = 100_000  # a batch repeats names; the index is immutable, answers too
DISTRICT_HINT_FACTOR = 0.95  # "渝北区礼嘉": the hint narrows, the rung inside it still counts
FUZZY_CUTOFF = 80.0
FUZZY_WEIGHT = 0.8  # a fuzzy score of 100 is still less sure than a normalised match


@dataclass(frozen=True)
class Candidate:
    place: Place | None  # None: a namesake known to exist but without coordinates
    confidence: float
    matched_by: str
    name: str = ""
    district: str = ""

    def as_dict(self) -> dict:
        if self.place is None:
            return {"name": self.name, "district": self.district, "located": False,
                    "confidence": round(self.confidence, 3), "matched_by": self.matched_by}
        p = self.place
        return {"id": p.id, "name": p.name, "kind": p.kind, "district": p.district,
                "adcode": p.adcode, "lon": p.lon, "lat": p.lat, "precision_m": p.precision_m,
                "source": p.source, "located": True, "confidence": round(self.confidence, 3),
                "matched_by": self.matched_by}


@dataclass(frozen=True)
class Resolution:
    """The whole answer to a query. status: resolved | ambiguous | unresolved | invalid."""

    query: str
    status: str
    candidates: tuple[Candidate, ...] = ()
    message: str = ""

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.status == "resolved" else None


def shared_table(build):
    """A table derived from the index, built on first use and kept with the index (so every
    Gazetteer over the same data folder shares it)."""
    name = build.__name__

    def get(self):
        tables = self.index.derived
        if name not in tables:
            tables[name] = build(self)
        return tables[name]

    return property(get, doc=build.__doc__)


class Gazetteer:
    """Offline geocoder over ``data/gazetteer``. The index is built once per data folder and
    shared by every instance, so ``Gazetteer()`` is cheap after the first."""

    def __init__(self, directory: Path | str = GAZETTEER_DIR, online=None):
        self.directory = Path(directory)
        self.index = index_for(Path(directory))
        self.online = list(online or [])  # optional geopy fallbacks, off unless given

    # ------------------------------------------------------------------ data access
    @property
    def places(self) -> list[Place]:
        return self.index.places

    def place(self, place_id: str) -> Place | None:
        return self.index.by_id.get(place_id)

    def district_adcode(self, name: str) -> str | None:
        key = normalise(name)
        return next((adcode for n, adcode in self.index.districts if n == key or adcode == key),
                    None)

    # ------------------------------------------------------------------ matching
    def resolve(self, query, district: str | None = None, fuzzy: bool = True) -> Resolution:
        """The places ``query`` names, best first. ``fuzzy=False`` keeps to the written
        rungs (exact … suffix, district hint): no readings, no edit distance — for names a
        document writes as places are written (a route's stops)."""
        if not isinstance(query, str):
            return Resolution(str(query), "invalid", message="查询必须是文本")
        text = clean_query(query)
        if not text:
            return Resolution(query, "invalid", message="查询为空")
        if len(text) > MAX_QUERY_CHARS:
            return Resolution(text[:50] + "…", "invalid",
                              message=f"查询过长（{len(text)} 字符，上限 {MAX_QUERY_CHARS}）")
        adcode = None
        if district:
            adcode = self.district_adcode(district)
            if adcode is None:
                return Resolution(text, "invalid", message=f"未知区县：{district}")
        key = (text, adcode) if fuzzy else (text, adcode, "written")
        remembered = self.index.answers.get(key)
        if remembered is not None:
            return remembered
        res = self._resolve(text, adcode, fuzzy)
        if len(self.index.answers) >= MAX_REMEMBERED_ANSWERS:
            self.index.answers.clear()
            self.index.locations.clear()
        self.index.answers[key] = res
        return res

    def _resolve(self, text: str, adcode: str | None, fuzzy: bool = True) -> Resolution:
        scored = self._ladder(text, adcode, fuzzy)
        if not scored:
            hinted = self._district_hint(text)
            if hinted and (adcode is None or hinted[0] == adcode):
                scored = {i: (c * DISTRICT_HINT_FACTOR, f"district_hint+{rung}")
                          for i, (c, rung) in self._ladder(hinted[1], hinted[0], fuzzy).items()}
        if not scored and fuzzy:
            scored = self._fuzzy(text, adcode)
        return self._rank(text, scored, adcode)

    def _filter(self, ids, adcode):
        return [i for i in ids if adcode is None or self.index.places[i].adcode == adcode]

    def _ladder(self, text: str, adcode: str | None,
                fuzzy: bool = True) -> dict[int, tuple[float, str]]:
        """Every place reached by the exact … prefix rungs, each at its best rung."""
        ix = self.index
        key = normalise(text)
        stripped = normalise(text, strip_prefix=True)
        stem = base_name(stripped)
        rungs = (
            ("exact", lambda: ix.exact.get(text, [])),
            ("alias", lambda: ix.alias.get(text, [])),
            ("normalised", lambda: ix.norm.get(key, []) + ix.norm.get(stripped, [])),
            ("suffix", lambda: ix.base.get(stripped, []) + ix.norm.get(stem, [])
             + ix.base.get(stem, [])),
            ("pinyin", lambda: self._pinyin_hits(text)),
            ("homophone", lambda: self._homophone_hits(stripped)),
        )
        scored: dict[int, tuple[float, str]] = {}
        for rung, hits in rungs:
            if rung in ("pinyin", "homophone") and (scored or not fuzzy):
                break  # a Chinese-character rung answered: readings add nothing but time
            for i in self._filter(hits(), adcode):
                scored.setdefault(i, (RUNG_CONFIDENCE[rung], rung))
        if scored and len(key) >= 2:
            # Longer names that start with the query stay visible as lower-ranked candidates
            # (江北 → 江北区 first, 江北国际机场 after it).
            for i in self._filter(self._prefix_hits(key), adcode):
                scored.setdefault(i, (RUNG_CONFIDENCE["prefix"], "prefix"))
        return scored

    def _district_hint(self, text: str) -> tuple[str, str] | None:
        """'渝北区礼嘉' / '渝北礼嘉' → (adcode of 渝北区, '礼嘉')."""
        key = normalise(text, strip_prefix=True)
        for name, adcode in self.index.districts:
            rest = key[len(name):]
            if key.startswith(name) and len(rest) >= 2:
                return adcode, rest
        return None

    @shared_table
    def _sorted_keys(self) -> list[str]:
        return sorted(self.index.norm)

    def _prefix_hits(self, key: str) -> list[int]:
        import bisect

        keys = self._sorted_keys
        out: list[int] = []
        for k in keys[bisect.bisect_left(keys, key):]:
            if not k.startswith(key):
                break
            if k != key:
                out.extend(self.index.norm[k])
        return out

    @shared_table
    def _pinyin_index(self) -> dict[str, list[int]]:
        from gazetteer.normalise import latin_key, pinyin_keys

        table: dict[str, list[int]] = {}
        for i, p in enumerate(self.index.places):
            for n in p.names:
                key = normalise(n)
                for variant in {key, base_name(key)} - {""}:
                    for reading in pinyin_keys(variant):
                        add_to(table, latin_key(reading), i)
        return table

    def _pinyin_hits(self, text: str) -> list[int]:
        from gazetteer.normalise import latin_key

        if not text.isascii() or not any(ch.isalpha() for ch in text):
            return []
        return self._pinyin_index.get(latin_key(text), [])

    def _homophone_hits(self, key: str) -> list[int]:
        from gazetteer.normalise import is_cjk, pinyin_keys

        if len(key) < 2 or not all(is_cjk(ch) for ch in key):
            return []
        return [i for reading in pinyin_keys(key) for i in self._pinyin_index.get(reading, [])]

    @shared_table
    def _fuzzy_keys(self) -> list[str]:
        return [k for k in self.index.norm if len(k) >= 2]

    def _fuzzy(self, text: str, adcode: str | None) -> dict[int, tuple[float, str]]:
        from rapidfuzz import fuzz, process

        key = normalise(text, strip_prefix=True)
        if len(key) < 2:
            return {}
        scored: dict[int, tuple[float, str]] = {}
        hits = process.extract(key, self._fuzzy_keys, scorer=fuzz.ratio,
                                score_cutoff=FUZZY_CUTOFF, limit=10)
        for k, score, _ in hits:
            for i in self._filter(self.index.norm[k], adcode):
                conf = FUZZY_WEIGHT * score / 100.0
                if conf > scored.get(i, (0.0, ""))[0]:
                    scored[i] = (conf, "fuzzy")
        return scored

    @staticmethod
    def _same_place(a: Place, b: Place) -> bool:
        """Two rows for one place (a 片区 and the 街道 it grew from): within each other's reach.
        An equirectangular distance is exact enough at the scale of a precision radius."""
        dx = math.radians(b.lon - a.lon) * math.cos(math.radians((a.lat + b.lat) / 2))
        dy = math.radians(b.lat - a.lat)
        return 6371000.0 * math.hypot(dx, dy) <= max(a.precision_m, b.precision_m)

    @staticmethod
    def rank_key(place: Place, confidence: float) -> tuple:
        """Order of candidates: confidence, then planning places before administrative units,
        then the finer place."""
        return (-confidence, KIND_RANK.get(place.kind, 99), place.precision_m, place.id)

    @classmethod
    def ambiguity(cls, ranked: list[tuple[Place, float]], namesakes: list) -> int:
        """How many distinct places share the best answer (1: none but the best). ``ranked`` is
        best first; ``namesakes`` are towns without coordinates matched as well as the best."""
        top, top_conf = ranked[0]
        rivals = [p for p, conf in ranked[1:] if conf == top_conf and not cls._same_place(top, p)]
        return 1 + len(rivals) + len(namesakes)

    def _rank(self, text: str, scored: dict[int, tuple[float, str]], adcode) -> Resolution:
        places = self.index.places
        if not scored:
            namesakes = self._unlocated_namesakes(text, adcode)
            if namesakes:
                cands = tuple(Candidate(None, 0.0, "unlocated", n, d) for n, d, _ in namesakes)
                return Resolution(text, "unresolved", cands,
                                  message="地名库知道该地名，但没有坐标")
            return Resolution(text, "unresolved", message="地名库中没有匹配的地名")
        order = sorted(scored, key=lambda i: self.rank_key(places[i], scored[i][0]))
        cands = [Candidate(places[i], *scored[i]) for i in order]
        top = cands[0]
        # A namesake without coordinates, matched as well as the top one, makes it a guess too.
        namesakes = [(n, d) for n, d, conf in self._unlocated_namesakes(text, adcode)
                     if conf >= top.confidence and d != top.place.district]
        share = self.ambiguity([(c.place, c.confidence) for c in cands], namesakes)
        if share > 1:
            ambiguous = [Candidate(c.place, c.confidence / share, c.matched_by) for c in cands]
            ambiguous += [Candidate(None, top.confidence / share, "unlocated", n, d)
                          for n, d in namesakes]
            ambiguous.sort(key=lambda c: -c.confidence)
            return Resolution(text, "ambiguous", tuple(ambiguous[:10]),
                              message="地名有多处同名，请指定区县")
        return Resolution(text, "resolved", tuple(cands[:10]))

    def _unlocated_namesakes(self, text: str, adcode) -> list[tuple[str, str, float]]:
        """Towns without coordinates the query names: (name, district, rung confidence)."""
        key = normalise(text, strip_prefix=True)
        stem = base_name(key)
        found = [(n, d, rung if k == key else "suffix")
                 for k in dict.fromkeys((key, stem)) if k
                 for n, d, rung in self.index.unlocated.get(k, [])]
        best: dict[tuple[str, str], float] = {}
        for name, district, rung in found:
            if adcode is not None and self.district_adcode(district) != adcode:
                continue
            conf = RUNG_CONFIDENCE["exact" if name == text else rung]
            best[(name, district)] = max(conf, best.get((name, district), 0.0))
        return [(n, d, c) for (n, d), c in best.items()]

    # ------------------------------------------------------------------ geopy contract
    def geocode(self, query, exactly_one: bool = True, district: str | None = None,
                timeout=None, **_ignored):
        """geopy contract: a Location (or a list of them with exactly_one=False), or None.

        An ambiguous name gives None with exactly_one=True — never a silent guess; use
        ``exactly_one=False`` or ``district=`` to choose. A name asked again gets the same
        Location object: treat its ``raw`` as read-only."""
        res = self.resolve(query, district=district)
        located = [c for c in res.candidates if c.place is not None]
        if res.status == "resolved":
            if exactly_one:
                held = self.index.locations.get(id(res))
                if held is None or held[0] is not res:
                    held = self.index.locations[id(res)] = (res, _location(res.best, res))
                return held[1]
            return [_location(c, res) for c in located]
        if res.status == "ambiguous" and not exactly_one:
            return [_location(c, res) for c in located]
        for fallback in self.online if res.status != "invalid" else ():
            found = fallback.geocode(clean_query(query), exactly_one=exactly_one)
            if found:
                return found
        return None

    def reverse(self, query, exactly_one: bool = True, timeout=None, **_ignored):
        """Containing district and nearest named place of a (lat, lon) point; None outside
        Chongqing."""
        from geopy.location import Location
        from geopy.point import Point

        from geo.boundaries import district_at

        point = Point(query)
        district = district_at(point.longitude, point.latitude)
        if district is None:
            return None
        nearest, dist = self.nearest(point.longitude, point.latitude)
        raw = {"district": district.name, "adcode": district.adcode,
               "nearest": nearest.as_dict(), "distance_m": round(dist, 1)}
        loc = Location(f"{district.name} {nearest.name}附近", point, raw)
        return loc if exactly_one else [loc]

    @shared_table
    def _metric_xy(self):
        import numpy as np

        from geo.crs import to_metric

        lon = np.array([p.lon for p in self.index.places])
        lat = np.array([p.lat for p in self.index.places])
        return np.column_stack(to_metric(lon, lat))

    def nearest(self, lon: float, lat: float, kinds=None) -> tuple[Place, float]:
        import numpy as np

        from geo.crs import to_metric

        x, y = to_metric(lon, lat)
        d = np.hypot(self._metric_xy[:, 0] - x, self._metric_xy[:, 1] - y)
        if kinds is not None:
            mask = np.array([p.kind in kinds for p in self.index.places])
            d = np.where(mask, d, math.inf)
        # Prefer the finest place: a district's, region's or line's point is far from most of it.
        d = np.where([p.kind == "district" or p.geometry != "point" for p in self.index.places],
                     math.inf, d)
        i = int(np.argmin(d))
        return self.index.places[i], float(d[i])

    @property
    def automaton(self):
        """The scanning automaton of this gazetteer's index, built on first use."""
        if self.index.automaton is None:
            self.index.automaton = build_automaton(self.index)
        return self.index.automaton

    def find_places(self, text: str, district: str | None = None, document: str = "",
                    include_not_places: bool = False):
        """Every place mention in ``text`` (see ``gazetteer.scan``)."""
        return find_places(self, text, district=district, document=document,
                           include_not_places=include_not_places)


def _location(candidate: Candidate, res: Resolution) -> Location:
    """geopy's Location at the place's representative point; ``raw`` carries the real shape
    (GeoJSON) and what it is (point, line, area)."""
    from geopy.location import Location
    from geopy.point import Point

    from gazetteer.admin import former_status
    from gazetteer.shapes import geojson_of

    p = candidate.place
    raw = {
        "id": p.id, "name": p.name, "kind": p.kind, "district": p.district, "adcode": p.adcode,
        "precision_m": p.precision_m, "source": p.source, "licence": p.licence,
        "checked_against": p.checked_against, "confidence": candidate.confidence,
        "matched_by": candidate.matched_by, "query": res.query, "status": res.status,
        "geometry_kind": p.geometry, "geometry": geojson_of(p),
    }
    former = former_status(p)
    if former is not None:  # 渝北区: still answered, inside its successor, and says so
        raw["former"] = former
        raw["message"] = (f"{p.name}已于 {former['effective']} 撤销，并入{former['merged_into']}"
                          f"（{former['approved']} 批复）")
    return Location(p.name, Point(p.lat, p.lon), raw)

