"""Coordinates and geometry: datums, metric CRS, administrative boundaries."""

from geo.crs import METRIC_CRS, STORAGE_CRS, buffer_m, distance_m, equivalent_radius_m
from geo.datum import convert, convert_geometry

__all__ = [
    "METRIC_CRS",
    "STORAGE_CRS",
    "buffer_m",
    "convert",
    "convert_geometry",
    "distance_m",
    "equivalent_radius_m",
]
