"""Places planners decided (审核): the gazetteer entries their review decisions make, kept
in the data folder (``<PLANMAP_DATA_DIR>/gazetteer/planner.csv``, the columns of every
gazetteer file) beside the open-data files, so the next plan that names such a place
resolves. Each row's source is ``planner <name> <date>``; the file is derived from the
decisions (``layers.notes.decisions``) and rewritten whenever they change."""

from __future__ import annotations

import os
from pathlib import Path

from gazetteer.places import Place, read_place_file, write_place_file
from geo.paths import data_dir

PLANNER_KIND = "planner"


def planner_file() -> Path:
    return data_dir() / "gazetteer" / "planner.csv"


def planner_stamp() -> tuple[int, int] | None:
    """(mtime, size) of the planner file, None when there is none: part of the index's key."""
    try:
        stat = planner_file().stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def planner_places() -> list[Place]:
    return read_place_file(planner_file()) if planner_file().exists() else []


def write_planner_places(places: list[Place]) -> Path:
    """Replace the planner file whole (readers never see half of it); with no places there
    is no file, so the gazetteer is the open data's alone again."""
    path = planner_file()
    if not places:
        path.unlink(missing_ok=True)
        return path
    tmp = path.with_name(f"{path.stem}.partial-{os.getpid()}{path.suffix}")
    write_place_file(tmp, places)
    if path.is_file() and path.read_bytes() == tmp.read_bytes():
        tmp.unlink()  # unchanged: the build and the gazetteer index stay as they are
        return path
    tmp.replace(path)
    return path
