"""Corpus build benchmark (issue 15's yardstick): a 100-plan corpus — the five plans copied
under new names, each copy its own document — built cold, then rebuilt after one plan
changed.

    .venv/bin/python benchmarks/corpus.py [--copies 20] [--runs 3]

Each build is a fresh ``python -m layers build FILES --out …`` process (imports, gazetteer
load and every cache cold), min/median/max over the runs. Goals (issue 15): the rebuild after
changing one plan ≤ 5 % of the cold build; the cold build from two processes ≥ 1.7 × faster.
Today every build ingests every plan on one core, so the rebuild is a full build: this prints
the baseline those goals are measured against.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def timed_build(files: list[Path], out: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "layers", "build", *map(str, files), "--out", str(out)],
                   cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


def spread(values: list[float]) -> str:
    return f"{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from layers.ingest.readers import PLANS_DIR, plan_files

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = []
        for k in range(args.copies):
            for plan in plan_files(PLANS_DIR):
                copy = folder / f"c{k:03d}-{plan.name}"
                shutil.copy(plan, copy)
                files.append(copy)
        out = folder / "layers.gpkg"
        cold = [timed_build(files, out) for _ in range(args.runs)]
        changed = files[len(files) // 2]
        rebuild = []
        for n in range(args.runs):
            with open(changed, "a", encoding="utf-8") as f:
                f.write(f"\n推进第{n + 1}批城市更新试点项目建设。\n")
            rebuild.append(timed_build(files, out))
    print(f"corpus: {len(files)} plans ({args.copies} copies of the five)")
    print(f"cold build (fresh process): {spread(cold)}")
    ratio = statistics.median(rebuild) / statistics.median(cold)
    print(f"rebuild after changing one plan: {spread(rebuild)} = {ratio:.0%} of the cold build "
          f"(goal ≤ 5 %)")
    print("two-process build: not implemented yet (issue 15)")


if __name__ == "__main__":
    main()
