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
import html
import json
import math
import os
import time
from dataclasses import dataclass
from functools import lru_cache

import folium
import geopandas as gpd
import pandas as pd
from branca.element import MacroElement
from folium.plugins import Draw
from jinja2 import Template

from geo.datum import convert
from layers.export import geojson_dict, to_datum
from layers.schema import (
    CATEGORY_COLOURS,
    COLOURS,
    DEFAULT_COLOUR,
    LAYER_LABELS,
    LAYER_POINT_RADIUS,
    NOTE_STATUS_COLOURS,
    NOTE_STATUS_LABELS,
    SECTOR_KIND_LABELS,
    SECTOR_STYLES,
    STORAGE_CRS,
    first_source,
    section_path,
    source_count,
)
from layers.web.assets import STATIC_DIR, STATIC_URL, localise

CHONGQING_CENTRE = (29.6, 107.6)  # lat, lon: the municipality's middle, for the first view
MAX_ZOOM = 18  # an explicit maximum: tiles=None leaves Leaflet without one (clustering needs it)
MAP_SIZE_PX = (1000, 620)  # the map's typical size, for choosing a zoom that fits a selection


@dataclass(frozen=True)
class Basemap:
    id: str
    label: str
    datum: str  # the datum its tiles are drawn in: layers are moved to it for display
    url: str = ""
    attribution: str = ""
    subdomains: str = "abc"
    overlay_url: str = ""  # a label layer drawn over the tiles (天地图 注记)
    needs_key: bool = False


