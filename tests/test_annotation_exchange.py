"""Annotation exchange: export (GeoJSON / GeoPackage), checked GeoJSON import (limits, CRS,
GCJ-02 on request, all or nothing) fuzzed with Hypothesis, and planners' corrections.

Store-level tests run on SQLite and on PostGIS through the ``location``/``store`` fixtures of
``tests/test_annotations.py`` (PostGIS from PLANMAP_TEST_POSTGIS_URL, else skipped). The
property tests wipe the one store of their test before every example; PostGIS gets fewer
examples than SQLite.

The inputs fuzzing found mishandled (a huge integer, a malformed crs, an empty ring, a
sub-metre shape) have tests of their own below.
"""

import json
import math
import pathlib
import re

import geojson
import geopandas as gpd
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, Polygon, box

from geo.crs import distance_m
from geo.datum import convert, convert_geometry
from layers.export import read_gpkg
from layers.notes.corrections import CORRECTION_COLUMNS, apply_corrections, corrections
from layers.notes.exchange import (
    CONVERTED_DATUMS,
    IMPORT_MAX_BYTES,
    IMPORT_MAX_FEATURES,
    WGS84_CRS_NAMES,
    read_geojson_annotations,
)
from layers.notes.model import GEOMETRY_TYPES, NOTE_MAX_CHARS, AnnotationError, clean_text
from layers.notes.store import AnnotationStore
from layers.schema import NOTE_STATUSES
from tests import test_annotations as base

# The fixtures of tests/test_annotations.py, found by pytest under these names: ``location``
# is a fresh SQLite path or the emptied PostGIS URL, ``store`` an AnnotationStore there.
location = base.location
store = base.store

CHINESE = re.compile(r"[\u4e00-\u9fff]")
IMPORTER = "王工"
CQ = (106.55, 29.57)  # Chongqing, inside the GCJ-02 area


# --------------------------------------------------------------------------- helpers

def fc(features, **members) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": features, **members},
                      ensure_ascii=False).encode()


def feature(geometry, **properties) -> dict:
    if isinstance(geometry, shapely.Geometry):
        geometry = shapely.geometry.mapping(geometry)
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def point(lon=CQ[0], lat=CQ[1], **properties) -> dict:
    return feature({"type": "Point", "coordinates": [lon, lat]}, **properties)


def none_if_na(value):
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def wipe(store) -> None:
    store._db.write(lambda run: [run("DELETE FROM history"), run("DELETE FROM annotations")])


def stored(store) -> gpd.GeoDataFrame:
    return store.list(include_deleted=True)


def fresh_store(location, tmp_path) -> AnnotationStore:
    """Another empty store on the same kind of database."""
    if str(location).startswith("postgresql://"):
        base.empty_postgis(location)
        return AnnotationStore(location)
    return AnnotationStore(tmp_path / "other.sqlite")


def assert_refused(store, payload, *fragments, datum="wgs84") -> str:
    """The import raises AnnotationError whose message holds every fragment; nothing stored."""
    with pytest.raises(AnnotationError) as info:
        store.import_geojson(payload, author=IMPORTER, datum=datum)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    assert len(stored(store)) == 0
    return message


def check_import(store, payload, datum="wgs84"):
    """The fuzz invariant. Either AnnotationError with a Chinese message and an empty store,
    or success with every feature stored as a valid 2-D WGS84 geometry by the importer; any
    other exception propagates and fails the property. Returns the frame, or the error."""
    wipe(store)
    try:
        ids = store.import_geojson(payload, author=IMPORTER, datum=datum)
    except AnnotationError as e:
        message = str(e)
        event("refused: " + re.sub(r"[：:].*", "", re.sub(r"^第 \d+ (个要素|条)：", "", message)))
        assert message.strip() and CHINESE.search(message), repr(message)
        assert len(stored(store)) == 0, message
        return e
    event(f"imported {len(ids)}")
    frame = stored(store)
    assert len(ids) >= 1 and sorted(frame["id"]) == sorted(ids)
    for geom in frame.geometry:
        assert geom.geom_type in GEOMETRY_TYPES and not geom.is_empty
        assert geom.is_valid, shapely.is_valid_reason(geom)
        assert not shapely.has_z(geom)
        coords = shapely.get_coordinates(geom)
        assert (abs(coords[:, 0]) <= 180).all() and (abs(coords[:, 1]) <= 90).all()
    assert set(frame["author"]) == {IMPORTER}
    assert set(frame["status"]) <= {"open", "resolved"}
    assert store.integrity_ok()
    return frame


def run_property(store, strategy, check, sqlite_examples=80, postgis_examples=25):
    """``check(store, example)`` for examples of ``strategy``; @given and a function-scoped
    fixture do not mix, so the test's one store is wiped by ``check`` before each example."""
    examples = sqlite_examples if store.kind == "sqlite" else postgis_examples

    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(strategy)
    def prop(example):
        check(store, example)

    prop()


# --------------------------------------------------------------------------- 1. round trip

NOTES = {
    "point": "用地待核实\n第二行：<img src=x onerror=alert(1)>",
    "line": "道路走向\t待定",
    "polygon": "地块边界（顺时针画的）",
    "deleted": "已作废",
}


