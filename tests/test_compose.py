"""The page's rules, out of the page: settings precedence, the annotation filter, and the one
function that composes the map's layers and view."""

import geopandas as gpd
import pytest
from shapely.geometry import Point, box

from geo.city import CITY
from layers.web.compose import MapView, compose_map, moved_view, shown_extent, view_in_datum
from layers.web.elements import FetchedLayer
from layers.web.settings import Settings
from layers.web.state import NoteFilter, ViewState
from layers.web.webmap import START_ZOOM, base_map, fit_view


def drawn(view) -> dict:
    """Layer -> ids its group draws, and the names of the other groups."""
    m = base_map("blank")
    for group in view.groups:
        group.add_to(m)
    html = m.get_root().render()
    return ({o["layer"]: o["ids"] for o in FetchedLayer.options_in(html)},
            [g.layer_name for g in view.groups])


def test_a_secret_wins_over_the_environment_which_wins_over_the_default():
    env = {"TIANDITU_KEY": "from-env", "PLANMAP_ANNOTATIONS_URL": "postgresql://env/db"}
    both = Settings.resolve({"TIANDITU_KEY": "from-secret"}, env)
    assert both.tianditu_key == "from-secret" and both.database_url == "postgresql://env/db"
    assert Settings.resolve(None, {}) == Settings()
    users = {"planmap_users": {"甲": {"role": "admin"}}}
    assert Settings.resolve(users, {}).secrets == users


def test_the_annotation_filter_keeps_live_notes_by_default():
    notes = gpd.GeoDataFrame({
        "id": ["a", "b", "c", "d"], "status": ["open", "resolved", "deleted", "open"],
        "author": ["甲", "乙", "甲", "乙"],
        "tags": [["拟选址"], [], ["拟选址"], ["意见", "交通"]]},
        geometry=[Point(106.5, 29.5)] * 4, crs="EPSG:4326")
    assert list(NoteFilter().apply(notes)["id"]) == ["a", "b", "d"]
    assert list(NoteFilter(statuses=("deleted",)).apply(notes)["id"]) == ["c"]
    assert list(NoteFilter(tags=("交通", "拟选址")).apply(notes)["id"]) == ["a", "d"]
    assert list(NoteFilter(authors=("乙",), tags=("意见",)).apply(notes)["id"]) == ["d"]


def test_the_view_draws_the_selection_and_fits_it(cat):
    state = ViewState(categories=["水利"])
    selected, sectors = cat.select(state), cat.visible_sectors(state)
    view = compose_map(cat, state, selected, sectors)
    ids, names = drawn(view)
    assert sorted(ids["projects"]) == sorted(selected["id"])
    assert ids["districts"] is None and sorted(ids["sectors"]) == sorted(sectors["id"])
    assert "places" not in ids and "定位" not in names
    located = selected[selected.geometry.notna()]
    minx, miny, maxx, maxy = located.total_bounds
    lat, lon = view.center
    assert minx - 1 <= lon <= maxx + 1 and miny - 1 <= lat <= maxy + 1
    assert view.datum == "wgs84" and view.unlocated_focus is None


def test_a_focused_project_is_outlined_and_centred(cat):
    row = cat.projects[cat.projects.geometry.notna()].iloc[0]
    state = ViewState(focus=f"project:{row['id']}")
    view = compose_map(cat, state, cat.select(state), cat.visible_sectors(state))
    _, names = drawn(view)
    assert "定位" in names
    anchor = row.geometry.representative_point()
    assert view.center == pytest.approx((anchor.y, anchor.x), abs=0.5)


def test_an_unlocated_focus_is_reported_not_drawn(cat):
    row = cat.projects[cat.projects.geometry.isna()].iloc[0]
    state = ViewState(focus=f"project:{row['id']}")
    view = compose_map(cat, state, cat.select(state), cat.visible_sectors(state))
    assert view.unlocated_focus["id"] == row["id"]
    assert "定位" not in drawn(view)[1]