BASEMAPS = {
    "blank": Basemap("blank", "空白底图（离线）", "wgs84"),
    "osm": Basemap("osm", "OpenStreetMap", "wgs84",
                   "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                   "&copy; OpenStreetMap contributors"),
    "cartodb": Basemap("cartodb", "CartoDB 浅色", "wgs84",
                       "https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}{r}.png",
                       "&copy; OpenStreetMap contributors &copy; CARTO", "abcd"),
    "amap": Basemap("amap", "高德地图（GCJ-02）", "gcj02",
                    "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1"
                    "&style=8&x={x}&y={y}&z={z}", "&copy; 高德地图", "1234"),
    # 天地图 uses CGCS2000, which differs from WGS84 by centimetres: no shift needed
    "tianditu": Basemap("tianditu", "天地图", "wgs84",
                        "https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
                        "&VERSION=1.0.0&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
                        "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}",
                        "&copy; 天地图", "01234567",
                        "https://t{s}.tianditu.gov.cn/cva_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
                        "&VERSION=1.0.0&LAYER=cva&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
                        "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}", needs_key=True),
}

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
EXCERPT_CHARS = 240  # a popup quotes this much of the source sentence; the table has it all

MAP_ASSETS = {"leaflet", "leaflet_css"}  # folium's names of the links the base map keeps


def e(text) -> str:
    """Text made safe for the map: HTML-escaped, and braces as entities. folium (branca)
    re-parses rendered scripts as Jinja templates, data included, so "{{ … }}" in a plan or a
    note would otherwise run as template code on the server."""
    return html.escape(str(text)).replace("{", "&#123;").replace("}", "&#125;")


# --------------------------------------------------------------------------- base map


class _Script(MacroElement):
    """Plain JavaScript run with the map (streamlit-folium runs each element's script macro).
    ``__PARENT__`` stands for the parent element's variable. The code is inserted as a value,
    never parsed as a template, so text in it (a popup's "{{") cannot become template code."""

    _template = Template("{% macro script(this, kwargs) %}"
                         "{{ this.code.replace('__PARENT__', this._parent.get_name()) }}"
                         "{% endmacro %}")

    def __init__(self, code: str):
        super().__init__()
        self._name = "Script"
        self.code = code


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


LEGEND_CSS = (".planmap-legend{background:#fff;padding:4px 8px;font:11px/1.5 sans-serif;"
              "box-shadow:0 0 4px rgba(0,0,0,.3);border-radius:4px;max-width:230px}"
              ".planmap-legend summary{cursor:pointer;font-weight:bold}"
              ".planmap-grid{display:grid;grid-template-columns:1fr 1fr 1fr;column-gap:6px}"
              ".planmap-legend i{display:inline-block;width:10px;height:10px;margin-right:3px;"
              "vertical-align:middle}.planmap-legend b{display:block;margin-top:2px}"
              ".planmap-note{color:#666}")


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
    if spec.url:
        folium.TileLayer(spec.url.replace("{key}", tianditu_key), attr=spec.attribution,
                         name=spec.label, subdomains=spec.subdomains, max_zoom=MAX_ZOOM,
                         control=False).add_to(m)
    if spec.overlay_url:
        folium.TileLayer(spec.overlay_url.replace("{key}", tianditu_key), attr=spec.attribution,
                         name="注记", subdomains=spec.subdomains, max_zoom=MAX_ZOOM,
                         overlay=True, control=False).add_to(m)
    legend = legend_html().replace("\\", "\\\\").replace("'", "\\'")
    _Script(
        "(function(){var s=document.createElement('style');s.textContent='" + LEGEND_CSS + "';"
        "document.head.appendChild(s);"
        "var legend=L.control({position:'bottomright'});"
        "legend.onAdd=function(){var d=L.DomUtil.create('div');d.innerHTML='" + legend + "';"
        "L.DomEvent.disableClickPropagation(d);L.DomEvent.disableScrollPropagation(d);"
        "return d;};legend.addTo(__PARENT__);})();").add_to(m)
    if draw:
        _Script(DRAW_LOCAL_ZH).add_to(m)  # before the toolbar is built, which reads L.drawLocal
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
DRAW_LOCAL_ZH = """(function(){ if (!window.L || !L.drawLocal) { return; } var d = L.drawLocal;
d.draw.toolbar.actions = {title: '取消绘制', text: '取消'};
d.draw.toolbar.finish = {title: '完成绘制', text: '完成'};
d.draw.toolbar.undo = {title: '删除最后一个点', text: '删除最后一点'};
d.draw.toolbar.buttons = {polyline: '画线（廊道、线路）', polygon: '画多边形（用地、片区）',
  rectangle: '画矩形', circle: '画圆', marker: '标点（拟选址）', circlemarker: '标圆点'};
d.draw.handlers.marker.tooltip.start = '点击地图放置点';
d.draw.handlers.polyline.tooltip = {start: '点击开始画线', cont: '点击继续画线',
  end: '点击最后一点结束'};
d.draw.handlers.polyline.error = '<strong>错误：</strong>线不能自相交';
d.draw.handlers.polygon.tooltip = {start: '点击开始画多边形', cont: '点击继续',
  end: '点击第一个点闭合'};
d.draw.handlers.rectangle.tooltip.start = '按住并拖动画矩形';
d.draw.handlers.simpleshape.tooltip.end = '松开鼠标完成';
d.edit.toolbar.actions.save = {title: '保存', text: '保存'};
d.edit.toolbar.actions.cancel = {title: '取消', text: '取消'};
d.edit.toolbar.actions.clearAll = {title: '清除全部未保存的图形', text: '全部清除'};
d.edit.toolbar.buttons = {edit: '编辑', editDisabled: '没有可编辑的图形',
  remove: '删除未保存的图形', removeDisabled: '没有可删除的图形'};
d.edit.handlers.remove.tooltip.text = '点击要删除的图形';
})();"""


# --------------------------------------------------------------------------- popups


def _precision(metres) -> str:
    if metres is None or (isinstance(metres, float) and math.isnan(metres)):
        return "精度未知"
    return f"±{metres / 1000:g} 千米" if metres >= 1000 else f"±{metres:.0f} 米"


def project_popup(row, documents: dict[str, str]) -> str:
    """Name, document and section, the source sentence, places with precision, sectors."""
    src = first_source(row)
    doc = documents.get(src["doc_id"], src["doc_id"])
    section = section_path(src)
    places = "".join(f"<li>{e(p['name'])}（{_precision(p['precision_m'])}"
                     f"{'，待核实' if p['status'] == 'review' else ''}"
                     f"{'，' + UNVERIFIED_LABEL if p.get('unverified') else ''}）</li>"
                     for p in row["places"])
    sectors = "、".join(e(s["name"]) + ("（近似）" if s["approximate"] else "")
                       for s in row["sectors"])
    more = source_count(row) - 1
    parts = [f"<b>{e(row['name'])}</b> <small>{e(row['category'])}</small>",
             f"<div><small>{e(doc)}：{e(section)}</small></div>",
             f"<blockquote style='margin:4px 0;color:#444'>{_quote(src['excerpt'])}</blockquote>"]
    if more > 0:
        parts.append(f"<div><small>另见 {more} 处出处</small></div>")
    if places:
        parts.append(f"<div>地点：<ul style='margin:0;padding-left:16px'>{places}</ul></div>")
    if sectors:
        parts.append(f"<div>所属片区：{sectors}</div>")
    if row["schematic"]:
        parts.append("<div><small>线路按地点顺序示意，非实际走向</small></div>")
    if row["status"] != "auto":
        parts.append(f"<div style='color:#a04000'>{e(row['reason'] or '待核实')}</div>")
    return "<div style='max-width:360px'>" + "".join(parts) + "</div>"


UNVERIFIED_LABEL = "未核实"


def place_popup(row) -> str:
    aliases = "、".join(row["aliases"] or [])
    return ("<div style='max-width:320px'>"
            f"<b>{e(row['name'])}</b> <small>{e(row['kind_label'])}</small>"
            + (f"<div><small>别名：{e(aliases)}</small></div>" if aliases else "")
            + f"<div>{e(row['district'] or '重庆市')} · {_precision(row['precision_m'])}</div>"
            + (f"<div style='color:#a04000'>{UNVERIFIED_LABEL}：坐标凭记忆，无独立核对</div>"
               if row.get("unverified") else "")
            + f"<div><small>来源：{e(row['source'])}</small></div>"
            + (f"<div><small>许可：{e(row['licence'])}</small></div>" if row.get("licence")
               else "")
            + "</div>")


def focus_popup(kind: str, row, documents: dict[str, str]) -> str:
    """The popup of a focused project or place (a views.Catalogue.focus_row)."""
    return project_popup(row, documents) if kind == "project" else place_popup(row)


def sector_popup(row) -> str:
    flags = [w for w, on in (("近似", row["approximate"]), ("示意", row["schematic"])) if on]
    return ("<div style='max-width:360px'>"
            f"<b>{e(row['name'])}</b> <small>{e(row['kind_label'])}"
            f"{'（' + '、'.join(flags) + '）' if flags else ''}</small>"
            f"<div><small>{e(row['structure'])} · {e(row['element'])}</small></div>"
            f"<blockquote style='margin:4px 0;color:#444'>{_quote(row['sentence'])}</blockquote>"
            + (f"<div style='color:#a04000'>{e(row['reason'])}</div>" if row["reason"] else "")
            + "</div>")


# --------------------------------------------------------------------------- layers


def _quote(text: str) -> str:
    return e(text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "…")


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


# Draws the features of a static GeoJSON file (styles and tooltips in their properties) into
# the parent group: those whose record id is in IDS, or all when IDS is null. What a rerun
# sends is then the ids, not the geometry. Popups (record id -> HTML, built escaped here) come
# from a second file, fetched on the first opening. Each file is fetched once per page (the
# map's frame outlives reruns); a failed fetch is forgotten, so the next use tries again.
_FETCHED_LAYER_JS = """(function (group) {
    var ids = %(ids)s;
    var keep = ids === null ? null : new Set(ids);
    function load(url) {
        var cache = window.planmapFiles = window.planmapFiles || {};
        if (!cache[url]) {
            cache[url] = fetch(url).then(function (r) {
                if (!r.ok) { throw new Error(url + " " + r.status); }
                return r.json();
            });
            cache[url].catch(function () { delete cache[url]; });
        }
        return cache[url];
    }
    function bindPopup(feature, layer) {
        layer.bindPopup("<small>载入中…</small>", {maxWidth: 380});
        layer.on("popupopen", function (e) {
            load(%(popups)s).then(function (popups) {
                e.popup.setContent(popups[feature.properties.id] || "<small>（无详情）</small>");
            }, function () {
                e.popup.setContent("<small>详情载入失败，请关闭后再点一次。</small>");
            });
        });
    }
    window.planmapLoading = (window.planmapLoading || 0) + 1;  // layers still to draw
    load(%(url)s).then(function (data) {
        L.geoJSON(data, {
            filter: function (f) {
                return keep === null || keep.has(String(f.properties.id));
            },
            style: function (f) { return f.properties.style; },
            pointToLayer: function (f, latlng) {
                return L.circleMarker(latlng, Object.assign(
                    {radius: %(radius)s, fill: true, weight: 1, fillOpacity: 0.85},
                    f.properties.style));
            },
            onEachFeature: function (f, layer) {
                layer.bindTooltip(f.properties.tooltip, {sticky: true});
                bindPopup(f, layer);
            }
        }).addTo(group);
    }).catch(function (error) {
        console.error(error);
        var map = group._map || window.map;
        if (!map) { return; }
        var note = L.control({position: "bottomleft"});
        note.onAdd = function () {
            var box = L.DomUtil.create("div", "planmap-error");
            box.textContent = %(failed)s;
            box.style.cssText = "background:#fff3cd;padding:4px 8px;border:1px solid #c9a227";
            return box;
        };
        note.addTo(map);
    }).finally(function () {
        window.planmapLoading -= 1;
    });
})(__PARENT__);"""


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


CORRECTION_COLOUR = COLOURS["correction"]


def _note_html(note: str) -> str:
    return e(note).replace("\n", "<br>") if note else "<i>（无备注）</i>"


def annotation_popup(row, target_label: str = "") -> str:
    """A planner's note as text (escaped: a note is typed by anyone who may write)."""
    tags = "".join(f"<span style='background:#eef;border-radius:3px;padding:0 4px;"
                   f"margin-right:3px'>{e(t)}</span>" for t in row["tags"])
    parts = [f"<b>标注</b> <small>{e(NOTE_STATUS_LABELS.get(row['status'], row['status']))}"
             f"</small>",
             f"<div style='white-space:normal;margin:4px 0'>{_note_html(row['note'])}</div>"]
    if tags:
        parts.append(f"<div>{tags}</div>")
    if target_label:
        parts.append(f"<div style='color:{CORRECTION_COLOUR}'>更正对象：{e(target_label)}</div>")
    parts.append(f"<div><small>{e(row['author'])} · {e(row['updated_at'][:16].replace('T', ' '))}"
                 f" · 第 {int(row['version'])} 版</small></div>")
    return "<div class='planmap-annotation' style='max-width:320px'>" + "".join(parts) + "</div>"


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


def correction_note(row) -> str:
    """The line a corrected project or place shows: who moved it, when, why."""
    note = f"：{_note_html(row['correction_note'])}" if row["correction_note"] else ""
    return (f"<div style='color:{CORRECTION_COLOUR};margin-top:4px'><b>规划师更正</b>"
            f"（{e(row['corrected_by'])}，{e(row['corrected_at'])}）{note}</div>")


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
    _Script(_FETCHED_LAYER_JS % {
        "ids": "null" if ids is None else json.dumps(sorted(map(str, ids))),
        "url": json.dumps(urls[0]), "popups": json.dumps(urls[1]), "radius": json.dumps(radius),
        "failed": json.dumps(f"无法载入图层“{label}”，请刷新页面"),
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
    _Script("__PARENT__.bindPopup(" + json.dumps(popup_html) + ", {maxWidth: 380});"
            "setTimeout(function(){ __PARENT__.openPopup(); }, 50);").add_to(marker)
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
