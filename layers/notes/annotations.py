"""Planners' annotations: geometry, note, tags, status, author, target, every version kept.

One API, two databases:

* embedded (the default): one SQLite file ``<data dir>/annotations.sqlite`` (``PLANMAP_DATA_DIR``,
  default ``build/data``) in WAL mode with a busy timeout; geometry is WGS84 GeoJSON text with its
  bounding box in indexed columns, so a bbox query is an index range scan;
* a team's PostGIS, given a ``postgresql://`` URL: a ``geometry(Geometry, 4326)`` column with a
  GiST index, so QGIS and SQL can read the table as it is.

Every write is one transaction that also appends a history row, so ``history(id)`` returns
every version (who, when, what changed); a delete is a status, restorable. Input is validated
before anything is written (``AnnotationError`` says why, in Chinese): geometry must be a valid
WGS84 lon/lat shape (an invalid polygon is repaired with ``make_valid`` when that keeps its
kind, else refused), notes are plain text of bounded length, escaped wherever they are shown.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
import time
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import geopandas as gpd
import shapely
from shapely.geometry import mapping, shape

from geo.paths import BUILD_DIR
from layers.schema import IMPORT_DATUM_LABELS, NOTE_STATUS_LABELS, NOTE_STATUSES, STORAGE_CRS

SCHEMA_VERSION = 1
NOTE_MAX_CHARS = 2000
AUTHOR_MAX_CHARS = 64
TAG_MAX_CHARS = 20
TAGS_MAX = 20
TARGET_MAX_CHARS = 200
MIN_SIZE_M = 1.0  # a shape smaller than this is a slip of the mouse (and rounds away on export)
SUGGESTED_TAGS = ("拟选址", "待核实", "意见", "用地", "交通", "更正")
BUSY_TIMEOUT_MS = 30_000  # writers wait for each other instead of failing
WRITE_ATTEMPTS = 20
GEOMETRY_TYPES = {"Point", "LineString", "Polygon", "MultiPoint", "MultiLineString",
                  "MultiPolygon"}
COLUMNS = ["id", "note", "author", "tags", "status", "target", "created_at", "updated_at",
           "version"]
_CONTROL = {"Cc", "Cf", "Cs", "Co", "Cn"}


class AnnotationError(ValueError):
    """Input that cannot be stored, or a write that is not allowed; the message says why.
    Nothing was written."""


def data_dir() -> Path:
    return Path(os.environ.get("PLANMAP_DATA_DIR") or BUILD_DIR / "data")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


# --------------------------------------------------------------------------- validation

def clean_text(value, field: str, max_chars: int, required: bool = False) -> str:
    """Plain text: NFC, control and format characters removed (newlines and tabs kept),
    trimmed, length-limited. HTML is kept as typed; it is escaped where it is shown."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise AnnotationError(f"{field}必须是文本")
    text = unicodedata.normalize("NFC", value)
    text = "".join(ch for ch in text
                   if ch in "\n\t" or unicodedata.category(ch) not in _CONTROL).strip()
    if required and not text:
        raise AnnotationError(f"{field}不能为空")
    if len(text) > max_chars:
        raise AnnotationError(f"{field}过长：{len(text)} 字，上限 {max_chars} 字")
    return text


def clean_tags(tags) -> list[str]:
    if tags is None:
        return []
    if isinstance(tags, str) or not hasattr(tags, "__iter__"):
        raise AnnotationError("标签必须是文本列表")
    out: list[str] = []
    for tag in tags:
        tag = clean_text(tag, "标签", TAG_MAX_CHARS)
        if tag and tag not in out:
            out.append(tag)
    if len(out) > TAGS_MAX:
        raise AnnotationError(f"标签过多：{len(out)} 个，上限 {TAGS_MAX} 个")
    return out


def clean_status(status) -> str:
    if status not in NOTE_STATUSES or status == "deleted":
        allowed = "、".join(f"{s}（{NOTE_STATUS_LABELS[s]}）" for s in NOTE_STATUSES if s != "deleted")
        raise AnnotationError(f"状态只能是：{allowed}")
    return status


