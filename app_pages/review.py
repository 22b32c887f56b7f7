"""审核 — the review queue: every project to check or not located, one at a time; an editor
accepts a place the plan's name may be, picks another from the gazetteer, points it on the
map, or marks it as having no place. Widgets only: the store keeps the decisions (history,
undo), ``layers.notes.decisions`` turns those naming a place into gazetteer entries."""

from __future__ import annotations

import folium
import streamlit as st
from shapely.geometry import Point
from streamlit_folium import st_folium

from app_pages.common import page_frame, plain, write_then_rerun
from gazetteer import Gazetteer
from layers.notes.decisions import click_precision_m, publish_planner_places
from layers.schema import PROJECT_STATUS_LABELS, REVIEW_DECISION_LABELS, REVIEW_REASON_LABELS
from layers.web import webmap
from layers.web.compose import review_map
from layers.web.tables import decision_table, review_reasons, review_table

ss = st.session_state
frame = page_frame()
cat, user, store = frame.cat, frame.user, frame.store
shown = cat.with_corrections(frame.fixes)


def place_label(place_id: str) -> str:
    hit = shown.places[shown.places["id"] == place_id]
    if not len(hit):
        return f"（已不存在：{place_id}）"
    row = hit.iloc[0]
    return f"{row['name']}（{row['district'] or '重庆市'}，{row['kind_label']}）"


def on_pick() -> None:
    rows = ss.review_table.selection.rows if "review_table" in ss else []
    if rows and ss.get("review_ids"):
        ss.review_pick = ss.review_ids[rows[0]]
        ss.review_point = None


def save(write, done: str) -> None:
    """One decision written (or undone), the planner gazetteer entries republished."""
    write_then_rerun(write, "未保存", lambda _: done,
                     lambda _: publish_planner_places(store, Gazetteer()))


st.title("审核队列")
if store is None:
    st.stop()  # the frame said why the store cannot be opened

reasons = review_reasons(shown.projects)
waiting = shown.projects[reasons != ""]
counts = reasons[reasons != ""].value_counts()
st.markdown(f"**{len(waiting)} 个项目待审核**（" + "，".join(
    f"{label} {counts.get(r, 0)}" for r, label in REVIEW_REASON_LABELS.items())
    + "）。点击一行处理；决定立即生效，可撤销。")
left, right = st.columns(2)
doc_filter = left.selectbox("文档", [None, *shown.documents],
                            format_func=lambda d: "全部文档" if d is None else shown.documents[d])
reason_filter = right.multiselect("原因", list(REVIEW_REASON_LABELS),
                                  default=list(REVIEW_REASON_LABELS),
                                  format_func=REVIEW_REASON_LABELS.get)
keep = reasons.isin(reason_filter or list(REVIEW_REASON_LABELS))
if doc_filter:
    keep &= shown.projects["doc_ids"].map(lambda ds: doc_filter in ds)
queue = shown.projects[keep]
ss.review_ids = list(queue["id"])
if len(queue):
    st.dataframe(review_table(queue, reasons[keep], shown.documents), hide_index=True,
                 on_select=on_pick, selection_mode="single-row", key="review_table", height=300)
else:
    st.caption("没有待审核的项目。")

pick = ss.get("review_pick")
if pick and pick in shown.project_index:
    project = shown.projects.iloc[shown.project_index[pick]]
    st.subheader(plain(project["name"]))
    st.caption(f"{PROJECT_STATUS_LABELS.get(project['status'], project['status'])}"
               + (f"：{plain(project['reason'])}" if project["reason"] else ""))
    st.text(project["excerpt"])  # the plan's sentence, as text: nothing in it is rendered
    refs = list(project["places"] or [])
    candidates = list(dict.fromkeys(c for r in refs for c in r.get("candidates", [])))
    for ref in refs:
        options = "；".join(place_label(c) for c in ref.get("candidates", []))
        st.caption(f"“{plain('、'.join(ref.get('texts', [])))}” 可能是："
                   f"{plain(options) or '（地名库中没有）'}")

    mine = frame.decisions[frame.decisions["target"] == pick] if frame.decisions is not None \
        else None
    if mine is not None and len(mine):
        st.markdown("**审核记录**")
        st.dataframe(decision_table(mine, place_label), hide_index=True)

    if not frame.can_write:
        st.caption("登录为编辑者后可作出审核决定。")
        st.stop()
    live = mine[mine["status"] != "deleted"].sort_values("updated_at") if mine is not None \
        else None
    if live is not None and len(live):
        newest = live.iloc[-1]
        if st.button("撤销最新的决定", disabled=newest["author"] != user.name
                     and not user.is_admin):
            save(lambda: store.delete(newest["id"], author=user.name, as_admin=user.is_admin),
                 "已撤销")

    decision = st.radio("决定", list(REVIEW_DECISION_LABELS), format_func=REVIEW_DECISION_LABELS.get,
                        horizontal=True, key=f"decision_{pick}")
    mention = st.text_input(
        "规划中的地名（填写后记入地名库：之后的规划提到它时自动定位）",
        value=(refs[0].get("texts") or [""])[0] if refs else "", max_chars=100,
        key=f"mention_{pick}")
    if decision == "place":
        query = st.text_input("在地名库中另找地点（可输入拼音）", max_chars=50, key=f"find_{pick}")
        found = [h.id for h in shown.search(query) if h.kind == "place"] if query.strip() else []
        options = list(dict.fromkeys([*candidates, *found]))
        if not options:
            st.caption("没有候选地点：请在地名库中查找，或在地图上指定。")
        chosen = st.selectbox("地点", options, format_func=place_label, index=None,
                              placeholder="选择地点", key=f"place_{pick}")
        if st.button("保存决定", type="primary", disabled=chosen is None):
            point = shown.places[shown.places["id"] == chosen].geometry.iloc[0]
            save(lambda: store.decide(pick, "place", user.name, point, mention=mention,
                                      place_id=chosen), f"已定位到 {plain(place_label(chosen))}")
    elif decision == "point":
        groups, centre, zoom = review_map(shown, project, candidates)
        out = st_folium(webmap.base_map("blank"), key=f"review-map-{pick}", height=420,
                        use_container_width=True, feature_group_to_add=groups,
                        layer_control=folium.LayerControl(collapsed=True), center=centre,
                        zoom=zoom, returned_objects=["last_clicked", "zoom"])
        clicked = (out or {}).get("last_clicked")
        if clicked:
            ss.review_point = (clicked["lng"], clicked["lat"], (out or {}).get("zoom") or zoom)
        point = ss.get("review_point")
        st.caption("点击地图指定位置。" if not point else
                   f"已指定：{point[0]:.6f}, {point[1]:.6f}（WGS84；按缩放级别 {point[2]} 估计误差约 "
                   f"{click_precision_m(point[1], int(point[2])):.0f} 米）")
        if st.button("保存决定", type="primary", disabled=not point):
            lon, lat, at_zoom = point
            save(lambda: store.decide(pick, "point", user.name, Point(lon, lat), mention=mention,
                                      precision_m=click_precision_m(lat, int(at_zoom))),
                 "已按地图上的位置定位")
    else:
        note = st.text_input("说明（可选，如：政策措施，不是工程）", max_chars=200,
                             key=f"why_{pick}")
        if st.button("保存决定", type="primary"):
            save(lambda: store.decide(pick, "none", user.name, note=note),
                 "已标为无需定位")
