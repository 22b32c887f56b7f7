"""The web map: folium layers for projects, sectors, places and districts, and the basemaps.

Design for speed (the app reruns its script on every widget change):
- each layer is ONE GeoJSON layer (points as circle markers), never one element per feature;
- the base map (tiles, legend, asset links) depends only on the basemap, so its key is stable and
  a filter change only swaps the feature groups the app passes to streamlit-folium;
- popup and tooltip HTML is built here from escaped text (folium inserts GeoJSON properties into
  ``innerHTML`` unescaped, so a name with ``<`` would otherwise become markup);
- the catalogue's layers are not sent with each rerun: their features (styles, tooltips) and
  their popups are written once to static JSON files (``layer_urls``) that the map's frame
  fetches once, so a rerun sends only the ids to show; popups are fetched on the first click.

Every layer is stored in WGS84; with a GCJ-02 basemap (高德) the layers are moved to GCJ-02 for
display only, so a feature stays on the same ground whichever basemap is shown.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from functools import lru_cache

import folium
import geopandas as gpd
import pandas as pd
from folium.plugins import Draw

from geo.datum import convert
from layers.export import geojson_dict, to_datum
from layers.schema import (
    CATEGORY_COLOURS,
    COLOURS,
    DEFAULT_COLOUR,
    LAYER_LABELS,
    LAYER_POINT_RADIUS,
    NOTE_STATUS_COLOURS,
    SECTOR_KIND_LABELS,
    SECTOR_STYLES,
    STORAGE_CRS,
)
from layers.web.assets import STATIC_DIR, STATIC_URL, localise
from layers.web.basemaps import BASEMAPS
from layers.web.elements import DrawLocale, FetchedLayer, Legend, OpenPopup
from layers.web.popups import (
    CORRECTION_COLOUR,
    annotation_popup,
    correction_note,
    e,
    focus_popup,
    place_popup,
    project_popup,
    sector_popup,
)

CHONGQING_CENTRE = (29.6, 107.6)  # lat, lon: the municipality's middle, for the first view
MAX_ZOOM = 18  # an explicit maximum: tiles=None leaves Leaflet without one (clustering needs it)
MAP_SIZE_PX = (1000, 620)  # the map's typical size, for choosing a zoom that fits a selection


DISTRICT_STYLE = COLOURS["district"]
# Outlines of districts and sectors for display only: 0.001° ≈ 100 m, below what a planner
# reads at district zoom (sectors are drawn from kilometre-scale members anyway); it shrinks
# the outline data about tenfold. Exports keep the full geometry.
OUTLINE_SIMPLIFY_DEG = 0.001
FOCUS_COLOUR = COLOURS["focus"]
# What the browser gets: 5 decimals (≈ 1 m) and lines/outlines simplified within ≈ 20 m.
# Every position we hold is known to tens of metres at best (sectors to kilometres), and this
# cuts what each rerun sends about threefold.
DISPLAY_DECIMALS = 5
DISPLAY_SIMPLIFY_DEG = 0.0002


MAP_ASSETS = {"leaflet", "leaflet_css"}  # folium's names of the links the base map keeps


# --------------------------------------------------------------------------- base map


def legend_html() -> str:
    """Sector kinds and project categories; a <details> so it folds away on a small screen."""
    kinds = "".join(
        f'<span><i style="background:{s["color"]};opacity:.7"></i>{e(SECTOR_KIND_LABELS.get(k, k))}</span>'
        for k, s in SECTOR_STYLES.items())
    cats = "".join(
        f'<span><i style="background:{c};border-radius:50%"></i>{e(name)}</span>'
        for name, c in CATEGORY_COLOURS.items())
    return ('<details class="planmap-legend" open><summary>图例</summary>'
            f'<b>片区类型</b><div class="planmap-grid">{kinds}</div>'
            f'<b>项目类别</b><div class="planmap-grid">{cats}</div>'
            '<div class="planmap-note">虚线：位置近似或示意</div></details>')




def base_map(basemap: str = "blank", tianditu_key: str = "", draw: bool = False) -> folium.Map:
    """The map without data layers: tiles of ``basemap`` (none for blank), legend, local assets,
    and with ``draw`` the drawing toolbar (point, line, polygon, rectangle) in Chinese.
    It depends on nothing but its arguments, so streamlit-folium keeps it mounted across
    filter changes."""
    spec = BASEMAPS[basemap]
    if spec.needs_key and not tianditu_key:
        raise ValueError("天地图需要密钥：请在 secrets 或环境变量 TIANDITU_KEY 中配置")
    lat, lon = CHONGQING_CENTRE
    if spec.datum != "wgs84":
        lon, lat = convert(lon, lat, "wgs84", spec.datum)
    m = folium.Map(location=(lat, lon), zoom_start=8, tiles=None, max_zoom=MAX_ZOOM, min_zoom=5,
                   control_scale=True, prefer_canvas=True, attribution_control=True)
    for n, (url, tiles) in enumerate(spec.urls(tianditu_key)):
        # the second is a label layer drawn over the first (天地图 注记)
        folium.TileLayer(url, attr=tiles.get("attribution", ""),
                         name=spec.label if n == 0 else "注记",
                         subdomains=tiles.get("subdomains", "abc"), max_zoom=MAX_ZOOM,
                         overlay=n > 0, control=False).add_to(m)
    Legend(legend_html()).add_to(m)
    if draw:
        DrawLocale().add_to(m)  # before the toolbar is built, which reads L.drawLocal
        Draw(export=False, show_geometry_on_click=False,
             draw_options={"polyline": {"shapeOptions": {"color": DRAFT_COLOUR}},
                           "polygon": {"allowIntersection": False, "showArea": False,
                                       "shapeOptions": {"color": DRAFT_COLOUR}},
                           "rectangle": {"shapeOptions": {"color": DRAFT_COLOUR}},
                           "circle": False, "circlemarker": False},
             edit_options={"edit": False}).add_to(m)
    localise(m)
    # folium also loads jQuery, Bootstrap and awesome-markers (with Font Awesome) for its
    # marker icons and Bootstrap popups; this map draws circle markers and plain popups, and
    # each extra file delays the first paint (streamlit-folium loads them one after another)
    m.default_js = [(n, u) for n, u in m.default_js if n in MAP_ASSETS]
    m.default_css = [(n, u) for n, u in m.default_css if n in MAP_ASSETS]
    return m


DRAFT_COLOUR = COLOURS["draft"]  # a drawing not yet saved
# Leaflet.draw's words in Chinese (its L.drawLocal; only the strings this toolbar shows)


# --------------------------------------------------------------------------- layers


def _features(frame: gpd.GeoDataFrame, props: dict[str, list], datum: str,
              simplify_deg: float = DISPLAY_SIMPLIFY_DEG) -> dict:
    """A GeoJSON FeatureCollection of ``frame``'s geometries (in ``datum``) with only the
    given properties: what the browser needs, not the whole record."""
    shown = gpd.GeoDataFrame(dict(props, id=list(frame["id"])),
                             geometry=list(frame.geometry), crs=frame.crs)
    shown = shown[shown.geometry.notna() & ~shown.geometry.is_empty]
    # Leaflet 1.9.3 binds a tooltip's focus listeners to every sublayer with getElement(),
    # which the marker group of a MultiPoint lacks (the whole layer then fails to draw):
    # a MultiPoint is sent as its points, each a feature with the same id and properties.
    multi = (shown.geom_type == "MultiPoint").to_numpy()
    if multi.any():
        shown = pd.concat([shown[~multi], shown[multi].explode(index_parts=False)])
    shown = shown.set_geometry(shown.geometry.simplify(simplify_deg))
    data = geojson_dict(to_datum(shown, datum), decimals=DISPLAY_DECIMALS)
    # folium styles features by a unique feature id (it renumbers them all otherwise): the
    # parts of a MultiPoint get "<id>#<n>"; properties.id stays the record's id
    seen: dict[str, int] = {}
    for feature in data["features"]:
        n = seen[feature["id"]] = seen.get(feature["id"], -1) + 1
        if n:
            feature["id"] = f"{feature['id']}#{n}"
    return data




def geojson_group(name: str, data: dict, point_radius: float = 6,
                  show: bool = True) -> folium.FeatureGroup:
    """One FeatureGroup holding ``data`` as ONE GeoJson layer, sent with the map, styled per
    feature, its popups in the features (for small, changing layers: annotations)."""
    group = folium.FeatureGroup(name=name, show=show)
    if data["features"]:
        folium.GeoJson(
            data, name=name,
            style_function=lambda f: f["properties"].get("style", {}),
            marker=folium.CircleMarker(radius=point_radius, fill=True, weight=1,
                                       fill_opacity=0.85),
            popup=folium.GeoJsonPopup(fields=["popup"], labels=False, max_width=380),
            tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False),
        ).add_to(group)
    return group


def subset(data: dict, ids) -> dict:
    """The features of ``data`` whose record id is in ``ids`` (a filter, without redrawing
    popups or geometry)."""
    ids = set(ids)
    return {**data, "features": [f for f in data["features"] if f["properties"]["id"] in ids]}


def project_style(row) -> dict:
    colour = CATEGORY_COLOURS.get(row["category"], DEFAULT_COLOUR)
    style = {"color": colour, "fillColor": colour, "weight": 3, "opacity": 0.9}
    if row["geometry_kind"] == "area":
        style.update(fillOpacity=0.12, weight=2, dashArray="6 4")
    if row["schematic"]:
        style.update(dashArray="2 6")
    return style


def projects_data(projects: gpd.GeoDataFrame, documents: dict[str, str],
                  datum: str = "wgs84") -> dict:
    rows = [r for _, r in projects.iterrows()]
    return _features(projects, {
        "tooltip": [e(r["name"]) for r in rows],
        "popup": [project_popup(r, documents) for r in rows],
        "style": [project_style(r) for r in rows]}, datum)


def sectors_data(sectors: gpd.GeoDataFrame, datum: str = "wgs84") -> dict:
    rows = [r for _, r in sectors.iterrows()]
    styles = []
    for r in rows:
        style = dict(SECTOR_STYLES.get(r["kind"], SECTOR_STYLES["zone"]))
        style["fillColor"] = style["color"]
        if r["approximate"] or r["schematic"]:
            style["dashArray"] = "4 4"
        styles.append(style)
    return _features(sectors, {
        "tooltip": [f"{e(r['name'])}（{e(r['structure'])}）" for r in rows],
        "popup": [sector_popup(r) for r in rows], "style": styles}, datum, OUTLINE_SIMPLIFY_DEG)


def places_data(places: gpd.GeoDataFrame, datum: str = "wgs84") -> dict:
    rows = [r for _, r in places.iterrows()]
    return _features(places, {
        "tooltip": [e(r["name"]) for r in rows],
        "popup": [place_popup(r) for r in rows],
        "style": [{"color": COLOURS["place"], "fillColor": "#ffffff"}] * len(rows)}, datum)


def districts_data(districts: gpd.GeoDataFrame, datum: str = "wgs84") -> dict:
    simple = districts[districts["level"] != "municipality"]
    return _features(simple, {
        "tooltip": [e(n) for n in simple["name"]],
        "popup": [f"<b>{e(n)}</b><div><small>{e(s)}</small></div>"
                  for n, s in zip(simple["name"], simple["source"], strict=True)],
        "style": [DISTRICT_STYLE] * len(simple)}, datum, OUTLINE_SIMPLIFY_DEG)




def annotation_style(row) -> dict:
    colour = NOTE_STATUS_COLOURS.get(row["status"], NOTE_STATUS_COLOURS["open"])
    style = {"color": colour, "fillColor": colour, "weight": 3, "fillOpacity": 0.2}
    if row["status"] == "deleted":
        style["dashArray"] = "4 4"
    return style


def annotations_data(annotations: gpd.GeoDataFrame, target_labels: dict[str, str],
                     datum: str = "wgs84") -> dict:
    """The annotations to draw: geometry as drawn (not simplified), note as escaped text."""
    rows = [r for _, r in annotations.iterrows()]
    return _features(annotations, {
        "tooltip": [e(r["note"][:40]) if r["note"] else "（无备注）" for r in rows],
        "popup": [annotation_popup(r, target_labels.get(r["target"] or "", "")) for r in rows],
        "style": [annotation_style(r) for r in rows]}, datum, simplify_deg=0)


def corrections_data(projects: gpd.GeoDataFrame, places: gpd.GeoDataFrame,
                     documents: dict[str, str], datum: str = "wgs84") -> dict:
    """Corrected projects and places (``annotations.apply_corrections`` output, corrected
    rows only) where planners put them, each marked as a correction."""
    rows = [("project", r) for _, r in projects.iterrows()] + \
           [("place", r) for _, r in places.iterrows()]
    frame = gpd.GeoDataFrame({"id": [r["id"] for _, r in rows]},
                             geometry=[r.geometry for _, r in rows], crs=STORAGE_CRS)
    style = {"color": CORRECTION_COLOUR, "fillColor": CORRECTION_COLOUR, "weight": 3,
             "fillOpacity": 0.25}
    return _features(frame, {
        "tooltip": [f"{e(r['name'])}（规划师更正）" for _, r in rows],
        "popup": [focus_popup(kind, r, documents).removesuffix("</div>") + correction_note(r)
                  + "</div>" for kind, r in rows],
        "style": [style] * len(rows)}, datum, simplify_deg=0)




GENERATED_DIR = STATIC_DIR / "generated"  # written here (git-ignored); Streamlit serves it
GENERATED_URL = f"{STATIC_URL}/generated"
GENERATED_KEPT_S = 7 * 24 * 3600  # a file unused this long belongs to data long replaced


def _json_file(prefix: str, obj) -> tuple[str, str]:
    """(file name, text) of ``obj`` as JSON, named by its content: a browser never keeps a
    stale one, and servers side by side each find theirs."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return f"{prefix}-{hashlib.sha256(text.encode()).hexdigest()[:16]}.json", text


