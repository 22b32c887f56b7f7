"""The web map: folium layers for projects, sectors, places and districts, and the basemaps.

Design for speed (the app reruns its script on every widget change):
- each layer is ONE GeoJSON layer (points as circle markers), never one element per feature;
- the base map (tiles, legend, asset links) depends only on the basemap, so its key is stable and
  a filter change only swaps the feature groups the app passes to streamlit-folium;
- popup and tooltip HTML is built here from escaped text (folium inserts GeoJSON properties into
  ``innerHTML`` unescaped, so a name with ``<`` would otherwise become markup);
- the catalogue's layers are not sent with each rerun: their features (styles, tooltips) and
  their popups are content-named JSON files the app serves (``layer_urls``), which the map's
  frame fetches once, so a rerun sends only the ids to show; popups on the first click.

Every layer is stored in WGS84; with a GCJ-02 basemap (高德) the layers are moved to GCJ-02 for
display only, so a feature stays on the same ground whichever basemap is shown.
"""

from __future__ import annotations

import math

import folium
import geopandas as gpd
from folium.plugins import Draw, MeasureControl

from geo.city import CITY
from geo.datum import convert
from layers.export import to_datum
from layers.schema import (
    CATEGORY_COLOURS,
    COLOURS,
    LAYER_LABEL_ZOOM,
    LAYER_LABELS,
    LAYER_POINT_RADIUS,
    NOTE_STATUS_COLOURS,
    NOTE_STATUS_LABELS,
    PROJECT_STATUS_LABELS,
    SECTOR_KIND_LABELS,
    SECTOR_STYLES,
    STORAGE_CRS,
    UNCERTAINTY,
)
from layers.web.assets import localise
from layers.web.basemaps import BASEMAPS
from layers.web.elements import (
    DrawLocale,
    FetchedLayer,
    Legend,
    MeasureSvg,
    MetricScale,
    OpenPopup,
    ViewLink,
)
from layers.web.mapfiles import layer_urls
from layers.web.popups import (
    e,
)
from layers.web.state import VIEW_ZOOMS

MIN_ZOOM, MAX_ZOOM = VIEW_ZOOMS
START_ZOOM = 8  # the first view, at the city's middle: the whole municipality
MAP_SIZE_PX = (1000, 620)  # the map's typical size, for choosing a zoom that fits a selection


FOCUS_COLOUR = COLOURS["focus"]

MAP_ASSETS = {"leaflet", "leaflet_css"}  # folium's names of the links the base map keeps


# --------------------------------------------------------------------------- base map


def legend_html() -> str:
    """Sector kinds, project categories and planners' annotations; a <details> so it folds
    away on a small screen."""
    kinds = "".join(
        f'<span><i style="background:{s["color"]};opacity:.7"></i>{e(SECTOR_KIND_LABELS.get(k, k))}</span>'
        for k, s in SECTOR_STYLES.items())
    cats = "".join(
        f'<span><i style="background:{c};border-radius:50%"></i>{e(name)}</span>'
        for name, c in CATEGORY_COLOURS.items())
    notes = "".join(
        f'<span><i style="background:{NOTE_STATUS_COLOURS[k]};border-radius:50%"></i>'
        f'{e(NOTE_STATUS_LABELS[k])}</span>' for k in ("open", "resolved")) + (
        f'<span><i style="background:{COLOURS["correction"]}"></i>'
        f'{e(PROJECT_STATUS_LABELS["corrected"])}</span>')
    return ('<details class="planmap-legend" open><summary>图例</summary>'
            f'<b>片区类型</b><div class="planmap-grid">{kinds}</div>'
            f'<b>项目类别</b><div class="planmap-grid">{cats}</div>'
            f'<b>规划师标注</b><div class="planmap-grid">{notes}</div>'
            '<div class="planmap-note">虚线：位置近似或示意；虚线圆：点位只知道在此范围内'
            f'（精度粗于 {UNCERTAINTY["exact_m"]} 米）；提示“{e(UNCERTAINTY["unverified_label"])}”：'
            '坐标凭记忆、未经独立核对</div></details>')




