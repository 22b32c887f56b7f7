"""The annotation store, the same suite on the embedded SQLite file and on a real PostGIS:
versions, soft delete, roles, validation, concurrency, crashes.

PostGIS comes from PLANMAP_TEST_POSTGIS_URL (scripts/test.sh starts a server and sets it).
Without it the PostGIS half is skipped, unless PLANMAP_REQUIRE_POSTGIS is set, when it fails.
"""

import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest
from shapely.geometry import Point, Polygon, box

from layers.notes.model import NOTE_MAX_CHARS, AnnotationError
from layers.notes.store import AnnotationStore

POSTGIS_URL = os.environ.get("PLANMAP_TEST_POSTGIS_URL", "")


def empty_postgis(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        con.execute("DROP TABLE IF EXISTS history, annotations, meta")


@pytest.fixture(params=["sqlite", "postgis"])
def location(request, tmp_path):
    """Where a fresh, empty store lives: a SQLite path, or the PostGIS URL with no tables."""
    if request.param == "sqlite":
        return str(tmp_path / "a.sqlite")
    if not POSTGIS_URL:
        if os.environ.get("PLANMAP_REQUIRE_POSTGIS"):
            pytest.fail("PLANMAP_REQUIRE_POSTGIS is set but PLANMAP_TEST_POSTGIS_URL is not")
        pytest.skip("no PostGIS: set PLANMAP_TEST_POSTGIS_URL (scripts/test.sh does)")
    empty_postgis(POSTGIS_URL)
    return POSTGIS_URL


@pytest.fixture
def store(location):
    return AnnotationStore(location)


def test_add_get_update_history(store):
    aid = store.add(Point(106.55, 29.57), "用地待核实", "张工", tags=["待核实", "拟选址"],
                    target="c-guoyuangang")
    got = store.get(aid)
    assert got["note"] == "用地待核实" and got["author"] == "张工"
    assert got["tags"] == ["待核实", "拟选址"] and got["status"] == "open"
    assert got["target"] == "c-guoyuangang"
    assert got["geometry"].equals(Point(106.55, 29.57)) and got["version"] == 1
    assert store.update(aid, author="张工", note="已核实", status="resolved") == 2
    assert store.update(aid, author="张工", geometry=box(106.5, 29.5, 106.6, 29.6)) == 3
    history = store.history(aid)
    assert [v.action for v in history] == ["add", "update", "update"]
    assert history[1].changes == {"note": "已核实", "status": "resolved"}
    assert "geometry" in history[2].changes and all(v.author == "张工" for v in history)
    got = store.get(aid)
    assert got["geometry"].equals(box(106.5, 29.5, 106.6, 29.6)) and got["version"] == 3
    assert got["updated_at"] > got["created_at"]
    assert store.integrity_ok()


def test_soft_delete_and_restore(store):
    aid = store.add(Point(106.5, 29.5), "x", "李工")
    store.delete(aid, author="李工")
    assert store.get(aid)["status"] == "deleted"
    assert list(store.list()["id"]) == []
    assert list(store.list(include_deleted=True)["id"]) == [aid]
    with pytest.raises(AnnotationError, match="已删除"):
        store.update(aid, author="李工", note="y")
    with pytest.raises(AnnotationError, match="已删除"):
        store.delete(aid, author="李工")
    store.restore(aid, author="李工")
    assert list(store.list()["id"]) == [aid]
    assert [v.action for v in store.history(aid)] == ["add", "delete", "restore"]


def test_only_the_author_or_an_admin_writes(store):
    aid = store.add(Point(106.5, 29.5), "x", "李工")
    for call in (lambda: store.update(aid, author="王工", note="改"),
                 lambda: store.delete(aid, author="王工")):
        with pytest.raises(AnnotationError, match="作者本人或管理员"):
            call()
    assert store.get(aid)["version"] == 1 and len(store.history(aid)) == 1
    store.update(aid, author="管理员甲", note="管理员改", as_admin=True)
    got = store.get(aid)
    assert got["author"] == "李工" and got["note"] == "管理员改"  # the owner stays
    assert store.history(aid)[-1].author == "管理员甲"  # the history says who changed it


def test_list_filters(store):
    a = store.add(Point(106.5, 29.5), "a", "甲", tags=["拟选址"])
    b = store.add(Point(108.4, 30.8), "b", "乙", tags=["意见"])
    c = store.add(box(106.0, 29.0, 107.0, 30.0), "c", "甲")
    store.update(c, author="甲", status="resolved")
    assert set(store.list(bbox=(106.4, 29.4, 106.6, 29.6))["id"]) == {a, c}
    assert list(store.list(tags=["意见"])["id"]) == [b]
    assert list(store.list(authors=["乙"])["id"]) == [b]
    assert list(store.list(statuses=["resolved"])["id"]) == [c]
    frame = store.list()
    assert frame.crs.to_epsg() == 4326 and list(frame["id"]) == [a, b, c]
    assert sorted(store.authors()) == sorted(["甲", "乙"])


@pytest.mark.parametrize("geometry, why", [
    ({"type": "Point", "coordinates": [500000, 3300000]}, "经纬度范围"),
    ({"type": "Point"}, "无法读取"),
    ({"type": "GeometryCollection", "geometries": []}, "不支持"),
    ({"type": "Polygon", "coordinates": []}, "为空"),
    ("not geojson", "无法读取"),
])
def test_bad_geometry_is_refused_and_nothing_stored(store, geometry, why):
    with pytest.raises(AnnotationError, match=why):
        store.add(geometry, "x", "甲")
    assert len(store.list(include_deleted=True)) == 0


def test_a_bow_tie_polygon_is_repaired(store):
    bow = Polygon([(106.0, 29.0), (106.1, 29.1), (106.1, 29.0), (106.0, 29.1)])
    assert not bow.is_valid
    got = store.get(store.add(bow, "x", "甲"))["geometry"]
    assert got.is_valid and got.geom_type in ("Polygon", "MultiPolygon") and got.area > 0
    assert store.integrity_ok()


def test_text_is_kept_plain_and_bounded(store):
    note = "<img src=x onerror=alert(1)>\u200b\x07 第二行\n"
    aid = store.add(Point(106.5, 29.5), note, " 甲 ")
    got = store.get(aid)
    assert got["note"] == "<img src=x onerror=alert(1)> 第二行"  # escaped where shown
    assert got["author"] == "甲"
    with pytest.raises(AnnotationError, match="过长"):
        store.add(Point(106.5, 29.5), "字" * (NOTE_MAX_CHARS + 1), "甲")
    with pytest.raises(AnnotationError, match="作者不能为空"):
        store.add(Point(106.5, 29.5), "x", " \u200b ")
    with pytest.raises(AnnotationError, match="标签必须"):
        store.add(Point(106.5, 29.5), "x", "甲", tags="拟选址")
    with pytest.raises(AnnotationError, match="状态只能是"):
        store.add(Point(106.5, 29.5), "x", "甲", status="deleted")
    assert len(store.list(include_deleted=True)) == 1


def test_many_in_one_transaction_or_none(store):
    items = [{"geometry": Point(106.5, 29.5), "note": "一"},
             {"geometry": {"type": "Point", "coordinates": [1e6, 0]}, "note": "二"}]
    with pytest.raises(AnnotationError, match="第 2 条"):
        store.add_many(items, author="甲")
    assert len(store.list(include_deleted=True)) == 0
    ids = store.add_many(items[:1] * 3, author="甲", action="import")
    assert len(ids) == 3 and [v.action for v in store.history(ids[0])] == ["import"]


def test_schema_is_versioned(store, location):
    assert store._db.read("SELECT value FROM meta WHERE key = 'schema_version'") == [("2",)]
    if store.kind == "sqlite":
        assert store._db.read("PRAGMA journal_mode") == [("wal",)]
    AnnotationStore(location)  # opening again migrates nothing and keeps the data
    store._db.write(lambda run: run("UPDATE meta SET value = '99'"
                                    " WHERE key = 'schema_version'"))
    with pytest.raises(AnnotationError, match="比本程序"):
        AnnotationStore(location)


def _writer(location, worker, count):
    store = AnnotationStore(location)
    for i in range(count):
        aid = store.add(Point(106 + worker / 100, 29 + i / 1000), f"{worker}-{i}", f"w{worker}")
        if i % 10 == 0:
            store.update(aid, author=f"w{worker}", note=f"{worker}-{i}-改")


def test_concurrent_writers_lose_nothing(store, location):
    workers, count = 20, 100
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(location, w, count)) for w in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * workers  # no "database is locked" surfaced
    frame = store.list()
    assert len(frame) == workers * count
    assert set(frame["note"].str.split("-").str[:2].str.join("-")) == {
        f"{w}-{i}" for w in range(workers) for i in range(count)}
    edited = frame[frame["note"].str.endswith("改")]
    assert len(edited) == workers * count // 10
    assert all(len(store.history(a)) == 2 for a in edited["id"])
    assert store.integrity_ok()