def _served(name: str, text: str) -> str | None:
    """The URL of the static file ``name``, written if absent and marked as in use (files
    unused for GENERATED_KEPT_S are removed); None when the folder cannot be written."""
    path = GENERATED_DIR / name
    try:
        if path.is_file():
            os.utime(path)
        else:
            GENERATED_DIR.mkdir(parents=True, exist_ok=True)
            part = GENERATED_DIR / f".{name}.{os.getpid()}.tmp"
            part.write_text(text, encoding="utf-8")
            os.replace(part, path)  # whole or absent
            for old in GENERATED_DIR.glob("*.json"):
                if time.time() - old.stat().st_mtime > GENERATED_KEPT_S:
                    old.unlink(missing_ok=True)
    except OSError:
        return None
    return f"{GENERATED_URL}/{name}"


@lru_cache(maxsize=16)
def _layer_parts(catalogue, layer: str, datum: str) -> tuple[dict, dict[str, str]]:
    """(the layer's features without popups, record id -> popup HTML)."""
    if layer == "projects":
        data = projects_data(catalogue.projects, catalogue.documents, datum)
    elif layer == "sectors":
        data = sectors_data(catalogue.sectors, datum)
    elif layer == "places":
        data = places_data(catalogue.places, datum)
    elif layer == "districts":
        data = districts_data(catalogue.districts, datum)
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


