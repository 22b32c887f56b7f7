"""标注 — the planners' annotations: the list (filtered in the sidebar), one annotation's text,
edits, delete and restore with its history, and import/export. Widgets only: the store does
the work and keeps every version."""

from __future__ import annotations

import streamlit as st

from app_pages.common import page_frame, pick_many, write_then_rerun
from layers.export import geojson_text
from layers.notes.model import NOTE_MAX_CHARS, target_of
from layers.schema import IMPORT_DATUM_LABELS, NOTE_STATUS_LABELS
from layers.web.mapfiles import download_links, download_url
from layers.web.popups import local_date, short_time
from layers.web.tables import annotation_table, history_table

ss = st.session_state
frame = page_frame()
cat, user, store = frame.cat, frame.user, frame.store
all_notes, notes = frame.all_notes, frame.notes


def target_label(target) -> str:
    return cat.target_label(target_of(target)) if target_of(target) else "（无：普通标注）"


def on_note_pick() -> None:
    rows = ss.note_table.selection.rows if "note_table" in ss else []
    if rows and ss.get("note_ids"):
        ss.note_pick_id = ss.note_focus = ss.note_ids[rows[0]]


def write_notes(write, refused: str, done, remount: bool = False) -> None:
    """``write_then_rerun``; ``remount`` also clears the map's drawings."""
    def clear_drawings(_):
        ss.map_round = ss.get("map_round", 0) + 1

    write_then_rerun(write, refused, done, clear_drawings if remount else None)


st.title("规划师标注")
if store is None:
    st.stop()  # the frame said why the store cannot be opened

target_options = ["", *cat.target_options()]
st.markdown(f"**标注列表（{len(notes)}）** 点击一行查看、修改；在“地图”页画新标注。")
ss.note_ids = list(notes["id"])
if len(notes):
    st.dataframe(annotation_table(notes, target_label), hide_index=True,
                 on_select=on_note_pick, selection_mode="single-row", key="note_table",
                 height=260)
else:  # an empty table says "empty" in English
    st.caption("没有符合筛选的标注。")

chosen = all_notes[all_notes["id"] == ss.get("note_pick_id", "")]
if len(chosen):
    row = chosen.iloc[0]
    st.text(f"{row['note'] or '（无备注）'}")
    st.caption(f"{NOTE_STATUS_LABELS[row['status']]} · {row['author']} · "
               f"第 {row['version']} 版 · {short_time(row['updated_at'])}"
               + (f" · 更正：{target_label(row['target'])}" if target_of(row["target"]) else ""))
    if st.button("在地图上查看", key=f"show-{row['id']}"):
        ss.note_focus, ss.focus = row["id"], ""
        st.switch_page("app_pages/map.py")
    may_change = user is not None and user.may_change(row["author"])
    if may_change and row["status"] != "deleted":
        with st.form(f"edit-{row['id']}-{row['version']}"):
            note = st.text_area("备注", row["note"], max_chars=NOTE_MAX_CHARS)
            tags = pick_many("标签", sorted({*frame.tag_options, *row["tags"]}),
                                  default=list(row["tags"]), accept_new_options=True)
            status = st.selectbox("状态", ["open", "resolved"],
                                  index=["open", "resolved"].index(row["status"]),
                                  format_func=NOTE_STATUS_LABELS.get)
            target = st.selectbox("更正对象", target_options, format_func=target_label,
                                  index=target_options.index(row["target"])
                                  if row["target"] in target_options else 0)
            move = st.checkbox("用地图上新画的图形替换位置", disabled=ss.get("pending") is None,
                               help="先在“地图”页画出新的位置或形状")
            if st.form_submit_button("保存修改"):
                write_notes(lambda: store.update(
                    row["id"], author=user.name, note=note, tags=tags, status=status,
                    target=target, geometry=ss.pending if move else None,
                    as_admin=user.is_admin), "未保存", lambda _: "修改已保存", remount=move)
        if st.button("删除此标注（可恢复）", key=f"delete-{row['id']}"):
            write_notes(lambda: store.delete(row["id"], author=user.name,
                                             as_admin=user.is_admin), "未删除",
                        lambda _: "标注已删除，可在“标注状态”中选“已删除”找回并恢复")
    elif may_change and st.button("恢复此标注", key=f"restore-{row['id']}"):
        write_notes(lambda: store.restore(row["id"], author=user.name, as_admin=user.is_admin),
                    "未恢复", lambda _: "标注已恢复")
    elif user is None or not user.can_write:  # why there is nothing to change it with
        st.caption("登录为编辑者后，可以修改、删除或恢复自己写的标注。")
    elif not may_change:
        st.caption(f"这条标注由 {row['author']} 所写：只有作者本人或管理员可以修改、删除或恢复；"
                   "你可以在“地图”页另画一条标注补充意见。")
    with st.expander(f"修改历史（{row['version']} 版）"):
        st.dataframe(history_table(store.history(row["id"])), hide_index=True)

st.subheader("导入 / 导出（GeoJSON、GeoPackage）")
if frame.can_write:
    upload = st.file_uploader("导入 GeoJSON 标注文件", type=["geojson", "json"],
                              help="每个要素一条标注；属性 note/备注、tags、status、target")
    datum_in = st.radio("文件坐标系", list(IMPORT_DATUM_LABELS),
                        format_func=IMPORT_DATUM_LABELS.get, horizontal=True,
                        help="文件若声明了坐标系（如 CGCS2000 高斯-克吕格 EPSG:4545、UTM），"
                             "按声明换算到 WGS84：此处选 WGS84")
    if upload is not None and st.button("导入"):
        write_notes(lambda: store.import_geojson(upload.getvalue(), user.name, datum_in),
                    "未导入任何标注", lambda ids: f"已导入 {len(ids)} 条标注")
today = local_date()
# made when clicked, from the store as it is then (mapfiles.download_url)
st.markdown(download_links([
    (label, download_url((store.where, frame.revision, filename), make, filename), filename)
    for label, make, filename in (
        ("标注 GeoJSON", lambda: geojson_text(store.list(), name="annotations"),
         f"annotations-{today}.geojson"),
        ("标注 GeoPackage", lambda: store.export_bytes(".gpkg"), f"annotations-{today}.gpkg"))]),
    unsafe_allow_html=True)
st.caption(f"标注库：{store.where}")