def _fill(store):
    ids = {
        "point": store.add(Point(106.551234, 29.571234), NOTES["point"], "张工",
                           tags=["拟选址", "待核实"], target="p-xxx"),
        "line": store.add(LineString([(106.50, 29.50), (106.52, 29.51), (106.53, 29.55)]),
                          NOTES["line"], "李工", tags=["交通"]),
        # clockwise on purpose: RFC 7946 wants the exterior counter-clockwise
        "polygon": store.add(Polygon([(106.60, 29.60), (106.60, 29.62), (106.63, 29.62),
                                      (106.63, 29.60)]), NOTES["polygon"], "张工"),
        "deleted": store.add(Point(106.7, 29.7), NOTES["deleted"], "李工", tags=["意见"]),
    }
    store.update(ids["line"], author="李工", status="resolved")
    store.delete(ids["deleted"], author="李工")
    return ids


def test_export_geojson_is_rfc7946_with_every_field(store, tmp_path):
    ids = _fill(store)
    live = store.list().set_index("id")
    path = store.export(tmp_path / "out" / "annotations.geojson")
    assert path == tmp_path / "out" / "annotations.geojson"
    text = path.read_text(encoding="utf-8")
    assert geojson.loads(text).is_valid
    data = json.loads(text)
    assert data["type"] == "FeatureCollection" and "crs" not in data
    assert "\\u" not in text and "用地待核实" in text  # UTF-8, not escapes
    by_id = {f["id"]: f for f in data["features"]}
    assert set(by_id) == {ids["point"], ids["line"], ids["polygon"]}  # no deleted one
    for aid, feat in by_id.items():
        props = feat["properties"]
        row = live.loc[aid]
        assert props["id"] == aid
        for column in ("note", "author", "status", "created_at", "updated_at"):
            assert props[column] == row[column], column
        assert props["tags"] == row["tags"] and props["version"] == row["version"]
        assert props["target"] == none_if_na(row["target"])
        geom = shapely.geometry.shape(feat["geometry"])
        assert geom.geom_type == row.geometry.geom_type
        coords = shapely.get_coordinates(geom)
        assert (abs(coords[:, 0] - 106.6) < 0.2).all() and (abs(coords[:, 1] - 29.6) < 0.2).all()
        assert all(round(c, 7) == c for c in coords.ravel())  # ≤ 7 decimals
        assert shapely.normalize(geom).equals_exact(shapely.normalize(row.geometry), 1e-7)
    assert by_id[ids["point"]]["properties"]["note"] == NOTES["point"]
    assert by_id[ids["point"]]["properties"]["target"] == "p-xxx"
    assert by_id[ids["point"]]["properties"]["tags"] == ["拟选址", "待核实"]
    assert by_id[ids["line"]]["properties"]["status"] == "resolved"
    assert by_id[ids["line"]]["properties"]["version"] == 2
    ring = shapely.geometry.shape(by_id[ids["polygon"]]["geometry"]).exterior
    assert ring.is_ccw and not live.loc[ids["polygon"]].geometry.exterior.is_ccw

    everything = json.loads(store.export(tmp_path / "all.json", include_deleted=True)
                            .read_text(encoding="utf-8"))
    statuses = {f["id"]: f["properties"]["status"] for f in everything["features"]}
    assert len(statuses) == 4 and statuses[ids["deleted"]] == "deleted"


def test_export_import_round_trip(store, location, tmp_path):
    ids = _fill(store)
    original = store.list().set_index("id")
    path = store.export(tmp_path / "annotations.geojson")
    with_deleted = store.export(tmp_path / "all.geojson", include_deleted=True)
    other = fresh_store(location, tmp_path)  # on PostGIS: the same database, emptied
    assert len(stored(other)) == 0
    new_ids = other.import_geojson(path, author=IMPORTER)
    assert len(new_ids) == 3 and not set(new_ids) & set(ids.values())
    imported = stored(other).set_index("note")
    assert sorted(imported.index) == sorted(NOTES[k] for k in ("point", "line", "polygon"))
    for aid, row in original.iterrows():
        got = imported.loc[row["note"]]
        assert got["tags"] == row["tags"] and got["status"] == row["status"]
        assert none_if_na(got["target"]) == none_if_na(row["target"])
        assert got["author"] == IMPORTER != row["author"]
        assert got["version"] == 1 and got["created_at"] > row["created_at"]
        assert shapely.normalize(got.geometry).equals_exact(shapely.normalize(row.geometry),
                                                            1e-6), aid
        (version,) = other.history(got["id"])
        assert version.action == "import" and version.author == IMPORTER
        assert version.changes["note"] == row["note"] and version.changes["status"] == row["status"]
    assert imported.loc[NOTES["point"], "target"] == "p-xxx"
    assert imported.loc[NOTES["line"], "status"] == "resolved"
    assert other.integrity_ok()

    # a file with the deleted one too: it comes back open, not deleted
    wipe(other)
    assert len(other.import_geojson(with_deleted, author=IMPORTER)) == 4
    assert stored(other).set_index("note").loc[NOTES["deleted"], "status"] == "open"


