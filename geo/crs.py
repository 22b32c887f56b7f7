"""Coordinate reference systems and metric work.

Storage and exchange are WGS84 lon/lat (EPSG:4326). Distances, buffers and areas are computed
in the city profile's projected CRS (data/city.yaml; for Chongqing CGCS2000 / 3-degree
Gauss-Kruger CM 108E, EPSG:4545, whose scale error stays below 0.1 % across the municipality).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from pyproj import Transformer

from geo.city import CITY

STORAGE_CRS = "EPSG:4326"
METRIC_CRS = CITY.metric_crs


@lru_cache(maxsize=4)
def _transformer(src: str, dst: str) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


def to_metric(lon, lat):
    """Project WGS84 lon/lat (scalars or arrays) to metric x/y in ``METRIC_CRS``."""
    return _transformer(STORAGE_CRS, METRIC_CRS).transform(lon, lat)


def from_metric(x, y):
    return _transformer(METRIC_CRS, STORAGE_CRS).transform(x, y)


def distance_m(lon1, lat1, lon2, lat2):
    """Distance in metres between WGS84 points (vectorised)."""
    x1, y1 = to_metric(lon1, lat1)
    x2, y2 = to_metric(lon2, lat2)
    return np.hypot(np.subtract(x2, x1), np.subtract(y2, y1))


def project_geometry(geometry, src: str = STORAGE_CRS, dst: str = METRIC_CRS):
    import shapely

    coords = shapely.get_coordinates(geometry)
    if len(coords) == 0:
        return geometry
    x, y = _transformer(src, dst).transform(coords[:, 0], coords[:, 1])
    return shapely.set_coordinates(geometry, np.column_stack([x, y]))


def buffer_m(geometry, metres: float, resolution: int = 16):
    """Buffer a WGS84 shapely geometry by a distance in metres; returns WGS84."""
    metric = project_geometry(geometry)
    return project_geometry(metric.buffer(metres, resolution), METRIC_CRS, STORAGE_CRS)


def area_m2(geometry) -> float:
    return float(project_geometry(geometry).area)


def equivalent_radius_m(geometry) -> float:
    """Radius of the circle with the geometry's area: the honest precision of an area's point."""
    return float(np.sqrt(area_m2(geometry) / np.pi))
