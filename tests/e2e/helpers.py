"""Helpers for the browser tests: a Streamlit server, Debian's Chromium, the folium map frame.

Import them in tests as ``from tests.e2e.helpers import map_frame, wait_for_map, ...``.
The fixtures that use them live in ``tests/e2e/conftest.py``.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Frame, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps trying hosts this machine cannot reach.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
# streamlit-folium's component iframe: /component/streamlit_folium.st_folium/index.html?...
MAP_IFRAME = 'iframe[src*="streamlit_folium"]'

REPO = Path(__file__).resolve().parents[2]


def is_local(url: str) -> bool:
    """True for URLs that stay on this machine (and for data:, blob:, about: URLs)."""
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about", "chrome-error"):
        return True
    return parts.hostname in LOCAL_HOSTS


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _health(base_url: str) -> str | None:
    # No proxy for loopback, whatever the environment says.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{base_url}/_stcore/health", timeout=2) as r:
            return r.read().decode("utf-8", "replace").strip()
    except (OSError, http.client.HTTPException):  # (a port that connected to itself: not up)
        return None


@contextlib.contextmanager
def streamlit_server(
    script: str | Path,
    *,
    cwd: str | Path,
    env: dict[str, str] | None = None,
    extra_args: list[str] | None = None,
    log_path: str | Path | None = None,
    timeout: float = 60.0,
) -> Iterator[str]:
    """Run ``streamlit run SCRIPT`` on a free loopback port; yield its base URL.

    Waits until ``/_stcore/health`` answers "ok" (``timeout`` seconds); on failure the error
    carries the server's output. The whole process group is ended afterwards.
    """
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    # the app starts the way scripts/app.sh starts it: scripts/serve.py, data loaded first
    launcher = ([str(REPO / "scripts" / "serve.py"), str(script)]
                if Path(script).name == "streamlit_app.py"
                else ["-m", "streamlit", "run", str(script)])
    cmd = [
        sys.executable,
        *launcher,
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
        *(extra_args or []),
    ]
    full_env = {**os.environ, **(env or {})}
    if log_path is None:
        fd, log_path = tempfile.mkstemp(prefix=f"streamlit-{port}-", suffix=".log")
        os.close(fd)
    log_path = Path(log_path)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd,
            cwd=str(cwd),
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if _health(base_url) == "ok":
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                why = (
                    f"exited with code {proc.returncode}"
                    if proc.poll() is not None
                    else f"did not answer {base_url}/_stcore/health with 'ok' in {timeout:.0f} s"
                )
                out = log_path.read_text(encoding="utf-8", errors="replace")[-4000:]
                raise RuntimeError(
                    f"streamlit server {why}: {' '.join(cmd)}\n--- output ---\n{out}"
                )
            time.sleep(0.2)
        yield base_url
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def watched_page(browser) -> Page:
    """A fresh page in a context of its own (1400×900, zh-CN; its own cookies, as another
    planner's browser) that cannot reach beyond loopback, with what it did recorded:
      page.requests           every request URL, in order
      page.external_requests  URLs of requests (and websockets) to other hosts, all aborted
      page.console_errors     console.error messages, "text (url:line)"
      page.page_errors        uncaught exceptions in the page or its frames
    Close it with ``page.context.close()``."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    pg = context.new_page()
    pg.requests = []
    pg.external_requests = []
    pg.console_errors = []
    pg.page_errors = []

    def route(route):
        url = route.request.url
        if is_local(url):
            route.continue_()
        else:
            pg.external_requests.append(url)
            route.abort("blockedbyclient")

    def route_ws(ws):
        pg.external_requests.append(ws.url)
        ws.close()

    def on_console(msg):
        if msg.type == "error":
            loc = msg.location or {}
            pg.console_errors.append(
                f"{msg.text} ({loc.get('url', '')}:{loc.get('lineNumber', '')})"
            )

    context.route("**/*", route)
    context.route_web_socket(lambda url: not is_local(url), route_ws)
    pg.on("request", lambda req: pg.requests.append(req.url))
    pg.on("console", on_console)
    pg.on("pageerror", lambda exc: pg.page_errors.append(str(exc)))
    return pg


def wait_for_app(page: Page, timeout: float = 30_000) -> None:
    """Wait until Streamlit is connected and its script run has finished.

    After a widget interaction the rerun may not have started yet when this is called; wait
    for the element the rerun produces instead.
    """
    page.locator(
        '[data-testid="stApp"][data-test-connection-state="CONNECTED"]'
        '[data-test-script-state="notRunning"]'
    ).wait_for(state="attached", timeout=timeout)


def switch_page(page: Page, link: str, ready, tries: int = 3, timeout: float = 40_000) -> None:
    """Click the navigation link ``link`` and wait for ``ready`` (a locator of the new page).
    A click that lands while the page is rerunning (the map's first value reruns it after
    each load) can be lost, as a planner's would be; like a planner, click again."""
    for attempt in range(tries):
        wait_for_app(page, timeout=60_000)
        page.get_by_role("link", name=link).click()
        try:
            ready.first.wait_for(timeout=timeout)
            return
        except PlaywrightTimeoutError:
            if attempt == tries - 1:
                raise AssertionError(f"page {link} did not open after {tries} clicks: {page.url}, "
                                     f"{page.locator('h1, h2, h3').all_inner_texts()}") from None


def app_exceptions(page: Page) -> list[str]:
    """Texts of the exceptions Streamlit shows on the page (its red error boxes)."""
    return [t.strip() for t in page.locator('[data-testid="stException"]').all_inner_texts()]


def open_app(page: Page, base_url: str, timeout: float = 30_000) -> Page:
    """Go to the app and wait for its first script run to finish."""
    page.goto(base_url, timeout=timeout)
    wait_for_app(page, timeout=timeout)
    return page


def map_frame(page: Page, index: int = 0, timeout: float = 30_000) -> Frame:
    """The Frame of the ``index``-th streamlit-folium map on the page, once it has loaded."""
    deadline = time.monotonic() + timeout / 1000
    while True:
        # look the iframe up anew each time: a remounted map (new basemap) replaces it
        handle = page.locator(MAP_IFRAME).nth(index).element_handle(timeout=timeout)
        frame = handle.content_frame()
        if frame is not None and "streamlit_folium" in frame.url:
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"no streamlit_folium frame #{index} after {timeout:.0f} ms")
        page.wait_for_timeout(50)
    frame.wait_for_load_state("load", timeout=timeout)
    return frame


