"""Building the layers GeoPackage from the plans: ``python -m layers build``.

The app and ``layers export`` read ``build/layers.gpkg``; ``load_layer`` rebuilds it first
when any input (a plan, the manifest, gazetteer data, ingestion rules) is newer than it, so a
fresh clone and an edited plan both just work.
"""

from __future__ import annotations

import fcntl
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import Point

from gazetteer.planner import planner_file
from geo.boundaries import SOURCE as BOUNDARY_SOURCE
from geo.boundaries import load_districts
from geo.city import CITY_FILE
from geo.paths import BUILD_DIR, DATA_DIR, REPO_DIR
from geo.vocabulary import VOCABULARY_FILE
from layers.export import read_gpkg, update_gpkg, write_gpkg
from layers.ingest.corpus import BuildPool, NamesCache, ingest, rules_version
from layers.ingest.library import added_manifest, all_plan_files, manifest
from layers.ingest.model import Project
from layers.ingest.names import key_id
from layers.ingest.projects import (
    PlanNames,
    changed_keys,
    in_merged_order,
    merge_plans,
    projects_frame,
)
from layers.ingest.readers import MANIFEST
from layers.ingest.rules import RULES_FILE
from layers.schema import LAYER_NAMES, SCHEMA_FILE, STORAGE_CRS, in_plan_order
from layers.spatial.assign import assign_sectors
from layers.spatial.lines import LINES_DIR
from layers.spatial.sectors import sectors_frame
from layers.spatial.structures import STRUCTURES_DIR, load_structures

LAYERS_FILE = BUILD_DIR / "layers.gpkg"
# The code whose output the GeoPackage holds; web-map and annotation code are not inputs, so
# editing a popup or the password code never forces a rebuild.
BUILD_CODE_DIRS = ("layers/ingest", "layers/spatial", "gazetteer", "geo")
BUILD_CODE_FILES = ("layers/build.py", "layers/export.py")


def rule_files() -> list[Path]:
    """Everything the build reads besides the plans and their manifests: code, rules,
    gazetteer and boundary data. A change here re-ingests every plan."""
    files = [planner_file(), RULES_FILE, SCHEMA_FILE, VOCABULARY_FILE, CITY_FILE,
             *sorted((DATA_DIR / "gazetteer").glob("*.csv")),
             # shapes of lines and regions, administrative changes, current and former districts
             *sorted((DATA_DIR / "gazetteer").glob("*.geojson")),
             *sorted((DATA_DIR / "gazetteer").glob("*.yaml")),
             *sorted((DATA_DIR / "boundaries").glob("*.geojson")),
             *sorted(STRUCTURES_DIR.glob("*.yaml")), *sorted(LINES_DIR.glob("*")),
             # the code that reads them: a fixed rule must not leave old projects behind
             *(REPO_DIR / name for name in BUILD_CODE_FILES),
             *(f for folder in BUILD_CODE_DIRS for f in sorted((REPO_DIR / folder).rglob("*.py")))]
    return [f for f in files if f.exists()]


def input_files(paths=None) -> list[Path]:
    """Everything the build reads: when one changes, the GeoPackage is stale."""
    files = [Path(p) for p in (paths or all_plan_files())] + [MANIFEST, added_manifest()]
    return [f for f in files if f.exists()] + rule_files()


def places_frame(gazetteer) -> gpd.GeoDataFrame:
    """The gazetteer's places as points, each with its source and precision."""
    from gazetteer.places import KINDS

    rows = [{**{k: v for k, v in p.as_dict().items() if k not in ("lon", "lat")},
             "kind_label": KINDS.get(p.kind, p.kind), "unverified": p.unverified,
             "geometry": Point(p.lon, p.lat)}
            for p in gazetteer.places]
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=STORAGE_CRS)


def districts_frame() -> gpd.GeoDataFrame:
    """District and county polygons (the municipality outline first) with their source."""
    rows = [{"id": d.adcode, "adcode": d.adcode, "name": d.name, "short_name": d.short_name,
             "level": d.level, "source": BOUNDARY_SOURCE, "geometry": d.geometry}
            for d in load_districts()]
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=STORAGE_CRS)


def _no_progress(share: float, stage: str) -> None:
    pass


# Layers that depend on the rules version only (sectors, places, districts), kept by a
# running process between builds (and by the cache, between processes): adding a plan
# rebuilds projects alone
_BY_VERSION: dict[tuple[str, str], gpd.GeoDataFrame] = {}


