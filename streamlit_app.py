"""规划项目地图 — the planner's page. UI only: data, filtering, search and map layers live in
``layers`` (views, webmap, export); this file wires widgets to them."""

from __future__ import annotations

import datetime as dt
import os

import folium
import streamlit as st
from streamlit_folium import st_folium

from layers.export import geojson_text
from layers.notes.access import Access, AccessError, User
from layers.notes.corrections import corrections
from layers.notes.model import NOTE_MAX_CHARS, SUGGESTED_TAGS, AnnotationError
from layers.notes.store import AnnotationStore
from layers.schema import (
    IMPORT_DATUM_LABELS,
    LAYER_NAMES,
    NOTE_STATUS_LABELS,
    PROJECT_STATUS_LABELS,
    ROLE_LABELS,
)
from layers.web import features, popups, webmap
from layers.web.assets import missing as missing_assets
from layers.web.catalogue import (
    ViewState,
    annotation_table,
    default_catalogue,
    history_table,
    shape_summary,
    short_time,
)

st.set_page_config(page_title="规划项目地图", layout="wide", page_icon="🗺️")

LAYER_LABELS = {"projects": "规划项目", "sectors": "空间结构片区", "places": "地名",
                "districts": "区县界线"}
WIDGETS = ("projects", "structures", "sectors", "documents", "categories", "districts",
           "statuses", "min_confidence", "query", "basemap")


def secrets() -> dict:
    try:
        return st.secrets.to_dict()
    except (FileNotFoundError, st.errors.StreamlitSecretNotFoundError):
        return {}


def tianditu_key() -> str:
    return str(secrets().get("TIANDITU_KEY", "") or os.environ.get("TIANDITU_KEY", ""))


@st.cache_resource(show_spinner=False)
def annotation_store(url: str) -> AnnotationStore:
    """One store per server (its own locking makes it safe for every session)."""
    return AnnotationStore(url or None)


# what is built from the annotations is kept until the next write changes store.revision();
# the store's place is part of the key (the store itself is not hashed)
@st.cache_resource(show_spinner=False, max_entries=2)
def notes_at(_store: AnnotationStore, where: str, revision: str):
    return _store.list(include_deleted=True)


@st.cache_resource(show_spinner=False, max_entries=4)
def notes_layer(_store: AnnotationStore, where: str, revision: str, datum: str) -> dict:
    every = notes_at(_store, where, revision)
    labels = {t: cat.target_label(t) for t in set(every["target"].dropna())}
    return features.annotations_data(every, labels, datum)


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
        ss.focus, ss.note_focus = hit, None


def on_table_pick() -> None:
    rows = ss.table_pick.selection.rows if "table_pick" in ss else []
    if rows and ss.get("table_ids"):
        ss.focus, ss.note_focus = "project:" + ss.table_ids[rows[0]], None


def on_note_pick() -> None:
    rows = ss.note_table.selection.rows if "note_table" in ss else []
    if rows and ss.get("note_ids"):
        ss.note_pick_id = ss.note_focus = ss.note_ids[rows[0]]


def clear_focus() -> None:
    """A changed filter is a new selection: the map fits it, not the last searched item."""
    ss.focus, ss.note_focus = "", None


