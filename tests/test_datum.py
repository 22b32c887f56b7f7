import numpy as np
import prcoords
import pytest
import shapely
from shapely.geometry import Polygon

from geo.crs import distance_m
from geo.datum import convert, convert_geometry, gcj02_to_wgs84, wgs84_to_bd09, wgs84_to_gcj02

# A grid over Chongqing (105.2–110.3°E, 28.1–32.3°N) and a few points elsewhere in China.
LON, LAT = np.meshgrid(np.linspace(105.2, 110.3, 13), np.linspace(28.1, 32.3, 11))
LON, LAT = LON.ravel(), LAT.ravel()


def test_forward_transforms_match_independent_implementation():
    g_lon, g_lat = wgs84_to_gcj02(LON, LAT)
    b_lon, b_lat = wgs84_to_bd09(LON, LAT)
    for i in range(len(LON)):
        ref_g = prcoords.wgs_gcj((LAT[i], LON[i]))
        ref_b = prcoords.wgs_bd((LAT[i], LON[i]))
        assert g_lon[i] == pytest.approx(ref_g.lon, abs=1e-9)
        assert g_lat[i] == pytest.approx(ref_g.lat, abs=1e-9)
        assert b_lon[i] == pytest.approx(ref_b.lon, abs=1e-9)
        assert b_lat[i] == pytest.approx(ref_b.lat, abs=1e-9)


def test_gcj02_offset_in_chongqing_is_hundreds_of_metres():
    lon, lat = wgs84_to_gcj02(106.55, 29.56)
    assert 300 < distance_m(106.55, 29.56, lon, lat) < 800


@pytest.mark.parametrize("datum", ["gcj02", "bd09"])
def test_round_trip_below_half_a_metre(datum):
    lon, lat = convert(LON, LAT, "wgs84", datum)
    back_lon, back_lat = convert(lon, lat, datum, "wgs84")
    assert distance_m(LON, LAT, back_lon, back_lat).max() < 0.5


def test_inverse_is_better_than_the_one_step_approximation():
    # The common shortcut (w = g - (f(g) - g)) is off by metres; the iteration is not.
    lon, lat = wgs84_to_gcj02(LON, LAT)
    back_lon, back_lat = gcj02_to_wgs84(lon, lat)
    ref = [prcoords.gcj_wgs((la, lo)) for lo, la in zip(lon, lat, strict=True)]
    one_step = distance_m(LON, LAT, [r.lon for r in ref], [r.lat for r in ref])
    ours = distance_m(LON, LAT, back_lon, back_lat)
    assert one_step.max() > 1.0
    assert ours.max() < 0.05


def test_scalars_in_scalars_out_and_arrays_keep_shape():
    out = convert(106.5, 29.5, "wgs84", "gcj02")
    assert isinstance(out[0], float) and isinstance(out[1], float)
    arr = convert(LON.reshape(11, 13), LAT.reshape(11, 13), "wgs84", "bd09")
    assert arr[0].shape == (11, 13)


def test_outside_china_is_unchanged():
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
    assert convert(2.35, 48.85, "gcj02", "wgs84") == pytest.approx((2.35, 48.85))


def test_unknown_datum_is_a_clear_error():
    with pytest.raises(ValueError, match="未知坐标系"):
        convert(106.5, 29.5, "wgs84", "epsg:3857")


def test_convert_geometry_moves_every_vertex():
    poly = Polygon([(106.5, 29.5), (106.6, 29.5), (106.6, 29.6), (106.5, 29.5)])
    moved = convert_geometry(poly, "wgs84", "gcj02")
    before, after = shapely.get_coordinates(poly), shapely.get_coordinates(moved)
    assert before.shape == after.shape
    expected = np.column_stack(wgs84_to_gcj02(before[:, 0], before[:, 1]))
    assert np.allclose(after, expected)
