"""GeoJSON files of annotations in: validated, size-limited, WGS84 or GCJ-02 converted, or in
a declared CGCS2000 / WGS84-datum CRS (高斯-克吕格 EPSG:4545, UTM…) projected to WGS84.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from layers.notes.model import GEOMETRY_TYPES, AnnotationError, clean_geometry
from layers.schema import IMPORT_DATUM_LABELS

IMPORT_MAX_BYTES = 5 * 1024 * 1024
IMPORT_MAX_FEATURES = 5000
MAX_PROBLEMS_SHOWN = 20  # a file with more is listed by its first problems and a count
# Datums whose CRSs (geographic or projected) an import converts to WGS84 lon/lat. CGCS2000
# and WGS84 agree to centimetres-decimetres, far below an annotation's precision.
CONVERTED_DATUMS = {"World Geodetic System 1984", "World Geodetic System 1984 ensemble",
                    "China 2000"}
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
    declared = _declared_crs(data.get("crs"), "crs" in data)
    if declared is not None and datum != "wgs84":
        raise AnnotationError(f"文件声明了坐标系 {declared}，不能再按 "
                              f"{IMPORT_DATUM_LABELS[datum]} 读取：请选 WGS84")
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
    items, problems = [], []
    for n, feature in enumerate(features, 1):
        try:
            if not isinstance(feature, dict) or feature.get("type") != "Feature":
                raise AnnotationError("不是 Feature 对象")
            props = feature.get("properties") or {}
            if not isinstance(props, dict):
                raise AnnotationError("properties 须为对象")
            if feature.get("geometry") is None:
                raise AnnotationError("缺少几何")
            geom = feature["geometry"]
            if declared is not None:
                geom = _to_wgs84(geom, declared)
            geom = clean_geometry(geom)
            if datum != "wgs84":
                from geo.datum import convert_geometry

                geom = clean_geometry(convert_geometry(geom, datum, "wgs84"))
            status = props.get("status") or "open"
            items.append({"geometry": geom, "note": _note_of(props),
                          "tags": _tags_of(props.get("tags")),
                          "status": "open" if status == "deleted" else status,
                          "target": props.get("target")})
        except AnnotationError as e:
            problems.append(f"第 {n} 个要素：{e}")
    if problems:  # every problem at once: the planner fixes the file in one go
        shown = "；".join(problems[:MAX_PROBLEMS_SHOWN])
        more = f"；另有 {len(problems) - MAX_PROBLEMS_SHOWN} 个" \
            if len(problems) > MAX_PROBLEMS_SHOWN else ""
        prefix = f"{len(problems)} 个要素有问题，未导入任何标注：" if len(problems) > 1 else ""
        raise AnnotationError(prefix + shown + more)
    return items


def _declared_crs(crs, present: bool) -> str | None:
    """The CRS the file's ``crs`` member (GeoJSON 2008) names, as an authority code, when it is
    not WGS84 lon/lat but one this import converts (a CGCS2000 or WGS84 datum, geographic or
    projected: 高斯-克吕格 EPSG:4545, UTM 48N…); None for WGS84 or no member."""
    if not present:
        return None
    props = crs.get("properties") if isinstance(crs, dict) else None
    name = props.get("name") if isinstance(props, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise AnnotationError(f"坐标系声明无法识别：{str(crs)[:80]}；"
                              "须为 WGS84（EPSG:4326）或 CGCS2000 等带 EPSG 代码的坐标系")
    if name.strip().lower() in WGS84_CRS_NAMES:
        return None
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        declared = CRS.from_user_input(name.strip())
    except CRSError as e:
        raise AnnotationError(f"坐标系为 {name[:80]}：无法识别，请在 GIS 中转为 WGS84"
                              "（EPSG:4326）后导入") from e
    geodetic = declared.geodetic_crs
    datum = geodetic.datum.name if geodetic is not None and geodetic.datum else ""
    authority = declared.to_authority()
    if datum not in CONVERTED_DATUMS or authority is None:
        raise AnnotationError(f"坐标系为 {name[:80]}（基准：{datum or '未知'}）：只接受 WGS84 "
                              "或 CGCS2000 基准的坐标系，请先在 GIS 中转换")
    return ":".join(authority)


def _to_wgs84(geometry: dict, declared: str):
    """A GeoJSON geometry in ``declared`` as WGS84 shapely, refused unless it lands in the
    city: numbers that do not belong to the declared CRS (lon/lat in a file that says
    EPSG:3857) would otherwise land far away, silently."""
    import shapely
    from shapely.geometry import shape

    from geo.city import CITY
    from geo.crs import STORAGE_CRS, project_geometry

    try:
        geom = shape(geometry)
    except Exception as e:  # shapely raises many kinds for malformed GeoJSON
        raise AnnotationError(f"几何无法读取：{e}") from e
    coords = shapely.get_coordinates(geom)
    if not len(coords) or not (abs(coords) < 1e8).all():
        raise AnnotationError("几何为空或坐标不是有限数值")
    geom = project_geometry(geom, declared, STORAGE_CRS)
    lons, lats = shapely.get_coordinates(geom).T
    min_lon, min_lat, max_lon, max_lat = CITY.bbox
    if not ((min_lon <= lons) & (lons <= max_lon) & (min_lat <= lats) & (lats <= max_lat)).all():
        raise AnnotationError(f"按 {declared} 换算后不在{CITY.name}范围内（如经度 {lons[0]:.4f}、"
                              f"纬度 {lats[0]:.4f}）：文件的坐标与声明的坐标系不符")
    return geom