def clean_geometry(geometry):
    """A shapely geometry from a shapely object or a GeoJSON geometry dict, checked: a known
    type, finite WGS84 lon/lat, not empty; an invalid shape is repaired if the repair keeps
    its kind, else refused."""
    try:
        geom = geometry if isinstance(geometry, shapely.Geometry) else shape(geometry)
    except Exception as e:  # shapely raises many kinds for malformed GeoJSON
        raise AnnotationError(f"几何无法读取：{e}") from e
    if geom.geom_type not in GEOMETRY_TYPES:
        raise AnnotationError(f"不支持的几何类型：{geom.geom_type}")
    if geom.is_empty:
        raise AnnotationError("几何为空")
    coords = shapely.get_coordinates(geom)
    if not (abs(coords[:, 0]) <= 180).all() or not (abs(coords[:, 1]) <= 90).all():
        raise AnnotationError("坐标超出经纬度范围：须为 WGS84 经度、纬度（不是投影坐标）")
    if shapely.has_z(geom):
        geom = shapely.force_2d(geom)
    polygons = getattr(geom, "geoms", [geom]) if "Polygon" in geom.geom_type else []
    if any(len(ring.coords) < 4 for p in polygons for ring in [p.exterior, *p.interiors]):
        raise AnnotationError("多边形的环须至少 4 个点（首尾相同），文件中有空的或残缺的环")
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        repaired = shapely.make_valid(geom)
        kind = geom.geom_type.replace("Multi", "")
        parts = [g for g in getattr(repaired, "geoms", [repaired]) if kind in g.geom_type]
        if not parts:
            raise AnnotationError(f"几何无效且无法修复：{reason}")
        repaired = shapely.union_all(parts) if len(parts) > 1 else parts[0]
        if repaired.is_empty or not repaired.is_valid:
            raise AnnotationError(f"几何无效且无法修复：{reason}")
        geom = repaired
    size = _size_m(geom)
    if size is not None and size < MIN_SIZE_M:
        raise AnnotationError(f"图形过小（不足 {MIN_SIZE_M:g} 米），可能是误点，请重画")
    return geom


def _size_m(geom) -> float | None:
    """A line's length or a polygon's equivalent side, in metres (None for points)."""
    from geo.crs import project_geometry

    if "Polygon" in geom.geom_type:
        return project_geometry(geom).area ** 0.5
    if "LineString" in geom.geom_type:
        return project_geometry(geom).length
    return None


@dataclass(frozen=True)
class Version:
    version: int
    author: str
    at: str
    action: str  # add | update | delete | restore | import
    changes: dict


# --------------------------------------------------------------------------- databases

def _fetch(con: sqlite3.Connection, sql: str, params: dict | None = None) -> list[tuple]:
    return con.execute(sql, params or {}).fetchall()


class _SQLite:
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
    }

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.where = str(path)
        con = self._connect()
        try:
            con.execute("PRAGMA journal_mode = WAL")
        finally:
            con.close()

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        con.execute("PRAGMA foreign_keys = ON")
        con.execute("PRAGMA synchronous = FULL")  # a committed write survives a power cut
        return con

    def read(self, sql: str, params: dict | None = None) -> list[tuple]:
        con = self._connect()
        try:
            return _fetch(con, sql, params)
        finally:
            con.close()

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
                    raise
                time.sleep(min(0.05 * 2 ** attempt, 1.0))
            except BaseException:
                if con.in_transaction:
                    con.execute("ROLLBACK")
                raise
            finally:
                con.close()
        raise AnnotationError("数据库繁忙，请稍后重试")

    def integrity_ok(self) -> bool:
        return self.read("PRAGMA integrity_check")[0][0] == "ok"


