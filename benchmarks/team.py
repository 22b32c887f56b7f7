"""Team deployment benchmark (issue 15): publishing the layers to PostGIS, and an app server's
cold start with its layers from PostGIS against the embedded GeoPackage.

    .venv/bin/python benchmarks/team.py [--runs 5] [--copies 20]

PostGIS is ``PLANMAP_DATABASE_URL`` when set, else the throwaway server ``scripts/postgis.sh``
starts (its ``layers`` schema is dropped first). Printed, min / median / max over the runs:

- ``python -m layers publish`` of the five plans' build, and of a 100-plan corpus (the five
  copied under new names: every project cites twenty copies, so its layer is ~20× larger);
- cold start: a fresh process doing what ``scripts/serve.py`` does before it serves (imports,
  reading the layers, the catalogue, the map files, the downloads' GeoJSON, the search index),
  with the layers from the GeoPackage and from PostGIS. Goal: PostGIS within 10 %.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COLD_START = """
import time
started = time.perf_counter()
import sys
sys.path.insert(0, {root!r})
sys.path.insert(0, {scripts!r})
import serve
serve.warm()
print(time.perf_counter() - started)
"""


def spread(values: list[float]) -> str:
    return f"{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f} s"


def database_url() -> str:
    url = os.environ.get("PLANMAP_DATABASE_URL", "")
    if url:
        return url
    return subprocess.run(["bash", str(ROOT / "scripts" / "postgis.sh")], check=True,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          text=True).stdout.strip()


def cold_start(env: dict) -> float:
    script = COLD_START.format(root=str(ROOT), scripts=str(ROOT / "scripts"))
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout
    return float(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--copies", type=int, default=20)
    args = parser.parse_args()
    import psycopg

    from layers.build import LAYERS_FILE, build, is_stale
    from layers.ingest.readers import PLANS_DIR, plan_files
    from layers.published import SCHEMA, publish_build

    url = database_url()
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
    if is_stale():
        build()
    five = [publish_build(url, LAYERS_FILE, by="benchmark")["seconds"] for _ in range(args.runs)]
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for k in range(args.copies):
            for plan in plan_files(PLANS_DIR):
                files.append(Path(tmp) / f"c{k:03d}-{plan.name}")
                shutil.copy(plan, files[-1])
        corpus = Path(tmp) / "corpus.gpkg"
        build(files, out=corpus)
        size_mb = corpus.stat().st_size / 1e6
        hundred = [publish_build(url, corpus, by="benchmark")["seconds"]
                   for _ in range(args.runs)]
    publish_build(url, LAYERS_FILE, by="benchmark")  # the five plans again, for the servers

    base = {k: v for k, v in os.environ.items()
            if k not in ("PLANMAP_DATABASE_URL", "PLANMAP_ANNOTATIONS_URL")}
    starts: dict[str, list[float]] = {"GeoPackage": [], "PostGIS": []}
    for _ in range(args.runs):  # interleaved: both meet the same machine noise
        starts["GeoPackage"].append(cold_start(base))
        starts["PostGIS"].append(cold_start({**base, "PLANMAP_DATABASE_URL": url}))
    print(f"{args.runs} runs each, min / median / max")
    print(f"publish, five plans: {spread(five)}")
    print(f"publish, {len(files)}-plan corpus ({size_mb:.0f} MB GeoPackage): {spread(hundred)}")
    for source, values in starts.items():
        print(f"server cold start, layers from {source}: {spread(values)}")
    ratio = statistics.median(starts["PostGIS"]) / statistics.median(starts["GeoPackage"])
    print(f"PostGIS / GeoPackage cold start: {ratio:.2f} (goal ≤ 1.10)")


if __name__ == "__main__":
    main()
