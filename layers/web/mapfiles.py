"""The map's layer files: each layer's features (per datum) and popups as content-named JSON.

``python -m layers build`` writes them once beside the GeoPackage's build (``write_all``);
a server that finds one missing (its web code changed, a fresh folder) writes it on first
use. Named by content, a browser never keeps a stale file and servers never overwrite each
other's; with ``PLANMAP_MAP_FILES_DIR``/``_URL`` several servers share one folder."""

from __future__ import annotations

import hashlib
import json
import os
import time
from functools import lru_cache
from pathlib import Path

from layers.web import features
from layers.web.assets import STATIC_DIR, STATIC_URL

KEPT_S = 7 * 24 * 3600  # a file unused this long belongs to data long replaced
MAP_LAYERS = ("districts", "sectors", "projects", "places")
DATUMS = ("wgs84", "gcj02")  # the datums basemaps are drawn in (data/web/basemaps.json)


def files_dir() -> Path:
    """Where the map files are written: ``PLANMAP_MAP_FILES_DIR``, default static/generated
    (served by Streamlit). Several app servers share one folder (and one URL, below)."""
    return Path(os.environ.get("PLANMAP_MAP_FILES_DIR") or STATIC_DIR / "generated")


def files_url() -> str:
    """The URL the browser fetches the map files from: ``PLANMAP_MAP_FILES_URL``, default
    Streamlit's static route (a proxy serving a shared folder may give another)."""
    return (os.environ.get("PLANMAP_MAP_FILES_URL") or f"{STATIC_URL}/generated").rstrip("/")


def path_of(url: str) -> Path:
    """The file behind a URL ``layer_urls`` gave."""
    return files_dir() / url.rsplit("/", 1)[1]


def _json_file(prefix: str, obj) -> tuple[str, str]:
    """(file name, text) of ``obj`` as JSON, named by its content: a browser never keeps a
    stale one, and servers side by side each find theirs."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return f"{prefix}-{hashlib.sha256(text.encode()).hexdigest()[:16]}.json", text


def _served(name: str, text: str) -> str | None:
    """The URL of the static file ``name``, written if absent and marked as in use (files
    unused for KEPT_S are removed); None when the folder cannot be written."""
    folder = files_dir()
    path = folder / name
    try:
        if path.is_file():
            os.utime(path)
        else:
            folder.mkdir(parents=True, exist_ok=True)
            part = folder / f".{name}.{os.getpid()}.tmp"
            part.write_text(text, encoding="utf-8")
            os.replace(part, path)  # whole or absent
            for old in folder.glob("*.json"):
                if time.time() - old.stat().st_mtime > KEPT_S:
                    old.unlink(missing_ok=True)
    except OSError:
        return None
    return f"{files_url()}/{name}"


@lru_cache(maxsize=16)
def _layer_parts(catalogue, layer: str, datum: str) -> tuple[dict, dict[str, str]]:
    """(the layer's features without popups, record id -> popup HTML)."""
    if layer == "projects":
        data = features.projects_data(catalogue.projects, catalogue.documents, datum)
    elif layer == "sectors":
        data = features.sectors_data(catalogue.sectors, datum)
    elif layer == "places":
        data = features.places_data(catalogue.places, datum)
    elif layer == "districts":
        data = features.districts_data(catalogue.districts, datum, catalogue.major_places)
    else:
        raise ValueError(f"未知图层：{layer}")
    popups = {}
    for feature in data["features"]:
        popups[feature["properties"]["id"]] = feature["properties"].pop("popup")
    return data, popups


def layer_data(catalogue, layer: str, datum: str = "wgs84") -> dict:
    """Every feature of one of the catalogue's layers, ready to draw in ``datum``, without
    popups (``layer_popups``): built once per process (styles, tooltips, simplified
    geometry); a filter takes a ``subset``."""
    return _layer_parts(catalogue, layer, datum)[0]


def layer_popups(catalogue, layer: str) -> dict[str, str]:
    """Record id -> popup HTML of one of the catalogue's layers."""
    return _layer_parts(catalogue, layer, "wgs84")[1]


@lru_cache(maxsize=16)
def _layer_files(catalogue, layer: str, datum: str) -> tuple[tuple[str, str], tuple[str, str]]:
    return (_json_file(f"{layer}-{datum}", layer_data(catalogue, layer, datum)),
            _json_file(f"{layer}-popups", layer_popups(catalogue, layer)))


def layer_urls(catalogue, layer: str, datum: str = "wgs84") -> tuple[str, str] | None:
    """(URL of the layer's features in ``datum``, URL of its popups) as static files (built
    once per process; checked, and rewritten if gone, on every call); None when they cannot
    be written."""
    data, popups = (_served(*file) for file in _layer_files(catalogue, layer, datum))
    return (data, popups) if data and popups else None


def write_all(catalogue) -> list[str]:
    """Every layer's files in every datum; the URLs written (or found)."""
    urls = []
    for layer in MAP_LAYERS:
        for datum in DATUMS:
            urls.extend(layer_urls(catalogue, layer, datum) or ())
    return sorted(set(urls))
