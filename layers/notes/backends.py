"""The two databases behind ``AnnotationStore``: the embedded SQLite file and a team's PostGIS.

SQL is written once with ``:name`` parameters; each backend says how it stores geometry.
"""

from __future__ import annotations

import re
import sqlite3
import time
from functools import partial
from pathlib import Path

from layers.notes.model import BUSY_TIMEOUT_MS, WRITE_ATTEMPTS, AnnotationError
from layers.postgis import PostGIS

# --------------------------------------------------------------------------- databases

def _fetch(con: sqlite3.Connection, sql: str, params: dict | None = None) -> list[tuple]:
    return con.execute(sql, params or {}).fetchall()


class SQLiteBackend:
    """The embedded file. SQL is written with ``:name`` parameters for both databases."""

    kind = "sqlite"
    geometry_in = ":geometry"
    geometry_out = "geometry"
    for_update = ""  # BEGIN IMMEDIATE already holds the write lock
    migration_lock = ""  # and serialises migrations too
    bbox_where = "maxx >= :minx AND minx <= :maxx AND maxy >= :miny AND miny <= :maxy"
    schema = {
        1: """
        CREATE TABLE annotations (
            id TEXT PRIMARY KEY,
            geometry TEXT NOT NULL,
            minx REAL NOT NULL, miny REAL NOT NULL, maxx REAL NOT NULL, maxy REAL NOT NULL,
            note TEXT NOT NULL, author TEXT NOT NULL, tags TEXT NOT NULL,
            status TEXT NOT NULL, target TEXT,
            created_at TEXT NOT NULL, updated_at TEXT NOT NULL, version INTEGER NOT NULL
        );
        CREATE INDEX annotations_bbox ON annotations (minx, maxx, miny, maxy);
        CREATE INDEX annotations_target ON annotations (target);
        CREATE TABLE history (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            annotation_id TEXT NOT NULL REFERENCES annotations (id),
            version INTEGER NOT NULL, author TEXT NOT NULL, at TEXT NOT NULL,
            action TEXT NOT NULL, changes TEXT NOT NULL,
            UNIQUE (annotation_id, version)
        );
        """,
        2: """
        ALTER TABLE annotations ADD COLUMN kind TEXT NOT NULL DEFAULT 'note';
        ALTER TABLE annotations ADD COLUMN detail TEXT NOT NULL DEFAULT '{}';
        CREATE INDEX annotations_kind ON annotations (kind);
        """,
    }

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.where = str(path)
        con = self._connect(create=True)
        try:
            con.execute("PRAGMA journal_mode = WAL")
        finally:
            con.close()

    def _connect(self, create: bool = False) -> sqlite3.Connection:
        # Only the store's first connection may create the file: one deleted under a running
        # server must be reported, not silently replaced by an empty one.
        uri = self.path.resolve().as_uri() + ("?mode=rwc" if create else "?mode=rw")
        try:
            con = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000,
                                  isolation_level=None)
        except sqlite3.OperationalError as e:
            raise AnnotationError(f"标注库文件 {self.where} 已不存在或无法打开（{e}）："
                                  "请从备份恢复该文件，或重启应用以新建空的标注库") from e
        con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        con.execute("PRAGMA foreign_keys = ON")
        con.execute("PRAGMA synchronous = FULL")  # a committed write survives a power cut
        return con

    def read(self, sql: str, params: dict | None = None) -> list[tuple]:
        con = self._connect()
        try:
            return _fetch(con, sql, params)
        except sqlite3.DatabaseError as e:
            raise self._unreadable(e) from e
        finally:
            con.close()

    def _unreadable(self, problem: sqlite3.DatabaseError) -> AnnotationError:
        """A database error no retry mends (a missing table, a damaged file) as the planner's
        message."""
        return AnnotationError(f"标注库 {self.where} 无法读写（{problem}）：文件可能被替换、"
                               "清空或损坏；请从备份恢复，或重启应用以新建空的标注库")

    def write(self, work):
        """``work(run)`` in one BEGIN IMMEDIATE transaction, retried while another writer
        holds the lock beyond the busy timeout, so "database is locked" never reaches a user."""
        for attempt in range(WRITE_ATTEMPTS):
            con = self._connect()
            try:
                con.execute("BEGIN IMMEDIATE")
                result = work(partial(_fetch, con))
                con.execute("COMMIT")
                return result
            except sqlite3.OperationalError as e:
                if con.in_transaction:
                    con.execute("ROLLBACK")
                if "locked" not in str(e) and "busy" not in str(e):
                    raise self._unreadable(e) from e
                time.sleep(min(0.05 * 2 ** attempt, 1.0))
            except sqlite3.DatabaseError as e:
                if con.in_transaction:
                    con.execute("ROLLBACK")
                raise self._unreadable(e) from e
            except BaseException:
                if con.in_transaction:
                    con.execute("ROLLBACK")
                raise
            finally:
                con.close()
        raise AnnotationError("数据库繁忙，请稍后重试")

    def integrity_ok(self) -> bool:
        return self.read("PRAGMA integrity_check")[0][0] == "ok"