class _PostGIS:
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
    }
    _param = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")

    def __init__(self, url: str):
        try:
            import psycopg
        except ImportError as e:  # pragma: no cover - psycopg is in requirements.txt
            raise AnnotationError("连接 PostGIS 需要 psycopg：pip install -r requirements.txt") from e
        self._psycopg = psycopg
        self.url = url
        self.where = re.sub(r"//[^@/]*@", "//", url)  # never show a password
        self._lock = threading.Lock()
        self._con = None

    def _sql(self, sql: str) -> str:
        return self._param.sub(r"%(\1)s", sql)

    def _connection(self):
        if self._con is None or self._con.closed:
            try:
                self._con = self._psycopg.connect(self.url, connect_timeout=10)
            except self._psycopg.OperationalError as e:
                raise AnnotationError(f"无法连接标注数据库 {self.where}：{e}") from e
        return self._con

    def _run(self, work):
        errors = self._psycopg.errors
        retry = (errors.SerializationFailure, errors.DeadlockDetected)
        with self._lock:
            for attempt in range(WRITE_ATTEMPTS):
                con = self._connection()
                try:
                    with con.transaction(), con.cursor() as cur:
                        def run(sql, params=None):
                            cur.execute(self._sql(sql), params or {})
                            return cur.fetchall() if cur.description else []
                        return work(run)
                except retry:
                    time.sleep(min(0.05 * 2 ** attempt, 1.0))
                except self._psycopg.OperationalError:
                    con.close()  # the server went away: reconnect once, then give up
                    if attempt:
                        raise
            raise AnnotationError("数据库繁忙，请稍后重试")

    def read(self, sql: str, params: dict | None = None) -> list[tuple]:
        return self._run(lambda run: run(sql, params))

    def write(self, work):
        return self._run(work)

    def integrity_ok(self) -> bool:
        return self.read("SELECT count(*) FROM annotations WHERE NOT ST_IsValid(geometry)"
                         " OR ST_SRID(geometry) != 4326")[0][0] == 0


# --------------------------------------------------------------------------- the store

