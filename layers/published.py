"""The layers in a team's PostGIS (``PLANMAP_DATABASE_URL``): ``python -m layers publish``
writes a build there and every app server reads the newest version.

A version is a set of tables ``layers.<layer>_v<N>`` holding the GeoPackage's columns (its
JSON columns as jsonb; geometry in EPSG:4326 with a GiST index; ``fid`` the integer key QGIS
wants), never changed once written, a row in ``layers.versions``, and views
``layers.<layer>`` of the newest version, which QGIS opens by name. A publish is one
transaction: a reader sees the old version or the new one, never part of one. The last
``KEPT_VERSIONS`` versions stay, so a reader part-way through one never finds it gone.
"""

from __future__ import annotations

import getpass
import json
import re
import socket
import time

import geopandas as gpd
import numpy as np
import shapely

from layers.export import nested_columns, plain_value
from layers.postgis import PostGIS
from layers.schema import LAYER_NAMES, STORAGE_CRS

SCHEMA = "layers"
KEPT_VERSIONS = 3
PUBLISH_LOCK = 730502  # pg_advisory_xact_lock: one publisher at a time (annotations use 730501)
NONE_PUBLISHED = "中还没有发布的图层：请先运行 python -m layers publish"


class LayersUnavailable(ValueError):
    """The layer database cannot be read (away, empty or damaged): the planner's message."""


def _table(layer: str, version: int) -> str:
    return f"{SCHEMA}.{layer}_v{int(version)}"


def _column_type(frame, column: str, nested: list[str]) -> str:
    if column in nested:
        return "jsonb"
    kind = frame[column].dtype.kind
    return {"b": "boolean", "i": "bigint", "u": "bigint", "f": "double precision"}.get(kind, "text")


def geometry_type(geometries) -> str:
    """The PostGIS type of a layer's geometry column: its one type, else Geometry (as the
    GeoPackage declares a layer of several types)."""
    types = {g.geom_type for g in geometries if g is not None and not g.is_empty}
    return types.pop() if len(types) == 1 else "Geometry"


