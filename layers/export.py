"""Writing layers: RFC 7946 GeoJSON for exchange, GeoPackage inside the build folder.

GeoJSON here means what RFC 7946 says: WGS84 lon/lat, polygons wound counter-clockwise on
the outside (right-hand rule), no ``crs`` member, and — our choice — at most 7 decimals
(~1 cm), with Chinese written as UTF-8 rather than \\u escapes. Null geometries stay null:
an unlocated project is still a feature.

Columns that hold lists or mappings (doc_ids, sections, places …) are JSON arrays/objects in
GeoJSON and JSON text in GeoPackage, which has no list type; ``read_gpkg`` turns them back.
"""

from __future__ import annotations

import json
import math
import os
import uuid
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from layers.schema import EXPORT_DATUM_LABELS, JSON_COLUMNS, STORAGE_CRS, in_plan_order

COORD_DECIMALS = 7


def _is_nested(value) -> bool:
    return isinstance(value, (list, tuple, dict))


def plain_value(value):
    """A JSON-ready property value (numpy scalars, NaN → None)."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (list, tuple, dict, str)):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, tuple):
        return [plain_value(v) for v in value]
    if isinstance(value, list):
        return [plain_value(v) for v in value]
    if isinstance(value, dict):
        return {k: plain_value(v) for k, v in value.items()}
    return value


def rfc7946_geometries(geometries, decimals: int = COORD_DECIMALS) -> list[str | None]:
    """GeoJSON text of each geometry: ≤ ``decimals`` decimals, exteriors counter-clockwise; None stays
    None. Vectorised: rounding can fold a thin ring onto itself, so only the geometries it
    leaves invalid are snapped again with ``set_precision``, which keeps them valid."""
    geoms = np.array(list(geometries), dtype=object)
    present = np.array([g is not None and not g.is_empty for g in geoms], dtype=bool)
    out: list[str | None] = [None] * len(geoms)
    if not present.any():
        return out
    todo = geoms[present]
    rounded = shapely.transform(todo, lambda c: np.round(c, decimals))
    broken = ~shapely.is_valid(rounded) & shapely.is_valid(todo)
    if broken.any():
        rounded[broken] = shapely.set_precision(todo[broken], 10 ** -decimals)
    rounded = shapely.orient_polygons(rounded, exterior_cw=False)
    for i, text in zip(np.flatnonzero(present), shapely.to_geojson(rounded), strict=True):
        out[i] = text
    return out


def geojson_text(frame: gpd.GeoDataFrame, name: str = "", extra: dict | None = None,
                 decimals: int = COORD_DECIMALS) -> str:
    """A FeatureCollection of ``frame`` (converted to WGS84 if it is not) as UTF-8 JSON text;
    ``decimals`` below 7 only for display (5 decimals ≈ 1 m)."""
    if frame.crs is not None and frame.crs != STORAGE_CRS:
        frame = frame.to_crs(STORAGE_CRS)
    columns = [c for c in frame.columns if c != frame.geometry.name]
    geometries = rfc7946_geometries(frame.geometry, decimals)
    head = {"type": "FeatureCollection"}
    if name:
        head["name"] = name
    head.update(extra or {})
    parts = []
    for row, geometry in zip(frame[columns].itertuples(index=False, name=None), geometries,
                             strict=True):
        props = {c: plain_value(v) for c, v in zip(columns, row, strict=True)}
        fid = props.get("id")
        parts.append('{"type":"Feature",'
                     + (f'"id":{_dumps(fid)},' if fid is not None else "")
                     + f'"geometry":{geometry or "null"},"properties":{_dumps(props)}}}')
    return _dumps(head)[:-1] + ',"features":[' + ",".join(parts) + "]}"


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def geojson_dict(frame: gpd.GeoDataFrame, name: str = "", extra: dict | None = None,
                 decimals: int = COORD_DECIMALS) -> dict:
    """The same FeatureCollection as a dict."""
    return json.loads(geojson_text(frame, name=name, extra=extra, decimals=decimals))


def write_geojson(frame: gpd.GeoDataFrame, path: Path | str, name: str = "",
                  extra: dict | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = geojson_text(frame, name=name, extra=extra)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)  # readers never see half a file
    return path


def nested_columns(frame, layer: str = "") -> list[str]:
    """The schema's JSON columns of ``layer`` and any other column holding lists or mappings."""
    declared = [c for c in JSON_COLUMNS.get(layer, ()) if c in frame.columns]
    return declared + [c for c in frame.columns if c != frame.geometry.name
                       and c not in declared and frame[c].map(_is_nested).any()]


def _json_column_text(value) -> str:
    try:  # the common case, plain Python values: ten times faster than walking them first
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):  # numpy scalars, NaN
        return json.dumps(plain_value(value), ensure_ascii=False)