def test_export_gpkg(store, tmp_path):
    ids = _fill(store)
    live = store.list().set_index("id")
    path = store.export(tmp_path / "annotations.gpkg")
    frame = gpd.read_file(path, layer="annotations")
    assert frame.crs.to_epsg() == 4326
    assert sorted(frame["id"]) == sorted(live.index) and ids["deleted"] not in set(frame["id"])
    assert set(frame.columns) == {"id", "note", "author", "tags", "status", "target",
                                  "created_at", "updated_at", "version", "geometry"}
    for _, row in frame.iterrows():
        want = live.loc[row["id"]]
        for column in ("note", "author", "status", "created_at", "updated_at", "version"):
            assert row[column] == want[column], column
        assert json.loads(row["tags"]) == want["tags"]  # GeoPackage has no list type
        assert none_if_na(row["target"]) == none_if_na(want["target"])
        assert row.geometry.equals_exact(want.geometry, 0)  # full precision, as stored
    decoded = read_gpkg(path, "annotations").set_index("id")
    assert decoded.loc[ids["point"], "tags"] == ["拟选址", "待核实"]
    assert decoded.loc[ids["point"], "note"] == NOTES["point"]


@pytest.mark.parametrize("name, shown", [("annotations.csv", ".csv"), ("annotations", "无扩展名"),
                                         ("a.shp", ".shp")])
def test_export_to_an_unknown_format_is_refused(store, tmp_path, name, shown):
    store.add(Point(*CQ), "x", "甲")
    with pytest.raises(AnnotationError, match="不支持的导出格式") as info:
        store.export(tmp_path / name)
    assert shown in str(info.value)
    assert not (tmp_path / name).exists()


# --------------------------------------------------------------------------- 2. GCJ-02

def test_gcj02_import_is_converted_only_when_asked(store):
    lon, lat = CQ
    g_lon, g_lat = convert(lon, lat, "wgs84", "gcj02")
    shape_wgs = box(106.50, 29.50, 106.52, 29.52)
    shape_gcj = convert_geometry(shape_wgs, "wgs84", "gcj02")
    payload = fc([point(g_lon, g_lat, note="点"), feature(shape_gcj, note="面")])

    store.import_geojson(payload, author=IMPORTER, datum="gcj02")
    got = stored(store).set_index("note")
    p = got.loc["点"].geometry
    assert distance_m(lon, lat, p.x, p.y) < 0.5
    ring = shapely.get_coordinates(got.loc["面"].geometry)
    want = shapely.get_coordinates(shape_wgs)
    assert len(ring) == len(want)
    assert distance_m(ring[:, 0], ring[:, 1], want[:, 0], want[:, 1]).max() < 0.5

    wipe(store)
    store.import_geojson(payload, author=IMPORTER)  # default: the file is taken as WGS84
    got = stored(store).set_index("note")
    p = got.loc["点"].geometry
    assert (p.x, p.y) == pytest.approx((g_lon, g_lat), abs=1e-12)  # kept as given
    assert 400 < distance_m(lon, lat, p.x, p.y) < 600  # the GCJ-02 offset, ~480 m here
    ring = shapely.get_coordinates(got.loc["面"].geometry)
    assert distance_m(ring[:, 0], ring[:, 1], want[:, 0], want[:, 1]).min() > 400

    wipe(store)
    assert_refused(store, payload, "未知坐标系", "bd09", datum="bd09")


# --------------------------------------------------------------------------- 3. refusals

@pytest.mark.parametrize("crs", [
    {"type": "name", "properties": {"name": "EPSG:4214"}},  # Beijing 1954: another datum
    {"type": "name", "properties": {"name": "EPSG:2435"}},  # Beijing 1954 / 3-degree GK
    {"type": "name", "properties": {"name": "EPSG:999999"}},
    {"type": "name", "properties": {"name": "不是坐标系"}},
    {"type": "name", "properties": {"name": ""}},
    {"type": "name", "properties": {"name": 4326}},
    {"type": "name", "properties": {}},
    {"type": "EPSG", "properties": {"code": 4326}},
    {},
    [],
    "EPSG:4326",
    42,
])
def test_a_foreign_or_garbage_crs_is_refused(store, crs):
    assert_refused(store, fc([point()], crs=crs), "坐标系", "WGS84")


def crs_member(name: str) -> dict:
    return {"type": "name", "properties": {"name": name}}


@pytest.mark.parametrize("name", ["EPSG:4545", "urn:ogc:def:crs:EPSG::4545", "EPSG:32648",
                                  "EPSG:3857", "EPSG:4490"])
def test_a_cgcs2000_or_projected_wgs84_file_is_converted(store, name):
    """Issue 17 (8): a planner's GIS exports CGCS2000 / 3-degree Gauss-Kruger CM 108E
    (EPSG:4545, what the city's surveys use); the import refused it."""
    from pyproj import Transformer

    to_file = Transformer.from_crs("EPSG:4326", name, always_xy=True)
    wanzhou, fuling = (108.408, 30.807), (107.390, 29.703)
    line = [list(to_file.transform(*wanzhou)), list(to_file.transform(*fuling))]
    store.import_geojson(fc([feature({"type": "LineString", "coordinates": line}, note="万涪")],
                            crs=crs_member(name)), author=IMPORTER)
    (row,) = stored(store).itertuples()
    (lon0, lat0), (lon1, lat1) = row.geometry.coords
    # back in WGS84 within a metre (CGCS2000 and WGS84 differ by centimetres)
    assert distance_m(lon0, lat0, *wanzhou) < 1 and distance_m(lon1, lat1, *fuling) < 1


