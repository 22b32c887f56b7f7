"""Plan formats benchmark: reading throughput per format, and a 100-page PDF from upload to
projects on the map.

    .venv/bin/python benchmarks/formats.py [--runs 5]

1. Reading: the five plans generated in each format (as tests/plan_files.py makes them: UTF-8
   and GB18030 text, a government web page, a Word file, a typeset PDF) and read back with
   ``read_plan`` (the reader only; parsing is format-independent). Characters of text out per
   second, min/median/max over the runs; for PDF also pages per second.
2. Upload → map: a PDF of at least 100 pages (the 重庆 plan set again and again) added as the
   文档 page adds it — ``add_plan`` (read, store), ``build`` (every plan, the new one
   included), then what the page's next run does: the catalogue reloaded from the new build
   and the layer files of the shown basemap's datum written — in a build, data and map-file
   folder of its own. Goal ≤ 10 s. Printed with the reading alone.

The generated PDFs use reportlab's STSong-Light, a CJK font *not embedded* in the file:
PDFium loads its CMap on every page (~14 ms a page against ~0.6 ms for a page of Helvetica),
the slow case; a published PDF with embedded subset fonts reads faster.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# a build and data folder of this run (read by the project's modules at import)
_RUN = Path(tempfile.mkdtemp(prefix="planmap-bench-"))
for _name, _folder in (("PLANMAP_BUILD_DIR", "build"), ("PLANMAP_DATA_DIR", "data")):
    os.environ[_name] = str(_RUN / _folder)
GOAL_UPLOAD_S = 10.0
MIN_PAGES = 100


def spread(values: list[float]) -> str:
    return f"{min(values):.3f} / {statistics.median(values):.3f} / {max(values):.3f}"


def reading(runs: int) -> None:
    from layers.ingest.readers import PLANS_DIR, load_document, plan_files, read_plan
    from tests.plan_files import as_docx, as_government_page, as_pdf

    docs = [load_document(p) for p in plan_files(PLANS_DIR)]
    formats = {
        "text UTF-8": (".txt", lambda d: d.text.encode("utf-8")),
        "text GB18030": (".txt", lambda d: d.text.encode("gb18030")),
        "web page": (".html", lambda d: as_government_page(d.text, d.title).encode("utf-8")),
        "Word": (".docx", as_docx),
        "PDF": (".pdf", lambda d: as_pdf(d.text, d.title)),
    }
    print("reading, five plans per run (min / median / max):")
    for label, (suffix, make) in formats.items():
        files = [(make(d), f"{d.doc_id}{suffix}") for d in docs]
        size = sum(len(raw) for raw, _ in files)
        times, chars, pages = [], 0, 0
        for _ in range(runs):
            start = time.perf_counter()
            texts = [read_plan(raw, name) for raw, name in files]
            times.append(time.perf_counter() - start)
            chars = sum(len(r.text) for r in texts)
            pages = sum(int(r.how.split("（")[1].split(" ")[0]) for r in texts) \
                if suffix == ".pdf" else 0
        rate = chars / statistics.median(times)
        extra = f", {pages / statistics.median(times):,.0f} pages/s ({pages} pages)" if pages else ""
        print(f"  {label:<13} {size / 1024:7.0f} KB  {spread(times)} s  "
              f"{rate:>12,.0f} characters/s{extra}")


def upload_to_map(runs: int) -> None:
    from layers.ingest.readers import PLANS_DIR, load_document, read_plan
    from tests.plan_files import as_pdf

    cq14 = load_document(PLANS_DIR / "003_5b117a5749a753be.txt")
    repeat = 1
    while True:
        raw = as_pdf(cq14.text, cq14.title, repeat=repeat)
        pages = int(read_plan(raw, "big.pdf").how.split("（")[1].split(" ")[0])
        if pages >= MIN_PAGES:
            break
        repeat += 1
    print(f"upload → map: {pages}-page PDF, {len(raw) / 1024 / 1024:.1f} MB")
    read_times, totals, steps = [], [], []
    for _ in range(runs):
        start = time.perf_counter()
        read_plan(raw, "big.pdf")
        read_times.append(time.perf_counter() - start)
    from layers.build import LAYERS_FILE, build
    from layers.ingest.library import add_plan, remove_plan
    from layers.web.current import default_catalogue
    from layers.web.mapfiles import MAP_LAYERS, layer_urls

    default_catalogue()  # the server as it runs before the upload: the five plans loaded
    for _ in range(runs):
        start = time.perf_counter()
        row = add_plan(raw, "城市规划.pdf", by="benchmark")
        added = time.perf_counter()
        build(out=LAYERS_FILE)
        built = time.perf_counter()
        # the page's next run: the catalogue reloaded from the new build, the layer files of
        # the shown basemap's datum written for the browser
        catalogue = default_catalogue()
        urls = [layer_urls(catalogue, layer, "wgs84") for layer in MAP_LAYERS]
        done = time.perf_counter()
        assert all(urls) and row["doc_id"] in catalogue.documents
        totals.append(done - start)
        steps.append((added - start, built - added, done - built))
        remove_plan(row["doc_id"])
        build(out=LAYERS_FILE)
        default_catalogue()
    print(f"  reading alone: {spread(read_times)} s")
    print(f"  add (read + store): {spread([s[0] for s in steps])} s; build (all six plans): "
          f"{spread([s[1] for s in steps])} s; catalogue reload + map files (WGS84): "
          f"{spread([s[2] for s in steps])} s")
    med = statistics.median(totals)
    print(f"  upload → projects on the map: {spread(totals)} s = {med / GOAL_UPLOAD_S:.2f} × "
          f"the {GOAL_UPLOAD_S:.0f} s goal")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    reading(args.runs)
    upload_to_map(max(3, args.runs // 2))


if __name__ == "__main__":
    main()