def test_corrections_replace_the_corrected_records_and_notes_are_drawn(cat):
    pid = cat.projects[cat.projects.geometry.notna()].iloc[0]["id"]
    fixes = gpd.GeoDataFrame({
        "id": ["n1"], "target": [pid], "author": ["张工"], "note": ["实际在这里"],
        "updated_at": ["2026-11-29T10:00:00"], "status": ["open"], "tags": [[]],
        "version": [1]}, geometry=[Point(106.7, 29.7)], crs="EPSG:4326").set_index(
        "target", drop=False)
    state = ViewState()
    selected = cat.with_corrections(fixes).select(state)  # the page selects from it
    notes_data = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": "n1", "geometry": {"type": "Point", "coordinates": [106.7, 29.7]},
         "properties": {"id": "n1", "tooltip": "t", "popup": "p", "style": {}}}]}
    view = compose_map(cat, state, selected, cat.visible_sectors(state), fixes=fixes,
                       notes=fixes.reset_index(drop=True), notes_data=notes_data,
                       note_focus=[Point(106.7, 29.7)])
    ids, names = drawn(view)
    assert pid not in ids["projects"] and len(ids["projects"]) == len(selected) - 1
    assert "规划师更正" in names and "规划师标注" in names
    assert view.center == pytest.approx((29.7, 106.7), abs=1e-6)  # the chosen note
    hidden = compose_map(cat, state, selected, cat.visible_sectors(state), fixes=fixes,
                         notes=fixes, notes_data=notes_data, show_notes=False)
    assert "规划师标注" not in drawn(hidden)[1]


# ------------------------------------------------------------ where the planner panned to
def test_a_panned_view_stands_over_the_fit_and_the_focus(cat):
    """Issue 17 (8): the share link keeps pan and zoom; a focus or filter alone would refit."""
    focus = "place:c-guoyuangang"
    state = ViewState(focus=focus, view="29.50000,106.40000,13")
    view = compose_map(cat, state, cat.select(state), cat.visible_sectors(state))
    assert view.center == pytest.approx((29.5, 106.4)) and view.zoom == 13
    assert "定位" in drawn(view)[1]  # the focused record is still outlined
    refit = compose_map(cat, ViewState(focus=focus), cat.select(state),
                        cat.visible_sectors(state))
    assert refit.center != pytest.approx((29.5, 106.4))


def test_a_view_in_the_address_is_kept_only_when_the_planner_moved_the_map():
    shown = ((29.5, 106.5), 10, "wgs84")  # where the last run put the map
    assert moved_view("29.50000,106.50000,10", shown, "") is None  # the map is there
    assert moved_view("29.61235,106.30000,11", shown, "") == "29.61235,106.30000,11"
    # unchanged since the last run (the map has yet to follow a new fit): stale
    assert moved_view("29.61235,106.30000,11", shown, "29.61235,106.30000,11") is None
    # a new map's first move is to where it opens (the city's middle), not a planner's
    opened = f"{CITY.map_centre[0]:.5f},{CITY.map_centre[1]:.5f},{START_ZOOM}"
    assert moved_view(opened, shown, "") is None
    for junk in ("", "abc", "39.9,116.4,10", "29.6,106.5,40"):
        assert moved_view(junk, shown, "x") is None
    assert moved_view("29.61235,106.30000,11", None, "") is None  # no map shown yet


def test_a_kept_view_follows_a_basemap_switch_to_the_same_ground():
    on_amap = view_in_datum("29.50000,106.40000,12", "wgs84", "gcj02")
    lat, lon, zoom = (float(v) for v in on_amap.split(","))
    assert 0.001 < abs(lon - 106.4) < 0.01 and zoom == 12  # 高德's few hundred metres
    assert view_in_datum(on_amap, "gcj02", "wgs84") == "29.50000,106.40000,12"
    assert view_in_datum("", "wgs84", "gcj02") == ""


def test_the_shown_extent_is_the_map_at_its_usual_size():
    minx, miny, maxx, maxy = shown_extent(MapView(center=(29.5, 106.5), zoom=10))
    # 1000 px at zoom 10 span 1000 × 360 / 2^18 degrees of longitude
    assert maxx - minx == pytest.approx(1000 * 360 / 2 ** 18)
    assert (minx + maxx) / 2 == pytest.approx(106.5) and miny < 29.5 < maxy
    assert fit_view([box(minx, miny, maxx, maxy)])[1] in (9, 10)  # fit pads by 15 %
    on_amap = shown_extent(MapView(center=(29.5, 106.5), zoom=10, datum="gcj02"))
    assert 0.001 < minx - on_amap[0] < 0.01  # read off 高德, stored in WGS84
