"""The shapes of the places that are lines or areas.

A place row always has a representative point (lon/lat). A district's or the municipality's
shape is its polygon in ``data/boundaries``; every other line or area is a feature of
``data/gazetteer/shapes.geojson`` with the place's id, written by ``python -m gazetteer build``.
Shapes load on first use: matching and scanning never need them.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from shapely.geometry import Point, mapping, shape

from gazetteer.places import GAZETTEER_DIR, DataError, Place

SHAPES_FILE = GAZETTEER_DIR / "shapes.geojson"
COORDINATE_DECIMALS = 6  # ~0.1 m, far below any source's accuracy


@lru_cache(maxsize=4)
def load_shapes(path: Path = SHAPES_FILE) -> dict[str, object]:
    """{place id: shapely geometry (WGS84)}; empty when the file does not exist."""
    if not Path(path).exists():
        return {}
    try:
        with open(path, encoding="utf-8") as fh:
            features = json.load(fh)["features"]
        return {f["id"]: shape(f["geometry"]) for f in features}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DataError(f"{Path(path).name} 无法读取（{exc}）：运行 python -m gazetteer build 重建") \
            from exc


def write_shapes(shapes: dict[str, tuple[object, dict]], path: Path = SHAPES_FILE) -> None:
    """``shapes``: {place id: (geometry, properties)}."""
    import shapely

    features = []
    for pid, (geometry, props) in sorted(shapes.items()):
        geometry = shapely.set_precision(geometry, 10 ** -COORDINATE_DECIMALS)
        features.append({"type": "Feature", "id": pid, "properties": props,
                         "geometry": mapping(geometry)})
    with open(path, "w", encoding="utf-8") as fh:
        json.dump({"type": "FeatureCollection", "features": features}, fh, ensure_ascii=False,
                  separators=(",", ":"))
        fh.write("\n")
    load_shapes.cache_clear()


def shape_of(place: Place, directory: Path = GAZETTEER_DIR):
    """The place's geometry: its polygon, line, or (a point place) its point."""
    if place.kind in ("district", "municipality"):
        from geo.boundaries import former_districts, load_districts

        code = place.id.removeprefix("d-")  # a former district keeps its own old polygon
        for d in (*former_districts(), *load_districts()):
            if d.adcode == code:
                return d.geometry
    if place.geometry != "point":
        found = load_shapes(Path(directory) / SHAPES_FILE.name).get(place.id)
        if found is not None:
            return found
    return Point(place.lon, place.lat)


_GEOJSON: dict[tuple[str, str], dict] = {}


def geojson_of(place: Place) -> dict:
    """The place's shape as a GeoJSON geometry, made once per place (a district's polygon has
    thousands of vertices; geocode answers it many times). Treat it as read-only."""
    key = (place.id, place.file)
    found = _GEOJSON.get(key)
    if found is None:
        found = _GEOJSON[key] = mapping(shape_of(place))
    return found


def representative_point(geometry) -> tuple[float, float]:
    """A point on a line (its middle along its length) or inside an area, as (lon, lat)."""
    if geometry.geom_type in ("LineString", "MultiLineString"):
        import shapely

        merged = shapely.line_merge(geometry) if geometry.geom_type == "MultiLineString" \
            else geometry
        parts = list(getattr(merged, "geoms", [merged]))
        longest = max(parts, key=lambda g: g.length)
        p = longest.interpolate(0.5, normalized=True)
    else:
        from shapely.ops import polylabel

        largest = max(getattr(geometry, "geoms", [geometry]), key=lambda g: g.area)
        p = polylabel(largest, tolerance=0.001)
    return round(p.x, COORDINATE_DECIMALS), round(p.y, COORDINATE_DECIMALS)
