"""地图 — search, filters, the map with its layers and drawing tools, the project table and the
downloads. Widgets only: the catalogue, compose_map and the store do the work."""

from __future__ import annotations

import dataclasses

import folium
import streamlit as st
from streamlit_folium import st_folium

from app_pages.common import page_frame, pick_many, scroll_into_view, write_then_rerun
from app_pages.downloads import downloads
from layers.notes.model import NOTE_MAX_CHARS
from layers.schema import NOTE_STATUS_LABELS, PROJECT_STATUS_LABELS
from layers.web import webmap
from layers.web.assets import missing as missing_assets
from layers.web.basemaps import BASEMAPS
from layers.web.compose import (
    compose_map,
    moved_view,
    shown_extent,
    view_in_datum,
)
from layers.web.state import ViewState
from layers.web.tables import shape_summary

MAP_FRAME_SELECTOR = 'iframe[title="streamlit_folium.st_folium"]'
WIDGETS = ("projects", "structures", "sectors", "documents", "categories", "districts",
           "statuses", "min_confidence", "query", "basemap")
ss = st.session_state
frame = page_frame()
cat, user, store = frame.cat, frame.user, frame.store
all_notes, notes, fixes = frame.all_notes, frame.notes, frame.fixes
can_write = frame.can_write
shown = cat.with_corrections(fixes)  # what the planners corrected counts, lists and exports

# ----------------------------------------------------------------- state from the URL, once
if "initialised" not in ss:
    # as the map shows it: a project a planner located is found by its link
    start, problems = shown.state_from_query(st.query_params.to_dict())
    for name in WIDGETS:
        ss[name] = getattr(start, name)
    ss.focus, ss.map_view = start.focus, start.view
    ss.last_url_view = st.query_params.get("v", "")
    ss.url_problems = problems
    ss.initialised = True


def on_search_pick() -> None:
    hit = ss.get("search_pick")
    if hit:
        ss.focus, ss.note_focus, ss.map_view = hit, None, ""


def on_table_pick() -> None:
    rows = ss.table_pick.selection.rows if "table_pick" in ss else []
    if rows and ss.get("table_ids"):
        ss.focus, ss.note_focus, ss.map_view = "project:" + ss.table_ids[rows[0]], None, ""
        ss.scroll_to_map = ss.get("scroll_to_map", 0) + 1  # the table is below the map


def clear_focus() -> None:
    """A changed filter is a new selection: the map fits it, not the last searched item nor
    where the planner had panned to."""
    ss.focus, ss.note_focus, ss.map_view = "", None, ""


def on_basemap_change() -> None:
    """The kept view is in the shown basemap's numbers: move it to the new basemap's datum."""
    last = ss.get("shown_view")  # (centre, zoom, datum) the map was put at
    if last and ss.get("map_view"):
        ss.map_view = view_in_datum(ss.map_view, last[2], BASEMAPS[ss.basemap].datum)


def clear_filters() -> None:
    default = ViewState()
    for name in WIDGETS:
        if name not in ("basemap", "query"):
            ss[name] = getattr(default, name)
    ss.focus, ss.map_view = "", ""


