"""Administrative changes (``data/gazetteer/admin_changes.yaml``) as the gazetteer answers them:
an abolished district still resolves, says when it was merged and into what."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from gazetteer.places import GAZETTEER_DIR, DataError, Place
from geo.datafile import load_yaml

CHANGES_FILE = GAZETTEER_DIR / "admin_changes.yaml"


@lru_cache(maxsize=2)
def read_changes(path: Path = CHANGES_FILE) -> tuple[dict, ...]:
    if not Path(path).exists():
        return ()
    try:
        with open(path, encoding="utf-8") as fh:
            return tuple(load_yaml(fh)["changes"])
    except (OSError, KeyError, TypeError, yaml.YAMLError) as exc:
        raise DataError(f"{Path(path).name} 无法读取（{exc}）") from exc


def former_status(place: Place) -> dict | None:
    """For an abolished district: {merged_into, effective, approved}; else None."""
    if place.kind != "district":
        return None
    for change in read_changes():
        if place.name in change["abolished"]:
            return {"merged_into": change["new"]["name"], "effective": change["effective"],
                    "approved": change["approved"]}
    return None


def successor(district_name: str) -> tuple[str, str] | None:
    """(today's district, date of the change) for an abolished district's name or short name."""
    for change in read_changes():
        for old in change["abolished"]:
            if district_name in (old, old.removesuffix("区").removesuffix("县")):
                return change["new"]["name"], change["effective"]
    return None
