"""The layers' schema, declared once: layer names, columns, JSON columns, every status, kind
and category label and colour, and the storage CRS.

Labels and styles are data (``data/schema.yaml``; category colours beside the categories in
``data/ingest/rules.yaml``); this module reads them once and every other module imports them
from here. Readers of a project row (its first source, its sections) live here too, so the
row's shape is known in one place.
"""

from __future__ import annotations

from geo.crs import STORAGE_CRS
from geo.datafile import load_yaml
from geo.paths import DATA_DIR
from layers.ingest.rules import rules

SCHEMA_FILE = DATA_DIR / "schema.yaml"

with open(SCHEMA_FILE, encoding="utf-8") as _f:
    _SCHEMA = load_yaml(_f)

__all__ = ["STORAGE_CRS"]  # re-exported: geo.crs declares it, layers import it from here

# ------------------------------------------------------------------ layers and their columns
LAYER_NAMES: tuple[str, ...] = tuple(_SCHEMA["layers"])
LAYER_LABELS: dict[str, str] = {k: v["label"] for k, v in _SCHEMA["layers"].items()}
LAYER_POINT_RADIUS: dict[str, float] = {k: v["radius"] for k, v in _SCHEMA["layers"].items()}
LAYER_LABEL_ZOOM: dict[str, int] = {k: v["label_zoom"] for k, v in _SCHEMA["layers"].items()
                                    if "label_zoom" in v}

PROJECT_COLUMNS = ("id", "name", "doc_ids", "sections", "category", "excerpt", "sources",
                   "places", "geometry_kind", "precision_m", "schematic", "partial", "outside",
                   "status", "reason", "source", "sectors", "geometry")
# Columns holding lists or mappings: JSON text in a GeoPackage, arrays/objects in GeoJSON.
JSON_COLUMNS: dict[str, tuple[str, ...]] = {
    "projects": ("doc_ids", "sections", "sources", "places", "sectors", "outside"),
    "places": ("aliases",),
    "sectors": ("aliases", "members"),
}

# ------------------------------------------------------------------ labels and colours
PROJECT_STATUS_LABELS: dict[str, str] = dict(_SCHEMA["project_statuses"])
REVIEW_DECISION_LABELS: dict[str, str] = dict(_SCHEMA["review_decisions"])
REVIEW_REASON_LABELS: dict[str, str] = dict(_SCHEMA["review_reasons"])
SECTOR_KIND_LABELS: dict[str, str] = {k: v["label"] for k, v in _SCHEMA["sector_kinds"].items()}
SECTOR_STYLES: dict[str, dict] = {k: dict(v["style"]) for k, v in _SCHEMA["sector_kinds"].items()}
SECTOR_FILL: dict = dict(_SCHEMA["sector_fill"])
PROJECT_STYLES: dict[str, dict] = {k: dict(v) for k, v in _SCHEMA["project_styles"].items()}
NOTE_STATUSES: tuple[str, ...] = tuple(_SCHEMA["note_statuses"])
NOTE_STATUS_LABELS: dict[str, str] = {k: v["label"] for k, v in _SCHEMA["note_statuses"].items()}
NOTE_STATUS_COLOURS: dict[str, str] = {k: v["colour"]
                                       for k, v in _SCHEMA["note_statuses"].items()}
NOTE_ACTION_LABELS: dict[str, str] = dict(_SCHEMA["note_actions"])
ROLE_LABELS: dict[str, str] = dict(_SCHEMA["roles"])
GEOMETRY_LABELS: dict[str, str] = dict(_SCHEMA["geometry_types"])
EXPORT_DATUM_LABELS: dict[str, str] = dict(_SCHEMA["export_datums"])
IMPORT_DATUM_LABELS: dict[str, str] = dict(_SCHEMA["import_datums"])
COLOURS: dict = dict(_SCHEMA["colours"])
UNCERTAINTY: dict = dict(_SCHEMA["uncertainty"])
PLACE_LABELS: dict = dict(_SCHEMA["place_labels"])
PRINT: dict = dict(_SCHEMA["print"])

OTHER_CATEGORY: str = rules()["other_category"]["name"]
CATEGORY_COLOURS: dict[str, str] = {
    **{name: spec["colour"] for name, spec in rules()["categories"].items()},
    OTHER_CATEGORY: rules()["other_category"]["colour"]}
DEFAULT_COLOUR: str = rules()["other_category"]["colour"]


def category_order(category: str) -> tuple[bool, str]:
    """Sort key of categories: by name, the fallback category last."""
    return category == OTHER_CATEGORY, category


# ------------------------------------------------------------------ readers of a project row
def first_source(row) -> dict:
    """The project's first source: ``doc_id``, ``sections``, ``start``, ``end``, ``excerpt``,
    ``found_by`` (the document it was found in first)."""
    return row["sources"][0]


def plan_position(doc_id: str, start: int, project_id: str) -> tuple[str, int, str]:
    """Where a project stands in the projects layer: by the plan and the offset that first
    name it, its id breaking ties (two names read from one sentence)."""
    return doc_id, start, project_id


def in_plan_order(projects):
    """The projects layer in ``plan_position`` order, however its file was written (a rebuild
    that rewrote a few rows appended them)."""
    keys = [plan_position(sources[0]["doc_id"], sources[0]["start"], pid)
            for sources, pid in zip(projects["sources"], projects["id"], strict=True)]
    return projects.iloc[sorted(range(len(keys)), key=keys.__getitem__)].reset_index(drop=True)


def source_count(row) -> int:
    return len(row["sources"] or ())


def section_path(source: dict) -> str:
    """A source's section titles joined outermost first, or （正文） for body text."""
    return " › ".join(source["sections"]) or "（正文）"