def write_notes(write, refused: str, done, remount: bool = False) -> None:
    """One store write from a button: if refused, say why (the form keeps what was typed);
    else rerun with a toast of ``done(result)``. ``remount`` clears the toolbar's drawings."""
    try:
        result = write()
    except AnnotationError as problem:
        st.error(f"{refused}：{problem}")
        return
    if remount:
        ss.map_round = ss.get("map_round", 0) + 1
    ss.flash = done(result)
    st.rerun()


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
    st.multiselect("状态", list(PROJECT_STATUS_LABELS), format_func=PROJECT_STATUS_LABELS.get, key="statuses", on_change=clear_focus,
                   placeholder="全部")
    st.slider("最低置信度", 0.0, 1.0, step=0.05, key="min_confidence", on_change=clear_focus,
              help="项目所引地点中最低的匹配置信度；未定位项目为 0")
    st.button("清除筛选", on_click=clear_filters)

    st.header("图层")
    st.checkbox(f"显示地名库地点（{len(cat.places)}）", key="show_places", value=False)
    st.checkbox("显示规划师标注", key="show_notes", value=True)

    # --- who is annotating
    st.header("标注身份")
    try:
        access = Access.from_config(secrets())
    except AccessError as problem:
        st.error(f"用户配置有误，标注暂为只读：{problem}")
        access = None
    user: User | None = ss.get("user")
    if access is None:
        user = None
    elif access.mode == "single":
        if user is None:
            with st.form("who"):
                name = st.text_input("你的名字（记入你写的每条标注）", max_chars=64)
                if st.form_submit_button("开始标注") and name.strip():
                    user = ss.user = access.single_user(name.strip())
        if user is not None:
            st.caption(f"标注作者：{user.name}（单机模式，可修改全部标注）")
    elif access.mode == "password":
        if user is None:
            with st.form("sign_in"):
                name = st.text_input("用户名", max_chars=64)
                password = st.text_input("密码", type="password", max_chars=200)
                if st.form_submit_button("登录"):
                    user = ss.user = access.sign_in(name.strip(), password)
                    if user is None:
                        st.error("用户名或密码不正确")
    elif st.user.is_logged_in:
        user = ss.user = access.oidc_user(str(st.user.get("email", "")),
                                          str(st.user.get("name", "")))
    else:
        st.button("登录（单位账号）", on_click=st.login)
    if user is not None and access is not None and access.mode != "single":
        st.caption(f"已登录：{user.name}（{ROLE_LABELS[user.role]}）")
        if st.button("退出登录"):
            ss.user = None
            if access.mode == "oidc":
                st.logout()
            st.rerun()
    if user is None or not user.can_write:
        st.caption("登录为编辑者后可绘制和修改标注；现在可以查看。")

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

try:
    store = annotation_store(str(secrets().get("annotations_url", "")
                                 or os.environ.get("PLANMAP_ANNOTATIONS_URL", "")))
    revision = store.revision()
    all_notes = notes_at(store, store.where, revision)
except (AnnotationError, OSError) as problem:
    st.error(f"标注库无法打开，标注暂不可用（地图不受影响）：{problem}")
    store, all_notes = None, None
can_write = store is not None and user is not None and user.can_write
with st.sidebar:
    if all_notes is not None:
        st.header(f"标注筛选（{int((all_notes['status'] != 'deleted').sum())}）")
        tag_options = sorted({*SUGGESTED_TAGS, *(t for ts in all_notes["tags"] for t in ts)})
        st.multiselect("标签", tag_options, key="note_tags", placeholder="全部")
        st.multiselect("作者", sorted(set(all_notes["author"])), key="note_authors",
                       placeholder="全部")
        st.multiselect("标注状态", list(NOTE_STATUS_LABELS), format_func=NOTE_STATUS_LABELS.get,
                       key="note_statuses", placeholder="待处理、已处理（不含已删除）")

if all_notes is not None:
    notes = all_notes
    wanted_statuses = ss.get("note_statuses") or ["open", "resolved"]
    notes = notes[notes["status"].isin(wanted_statuses)]
    if ss.get("note_authors"):
        notes = notes[notes["author"].isin(ss.note_authors)]
    if ss.get("note_tags"):
        wanted_tags = set(ss.note_tags)
        notes = notes[[bool(wanted_tags.intersection(ts)) for ts in notes["tags"]]]
    fixes = corrections(all_notes)