def _for_version(version: str, layer: str, make, cache: NamesCache) -> gpd.GeoDataFrame:
    key = (version, layer)
    if key not in _BY_VERSION:
        for old in [k for k in _BY_VERSION if k[1] == layer]:
            del _BY_VERSION[old]
        # a frame pickled by other library versions may not read back alike: they key it too
        libraries = "-".join((gpd.__version__, pd.__version__, shapely.__version__))
        _BY_VERSION[key] = cache.for_version(f"{version}-{libraries}", f"layer-{layer}", make)
    return _BY_VERSION[key].copy()


@dataclass
class Built:
    """What one build of a GeoPackage made, kept by the running process: its next build of the
    same file takes the rows of projects that did not change and rewrites only the others."""
    version: str  # the rules version: the places, sectors and districts layers are its
    plans: dict[str, PlanNames]  # what each plan named, by doc_id, in the plans' order
    projects: dict[str, Project]  # as merged, by id
    located: dict  # what locating them gave, by where (merge_plans' ``located``)
    frame: gpd.GeoDataFrame  # the projects layer (in the plans' order)
    fresh: set[str] = field(default_factory=set)  # ids of the rows this build made anew
    stamp: tuple[int, int] | None = None  # the file's (build_stamp) once written


def build_layers(paths=None, gazetteer=None, progress=_no_progress, cache: NamesCache | None = None,
                 workers: int | None = None, counts: dict | None = None
                 ) -> dict[str, gpd.GeoDataFrame]:
    """Every layer (``LAYER_NAMES``) from ``paths`` (default: every plan, the seed plans in
    data/plans and those planners added). ``progress(share done, stage)`` hears each stage;
    ``cache`` keeps each plan's names between builds (default: none kept); ``workers``:
    processes ingesting plans (default: the machine's cores); ``counts`` receives how many
    plans there were and how many were ingested rather than taken from the cache."""
    return _make(paths, gazetteer, progress, cache, workers, counts)[0]


def _make(paths, gazetteer, progress, cache: NamesCache | None, workers: int | None,
          counts: dict | None, previous: Built | None = None
          ) -> tuple[dict[str, gpd.GeoDataFrame], Built]:
    """``build_layers``, and what the next build may reuse; ``previous``: the last build of
    the same file, whose unchanged project rows are taken as they are (same rules only)."""
    from gazetteer import Gazetteer

    progress(0.02, "载入地名库")
    gazetteer = gazetteer or Gazetteer()
    version = rules_version(rule_files(), gazetteer)
    cache = cache or NamesCache(None)
    if previous is not None and previous.version != version:
        previous = None

    def plans_done(done: int, total: int) -> None:
        progress(0.05 + 0.65 * done / max(total, 1), f"抽取项目（{done}/{total} 份规划）")

    layers: dict[str, gpd.GeoDataFrame] = {}

    def version_layers() -> None:  # while the workers extract: this process is free
        layers["places"] = _for_version(version, "places", lambda: places_frame(gazetteer),
                                        cache)
        layers["sectors"] = _for_version(
            version, "sectors", lambda: sectors_frame(load_structures(), gazetteer), cache)
        layers["districts"] = _for_version(version, "districts", districts_frame, cache)

    with BuildPool(workers, gazetteer) as pool:
        plans, ingested = ingest(list(paths or all_plan_files()), manifest(), gazetteer, version,
                                 cache, progress=plans_done, pool=pool, meanwhile=version_layers)
        if counts is not None:
            counts.update(plans=len(plans), ingested=ingested)
        progress(0.7, f"合并与定位（{len(plans)} 份规划）")
        merged, located = _merged(plans, gazetteer, cache.located(version), pool, previous)
    cache.keep_located(version, located)
    progress(0.8, "划分空间结构单元")
    frame, fresh = _projects_layer(merged, layers["sectors"], previous)
    return ({"places": layers["places"], "projects": frame, "sectors": layers["sectors"],
             "districts": layers["districts"]},
            Built(version, {plan.doc_id: plan for plan in plans}, {p.id: p for p in merged},
                  located, frame, fresh))


def _merged(plans: list[PlanNames], gazetteer, known: dict, pool: BuildPool,
            previous: Built | None) -> tuple[list[Project], dict]:
    """The plans' projects and what locating them gave. After ``previous`` (same rules),
    only the projects named by the plans that changed are merged again: the others are
    previous's (a project depends on the plans naming it alone; see ``merge_plans``)."""
    only = changed_keys(previous.plans, plans) if previous is not None else None
    if only is None:
        located: dict = {}
        return merge_plans(plans, gazetteer, known, located, pool.locate_all), located
    # (what the kept projects were located by stays in ``located`` until a full merge: the
    # cache grows by a changed plan's old names, never loses what the corpus holds)
    located = dict(previous.located)
    again = merge_plans(plans, gazetteer, known, located, pool.locate_all, only=only)
    gone = {key_id(key) for key in only}
    return in_merged_order([*(p for p in previous.projects.values() if p.id not in gone),
                            *again]), located


