"""Gazetteer benchmark: prints throughput and timings against the issue's goals.

    .venv/bin/python benchmarks/gazetteer.py

Timings live here, never in tests. cpca (the usual Chinese province/city/district recogniser)
is the baseline for recognising districts in the plan texts.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def timed(fn, repeat=3):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    import gazetteer.core as core

    start = time.perf_counter()
    gaz = core.Gazetteer()
    load_s = time.perf_counter() - start
    print(f"Gazetteer() cold load: {load_s * 1000:.0f} ms (goal ≤ 1000 ms)")

    rng = random.Random(7)
    names = [p.name for p in gaz.places]
    distinct = list(dict.fromkeys(names))
    start = time.perf_counter()
    for n in distinct:
        gaz.geocode(n)
    t = time.perf_counter() - start
    print(f"exact geocode, each name the first time: {len(distinct) / t:,.0f} names/s")
    exact = [rng.choice(names) for _ in range(100_000)]
    t, _ = timed(lambda: [gaz.geocode(n) for n in exact])
    print(f"exact geocode, a batch of 100,000 names: {len(exact) / t:,.0f} names/s "
          f"(goal ≥ 100,000/s)")

    def typo(name: str) -> str:  # drop one character: only the fuzzy rung can answer
        i = rng.randrange(len(name))
        return name[:i] + name[i + 1:]

    long_names = [n for n in names if len(n) >= 5]
    fuzzy = [typo(n) for n in rng.sample(long_names, min(2000, len(long_names)))]
    t, results = timed(lambda: [gaz._resolve(n, None) for n in fuzzy])  # no remembered answers
    rungs = {}
    for r in results:
        key = r.candidates[0].matched_by if r.candidates else "none"
        rungs[key] = rungs.get(key, 0) + 1
    print(f"fuzzy resolve (one character dropped): {len(fuzzy) / t:,.0f} names/s (goal ≥ 5,000/s)"
          f"; answered by {dict(sorted(rungs.items(), key=lambda kv: -kv[1]))}")

    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "data" / "plans").glob("*.txt"))]
    chars = sum(map(len, texts))
    start = time.perf_counter()
    gaz.find_places(texts[0][:10])  # builds the automaton
    build_s = time.perf_counter() - start
    t, found = timed(lambda: [gaz.find_places(x) for x in texts])
    print(f"scan of the five plans ({chars:,} characters): {t * 1000:.0f} ms "
          f"(goal ≤ 300 ms; automaton build once: {build_s * 1000:.0f} ms); "
          f"{sum(map(len, found))} mentions")

    # The same job cpca does: which districts do the texts name? One unit per line of text.
    lines = [line for x in texts for line in x.splitlines() if line.strip()]
    districts = {p.id: p.adcode for p in gaz.places if p.kind == "district"}

    def ours():
        return [{districts[m.place_id] for m in gaz.find_places(line) if m.place_id in districts}
                for line in lines]

    t_ours, _ = timed(ours)
    try:
        import cpca
    except ImportError:
        print("cpca not installed (pip install -r requirements-test.txt): ratio skipped")
        return
    cpca.transform(["重庆市渝北区"])  # warm its own lazy loading
    t_cpca, _ = timed(lambda: cpca.transform(lines), repeat=1)
    print(f"district recognition over {len(lines):,} lines: ours {t_ours * 1000:.0f} ms, "
          f"cpca {t_cpca * 1000:.0f} ms → {t_cpca / t_ours:.1f}× faster (goal ≥ 5×)")


if __name__ == "__main__":
    main()
