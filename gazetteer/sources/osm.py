"""OpenStreetMap-derived extracts (ODbL 1.0, © OpenStreetMap contributors).

Rows derived from them carry ``licence`` = the ODbL notice, and the derived tables are offered
under the ODbL too (README: "Data, sources and licences").
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from geo.paths import BUILD_DIR

# Chongqing's bounding box with a margin; the district polygons decide membership.
CHONGQING_BBOX = (105.2, 28.1, 110.3, 32.3)
STATIONS_ZIP = "oData-railway-station/Railway-station_oData.zip"


def read_stations(mirror: Path, cache_dir: Path = BUILD_DIR / "sources") -> list[dict]:
    """OSM stations (train, subway, monorail, tram) with a name, inside the bounding box:
    [{name, station, lon, lat}]."""
    import pyogrio

    from gazetteer.sources import snapshot_bytes

    target = cache_dir / "omap-stations"
    shp = target / "Railway-station_oData.shp"
    if not shp.exists():
        data = snapshot_bytes("osm-omap-stations", STATIONS_ZIP, mirror)
        target.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            archive.extractall(target)
    frame = pyogrio.read_dataframe(shp, bbox=CHONGQING_BBOX, encoding="utf-8")
    frame = frame[frame["name"].notna() & (frame["name"].str.strip() != "")]
    return [{"name": r.name.strip(), "station": r.station, "lon": round(r.geometry.x, 7),
             "lat": round(r.geometry.y, 7)} for r in frame.itertuples()]
