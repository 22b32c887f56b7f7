"""A corpus of plans ingested incrementally and in parallel.

``ingest_file`` is the per-document step: one plan file's bytes, its manifest row and a
gazetteer in, the project names it holds out (``PlanNames``). It reads no global state and
writes none, so it runs alike in this process, in a pool of processes, or under a
distributed engine. A build keeps each result in a ``NamesCache`` keyed by the file's
SHA-256, its manifest row and the rules version (the code, rules and gazetteer the result
came from): changing one plan re-ingests that plan only. Plans not in the cache are ingested
over the machine's cores with ``concurrent.futures`` processes (a ``BuildPool``), which can
then also locate the projects no earlier build located; merging (``merge_plans``) and assigning
sectors come after, in the calling process, which meanwhile does work of its own.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import pickle
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from layers.ingest.projects import PlanNames, locate_where, plan_names
from layers.ingest.readers import document_of

# Bumped when PlanNames or the located tuple change shape: old cache files are then ignored.
CACHE_FORMAT = 1


def ingest_file(raw: bytes, name: str, row: dict, gazetteer) -> PlanNames:
    """The project names in plan file ``name`` (its bytes ``raw``, its manifest ``row``)."""
    return plan_names(document_of(raw, name, row), gazetteer)


def rules_version(files: list[Path], gazetteer=None) -> str:
    """A digest of everything a plan's names depend on besides the plan: the contents of
    ``files`` (code, rules, gazetteer data) and which gazetteer folder is used."""
    digest = hashlib.sha256(f"format {CACHE_FORMAT}\n".encode())
    if gazetteer is not None:  # another folder than the default's (a test's, say): its data too
        folder = Path(gazetteer.directory).resolve()
        digest.update(str(folder).encode())
        files = [*files, *(f for f in sorted(folder.iterdir()) if f.is_file() and f not in files)]
    for f in files:
        digest.update(f"\n{f.name}\n".encode())
        digest.update(f.read_bytes())
    return digest.hexdigest()[:20]


class NamesCache:
    """Each plan's names by (content, manifest row, rules version), in memory and in
    ``folder`` (one pickle per plan; only this program writes it: it is a build's scratch
    space, like the GeoPackage beside it), and what ``merge_plans`` located, per version.
    ``folder=None`` keeps everything in memory."""

    def __init__(self, folder: Path | None):
        self.folder = Path(folder) if folder else None
        self._names: dict[str, PlanNames] = {}
        self._located: dict[str, dict] = {}

    @classmethod
    def at(cls, folder: Path) -> NamesCache:
        """The cache in ``folder``, one per process: a running server keeps what it read."""
        folder = Path(folder).resolve()
        with _OPENING:
            if folder not in _OPEN:
                _OPEN[folder] = cls(folder)
            return _OPEN[folder]

    @staticmethod
    def key(raw: bytes, name: str, row: dict, version: str) -> str:
        text = json.dumps([version, name, hashlib.sha256(raw).hexdigest(),
                           sorted(row.items())], ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def path(self, key: str) -> Path | None:
        """Where the names of ``key`` are kept on disk (None: in memory only)."""
        return self.folder / "names" / f"{key}.pickle" if self.folder else None

    def get(self, key: str) -> PlanNames | None:
        found = self._names.get(key)
        path = self.path(key)
        if found is None and path is not None and path.is_file():
            try:
                found = pickle.loads(path.read_bytes())
            except Exception:  # a file cut short or of another format: ingest again
                found = None
            if isinstance(found, PlanNames):
                self._names[key] = found
            else:
                found = None
        return found

    def put(self, key: str, names: PlanNames, written: bool = False) -> None:
        """Keep ``names``; ``written``: a worker has already written them to ``path(key)``."""
        self._names[key] = names
        path = self.path(key)
        if path is not None and not written:
            _write_whole(path, pickle.dumps(names, protocol=pickle.HIGHEST_PROTOCOL))

    def keep_only(self, keys: set[str]) -> None:
        """Forget plans this corpus no longer holds (removed, or changed since)."""
        for key in set(self._names) - keys:
            del self._names[key]
        if self.folder is not None and (self.folder / "names").is_dir():
            for path in (self.folder / "names").glob("*.pickle"):
                if path.stem not in keys:
                    path.unlink(missing_ok=True)

    def for_version(self, version: str, name: str, make: Callable[[], object]):
        """``make()``, a result of the rules version alone (a layer of places or sectors),
        kept on disk per version: a new process's build reads it rather than making it."""
        path = self.folder / f"{name}-{version}.pickle" if self.folder else None
        if path is not None and path.is_file():
            try:
                return pickle.loads(path.read_bytes())
            except Exception:  # cut short, or of another library version: make it again
                pass
        made = make()
        if path is not None:
            for old in self.folder.glob(f"{name}-*.pickle"):
                old.unlink(missing_ok=True)
            _write_whole(path, pickle.dumps(made, protocol=pickle.HIGHEST_PROTOCOL))
        return made

    def located(self, version: str) -> dict:
        """What earlier builds of this version located (see ``merge_plans``)."""
        if version not in self._located:
            found = {}
            path = self.folder / f"located-{version}.pickle" if self.folder else None
            if path is not None and path.is_file():
                try:
                    found = pickle.loads(path.read_bytes())
                except Exception:
                    found = {}
            self._located = {version: found if isinstance(found, dict) else {}}
        return self._located[version]

    def keep_located(self, version: str, located: dict) -> None:
        """Keep ``located`` as this version's (the entries one build used), dropping others."""
        self._located = {version: located}
        if self.folder is None:
            return
        for old in self.folder.glob("located-*.pickle"):
            if old.name != f"located-{version}.pickle":
                old.unlink(missing_ok=True)
        _write_whole(self.folder / f"located-{version}.pickle",
                     pickle.dumps(located, protocol=pickle.HIGHEST_PROTOCOL))


