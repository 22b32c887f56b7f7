"""Planners' corrections: an annotation targeting a project or place, or a review decision
about a project (审核), overrides its geometry; the newest live one counts.
"""

from __future__ import annotations

import geopandas as gpd

# --------------------------------------------------------------------------- corrections

CORRECTION_COLUMNS = ["corrected_by", "corrected_at", "correction_note", "correction_id"]


def corrections(annotations: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The planners' corrections: per target (a project or place id), its newest annotation
    that is not deleted, indexed by target."""
    live = annotations[annotations["target"].notna() & (annotations["status"] != "deleted")]
    live = live.sort_values("updated_at").drop_duplicates("target", keep="last")
    return live.set_index("target", drop=False)


def apply_corrections(layer: gpd.GeoDataFrame, fixes: gpd.GeoDataFrame,
                      places: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """``layer`` with each corrected row's geometry replaced by its correction and marked
    with who corrected it, when, and why (empty columns elsewhere); ``layer`` itself is kept.
    A corrected project is located where the planner put it: its status becomes
    ``corrected`` and its kind follows the drawn shape. With ``places`` (the uncorrected place
    layer), a project drawn from a place a planner moved moves with it."""
    out = layer.copy()
    for column in CORRECTION_COLUMNS:
        out[column] = None
    hit = out["id"].isin(fixes.index)
    if hit.any():
        rows = fixes.loc[out.loc[hit, "id"]]
        _mark(out, hit, rows)
        out.loc[hit, out.geometry.name] = list(rows.geometry)
        if "status" in out.columns:
            _located_by_planner(out, hit)
    if places is not None and "places" in out.columns:
        _move_with_places(out, places, fixes)
    return out


def _mark(out, hit, rows) -> None:
    out.loc[hit, "corrected_by"] = list(rows["author"])
    out.loc[hit, "corrected_at"] = [t[:10] for t in rows["updated_at"]]
    out.loc[hit, "correction_note"] = list(rows["note"])
    out.loc[hit, "correction_id"] = list(rows["id"])


def _located_by_planner(out, hit) -> None:
    """Corrected rows are where the planner put them; a review decision of no place (an
    empty geometry) leaves the project off the map as 无需定位."""
    kinds = {"Point": "point", "MultiPoint": "multi", "LineString": "line",
             "MultiLineString": "line", "Polygon": "area", "MultiPolygon": "area"}
    placed = hit & out.geometry.map(lambda g: g is not None and not g.is_empty)
    nowhere = hit & ~placed
    out.loc[placed, "status"] = "corrected"
    out.loc[placed, "geometry_kind"] = [kinds.get(g.geom_type, "point")
                                        for g in out.loc[placed].geometry]
    out.loc[nowhere, "status"] = "no_location"
    out.loc[nowhere, "geometry_kind"] = "none"
    out.loc[nowhere, out.geometry.name] = None
    out.loc[hit, "precision_m"] = None  # where the planner drew it, not a gazetteer estimate
    out.loc[hit, "reason"] = ""


def _move_with_places(out, places: gpd.GeoDataFrame, fixes: gpd.GeoDataFrame) -> None:
    """Projects not corrected themselves whose shape was drawn from a place a planner moved:
    that place's position in the shape (a point, a route's stop, the centre of an area drawn
    around it) moves to the place's new point."""
    import shapely

    moved = places[places["id"].isin(fixes.index)]
    for _, place in moved.iterrows():
        new = fixes.loc[place["id"]].geometry
        if new is None or new.geom_type != "Point":
            continue  # a place corrected to a line or area: its projects keep their shape
        old = place.geometry
        dx, dy = new.x - old.x, new.y - old.y
        cites = out["places"].map(lambda refs, pid=place["id"]: any(
            r.get("id") == pid and r.get("status") in ("auto", "review") for r in refs or []))
        for i in out.index[cites & (out["corrected_by"].isna())]:
            shape = out.at[i, out.geometry.name]
            if shape is None or shape.is_empty:
                continue
            if shape.geom_type in ("Polygon", "MultiPolygon"):
                if shape.centroid.distance(old) > 1e-6:
                    continue
                shifted = shapely.affinity.translate(shape, dx, dy)
            else:
                shifted = shapely.transform(shape, lambda xy, o=old, n=new: _swap(xy, o, n))
                if shifted.equals_exact(shape, 0):
                    continue
            out.at[i, out.geometry.name] = shifted
            out.loc[[i], ["corrected_by", "corrected_at", "correction_note", "correction_id"]] = [[
                fixes.at[place["id"], "author"], fixes.at[place["id"], "updated_at"][:10],
                f"随地名“{place['name']}”的更正移动", fixes.at[place["id"], "id"]]]
            out.at[i, "status"] = "corrected"
            out.at[i, "precision_m"] = None


def _swap(xy, old, new):
    import numpy as np

    at = np.all(np.isclose(xy, [old.x, old.y], atol=1e-9), axis=1)
    xy = xy.copy()
    xy[at] = [new.x, new.y]
    return xy