class AnnotationStore:
    """``AnnotationStore()`` opens (creating if needed) ``<data dir>/annotations.sqlite``;
    a path or ``sqlite:///path`` opens that file; ``postgresql://…`` opens a PostGIS database."""

    def __init__(self, url: str | Path | None = None):
        if url is None:
            self._db = _SQLite(data_dir() / "annotations.sqlite")
        elif str(url).startswith(("postgresql://", "postgres://")):
            self._db = _PostGIS(str(url))
        else:
            self._db = _SQLite(Path(str(url).removeprefix("sqlite:///")))
        self._migrate()

    @property
    def kind(self) -> str:
        return self._db.kind

    @property
    def where(self) -> str:
        """Where the annotations are kept, for the page to say (never a password)."""
        return self._db.where

    def _migrate(self) -> None:
        schema = self._db.schema

        def work(run):
            if self._db.migration_lock:  # servers opening the store at once migrate in turn
                run(self._db.migration_lock)
            run("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            row = run("SELECT value FROM meta WHERE key = 'schema_version'")
            current = int(row[0][0]) if row else 0
            if current > SCHEMA_VERSION:
                raise AnnotationError(f"{self.where} 的结构版本 {current} 比本程序"
                                      f"（{SCHEMA_VERSION}）新，请升级程序")
            if current == SCHEMA_VERSION:
                return
            for version in range(current + 1, SCHEMA_VERSION + 1):
                for statement in schema[version].split(";"):
                    if statement.strip():
                        run(statement)
            run("DELETE FROM meta WHERE key = 'schema_version'")
            run("INSERT INTO meta VALUES ('schema_version', :v)", {"v": str(SCHEMA_VERSION)})

        self._db.write(work)

    @staticmethod
    def _geometry_fields(geom) -> dict:
        minx, miny, maxx, maxy = geom.bounds
        return {"geometry": json.dumps(mapping(geom)), "minx": minx, "miny": miny,
                "maxx": maxx, "maxy": maxy}

    def _set_geometry(self) -> str:
        sql = f"geometry = {self._db.geometry_in}"
        if self._db.kind == "sqlite":
            sql += ", minx = :minx, miny = :miny, maxx = :maxx, maxy = :maxy"
        return sql

    @staticmethod
    def _history(run, annotation_id, version, author, action, changes) -> None:
        run("INSERT INTO history (annotation_id, version, author, at, action, changes)"
            " VALUES (:id, :version, :author, :at, :action, :changes)",
            {"id": annotation_id, "version": version, "author": author, "at": _now(),
             "action": action, "changes": json.dumps(changes, ensure_ascii=False)})

    @staticmethod
    def _clean_new(geometry, note, author, tags, target, status="open") -> dict:
        geom = clean_geometry(geometry)
        return {**AnnotationStore._geometry_fields(geom),
                "note": clean_text(note, "备注", NOTE_MAX_CHARS),
                "author": clean_text(author, "作者", AUTHOR_MAX_CHARS, required=True),
                "tags": json.dumps(clean_tags(tags), ensure_ascii=False),
                "status": clean_status(status),
                "target": clean_text(target, "目标", TARGET_MAX_CHARS) or None}

    def _insert(self, run, record: dict, action: str) -> str:
        annotation_id = uuid.uuid4().hex
        now = _now()
        columns = "id, geometry, note, author, tags, status, target, created_at, updated_at, " \
                  "version"
        values = f":id, {self._db.geometry_in}, :note, :author, :tags, :status, :target, " \
                 ":now, :now, 1"
        if self._db.kind == "sqlite":
            columns += ", minx, miny, maxx, maxy"
            values += ", :minx, :miny, :maxx, :maxy"
        run(f"INSERT INTO annotations ({columns}) VALUES ({values})",
            {**record, "id": annotation_id, "now": now})
        self._history(run, annotation_id, 1, record["author"], action,
                      {k: record[k] for k in ("geometry", "note", "tags", "status", "target")})
        return annotation_id

    # ----------------------------------------------------------------- API

    def add(self, geometry, note: str, author: str, tags=(), target: str | None = None,
            status: str = "open") -> str:
        record = self._clean_new(geometry, note, author, tags, target, status)
        return self._db.write(lambda run: self._insert(run, record, "add"))

    def add_many(self, items, author: str, action: str = "add") -> list[str]:
        """Several annotations in one transaction: all are stored or, if any is refused,
        none (the error names the item). ``items``: dicts with geometry, note, tags, target,
        status."""
        records = []
        for n, item in enumerate(items, 1):
            try:
                records.append(self._clean_new(
                    item.get("geometry"), item.get("note"), author, item.get("tags"),
                    item.get("target"), item.get("status") or "open"))
            except AnnotationError as e:
                raise AnnotationError(f"第 {n} 条：{e}") from e
        return self._db.write(lambda run: [self._insert(run, r, action) for r in records])

    def get(self, annotation_id: str) -> dict | None:
        rows = self._db.read(f"SELECT {self._select()} FROM annotations WHERE id = :id",
                             {"id": annotation_id})
        return self._as_dict(rows[0]) if rows else None

    def _select(self) -> str:
        return ", ".join(COLUMNS) + f", {self._db.geometry_out}"

    @staticmethod
    def _as_dict(row) -> dict:
        out = dict(zip(COLUMNS, row[:-1], strict=True))
        out["tags"] = json.loads(out["tags"])
        out["geometry"] = shapely.from_geojson(row[-1])
        return out

    def update(self, annotation_id: str, *, author: str, geometry=None, note=None, tags=None,
               status=None, target=None, as_admin: bool = False) -> int:
        """Change what is given; returns the new version. Only the annotation's author may,
        or an admin (``as_admin``, granted by the caller that checked the role); ``author`` is
        who makes the change and is recorded in the history. ``target=""`` clears a target."""
        actor = clean_text(author, "作者", AUTHOR_MAX_CHARS, required=True)
        changes: dict = {}
        if geometry is not None:
            changes.update(self._geometry_fields(clean_geometry(geometry)))
        if note is not None:
            changes["note"] = clean_text(note, "备注", NOTE_MAX_CHARS)
        if tags is not None:
            changes["tags"] = json.dumps(clean_tags(tags), ensure_ascii=False)
        if status is not None:
            changes["status"] = clean_status(status)
        if target is not None:
            changes["target"] = clean_text(target, "目标", TARGET_MAX_CHARS) or None
        if not changes:
            raise AnnotationError("没有要修改的内容")
        return self._change(annotation_id, actor, "update", changes, as_admin)

    def _change(self, annotation_id, actor, action, changes, as_admin,
                expect_deleted=None) -> int:
        def work(run):
            rows = run("SELECT author, version, status, note, tags, target FROM annotations"
                       " WHERE id = :id" + self._db.for_update, {"id": annotation_id})
            if not rows:
                raise AnnotationError(f"标注不存在：{annotation_id}")
            owner, version, status, *current = rows[0]
            if action == "update":  # a field given as it already is is not a change
                now = dict(zip(("note", "tags", "target"), current, strict=True), status=status)
                for key in [k for k in changes if k in now and changes[k] == now[k]]:
                    del changes[key]
                if not changes:
                    raise AnnotationError("没有要修改的内容")
            if owner != actor and not as_admin:
                raise AnnotationError("只有作者本人或管理员可以修改或删除此标注")
            if expect_deleted is not None and (status == "deleted") != expect_deleted:
                raise AnnotationError("标注已删除" if status == "deleted" else "标注未被删除")
            if action == "update" and status == "deleted":
                raise AnnotationError("标注已删除，请先恢复")
            version += 1
            sets = [f"{k} = :{k}" for k in changes
                    if k not in ("geometry", "minx", "miny", "maxx", "maxy")]
            if "geometry" in changes:
                sets.append(self._set_geometry())
            run(f"UPDATE annotations SET {', '.join(sets)}, version = :version,"
                " updated_at = :now WHERE id = :id",
                {**changes, "version": version, "now": _now(), "id": annotation_id})
            shown = {k: v for k, v in changes.items() if k not in ("minx", "miny", "maxx", "maxy")}
            self._history(run, annotation_id, version, actor, action, shown)
            return version

        return self._db.write(work)

    def delete(self, annotation_id: str, *, author: str, as_admin: bool = False) -> int:
        actor = clean_text(author, "作者", AUTHOR_MAX_CHARS, required=True)
        return self._change(annotation_id, actor, "delete", {"status": "deleted"}, as_admin,
                            expect_deleted=False)

    def restore(self, annotation_id: str, *, author: str, as_admin: bool = False) -> int:
        actor = clean_text(author, "作者", AUTHOR_MAX_CHARS, required=True)
        return self._change(annotation_id, actor, "restore", {"status": "open"}, as_admin,
                            expect_deleted=True)

    def history(self, annotation_id: str) -> list[Version]:
        rows = self._db.read("SELECT version, author, at, action, changes FROM history"
                             " WHERE annotation_id = :id ORDER BY version", {"id": annotation_id})
        return [Version(v, a, at, act, json.loads(ch)) for v, a, at, act, ch in rows]

    def list(self, bbox=None, tags=None, include_deleted: bool = False, authors=None,
             statuses=None) -> gpd.GeoDataFrame:
        """Annotations as a GeoDataFrame (EPSG:4326), oldest first. ``bbox`` = (minx, miny,
        maxx, maxy) keeps those whose box overlaps it; ``tags``, ``authors``, ``statuses``
        keep those with any of the given values."""
        where, params = [], {}
        if not include_deleted:
            where.append("status != 'deleted'")
        if bbox is not None:
            minx, miny, maxx, maxy = (float(v) for v in bbox)
            where.append(self._db.bbox_where)
            params.update(minx=minx, miny=miny, maxx=maxx, maxy=maxy)
        for column, values in (("author", authors), ("status", statuses)):
            if values:
                names = [f"{column}{i}" for i in range(len(values))]
                where.append(f"{column} IN ({', '.join(':' + n for n in names)})")
                params.update(zip(names, values, strict=True))
        sql = f"SELECT {self._select()} FROM annotations"
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self._db.read(sql + " ORDER BY created_at, id", params)
        wanted = set(clean_tags(tags)) if tags else None
        records, geometries = [], []
        for row in rows:
            record = dict(zip(COLUMNS, row[:-1], strict=True))
            record["tags"] = json.loads(record["tags"])
            if wanted and not wanted.intersection(record["tags"]):
                continue
            records.append(record)
            geometries.append(row[-1])
        frame = gpd.GeoDataFrame(records, columns=COLUMNS,
                                 geometry=list(shapely.from_geojson(geometries)) if geometries
                                 else [], crs=STORAGE_CRS)
        return frame

    def revision(self) -> str:
        """Changes whenever anything is written (every write adds a row or a version), so a
        reader can keep what it built from ``list()`` until then."""
        count, versions = self._db.read("SELECT count(*), coalesce(sum(version), 0)"
                                        " FROM annotations")[0]
        return f"{count}:{versions}"

    def authors(self) -> list[str]:
        return [r[0] for r in self._db.read("SELECT DISTINCT author FROM annotations"
                                            " ORDER BY author")]

    def integrity_ok(self) -> bool:
        """The database's own check, and every annotation's current version in the history."""
        orphans = self._db.read(
            "SELECT count(*) FROM annotations a WHERE NOT EXISTS (SELECT 1 FROM history h"
            " WHERE h.annotation_id = a.id AND h.version = a.version)")[0][0]
        return self._db.integrity_ok() and orphans == 0

    # ----------------------------------------------------------------- exchange

    def export(self, path: Path | str, include_deleted: bool = False) -> Path:
        """Write the annotations to ``path``: GeoJSON (``.geojson``/``.json``) or GeoPackage
        (``.gpkg``), WGS84, every field; the file is replaced whole or not at all."""
        from layers.export import write_geojson, write_gpkg

        path = Path(path)
        frame = self.list(include_deleted=include_deleted)
        if path.suffix.lower() in (".geojson", ".json"):
            return write_geojson(frame, path, name="annotations")
        if path.suffix.lower() == ".gpkg":
            return write_gpkg({"annotations": frame}, path)
        raise AnnotationError(f"不支持的导出格式：{path.suffix or '（无扩展名）'}，可选 .geojson、.gpkg")

    def export_bytes(self, suffix: str, include_deleted: bool = False) -> bytes:
        """The file ``export`` writes, as bytes (for a download button)."""
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            return self.export(Path(folder) / f"annotations{suffix}", include_deleted).read_bytes()

    def import_geojson(self, path_or_bytes, author: str, datum: str = "wgs84") -> list[str]:
        """Store every feature of a GeoJSON file (a path, or its bytes) as an annotation by
        ``author``, all in one transaction, or none with the reason. ``datum="gcj02"`` converts
        a file drawn on 高德/腾讯 maps to WGS84 first."""
        items = read_geojson_annotations(path_or_bytes, datum)
        return self.add_many(items, author=author, action="import")


IMPORT_MAX_BYTES = 5 * 1024 * 1024
IMPORT_MAX_FEATURES = 5000
# GeoJSON (RFC 7946) is WGS84 lon/lat; the 2008 draft's "crs" member may name it these ways
WGS84_CRS_NAMES = {"urn:ogc:def:crs:ogc:1.3:crs84", "urn:ogc:def:crs:ogc::crs84", "crs84",
                   "epsg:4326", "urn:ogc:def:crs:epsg::4326", "urn:ogc:def:crs:epsg:6.6:4326"}


def _note_of(props: dict):
    for key in ("note", "备注", "description", "name", "名称"):
        if props.get(key) not in (None, ""):
            return props[key] if isinstance(props[key], str) else str(props[key])
    return ""


def _tags_of(value):
    if isinstance(value, str):  # "拟选址、待核实" or "拟选址,待核实" as typed in a GIS
        return [t for t in re.split(r"[、,，;；\s]+", value) if t]
    return value


def read_geojson_annotations(path_or_bytes, datum: str = "wgs84") -> list[dict]:
    """Check a GeoJSON upload and return its annotations (geometry in WGS84, note, tags,
    status, target); ``AnnotationError`` names the first problem and where it is."""
    if datum not in IMPORT_DATUM_LABELS:
        raise AnnotationError(f"未知坐标系：{datum}（可选：{'、'.join(IMPORT_DATUM_LABELS)}）")
    limit_mb = IMPORT_MAX_BYTES / 1024 / 1024
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        raw = bytes(path_or_bytes)
    else:
        path = Path(path_or_bytes)
        try:
            size = path.stat().st_size if path.is_file() else None
            if size is not None and size <= IMPORT_MAX_BYTES:
                raw = path.read_bytes()
        except OSError as e:
            raise AnnotationError(f"无法读取文件：{e.strerror or e}") from e
        if size is None:
            raise AnnotationError(f"找不到文件：{str(path)[:200]}")
        if size > IMPORT_MAX_BYTES:
            raise AnnotationError(f"文件过大：{size / 1024 / 1024:.1f} MB，上限 {limit_mb:.0f} MB")
    if len(raw) > IMPORT_MAX_BYTES:
        raise AnnotationError(f"文件过大：{len(raw) / 1024 / 1024:.1f} MB，上限 {limit_mb:.0f} MB")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise AnnotationError(f"文件不是 UTF-8 编码的文本（第 {e.start + 1} 字节）") from e
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise AnnotationError(f"不是合法的 JSON：第 {e.lineno} 行第 {e.colno} 列，{e.msg}") from e
    except RecursionError as e:
        raise AnnotationError("不是合法的 GeoJSON：嵌套过深") from e
    except ValueError as e:  # e.g. an integer of thousands of digits
        raise AnnotationError(f"不是合法的 GeoJSON：{str(e)[:120]}") from e
    if not isinstance(data, dict) or data.get("type") not in (
            "FeatureCollection", "Feature", *GEOMETRY_TYPES):
        raise AnnotationError("不是 GeoJSON：顶层须为 FeatureCollection、Feature 或几何对象")
    crs = data.get("crs")
    if crs is not None:
        props = crs.get("properties") if isinstance(crs, dict) else None
        name = props.get("name") if isinstance(props, dict) else None
        if not isinstance(name, str) or name.strip().lower() not in WGS84_CRS_NAMES:
            raise AnnotationError(f"坐标系为 {name if isinstance(name, str) else crs!r}："
                                  "只接受 WGS84 经纬度（EPSG:4326 / CRS84），请先在 GIS 中转换")
    if data["type"] == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list):
            raise AnnotationError("FeatureCollection 缺少 features 列表")
    elif data["type"] == "Feature":
        features = [data]
    else:
        features = [{"type": "Feature", "geometry": data, "properties": {}}]
    if not features:
        raise AnnotationError("文件中没有要素")
    if len(features) > IMPORT_MAX_FEATURES:
        raise AnnotationError(f"要素过多：{len(features)} 个，上限 {IMPORT_MAX_FEATURES} 个")
    items = []
    for n, feature in enumerate(features, 1):
        try:
            if not isinstance(feature, dict) or feature.get("type") != "Feature":
                raise AnnotationError("不是 Feature 对象")
            props = feature.get("properties") or {}
            if not isinstance(props, dict):
                raise AnnotationError("properties 须为对象")
            if feature.get("geometry") is None:
                raise AnnotationError("缺少几何")
            geom = clean_geometry(feature["geometry"])
            if datum != "wgs84":
                from geo.datum import convert_geometry

                geom = clean_geometry(convert_geometry(geom, datum, "wgs84"))
            status = props.get("status") or "open"
            items.append({"geometry": geom, "note": _note_of(props),
                          "tags": _tags_of(props.get("tags")),
                          "status": "open" if status == "deleted" else status,
                          "target": props.get("target")})
        except AnnotationError as e:
            raise AnnotationError(f"第 {n} 个要素：{e}") from e
    return items