def base_map(basemap: str = "blank", tianditu_key: str = "", draw: bool = False) -> folium.Map:
    """The map without data layers: tiles of ``basemap`` (none for blank), legend, local assets,
    and with ``draw`` the drawing toolbar (point, line, polygon, rectangle) in Chinese.
    It depends on nothing but its arguments, so streamlit-folium keeps it mounted across
    filter changes."""
    spec = BASEMAPS[basemap]
    if spec.needs_key and not tianditu_key:
        raise ValueError("天地图需要密钥：请在 secrets 或环境变量 TIANDITU_KEY 中配置")
    (lat, lon), _ = start_view(spec.datum)
    m = folium.Map(location=(lat, lon), zoom_start=START_ZOOM, tiles=None, max_zoom=MAX_ZOOM,
                   min_zoom=MIN_ZOOM,
                   control_scale=False, prefer_canvas=True, attribution_control=True)
    MetricScale().add_to(m)
    ViewLink().add_to(m)
    for n, (url, tiles) in enumerate(spec.urls(tianditu_key)):
        # the second is a label layer drawn over the first (天地图 注记)
        folium.TileLayer(url, attr=tiles.get("attribution", ""),
                         name=spec.label if n == 0 else "注记",
                         subdomains=tiles.get("subdomains", "abc"), max_zoom=MAX_ZOOM,
                         overlay=n > 0, control=False).add_to(m)
    Legend(legend_html()).add_to(m)
    # 测量: distances and areas on the ellipsoid, in Chinese, metric
    MeasureSvg().add_to(m)
    MeasureControl(position="topleft", primary_length_unit="kilometers",
                   secondary_length_unit="meters", primary_area_unit="sqkilometers",
                   secondary_area_unit="hectares", localization="cn").add_to(m)
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

def layer_group(catalogue, layer: str, datum: str = "wgs84", ids=None,
                inert: bool = False) -> folium.FeatureGroup:
    """The FeatureGroup of ``layer`` (only the records in ``ids`` when given). The browser
    draws it from the layer's map files, so a rerun sends only the ids. ``inert``: a
    backdrop with no tooltips or popups, whose clicks reach the map."""
    label, radius = LAYER_LABELS[layer], LAYER_POINT_RADIUS[layer]
    urls = layer_urls(catalogue, layer, datum)
    group = folium.FeatureGroup(name=label)
    FetchedLayer({
        "layer": layer, "ids": None if ids is None else sorted(map(str, ids)),
        "url": urls[0], "popups": urls[1], "radius": radius, "circle": UNCERTAINTY["circle"],
        "labelZoom": LAYER_LABEL_ZOOM.get(layer, MAX_ZOOM + 1), "inert": inert,
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
    zoom = int(max(MIN_ZOOM, min(math.floor(min(zooms)), MAX_ZOOM - 3)))
    return (float(lat), float(lon)), zoom


def start_view(datum: str) -> tuple[tuple[float, float], int]:
    """(centre lat/lon in ``datum``, zoom) a new map opens at, before the page moves it."""
    lat, lon = CITY.map_centre
    if datum != "wgs84":
        lon, lat = convert(lon, lat, "wgs84", datum)
    return (float(lat), float(lon)), START_ZOOM


def same_view(a, b) -> bool:
    """Whether two (centre, zoom) views are one: same zoom, centres within half a pixel."""
    if a is None or b is None or a[1] != b[1]:
        return False
    half_pixel = 360 / (256 * 2 ** a[1]) / 2
    return abs(a[0][0] - b[0][0]) <= half_pixel and abs(a[0][1] - b[0][1]) <= half_pixel


def view_bounds(center: tuple[float, float], zoom: int,
                size_px: tuple[int, int] = MAP_SIZE_PX) -> tuple[float, float, float, float]:
    """The lon/lat bounds a map of ``size_px`` shows at ``center`` (lat, lon) and ``zoom``:
    what the map shows when it has not reported its own bounds."""
    lat, lon = center
    degrees_per_px = 360 / (256 * 2 ** zoom)
    half_w = size_px[0] / 2 * degrees_per_px
    y = math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))
    half_h = size_px[1] / 2 * degrees_per_px * math.pi / 180

    def lat_of(merc):
        return math.degrees(2 * math.atan(math.exp(merc)) - math.pi / 2)

    return lon - half_w, lat_of(y - half_h), lon + half_w, lat_of(y + half_h)


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
