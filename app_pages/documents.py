"""文档 — the plans the map is built from: the list with each plan's projects located, to
review and unlocated; editors add a plan (upload, check the details its text suggests, add
with a progress bar), admins remove or replace one. Widgets only: ``layers.ingest.library``
stores the files, ``layers.build`` rebuilds, and every server picks the new build up."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from app_pages.common import page_frame, plain
from layers.build import build
from layers.ingest.library import (
    add_plan,
    plan_rows,
    read_upload,
    remove_plan,
    suggest_details,
)
from layers.ingest.readers import READERS
from layers.published import publish_build
from layers.schema import PROJECT_STATUS_LABELS

ss = st.session_state
frame = page_frame()
cat, user = frame.cat, frame.user
shown = cat.with_corrections(frame.fixes)
FORMAT_LABELS = {"txt": "文本", "html": "网页", "htm": "网页", "docx": "Word", "pdf": "PDF"}


def counts_by_plan() -> dict[str, dict[str, int]]:
    """doc_id → {status: projects}, as the map counts them (planners' corrections included)."""
    counts: dict[str, dict[str, int]] = {}
    for doc_ids, status in zip(shown.projects["doc_ids"], shown.projects["status"], strict=True):
        for doc_id in doc_ids:
            counts.setdefault(doc_id, {}).setdefault(status, 0)
            counts[doc_id][status] += 1
    return counts


def plans_table(rows: list[dict]) -> pd.DataFrame:
    counts = counts_by_plan()
    located = [s for s in PROJECT_STATUS_LABELS if s not in ("review", "unlocated")]
    return pd.DataFrame({
        "标题": [r.get("title") or r["doc_id"] for r in rows],
        "发文机关": [r.get("issuer", "") for r in rows],
        "日期": [r.get("date", "") for r in rows],
        "格式": [FORMAT_LABELS.get(r["format"], r["format"]) for r in rows],
        "大小": [f"{r['size'] / 1024:.0f} KB" for r in rows],
        "来源": ["随程序提供" if r["origin"] == "seed" else
                 f"{r.get('added_by') or '未署名'} 添加于 {str(r.get('added_at', ''))[:10]}"
                 for r in rows],
        "已定位": [sum(counts.get(r["doc_id"], {}).get(s, 0) for s in located) for r in rows],
        "待核": [counts.get(r["doc_id"], {}).get("review", 0) for r in rows],
        "未定位": [counts.get(r["doc_id"], {}).get("unlocated", 0) for r in rows],
        "编号": [r["doc_id"] for r in rows],
    })


def rebuild(bar) -> None:
    """The build, published for every app server when the layers live in PostGIS."""
    build(progress=lambda share, stage: bar.progress(share * 0.9, text=f"更新地图：{stage}"))
    if frame.settings.layers_url:
        bar.progress(0.95, text="更新地图：发布到图层数据库")
        publish_build(frame.settings.layers_url, by=user.name)


def upload_section(rows: list[dict]) -> None:
    st.subheader("添加规划")
    upload = st.file_uploader(
        "规划文件（" + "、".join(sorted({s.lstrip(".") for s in READERS})) + "）",
        type=[s.lstrip(".") for s in READERS], key=f"plan_upload_{ss.get('upload_round', 0)}")
    if upload is None:
        return
    raw = upload.getvalue()
    try:
        doc = read_upload(raw, upload.name)
    except ValueError as problem:
        st.error(f"无法添加：{plain(problem)}（未保存任何内容）")
        return
    chapters = sum(1 for s in doc.sections if s.kind == "chapter")
    st.caption(f"读取方式：{doc.reading}；正文 {len(doc.text):,} 字，{chapters} 章，"
               f"{len(doc.sections)} 个章节条目。请核对正文给出的信息后添加。")
    suggested = suggest_details(doc)
    added = [r for r in rows if r["origin"] == "added"]
    with st.form(f"plan_details_{doc.doc_id}"):
        title = st.text_input("标题", value=suggested["title"], max_chars=200)
        issuer = st.text_input("发文机关", value=suggested["issuer"], max_chars=200)
        date = st.text_input("日期（如 2021-10-25、2021-10 或 2021）", value=suggested["date"],
                             max_chars=10)
        kind = st.text_input("文件类型", value=suggested["kind"], max_chars=40)
        replaces = None
        if user.is_admin and added:
            replaces = st.selectbox(
                "替换已添加的规划（新版本）", [None, *[r["doc_id"] for r in added]],
                format_func=lambda d: "不替换：作为新规划添加" if d is None else next(
                    r.get("title") or d for r in added if r["doc_id"] == d))
        if not st.form_submit_button("添加并更新地图", type="primary"):
            return
    bar = st.progress(0.0, text="保存文件")
    try:
        row = add_plan(raw, upload.name, title=title, issuer=issuer, date=date, kind=kind,
                       by=user.name)
    except ValueError as problem:
        bar.empty()
        st.error(f"无法添加：{plain(problem)}（未保存任何内容）")
        return
    try:
        if replaces and replaces != row["doc_id"]:
            remove_plan(replaces)
        rebuild(bar)
    except Exception as problem:  # the build failed: take the plan out again, keep the old map
        if not any(r["doc_id"] == row["doc_id"] for r in rows):
            remove_plan(row["doc_id"])
        bar.empty()
        st.error(f"更新地图失败，规划未添加：{problem}")
        return
    ss.upload_round = ss.get("upload_round", 0) + 1
    ss.flash = f"已添加“{plain(row['title'])}”，地图已更新"
    st.rerun()


def remove_section(rows: list[dict]) -> None:
    added = [r for r in rows if r["origin"] == "added"]
    if not added:
        return
    st.subheader("删除已添加的规划")
    with st.form("plan_remove"):
        doc_id = st.selectbox("规划", [r["doc_id"] for r in added], format_func=lambda d: next(
            f"{r.get('title') or d}（{Path(r['file']).suffix.lstrip('.')}，{d}）"
            for r in added if r["doc_id"] == d))
        sure = st.checkbox("确认删除：该规划的项目将从地图上移除（规划师的审核决定保留）")
        if not st.form_submit_button("删除并更新地图"):
            return
    if not sure:
        st.warning("请先勾选“确认删除”")
        return
    bar = st.progress(0.0, text="删除文件")
    try:
        row = remove_plan(doc_id)
        rebuild(bar)
    except Exception as problem:  # the map keeps its last build; the message says why
        bar.empty()
        st.error(f"删除或更新地图失败：{problem}")
        return
    ss.flash = f"已删除“{plain(row['title'])}”，地图已更新"
    st.rerun()


st.title("规划文档")
rows = plan_rows()
st.markdown(f"**{len(rows)} 份规划**：地图上的项目都从这些文件中抽取；项目数含规划师的更正。")
st.dataframe(plans_table(rows), hide_index=True)
if user is not None and user.can_write:
    upload_section(rows)
    if user.is_admin:
        remove_section(rows)
else:
    st.caption("登录为编辑者后可添加规划；管理员可删除或替换。")
