"""The embedded annotation store: versions, soft delete, validation, concurrency, crashes."""

import multiprocessing
import os
import signal
import sqlite3
import time

import pytest
from shapely.geometry import Point, Polygon, box

from layers.annotations import NOTE_MAX_CHARS, AnnotationError, AnnotationStore


@pytest.fixture
def store(tmp_path):
    return AnnotationStore(tmp_path / "a.sqlite")


def test_add_get_update_history(store):
    aid = store.add(Point(106.55, 29.57), "用地待核实", "张工", tags=["待核实", "拟选址"],
                    target="place:c-guoyuangang")
    got = store.get(aid)
    assert got["note"] == "用地待核实" and got["author"] == "张工"
    assert got["tags"] == ["待核实", "拟选址"] and got["status"] == "open"
    assert got["geometry"].equals(Point(106.55, 29.57)) and got["version"] == 1
    assert store.update(aid, author="张工", note="已核实", status="resolved") == 2
    assert store.update(aid, author="张工", geometry=box(106.5, 29.5, 106.6, 29.6)) == 3
    history = store.history(aid)
    assert [v.action for v in history] == ["add", "update", "update"]
    assert history[1].changes == {"note": "已核实", "status": "resolved"}
    assert "geometry" in history[2].changes and all(v.author == "张工" for v in history)
    assert store.get(aid)["geometry"].geom_type == "Polygon"
    assert store.integrity_ok()


def test_soft_delete_and_restore(store):
    aid = store.add(Point(106.5, 29.5), "x", "李工")
    store.delete(aid, author="李工")
    assert store.get(aid)["status"] == "deleted"
    assert list(store.list()["id"]) == []
    assert list(store.list(include_deleted=True)["id"]) == [aid]
    with pytest.raises(AnnotationError, match="已删除"):
        store.update(aid, author="李工", note="y")
    store.restore(aid, author="李工")
    assert list(store.list()["id"]) == [aid]
    assert [v.action for v in store.history(aid)] == ["add", "delete", "restore"]


def test_only_the_author_writes(store):
    aid = store.add(Point(106.5, 29.5), "x", "李工")
    for call in (lambda: store.update(aid, author="王工", note="改"),
                 lambda: store.delete(aid, author="王工")):
        with pytest.raises(AnnotationError, match="作者本人"):
            call()
    assert store.get(aid)["version"] == 1 and len(store.history(aid)) == 1


def test_list_by_bbox_and_tags(store):
    a = store.add(Point(106.5, 29.5), "a", "甲", tags=["拟选址"])
    b = store.add(Point(108.4, 30.8), "b", "甲", tags=["意见"])
    c = store.add(box(106.0, 29.0, 107.0, 30.0), "c", "甲")
    inside = store.list(bbox=(106.4, 29.4, 106.6, 29.6))
    assert set(inside["id"]) == {a, c}
    assert list(store.list(tags=["意见"])["id"]) == [b]
    frame = store.list()
    assert frame.crs.to_epsg() == 4326 and len(frame) == 3


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


def test_schema_is_versioned(tmp_path):
    path = tmp_path / "a.sqlite"
    AnnotationStore(path)
    con = sqlite3.connect(path)
    assert con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == ("1",)
    assert con.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    with pytest.raises(AnnotationError, match="比本程序"):
        AnnotationStore(path)


def _writer(path, worker, count):
    store = AnnotationStore(path)
    for i in range(count):
        aid = store.add(Point(106 + worker / 100, 29 + i / 1000), f"{worker}-{i}", f"w{worker}")
        if i % 10 == 0:
            store.update(aid, author=f"w{worker}", note=f"{worker}-{i}-改")


def test_concurrent_writers_lose_nothing(tmp_path):
    path = tmp_path / "a.sqlite"
    AnnotationStore(path)
    workers, count = 20, 100
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(path, w, count)) for w in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * workers  # no "database is locked" surfaced
    store = AnnotationStore(path)
    frame = store.list()
    assert len(frame) == workers * count
    assert set(frame["note"].str.split("-").str[:2].str.join("-")) == {
        f"{w}-{i}" for w in range(workers) for i in range(count)}
    edited = frame[frame["note"].str.endswith("改")]
    assert len(edited) == workers * count // 10
    assert all(len(store.history(a)) == 2 for a in edited["id"])
    assert store.integrity_ok()


def _slow_writer(path):
    store = AnnotationStore(path)

    def work(con):
        con.execute("INSERT INTO annotations VALUES ('half', '{}', 0, 0, 0, 0, '', 'x', '[]',"
                    " 'open', NULL, '', '', 1)")
        time.sleep(60)  # killed here, before the history row and the commit

    store._write(work)


def test_a_writer_killed_mid_transaction_leaves_the_store_consistent(tmp_path):
    path = tmp_path / "a.sqlite"
    store = AnnotationStore(path)
    kept = store.add(Point(106.5, 29.5), "kept", "甲")
    ctx = multiprocessing.get_context("spawn")
    proc = ctx.Process(target=_slow_writer, args=(path,))
    proc.start()
    time.sleep(3)
    os.kill(proc.pid, signal.SIGKILL)
    proc.join(10)
    store = AnnotationStore(path)
    assert store.integrity_ok()
    assert store.get("half") is None
    assert list(store.list()["id"]) == [kept]
    assert store.add(Point(106.6, 29.6), "after", "甲")  # the lock was released