# `window.map_div` is first the <div id="map_div"> (named access on window); it becomes the
# L.Map once folium's script has run.
_MAP_READY_JS = """([minLayers, minGroups]) => {
  const m = window.map_div;
  if (!window.L || !(m instanceof window.L.Map)) return false;
  if (Object.keys(m._layers || {}).length < minLayers) return false;
  // the catalogue's layers are drawn from files fetched after the groups exist
  return (window.feature_group || []).length >= minGroups && !window.planmapLoading;
}"""


_MAP_STATE_JS = """() => ({
  leaflet: !!window.L,
  map: !!(window.L && window.map_div instanceof window.L.Map),
  layers: window.map_div && window.map_div._layers ? Object.keys(window.map_div._layers).length : 0,
  feature_groups: (window.feature_group || []).length,
})"""


def wait_for_map(
    frame: Frame, min_layers: int = 1, min_feature_groups: int = 0, timeout: float = 30_000
) -> None:
    """Wait until the Leaflet map exists with ``min_layers`` layers and is visible.

    ``min_feature_groups``: also wait for that many ``feature_group_to_add`` groups.
    """
    try:
        frame.wait_for_function(
            _MAP_READY_JS, arg=[min_layers, min_feature_groups], timeout=timeout, polling=100
        )
    except PlaywrightTimeoutError:
        state = frame.evaluate(_MAP_STATE_JS)
        hint = (
            " — Leaflet never loaded: folium's default_js points at CDNs, which tests block"
            " (see page.external_requests); serve Leaflet from the app"
            if not state["leaflet"]
            else ""
        )
        raise AssertionError(
            f"map not ready after {timeout:.0f} ms (wanted {min_layers} layers, "
            f"{min_feature_groups} feature groups): {state}{hint}"
        ) from None
    frame.locator(".leaflet-container").first.wait_for(state="visible", timeout=timeout)


