"""Planners' annotations: geometry, note, tags, status, author, target, every version kept.

The embedded store is one SQLite file (WAL, busy timeout, every write one ``BEGIN IMMEDIATE``
transaction) under the data folder (``PLANMAP_DATA_DIR``, default ``build/data``). Geometry is
stored as WGS84 GeoJSON text with its bounding box in columns, so a bbox query is an index range
scan. Nothing is ever overwritten without a history row: ``history(id)`` returns every version
(who, when, what changed); a delete is a status, restorable.

Input is validated before anything is written (``AnnotationError`` says why, in Chinese):
geometry must be a valid WGS84 lon/lat shape (an invalid polygon is repaired with
``make_valid`` when that keeps its type, else refused), notes are plain text of bounded length.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import shapely
from shapely.geometry import mapping, shape

from geo.paths import BUILD_DIR

SCHEMA_VERSION = 1
NOTE_MAX_CHARS = 2000
AUTHOR_MAX_CHARS = 64
TAG_MAX_CHARS = 20
TAGS_MAX = 20
STATUSES = ("open", "resolved", "deleted")
BUSY_TIMEOUT_MS = 30_000  # writers wait for each other instead of failing
GEOMETRY_TYPES = {"Point", "LineString", "Polygon", "MultiPoint", "MultiLineString",
                  "MultiPolygon"}
_CONTROL = {"Cc", "Cf", "Cs", "Co", "Cn"}
_MIGRATIONS = {
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
    CREATE TABLE history (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        annotation_id TEXT NOT NULL REFERENCES annotations (id),
        version INTEGER NOT NULL, author TEXT NOT NULL, at TEXT NOT NULL,
        action TEXT NOT NULL, changes TEXT NOT NULL,
        UNIQUE (annotation_id, version)
    );
    """,
}


class AnnotationError(ValueError):
    """Input that cannot be stored; the message says why. Nothing was written."""


def data_dir() -> Path:
    return Path(os.environ.get("PLANMAP_DATA_DIR") or BUILD_DIR / "data")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


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
    return geom


@dataclass(frozen=True)
class Version:
    version: int
    author: str
    at: str
    action: str  # add | update | delete | restore
    changes: dict