else:
    notes, fixes = None, None

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
for col, status in zip(cols[1:4], PROJECT_STATUS_LABELS, strict=True):
    col.metric(PROJECT_STATUS_LABELS[status], int(counts.get(status, 0)))
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
        fixed_ids = set(fixes.index) if fixes is not None else set()
        groups = [webmap.layer_group(cat, "districts", datum),
                  webmap.layer_group(cat, "sectors", datum, sectors["id"]),
                  webmap.layer_group(cat, "projects", datum, set(selected["id"]) - fixed_ids)]
        if ss.show_places:
            groups.append(webmap.layer_group(cat, "places", datum, set(cat.places["id"])
                                             - fixed_ids))
        if fixed_ids:
            fixed_projects = cat.corrected("projects", fixes, selected["id"])
            fixed_places = cat.corrected("places", fixes)  # shown even with places off
            groups.append(webmap.geojson_group("规划师更正", features.corrections_data(
                fixed_projects, fixed_places, cat.documents, datum), point_radius=8))
        if notes is not None and ss.show_notes:
            groups.append(webmap.geojson_group(
                "规划师标注", features.subset(notes_layer(store, store.where, revision, datum), notes["id"]),
                point_radius=7))
        if focus_geometry is not None:
            popup = popups.focus_popup(*focus, cat.documents)
            groups.append(webmap.focus_layer(focus_geometry, popup, datum))
            view = webmap.fit_view([focus_geometry], datum)
        else:
            view = webmap.fit_view(list(selected.geometry) + list(sectors.geometry), datum)
        if ss.get("note_focus") is not None and notes is not None:
            focused = all_notes[all_notes["id"] == ss.note_focus]
            if len(focused):
                view = webmap.fit_view(list(focused.geometry), datum) or view
        center, zoom = view if view else (None, None)
        # a new key after a save clears the toolbar's drawn shapes: the saved one is a layer now
        out = st_folium(webmap.base_map(state.basemap, key, draw=can_write),
                        key=f"map-{state.basemap}-{int(can_write)}-{ss.get('map_round', 0)}",
                        height=620, use_container_width=True, feature_group_to_add=groups,
                        layer_control=folium.LayerControl(collapsed=False),
                        center=center, zoom=zoom,
                        returned_objects=["last_clicked", "all_drawings"])
        clicked = (out or {}).get("last_clicked")
        if clicked:
            lon, lat = webmap.to_storage(clicked["lng"], clicked["lat"], datum)
            st.caption(f"点击位置（WGS84）：{lon:.6f}, {lat:.6f}")
        # the toolbar's own shapes only: streamlit-folium's "last_active_drawing" is also
        # any clicked feature of the data layers (a district, say)
        drawings = [d for d in (out or {}).get("all_drawings") or [] if d.get("geometry")]
        ss.pending, ss.pending_count = None, len(drawings)
        if can_write and drawings:
            try:
                ss.pending = webmap.drawing_to_storage(drawings[-1], datum)
            except (KeyError, TypeError, ValueError) as problem:
                st.warning(f"无法读取绘制的图形：{problem}")

with side_col:
    unlocated = selected[selected["status"] == "unlocated"]
    st.subheader(f"未定位项目（{len(unlocated)}）")
    if len(unlocated):
        st.dataframe(unlocated[["name", "reason"]].rename(
            columns={"name": "名称", "reason": "原因"}), hide_index=True, height=560)
    else:
        st.caption("当前筛选中的项目均已定位。")

