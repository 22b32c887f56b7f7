"""Review decisions (审核) that name a place become gazetteer entries: "this 白马 is 武隆区白马
镇" (a gazetteer place chosen for the plan's mention) gives the mention as a name of that
place; "两江中心 is here" (a point on the map) gives a new place. The entries are derived
from the live decisions and written whole to the planner file (gazetteer/planner.py) after
every decision or undo; the decisions themselves stay in the store."""

from __future__ import annotations

import hashlib
import math

import geopandas as gpd

from gazetteer.places import Place
from gazetteer.planner import PLANNER_KIND, write_planner_places
from geo.boundaries import district_at
from geo.city import CITY

# a click lands within this many screen pixels of the spot meant
CLICK_PIXELS = 20


def click_precision_m(lat: float, zoom: int) -> float:
    """How far a point put on a web map at ``zoom`` may be from the spot meant (metres)."""
    metres_per_pixel = 156_543.03 * math.cos(math.radians(lat)) / 2 ** zoom
    return round(CLICK_PIXELS * metres_per_pixel, -1) or 10.0


def planner_entries(decisions: gpd.GeoDataFrame, gazetteer) -> list[Place]:
    """One gazetteer place per mention the live decisions settle (the newest decision about
    a mention wins); a chosen place that is no longer in the gazetteer, or already has the
    mention as a name, gives nothing."""
    live = decisions[(decisions["status"] != "deleted")].sort_values("updated_at")
    newest: dict[str, object] = {}
    for row in live.itertuples():
        detail = row.detail or {}
        mention = (detail.get("mention") or "").strip()
        if mention and detail.get("decision") in ("place", "point"):
            newest[mention] = row
    places = []
    for mention, row in newest.items():
        detail = row.detail
        source = f"planner {row.author} {row.updated_at[:10]}"
        key = hashlib.sha256(f"{mention}|{detail.get('place_id', '')}".encode()).hexdigest()[:10]
        if detail["decision"] == "place":
            base = gazetteer.place(detail["place_id"])
            if base is None or mention in base.names:
                continue  # gone, or the place is already called so
            places.append(Place(
                f"planner-{key}", mention, (), base.kind, base.district, base.adcode, base.lon,
                base.lat, base.precision_m, source, "规划师审核决定", base.id,
                f"审核：规划中的“{mention}”即 {base.name}（{base.id}）", geometry="point"))
        else:
            point = row.geometry
            district = district_at(point.x, point.y)
            places.append(Place(
                f"planner-{key}", mention, (), PLANNER_KIND,
                district.name if district else "", district.adcode if district else CITY.adcode,
                round(point.x, 6), round(point.y, 6),
                float(detail.get("precision_m") or click_precision_m(point.y, 15)), source,
                "规划师审核决定", "", f"审核：规划中的“{mention}”由规划师在地图上指定",
                geometry="point"))
    return places


def publish_planner_places(store, gazetteer) -> int:
    """Rewrite the planner file from the store's decisions; how many places it holds."""
    places = planner_entries(store.list(include_deleted=True, kind="decision"), gazetteer)
    write_planner_places(places)
    return len(places)