def test_numbers_that_do_not_fit_the_declared_crs_are_refused(store):
    # lon/lat numbers in a file that says Web Mercator would land at 0°, 0°
    message = assert_refused(store, fc([point()], crs=crs_member("EPSG:3857")),
                             "第 1 个要素", "不在重庆市范围内", "EPSG:3857")
    assert "坐标系不符" in message
    assert_refused(store, fc([point()], crs=crs_member("EPSG:4545")), "不在重庆市范围内")
    # a declared CRS is read as it says: not shifted again as GCJ-02
    assert_refused(store, fc([point(500000, 3300000)], crs=crs_member("EPSG:4545")),
                   "请选 WGS84", datum="gcj02")


def test_every_problem_of_a_file_is_reported_at_once(store):
    """The README says each problem is reported with its feature's number; only the first
    was."""
    bad = [point(), point(500000, 3300000), point(), {"type": "Feature", "properties": {}},
           point(-200, 29)]
    message = assert_refused(store, fc(bad), "3 个要素有问题", "第 2 个要素", "第 4 个要素",
                             "第 5 个要素", "缺少几何")
    assert "第 1 个要素" not in message and "第 3 个要素" not in message
    many = assert_refused(store, fc([point(500000, 3300000)] * 30), "30 个要素有问题")
    assert "第 20 个要素" in many and "第 21 个要素" not in many and "另有 10 个" in many


@pytest.mark.parametrize("name", ["urn:ogc:def:crs:OGC:1.3:CRS84", "EPSG:4326", " epsg:4326 ",
                                  "urn:ogc:def:crs:EPSG::4326"])
def test_a_wgs84_crs_member_is_accepted(store, name):
    store.import_geojson(fc([point()], crs={"type": "name", "properties": {"name": name}}),
                         author=IMPORTER)
    assert len(stored(store)) == 1


@pytest.mark.parametrize("geometry", [
    {"type": "Point", "coordinates": [500000, 3300000]},
    {"type": "LineString", "coordinates": [[500000, 3300000], [501000, 3301000]]},
    {"type": "Polygon", "coordinates": [[[5e5, 3.3e6], [5.1e5, 3.3e6], [5.1e5, 3.31e6],
                                         [5e5, 3.3e6]]]},
    {"type": "Point", "coordinates": [106.5, 95]},
    {"type": "Point", "coordinates": [-181, 29]},
    {"type": "Point", "coordinates": [math.nan, 29]},  # Python's json reads NaN, Infinity
    {"type": "LineString", "coordinates": [[106, 29], [math.inf, 29]]},
    {"type": "Polygon", "coordinates": [[[106, 29], [107, 29], [107, -math.inf], [106, 29]]]},
])
def test_projected_or_out_of_range_coordinates_are_refused(store, geometry):
    assert_refused(store, fc([feature(geometry)]), "第 1 个要素", "经纬度")
    assert_refused(store, json.dumps(geometry).encode(), "经纬度")  # a bare geometry too


def test_a_file_over_the_size_limit_is_refused(store, tmp_path, monkeypatch):
    head = fc([point(note="刚好")])
    exact = head + b" " * (IMPORT_MAX_BYTES - len(head))
    assert len(exact) == IMPORT_MAX_BYTES
    assert_refused(store, exact + b" ", "过大")
    assert_refused(store, bytearray(exact + b"\n"), "过大")
    big = tmp_path / "big.geojson"
    big.write_bytes(exact + b" ")
    sparse = tmp_path / "sparse.geojson"
    with sparse.open("wb") as f:
        f.truncate(IMPORT_MAX_BYTES * 4)

    def no_reading(*args, **kwargs):
        raise AssertionError("a file over the limit was read")

    with monkeypatch.context() as m:
        m.setattr(pathlib.Path, "read_bytes", no_reading)
        m.setattr(pathlib.Path, "read_text", no_reading)
        m.setattr(pathlib.Path, "open", no_reading)
        assert_refused(store, big, "过大")
        assert_refused(store, str(sparse), "过大", "20.0 MB")
    # exactly at the limit is fine, as bytes and as a file
    assert len(store.import_geojson(exact, author=IMPORTER)) == 1
    (tmp_path / "exact.geojson").write_bytes(exact)
    assert len(store.import_geojson(tmp_path / "exact.geojson", author=IMPORTER)) == 1
    with pytest.raises(AnnotationError, match="找不到文件"):
        store.import_geojson(tmp_path / "nope.geojson", author=IMPORTER)


def test_too_many_features_are_refused(store):
    features = [point(106 + i / 1e4, 29.5) for i in range(IMPORT_MAX_FEATURES + 1)]
    message = assert_refused(store, fc(features), "过多")
    assert str(IMPORT_MAX_FEATURES + 1) in message and str(IMPORT_MAX_FEATURES) in message