class PublishedLayers:
    """The published versions in the database at ``url``."""

    def __init__(self, url: str):
        self._db = PostGIS(url, "图层数据库", LayersUnavailable)
        self.where = self._db.where

    def current_version(self) -> int | None:
        """The newest version's number; None when nothing was published yet."""
        return self._db.transaction(_newest_version)

    def read(self) -> tuple[int, dict[str, gpd.GeoDataFrame]]:
        """(the newest version, its layers as ``read_gpkg`` gives them)."""
        def work(cur):
            version = _newest_version(cur)
            if version is None:
                raise LayersUnavailable(f"图层数据库 {self.where} {NONE_PUBLISHED}")
            return version, {name: _read_table(cur, _table(name, version))
                             for name in LAYER_NAMES}
        return self._db.transaction(work, on_missing_table="的图层表已不存在或已改动：请重新发布")

    def publish(self, layers: dict[str, gpd.GeoDataFrame], source: str = "",
                by: str = "") -> dict:
        """Write ``layers`` as the next version in one transaction; returns its number,
        the feature counts and the seconds taken."""
        started = time.perf_counter()
        counts = {name: len(frame) for name, frame in layers.items()}
        by = by or f"{getpass.getuser()}@{socket.gethostname()}"

        def work(cur):
            cur.execute(f"SELECT pg_advisory_xact_lock({PUBLISH_LOCK})")
            cur.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            cur.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
            cur.execute(f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.versions (
                version integer PRIMARY KEY, published_at timestamptz NOT NULL DEFAULT now(),
                published_by text NOT NULL, source text NOT NULL, counts jsonb NOT NULL)""")
            cur.execute(f"SELECT coalesce(max(version), 0) + 1 FROM {SCHEMA}.versions")
            version = cur.fetchone()[0]
            for name, frame in layers.items():
                _write_table(cur, _table(name, version), frame, name)
                cur.execute(f"DROP VIEW IF EXISTS {SCHEMA}.{name}")
                cur.execute(f"CREATE VIEW {SCHEMA}.{name} AS SELECT * FROM {_table(name, version)}")
            cur.execute(f"INSERT INTO {SCHEMA}.versions (version, published_by, source, counts)"
                        " VALUES (%s, %s, %s, %s)", (version, by, source, json.dumps(counts)))
            cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (SCHEMA,))
            for (table,) in cur.fetchall():
                old = re.fullmatch(r"(\w+)_v(\d+)", table)
                if old and old[1] in LAYER_NAMES and int(old[2]) <= version - KEPT_VERSIONS:
                    cur.execute(f"DROP TABLE {SCHEMA}.{table}")
            return version

        version = self._db.transaction(work)
        return {"version": version, "counts": counts, "seconds": time.perf_counter() - started}

    def table_columns(self, layer: str) -> list[str]:
        """The columns of the view QGIS opens, in order."""
        def work(cur):
            cur.execute("SELECT column_name FROM information_schema.columns WHERE "
                        "table_schema = %s AND table_name = %s ORDER BY ordinal_position",
                        (SCHEMA, layer))
            return [row[0] for row in cur.fetchall()]
        return self._db.transaction(work)


def _newest_version(cur) -> int | None:
    cur.execute(f"SELECT to_regclass('{SCHEMA}.versions')")
    if cur.fetchone()[0] is None:
        return None
    cur.execute(f"SELECT max(version) FROM {SCHEMA}.versions")
    return cur.fetchone()[0]


def _write_table(cur, table: str, frame: gpd.GeoDataFrame, layer: str) -> None:
    from psycopg.types.json import Jsonb

    if frame.crs is not None and frame.crs != STORAGE_CRS:
        frame = frame.to_crs(STORAGE_CRS)
    geometry = frame.geometry.name
    columns = [c for c in frame.columns if c != geometry]
    nested = nested_columns(frame, layer)
    types = {c: _column_type(frame, c, nested) for c in columns}
    kind = geometry_type(frame.geometry)
    cur.execute(f"DROP TABLE IF EXISTS {table}")
    cur.execute(f"CREATE TABLE {table} (fid integer PRIMARY KEY, "
                + "".join(f'"{c}" {types[c]}, ' for c in columns)
                + f"geometry geometry({kind}, 4326))")
    shapes = np.array(list(frame.geometry), dtype=object)
    present = np.array([g is not None and not g.is_empty for g in shapes], dtype=bool)
    ewkb = np.full(len(shapes), None, dtype=object)
    if present.any():
        ewkb[present] = shapely.to_wkb(shapely.set_srid(shapes[present], 4326), hex=True,
                                       include_srid=True)
    wrap = [Jsonb if types[c] == "jsonb" else None for c in columns]
    quoted = ", ".join(f'"{c}"' for c in columns)
    with cur.copy(f"COPY {table} (fid, {quoted}, geometry) FROM STDIN") as copy:
        for fid, (row, shape) in enumerate(zip(frame[columns].itertuples(index=False, name=None),
                                               ewkb, strict=True), 1):
            copy.write_row((fid, *(w(plain_value(v)) if w and v is not None else plain_value(v)
                                   for v, w in zip(row, wrap, strict=True)), shape))
    cur.execute(f"CREATE INDEX ON {table} USING GIST (geometry)")
    cur.execute(f"ANALYZE {table}")


def _read_table(cur, table: str) -> gpd.GeoDataFrame:
    cur.execute(f"SELECT * FROM {table} LIMIT 0")
    columns = [d.name for d in cur.description if d.name not in ("fid", "geometry")]
    quoted = ", ".join(f'"{c}"' for c in columns)
    cur.execute(f"SELECT {quoted}{', ' if columns else ''}ST_AsBinary(geometry) FROM {table} "
                "ORDER BY fid")
    rows = cur.fetchall()
    geometries = shapely.from_wkb([row[-1] for row in rows]) if rows else []
    records = {c: [row[i] for row in rows] for i, c in enumerate(columns)}
    return gpd.GeoDataFrame(records, geometry=list(geometries), crs=STORAGE_CRS)


def publish_build(url: str, path=None, by: str = "") -> dict:
    """Publish the GeoPackage at ``path`` to the database at ``url``; what ``publish``
    returns. Without ``path``, the app's build, with the review decisions every planner made
    on any server (the team's store, same database) in its gazetteer — rebuilt first when
    that or anything else made it stale."""
    from layers.build import LAYERS_FILE, load_layer

    if path is None:
        from gazetteer import Gazetteer
        from layers.notes.decisions import publish_planner_places
        from layers.notes.store import AnnotationStore

        publish_planner_places(AnnotationStore(url), Gazetteer())
    path = path or LAYERS_FILE
    layers = {name: load_layer(name, path) for name in LAYER_NAMES}
    return PublishedLayers(url).publish(layers, source=f"{socket.gethostname()}:{path}", by=by)
