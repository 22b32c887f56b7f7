"""An annotation's parts and their validation: note, tags, status, geometry, versions.

Input is checked before anything is written (``AnnotationError`` says why, in Chinese).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime

import shapely
from shapely.geometry import shape

from layers.postgis import WRITE_ATTEMPTS  # noqa: F401  (the SQLite store's too)
from layers.schema import NOTE_STATUS_LABELS, NOTE_STATUSES, REVIEW_DECISION_LABELS

SCHEMA_VERSION = 2  # 2: kind (note | decision) and detail
NOTE_MAX_CHARS = 2000
AUTHOR_MAX_CHARS = 64
TAG_MAX_CHARS = 20
TAGS_MAX = 20
TARGET_MAX_CHARS = 200
MIN_SIZE_M = 1.0  # a shape smaller than this is a slip of the mouse (and rounds away on export)
SUGGESTED_TAGS = ("拟选址", "待核实", "意见", "用地", "交通", "更正")
BUSY_TIMEOUT_MS = 30_000  # writers wait for each other instead of failing
GEOMETRY_TYPES = {"Point", "LineString", "Polygon", "MultiPoint", "MultiLineString",
                  "MultiPolygon"}
COLUMNS = ["id", "note", "author", "tags", "status", "target", "created_at", "updated_at",
           "version", "kind", "detail"]
# what a row of the store is: a planner's annotation, or a review decision about a project
KINDS = ("note", "decision")
MENTION_MAX_CHARS = 100
_CONTROL = {"Cc", "Cf", "Cs", "Co", "Cn"}


def target_of(value) -> str:
    """An annotation's 更正对象 as text, '' for a plain annotation (a missing target reads back
    as None or, in a frame that holds some targets, NaN: neither is a target)."""
    return value if isinstance(value, str) else ""


class AnnotationError(ValueError):
    """Input that cannot be stored, or a write that is not allowed; the message says why.
    Nothing was written."""


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


# --------------------------------------------------------------------------- validation

def clean_text(value, field: str, max_chars: int, required: bool = False) -> str:
    """Plain text: NFC, control and format characters removed (newlines and tabs kept),
    trimmed, length-limited. HTML is kept as typed; it is escaped where it is shown."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise AnnotationError(f"{field}必须是文本")
    text = unicodedata.normalize("NFC", value)
    text = "".join(ch for ch in text
                   if ch in "\n\t" or unicodedata.category(ch) not in _CONTROL).strip()
    if required and not text:
        raise AnnotationError(f"{field}不能为空")
    if len(text) > max_chars:
        raise AnnotationError(f"{field}过长：{len(text)} 字，上限 {max_chars} 字")
    return text


def clean_tags(tags) -> list[str]:
    if tags is None:
        return []
    if isinstance(tags, str) or not hasattr(tags, "__iter__"):
        raise AnnotationError("标签必须是文本列表")
    out: list[str] = []
    for tag in tags:
        tag = clean_text(tag, "标签", TAG_MAX_CHARS)
        if tag and tag not in out:
            out.append(tag)
    if len(out) > TAGS_MAX:
        raise AnnotationError(f"标签过多：{len(out)} 个，上限 {TAGS_MAX} 个")
    return out


def clean_status(status) -> str:
    if status not in NOTE_STATUSES or status == "deleted":
        allowed = "、".join(f"{s}（{NOTE_STATUS_LABELS[s]}）" for s in NOTE_STATUSES if s != "deleted")
        raise AnnotationError(f"状态只能是：{allowed}")
    return status


def clean_geometry(geometry):
    """A shapely geometry from a shapely object or a GeoJSON geometry dict, checked: a known
    type, finite WGS84 lon/lat, not empty; an invalid shape is repaired if the repair keeps
    its kind, else refused."""
    try:
        geom = geometry if isinstance(geometry, shapely.Geometry) else shape(geometry)
    except Exception as e:  # shapely raises many kinds for malformed GeoJSON
        raise AnnotationError(f"几何无法读取：{e}") from e
    if geom.geom_type not in GEOMETRY_TYPES:
        raise AnnotationError(f"不支持的几何类型：{geom.geom_type}")
    if geom.is_empty:
        raise AnnotationError("几何为空")
    coords = shapely.get_coordinates(geom)
    if not (abs(coords[:, 0]) <= 180).all() or not (abs(coords[:, 1]) <= 90).all():
        raise AnnotationError("坐标超出经纬度范围：须为 WGS84 经度、纬度（不是投影坐标）")
    if shapely.has_z(geom):
        geom = shapely.force_2d(geom)
    polygons = getattr(geom, "geoms", [geom]) if "Polygon" in geom.geom_type else []
    if any(len(ring.coords) < 4 for p in polygons for ring in [p.exterior, *p.interiors]):
        raise AnnotationError("多边形的环须至少 4 个点（首尾相同），文件中有空的或残缺的环")
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        repaired = shapely.make_valid(geom)
        kind = geom.geom_type.replace("Multi", "")
        parts = [g for g in getattr(repaired, "geoms", [repaired]) if kind in g.geom_type]
        if not parts:
            raise AnnotationError(f"几何无效且无法修复：{reason}")
        repaired = shapely.union_all(parts) if len(parts) > 1 else parts[0]
        if repaired.is_empty or not repaired.is_valid:
            raise AnnotationError(f"几何无效且无法修复：{reason}")
        geom = repaired
    size = _size_m(geom)
    if size is not None and size < MIN_SIZE_M:
        raise AnnotationError(f"图形过小（不足 {MIN_SIZE_M:g} 米），可能是误点，请重画")
    return geom


def _size_m(geom) -> float | None:
    """A line's length or a polygon's equivalent side, in metres (None for points)."""
    from geo.crs import project_geometry

    if "Polygon" in geom.geom_type:
        return project_geometry(geom).area ** 0.5
    if "LineString" in geom.geom_type:
        return project_geometry(geom).length
    return None


@dataclass(frozen=True)
class Version:
    version: int
    author: str
    at: str
    action: str  # add | update | delete | restore | import
    changes: dict


def clean_decision(detail, geometry) -> dict:
    """A review decision's detail, checked with its geometry: ``decision`` is place (a
    gazetteer place, ``place_id``), point (pointed on the map) or none (no place: no
    geometry); ``mention`` is the place name in the plan it settles, if any (it becomes a
    gazetteer entry)."""
    detail = dict(detail or {})
    decision = detail.get("decision")
    if decision not in REVIEW_DECISION_LABELS:
        raise AnnotationError(f"未知的审核决定：{decision!r}（可选：{'、'.join(REVIEW_DECISION_LABELS)}）")
    out = {"decision": decision,
           "mention": clean_text(detail.get("mention"), "地名", MENTION_MAX_CHARS)}
    if decision == "none":
        if geometry is not None:
            raise AnnotationError("“无需定位”的决定没有位置")
        return out
    if geometry is None:
        raise AnnotationError("请给出位置：地名库中的地点或地图上的一点")
    if decision == "place":
        out["place_id"] = clean_text(detail.get("place_id"), "地点", TARGET_MAX_CHARS,
                                     required=True)
    if decision == "point" and detail.get("precision_m") is not None:
        try:
            precision = float(detail["precision_m"])
        except (TypeError, ValueError) as e:
            raise AnnotationError("精度须为米数") from e
        if not 0 < precision <= 50_000:
            raise AnnotationError("精度须在 0 至 50 公里之间")
        out["precision_m"] = precision
    return out