def test_exactly_the_feature_limit_is_read():
    features = [point(106 + i / 1e4, 29.5) for i in range(IMPORT_MAX_FEATURES)]
    assert len(read_geojson_annotations(fc(features))) == IMPORT_MAX_FEATURES


HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "javascript:alert(document.cookie)",
    '<a href="javascript:alert(1)">点我</a>',
    "\"'><svg/onload=alert(1)>",
    "{{7*7}} ${7*7} %s %n",
    "e\u0301 NFC，\u200b零宽\x07响铃\u202e反向\n  第二行\t制表  ",  # cleaned, not dropped
]


def test_html_and_js_are_stored_verbatim_as_plain_text(store):
    features = [point(106.5 + i / 100, 29.5, note=note, tags=["<b>标签</b>"],
                      target="javascript:alert(1)") for i, note in enumerate(HOSTILE)]
    store.import_geojson(fc(features), author=IMPORTER)
    frame = stored(store)
    assert sorted(frame["note"]) == sorted(clean_text(n, "备注", NOTE_MAX_CHARS) for n in HOSTILE)
    assert set(HOSTILE[:6]) < set(frame["note"])  # no escaping, no stripping of tags
    assert "é NFC，零宽响铃反向\n  第二行\t制表" in set(frame["note"])
    assert all(t == ["<b>标签</b>"] for t in frame["tags"])
    assert set(frame["target"]) == {"javascript:alert(1)"}


def test_a_note_over_the_limit_is_refused_and_nothing_stored(store):
    ok = "字" * NOTE_MAX_CHARS
    payload = fc([point(note="好"), point(note=ok), point(note=ok + "多")])
    message = assert_refused(store, payload, "过长", "第 3 条", str(NOTE_MAX_CHARS + 1))
    assert CHINESE.search(message)
    store.import_geojson(fc([point(note=ok + "  \n")]), author=IMPORTER)  # trimmed to the limit
    assert list(stored(store)["note"]) == [ok]


BAD_FEATURES = [  # (bad feature, where the message says it is, what it says)
    (feature({"type": "Point", "coordinates": [1e6, 0]}), "第 3 个要素", "经纬度"),
    (feature(None), "第 3 个要素", "缺少几何"),
    ({"type": "Feature", "properties": {}}, "第 3 个要素", "缺少几何"),
    (feature({"type": "Circle", "coordinates": [106, 29]}), "第 3 个要素", "几何"),
    (feature({"type": "GeometryCollection", "geometries": []}), "第 3 个要素", "不支持"),
    (feature({"type": "Polygon", "coordinates": [[[106, 29], [107, 30], [106, 29]]]}),
     "第 3 个要素", "几何无效"),
    ({"type": "Feature", "geometry": point()["geometry"], "properties": ["x"]}, "第 3 个要素",
     "properties"),
    ({"type": "Point", "coordinates": [106, 29]}, "第 3 个要素", "不是 Feature"),
    ("Feature", "第 3 个要素", "不是 Feature"),
    # field problems are found by add_many, whose messages say 第 N 条 (see the report)
    (point(status="closed"), "第 3 条", "状态只能是"),
    (point(target=12345), "第 3 条", "目标必须是文本"),
    (point(tags=[1, 2]), "第 3 条", "标签必须是文本"),
    (point(tags=[f"t{i}" for i in range(30)]), "第 3 条", "标签过多"),
    (point(tags="、".join(f"t{i}" for i in range(21))), "第 3 条", "标签过多"),
]


@pytest.mark.parametrize("bad, where, why", BAD_FEATURES)
def test_one_bad_feature_stores_nothing(store, bad, where, why):
    good = [point(106.5, 29.5, note="一"), point(106.6, 29.6, note="二")]
    assert_refused(store, fc([*good, bad, point(note="四")]), where, why)
    assert len(store.import_geojson(fc(good), author=IMPORTER)) == 2  # the good ones are fine


@pytest.mark.parametrize("payload, why", [
    (b"", "JSON"),
    (b"\xff\xfe{}", "UTF-8"),
    (b"{\"type\": ", "JSON"),
    (b"[" * 100_000, "嵌套过深"),
    (b"[]", "不是 GeoJSON"),
    (b'{"type": "Topology"}', "不是 GeoJSON"),
    (b'{"type": "FeatureCollection"}', "features"),
    (b'{"type": "FeatureCollection", "features": {}}', "features"),
    (b'{"type": "FeatureCollection", "features": []}', "没有要素"),
])
def test_not_geojson_is_refused(store, payload, why):
    assert_refused(store, payload, why)


# --------------------------------------------------------------------------- 3. fuzz corpus

JSON_SCALARS = (st.none() | st.booleans() | st.integers() | st.text(max_size=12)
                | st.floats(allow_nan=True, allow_infinity=True))
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids,
                                                              max_size=4),
    max_leaves=16)
LON = st.floats(-180, 180, allow_nan=False)
LAT = st.floats(-90, 90, allow_nan=False)
ODD_NUMBER = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(),
    st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -1e308, 10 ** 30, 2 ** 64,
                     500000, 3300000, 180.0000001, -90.0000001, 0, -0.0]))
