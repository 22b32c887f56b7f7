"""Ingestion benchmark: build time of all five plans and what the build finds.

    .venv/bin/python benchmarks/ingest.py

Prints the in-process build (parse, extract, locate, write the GeoPackage; gazetteer load
included, caches cold), the same build as a fresh ``python -m layers build`` process
(interpreter and imports included), projects found per plan and the share located / review
/ unlocated. Goal: build ≤ 2 s. Then extraction over a corpus of 50 plan copies (the five plans
ten times, each copy its own document; min/median/max of 3 runs) against the five alone:
the goal is linear, ≤ 0.5 s per plan.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
GOAL_S = 2.0


def main() -> None:
    from layers.build import build

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "layers.gpkg"
        start = time.perf_counter()
        result = build(out=out)
        cold = time.perf_counter() - start
        start = time.perf_counter()
        build(out=out)
        warm = time.perf_counter() - start
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "layers", "build", "--out", str(out)], cwd=ROOT,
                       check=True, capture_output=True)
        process = time.perf_counter() - start
    print(f"build, five plans, in process (cold): {cold:.2f} s "
          f"= {cold / GOAL_S:.2f} × the 2 s goal; warm rebuild {warm:.2f} s")
    print(f"build as a fresh process (python -m layers build, imports included): {process:.2f} s")

    frame = result["layers"]["projects"]
    print(f"projects: {len(frame)} (merged across plans; "
          f"{sum(len(d) > 1 for d in frame['doc_ids'])} named by more than one plan)")
    per_plan = Counter(d for ids in frame["doc_ids"] for d in ids)
    print("plan   projects  located  review  unlocated")
    for doc_id in sorted(per_plan):
        rows = frame[frame["doc_ids"].map(lambda ids, d=doc_id: d in ids)]
        status = Counter(rows["status"])
        n = len(rows)
        print(f"{doc_id:6} {n:8}  {status['auto'] / n:7.0%}  {status['review'] / n:6.0%}  "
              f"{status['unlocated'] / n:9.0%}")
    status = Counter(frame["status"])
    n = len(frame)
    print(f"{'all':6} {n:8}  {status['auto'] / n:7.0%}  {status['review'] / n:6.0%}  "
          f"{status['unlocated'] / n:9.0%}")
    kinds = Counter(frame["geometry_kind"])
    print("geometry kinds: " + ", ".join(f"{k} {v}" for k, v in kinds.most_common()))
    corpus()


def corpus(copies: int = 10, runs: int = 3) -> None:
    """Extraction (parse, candidates, locate) over the five plans and over ``copies`` × them."""
    import statistics

    from gazetteer import Gazetteer
    from layers.ingest.documents import parse
    from layers.ingest.projects import extract_projects, forget_texts
    from layers.ingest.readers import load_documents

    gazetteer = Gazetteer()
    five = load_documents()

    def timed(n: int) -> list[float]:
        out = []
        for _ in range(runs):
            # fresh Document objects each run: parsing is part of the work; every cache keyed
            # by text is emptied, so each run reads its texts as new plans (the copies of one
            # run still share them: the 50-plan figure is a lower bound for 50 distinct plans)
            docs = [parse(d.text, f"{d.doc_id}-{k}", title=d.title) for k in range(n)
                    for d in five]
            forget_texts(gazetteer)
            start = time.perf_counter()
            extract_projects(docs, gazetteer)
            out.append(time.perf_counter() - start)
        return out

    timed(1)  # load what every run shares (gazetteer automaton, rules, district shapes)
    small, large = timed(1), timed(copies)
    per_small = statistics.median(small) / len(five)
    per_large = statistics.median(large) / (len(five) * copies)
    print(f"extraction, 5 plans: min/median/max {min(small):.2f}/{statistics.median(small):.2f}/"
          f"{max(small):.2f} s = {per_small:.3f} s per plan")
    print(f"extraction, {len(five) * copies} plans: min/median/max {min(large):.2f}/"
          f"{statistics.median(large):.2f}/{max(large):.2f} s = {per_large:.3f} s per plan "
          f"({per_large / 0.5:.2f} × the 0.5 s goal; {per_large / per_small:.2f} × the per-plan "
          f"time of 5: 1.00 is linear)")


if __name__ == "__main__":
    main()
