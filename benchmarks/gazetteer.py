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


def timed(fn, repeat=5):
    """(min, median, max) seconds over ``repeat`` runs, and the last result: this machine is
    noisy, so the spread is part of the figure."""
    import statistics

    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - start)
    return (min(runs), statistics.median(runs), max(runs)), result


def spread(t) -> str:
    return f"min {t[0] * 1000:.0f} / median {t[1] * 1000:.0f} / max {t[2] * 1000:.0f} ms"


def cold_load(repeat=5):
    """Gazetteer() in a fresh interpreter each time (imports excluded): the app's cold start."""
    import subprocess

    code = ("import time, gazetteer.core as c; t = time.perf_counter(); g = c.Gazetteer(); "
            "print(time.perf_counter() - t, len(g.places))")
    runs = []
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.split()
        runs.append((float(out[0]), int(out[1])))
    times = sorted(r[0] for r in runs)
    return (times[0], times[len(times) // 2], times[-1]), runs[0][1]


def main() -> None:
    import gazetteer.core as core

    load, entries = cold_load()
    gaz = core.Gazetteer()
    kinds = {}
    for p in gaz.places:
        kinds[p.geometry] = kinds.get(p.geometry, 0) + 1
    print(f"Gazetteer() cold load, {entries:,} entries {kinds}: {spread(load)} "
          f"(goal ≤ 1000 ms; ratio {load[1] / 1.0:.2f})")

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
    print(f"exact geocode, a batch of 100,000 names over {len(distinct):,} distinct: "
          f"{len(exact) / t[2]:,.0f} / {len(exact) / t[1]:,.0f} / {len(exact) / t[0]:,.0f} "
          f"names/s (min/median/max; goal ≥ 100,000/s; ratio {len(exact) / t[1] / 1e5:.2f})")

    def typo(name: str) -> str:  # drop one character: only the fuzzy rung can answer
        i = rng.randrange(len(name))
        return name[:i] + name[i + 1:]

    long_names = [n for n in names if len(n) >= 5]
    fuzzy = [typo(n) for n in rng.sample(long_names, min(2000, len(long_names)))]
    t, results = timed(lambda: [gaz._resolve(n, None) for n in fuzzy], repeat=3)
    t = t[1]  # median; no remembered answers
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
    print(f"scan of the five plans ({chars:,} characters, {len(gaz._automaton.keys):,} keys): "
          f"{spread(t)} (goal ≤ 300 ms; ratio {t[1] / 0.3:.2f}; automaton build once: "
          f"{build_s * 1000:.0f} ms); {sum(map(len, found))} mentions")

    # The same job cpca does: which districts do the texts name? One unit per line of text.
    lines = [line for x in texts for line in x.splitlines() if line.strip()]
    districts = {p.id: p.adcode for p in gaz.places if p.kind == "district"}

    def ours():
        return [{districts[m.place_id] for m in gaz.find_places(line) if m.place_id in districts}
                for line in lines]

    t_ours, _ = timed(ours, repeat=3)
    t_ours = t_ours[1]
    try:
        import cpca
    except ImportError:
        print("cpca not installed (pip install -r requirements-test.txt): ratio skipped")
        return
    cpca.transform(["重庆市渝北区"])  # warm its own lazy loading
    t_cpca, _ = timed(lambda: cpca.transform(lines), repeat=1)
    t_cpca = t_cpca[1]
    print(f"district recognition over {len(lines):,} lines: ours {t_ours * 1000:.0f} ms, "
          f"cpca {t_cpca * 1000:.0f} ms → {t_cpca / t_ours:.1f}× faster (goal ≥ 5×)")


if __name__ == "__main__":
    main()