def layer_group(catalogue, layer: str, datum: str = "wgs84", ids=None) -> folium.FeatureGroup:
    """The FeatureGroup of ``layer`` (only the records in ``ids`` when given). The browser
    draws it from the layer's static files, so a rerun sends only the ids; without those
    files the features themselves are sent (with their popups)."""
    label, radius = LAYER_LABELS[layer], LAYER_POINT_RADIUS[layer]
    urls = layer_urls(catalogue, layer, datum)
    if urls is None:
        data = layer_data(catalogue, layer, datum)
        popups = layer_popups(catalogue, layer)
        data = subset(data, ids) if ids is not None else data
        return geojson_group(label, {**data, "features": [
            {**f, "properties": {**f["properties"], "popup": popups[f["properties"]["id"]]}}
            for f in data["features"]]}, radius)
    group = folium.FeatureGroup(name=label)
    FetchedLayer({
        "layer": layer, "ids": None if ids is None else sorted(map(str, ids)),
        "url": urls[0], "popups": urls[1], "radius": radius,
        "failed": f"无法载入图层“{label}”，请刷新页面",
    }).add_to(group)
    return group


def focus_layer(geometry, popup_html: str, datum: str = "wgs84") -> folium.FeatureGroup:
    """The searched or clicked feature, outlined, with its popup open."""
    group = folium.FeatureGroup(name="定位", control=False)
    if geometry is None or geometry.is_empty:
        return group
    shown = to_datum(gpd.GeoDataFrame(geometry=[geometry], crs=STORAGE_CRS), datum).geometry[0]
    if shown.geom_type != "Point":
        folium.GeoJson(shown.__geo_interface__, style_function=lambda f: {
            "color": FOCUS_COLOUR, "weight": 5, "fillOpacity": 0.05}).add_to(group)
    anchor = shown if shown.geom_type == "Point" else shown.representative_point()
    marker = folium.CircleMarker((anchor.y, anchor.x), radius=10, color=FOCUS_COLOUR, weight=4,
                                 fill=False)
    marker.add_to(group)
    # bound here, not with folium.Popup (which needs jQuery), and opened once the group is on
    # the map (streamlit-folium adds it after this script runs); the HTML is built escaped
    OpenPopup(popup_html).add_to(marker)
    return group