def _killed_writer(location):
    def stall(*args):  # the annotation row is written; its history row and the commit never
        time.sleep(60)

    AnnotationStore._history = staticmethod(stall)
    AnnotationStore(location).add(Point(106.7, 29.7), "half", "乙")


def test_a_writer_killed_mid_transaction_leaves_the_store_consistent(store, location):
    kept = store.add(Point(106.5, 29.5), "kept", "甲")
    ctx = multiprocessing.get_context("spawn")
    proc = ctx.Process(target=_killed_writer, args=(location,))
    proc.start()
    time.sleep(4)
    assert proc.is_alive()  # it is stalled inside the transaction, not failed before it
    os.kill(proc.pid, signal.SIGKILL)
    proc.join(10)
    store = AnnotationStore(location)
    assert store.integrity_ok()
    assert list(store.list(include_deleted=True)["id"]) == [kept]  # no partial row
    assert store.add(Point(106.6, 29.6), "after", "甲")  # the lock was released


def test_an_unchanged_field_is_not_a_change(store):
    aid = store.add(Point(106.5, 29.5), "原样", "甲", tags=["意见"])
    store.update(aid, author="甲", note="原样", tags=["意见"], status="resolved", target="")
    assert store.history(aid)[-1].changes == {"status": "resolved"}
    with pytest.raises(AnnotationError, match="没有要修改"):
        store.update(aid, author="甲", note="原样", status="resolved")
    assert store.get(aid)["version"] == 2