_OPEN: dict[Path, NamesCache] = {}
_OPENING = threading.Lock()


def _write_whole(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.part")
    part.write_bytes(data)
    os.replace(part, path)  # a reader finds the whole file or none


# --------------------------------------------------------------------------- worker processes

_WORKER: dict = {}  # in a pool's worker process only: its gazetteer


def _start_worker(directory: str) -> None:
    from gazetteer import Gazetteer

    _WORKER["gazetteer"] = Gazetteer(directory)


def _ingest_in_worker(raw: bytes, name: str, row: dict, path: Path | None) -> bytes:
    """The plan's names, pickled once: written to the cache at ``path`` here and sent back as
    they are (the parent, which would pickle them again to keep them, does less)."""
    data = pickle.dumps(ingest_file(raw, name, row, _WORKER["gazetteer"]),
                        protocol=pickle.HIGHEST_PROTOCOL)
    if path is not None:
        _write_whole(path, data)
    return data


def _locate_in_worker(wheres: list[tuple]) -> list[tuple]:
    return [locate_where(where, _WORKER["gazetteer"]) for where in wheres]


def default_workers() -> int:
    """The cores this process may use (``PLANMAP_BUILD_WORKERS`` overrides)."""
    wanted = os.environ.get("PLANMAP_BUILD_WORKERS", "")
    if wanted.isdigit() and int(wanted) > 0:
        return int(wanted)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _pool_context():
    # fork starts a worker in milliseconds with the gazetteer already loaded, but forking a
    # process that runs other threads (an app server) can copy a lock some thread holds;
    # there a fresh forkserver process loads its own gazetteer instead
    return multiprocessing.get_context("fork" if threading.active_count() == 1 else "forkserver")


# Below this many projects to locate, the workers cost more than they save. Measured on the
# 100-plan corpus (1230 projects): here ~0.25 ms a project; in a worker half that each, but
# this process still unpickles each answer (~0.09 ms: places, shapes) and each worker first
# loads the boundaries and shapes this process already holds (~0.5 s): 0.55 s here against
# 0.85 s over two workers.
LOCATE_IN_WORKERS_FROM = 4000


class BuildPool:
    """One build's worker processes (at most ``workers``), started only when there are plans
    to share among them, and used again to locate projects; a context manager."""

    def __init__(self, workers: int | None, gazetteer):
        self.workers = workers or default_workers()
        self.gazetteer = gazetteer
        self.executor: ProcessPoolExecutor | None = None

    def start(self, tasks: int) -> bool:
        """Start the processes if ``tasks`` plans are worth sharing; True when they run."""
        workers = min(self.workers, tasks)
        if self.executor is None and workers > 1:
            self.executor = ProcessPoolExecutor(workers, mp_context=_pool_context(),
                                                initializer=_start_worker,
                                                initargs=(str(self.gazetteer.directory),))
        return self.executor is not None

    def locate_all(self, wheres: list[tuple]) -> list[tuple]:
        """``locate_where`` of each, over the workers when they run and it is worth it."""
        if self.executor is None or len(wheres) < LOCATE_IN_WORKERS_FROM:
            return [locate_where(where, self.gazetteer) for where in wheres]
        size = -(-len(wheres) // (4 * self.workers))  # a few chunks each: they vary in cost
        chunks = [wheres[i:i + size] for i in range(0, len(wheres), size)]
        return [found for located in self.executor.map(_locate_in_worker, chunks)
                for found in located]

    def __enter__(self) -> BuildPool:
        return self

    def __exit__(self, *exc) -> None:
        if self.executor is not None:  # a plan that fails stops the rest rather than waiting
            self.executor.shutdown(cancel_futures=True)
            self.executor = None


def _nothing(*args) -> None:
    pass


def ingest(files: list[Path], manifest: dict[str, dict], gazetteer, version: str,
           cache: NamesCache, workers: int | None = None,
           progress: Callable[[int, int], None] = _nothing, *, pool: BuildPool | None = None,
           meanwhile: Callable[[], None] = _nothing) -> tuple[list[PlanNames], int]:
    """Every plan's names, in ``files`` order, and how many plans were ingested (not cached).
    ``progress(plans ingested, plans to ingest)`` hears each one done. ``pool``: the build's
    worker processes (default: a pool of ``workers`` for this call); ``meanwhile()`` runs here
    while they work (before ingesting, with none). A plan that cannot be read raises
    ValueError naming it, as reading it alone would."""
    entries = []
    for path in map(Path, files):
        try:
            raw = path.read_bytes()
        except OSError as e:
            raise ValueError(f"无法读取规划文件 {path}：{e.strerror}") from e
        row = manifest.get(path.name, {})
        entries.append((raw, path.name, row, cache.key(raw, path.name, row, version)))
    results = [cache.get(key) for *_, key in entries]
    todo = [i for i, found in enumerate(results) if found is None]
    if pool is None:
        with BuildPool(workers, gazetteer) as own:
            return ingest(files, manifest, gazetteer, version, cache, progress=progress,
                          pool=own, meanwhile=meanwhile)
    progress(0, len(todo))
    if pool.start(len(todo)):
        futures = {pool.executor.submit(_ingest_in_worker, *entries[i][:3],
                                        cache.path(entries[i][3])): i for i in todo}
        meanwhile()
        for done, future in enumerate(as_completed(futures), 1):
            i = futures[future]
            results[i] = pickle.loads(future.result())
            cache.put(entries[i][3], results[i], written=True)
            progress(done, len(todo))
    else:
        meanwhile()
        for done, i in enumerate(todo, 1):
            results[i] = ingest_file(*entries[i][:3], gazetteer)
            cache.put(entries[i][3], results[i])
            progress(done, len(todo))
    cache.keep_only({key for *_, key in entries})
    return results, len(todo)