# ----------------------------------------------------------------- sidebar
with frame.sidebar:
    st.header("搜索")
    st.text_input("地名或项目（汉字或拼音，如 果园港 / guoyuangang）", key="query",
                  max_chars=100)
    if ss.query.strip():
        hits = shown.search(ss.query)
        if hits:
            labels = {f"{h.kind}:{h.id}": f"{h.name} · {h.detail}" for h in hits}
            st.radio("搜索结果", list(labels), format_func=labels.get, index=None,
                     key="search_pick", on_change=on_search_pick)
        else:
            st.caption("没有找到匹配的地名或项目。")

    st.header("筛选")
    pick_many("项目（可选分组，如 ▣ 两江新区十大工程）", cat.project_options(),
                   format_func=cat.option_label, key="projects", on_change=clear_focus,
                   placeholder="全部项目")
    pick_many("空间结构", list(cat.structures), format_func=cat.structures.get,
                   key="structures", on_change=clear_focus, placeholder="全部")
    sector_options = cat.sector_options(ss.structures)
    ss.sectors = [s for s in ss.sectors if s in sector_options]
    pick_many("片区/板块", sector_options, format_func=cat.sector_label, key="sectors",
                   on_change=clear_focus, placeholder="全部")
    pick_many("文档", list(cat.documents), format_func=cat.documents.get,
                   key="documents", on_change=clear_focus, placeholder="全部")
    pick_many("类别", cat.categories, key="categories", on_change=clear_focus,
                   placeholder="全部")
    pick_many("区县", cat.district_names, key="districts", on_change=clear_focus,
                   placeholder="全部")
    pick_many("状态", list(PROJECT_STATUS_LABELS), format_func=PROJECT_STATUS_LABELS.get,
                   key="statuses", on_change=clear_focus, placeholder="全部")
    st.slider("最低置信度", 0.0, 1.0, step=0.05, key="min_confidence", on_change=clear_focus,
              help="项目所引地点中最低的匹配置信度；未定位项目为 0")
    st.button("清除筛选", on_click=clear_filters)

    st.header("图层")
    ss.setdefault("show_places", False)
    ss.setdefault("show_notes", True)
    st.checkbox(f"显示地名库地点（{len(cat.places)}）", key="show_places")
    st.checkbox("显示规划师标注", key="show_notes")

    st.header("底图")
    key = frame.settings.tianditu_key
    basemaps = [b for b in BASEMAPS.values() if not b.needs_key or key]
    if ss.basemap not in {b.id for b in basemaps}:
        ss.basemap = "blank"
    st.selectbox("底图", [b.id for b in basemaps], key="basemap", on_change=on_basemap_change,
                 format_func=lambda b: BASEMAPS[b].label, label_visibility="collapsed")
    if not key:
        st.caption("天地图：配置 TIANDITU_KEY 后可用。")
    if ss.basemap != "blank":
        st.caption("在线底图需要联网；图层始终随底图坐标系显示在正确位置。")

# the map writes where it is into the address (v) on every move, without a rerun: a move of
# the planner's is read here, at the next run, and kept
url_view = st.query_params.get("v", "")
moved = moved_view(url_view, ss.get("shown_view"), ss.get("last_url_view", ""))
ss.last_url_view = url_view
if moved:
    ss.map_view = moved
state = ViewState(**{name: ss[name] for name in WIDGETS}, focus=ss.get("focus", ""),
                  view=ss.get("map_view", ""))

# ----------------------------------------------------------------- main
st.title("规划项目地图")
for problem in ss.get("url_problems", []):
    st.warning(problem)

selected = shown.select(state)
sectors = cat.visible_sectors(state)
counts = selected["status"].value_counts()
cols = st.columns(len(PROJECT_STATUS_LABELS) + 2)
cols[0].metric("项目", len(selected))
for col, status in zip(cols[1:-1], PROJECT_STATUS_LABELS, strict=True):
    col.metric(PROJECT_STATUS_LABELS[status], int(counts.get(status, 0)))
cols[-1].metric("片区", len(sectors))

map_col = st.container()  # the whole width: a side column left a laptop a 343 px map
with map_col:
    missing = missing_assets()
    if missing:
        st.error("离线地图资源未安装，地图无法显示。请运行：bash scripts/setup.sh"
                 f"（缺少 {len(missing)} 个文件，如 {missing[0]}）")
    else:
        datum = BASEMAPS[state.basemap].datum
        note_focus = None
        if ss.get("note_focus") is not None and all_notes is not None:
            note_focus = all_notes[all_notes["id"] == ss.note_focus].geometry
        view = compose_map(
            cat, state, selected, sectors, fixes=fixes, notes=notes,
            notes_data=frame.notes_data(datum),
            show_places=ss.show_places, show_notes=ss.show_notes, note_focus=note_focus)
        if view.unlocated_focus is not None:
            st.info(f"“{view.unlocated_focus['name']}”未定位，无法在地图上显示："
                    f"{view.unlocated_focus.get('reason') or '无原因记录'}")
        # a new key after a save clears the toolbar's drawn shapes: the saved one is a layer now
        out = st_folium(webmap.base_map(state.basemap, key, draw=frame.may_draw),
                        key=f"map-{state.basemap}-{int(frame.may_draw)}-{ss.get('map_round', 0)}",
                        height=620, use_container_width=True, feature_group_to_add=view.groups,
                        layer_control=folium.LayerControl(collapsed=False),
                        center=view.center, zoom=view.zoom,
                        returned_objects=["last_clicked", "all_drawings"])
        ss.shown_view = (view.center, view.zoom, view.datum)  # where the page put the map
        ss.map_extent = shown_extent(view)
        if ss.get("scroll_to_map", 0) > ss.get("scrolled_to_map", 0):
            ss.scrolled_to_map = ss.scroll_to_map
            scroll_into_view(MAP_FRAME_SELECTOR, ss.scroll_to_map)
        clicked = (out or {}).get("last_clicked")
        if clicked:
            lon, lat = webmap.to_storage(clicked["lng"], clicked["lat"], datum)
            st.caption(f"点击位置（WGS84）：{lon:.6f}, {lat:.6f}")
        # the toolbar's own shapes only: streamlit-folium's "last_active_drawing" is also
        # any clicked feature of the data layers (a district, say)
        drawings = [d for d in (out or {}).get("all_drawings") or [] if d.get("geometry")]
        ss.pending, ss.pending_count = None, len(drawings)
        if frame.may_draw and drawings:
            try:
                ss.pending = webmap.drawing_to_storage(drawings[-1], datum)
            except (KeyError, TypeError, ValueError) as problem:
                st.warning(f"无法读取绘制的图形：{problem}")