ODD_COORD = ODD_NUMBER | st.text(max_size=6) | st.none() | st.booleans()
POSITION = st.one_of(st.tuples(LON, LAT).map(list), st.tuples(LON, LAT, ODD_NUMBER).map(list),
                     st.lists(ODD_COORD, max_size=4))
COORDINATES = st.recursive(POSITION, lambda kids: st.lists(kids, max_size=5), max_leaves=24)
TYPE_NAMES = st.sampled_from([*sorted(GEOMETRY_TYPES), "GeometryCollection", "Circle", "point",
                              "Feature", "FeatureCollection", ""])


@st.composite
def good_geometries(draw):
    kind = draw(st.sampled_from(["Point", "LineString", "Polygon", "MultiPoint"]))
    # on a 1e-4° grid (about 10 m): distinct points are far enough apart for a line or a
    # polygon to clear the store's 1 m minimum
    grid = st.tuples(st.floats(106, 107).map(lambda v: round(v, 4)),
                     st.floats(29, 30).map(lambda v: round(v, 4)))
    pts = draw(st.lists(grid, min_size=2, max_size=6, unique=True))
    if kind == "Point":
        return {"type": kind, "coordinates": list(pts[0])}
    if kind == "LineString":
        return {"type": kind, "coordinates": [list(p) for p in pts]}
    if kind == "MultiPoint":
        return {"type": kind, "coordinates": [list(p) for p in pts]}
    (x0, y0), (x1, y1) = pts[:2]
    if abs(x0 - x1) < 1e-4 or abs(y0 - y1) < 1e-4:
        x1, y1 = x0 + 0.01, y0 + 0.01
    return shapely.geometry.mapping(box(x0, y0, x1, y1))


GEOMETRIES = st.one_of(
    good_geometries(),
    st.fixed_dictionaries({"type": TYPE_NAMES, "coordinates": COORDINATES | JSON_VALUES}),
    st.fixed_dictionaries({"type": TYPE_NAMES}),
    st.fixed_dictionaries({"type": st.just("GeometryCollection"),
                           "geometries": st.lists(good_geometries(), max_size=2)}),
    JSON_VALUES,
)
PROPERTIES = st.one_of(
    st.none(), JSON_VALUES,
    st.fixed_dictionaries({}, optional={
        "note": st.text(max_size=40) | JSON_VALUES,
        "备注": st.text(max_size=40),
        "name": JSON_SCALARS,
        "tags": st.lists(st.text(max_size=25), max_size=25) | st.text(max_size=40) | JSON_VALUES,
        "status": st.sampled_from([*NOTE_STATUSES, "closed", "", "OPEN"]) | JSON_VALUES,
        "target": st.text(max_size=30) | JSON_VALUES,
    }),
)
FEATURES = st.one_of(
    st.fixed_dictionaries({"type": st.just("Feature"), "geometry": good_geometries(),
                           "properties": PROPERTIES}),
    st.fixed_dictionaries({"type": st.just("Feature"), "geometry": GEOMETRIES,
                           "properties": PROPERTIES}),
    st.fixed_dictionaries({"type": st.sampled_from(["Feature", "feature", "Point"])},
                          optional={"geometry": GEOMETRIES, "properties": PROPERTIES}),
    JSON_VALUES,
)
CRS_NAMES = st.one_of(
    st.sampled_from(["EPSG:3857", "EPSG:4490", "EPSG:4545", "EPSG:32648",
                     "urn:ogc:def:crs:EPSG::3857", *sorted(WGS84_CRS_NAMES), "EPSG:4326 ",
                     "EPSG：4326"]),
    st.text(max_size=20), JSON_SCALARS)
CRS = st.one_of(
    st.fixed_dictionaries({"type": st.just("name"),
                           "properties": st.fixed_dictionaries({"name": CRS_NAMES})}),
    JSON_VALUES)
COLLECTIONS = st.one_of(
    st.fixed_dictionaries({"type": st.just("FeatureCollection"),
                           "features": st.lists(FEATURES, min_size=1, max_size=4)}),
    st.fixed_dictionaries({"type": st.just("FeatureCollection"),
                           "features": st.lists(FEATURES, max_size=3), "crs": CRS}),
    FEATURES,
    GEOMETRIES,
    st.fixed_dictionaries(
        {"type": st.sampled_from(["FeatureCollection", "Feature", "Point", "featurecollection"])},
        optional={"features": JSON_VALUES, "crs": CRS, "geometry": GEOMETRIES,
                  "coordinates": COORDINATES, "properties": PROPERTIES}),
)


def test_fuzz_random_bytes(store):
    prefixes = st.sampled_from([b"", b"\xef\xbb\xbf", b'{"type": "FeatureCollection", ',
                                b'{"type":"Feature","geometry":{"type":"Point","coordinates":['])
    tails = st.binary(max_size=200) | st.text(max_size=100).map(str.encode)
    payloads = st.builds(lambda p, b: p + b, prefixes, tails)
    run_property(store, payloads, check_import, 100, 30)


def test_fuzz_random_json(store):
    payloads = JSON_VALUES.map(lambda v: json.dumps(v).encode())
    run_property(store, payloads, check_import, 100, 30)


