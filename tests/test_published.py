"""The layers in a team's PostGIS: published as versions in one transaction, read back as
the GeoPackage holds them, opened by QGIS as tables with their SRID and types, and picked
up by every app server at its next rerun."""

import subprocess
import sys
import threading

import geopandas as gpd
import pytest

from layers.export import read_gpkg, write_gpkg
from layers.published import KEPT_VERSIONS, SCHEMA, LayersUnavailable, PublishedLayers
from layers.schema import LAYER_NAMES
from layers.web.current import default_catalogue, last_catalogue
from layers.web.settings import Settings
from tests.conftest import ROOT


@pytest.fixture()
def db(postgis_url):
    import psycopg

    with psycopg.connect(postgis_url, autocommit=True) as con:
        con.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
    return postgis_url


@pytest.fixture(scope="module")
def gpkg_layers(tmp_path_factory, built_layers):
    """The five plans' layers as the GeoPackage holds them (what app servers read today)."""
    path = tmp_path_factory.mktemp("gpkg") / "layers.gpkg"
    write_gpkg(built_layers, path)
    return {name: read_gpkg(path, name) for name in LAYER_NAMES}


def sql(url, query, params=()):
    import psycopg

    with psycopg.connect(url) as con:
        return con.execute(query, params).fetchall()


def test_a_published_version_reads_back_as_the_geopackage_holds_it(db, gpkg_layers):
    done = PublishedLayers(db).publish(gpkg_layers, source="test")
    assert done["version"] == 1 and done["counts"]["projects"] == len(gpkg_layers["projects"])
    version, back = PublishedLayers(db).read()
    assert version == 1
    for name, frame in gpkg_layers.items():
        got = back[name]
        assert list(got.columns) == list(frame.columns), name
        assert got.drop(columns="geometry").equals(frame.drop(columns="geometry")), name
        same = got.geometry.geom_equals_exact(frame.geometry, 0) | frame.geometry.isna()
        assert same.all() and got.crs == frame.crs, name
    # lists and mappings are JSON again, not text
    assert isinstance(back["projects"]["sources"].iloc[0], list)


# pandas asks for SQLAlchemy; a plain psycopg connection is what this test means to use
@pytest.mark.filterwarnings("ignore:pandas only supports SQLAlchemy")
def test_qgis_finds_each_layer_with_its_srid_types_columns_and_index(db, gpkg_layers):
    import psycopg

    PublishedLayers(db).publish(gpkg_layers, source="test")
    # what QGIS lists: geometry_columns, for the views it opens by name
    found = {row[0]: row[1:] for row in sql(
        db, "SELECT f_table_name, srid, type FROM geometry_columns WHERE f_table_schema = %s",
        (SCHEMA,))}
    assert found["places"] == (4326, "POINT")
    assert found["districts"] == (4326, "MULTIPOLYGON")
    assert found["projects"] == (4326, "GEOMETRY")  # points, lines and areas: one layer
    for name, frame in gpkg_layers.items():
        assert PublishedLayers(db).table_columns(name) == ["fid", *frame.columns], name
        with psycopg.connect(db) as con:  # read as a desktop GIS would, with geopandas
            view = gpd.read_postgis(f"SELECT * FROM {SCHEMA}.{name}", con, geom_col="geometry")
        assert view.crs.to_epsg() == 4326 and len(view) == len(frame)
        assert list(view["id"]) == list(frame["id"])
        indexes = sql(db, "SELECT indexdef FROM pg_indexes WHERE schemaname = %s AND "
                          "tablename = %s", (SCHEMA, f"{name}_v1"))
        assert any("USING gist (geometry)" in i for (i,) in indexes), name


