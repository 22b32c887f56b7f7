"""Each layer's features as GeoJSON for the browser: only what is drawn (id, tooltip, popup,
style), geometry simplified for display and moved to the basemap's datum.

Popup and tooltip HTML is built from escaped text (popups.e): folium inserts GeoJSON
properties into ``innerHTML`` unescaped, so a name with ``<`` would otherwise become markup."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from layers.export import geojson_dict, to_datum
from layers.notes.model import target_of
from layers.schema import (
    CATEGORY_COLOURS,
    COLOURS,
    DEFAULT_COLOUR,
    NOTE_STATUS_COLOURS,
    PLACE_LABELS,
    PROJECT_STYLES,
    SECTOR_FILL,
    SECTOR_STYLES,
    STORAGE_CRS,
    UNCERTAINTY,
)
from layers.web.popups import (
    CORRECTION_COLOUR,
    annotation_popup,
    correction_note,
    e,
    focus_popup,
    place_popup,
    project_popup,
    sector_popup,
)

DISTRICT_STYLE = COLOURS["district"]
# Outlines of districts and sectors for display only: 0.001° ≈ 100 m, below what a planner
# reads at district zoom (sectors are drawn from kilometre-scale members anyway); it shrinks
# the outline data about tenfold. Exports keep the full geometry.
OUTLINE_SIMPLIFY_DEG = 0.001
# What the browser gets: 5 decimals (≈ 1 m) and lines/outlines simplified within ≈ 20 m.
# Every position we hold is known to tens of metres at best (sectors to kilometres), and this
# cuts what each rerun sends about threefold.
DISPLAY_DECIMALS = 5
DISPLAY_SIMPLIFY_DEG = 0.0002



def _features(frame: gpd.GeoDataFrame, props: dict[str, list], datum: str,
              simplify_deg: float = DISPLAY_SIMPLIFY_DEG) -> dict:
    """A GeoJSON FeatureCollection of ``frame``'s geometries (in ``datum``) with only the
    given properties: what the browser needs, not the whole record."""
    shown = gpd.GeoDataFrame(dict(props, id=list(frame["id"])),
                             geometry=list(frame.geometry), crs=frame.crs)
    shown = shown[shown.geometry.notna() & ~shown.geometry.is_empty]
    # Leaflet 1.9.3 binds a tooltip's focus listeners to every sublayer with getElement(),
    # which the marker group of a MultiPoint lacks (the whole layer then fails to draw):
    # a MultiPoint is sent as its points, each a feature with the same id and properties.
    multi = (shown.geom_type == "MultiPoint").to_numpy()
    if multi.any():
        shown = pd.concat([shown[~multi], shown[multi].explode(index_parts=False)])
    shown = shown.set_geometry(shown.geometry.simplify(simplify_deg))
    data = geojson_dict(to_datum(shown, datum), decimals=DISPLAY_DECIMALS)
    # folium styles features by a unique feature id (it renumbers them all otherwise): the
    # parts of a MultiPoint get "<id>#<n>"; properties.id stays the record's id
    seen: dict[str, int] = {}
    for feature in data["features"]:
        n = seen[feature["id"]] = seen.get(feature["id"], -1) + 1
        if n:
            feature["id"] = f"{feature['id']}#{n}"
    return data




def subset(data: dict, ids) -> dict:
    """The features of ``data`` whose record id is in ``ids`` (a filter, without redrawing
    popups or geometry)."""
    ids = set(ids)
    return {**data, "features": [f for f in data["features"] if f["properties"]["id"] in ids]}


def project_styles(projects: gpd.GeoDataFrame) -> list[dict]:
    """Each project's style: its category's colour; an area dashed and lightly filled, its
    fill divided by how many project areas stack on it (as sectors', ``sector_styles``);
    a schematic line dotted."""
    areas = (projects["geometry_kind"] == "area").to_numpy()
    depths = iter(stack_depth(list(projects.geometry[areas]), SECTOR_FILL["grid_deg"]))
    styles = []
    for category, is_area, schematic in zip(projects["category"], areas,
                                            projects["schematic"], strict=True):
        colour = CATEGORY_COLOURS.get(category, DEFAULT_COLOUR)
        style = {"color": colour, "fillColor": colour, **PROJECT_STYLES["line"]}
        if is_area:
            style.update(PROJECT_STYLES["area"])
            style["fillOpacity"] = round(style["fillOpacity"] / next(depths), 3)
        if schematic:
            style.update(PROJECT_STYLES["schematic"])
        styles.append(style)
    return styles


def uncertainty_m(geometry, precision_m) -> float:
    """The radius of the circle a point is drawn with: its precision when coarser than
    ``exact_m`` (schema.yaml uncertainty), else 0; lines and areas carry theirs in their shape."""
    if geometry is None or geometry.geom_type != "Point" or not precision_m \
            or pd.isna(precision_m) or precision_m <= UNCERTAINTY["exact_m"]:
        return 0.0
    return float(precision_m)


def _unverified(row) -> bool:
    """Whether a located place the record stands on is a coordinate nobody has checked."""
    places = row.get("places")
    if isinstance(places, list):  # a project: the places it cites
        return any(p.get("unverified") and p.get("status") in ("auto", "review") for p in places)
    return bool(row.get("unverified"))  # a place


def _tooltip(row) -> str:
    suffix = f"（{UNCERTAINTY['unverified_label']}）" if _unverified(row) else ""
    return e(row["name"]) + suffix


def projects_data(projects: gpd.GeoDataFrame, documents: dict[str, str],
                  datum: str = "wgs84") -> dict:
    rows = [r for _, r in projects.iterrows()]
    return _features(projects, {
        "tooltip": [_tooltip(r) for r in rows],
        "popup": [project_popup(r, documents) for r in rows],
        "style": project_styles(projects),
        "radius_m": [uncertainty_m(r.geometry, r["precision_m"]) for r in rows]}, datum)


def stack_depth(geometries, step_deg: float) -> list[int]:
    """For each geometry, the most geometries that cover any one point of it (itself
    included), counted at the centres of a ``step_deg`` grid; 1 where no centre falls."""
    import numpy as np
    import shapely

    shapes = [g if g is not None and not g.is_empty else None for g in geometries]
    live = [g for g in shapes if g is not None]
    if not live:
        return [1] * len(shapes)
    minx, miny, maxx, maxy = shapely.total_bounds(live)
    xs = np.arange(minx + step_deg / 2, maxx, step_deg)
    ys = np.arange(miny + step_deg / 2, maxy, step_deg)
    grid_x, grid_y = np.meshgrid(xs, ys)
    count = np.zeros(grid_x.shape, dtype=np.int32)
    covers = []
    for g in shapes:
        if g is None:
            covers.append(None)
            continue
        bx0, by0, bx1, by1 = g.bounds
        (i0, i1), (j0, j1) = np.searchsorted(xs, [bx0, bx1]), np.searchsorted(ys, [by0, by1])
        inside = shapely.contains_xy(g, grid_x[j0:j1, i0:i1], grid_y[j0:j1, i0:i1])
        count[j0:j1, i0:i1] += inside
        covers.append((slice(j0, j1), slice(i0, i1), inside))
    depths = []
    for cover in covers:
        if cover is None or not cover[2].any():
            depths.append(1)
            continue
        rows, cols, inside = cover
        depths.append(int(count[rows, cols][inside].max()))
    return depths


def sector_styles(sectors: gpd.GeoDataFrame) -> list[dict]:
    """Each sector's style (schema.yaml sector_kinds): its kind's, dashed when approximate or
    schematic, its fill divided by how many sectors stack on it (``stack_depth``). The 主城
    holds up to 14 sectors on one spot: at their own fills they would blend to an opaque
    smear; divided, any spot's fills add up to at most 1 − e^(−max fill) (≈ 26 %), and the
    outlines, at full strength, still tell the sectors apart."""
    depths = stack_depth(list(sectors.geometry), SECTOR_FILL["grid_deg"])
    styles = []
    for kind, approximate, schematic, depth in zip(
            sectors["kind"], sectors["approximate"], sectors["schematic"], depths, strict=True):
        style = dict(SECTOR_STYLES.get(kind, SECTOR_STYLES["zone"]))
        style["fillColor"] = style["color"]
        style["fillOpacity"] = round(style["fillOpacity"] / depth, 3)
        if approximate or schematic:
            style["dashArray"] = "4 4"
        styles.append(style)
    return styles


def sectors_data(sectors: gpd.GeoDataFrame, datum: str = "wgs84") -> dict:
    rows = [r for _, r in sectors.iterrows()]
    return _features(sectors, {
        "tooltip": [f"{e(r['name'])}（{e(r['structure'])}）" for r in rows],
        "popup": [sector_popup(r) for r in rows], "style": sector_styles(sectors)},
        datum, OUTLINE_SIMPLIFY_DEG)


def places_data(places: gpd.GeoDataFrame, datum: str = "wgs84") -> dict:
    rows = [r for _, r in places.iterrows()]
    return _features(places, {
        "tooltip": [_tooltip(r) for r in rows],
        "popup": [place_popup(r) for r in rows],
        "style": [{"color": COLOURS["place"], "fillColor": "#ffffff"}] * len(rows),
        "radius_m": [uncertainty_m(r.geometry, r["precision_m"]) for r in rows]}, datum)


def _label_at(points, datum: str) -> list[list[float]]:
    from geo.datum import convert

    return [[round(float(c), DISPLAY_DECIMALS) for c in
             ((p.x, p.y) if datum == "wgs84" else convert(p.x, p.y, "wgs84", datum))]
            for p in points]


def districts_data(districts: gpd.GeoDataFrame, datum: str = "wgs84",
                   major_places: gpd.GeoDataFrame | None = None) -> dict:
    """District outlines, each with its short name and where to write it (a point inside the
    district, in ``datum``), and the names of ``major_places`` (``labels``, each with the zoom
    it shows from): the blank basemap's only labels."""
    simple = districts[districts["level"] != "municipality"]
    data = _features(simple, {
        "tooltip": [e(n) for n in simple["name"]],
        "popup": [f"<b>{e(n)}</b><div><small>{e(s)}</small></div>"
                  for n, s in zip(simple["name"], simple["source"], strict=True)],
        "style": [DISTRICT_STYLE] * len(simple),
        "label": [e(n) for n in simple["short_name"]],
        "label_at": _label_at([g.representative_point() for g in simple.geometry], datum)},
        datum, OUTLINE_SIMPLIFY_DEG)
    if major_places is not None and len(major_places):
        data["labels"] = [{"label": e(name), "at": at, "zoom": PLACE_LABELS["zoom"]}
                          for name, at in zip(major_places["name"],
                                              _label_at(major_places.geometry, datum),
                                              strict=True)]
    return data




def annotation_style(row) -> dict:
    colour = NOTE_STATUS_COLOURS.get(row["status"], NOTE_STATUS_COLOURS["open"])
    style = {"color": colour, "fillColor": colour, "weight": 3, "fillOpacity": 0.2}
    if row["status"] == "deleted":
        style["dashArray"] = "4 4"
    return style


def annotations_data(annotations: gpd.GeoDataFrame, target_labels: dict[str, str],
                     datum: str = "wgs84") -> dict:
    """The annotations to draw: geometry as drawn (not simplified), note as escaped text."""
    rows = [r for _, r in annotations.iterrows()]
    return _features(annotations, {
        "tooltip": [e(r["note"][:40]) if r["note"] else "（无备注）" for r in rows],
        "popup": [annotation_popup(r, target_labels.get(target_of(r["target"]), "")) for r in rows],
        "style": [annotation_style(r) for r in rows]}, datum, simplify_deg=0)


def corrections_data(projects: gpd.GeoDataFrame, places: gpd.GeoDataFrame,
                     documents: dict[str, str], datum: str = "wgs84") -> dict:
    """Corrected projects and places (``annotations.apply_corrections`` output, corrected
    rows only) where planners put them, each marked as a correction."""
    rows = [("project", r) for _, r in projects.iterrows()] + \
           [("place", r) for _, r in places.iterrows()]
    frame = gpd.GeoDataFrame({"id": [r["id"] for _, r in rows]},
                             geometry=[r.geometry for _, r in rows], crs=STORAGE_CRS)
    style = {"color": CORRECTION_COLOUR, "fillColor": CORRECTION_COLOUR, "weight": 3,
             "fillOpacity": 0.25}
    return _features(frame, {
        "tooltip": [f"{e(r['name'])}（规划师更正）" for _, r in rows],
        "popup": [focus_popup(kind, r, documents).removesuffix("</div>") + correction_note(r)
                  + "</div>" for kind, r in rows],
        "style": [style] * len(rows)}, datum, simplify_deg=0)