def test_fuzz_broken_feature_collections(store):
    def check(store, value):
        result = check_import(store, json.dumps(value, ensure_ascii=False).encode())
        if not isinstance(result, AnnotationError) and value.get("type") == "FeatureCollection":
            assert len(result) == len(value["features"])  # every feature, or none

    run_property(store, COLLECTIONS, check, 100, 30)


def test_fuzz_broken_geometries(store):
    odd = st.fixed_dictionaries({"type": TYPE_NAMES, "coordinates": COORDINATES})

    def check(store, geometry):
        result = check_import(store, fc([feature(geometry, note="几何")]))
        if isinstance(result, AnnotationError):
            assert str(result).startswith("第 1 个要素")

    run_property(store, odd, check, 100, 30)


def test_fuzz_crs_members(store):
    def check(store, name):
        payload = fc([point()], crs={"type": "name", "properties": {"name": name}})
        result = check_import(store, payload)
        if isinstance(name, str) and name.strip().lower() in WGS84_CRS_NAMES:
            assert not isinstance(result, AnnotationError), result
        elif isinstance(result, AnnotationError):
            assert "坐标系" in str(result)
        else:  # accepted only as lon/lat on a datum the import converts (CGCS2000, WGS84)
            from pyproj import CRS

            declared = CRS.from_user_input(name.strip())
            assert declared.is_geographic, name
            assert declared.geodetic_crs.datum.name in CONVERTED_DATUMS, name

    run_property(store, CRS_NAMES, check, 60, 20)


@st.composite
def bow_ties(draw):
    """Self-intersecting rings around Chongqing: a classic bow tie, or random vertex orders."""
    x = draw(st.floats(106, 107))
    y = draw(st.floats(29, 30))
    w = draw(st.floats(1e-4, 0.1))
    h = draw(st.floats(1e-4, 0.1))
    if draw(st.booleans()):
        ring = [(x, y), (x + w, y + h), (x + w, y), (x, y + h)]
    else:
        ring = draw(st.lists(st.tuples(st.floats(x, x + w), st.floats(y, y + h)), min_size=3,
                             max_size=8))
    return [list(p) for p in ring] + [list(ring[0])]


def test_fuzz_self_intersecting_polygons(store):
    def check(store, ring):
        result = check_import(store, fc([feature({"type": "Polygon", "coordinates": [ring]})]))
        if isinstance(result, AnnotationError):
            assert "第 1 个要素" in str(result)
            return
        (geom,) = result.geometry
        assert geom.geom_type in ("Polygon", "MultiPolygon") and geom.area > 0
        assert geom.area == pytest.approx(shapely.make_valid(Polygon(ring)).area, rel=1e-6)

    run_property(store, bow_ties(), check, 100, 30)


def test_a_bow_tie_is_repaired_not_refused(store):
    x, y, w, h = 106.5, 29.5, 0.02, 0.01
    ring = [[x, y], [x + w, y + h], [x + w, y], [x, y + h], [x, y]]
    assert not Polygon(ring).is_valid
    store.import_geojson(fc([feature({"type": "Polygon", "coordinates": [ring]})]),
                         author=IMPORTER)
    (geom,) = stored(store).geometry
    assert geom.is_valid and geom.geom_type == "MultiPolygon" and len(geom.geoms) == 2
    assert geom.area == pytest.approx(w * h / 2, rel=1e-9)
    assert store.integrity_ok()


def test_fuzz_one_bad_feature_among_good_ones(store):
    bad = st.sampled_from([b for b, where, _ in BAD_FEATURES if "要素" in where])
    cases = st.tuples(st.lists(good_geometries(), min_size=1, max_size=5), bad,
                      st.integers(0, 5))

    def check(store, case):
        goods, bad_feature, at = case
        features = [feature(g, note=f"好{i}") for i, g in enumerate(goods)]
        at = min(at, len(features))
        features.insert(at, bad_feature)
        result = check_import(store, fc(features))
        assert isinstance(result, AnnotationError)
        assert str(result).startswith(f"第 {at + 1} 个要素")

    run_property(store, cases, check, 60, 20)


def test_fuzz_notes_are_kept_as_plain_text(store):
    notes = st.one_of(st.text(max_size=60),
                      st.sampled_from(HOSTILE),
                      st.lists(st.sampled_from(HOSTILE + ["\n", "\u200b", "\x00", "漢字"]),
                               max_size=6).map("".join))

    def check(store, note):
        result = check_import(store, fc([point(note=note)]))
        assert not isinstance(result, AnnotationError), result
        assert list(result["note"]) == [clean_text(note, "备注", NOTE_MAX_CHARS)]

    run_property(store, notes, check, 80, 25)


# --------------------------------------------------------------------------- found by fuzzing

def test_a_huge_json_integer_is_an_annotation_error():
    payload = b'{"type": "Point", "coordinates": [' + b"1" * 5000 + b", 29]}"
    with pytest.raises(AnnotationError, match="GeoJSON"):
        read_geojson_annotations(payload)


@pytest.mark.parametrize("properties", ["EPSG:3857", None, ["EPSG:4326"]])
def test_a_crs_with_non_object_properties_is_an_annotation_error(properties):
    with pytest.raises(AnnotationError, match="坐标系"):
        read_geojson_annotations(fc([point()], crs={"type": "name", "properties": properties}))


