"""Ingestion benchmark: build time of all five plans and what the build finds.

    .venv/bin/python benchmarks/ingest.py

Prints the in-process build (parse, extract, locate, write the GeoPackage; gazetteer load
included, caches cold), the same build as a fresh ``python -m layers build`` process
(interpreter and imports included), projects found per plan and the share located / review
/ unlocated. Goal: build ≤ 2 s.
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


if __name__ == "__main__":
    main()
