"""Places just outside the city (``outside.csv``: the seats of the neighbouring provinces'
cities and counties, built by ``python -m gazetteer build``). Not gazetteer entries: nothing
is ever located there. A route that leaves the city (铜梁—安岳, 万州—开州—安康) asks here for
the direction of its outside end."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache

from gazetteer.places import GAZETTEER_DIR, DataError

OUTSIDE_FILE = GAZETTEER_DIR / "outside.csv"


@dataclass(frozen=True)
class OutsidePlace:
    id: str
    name: str
    province: str
    lon: float
    lat: float
    source: str

    @property
    def label(self) -> str:
        return f"{self.name}（{self.province}）"


@lru_cache(maxsize=1)
def _by_name() -> dict[str, OutsidePlace]:
    """Full and short names → place. A short name two counties share names neither, unless
    one of them is a prefecture-level city (达州 is 达州市, not a county)."""
    try:
        with open(OUTSIDE_FILE, encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise DataError(f"{OUTSIDE_FILE.name}: 无法读取（{exc}）；请运行 python -m gazetteer build") from exc
    table: dict[str, OutsidePlace | None] = {}
    for r in sorted(rows, key=lambda r: r["level"] != "city"):  # cities first
        place = OutsidePlace(r["id"], r["name"], r["province"], float(r["lon"]), float(r["lat"]),
                             r["source"])
        table.setdefault(r["name"], place)
        short = r["short_name"]
        if short not in table:
            table[short] = place
        elif table[short] is not None and table[short].id != place.id and r["level"] != "city":
            existing = table[short]
            if not existing.id.endswith("00"):  # two counties of one short name
                table[short] = None
    return {k: v for k, v in table.items() if v is not None}


def outside_at_start(text: str) -> tuple[OutsidePlace, int] | None:
    """The outside place ``text`` begins with (longest name first) and its length."""
    table = _by_name()
    for n in range(min(len(text), 8), 1, -1):
        if text[:n] in table:
            return table[text[:n]], n
    return None


def outside_at_end(text: str) -> tuple[OutsidePlace, int] | None:
    """The outside place ``text`` ends with (longest name first) and its length."""
    table = _by_name()
    for n in range(min(len(text), 8), 1, -1):
        if text[-n:] in table:
            return table[text[-n:]], n
    return None