def _projects_layer(merged: list[Project], sectors: gpd.GeoDataFrame,
                    previous: Built | None) -> tuple[gpd.GeoDataFrame, set[str]]:
    """The projects layer of ``merged`` with each project's sectors. With ``previous``, a
    project equal to its last build's keeps that row (its sectors too: the rules are the
    same) and the others are made anew; in the plans' order (the file appends the new rows,
    and read_gpkg sorts them back). Returns the layer and the ids of the rows made anew."""
    fresh = [p for p in merged if previous is None or previous.projects.get(p.id) != p]
    fresh_ids = {p.id for p in fresh}
    frame = projects_frame(fresh)
    frame["sectors"] = assign_sectors(frame, sectors) if len(frame) else []
    if previous is not None:
        kept = previous.frame[previous.frame["id"].isin({p.id for p in merged} - fresh_ids)]
        frame = in_plan_order(
            kept if not fresh else  # (concatenating an empty frame changes dtypes)
            gpd.GeoDataFrame(pd.concat([kept, frame]), geometry="geometry", crs=STORAGE_CRS))
    return frame, fresh_ids


@contextmanager
def _one_build_at_a_time(out: Path):
    """Builds of one GeoPackage take turns (two planners adding plans at once, on one server or
    several): each reads the plan list inside the lock, so the last build holds every plan."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.with_name(out.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def cache_dir(out: Path) -> Path:
    """Where the build of ``out`` keeps each plan's names: beside it, one cache per output."""
    return out.with_name(out.stem + ".cache")


# What the last build of each GeoPackage made, in this process (see Built)
_BUILT: dict[Path, Built] = {}


def build(paths=None, out: Path | str = LAYERS_FILE, gazetteer=None,
          progress=_no_progress, workers: int | None = None) -> dict:
    """Build and write the GeoPackage; returns {layer: frame} and timing. Plans whose
    content, manifest row and rules are unchanged since the last build of ``out`` are not
    read again; when this process made that build and the file is still the one it wrote,
    only the rows of projects that changed are written again."""
    started = time.perf_counter()
    out = Path(out)
    key = out.resolve()
    counts: dict = {}
    with _one_build_at_a_time(out):
        previous = _BUILT.pop(key, None)
        if previous is not None and previous.stamp != build_stamp(out):
            previous = None  # another process wrote the file since
        layers, made = _make(paths, gazetteer, progress, NamesCache.at(cache_dir(out)), workers,
                             counts, previous)
        progress(0.9, "写出图层")
        if previous is not None and previous.version == made.version:
            kept = made.projects.keys() - made.fresh
            update_gpkg(out, "projects", made.frame[made.frame["id"].isin(made.fresh)],
                        previous.projects.keys() - kept)
        else:
            write_gpkg(layers, out)
        made.stamp = build_stamp(out)
        made.frame = made.frame.copy()  # the caller may change the frame it gets
        _BUILT[key] = made
    progress(1.0, "完成")
    return {"layers": layers, "seconds": time.perf_counter() - started, "path": out, **counts,
            "rewritten": len(made.fresh)}


def build_stamp(path: Path = LAYERS_FILE) -> tuple[int, int] | None:
    """(modification time in ns, size) of a built GeoPackage, None when absent: what a
    running server compares to notice a rebuild (the file is replaced whole, never edited)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def is_stale(path: Path = LAYERS_FILE) -> bool:
    if not path.exists():
        return True
    built = path.stat().st_mtime
    return any(f.stat().st_mtime > built for f in input_files())


def load_layer(name: str, path: Path | str = LAYERS_FILE) -> gpd.GeoDataFrame:
    """One layer of the default build, rebuilt first when stale."""
    if name not in LAYER_NAMES:
        raise ValueError(f"未知图层：{name}（可选：{'、'.join(LAYER_NAMES)}）")
    path = Path(path)
    if path == LAYERS_FILE and is_stale(path):
        build(out=path)
    if not path.exists():
        raise ValueError(f"找不到图层文件：{path}，请先运行 python -m layers build")
    return read_gpkg(path, name)
