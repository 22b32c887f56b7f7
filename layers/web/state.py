"""What a planner has chosen to see: the view (filters, search, focus, basemap; it fits in a
URL) and the annotation filter. Plain values only; the catalogue and the store apply them."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np


@dataclass
class ViewState:
    """The planner's view: every field is a plain value that fits in a URL."""
    projects: list[str] = field(default_factory=list)  # project ids and group tokens
    structures: list[str] = field(default_factory=list)  # structure ids
    sectors: list[str] = field(default_factory=list)  # sector ids
    documents: list[str] = field(default_factory=list)  # doc ids
    categories: list[str] = field(default_factory=list)
    districts: list[str] = field(default_factory=list)  # district names
    statuses: list[str] = field(default_factory=list)  # auto | review | unlocated
    min_confidence: float = 0.0
    query: str = ""
    focus: str = ""  # "project:<id>" or "place:<id>"
    basemap: str = "blank"
    # where the planner panned/zoomed to: "lat,lon,zoom" as the basemap shows them (GCJ-02
    # numbers on 高德); "" = fitted to the selection
    view: str = ""

    # URL keys, short so a link stays readable; lists are joined with commas
    QUERY_KEYS = {"projects": "p", "structures": "st", "sectors": "se", "documents": "doc",
                  "categories": "cat", "districts": "dist", "statuses": "status",
                  "min_confidence": "conf", "query": "q", "focus": "focus", "basemap": "base",
                  "view": "v"}

    def to_query(self) -> dict[str, str]:
        """Only what differs from the default, so the plain view has a plain URL."""
        default = ViewState()
        out = {}
        for name, key in self.QUERY_KEYS.items():
            value = getattr(self, name)
            if value == getattr(default, name):
                continue
            out[key] = ",".join(value) if isinstance(value, list) else str(value)
        return out


# The map's zoom range: 5 shows the whole city with its neighbours; tiles=None leaves Leaflet
# without a maximum, so one is set explicitly (clustering needs it).
VIEW_ZOOMS = (5, 18)
# A view's decimals: 5 (≈ 1 m) is finer than any screen pixel at the map's highest zoom.
VIEW_DECIMALS = 5


def format_view(lat: float, lon: float, zoom: int) -> str:
    return f"{lat:.{VIEW_DECIMALS}f},{lon:.{VIEW_DECIMALS}f},{int(zoom)}"


def parse_view(text: str, bbox, zooms: tuple[int, int]) -> tuple[float, float, int] | None:
    """(lat, lon, zoom) of a ``format_view`` text whose centre lies in ``bbox`` (lon/lat
    min/max) and zoom in ``zooms``; None for anything else (a mistyped or foreign link)."""
    parts = str(text).split(",")
    if len(parts) != 3:
        return None
    try:
        lat, lon, zoom = float(parts[0]), float(parts[1]), int(parts[2])
    except ValueError:
        return None
    min_lon, min_lat, max_lon, max_lat = bbox
    if not (min_lat <= lat <= max_lat and min_lon <= lon <= max_lon
            and zooms[0] <= zoom <= zooms[1]):
        return None
    return lat, lon, zoom


def split_list(value) -> list[str]:
    if isinstance(value, (list, tuple)):
        value = ",".join(str(v) for v in value)
    return [v.strip() for v in str(value or "").split(",") if v.strip()]


@dataclass(frozen=True)
class NoteFilter:
    """Which annotations to list and draw: by tag (any of), author and status. No status
    chosen means the live ones (open and resolved, not deleted)."""
    tags: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()

    LIVE = ("open", "resolved")

    def apply(self, notes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        keep = notes["status"].isin(self.statuses or self.LIVE).to_numpy(copy=True)
        if self.authors:
            keep &= notes["author"].isin(self.authors).to_numpy()
        if self.tags:
            wanted = set(self.tags)
            keep &= np.array([bool(wanted.intersection(ts)) for ts in notes["tags"]], dtype=bool)
        return notes[keep]
