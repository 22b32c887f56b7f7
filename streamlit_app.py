"""规划项目地图 — the planner's page. UI only: data, filtering, search and map layers live in
``layers`` (views, webmap, export); this file wires widgets to them."""

from __future__ import annotations

import datetime as dt
import os

import folium
import streamlit as st
from streamlit_folium import st_folium

from layers import webmap
from layers.build import LAYER_NAMES
from layers.views import STATUS_LABELS, ViewState, default_catalogue
from layers.webassets import missing as missing_assets

st.set_page_config(page_title="规划项目地图", layout="wide", page_icon="🗺️")

LAYER_LABELS = {"projects": "规划项目", "sectors": "空间结构片区", "places": "地名",
                "districts": "区县界线"}
WIDGETS = ("projects", "structures", "sectors", "documents", "categories", "districts",
           "statuses", "min_confidence", "query", "basemap")


def tianditu_key() -> str:
    try:
        key = st.secrets.get("TIANDITU_KEY", "")
    except (FileNotFoundError, st.errors.StreamlitSecretNotFoundError):
        key = ""
    return str(key or os.environ.get("TIANDITU_KEY", ""))


with st.spinner("正在载入图层…"):
    cat = default_catalogue()
ss = st.session_state

# ----------------------------------------------------------------- state from the URL, once
if "initialised" not in ss:
    start, problems = cat.state_from_query(st.query_params.to_dict())
    for name in WIDGETS:
        ss[name] = getattr(start, name)
    ss.focus = start.focus
    ss.url_problems = problems
    ss.initialised = True


def on_search_pick() -> None:
    hit = ss.get("search_pick")
    if hit:
        ss.focus = hit


def on_table_pick() -> None:
    rows = ss.table_pick.selection.rows if "table_pick" in ss else []
    if rows and ss.get("table_ids"):
        ss.focus = "project:" + ss.table_ids[rows[0]]


def clear_focus() -> None:
    """A changed filter is a new selection: the map fits it, not the last searched item."""
    ss.focus = ""


def clear_filters() -> None:
    default = ViewState()
    for name in WIDGETS:
        if name not in ("basemap", "query"):
            ss[name] = getattr(default, name)
    ss.focus = ""


# ----------------------------------------------------------------- sidebar
with st.sidebar:
    st.header("搜索")
    st.text_input("地名或项目（汉字或拼音，如 果园港 / guoyuangang）", key="query",
                  max_chars=100)
    hits = cat.search(ss.query) if ss.query.strip() else []
    if ss.query.strip():
        if hits:
            tokens = [f"{h.kind}:{h.id}" for h in hits]
            labels = {f"{h.kind}:{h.id}": f"{h.name} · {h.detail}" for h in hits}
            st.radio("搜索结果", tokens, format_func=labels.get, index=None, key="search_pick",
                     on_change=on_search_pick)
        else:
            st.caption("没有找到匹配的地名或项目。")

    st.header("筛选")
    st.multiselect("项目（可选分组，如 ▣ 两江新区十大工程）", cat.project_options(),
                   format_func=cat.option_label, key="projects", on_change=clear_focus,
                   placeholder="全部项目")
    st.multiselect("空间结构", list(cat.structures), format_func=cat.structures.get,
                   key="structures", on_change=clear_focus, placeholder="全部")
    sector_options = cat.sector_options(ss.structures)
    ss.sectors = [s for s in ss.sectors if s in sector_options]
    st.multiselect("片区/板块", sector_options, format_func=cat.sector_label, key="sectors",
                   on_change=clear_focus,
                   placeholder="全部")
    st.multiselect("文档", list(cat.documents), format_func=cat.documents.get,
                   key="documents", on_change=clear_focus, placeholder="全部")
    st.multiselect("类别", cat.categories, key="categories", on_change=clear_focus, placeholder="全部")
    st.multiselect("区县", cat.district_names, key="districts", on_change=clear_focus, placeholder="全部")
    st.multiselect("状态", list(STATUS_LABELS), format_func=STATUS_LABELS.get, key="statuses", on_change=clear_focus,
                   placeholder="全部")
    st.slider("最低置信度", 0.0, 1.0, step=0.05, key="min_confidence", on_change=clear_focus,
              help="项目所引地点中最低的匹配置信度；未定位项目为 0")
    st.button("清除筛选", on_click=clear_filters)

    st.header("图层")
    st.checkbox(f"显示地名库地点（{len(cat.places)}）", key="show_places", value=False)

    st.header("底图")
    key = tianditu_key()
    basemaps = [b for b in webmap.BASEMAPS.values() if not b.needs_key or key]
    if ss.basemap not in {b.id for b in basemaps}:
        ss.basemap = "blank"
    st.selectbox("底图", [b.id for b in basemaps], key="basemap",
                 format_func=lambda b: webmap.BASEMAPS[b].label, label_visibility="collapsed")
    if not key:
        st.caption("天地图：配置 TIANDITU_KEY 后可用。")
    if ss.basemap != "blank":
        st.caption("在线底图需要联网；图层始终随底图坐标系显示在正确位置。")

