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
import uuid
from pathlib import Path

import geopandas as gpd
import shapely
from shapely.geometry import mapping

from geo.paths import data_dir
from layers.notes.backends import PostGISBackend, SQLiteBackend
from layers.notes.exchange import read_geojson_annotations
from layers.notes.model import (
    AUTHOR_MAX_CHARS,
    COLUMNS,
    KINDS,
    NOTE_MAX_CHARS,
    SCHEMA_VERSION,
    TARGET_MAX_CHARS,
    AnnotationError,
    Version,
    clean_decision,
    clean_geometry,
    clean_status,
    clean_tags,
    clean_text,
    now_iso,
)
from layers.schema import STORAGE_CRS

INF = float("inf")
EMPTY = shapely.GeometryCollection()  # where a "no place" decision is

# --------------------------------------------------------------------------- the store

class AnnotationStore:
    """``AnnotationStore()`` opens (creating if needed) ``<data dir>/annotations.sqlite``;
    a path or ``sqlite:///path`` opens that file; ``postgresql://…`` opens a PostGIS database."""

    def __init__(self, url: str | Path | None = None):
        if url is None:
            self._db = SQLiteBackend(data_dir() / "annotations.sqlite")
        elif str(url).startswith(("postgresql://", "postgres://")):
            self._db = PostGISBackend(str(url))
        else:
            self._db = SQLiteBackend(Path(str(url).removeprefix("sqlite:///")))
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
        # an empty geometry (a "no place" decision) has a box that overlaps no view
        minx, miny, maxx, maxy = (INF, INF, -INF, -INF) if geom.is_empty else geom.bounds
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
            {"id": annotation_id, "version": version, "author": author, "at": now_iso(),
             "action": action, "changes": json.dumps(changes, ensure_ascii=False)})

    @staticmethod
    def _clean_new(geometry, note, author, tags, target, status="open", kind="note",
                   detail=None) -> dict:
        geom = EMPTY if kind == "decision" and geometry is EMPTY else clean_geometry(geometry)
        return {**AnnotationStore._geometry_fields(geom), "kind": kind,
                "detail": json.dumps(detail or {}, ensure_ascii=False),
                "note": clean_text(note, "备注", NOTE_MAX_CHARS),
                "author": clean_text(author, "作者", AUTHOR_MAX_CHARS, required=True),
                "tags": json.dumps(clean_tags(tags), ensure_ascii=False),
                "status": clean_status(status),
                "target": clean_text(target, "目标", TARGET_MAX_CHARS) or None}

    def _insert(self, run, record: dict, action: str) -> str:
        annotation_id = uuid.uuid4().hex
        now = now_iso()
        columns = "id, geometry, note, author, tags, status, target, created_at, updated_at, " \
                  "version, kind, detail"
        values = f":id, {self._db.geometry_in}, :note, :author, :tags, :status, :target, " \
                 ":now, :now, 1, :kind, :detail"
        if self._db.kind == "sqlite":
            columns += ", minx, miny, maxx, maxy"
            values += ", :minx, :miny, :maxx, :maxy"
        run(f"INSERT INTO annotations ({columns}) VALUES ({values})",
            {**record, "id": annotation_id, "now": now})
        self._history(run, annotation_id, 1, record["author"], action,
                      {k: record[k] for k in ("geometry", "note", "tags", "status", "target")
                       + (("kind", "detail") if record["kind"] != "note" else ())})
        return annotation_id

    # ----------------------------------------------------------------- API

    def add(self, geometry, note: str, author: str, tags=(), target: str | None = None,
            status: str = "open") -> str:
        record = self._clean_new(geometry, note, author, tags, target, status)
        return self._db.write(lambda run: self._insert(run, record, "add"))

    def decide(self, target: str, decision: str, author: str, geometry=None, *,
               mention: str = "", place_id: str = "", precision_m: float | None = None,
               note: str = "") -> str:
        """A review decision about project ``target`` (审核): where it is — a gazetteer place
        (``place``, ``place_id``, its point as ``geometry``) or a point on the map
        (``point``) — or that it has no place (``none``, no geometry). Kept like an
        annotation: history, undo by delete, the newest live one counts."""
        detail = clean_decision({"decision": decision, "mention": mention,
                                 "place_id": place_id, "precision_m": precision_m}, geometry)
        if not clean_text(target, "目标", TARGET_MAX_CHARS):
            raise AnnotationError("审核决定须指明项目")
        record = self._clean_new(geometry if geometry is not None else EMPTY, note, author, (),
                                 target, "resolved", kind="decision", detail=detail)
        return self._db.write(lambda run: self._insert(run, record, "decide"))

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
        out["detail"] = json.loads(out["detail"])
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
                {**changes, "version": version, "now": now_iso(), "id": annotation_id})
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
             statuses=None, kind: str = "note") -> gpd.GeoDataFrame:
        """Annotations as a GeoDataFrame (EPSG:4326), oldest first. ``bbox`` = (minx, miny,
        maxx, maxy) keeps those whose box overlaps it; ``tags``, ``authors``, ``statuses``
        keep those with any of the given values; ``kind="decision"`` lists review decisions
        instead of annotations."""
        if kind not in KINDS:
            raise AnnotationError(f"未知的种类：{kind}")
        where, params = ["kind = :kind"], {"kind": kind}
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
            record["detail"] = json.loads(record["detail"])
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
        # kind and detail belong to review decisions: an annotation's are always note and {}
        frame = self.list(include_deleted=include_deleted).drop(columns=["kind", "detail"])
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
