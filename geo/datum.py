"""WGS84 ↔ GCJ-02 ↔ BD-09, vectorised with numpy.

GCJ-02 (Amap, Tencent) and BD-09 (Baidu) exist only at the edges of this product: data
imported from those services and tiles shown from them. Everything stored is WGS84.

The forward GCJ-02 transform is the published obfuscation formula (Krasovsky ellipsoid
constants); it has no closed-form inverse, so ``gcj02_to_wgs84`` iterates the forward
transform until the round trip is below ``INVERSE_TOLERANCE_DEG`` (~1 cm).
All functions take scalars or arrays of lon and lat and return ``(lon, lat)`` of the same shape.
"""

from __future__ import annotations

import numpy as np

_A = 6378245.0  # semi-major axis of the Krasovsky 1940 ellipsoid used by GCJ-02
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0  # BD-09's rotation constant
INVERSE_TOLERANCE_DEG = 1e-7  # ≈ 1 cm at Chongqing's latitude
_MAX_ITERATIONS = 30


def in_china(lon, lat):
    """True where GCJ-02 applies (the rough mainland bounding box every implementation uses)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def _offset(lon, lat):
    x = lon - 105.0
    y = lat - 35.0
    sq = np.sqrt(np.abs(x))
    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sq
    d_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sq
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    d_lat += common
    d_lon += common
    d_lat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    d_lat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    d_lon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    d_lon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return d_lon, d_lat


def _as_arrays(lon, lat):
    lon_a = np.asarray(lon, dtype=float)
    lat_a = np.asarray(lat, dtype=float)
    lon_a, lat_a = np.broadcast_arrays(lon_a, lat_a)
    return lon_a, lat_a


def _like_input(lon, lat, out_lon, out_lat):
    if np.ndim(lon) == 0 and np.ndim(lat) == 0:
        return float(out_lon), float(out_lat)
    return out_lon, out_lat


def wgs84_to_gcj02(lon, lat):
    lon_a, lat_a = _as_arrays(lon, lat)
    d_lon, d_lat = _offset(lon_a, lat_a)
    inside = in_china(lon_a, lat_a)
    return _like_input(
        lon, lat, np.where(inside, lon_a + d_lon, lon_a), np.where(inside, lat_a + d_lat, lat_a)
    )


def _invert(forward, lon, lat):
    """Solve forward(w) = target for w by fixed-point iteration (the map is a near-identity)."""
    target_lon, target_lat = _as_arrays(lon, lat)
    w_lon, w_lat = target_lon.copy(), target_lat.copy()
    for _ in range(_MAX_ITERATIONS):
        f_lon, f_lat = forward(w_lon, w_lat)
        e_lon, e_lat = f_lon - target_lon, f_lat - target_lat
        w_lon = w_lon - e_lon
        w_lat = w_lat - e_lat
        if np.all(np.abs(e_lon) < INVERSE_TOLERANCE_DEG) and np.all(
            np.abs(e_lat) < INVERSE_TOLERANCE_DEG
        ):
            break
    return _like_input(lon, lat, w_lon, w_lat)


def gcj02_to_wgs84(lon, lat):
    return _invert(wgs84_to_gcj02, lon, lat)


def gcj02_to_bd09(lon, lat):
    lon_a, lat_a = _as_arrays(lon, lat)
    z = np.sqrt(lon_a * lon_a + lat_a * lat_a) + 0.00002 * np.sin(lat_a * _X_PI)
    theta = np.arctan2(lat_a, lon_a) + 0.000003 * np.cos(lon_a * _X_PI)
    return _like_input(lon, lat, z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006)


def bd09_to_gcj02(lon, lat):
    return _invert(gcj02_to_bd09, lon, lat)


def wgs84_to_bd09(lon, lat):
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon, lat):
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


# One table so callers name datums rather than functions: CONVERTERS[(src, dst)](lon, lat).
CONVERTERS = {
    ("wgs84", "gcj02"): wgs84_to_gcj02,
    ("gcj02", "wgs84"): gcj02_to_wgs84,
    ("gcj02", "bd09"): gcj02_to_bd09,
    ("bd09", "gcj02"): bd09_to_gcj02,
    ("wgs84", "bd09"): wgs84_to_bd09,
    ("bd09", "wgs84"): bd09_to_wgs84,
}
DATUMS = ("wgs84", "gcj02", "bd09")


def convert(lon, lat, src: str, dst: str):
    """Convert lon/lat between the datums named in ``DATUMS``."""
    src, dst = src.lower(), dst.lower()
    if src not in DATUMS or dst not in DATUMS:
        raise ValueError(f"未知坐标系：{src} → {dst}（支持 {', '.join(DATUMS)}）")
    if src == dst:
        return _like_input(lon, lat, *_as_arrays(lon, lat))
    return CONVERTERS[(src, dst)](lon, lat)


def convert_geometry(geometry, src: str, dst: str):
    """Convert every vertex of a shapely geometry between datums."""
    import shapely

    if geometry is None or src == dst:
        return geometry
    coords = shapely.get_coordinates(geometry)
    if len(coords) == 0:
        return geometry
    lon, lat = convert(coords[:, 0], coords[:, 1], src, dst)
    return shapely.set_coordinates(geometry, np.column_stack([lon, lat]))