# the link in the address bar is the share link: the filters and, once moved, the map's view
link = dataclasses.replace(state, view=ss.get("map_view", "")).to_query()
if st.query_params.to_dict() != link:
    st.query_params.from_dict(link)

unlocated = selected[selected["status"] == "unlocated"]
with st.expander(f"未定位项目（{len(unlocated)}）：不在地图上，原因见列表"):
    if len(unlocated):
        st.dataframe(unlocated[["name", "reason"]].fillna("无原因记录").rename(
            columns={"name": "名称", "reason": "原因"}), hide_index=True, height=360)
    else:
        st.caption("当前筛选中的项目均已定位。")

# ----------------------------------------------------------------- a new annotation
if store is None and ss.get("pending") is not None:
    st.warning("标注库暂时无法连接：画好的图形保留在地图上，连接恢复后即可保存。")
if store is not None:
    st.subheader("新标注")
    pending = ss.get("pending")
    if not can_write:
        st.caption("登录为编辑者后，用地图左上角的工具画点、线、多边形或矩形。")
    elif pending is None:
        st.caption("用地图左上角的工具画点、线、多边形或矩形，然后在这里填写并保存；"
                   "已有标注在“标注”页查看和修改。")
    else:
        st.caption(f"待保存的图形：{shape_summary(pending)}")
        if ss.get("pending_count", 0) > 1:
            st.caption(f"地图上有 {ss.pending_count} 个未保存的图形，保存的是最后画的一个；"
                       "其余可用地图上的垃圾桶工具删除。")
        target_options = ["", *cat.target_options()]
        with st.form("new_note"):
            note = st.text_area("备注", max_chars=NOTE_MAX_CHARS, placeholder="如：拟选址，用地待核实")
            tags = pick_many("标签", frame.tag_options, accept_new_options=True,
                                  placeholder="选择或输入标签")
            status = st.selectbox("状态", ["open", "resolved"], format_func=NOTE_STATUS_LABELS.get)
            target = st.selectbox("更正对象（把某个项目或地名改到这里，可不选）", target_options,
                                  format_func=lambda t: cat.target_label(t) if t
                                  else "（无：普通标注）")
            if st.form_submit_button("保存标注", type="primary"):
                def picked(new_id) -> None:
                    ss.note_pick_id = ss.note_focus = new_id
                    ss.map_round = ss.get("map_round", 0) + 1  # clears the toolbar's drawings

                write_then_rerun(lambda: store.add(pending, note, user.name, tags=tags,
                                                   target=target or None, status=status),
                                 "未保存", lambda _: "标注已保存", picked)

st.subheader("项目列表")
st.caption("点击一行，地图定位到该项目。列标题可排序。")
table = shown.table(selected)
ss.table_ids = list(table.index)
st.dataframe(table, hide_index=True, on_select=on_table_pick, selection_mode="single-row",
             key="table_pick", height=360)

downloads(shown, state, selected, sectors, link=link, revision=frame.revision,
          notes=notes if ss.show_notes else None)