_FEATURES_JS = """([source, withCoords]) => {
  const L = window.L, map = window.map_div, out = [];
  const pt = (ll) => [ll.lat, ll.lng];
  const deep = (lls) => Array.isArray(lls) ? lls.map(deep) : pt(lls);
  const first = (lls) => { while (Array.isArray(lls)) lls = lls[0]; return lls ? pt(lls) : null; };
  const count = (lls) => Array.isArray(lls) ? lls.reduce((n, x) => n + count(x), 0) : 1;
  const kind = (l) => l instanceof L.Circle ? "circle" : l instanceof L.CircleMarker ? "circlemarker"
    : l instanceof L.Marker ? "marker" : l instanceof L.Polygon ? "polygon"
    : l instanceof L.Polyline ? "polyline" : l instanceof L.LayerGroup ? "group" : "layer";
  const record = (layer, group) => {
    const props = (layer.feature && layer.feature.properties) || {};
    const f = {
      group, leaflet_id: L.stamp(layer), kind: kind(layer),
      id: props.id ?? null, name: props.name ?? null, properties: props,
      geometry_type: layer.feature && layer.feature.geometry ? layer.feature.geometry.type : null,
      first: null, n_points: 0, bounds: null,
      on_map: !!(map && map.hasLayer(layer)),
    };
    if (layer.getLatLng) {
      f.first = pt(layer.getLatLng()); f.n_points = 1;
      if (withCoords) f.latlngs = f.first;
    } else if (layer.getLatLngs) {
      const lls = layer.getLatLngs();
      f.first = first(lls); f.n_points = count(lls);
      if (withCoords) f.latlngs = deep(lls);
    } else if (layer.getLayers) {  // a GeometryCollection feature: one feature, many layers
      const subs = layer.getLayers();
      for (const s of subs) {
        const p = s.getLatLng ? pt(s.getLatLng()) : s.getLatLngs ? first(s.getLatLngs()) : null;
        if (p) { f.first = p; break; }
      }
      f.n_points = subs.length;
    }
    if (layer.getBounds) {
      try { const b = layer.getBounds(); if (b.isValid()) f.bounds = [pt(b.getSouthWest()), pt(b.getNorthEast())]; }
      catch (e) { /* empty group */ }
    }
    out.push(f);
  };
  const walk = (layer, group) => {
    if (!layer.feature && typeof layer.eachLayer === "function") {
      layer.eachLayer((child) => walk(child, group));
    } else {
      record(layer, group);
    }
  };
  if (source === "map") {
    // every leaf layer on the map, whoever added it
    const inGroup = new Set();
    map.eachLayer((l) => { if (!l.feature && l.eachLayer) l.eachLayer((c) => inGroup.add(c)); });
    map.eachLayer((l) => { if (!inGroup.has(l) && !(l instanceof L.TileLayer)) walk(l, null); });
  } else {
    (window.feature_group || []).forEach((g, i) => walk(g, i));
  }
  return out;
}"""


def leaflet_features(
    frame: Frame, source: str = "feature_group", with_coords: bool = False
) -> list[dict]:
    """Every feature drawn in the map frame, as dicts.

    ``source="feature_group"`` (default): the layers of ``window.feature_group`` — the
    FeatureGroups passed to ``st_folium(feature_group_to_add=...)`` — recursively;
    ``source="map"``: every non-tile leaf layer on the map.

    Each dict: ``group`` (index in ``window.feature_group``, None for ``source="map"``),
    ``leaflet_id``, ``kind`` (marker/circlemarker/circle/polyline/polygon/group/layer),
    ``id`` and ``name`` (from the GeoJSON feature's properties, else None), ``properties``,
    ``geometry_type`` (GeoJSON type or None), ``first`` ([lat, lng] of the first point),
    ``n_points``, ``bounds`` ([[south, west], [north, east]] for paths, else None), ``on_map``;
    with ``with_coords=True`` also ``latlngs`` ([lat, lng], or the nested lists of a path).
    """
    if source not in ("feature_group", "map"):
        raise ValueError(f"source must be 'feature_group' or 'map', not {source!r}")
    return frame.evaluate(_FEATURES_JS, [source, with_coords])