def test_readers_see_a_whole_version_while_another_is_published(db, gpkg_layers):
    first = {**gpkg_layers, "projects": gpkg_layers["projects"].head(100)}
    PublishedLayers(db).publish(first, source="test")
    seen, problems = [], []
    publishing = threading.Thread(
        target=lambda: PublishedLayers(db).publish(gpkg_layers, source="test"))
    reader = PublishedLayers(db)

    def read_until_new():
        try:
            while not seen or seen[-1][0] < 2:
                version, layers = reader.read()
                seen.append((version, len(layers["projects"])))
        except Exception as problem:  # noqa: BLE001 - reported below
            problems.append(problem)

    reading = threading.Thread(target=read_until_new)
    reading.start()
    publishing.start()
    publishing.join()
    reading.join(timeout=60)
    assert not problems
    assert set(seen) <= {(1, 100), (2, len(gpkg_layers["projects"]))}
    assert seen[-1] == (2, len(gpkg_layers["projects"]))


def test_a_failed_publish_leaves_the_current_version(db, gpkg_layers, monkeypatch):
    from layers import published

    PublishedLayers(db).publish(gpkg_layers, source="test")
    write = published._write_table

    def fail_at_sectors(cur, table, frame, layer):
        if layer == "sectors":  # places and projects are written by now
            raise RuntimeError("磁盘已满")
        write(cur, table, frame, layer)

    monkeypatch.setattr(published, "_write_table", fail_at_sectors)
    with pytest.raises(RuntimeError, match="磁盘已满"):
        PublishedLayers(db).publish(gpkg_layers, source="test")
    assert PublishedLayers(db).current_version() == 1
    tables = {t for (t,) in sql(db, "SELECT tablename FROM pg_tables WHERE schemaname = %s",
                                (SCHEMA,))}
    assert tables == {f"{name}_v1" for name in LAYER_NAMES} | {"versions"}


def test_only_the_last_versions_are_kept(db, gpkg_layers):
    small = {name: frame.head(3) for name, frame in gpkg_layers.items()}
    for _ in range(KEPT_VERSIONS + 2):
        PublishedLayers(db).publish(small, source="test")
    newest = KEPT_VERSIONS + 2
    tables = {t for (t,) in sql(db, "SELECT tablename FROM pg_tables WHERE schemaname = %s",
                                (SCHEMA,))}
    kept = range(newest - KEPT_VERSIONS + 1, newest + 1)
    assert tables == {f"{n}_v{v}" for n in LAYER_NAMES for v in kept} | {"versions"}
    assert [v for (v,) in sql(db, f"SELECT version FROM {SCHEMA}.versions ORDER BY 1")] == \
        list(range(1, newest + 1))


def test_a_running_server_picks_up_a_new_version_at_its_next_rerun(db, gpkg_layers):
    publisher = PublishedLayers(db)
    publisher.publish({**gpkg_layers, "projects": gpkg_layers["projects"].head(10)}, source="t")
    before = default_catalogue(db)
    assert len(before.projects) == 10 and default_catalogue(db) is before  # read once
    publisher.publish(gpkg_layers, source="test")
    after = default_catalogue(db)
    assert after is not before and len(after.projects) == len(gpkg_layers["projects"])
    assert last_catalogue(db) is after


def test_a_database_away_or_empty_is_said_in_chinese(db):
    away = "postgresql://postgres@127.0.0.1:9/planmap"  # nothing listens on port 9
    with pytest.raises(LayersUnavailable, match="无法连接图层数据库 postgresql://127.0.0.1:9"):
        default_catalogue(away)
    assert last_catalogue(away) is None
    with pytest.raises(LayersUnavailable, match="还没有发布的图层"):
        default_catalogue(db)
    with_password = "postgresql://planner:secret@127.0.0.1:9/planmap"
    with pytest.raises(LayersUnavailable) as raised:
        PublishedLayers(with_password).current_version()
    assert "secret" not in str(raised.value)


