"""Basemaps: a registry that is data (``data/web/basemaps.json``, xyzservices' shape), read here.

Each entry is an ``xyzservices.TileProvider`` (its URL template, attribution, subdomains, the
``<insert your API key here>`` convention for a key the user supplies) with this project's
``label`` and ``datum``: GCJ-02 tiles (高德) get their layers moved to GCJ-02 for display.
The blank basemap has no tiles at all, so the map works offline."""

from __future__ import annotations

import json
from dataclasses import dataclass

from xyzservices import TileProvider

from geo.paths import DATA_DIR

BASEMAPS_FILE = DATA_DIR / "web" / "basemaps.json"


@dataclass(frozen=True)
class Basemap:
    id: str
    label: str
    datum: str  # the datum its tiles are drawn in
    tiles: TileProvider | None = None
    overlay: TileProvider | None = None  # a label layer drawn over the tiles (天地图 注记)

    @property
    def needs_key(self) -> bool:
        return self.tiles is not None and self.tiles.requires_token()

    def urls(self, key: str = "") -> list[tuple[str, TileProvider]]:
        """(Leaflet URL template, provider) of the tiles and the overlay, ``key`` filled in."""
        return [(p.build_url(fill_subdomain=False, key=key) if p.requires_token()
                 else p.build_url(fill_subdomain=False), p)
                for p in (self.tiles, self.overlay) if p is not None]


def _provider(entry: dict | None) -> TileProvider | None:
    if not entry or "url" not in entry:
        return None
    fields = {k: v for k, v in entry.items() if k not in ("label", "datum", "overlay")}
    fields.setdefault("attribution", "")
    return TileProvider(fields)


def load_basemaps(path=BASEMAPS_FILE) -> dict[str, Basemap]:
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    return {key: Basemap(key, entry["label"], entry["datum"], _provider(entry),
                         _provider(entry.get("overlay")))
            for key, entry in data.items() if not key.startswith("_")}


BASEMAPS = load_basemaps()