class AnnotationStore:
    """``AnnotationStore()`` opens (creating if needed) ``<data dir>/annotations.sqlite``;
    ``AnnotationStore("sqlite:///path")`` or a path opens that file."""

    def __init__(self, url: str | Path | None = None):
        if url is None:
            path = data_dir() / "annotations.sqlite"
        elif str(url).startswith("postgresql://"):
            raise NotImplementedError("PostGIS 存储尚未实现")
        else:
            path = Path(str(url).removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._migrate()

    # ----------------------------------------------------------------- plumbing

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        con.execute("PRAGMA foreign_keys = ON")
        con.execute("PRAGMA synchronous = FULL")  # a committed write survives a crash
        return con

    def _write(self, work):
        """Run ``work(con)`` in one BEGIN IMMEDIATE transaction; retried while another writer
        holds the lock beyond the busy timeout, so "database is locked" never reaches a user."""
        for attempt in range(20):
            con = self._connect()
            try:
                con.execute("BEGIN IMMEDIATE")
                result = work(con)
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

    def _migrate(self) -> None:
        con = self._connect()
        try:
            con.execute("PRAGMA journal_mode = WAL")
        finally:
            con.close()

        def work(con):
            con.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            current = int(row[0]) if row else 0
            if current > SCHEMA_VERSION:
                raise AnnotationError(
                    f"{self.path} 的结构版本 {current} 比本程序（{SCHEMA_VERSION}）新，请升级程序")
            for version in range(current + 1, SCHEMA_VERSION + 1):
                for statement in _MIGRATIONS[version].split(";"):
                    if statement.strip():
                        con.execute(statement)
            con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
                        (str(SCHEMA_VERSION),))

        self._write(work)

    @staticmethod
    def _record(geom, note, author, tags, status, target) -> dict:
        minx, miny, maxx, maxy = geom.bounds
        return {"geometry": json.dumps(mapping(geom)), "minx": minx, "miny": miny,
                "maxx": maxx, "maxy": maxy, "note": note, "author": author,
                "tags": json.dumps(tags, ensure_ascii=False), "status": status,
                "target": target}

    @staticmethod
    def _history(con, annotation_id, version, author, action, changes) -> None:
        con.execute("INSERT INTO history (annotation_id, version, author, at, action, changes)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (annotation_id, version, author, _now(), action,
                     json.dumps(changes, ensure_ascii=False)))

    # ----------------------------------------------------------------- API

    def add(self, geometry, note: str, author: str, tags=(), target: str | None = None) -> str:
        geom = clean_geometry(geometry)
        note = clean_text(note, "备注", NOTE_MAX_CHARS)
        author = clean_text(author, "作者", AUTHOR_MAX_CHARS, required=True)
        tags = clean_tags(tags)
        target = clean_text(target, "目标", 200) or None
        record = self._record(geom, note, author, tags, "open", target)
        annotation_id = uuid.uuid4().hex

        def work(con):
            now = _now()
            con.execute(
                "INSERT INTO annotations (id, geometry, minx, miny, maxx, maxy, note, author,"
                " tags, status, target, created_at, updated_at, version) VALUES"
                " (:id, :geometry, :minx, :miny, :maxx, :maxy, :note, :author, :tags, :status,"
                " :target, :now, :now, 1)", {**record, "id": annotation_id, "now": now})
            self._history(con, annotation_id, 1, author, "add",
                          {k: record[k] for k in ("geometry", "note", "tags", "status",
                                                  "target")})
            return annotation_id

        return self._write(work)

    def get(self, annotation_id: str) -> dict | None:
        con = self._connect()
        try:
            con.row_factory = sqlite3.Row
            row = con.execute("SELECT * FROM annotations WHERE id = ?",
                              (annotation_id,)).fetchone()
        finally:
            con.close()
        return None if row is None else self._as_dict(row)

    @staticmethod
    def _as_dict(row) -> dict:
        out = dict(row)
        out["geometry"] = shape(json.loads(out["geometry"]))
        out["tags"] = json.loads(out["tags"])
        for k in ("minx", "miny", "maxx", "maxy"):
            out.pop(k)
        return out

    def update(self, annotation_id: str, *, author: str, geometry=None, note=None, tags=None,
               status=None) -> int:
        """Change what is given; returns the new version. Only the author may edit (an admin
        check belongs to the caller that knows roles)."""
        author = clean_text(author, "作者", AUTHOR_MAX_CHARS, required=True)
        changes: dict = {}
        if geometry is not None:
            geom = clean_geometry(geometry)
            minx, miny, maxx, maxy = geom.bounds
            changes.update(geometry=json.dumps(mapping(geom)), minx=minx, miny=miny,
                           maxx=maxx, maxy=maxy)
        if note is not None:
            changes["note"] = clean_text(note, "备注", NOTE_MAX_CHARS)
        if tags is not None:
            changes["tags"] = json.dumps(clean_tags(tags), ensure_ascii=False)
        if status is not None:
            if status not in STATUSES or status == "deleted":
                raise AnnotationError(f"状态只能是：{'、'.join(s for s in STATUSES if s != 'deleted')}")
            changes["status"] = status
        if not changes:
            raise AnnotationError("没有要修改的内容")
        return self._change(annotation_id, author, "update", changes)

    def _change(self, annotation_id, author, action, changes, expect_deleted=None) -> int:
        def work(con):
            row = con.execute("SELECT author, version, status FROM annotations WHERE id = ?",
                              (annotation_id,)).fetchone()
            if row is None:
                raise AnnotationError(f"标注不存在：{annotation_id}")
            owner, version, status = row
            if owner != author:
                raise AnnotationError("只有作者本人可以修改或删除此标注")
            if expect_deleted is not None and (status == "deleted") != expect_deleted:
                raise AnnotationError("标注已删除" if status == "deleted" else "标注未被删除")
            if action == "update" and status == "deleted":
                raise AnnotationError("标注已删除，请先恢复")
            version += 1
            sets = ", ".join(f"{k} = :{k}" for k in changes)
            con.execute(f"UPDATE annotations SET {sets}, version = :version, updated_at = :now"
                        " WHERE id = :id",
                        {**changes, "version": version, "now": _now(), "id": annotation_id})
            shown = {k: v for k, v in changes.items() if k not in ("minx", "miny", "maxx", "maxy")}
            self._history(con, annotation_id, version, author, action, shown)
            return version

        return self._write(work)

    def delete(self, annotation_id: str, *, author: str) -> int:
        author = clean_text(author, "作者", AUTHOR_MAX_CHARS, required=True)
        return self._change(annotation_id, author, "delete", {"status": "deleted"},
                            expect_deleted=False)

    def restore(self, annotation_id: str, *, author: str) -> int:
        author = clean_text(author, "作者", AUTHOR_MAX_CHARS, required=True)
        return self._change(annotation_id, author, "restore", {"status": "open"},
                            expect_deleted=True)

    def history(self, annotation_id: str) -> list[Version]:
        con = self._connect()
        try:
            rows = con.execute("SELECT version, author, at, action, changes FROM history"
                               " WHERE annotation_id = ? ORDER BY version",
                               (annotation_id,)).fetchall()
        finally:
            con.close()
        return [Version(v, a, at, act, json.loads(ch)) for v, a, at, act, ch in rows]

    def list(self, bbox=None, tags=None, include_deleted: bool = False) -> gpd.GeoDataFrame:
        """Annotations as a GeoDataFrame (EPSG:4326); ``bbox`` = (minx, miny, maxx, maxy)
        keeps those whose box overlaps it; ``tags`` keeps those with any of the tags."""
        where, args = [], []
        if not include_deleted:
            where.append("status != 'deleted'")
        if bbox is not None:
            minx, miny, maxx, maxy = (float(v) for v in bbox)
            where.append("maxx >= ? AND minx <= ? AND maxy >= ? AND miny <= ?")
            args += [minx, maxx, miny, maxy]
        sql = ("SELECT id, geometry, note, author, tags, status, target, created_at, updated_at,"
               " version FROM annotations")
        if where:
            sql += " WHERE " + " AND ".join(where)
        con = self._connect()
        try:
            rows = con.execute(sql + " ORDER BY created_at", args).fetchall()
        finally:
            con.close()
        wanted = set(clean_tags(tags)) if tags else None
        records = []
        for r in rows:
            row_tags = json.loads(r[4])
            if wanted and not wanted.intersection(row_tags):
                continue
            records.append({"id": r[0], "note": r[2], "author": r[3], "tags": row_tags,
                            "status": r[5], "target": r[6], "created_at": r[7],
                            "updated_at": r[8], "version": r[9], "geometry": r[1]})
        geometries = shapely.from_geojson([r.pop("geometry") for r in records]) if records else []
        return gpd.GeoDataFrame(records, geometry=list(geometries), crs="EPSG:4326") \
            if records else gpd.GeoDataFrame(
                columns=["id", "note", "author", "tags", "status", "target", "created_at",
                         "updated_at", "version", "geometry"], geometry="geometry",
                crs="EPSG:4326")

    def integrity_ok(self) -> bool:
        con = self._connect()
        try:
            ok = con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            orphans = con.execute(
                "SELECT count(*) FROM annotations a WHERE NOT EXISTS (SELECT 1 FROM history h"
                " WHERE h.annotation_id = a.id AND h.version = a.version)").fetchone()[0]
        finally:
            con.close()
        return ok and orphans == 0