def test_one_setting_names_the_team_database():
    newer = Settings.resolve({}, {"PLANMAP_DATABASE_URL": "postgresql://h/db",
                                  "PLANMAP_ANNOTATIONS_URL": "postgresql://old/db"})
    assert newer.database_url == newer.layers_url == "postgresql://h/db"
    older = Settings.resolve({}, {"PLANMAP_ANNOTATIONS_URL": "postgresql://old/db"})
    assert older.layers_url == "postgresql://old/db"
    # annotations in a SQLite file: the layers stay in the GeoPackage
    assert Settings.resolve({}, {"PLANMAP_ANNOTATIONS_URL": "/srv/a.sqlite"}).layers_url == ""


def test_the_publish_command(db, tmp_path, gpkg_layers):
    path = tmp_path / "layers.gpkg"
    write_gpkg(gpkg_layers, path)

    def publish(*args, env=None):
        return subprocess.run([sys.executable, "-m", "layers", "publish", "--from", str(path),
                               *args], cwd=ROOT, capture_output=True, text=True, timeout=300,
                              env=env)

    done = publish("--url", db, "--by", "测试")
    assert done.returncode == 0, done.stderr
    assert "已发布第 1 版" in done.stdout and f"projects {len(gpkg_layers['projects'])} 个要素" in done.stdout
    assert sql(db, f"SELECT published_by FROM {SCHEMA}.versions") == [("测试",)]
    import os

    bare = {k: v for k, v in os.environ.items()
            if k not in ("PLANMAP_DATABASE_URL", "PLANMAP_ANNOTATIONS_URL")}
    refused = publish(env=bare)
    assert refused.returncode == 2 and "PLANMAP_DATABASE_URL" in refused.stderr


def test_pages_say_why_when_the_layer_database_is_away(db, gpkg_layers, monkeypatch):
    """A server that never read the layers stops the page with the reason; one that did keeps
    showing them with a warning; neither shows a traceback."""
    from streamlit.testing.v1 import AppTest

    from layers import published

    app = str(ROOT / "streamlit_app.py")
    monkeypatch.setenv("PLANMAP_DATABASE_URL", "postgresql://postgres@127.0.0.1:9/planmap")
    at = AppTest.from_file(app, default_timeout=120).run()
    assert not at.exception
    assert any("图层暂时无法载入" in e.value and "无法连接图层数据库" in e.value for e in at.error)
    assert not at.metric

    PublishedLayers(db).publish(gpkg_layers, source="test")
    monkeypatch.setenv("PLANMAP_DATABASE_URL", db)
    at = AppTest.from_file(app, default_timeout=120).run()
    assert not at.exception and not at.error
    shown = next(int(m.value) for m in at.metric if m.label == "项目")
    assert shown == len(gpkg_layers["projects"])

    def away(self):
        raise LayersUnavailable("无法连接图层数据库 postgresql://…：connection refused")

    monkeypatch.setattr(published.PublishedLayers, "current_version", away)
    at = AppTest.from_file(app, default_timeout=120).run()
    assert not at.exception
    assert any("图层数据库暂时无法连接" in w.value for w in at.warning)
    assert next(int(m.value) for m in at.metric if m.label == "项目") == shown


def test_publishing_the_apps_build_takes_every_planners_review_decisions(db, monkeypatch,
                                                                         tmp_path):
    """A decision made on any server is in the team's store; publishing the app's build puts
    it in the gazetteer the layers are built with."""
    from shapely.geometry import Point

    from layers.notes.store import AnnotationStore
    from layers.published import publish_build

    monkeypatch.setenv("PLANMAP_DATA_DIR", str(tmp_path))  # this test's planner file
    AnnotationStore(db).decide("p-x", "point", "王工", Point(106.62, 29.66),
                               mention="云栖谷测试地", precision_m=80)
    done = publish_build(db, by="测试")
    _, layers = PublishedLayers(db).read()
    assert done["version"] == 1
    place = layers["places"][layers["places"]["name"] == "云栖谷测试地"]
    assert len(place) == 1 and place["source"].iloc[0].startswith("planner 王工 ")
