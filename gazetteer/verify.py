"""Independent cross-checks of the gazetteer (``python -m gazetteer verify``).

Every place is compared with every reference point of another source that bears its name
(``data/gazetteer/reference.csv``: GeoNames cities500, OSM stations, Amap district seats, derived
by ``python -m gazetteer build``) and with its district polygon. A disagreement is a distance
larger than both sides' stated precision, or a point outside its district. Disagreements that a
person looked at and explained are listed in ``verify_explained.csv``; any other one fails.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gazetteer.normalise import base_name, normalise
from gazetteer.places import GAZETTEER_DIR, RECALL_SOURCE, DataError, Place
from gazetteer.sources import registry

REFERENCE_FILE = GAZETTEER_DIR / "reference.csv"
EXPLAINED_FILE = GAZETTEER_DIR / "verify_explained.csv"
REFERENCE_COLUMNS = ("source", "name", "aliases", "kind", "lon", "lat", "precision_m", "note")
# A district's name denotes its whole area, but its point claims the seat: a city-scale tolerance.
SEAT_TOLERANCE_M = 6_000.0


@dataclass(frozen=True)
class Reference:
    source: str
    name: str
    aliases: tuple[str, ...]
    kind: str
    lon: float
    lat: float
    precision_m: float
    note: str = ""


@dataclass(frozen=True)
class Comparison:
    place: Place
    reference: Reference
    distance_m: float
    tolerance_m: float

    @property
    def agrees(self) -> bool:
        return self.distance_m <= self.tolerance_m

    @property
    def key(self) -> tuple[str, str]:
        return self.place.id, f"{self.reference.source}:{self.reference.name}"


def read_references(path: Path = REFERENCE_FILE) -> list[Reference]:
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            return [Reference(r["source"], r["name"], tuple(a for a in r["aliases"].split("|") if a),
                              r["kind"], float(r["lon"]), float(r["lat"]),
                              float(r["precision_m"]), r.get("note", ""))
                    for r in csv.DictReader(fh)]
    except FileNotFoundError as exc:
        raise DataError(f"{path.name} 不存在：运行 python -m gazetteer build 重建") from exc
    except (KeyError, ValueError) as exc:
        raise DataError(f"{path.name} 无法读取（{exc}）：运行 python -m gazetteer build 重建") from exc


def write_references(references: list[Reference], path: Path = REFERENCE_FILE) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(REFERENCE_COLUMNS)
        for r in references:
            writer.writerow([r.source, r.name, "|".join(r.aliases), r.kind, f"{r.lon:.6f}",
                             f"{r.lat:.6f}", f"{r.precision_m:.0f}", r.note])


def read_explained(path: Path = EXPLAINED_FILE) -> dict[tuple[str, str], str]:
    if not path.exists():
        return {}
    with open(path, encoding="utf-8", newline="") as fh:
        return {(r["place_id"], r["reference"]): r["reason"] for r in csv.DictReader(fh)}


def _keys(names) -> set[str]:
    keys = set()
    for n in names:
        key = normalise(n)
        keys.add(key)
        if base_name(key):
            keys.add(base_name(key))
    return {k for k in keys if len(k) >= 2}


def compare(places: list[Place], references: list[Reference]) -> list[Comparison]:
    """Every (place, reference of another source sharing a name key and lying in the place's
    district) pair. Names repeat across districts (大溪 in 秀山 and 酉阳), not within one."""
    from geo.boundaries import districts_at
    from geo.crs import to_metric

    by_key: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(references):
        for k in _keys((r.name, *r.aliases)):
            by_key[k].append(i)
    rx, ry = to_metric(np.array([r.lon for r in references]), np.array([r.lat for r in references]))
    ref_district = districts_at([r.lon for r in references], [r.lat for r in references])
    px, py = to_metric(np.array([p.lon for p in places]), np.array([p.lat for p in places]))
    out = []
    for j, p in enumerate(places):
        hits = {i for k in _keys(p.names) for i in by_key.get(k, ())}
        for i in sorted(hits):
            r = references[i]
            if r.source == source_family(p.source) or (p.kind != "municipality"
                                         and ref_district[i] != p.adcode):
                continue
            d = float(np.hypot(rx[i] - px[j], ry[i] - py[j]))
            tolerance = SEAT_TOLERANCE_M if p.kind in ("district", "municipality") \
                else max(p.precision_m, r.precision_m)
            out.append(Comparison(p, r, d, tolerance))
    return out


def containment_problems(places: list[Place]) -> list[str]:
    from geo.boundaries import MUNICIPALITY_ADCODE, districts_at

    adcodes = districts_at([p.lon for p in places], [p.lat for p in places])
    # A place written as the whole municipality's (a river, a region) needs only to be in it.
    return [f"{p.file} {p.name}: 点不在所写区县 {p.district} 内"
            for p, a in zip(places, adcodes, strict=True)
            if a != p.adcode and not (p.adcode == MUNICIPALITY_ADCODE and a)]


def recall_share(places: list[Place]) -> tuple[int, int, int]:
    """(non-town places, resting on recall alone, recalled but independently checked)."""
    others = [p for p in places if p.kind not in ("town", "district", "municipality")]
    recalled = [p for p in others if p.source == RECALL_SOURCE]
    alone = [p for p in recalled if p.unverified]
    return len(others), len(alone), len(recalled) - len(alone)


def source_family(source: str) -> str:
    """The kind of a row's source: a registry id, ``town`` (derived from towns: ``town:t-…``,
    ``towns:…``), a registry id a row links to (``geonames-cities500:悦来``), ``recall``, or a
    cited page."""
    head = source.partition(":")[0]
    if source in registry() or head in registry():
        return head
    if head in ("town", "towns"):
        return "town"
    return "cited page"


def summarise(comparisons: list[Comparison]) -> list[dict]:
    """Error distribution per (place source, reference source)."""
    groups: dict[tuple[str, str], list[Comparison]] = defaultdict(list)
    for c in comparisons:
        groups[(source_family(c.place.source), c.reference.source)].append(c)
    rows = []
    for (ps, rs), cs in sorted(groups.items()):
        d = np.array([c.distance_m for c in cs])
        rows.append({"place_source": ps, "reference_source": rs, "n": len(cs),
                     "median_m": float(np.median(d)), "p90_m": float(np.percentile(d, 90)),
                     "max_m": float(d.max()),
                     "within_precision": float(np.mean([c.agrees for c in cs]))})
    return rows


def verify(gazetteer) -> tuple[list[str], list[dict], list[Comparison]]:
    """(unexplained problems, per-source summary, explained disagreements)."""
    places = gazetteer.places
    comparisons = compare(places, read_references())
    explained = read_explained()
    problems = containment_problems(places)
    explained_hits = []
    for c in comparisons:
        if c.agrees:
            continue
        if c.key in explained:
            explained_hits.append(c)
            continue
        problems.append(
            f"{c.place.file} {c.place.name}（{c.place.id}）与 {c.reference.source} 的"
            f"“{c.reference.name}”相距 {c.distance_m / 1000:.1f} km，超出容差 "
            f"{c.tolerance_m / 1000:.1f} km")
    disagreeing = {c.key for c in comparisons if not c.agrees}
    problems += [f"{EXPLAINED_FILE.name}: {pid} / {ref} 已无不一致，请删去该行"
                 for pid, ref in explained if (pid, ref) not in disagreeing]
    return problems, summarise(comparisons), explained_hits
