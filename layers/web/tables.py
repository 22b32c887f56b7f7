"""Tables the page shows: annotations, their history and shape summaries."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from layers.notes.model import target_of
from layers.schema import GEOMETRY_LABELS, NOTE_ACTION_LABELS, NOTE_STATUS_LABELS
from layers.web.popups import short_time


def shape_summary(geometry) -> str:
    """What was drawn, in words a planner checks at a glance: kind and size."""
    from geo.crs import area_m2, project_geometry

    kind = GEOMETRY_LABELS.get(geometry.geom_type, geometry.geom_type)
    if "Polygon" in geometry.geom_type:
        return f"{kind}，面积约 {area_m2(geometry) / 10_000:,.2f} 公顷"
    if "LineString" in geometry.geom_type:
        return f"{kind}，长约 {project_geometry(geometry).length / 1000:,.2f} 公里"
    if geometry.geom_type == "Point":
        return f"{kind}，{geometry.x:.6f}, {geometry.y:.6f}（WGS84）"
    return kind


def annotation_table(notes: gpd.GeoDataFrame, target_label) -> pd.DataFrame:
    """The annotations as the page lists them (plain text cells: nothing is rendered)."""
    return pd.DataFrame({
        "备注": [n[:60] for n in notes["note"]],
        "标签": ["、".join(t) for t in notes["tags"]],
        "状态": [NOTE_STATUS_LABELS.get(s, s) for s in notes["status"]],
        "作者": list(notes["author"]),
        "更新": [short_time(t) for t in notes["updated_at"]],
        "更正对象": [target_label(t) if target_of(t) else "" for t in notes["target"]],
    })


def history_table(versions) -> pd.DataFrame:
    """Every version of an annotation: who, when, what they changed."""
    names = {"geometry": "位置", "note": "备注", "tags": "标签", "status": "状态",
             "target": "更正对象"}
    return pd.DataFrame({
        "版本": [v.version for v in versions],
        "操作": [NOTE_ACTION_LABELS.get(v.action, v.action) for v in versions],
        "作者": [v.author for v in versions],
        "时间": [short_time(v.at) for v in versions],
        "改动": ["、".join(names.get(k, k) for k in v.changes) for v in versions],
    })


def review_reasons(projects: gpd.GeoDataFrame) -> pd.Series:
    """Why each project is in the review queue (审核): ``review``, ``unlocated``, ``ambiguous``
    (located, but a place name in it has more than one candidate), or "" (not in it)."""
    def reason(status, refs) -> str:
        if status in ("review", "unlocated"):
            return status
        if status == "auto" and any(len(r.get("candidates") or []) > 1 for r in refs or []):
            return "ambiguous"
        return ""

    return pd.Series([reason(s, r) for s, r in zip(projects["status"], projects["places"],
                                                    strict=True)], index=projects.index)


def review_table(projects: gpd.GeoDataFrame, reasons: pd.Series,
                 documents: dict[str, str]) -> pd.DataFrame:
    """The projects waiting for a planner, with why and the place names the plan gives them."""
    from layers.schema import REVIEW_REASON_LABELS

    def why(row_reason: str, text: str, refs) -> str:
        if row_reason != "ambiguous":
            return text or ""
        return "；".join(f"“{'、'.join(r.get('texts', []))}”有 {len(r['candidates'])} 个可能的地点"
                        for r in refs or [] if len(r.get("candidates") or []) > 1)

    return pd.DataFrame({
        "项目": list(projects["name"]),
        "状态": [REVIEW_REASON_LABELS.get(r, r) for r in reasons],
        "原因": [why(r, t, refs) for r, t, refs in zip(reasons, projects["reason"],
                                                     projects["places"], strict=True)],
        "规划中的地名": ["、".join(dict.fromkeys(t for p in refs or [] for t in p.get("texts", [])))
                     for refs in projects["places"]],
        "文档": ["、".join(documents.get(d, d) for d in ds) for ds in projects["doc_ids"]],
    })


def decision_table(decisions: gpd.GeoDataFrame, place_label) -> pd.DataFrame:
    """A project's review decisions, newest first: who decided what, when, and if undone."""
    from layers.schema import REVIEW_DECISION_LABELS

    rows = decisions.sort_values("updated_at", ascending=False)
    return pd.DataFrame({
        "决定": [REVIEW_DECISION_LABELS.get(d.get("decision"), "") for d in rows["detail"]],
        "地点": [place_label(d.get("place_id")) if d.get("place_id") else
                 (f"{g.x:.5f}, {g.y:.5f}" if g is not None and not g.is_empty and
                  g.geom_type == "Point" else "") for d, g in zip(rows["detail"], rows.geometry,
                                                                  strict=True)],
        "规划中的地名": [d.get("mention", "") for d in rows["detail"]],
        "作者": list(rows["author"]),
        "时间": [short_time(t) for t in rows["updated_at"]],
        "已撤销": ["是" if s == "deleted" else "" for s in rows["status"]],
    })
