"""Places just outside the city, for routes that leave it (铜梁—安岳, 万州—开州—安康, 成达万):
the seats of the neighbouring provinces' cities and counties, from adcode-vonng (GCJ-02,
converted). They are never sites of a plan's project and are not in the gazetteer's index:
ingestion consults them only to draw a route towards its outside end, up to the city's
boundary."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from gazetteer.places import GAZETTEER_DIR
from geo.city import CITY
from geo.vocabulary import suffixes

OUTSIDE_FILE = GAZETTEER_DIR / "outside.csv"
COLUMNS = ("id", "name", "short_name", "level", "province", "city", "adcode", "lon", "lat",
           "source", "licence")
LEVEL_SUFFIXES = ("自治县", "自治州", "地区", "市", "县", "区", "州")
ETHNIC_NAMES = suffixes("ethnic_names")


def short_of(name: str) -> str:
    """安岳县 → 安岳, 安康市 → 安康, 务川仡佬族苗族自治县 → 务川; a name that would shrink to one
    character stays whole."""
    short = next((name[: -len(s)] for s in LEVEL_SUFFIXES
                  if name.endswith(s) and len(name) - len(s) >= 2), name)
    stripped = True
    while stripped:
        stripped = False
        for ethnic in ETHNIC_NAMES:
            if short.endswith(ethnic) and len(short) - len(ethnic) >= 2:
                short, stripped = short[: -len(ethnic)], True
    return short


def outside_rows(mirror: Path) -> list[dict]:
    """One row per city and county of ``CITY.neighbours``' provinces that has a seat point."""
    from gazetteer.sources import licence_of, snapshot_bytes
    from gazetteer.sources.towns import ADCODE_COLUMNS, adcode_files
    from geo.datum import gcj02_to_wgs84

    rows = []
    for path in adcode_files(mirror):
        code = Path(path).stem
        if code[:2] not in CITY.neighbours or code.endswith("0000"):
            continue
        head = snapshot_bytes("adcode-vonng", path, mirror).decode("utf-8").split("\n", 1)[0]
        r = dict(zip(ADCODE_COLUMNS, next(csv.reader(io.StringIO(head))), strict=True))
        if r["level"] not in ("city", "county") or not r["longitude"]:
            continue
        lon, lat = gcj02_to_wgs84(float(r["longitude"]), float(r["latitude"]))
        rows.append({"id": f"o-{r['adcode']}", "name": r["name"], "short_name": short_of(r["name"]),
                     "level": r["level"], "province": r["province"], "city": r["city"],
                     "adcode": r["adcode"], "lon": f"{float(lon):.6f}", "lat": f"{float(lat):.6f}",
                     "source": "adcode-vonng", "licence": licence_of("adcode-vonng")})
    return sorted(rows, key=lambda r: r["adcode"])


def write_outside(rows: list[dict], path: Path = OUTSIDE_FILE) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
