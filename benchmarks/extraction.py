"""Extraction against the hand-read yardstick (tests/fixtures/ingest/{boxes,running,labels}).

    .venv/bin/python benchmarks/extraction.py [--write-misses]

Prints, per fixture file, recall (fixture projects found, uncertain ones left out) and the
misses; the precision of a seeded random sample of 150 extracted names labelled by hand (real /
partial / place / junk), over the sampled names the extractor still produces. gx14 is held out:
no rule was tuned by reading it. ``--write-misses`` records today's misses in
tests/fixtures/ingest/misses.yaml, which the tests hold the extractor to (a miss that starts
being found, or a find that is lost, fails until the file is rewritten).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.yardstick import (  # noqa: E402
    FIXTURES,
    GEOMETRY_SAMPLES,
    HELD_OUT,
    MISSES_FILE,
    PRECISION_SAMPLES,
    box_sections,
    draw_geometry_sample,
    draw_precision_sample,
    fixture_key,
    geometry_right,
    precision,
    recall,
    yardstick_files,
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--write-misses", action="store_true")
    parser.add_argument("--draw-geometry", nargs=2, metavar=("SEED", "FILE"),
                        help="write a fresh sample of 40 located projects to label")
    parser.add_argument("--draw-precision", nargs=2, metavar=("SEED", "FILE"),
                        help="write a fresh sample of 150 extracted names to label")
    args = parser.parse_args()
    from gazetteer import Gazetteer
    from layers.ingest.projects import extract_projects
    from layers.ingest.readers import load_documents

    gazetteer = Gazetteer()
    projects = extract_projects(load_documents(), gazetteer)
    misses, totals = {}, Counter()
    for path in yardstick_files():
        hit, total, missed = recall(projects, path)
        held = " (held out)" if path.stem == HELD_OUT else ""
        print(f"{fixture_key(path):16} recall {hit}/{total} = {hit / max(total, 1):.1%}{held}")
        misses[fixture_key(path)] = missed
        part = "held_out" if path.stem == HELD_OUT else "tuned"
        totals[part + "_hit"] += hit
        totals[part + "_total"] += total
    for path in yardstick_files():
        if path.parent.name == "boxes":
            right, checked = box_sections(projects, path)
            print(f"{fixture_key(path):16} section (专栏) right for {right}/{checked} = "
                  f"{right / max(checked, 1):.1%} of the found projects")
    for part in ("tuned", "held_out"):
        if totals[part + "_total"]:
            print(f"{part}: {totals[part + '_hit']}/{totals[part + '_total']} = "
                  f"{totals[part + '_hit'] / totals[part + '_total']:.1%}")
    # which samples shaped which rules: tests/yardstick.py PRECISION_SAMPLES
    for sample in PRECISION_SAMPLES:
        kept, gone = precision(projects, sample)
        n = sum(kept.values())
        print(f"{sample}: of 150 labelled names {n} still extracted: {dict(kept)}; "
              f"real {kept['real'] / n:.1%}, real or partial "
              f"{(kept['real'] + kept['partial']) / n:.1%}; no longer extracted: {dict(gone)}")
    if args.draw_precision:
        seed, name = int(args.draw_precision[0]), args.draw_precision[1]
        out = FIXTURES / "labels" / name
        out.write_text(yaml.safe_dump(
            {"seed": seed, "population": len(projects), "sampled_from": "extract_projects over "
             "the five plans (benchmarks/extraction.py --draw-precision)",
             "labelled_by": None, "items": draw_precision_sample(projects, 150, seed)},
            allow_unicode=True, sort_keys=False, width=100), encoding="utf-8")
        print(f"wrote {out.relative_to(ROOT)}")
    if args.draw_geometry:
        seed, name = int(args.draw_geometry[0]), args.draw_geometry[1]
        out = FIXTURES / "labels" / name
        rows = draw_geometry_sample(projects, gazetteer, 40, seed)
        out.write_text(yaml.safe_dump(
            {"seed": seed, "population": sum(p.status != "unlocated" for p in projects),
             "items": rows}, allow_unicode=True, sort_keys=False, width=100), encoding="utf-8")
        print(f"wrote {out.relative_to(ROOT)}")
    for name in GEOMETRY_SAMPLES:
        path = FIXTURES / "labels" / name
        sample = yaml.safe_load(path.read_text(encoding="utf-8"))["items"] if path.exists() else []
        if sample and all(row["right"] is not None for row in sample):
            right, judged, wrong = geometry_right(projects, sample)
            print(f"{name}: geometry right for {right}/{judged} = {right / max(judged, 1):.1%} "
                  f"of the sampled located projects; wrong: {'、'.join(wrong)}")
    if args.write_misses:
        MISSES_FILE.write_text(
            "# Fixture projects the extractor misses today (benchmarks/extraction.py\n"
            "# --write-misses); tests fail when one of them starts being found or a find is lost.\n"
            + yaml.safe_dump(misses, allow_unicode=True, sort_keys=True, width=100),
            encoding="utf-8")
        print(f"wrote {MISSES_FILE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