class PostGISBackend:
    """A team's PostgreSQL with PostGIS, through psycopg (one connection per store, locked,
    reopened if the server dropped it)."""

    kind = "postgis"
    geometry_in = "ST_SetSRID(ST_GeomFromGeoJSON(:geometry), 4326)"
    geometry_out = "ST_AsGeoJSON(geometry, 15)"
    for_update = " FOR UPDATE"
    migration_lock = "SELECT pg_advisory_xact_lock(730501)"  # any fixed number of ours
    bbox_where = "geometry && ST_MakeEnvelope(:minx, :miny, :maxx, :maxy, 4326)"
    schema = {
        1: """
        CREATE EXTENSION IF NOT EXISTS postgis;
        CREATE TABLE annotations (
            id TEXT PRIMARY KEY,
            geometry geometry(Geometry, 4326) NOT NULL,
            note TEXT NOT NULL, author TEXT NOT NULL, tags TEXT NOT NULL,
            status TEXT NOT NULL, target TEXT,
            created_at TEXT NOT NULL, updated_at TEXT NOT NULL, version INTEGER NOT NULL
        );
        CREATE INDEX annotations_geometry ON annotations USING GIST (geometry);
        CREATE INDEX annotations_target ON annotations (target);
        CREATE TABLE history (
            seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            annotation_id TEXT NOT NULL REFERENCES annotations (id),
            version INTEGER NOT NULL, author TEXT NOT NULL, at TEXT NOT NULL,
            action TEXT NOT NULL, changes TEXT NOT NULL,
            UNIQUE (annotation_id, version)
        );
        """,
        2: """
        ALTER TABLE annotations ADD COLUMN kind TEXT NOT NULL DEFAULT 'note';
        ALTER TABLE annotations ADD COLUMN detail TEXT NOT NULL DEFAULT '{}';
        CREATE INDEX annotations_kind ON annotations (kind);
        """,
    }
    _param = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")

    def __init__(self, url: str):
        self._db = PostGIS(url, "标注数据库", AnnotationError)
        self.url = url
        self.where = self._db.where

    def _sql(self, sql: str) -> str:
        return self._param.sub(r"%(\1)s", sql)

    def _run(self, work):
        def on_cursor(cur):
            def run(sql, params=None):
                cur.execute(self._sql(sql), params or {})
                return cur.fetchall() if cur.description else []
            return work(run)
        return self._db.transaction(
            on_cursor, on_missing_table="的表已不存在或已改动：请从备份恢复，或重启应用以新建空的标注库")

    def read(self, sql: str, params: dict | None = None) -> list[tuple]:
        return self._run(lambda run: run(sql, params))

    def write(self, work):
        return self._run(work)

    def integrity_ok(self) -> bool:
        return self.read("SELECT count(*) FROM annotations WHERE NOT ST_IsValid(geometry)"
                         " OR ST_SRID(geometry) != 4326")[0][0] == 0