def test_a_too_long_path_is_an_annotation_error():
    with pytest.raises(AnnotationError, match="文件"):
        read_geojson_annotations("x" * 5000)


def test_an_empty_interior_ring_is_refused_on_both_databases(store):
    shell = [[106.5, 29.5], [106.6, 29.5], [106.6, 29.6], [106.5, 29.5]]
    with pytest.raises(AnnotationError, match="第 1 个要素.*环"):
        store.import_geojson(fc([feature({"type": "Polygon", "coordinates": [shell, []]})]),
                             author=IMPORTER)
    assert len(store.list(include_deleted=True)) == 0


def test_a_slip_of_the_mouse_is_refused_and_a_small_plot_exports_validly(store, location,
                                                                         tmp_path):
    with pytest.raises(AnnotationError, match="过小"):
        store.add(box(106.5, 29.5, 106.5 + 1e-9, 29.5 + 1e-9), "误点", "甲")
    with pytest.raises(AnnotationError, match="过小"):
        store.add(LineString([(106.5, 29.5), (106.5 + 1e-7, 29.5)]), "误点", "甲")
    plot = box(106.5, 29.5, 106.5 + 2e-5, 29.5 + 2e-5)  # about 2 m × 2 m: kept
    store.add(plot, "小地块", "甲")
    path = store.export(tmp_path / "small.geojson")
    assert geojson.loads(path.read_text("utf-8")).is_valid
    assert len(fresh_store(location, tmp_path).import_geojson(path, author=IMPORTER)) == 1


# --------------------------------------------------------------------------- 4. corrections

def test_corrections_keep_the_newest_live_annotation_per_target(store):
    old = store.add(Point(106.1, 29.1), "旧位置", "张工", target="p-1")
    new = store.add(Point(106.2, 29.2), "新位置", "李工", target="p-1")
    kept = store.add(Point(106.3, 29.3), "保留", "张工", target="p-2")
    dropped = store.add(Point(106.4, 29.4), "撤回", "李工", target="p-2")
    store.delete(dropped, author="李工")
    gone = store.add(Point(106.5, 29.5), "全删", "张工", target="p-3")
    store.delete(gone, author="张工")
    done = store.add(box(106.6, 29.6, 106.7, 29.7), "已核", "李工", target="p-4")
    store.update(done, author="李工", status="resolved")
    store.add(Point(106.8, 29.8), "无目标", "张工")

    for frame in (store.list(), store.list(include_deleted=True)):
        fixes = corrections(frame)
        assert sorted(fixes.index) == ["p-1", "p-2", "p-4"]
        assert fixes.loc["p-1", "id"] == new and fixes.loc["p-2", "id"] == kept
        assert fixes.loc["p-4", "id"] == done and fixes.loc["p-4", "target"] == "p-4"
        assert old not in set(fixes["id"])
    assert len(corrections(stored(store).iloc[0:0])) == 0


def test_apply_corrections_replaces_only_targeted_geometries(store):
    fix1 = store.add(box(106.0, 29.0, 106.1, 29.1), "边界修正", "张工", target="p-1")
    fix3 = store.add(Point(106.33, 29.33), "位置修正", "李工", target="p-3")
    store.add(Point(107, 30), "别的图层", "李工", target="q-9")
    layer = gpd.GeoDataFrame(
        {"id": ["p-1", "p-2", "p-3"], "name": ["一", "二", "三"]},
        geometry=[Point(106.05, 29.05), Point(106.2, 29.2), Point(106.3, 29.3)],
        crs="EPSG:4326", index=[10, 20, 30])
    before = layer.copy(deep=True)
    fixes = corrections(store.list())

    out = apply_corrections(layer, fixes)
    pd.testing.assert_frame_equal(layer, before)  # the input is kept
    assert list(layer.columns) == ["id", "name", "geometry"]
    assert list(out.columns) == ["id", "name", "geometry", *CORRECTION_COLUMNS]
    assert list(out.index) == [10, 20, 30] and list(out["name"]) == ["一", "二", "三"]
    assert out.crs == layer.crs
    assert out.loc[10].geometry.equals(box(106.0, 29.0, 106.1, 29.1))
    assert out.loc[20].geometry.equals(Point(106.2, 29.2))
    assert out.loc[30].geometry.equals(Point(106.33, 29.33))
    rows = fixes.set_index("id")
    assert out.loc[10, "corrected_by"] == "张工" and out.loc[30, "corrected_by"] == "李工"
    assert out.loc[10, "correction_note"] == "边界修正" and out.loc[30, "correction_id"] == fix3
    assert out.loc[10, "correction_id"] == fix1
    assert out.loc[10, "corrected_at"] == rows.loc[fix1, "updated_at"][:10]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", out.loc[30, "corrected_at"])
    assert all(out.loc[20, c] is None for c in CORRECTION_COLUMNS)

    untouched = apply_corrections(layer, fixes.iloc[0:0])
    assert all(untouched[c].isna().all() for c in CORRECTION_COLUMNS)
    assert list(untouched.geometry) == list(layer.geometry)