state = ViewState(**{name: ss[name] for name in WIDGETS}, focus=ss.get("focus", ""))
if st.query_params.to_dict() != state.to_query():
    st.query_params.from_dict(state.to_query())

# ----------------------------------------------------------------- main
st.title("规划项目地图")
for problem in ss.get("url_problems", []):
    st.warning(problem)

selected = cat.select(state)
sectors = cat.visible_sectors(state)
counts = selected["status"].value_counts()
cols = st.columns(5)
cols[0].metric("项目", len(selected))
for col, status in zip(cols[1:4], STATUS_LABELS, strict=True):
    col.metric(STATUS_LABELS[status], int(counts.get(status, 0)))
cols[4].metric("片区", len(sectors))

map_col, side_col = st.columns([3, 1])
with map_col:
    missing = missing_assets()
    if missing:
        st.error("离线地图资源未安装，地图无法显示。请运行：bash scripts/setup.sh"
                 f"（缺少 {len(missing)} 个文件，如 {missing[0]}）")
    else:
        datum = webmap.BASEMAPS[state.basemap].datum
        focus = cat.focus_row(state.focus)
        focus_geometry = cat.focus_geometry(state.focus)
        if focus and focus_geometry is None:
            st.info(f"“{focus[1]['name']}”未定位，无法在地图上显示："
                    f"{focus[1].get('reason') or '无原因记录'}")
        groups = [webmap.layer_group(cat, "districts", datum),
                  webmap.layer_group(cat, "sectors", datum, sectors["id"]),
                  webmap.layer_group(cat, "projects", datum, selected["id"])]
        if ss.show_places:
            groups.append(webmap.layer_group(cat, "places", datum))
        if focus_geometry is not None:
            popup = webmap.focus_popup(*focus, cat.documents)
            groups.append(webmap.focus_layer(focus_geometry, popup, datum))
            view = webmap.fit_view([focus_geometry], datum)
        else:
            view = webmap.fit_view(list(selected.geometry) + list(sectors.geometry), datum)
        center, zoom = view if view else (None, None)
        out = st_folium(webmap.base_map(state.basemap, key), key=f"map-{state.basemap}",
                        height=620, use_container_width=True, feature_group_to_add=groups,
                        layer_control=folium.LayerControl(collapsed=False),
                        center=center, zoom=zoom, returned_objects=["last_clicked"])
        clicked = (out or {}).get("last_clicked")
        if clicked:
            lon, lat = webmap.to_storage(clicked["lng"], clicked["lat"], datum)
            st.caption(f"点击位置（WGS84）：{lon:.6f}, {lat:.6f}")

with side_col:
    unlocated = selected[selected["status"] == "unlocated"]
    st.subheader(f"未定位项目（{len(unlocated)}）")
    if len(unlocated):
        st.dataframe(unlocated[["name", "reason"]].rename(
            columns={"name": "名称", "reason": "原因"}), hide_index=True, height=560)
    else:
        st.caption("当前筛选中的项目均已定位。")

st.subheader("项目列表")
st.caption("点击一行，地图定位到该项目。列标题可排序。")
table = cat.table(selected)
ss.table_ids = list(table.index)
st.dataframe(table, hide_index=True, on_select=on_table_pick, selection_mode="single-row",
             key="table_pick", height=360)

st.subheader("下载 GeoJSON（WGS84）")
# Data is built in the run, not deferred: a deferred download whose click meets a rerun (the
# map sends its first value after mounting) can spin forever in Streamlit 1.67.
today = dt.date.today().isoformat()
dl = st.columns(len(LAYER_NAMES) + 1)
dl[0].download_button(f"当前筛选的项目（{len(selected)}）",
                      data=cat.selection_geojson(selected),
                      file_name=f"projects-view-{today}.geojson",
                      mime="application/geo+json", key="dl-view", on_click="ignore")
for col, name in zip(dl[1:], LAYER_NAMES, strict=True):
    col.download_button(f"{LAYER_LABELS[name]}（全部）", data=cat.layer_geojson(name),
                        file_name=f"{name}-{today}.geojson", mime="application/geo+json",
                        key=f"dl-{name}", on_click="ignore")