# --------------------------------------------------------------------------- view


def fit_view(geometries, datum: str = "wgs84",
             size_px: tuple[int, int] = MAP_SIZE_PX) -> tuple[tuple[float, float], int] | None:
    """(centre lat/lon in ``datum``, zoom) that shows all ``geometries``; None if none."""
    frame = gpd.GeoSeries([g for g in geometries if g is not None and not g.is_empty],
                          crs=STORAGE_CRS)
    if not len(frame):
        return None
    minx, miny, maxx, maxy = frame.total_bounds
    lon, lat = (minx + maxx) / 2, (miny + maxy) / 2
    if datum != "wgs84":
        lon, lat = convert(lon, lat, "wgs84", datum)

    def merc(y):
        return math.log(math.tan(math.pi / 4 + math.radians(y) / 2))

    width, height = size_px
    zooms = [MAX_ZOOM - 3]  # a single point: close, but with its surroundings
    if maxx - minx > 1e-9:
        zooms.append(math.log2(width * 360 / ((maxx - minx) * 1.15 * 256)))
    if maxy - miny > 1e-9:
        zooms.append(math.log2(height * 2 * math.pi / ((merc(maxy) - merc(miny)) * 1.15 * 256)))
    zoom = int(max(5, min(math.floor(min(zooms)), MAX_ZOOM - 3)))
    return (float(lat), float(lon)), zoom


def drawing_to_storage(feature: dict, datum: str):
    """A shape drawn on the map (a GeoJSON Feature in the basemap's datum) as WGS84 shapely."""
    from shapely.geometry import shape

    from geo.datum import convert_geometry

    return convert_geometry(shape(feature["geometry"]), datum, "wgs84")


def to_storage(lon: float, lat: float, datum: str) -> tuple[float, float]:
    """A position read off the map (drawn in ``datum``) back in WGS84."""
    if datum == "wgs84":
        return lon, lat
    out = convert(lon, lat, datum, "wgs84")
    return float(out[0]), float(out[1])
