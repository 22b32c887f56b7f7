"""Planners' corrections: an annotation targeting a project or place overrides its geometry.
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
