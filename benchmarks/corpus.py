"""Corpus build benchmark (issue 15's yardstick): a 100-plan corpus — the five plans copied
under new names, each copy its own document — built cold, then rebuilt after one plan
changed.

    .venv/bin/python benchmarks/corpus.py [--copies 20] [--runs 3]

Each CLI build is a fresh ``python -m layers build FILES --out …`` process (imports,
gazetteer load and every cache in memory cold); "cold" also empties the build's cache of
plan names, so every plan is read and extracted. Printed, min/median/max over the runs:

- the cold build on one process and on two (``--workers``): goal ≥ 1.7 × from two;
- the rebuild after changing one plan (it gains a project), as a fresh CLI process and inside
  a running process (the app server adding a plan, which rewrites only the changed projects'
  rows): goal ≤ 5 % of the cold build;
- beside the speed-up, what two processes give plain Python work on this machine, the same
  cold builds with every plan paying for its texts as a plan of its own would (the copies share
  sentences, so one process reuses its text caches for copies 2…20, and each of two processes
  pays for the first copies again: a corpus of distinct plans has no such reuse), and a fresh
  process's imports (the floor of any CLI rebuild).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def timed_cli_build(files: list[Path], out: Path, workers: int) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "layers", "build", *map(str, files), "--out", str(out),
                    "--workers", str(workers)],
                   cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


# A build in which each plan forgets the text caches first (forget_texts), as a plan of its own
# finds them; the workers, forked, inherit the wrapped step.
AS_DISTINCT_PLANS = """
import sys
from pathlib import Path
import layers.ingest.corpus as corpus
from layers.build import build
from layers.ingest.projects import forget_texts
ingest_file = corpus.ingest_file
def as_a_plan_of_its_own(raw, name, row, gazetteer):
    forget_texts(gazetteer)
    return ingest_file(raw, name, row, gazetteer)
corpus.ingest_file = as_a_plan_of_its_own
build([Path(p) for p in sys.argv[3:]], out=Path(sys.argv[1]), workers=int(sys.argv[2]))
"""


def timed_distinct_build(files: list[Path], out: Path, workers: int) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", AS_DISTINCT_PLANS, str(out), str(workers),
                    *map(str, files)], cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


def spread(values: list[float]) -> str:
    return f"{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f} s"


def change(path: Path, n: int) -> None:
    """A plan gains a sentence naming a new project (the projects layer changes)."""
    with open(path, "a", encoding="utf-8") as f:
        f.write(f"\n加快建设果园港第{n + 1}期多式联运示范工程。\n")


def timed_imports() -> float:
    """A fresh process's floor: importing what ``python -m layers build`` imports."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import layers.build, layers.__main__"], cwd=ROOT,
                   check=True, capture_output=True)
    return time.perf_counter() - start


def two_tasks_speedup() -> float:
    """What two processes give on this machine for plain Python work (the ceiling)."""
    import multiprocessing

    start = time.perf_counter()
    _spin(), _spin()
    one = time.perf_counter() - start
    start = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(2) as pool:
        pool.map(_spin, [None, None])
    return one / (time.perf_counter() - start)


def _spin(_=None, n: int = 3_000_000) -> int:
    total, seen = 0, {}
    for i in range(n):
        total += i * i % 7
        seen[i % 1000] = i
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from layers.build import build, cache_dir
    from layers.ingest.readers import PLANS_DIR, plan_files

    cores = len(os.sched_getaffinity(0))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = []
        for k in range(args.copies):
            for plan in plan_files(PLANS_DIR):
                copy = folder / f"c{k:03d}-{plan.name}"
                shutil.copy(plan, copy)
                files.append(copy)
        out = folder / "layers.gpkg"
        cold: dict[int, list[float]] = {1: [], 2: []}
        distinct: dict[int, list[float]] = {1: [], 2: []}
        for _ in range(args.runs):  # interleaved, so both meet the same machine noise
            for workers in cold:
                shutil.rmtree(cache_dir(out), ignore_errors=True)
                cold[workers].append(timed_cli_build(files, out, workers))
                shutil.rmtree(cache_dir(out), ignore_errors=True)
                distinct[workers].append(timed_distinct_build(files, out, workers))
        changed = files[len(files) // 2]
        cli_rebuild = []
        for n in range(args.runs):
            change(changed, n)
            cli_rebuild.append(timed_cli_build(files, out, 1))
        build(files, out=out, workers=1)  # this process, as a running server: warm
        warm_rebuild, rewritten = [], []
        for n in range(args.runs):
            change(changed, args.runs + n)
            start = time.perf_counter()
            rewritten.append(build(files, out=out, workers=1)["rewritten"])
            warm_rebuild.append(time.perf_counter() - start)
        ceiling = [two_tasks_speedup() for _ in range(args.runs)]
        imports = [timed_imports() for _ in range(args.runs)]
    base = statistics.median(cold[1])
    print(f"corpus: {len(files)} plans ({args.copies} copies of the five); {cores} cores, "
          f"{args.runs} runs each, min / median / max")
    print(f"cold build, 1 process:  {spread(cold[1])}")
    print(f"cold build, 2 processes: {spread(cold[2])} → speed-up "
          f"{base / statistics.median(cold[2]):.2f} × of the medians, "
          f"{min(cold[1]) / min(cold[2]):.2f} × of the minimums (noise only adds time) "
          f"(goal ≥ 1.7 ×); plain Python on two "
          f"processes: {min(ceiling):.2f} / {statistics.median(ceiling):.2f} / "
          f"{max(ceiling):.2f} ×")
    print(f"cold build, each plan paying for its texts as a distinct plan: 1 process "
          f"{spread(distinct[1])}, 2 processes {spread(distinct[2])} → speed-up "
          f"{statistics.median(distinct[1]) / statistics.median(distinct[2]):.2f} × of the "
          f"medians, {min(distinct[1]) / min(distinct[2]):.2f} × of the minimums")
    for label, values in (("fresh CLI process", cli_rebuild),
                          ("running process", warm_rebuild)):
        print(f"rebuild after changing one plan, {label}: {spread(values)} = "
              f"{statistics.median(values) / base:.1%} of the cold build (goal ≤ 5 %)")
    print(f"project rows written again by the running process: {rewritten}")
    print(f"a fresh process's imports alone: {spread(imports)} = "
          f"{statistics.median(imports) / base:.1%} of the cold build")


if __name__ == "__main__":
    main()
