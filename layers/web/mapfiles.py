"""The map's layer files: each layer's features (per datum) and popups as content-named JSON,
which the browser fetches from the app itself (``FILES_ROUTE``, the route scripts/serve.py
adds to Streamlit's server; ``map_file`` answers it).

No server writes them anywhere. A file's name is its layer, datum and a hash of its content,
so every app server with the same layers (the same GeoPackage, or the same version published
to PostGIS) makes the same file: whichever server gave the page, any server behind the proxy
answers for its files, and a browser never keeps a stale one.

The page's GeoJSON downloads (a layer, the filtered projects) are links to the same route,
made only when a planner clicks (``download_url``, ``download_file``): Streamlit 1.67's
download button fetches its whole file to check it each time the page shows it, which put
~8 MB on every page load and filter change."""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

from layers.web import features

MAP_LAYERS = ("districts", "sectors", "projects", "places")
DATUMS = ("wgs84", "gcj02")  # the datums basemaps are drawn in (data/web/basemaps.json)
FILES_ROUTE = "/planmap/files"
RECENT_FILES = 64  # files a server handed out lately, kept for pages not yet rerun
FILE_NAME = re.compile(r"(?P<layer>[a-z]+)-(?P<part>[a-z0-9]+)-(?P<hash>[0-9a-f]{16})\.json")
DOWNLOADS_KEPT = 256  # downloads offered lately, as recipes (what to make), not as bytes
DOWNLOAD_NAME = re.compile(r"download-[0-9a-f]{20}\.(geojson|gpkg)")
DOWNLOAD_TYPES = {".geojson": "application/geo+json", ".gpkg": "application/geopackage+sqlite3"}


def files_url() -> str:
    """The URL the browser fetches the map files from: the app's route, or
    ``PLANMAP_MAP_FILES_URL`` when a proxy serves them from elsewhere."""
    return (os.environ.get("PLANMAP_MAP_FILES_URL") or FILES_ROUTE).rstrip("/")


def _json_file(prefix: str, obj) -> tuple[str, bytes]:
    """(file name, UTF-8 JSON) of ``obj``, named by its content."""
    body = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()
    return f"{prefix}-{hashlib.sha256(body).hexdigest()[:16]}.json", body


_RECENT: OrderedDict[str, bytes] = OrderedDict()
_RECENT_LOCK = threading.Lock()


def _handed_out(name: str, body: bytes) -> str:
    with _RECENT_LOCK:
        _RECENT[name] = body
        _RECENT.move_to_end(name)
        while len(_RECENT) > RECENT_FILES:
            _RECENT.popitem(last=False)
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
def _layer_files(catalogue, layer: str, datum: str) -> tuple[tuple[str, bytes], tuple[str, bytes]]:
    return (_json_file(f"{layer}-{datum}", layer_data(catalogue, layer, datum)),
            _json_file(f"{layer}-popups", layer_popups(catalogue, layer)))


def layer_urls(catalogue, layer: str, datum: str = "wgs84") -> tuple[str, str]:
    """(URL of the layer's features in ``datum``, URL of its popups), made once per process."""
    data, popups = _layer_files(catalogue, layer, datum)
    return _handed_out(*data), _handed_out(*popups)


def map_file(name: str, current: Callable[[], object]) -> bytes | None:
    """The map file ``name``: one this server handed out lately, else made from the current
    layers (``current()`` gives the catalogue, reading a newer published version if there is
    one); None when no such file belongs to them (a name from a build long replaced)."""
    with _RECENT_LOCK:
        body = _RECENT.get(name)
    if body is not None:
        return body
    parts = FILE_NAME.fullmatch(name)
    if parts is None or parts["layer"] not in MAP_LAYERS or parts["part"] not in (*DATUMS, "popups"):
        return None
    datum = "wgs84" if parts["part"] == "popups" else parts["part"]
    for made, body in _layer_files(current(), parts["layer"], datum):
        if made == name:
            return body
    return None


# --------------------------------------------------------------------------- downloads

_DOWNLOADS: OrderedDict[str, tuple[Callable[[], str | bytes], str]] = OrderedDict()


def download_url(what: tuple, make: Callable[[], str | bytes], filename: str) -> str:
    """The URL of a download made by ``make()`` when it is fetched, saved as ``filename``
    (.geojson or .gpkg). ``what`` names its content (the catalogue's token and the layer or
    the selected ids; the store and its revision): the same content, the same URL. Like
    Streamlit's own download files, a recipe lives in this server's memory (the proxy keeps a
    browser on its server); the newest are kept."""
    suffix = Path(filename).suffix
    if suffix not in DOWNLOAD_TYPES:
        raise ValueError(f"不支持的下载格式：{filename}")
    name = f"download-{hashlib.sha256(repr(what).encode()).hexdigest()[:20]}{suffix}"
    with _RECENT_LOCK:
        _DOWNLOADS[name] = (make, filename)
        _DOWNLOADS.move_to_end(name)
        while len(_DOWNLOADS) > DOWNLOADS_KEPT:
            _DOWNLOADS.popitem(last=False)
    return f"{FILES_ROUTE}/{name}"


def download_file(name: str) -> tuple[bytes, str, str] | None:
    """(the body, the file name to save it as, its media type) of download ``name``; None when
    this server offered no such download (lately)."""
    if DOWNLOAD_NAME.fullmatch(name) is None:
        return None
    with _RECENT_LOCK:
        recipe = _DOWNLOADS.get(name)
    if recipe is None:
        return None
    make, filename = recipe
    body = make()
    return ((body.encode() if isinstance(body, str) else body), filename,
            DOWNLOAD_TYPES[Path(filename).suffix])


def download_links(links: list[tuple[str, str, str]]) -> str:
    """HTML for a row of download links, each (label, URL, file name), escaped."""
    return '<div class="planmap-downloads">' + "".join(
        f'<a href="{html.escape(url)}" download="{html.escape(filename)}">{html.escape(label)}</a>'
        for label, url, filename in links) + "</div>"


def attachment_header(filename: str) -> str:
    """A Content-Disposition value saving the file as ``filename`` (RFC 6266, UTF-8)."""
    return f"attachment; filename*=UTF-8''{quote(filename)}"
