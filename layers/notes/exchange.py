"""GeoJSON files of annotations in: validated, size-limited, WGS84 or GCJ-02 converted.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from layers.notes.model import GEOMETRY_TYPES, AnnotationError, clean_geometry
from layers.schema import IMPORT_DATUM_LABELS

IMPORT_MAX_BYTES = 5 * 1024 * 1024
IMPORT_MAX_FEATURES = 5000
# GeoJSON (RFC 7946) is WGS84 lon/lat; the 2008 draft's "crs" member may name it these ways
WGS84_CRS_NAMES = {"urn:ogc:def:crs:ogc:1.3:crs84", "urn:ogc:def:crs:ogc::crs84", "crs84",
                   "epsg:4326", "urn:ogc:def:crs:epsg::4326", "urn:ogc:def:crs:epsg:6.6:4326"}


def _note_of(props: dict):
    for key in ("note", "备注", "description", "name", "名称"):
        if props.get(key) not in (None, ""):
            return props[key] if isinstance(props[key], str) else str(props[key])
    return ""


def _tags_of(value):
    if isinstance(value, str):  # "拟选址、待核实" or "拟选址,待核实" as typed in a GIS
        return [t for t in re.split(r"[、,，;；\s]+", value) if t]
    return value


def read_geojson_annotations(path_or_bytes, datum: str = "wgs84") -> list[dict]:
    """Check a GeoJSON upload and return its annotations (geometry in WGS84, note, tags,
    status, target); ``AnnotationError`` names the first problem and where it is."""
    if datum not in IMPORT_DATUM_LABELS:
        raise AnnotationError(f"未知坐标系：{datum}（可选：{'、'.join(IMPORT_DATUM_LABELS)}）")
    limit_mb = IMPORT_MAX_BYTES / 1024 / 1024
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        raw = bytes(path_or_bytes)
    else:
        path = Path(path_or_bytes)
        try:
            size = path.stat().st_size if path.is_file() else None
            if size is not None and size <= IMPORT_MAX_BYTES:
                raw = path.read_bytes()
        except OSError as e:
            raise AnnotationError(f"无法读取文件：{e.strerror or e}") from e
        if size is None:
            raise AnnotationError(f"找不到文件：{str(path)[:200]}")
        if size > IMPORT_MAX_BYTES:
            raise AnnotationError(f"文件过大：{size / 1024 / 1024:.1f} MB，上限 {limit_mb:.0f} MB")
    if len(raw) > IMPORT_MAX_BYTES:
        raise AnnotationError(f"文件过大：{len(raw) / 1024 / 1024:.1f} MB，上限 {limit_mb:.0f} MB")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise AnnotationError(f"文件不是 UTF-8 编码的文本（第 {e.start + 1} 字节）") from e
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise AnnotationError(f"不是合法的 JSON：第 {e.lineno} 行第 {e.colno} 列，{e.msg}") from e
    except RecursionError as e:
        raise AnnotationError("不是合法的 GeoJSON：嵌套过深") from e
    except ValueError as e:  # e.g. an integer of thousands of digits
        raise AnnotationError(f"不是合法的 GeoJSON：{str(e)[:120]}") from e
    if not isinstance(data, dict) or data.get("type") not in (
            "FeatureCollection", "Feature", *GEOMETRY_TYPES):
        raise AnnotationError("不是 GeoJSON：顶层须为 FeatureCollection、Feature 或几何对象")
    crs = data.get("crs")
    if crs is not None:
        props = crs.get("properties") if isinstance(crs, dict) else None
        name = props.get("name") if isinstance(props, dict) else None
        if not isinstance(name, str) or name.strip().lower() not in WGS84_CRS_NAMES:
            raise AnnotationError(f"坐标系为 {name if isinstance(name, str) else crs!r}："
                                  "只接受 WGS84 经纬度（EPSG:4326 / CRS84），请先在 GIS 中转换")
    if data["type"] == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list):
            raise AnnotationError("FeatureCollection 缺少 features 列表")
    elif data["type"] == "Feature":
        features = [data]
    else:
        features = [{"type": "Feature", "geometry": data, "properties": {}}]
    if not features:
        raise AnnotationError("文件中没有要素")
    if len(features) > IMPORT_MAX_FEATURES:
        raise AnnotationError(f"要素过多：{len(features)} 个，上限 {IMPORT_MAX_FEATURES} 个")
    items = []
    for n, feature in enumerate(features, 1):
        try:
            if not isinstance(feature, dict) or feature.get("type") != "Feature":
                raise AnnotationError("不是 Feature 对象")
            props = feature.get("properties") or {}
            if not isinstance(props, dict):
                raise AnnotationError("properties 须为对象")
            if feature.get("geometry") is None:
                raise AnnotationError("缺少几何")
            geom = clean_geometry(feature["geometry"])
            if datum != "wgs84":
                from geo.datum import convert_geometry

                geom = clean_geometry(convert_geometry(geom, datum, "wgs84"))
            status = props.get("status") or "open"
            items.append({"geometry": geom, "note": _note_of(props),
                          "tags": _tags_of(props.get("tags")),
                          "status": "open" if status == "deleted" else status,
                          "target": props.get("target")})
        except AnnotationError as e:
            raise AnnotationError(f"第 {n} 个要素：{e}") from e
    return items