# --------------------------------------------------------------------------- corrections

CORRECTION_COLUMNS = ["corrected_by", "corrected_at", "correction_note", "correction_id"]


def corrections(annotations: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The planners' corrections: per target (a project or place id), its newest annotation
    that is not deleted, indexed by target."""
    live = annotations[annotations["target"].notna() & (annotations["status"] != "deleted")]
    live = live.sort_values("updated_at").drop_duplicates("target", keep="last")
    return live.set_index("target", drop=False)


def apply_corrections(layer: gpd.GeoDataFrame, fixes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``layer`` with each corrected row's geometry replaced by its correction and marked
    with who corrected it, when, and why (empty columns elsewhere); ``layer`` itself is kept."""
    out = layer.copy()
    for column in CORRECTION_COLUMNS:
        out[column] = None
    hit = out["id"].isin(fixes.index)
    if hit.any():
        rows = fixes.loc[out.loc[hit, "id"]]
        out.loc[hit, out.geometry.name] = list(rows.geometry)
        out.loc[hit, "corrected_by"] = list(rows["author"])
        out.loc[hit, "corrected_at"] = [t[:10] for t in rows["updated_at"]]
        out.loc[hit, "correction_note"] = list(rows["note"])
        out.loc[hit, "correction_id"] = list(rows["id"])
    return out