def test_a_moved_place_moves_the_projects_drawn_from_it():
    """Issue 17 (4): correcting a place moves the projects located by it (a point at it, a
    route's stop); a project the planner corrected itself keeps its own correction."""
    import geopandas as gpd
    from shapely.geometry import LineString

    from layers.notes.corrections import apply_corrections

    places = gpd.GeoDataFrame({"id": ["c-a", "c-b"], "name": ["甲", "乙"]},
                              geometry=[Point(106.0, 29.0), Point(107.0, 30.0)], crs="EPSG:4326")
    refs = [{"id": "c-a", "status": "auto"}]
    projects = gpd.GeoDataFrame({
        "id": ["p1", "p2", "p3", "p4"], "name": ["点", "线", "他处", "自改"],
        "places": [refs, refs + [{"id": "c-b", "status": "auto"}], [{"id": "c-b", "status": "auto"}],
                   refs],
        "status": ["auto"] * 4, "geometry_kind": ["point", "line", "point", "point"],
        "precision_m": [1000.0] * 4, "reason": [""] * 4},
        geometry=[Point(106.0, 29.0), LineString([(106.0, 29.0), (107.0, 30.0)]),
                  Point(107.0, 30.0), Point(106.0, 29.0)], crs="EPSG:4326")
    fixes = gpd.GeoDataFrame({
        "id": ["n1", "n2"], "target": ["c-a", "p4"], "author": ["张工", "李工"],
        "note": ["甲在这里", "自改在这里"], "updated_at": ["2026-11-29T10:00:00"] * 2},
        geometry=[Point(106.1, 29.1), Point(105.0, 28.0)], crs="EPSG:4326").set_index(
        "target", drop=False)
    out = apply_corrections(projects, fixes, places).set_index("id")
    assert out.loc["p1"].geometry.equals(Point(106.1, 29.1))
    assert list(out.loc["p2"].geometry.coords) == [(106.1, 29.1), (107.0, 30.0)]
    assert out.loc["p3"].geometry.equals(Point(107.0, 30.0)) and out.loc["p3", "status"] == "auto"
    assert out.loc["p4"].geometry.equals(Point(105.0, 28.0))  # its own correction wins
    assert set(out.loc[["p1", "p2", "p4"], "status"]) == {"corrected"}
    assert "甲" in out.loc["p1", "correction_note"] and out.loc["p4", "corrected_by"] == "李工"


def test_a_store_lost_under_a_running_server_says_so_and_makes_no_empty_one(store, location):
    """Issue 17 (8): deleting the database under a running app gave a raw traceback (SQLite:
    "no such table", after silently creating an empty file)."""
    store.add(Point(106.5, 29.5), "在", "甲")
    if location.startswith("postgresql"):
        empty_postgis(location)  # the tables dropped by hand
        expected = "表已不存在"
    else:
        os.remove(location)
        expected = "已不存在"
    for call in (store.revision, store.list, lambda: store.add(Point(106.5, 29.5), "再", "甲")):
        with pytest.raises(AnnotationError, match=expected):
            call()
    if not location.startswith("postgresql"):
        assert not os.path.exists(location)  # no empty store in its place
        Path(location).write_bytes(b"")  # an empty file where the store was
        with pytest.raises(AnnotationError, match="无法读写"):
            store.list()
