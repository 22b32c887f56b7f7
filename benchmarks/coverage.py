"""Gazetteer coverage against the hand-read list of place names in the five plans.

    .venv/bin/python benchmarks/coverage.py

tests/fixtures/places/plan_places.yaml was read by hand from the plan texts (a labeller, checked
verbatim against the texts); names marked `unsure` are left out. A name counts as resolved when
the gazetteer answers it by a name rung (exact, alias, normalised, suffix, district hint), not by
a pinyin or fuzzy guess; its geometry fits when the place is the kind of shape the labeller
expected (a point standing for an area counts as a fit only for towns and districts' seats).
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIXTURE = ROOT / "tests" / "fixtures" / "places" / "plan_places.yaml"


def coverage(gazetteer, fixture: Path = FIXTURE) -> dict:
    """{kind: [resolved, total, [missing names]]} plus 'all' and 'geometry_fits'."""
    import yaml

    from gazetteer.index import NAME_RUNGS

    names = [p for p in yaml.safe_load(fixture.read_text(encoding="utf-8"))["places"]
             if not p.get("unsure")]
    table: dict = defaultdict(lambda: [0, 0, []])
    fits = 0
    for p in names:
        res = gazetteer.resolve(p["name"])
        best = res.candidates[0] if res.candidates else None
        ok = (res.status in ("resolved", "ambiguous") and best is not None
              and best.place is not None and best.matched_by.split("+")[0] in NAME_RUNGS)
        row = table[p["kind"]]
        row[1] += 1
        if ok:
            row[0] += 1
            fits += best.place.geometry == p["geometry"]
        else:
            row[2].append(p["name"])
    resolved = sum(r[0] for r in table.values())
    return {"kinds": dict(table), "resolved": resolved, "total": len(names),
            "geometry_fits": fits}


def main() -> None:
    from gazetteer import Gazetteer

    c = coverage(Gazetteer())
    print(f"resolved {c['resolved']} / {c['total']} = {c['resolved'] / c['total']:.1%} of the "
          f"hand-read place names (goal ≥ 95 %); right kind of geometry: {c['geometry_fits']}")
    for kind, (ok, total, missing) in sorted(c["kinds"].items(), key=lambda kv: -kv[1][1]):
        print(f"  {kind}: {ok}/{total}  missing e.g. {'、'.join(missing[:8])}")


if __name__ == "__main__":
    main()