def _partial(path: Path) -> Path:
    # a name of this process's own: two processes building at once (the app server and a test
    # run, say) each write a whole file, and the last complete one wins
    return path.with_name(f"{path.stem}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}{path.suffix}")


def _as_stored(frame: gpd.GeoDataFrame, layer: str) -> tuple[gpd.GeoDataFrame, list[str]]:
    """(a copy of ``frame`` with its lists and mappings as JSON text, those columns)."""
    out = frame.copy()
    nested = nested_columns(out, layer)
    for c in nested:
        out[c] = out[c].map(_json_column_text)
    out.attrs = {}
    return out, nested


def write_gpkg(layers: dict[str, gpd.GeoDataFrame], path: Path | str,
               description: dict | None = None) -> Path:
    """Write every layer into one GeoPackage, replacing the file atomically; ``description``
    goes into each layer's DESCRIPTION beside the list of JSON columns."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _partial(path)
    try:
        for layer, frame in layers.items():
            out, nested = _as_stored(frame, layer)
            out.to_file(tmp, layer=layer, driver="GPKG",
                        layer_options={"DESCRIPTION": json.dumps(
                            {"json_columns": nested, **(description or {})}, ensure_ascii=False)})
        tmp.replace(path)
    finally:  # a write that failed leaves no part behind
        tmp.unlink(missing_ok=True)
    return path


def update_gpkg(path: Path | str, layer: str, rows: gpd.GeoDataFrame, removed) -> Path:
    """Replace ``layer``'s rows whose id is in ``removed`` by ``rows`` (appended, so they come
    last), in a copy of the GeoPackage written by ``write_gpkg`` that then replaces it whole:
    adding one plan to hundreds rewrites its projects, not the file's every row."""
    import shutil
    import sqlite3

    import pyogrio

    path = Path(path)
    tmp = _partial(path)
    shutil.copyfile(path, tmp)
    try:
        with sqlite3.connect(tmp) as db:  # GDAL's triggers keep the R-tree and the feature count
            db.executemany(f'DELETE FROM "{layer}" WHERE id = ?', [(i,) for i in sorted(removed)])
        db.close()
        if len(rows):
            info = pyogrio.read_info(tmp, layer=layer)
            pyogrio.write_dataframe(_as_stored(rows, layer)[0], tmp, layer=layer, driver="GPKG",
                                    append=True, geometry_type=info["geometry_type"])
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def read_gpkg(path: Path | str, layer: str) -> gpd.GeoDataFrame:
    """A layer written by ``write_gpkg``, with its JSON columns decoded."""
    import pyogrio

    frame = gpd.read_file(path, layer=layer)
    info = pyogrio.read_info(path, layer=layer)
    description = (info.get("layer_metadata") or {}).get("DESCRIPTION", "")
    nested = json.loads(description).get("json_columns", []) if description else []
    for c in nested:
        if c in frame.columns:
            frame[c] = frame[c].map(lambda v: json.loads(v) if isinstance(v, str) else v)
    if layer == "projects" and len(frame) and "sources" in frame.columns:
        frame = in_plan_order(frame)
    return frame


FORMATS = ("geojson", "gpkg")


def to_datum(frame: gpd.GeoDataFrame, datum: str) -> gpd.GeoDataFrame:
    """A copy of a WGS84 layer with every vertex moved to ``datum`` (for display tools only)."""
    if datum == "wgs84":
        return frame
    from geo.datum import convert_geometry

    out = frame.copy()
    out[out.geometry.name] = [None if g is None else convert_geometry(g, "wgs84", datum)
                              for g in frame.geometry]
    return out


def export_layers(layers: dict[str, gpd.GeoDataFrame], out: Path | str,
                  fmt: str = "geojson", datum: str = "wgs84") -> list[Path]:
    """Write layers for exchange: one GeoJSON per layer (``out`` is the file for one layer,
    a folder for several) or one GeoPackage holding them all. Returns the files written."""
    if fmt not in FORMATS:
        raise ValueError(f"未知格式：{fmt}（可选：{'、'.join(FORMATS)}）")
    if datum not in EXPORT_DATUM_LABELS:
        raise ValueError(f"未知坐标系：{datum}（可选：{'、'.join(EXPORT_DATUM_LABELS)}）")
    out = Path(out)
    label = {"coordinate_system": EXPORT_DATUM_LABELS[datum]}
    moved = {name: to_datum(frame, datum) for name, frame in layers.items()}
    if fmt == "gpkg":
        return [write_gpkg(moved, out, description=label)]
    if len(moved) == 1:
        (name, frame), = moved.items()
        return [write_geojson(frame, out, name=name, extra=label)]
    out.mkdir(parents=True, exist_ok=True)
    return [write_geojson(frame, out / f"{name}.geojson", name=name, extra=label)
            for name, frame in moved.items()]
