"""The page through Streamlit's AppTest: filters, search, URL state, local asset links."""

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from layers.web.assets import missing
from layers.web.elements import FetchedLayer

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
pytestmark = pytest.mark.skipif(bool(missing()), reason="web assets not installed")


def run(**query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def metric(at, label) -> int:
    return int(next(m for m in at.metric if m.label == label).value)


def map_args(at) -> dict:
    """The arguments the page passed to the streamlit-folium component."""
    (component,) = [el for el in at.main if getattr(el, "type", "") == "component_instance"
                    or type(el).__name__ == "UnknownElement"
                    and "json_args" in str(getattr(el, "proto", ""))]
    return json.loads(component.proto.json_args)


def page_download(at, label: str) -> str:
    """The body of the page's download link whose label starts with ``label``, fetched as the
    browser would (the files route's download_file): GeoJSON as text, a GeoPackage as bytes."""
    import html
    import re

    from layers.web import mapfiles

    (links,) = [m.value for m in at.markdown if "planmap-downloads" in m.value]
    found = [(url, name) for url, name, text in re.findall(
        r'<a href="([^"]+)" download="([^"]+)">([^<]+)</a>', links)
        if html.unescape(text).startswith(label)]
    assert len(found) == 1, links
    url, name = map(html.unescape, found[0])
    body, filename, media_type = mapfiles.download_file(url.rsplit("/", 1)[1])
    assert filename == name and media_type == mapfiles.DOWNLOAD_TYPES[Path(name).suffix]
    return body.decode() if name.endswith(".geojson") else body


def drawn_ids(at) -> dict:
    """Layer -> the record ids its group draws from the layer's static file (None: all)."""
    return {o["layer"]: o["ids"]
            for o in FetchedLayer.options_in(map_args(at)["feature_group"])}


@pytest.fixture(scope="module")
def first():
    at = run()
    assert not at.exception, at.exception
    return at


def test_opens_in_chinese_with_every_project(first, built_layers):
    assert first.title[0].value == "规划项目地图"
    assert metric(first, "项目") == len(built_layers["projects"])
    labels = {w.label for w in first.sidebar.multiselect}
    assert {"空间结构", "片区/板块", "文档", "类别", "区县", "状态"} <= labels
    assert not first.error  # assets present, nothing failed


def test_every_asset_link_is_local(first):
    args = map_args(first)
    links = args["js_links"] + args["css_links"]
    assert any("leaflet.js" in link for link in links)
    assert links and all(link.startswith("/app/static/vendor/") for link in links), links
    for text in (args["script"], args["feature_group"] or "", args["header"], args["html"]):
        assert "cdn." not in text and "unpkg" not in text and "cdnjs" not in text
    # the layers arrive as feature groups, so a filter change does not remount the map; they
    # are drawn from files the app serves itself
    assert "L.geoJSON" in args["feature_group"] and "L.geoJSON" not in args["script"]
    assert set(drawn_ids(first)) == {"districts", "sectors", "projects"}


def test_filters_shrink_the_map_and_the_counts(built_layers):
    at = run()
    before = map_args(at)["feature_group"]
    at.sidebar.multiselect(key="categories").set_value(["水利"]).run()
    expected = (built_layers["projects"]["category"] == "水利").sum()
    assert metric(at, "项目") == expected
    after = map_args(at)["feature_group"]
    assert len(after) < len(before)
    assert len(drawn_ids(at)["projects"]) == expected
    assert at.query_params["cat"] == "水利"


def test_one_project_in_the_filter(built_layers):
    projects = built_layers["projects"]
    pid = projects.loc[projects["name"] == "果园港枢纽港建设工程", "id"].iloc[0]
    at = run()
    at.sidebar.multiselect(key="projects").set_value([pid]).run()
    assert metric(at, "项目") == 1
    assert at.dataframe[-1].value.index.tolist() == [pid]
    assert drawn_ids(at)["projects"] == [pid]


@pytest.mark.parametrize("query", ["果园港", "guoyuangang"])
def test_search_focuses_guoyuangang(query):
    at = run()
    at.sidebar.text_input(key="query").input(query).run()
    radio = at.sidebar.radio(key="search_pick")
    assert radio.options[0] == "果园港 · 地名 · 港口 · 两江新区"
    radio.set_value("place:c-guoyuangang").run()
    args = map_args(at)
    # 果园港 is known to ±5 km: the view shows that circle (zoom 12), not a street (issue 17)
    assert 11 <= args["zoom"] <= 13
    assert args["center"][0] == pytest.approx(29.6, abs=0.2)
    assert "openPopup" in args["feature_group"]
    assert at.query_params["focus"] == "place:c-guoyuangang"


def test_url_state_reproduces_the_view(built_layers):
    at = run(cat="交通", dist="两江新区", base="blank")
    projects = built_layers["projects"]
    assert at.sidebar.multiselect(key="categories").value == ["交通"]
    assert at.sidebar.multiselect(key="districts").value == ["两江新区"]
    assert 0 < metric(at, "项目") < (projects["category"] == "交通").sum()
    bad = run(cat="交通,火星", conf="x")
    assert any("火星" in w.value for w in bad.warning)
    assert any("x" in w.value for w in bad.warning)
    assert metric(bad, "项目") == (projects["category"] == "交通").sum()


def test_amap_basemap_shifts_the_layers():
    plain = map_args(run(focus="place:c-guoyuangang"))
    amap = map_args(run(focus="place:c-guoyuangang", base="amap"))
    assert "autonavi" in amap["script"] and "autonavi" not in plain["script"]
    assert amap["center"] != plain["center"]
    # 高德's offset here is about 300-600 m: a few thousandths of a degree
    assert 0.001 < abs(amap["center"][1] - plain["center"][1]) < 0.01


def test_a_filter_change_fits_the_new_selection_not_the_old_focus():
    at = run(focus="place:c-guoyuangang")
    assert map_args(at)["zoom"] >= 11
    at.sidebar.multiselect(key="categories").set_value(["水利"]).run()
    assert "focus" not in at.query_params
    assert map_args(at)["zoom"] <= 8  # 水利 projects spread over the municipality


def test_focus_zooms_no_closer_than_the_place_is_known():
    """Issue 17 (2): a point known to ±30 km (涪陵页岩气, drawn at 涪陵) is shown with room for
    its circle, not at the 300 m scale a focus used to give every point."""
    from geo.crs import buffer_m
    from layers.web.current import default_catalogue
    from layers.web.webmap import MAX_ZOOM, fit_view

    projects = default_catalogue().projects
    row = projects[projects["name"] == "涪陵页岩气"].iloc[0]
    assert row["geometry_kind"] == "point" and row["precision_m"] >= 20_000
    zoom = map_args(run(focus=f"project:{row['id']}"))["zoom"]
    assert zoom == fit_view([buffer_m(row.geometry, row["precision_m"])])[1] < MAX_ZOOM - 5


def test_a_filter_fits_the_view_to_the_selection():
    """Issue 17 (1): choosing a district or a group zooms to it (the view used to stay fitted
    to every sector, so it never moved)."""
    from shapely.geometry import Point

    from geo.boundaries import district_by_name

    at = run()
    city_zoom = map_args(at)["zoom"]
    at.sidebar.multiselect(key="districts").set_value(["万州区"]).run()
    args = map_args(at)
    assert args["zoom"] >= city_zoom + 2
    lat, lon = args["center"]
    assert district_by_name("万州区").geometry.contains(Point(lon, lat))
    at.sidebar.multiselect(key="districts").set_value([]).run()
    at.sidebar.multiselect(key="documents").set_value(["lj10"]).run()  # 两江's ten projects
    args = map_args(at)
    assert args["zoom"] >= city_zoom + 2
    lat, lon = args["center"]
    assert district_by_name("两江新区").geometry.buffer(0.05).contains(Point(lon, lat))


def test_geojson_downloads_are_links_made_when_clicked_and_follow_the_filter():
    """The page offers its GeoJSON as links the files route makes on request: a download
    button sent its whole file (~8 MB for the five) to the browser at every page load and
    filter change. The selection follows the filter; a layer holds all of it."""
    from layers.schema import LAYER_LABELS
    from layers.web.current import default_catalogue
    from layers.web.state import ViewState

    cat = default_catalogue()
    at = run(cat="水利")
    assert not [b for b in at.get("download_button")]
    water = cat.select(ViewState(categories=["水利"]))
    data = json.loads(page_download(at, f"当前筛选的项目（{len(water)}）"))
    assert [f["id"] for f in data["features"]] == list(water["id"])
    districts = json.loads(page_download(at, f"{LAYER_LABELS['districts']}（全部）"))
    assert len(districts["features"]) == len(cat.districts)
    at.sidebar.multiselect(key="categories").set_value([]).run()
    everything = json.loads(page_download(at, f"当前筛选的项目（{len(cat.projects)}）"))
    assert len(everything["features"]) == len(cat.projects)


def test_a_rebuild_while_the_app_runs_is_picked_up_by_the_next_rerun(built_layers):
    """python -m layers build on a running server: the next rerun shows the new build,
    no restart (the catalogue compares the GeoPackage's stamp on each rerun)."""
    from layers.build import LAYERS_FILE, build
    from layers.ingest.readers import plan_files

    at = run()
    assert metric(at, "项目") == len(built_layers["projects"])
    one_plan = plan_files()[:1]
    try:
        smaller = build(one_plan, out=LAYERS_FILE)["layers"]["projects"]
        assert 0 < len(smaller) < len(built_layers["projects"])
        at.run()
        assert not at.exception, at.exception
        assert metric(at, "项目") == len(smaller)
    finally:
        build(out=LAYERS_FILE)  # the whole build again, for the tests after this one
    at.run()
    assert metric(at, "项目") == len(built_layers["projects"])


def test_a_link_with_a_view_opens_there_until_a_filter_changes():
    """Issue 17 (8): the share link carries pan and zoom (``v``); a filter change refits."""
    at = run(v="29.60000,106.60000,13", dist="两江新区")
    args = map_args(at)
    assert args["center"] == pytest.approx([29.6, 106.6]) and args["zoom"] == 13
    assert at.query_params["v"] == "29.60000,106.60000,13" and not at.warning
    minx, miny, maxx, maxy = at.session_state["map_extent"]  # what 导出地图 prints
    assert (minx + maxx) / 2 == pytest.approx(106.6) and miny < 29.6 < maxy
    assert maxx - minx < 0.2  # zoom 13, not the district's extent
    at.sidebar.multiselect(key="districts").set_value(["万州区"]).run()
    assert "v" not in at.query_params
    assert map_args(at)["center"][1] > 107.5  # fitted to 万州


def test_the_map_is_printed_on_request_as_a_pdf_with_its_filter():
    """Issue 17 (7): 生成地图 renders the sheet; its download is the PDF of this filter."""
    import io

    from pypdf import PdfReader

    at = run(dist="万州区")
    assert not [b for b in at.get("download_button") if b.proto.label.startswith("下载 PDF")]
    next(b for b in at.button if b.key == "print_make").click().run()
    assert not at.exception and not at.error
    data = at.session_state["printout"][1]
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert "规划项目地图" in text and "区县：万州区" in text and "图例" in text
    (button,) = [b for b in at.get("download_button") if b.proto.label.startswith("下载 PDF")]
    # a new filter makes the sheet stale: the page says so instead of offering the old one
    at.sidebar.multiselect(key="categories").set_value(["交通"]).run()
    assert not [b for b in at.get("download_button") if b.proto.label.startswith("下载 PDF")]
    assert any("请重新生成" in c.value for c in at.caption)


def test_no_table_cell_reads_none(built_layers):
    """Issue 17 (8): an unlocated project's precision showed as "None" in the table."""
    at = run()
    for frame in at.dataframe:
        values = frame.value
        assert not values.isna().any().any(), values.columns[values.isna().any()].tolist()
    table = at.dataframe[-1].value
    assert "—" in set(table["精度"]) and any(v.startswith("±") for v in table["精度"])