# ----------------------------------------------------------------- annotations
if store is not None:
    st.subheader("规划师标注")
    new_col, edit_col = st.columns(2)
    target_options = ["", *cat.target_options()]

    def target_label(target: str) -> str:
        return "（无：普通标注）" if not target else cat.target_label(target)

    with new_col:
        st.markdown("**新标注**")
        pending = ss.get("pending")
        if not can_write:
            st.caption("登录为编辑者后，用地图左上角的工具画点、线、多边形或矩形。")
        elif pending is None:
            st.caption("用地图左上角的工具画点、线、多边形或矩形，然后在这里填写并保存。")
        else:
            st.caption(f"待保存的图形：{shape_summary(pending)}")
            if ss.get("pending_count", 0) > 1:
                st.caption(f"地图上有 {ss.pending_count} 个未保存的图形，保存的是最后画的一个；"
                           "其余可用地图上的垃圾桶工具删除。")
            with st.form("new_note"):
                note = st.text_area("备注", max_chars=NOTE_MAX_CHARS,
                                    placeholder="如：拟选址，用地待核实")
                tags = st.multiselect("标签", tag_options, accept_new_options=True,
                                      placeholder="选择或输入标签")
                status = st.selectbox("状态", ["open", "resolved"],
                                      format_func=NOTE_STATUS_LABELS.get)
                target = st.selectbox("更正对象（把某个项目或地名改到这里，可不选）",
                                      target_options, format_func=target_label)
                if st.form_submit_button("保存标注", type="primary"):
                    def saved(new_id):
                        ss.note_pick_id = ss.note_focus = new_id
                        return "标注已保存"

                    write_notes(lambda: store.add(pending, note, user.name, tags=tags,
                                                  target=target or None, status=status),
                                "未保存", saved, remount=True)
    if ss.get("flash"):
        st.toast(ss.pop("flash"))

    with edit_col:
        st.markdown(f"**标注列表（{len(notes)}）**")
        listing = annotation_table(notes, target_label)
        ss.note_ids = list(notes["id"])
        st.dataframe(listing, hide_index=True, on_select=on_note_pick,
                     selection_mode="single-row", key="note_table", height=220)
        chosen = all_notes[all_notes["id"] == ss.get("note_pick_id", "")]
        if len(chosen):
            row = chosen.iloc[0]
            st.text(f"{row['note'] or '（无备注）'}")
            st.caption(f"{NOTE_STATUS_LABELS[row['status']]} · {row['author']} · "
                       f"第 {row['version']} 版 · {short_time(row['updated_at'])}"
                       + (f" · 更正：{target_label(row['target'])}" if row["target"] else ""))
            if user is not None and user.may_change(row["author"]) and row["status"] != "deleted":
                with st.form(f"edit-{row['id']}-{row['version']}"):
                    note = st.text_area("备注", row["note"], max_chars=NOTE_MAX_CHARS)
                    tags = st.multiselect("标签", sorted({*tag_options, *row["tags"]}),
                                          default=list(row["tags"]), accept_new_options=True)
                    status = st.selectbox("状态", ["open", "resolved"],
                                          index=["open", "resolved"].index(row["status"]),
                                          format_func=NOTE_STATUS_LABELS.get)
                    target = st.selectbox(
                        "更正对象", target_options, format_func=target_label,
                        index=target_options.index(row["target"])
                        if row["target"] in target_options else 0)
                    move = st.checkbox("用地图上新画的图形替换位置",
                                       disabled=ss.get("pending") is None,
                                       help="先在地图上画出新的位置或形状")
                    if st.form_submit_button("保存修改"):
                        write_notes(lambda: store.update(
                            row["id"], author=user.name, note=note, tags=tags, status=status,
                            target=target, geometry=ss.pending if move else None,
                            as_admin=user.is_admin), "未保存", lambda _: "修改已保存",
                            remount=move)
                if st.button("删除此标注（可恢复）", key=f"delete-{row['id']}"):
                    write_notes(lambda: store.delete(row["id"], author=user.name,
                                                     as_admin=user.is_admin), "未删除",
                                lambda _: "标注已删除，可在“标注状态”中选“已删除”找回并恢复")
            elif user is not None and user.may_change(row["author"]) \
                    and st.button("恢复此标注", key=f"restore-{row['id']}"):
                write_notes(lambda: store.restore(row["id"], author=user.name,
                                                  as_admin=user.is_admin), "未恢复",
                            lambda _: "标注已恢复")
            with st.expander(f"修改历史（{row['version']} 版）"):
                st.dataframe(history_table(store.history(row["id"])),
                             hide_index=True)

    with st.expander("导入 / 导出标注（GeoJSON、GeoPackage）"):
        if can_write:
            upload = st.file_uploader("导入 GeoJSON 标注文件", type=["geojson", "json"],
                                      help="每个要素一条标注；属性 note/备注、tags、status、target")
            datum_in = st.radio("文件坐标系", list(IMPORT_DATUM_LABELS), format_func=IMPORT_DATUM_LABELS.get,
                                horizontal=True)
            if upload is not None and st.button("导入"):
                write_notes(lambda: store.import_geojson(upload.getvalue(), user.name, datum_in),
                            "未导入任何标注", lambda ids: f"已导入 {len(ids)} 条标注")
        if st.button("生成标注下载文件"):
            ss.notes_export = True
        if ss.get("notes_export"):
            today_ = dt.date.today().isoformat()
            c1, c2 = st.columns(2)
            c1.download_button("标注 GeoJSON", geojson_text(store.list(), name="annotations"),
                               file_name=f"annotations-{today_}.geojson",
                               mime="application/geo+json", on_click="ignore")
            c2.download_button("标注 GeoPackage", store.export_bytes(".gpkg"),
                               file_name=f"annotations-{today_}.gpkg",
                               mime="application/geopackage+sqlite3", on_click="ignore")
        st.caption(f"标注库：{store.where}")

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
                      data=cat.selection_geojson(selected, fixes),
                      file_name=f"projects-view-{today}.geojson",
                      mime="application/geo+json", key="dl-view", on_click="ignore")
for col, name in zip(dl[1:], LAYER_NAMES, strict=True):
    col.download_button(f"{LAYER_LABELS[name]}（全部）", data=cat.layer_geojson(name, fixes),
                        file_name=f"{name}-{today}.geojson", mime="application/geo+json",
                        key=f"dl-{name}", on_click="ignore")
