"""Map layers: one GeoJSON layer each, escaped popups, datum shift for display, fitting views."""

import json
import math

import geopandas as gpd
import pytest
from shapely.geometry import Point

from geo.datum import convert
from layers.web import features, mapfiles, popups, webmap
from layers.web.assets import asset_links
from layers.web.catalogue import ViewState
from layers.web.elements import FetchedLayer


def geojson_children(group):
    return [c for c in group._children.values() if c._name == "GeoJson"]


def rendered(group) -> str:
    m = webmap.base_map("blank")
    group.add_to(m)
    return m.get_root().render()


def served_file(url: str) -> dict:
    """The JSON behind a URL the map fetches, as the app's route answers it."""
    assert url.startswith(mapfiles.files_url() + "/")
    return json.loads(mapfiles.map_file(url.rsplit("/", 1)[1], lambda: pytest.fail("made again")))


def test_each_layer_is_one_geojson(cat):
    features = mapfiles.layer_data(cat, "projects")["features"]
    located = cat.projects[cat.projects.geometry.notna() & ~cat.projects.geometry.is_empty]
    # a MultiPoint is drawn as its points, one feature each with the project's id
    parts = sum(len(g.geoms) - 1 for g in located.geometry if g.geom_type == "MultiPoint")
    assert len(features) == len(located) + parts
    assert {f["properties"]["id"] for f in features} == set(located["id"])
    assert len({f["id"] for f in features}) == len(features)  # unique feature ids
    assert {f["id"] for f in features} >= set(located["id"])
    assert len(mapfiles.layer_data(cat, "places")["features"]) == len(cat.places)
    assert len(mapfiles.layer_data(cat, "districts")["features"]) == 37


def test_a_layer_is_sent_as_ids_and_drawn_from_its_static_files(cat):
    chosen = cat.projects["id"].head(50)
    group = webmap.layer_group(cat, "projects", ids=chosen)
    assert not geojson_children(group)  # no features travel with the rerun…
    script = rendered(group)
    assert json.dumps(sorted(chosen)) in script  # …only the ids to show
    data_url, popups_url = mapfiles.layer_urls(cat, "projects")
    assert json.dumps(data_url) in script and json.dumps(popups_url) in script
    # the files hold what the inline layer would: features (no popups), and popups by id
    assert served_file(data_url) == json.loads(json.dumps(mapfiles.layer_data(cat, "projects")))
    popups = served_file(popups_url)
    assert set(popups) == {f["properties"]["id"]
                           for f in mapfiles.layer_data(cat, "projects")["features"]}
    assert "果园港" in popups[cat.projects.loc[
        cat.projects["name"] == "果园港枢纽港建设工程", "id"].iloc[0]]
    (options,) = FetchedLayer.options_in(rendered(webmap.layer_group(cat, "districts")))
    assert options["layer"] == "districts" and options["ids"] is None
    # named by content: the same data gives the same file, another datum another one
    assert mapfiles.layer_urls(cat, "projects", "gcj02")[0] != data_url
    assert mapfiles.layer_urls(cat, "projects", "gcj02")[1] == popups_url


def test_any_server_answers_for_the_files_another_handed_out(cat, monkeypatch):
    """Behind a proxy the page comes from one server and its files may be asked of another:
    that one makes them from the same layers, byte for byte."""
    data_url, popups_url = mapfiles.layer_urls(cat, "sectors", "gcj02")
    handed_out = {u: served_file(u) for u in (data_url, popups_url)}
    monkeypatch.setattr(mapfiles, "_RECENT", type(mapfiles._RECENT)())  # another process
    mapfiles._layer_files.cache_clear()
    asked = []

    def current():
        asked.append(1)
        return cat

    for url, expected in handed_out.items():
        assert json.loads(mapfiles.map_file(url.rsplit("/", 1)[1], current)) == expected
    assert asked == [1, 1]


def test_names_that_belong_to_no_file_are_not_found(cat):
    data_url, _ = mapfiles.layer_urls(cat, "districts")
    name = data_url.rsplit("/", 1)[1]
    replaced = name[: -len("0123456789abcdef.json")] + "0000000000000000.json"
    for wrong in (replaced, "../streamlit_app.py", "annotations-wgs84-0000000000000000.json",
                  "districts-utm-0000000000000000.json", name.replace(".json", ".js")):
        assert mapfiles.map_file(wrong, lambda: cat) is None, wrong


def test_a_proxy_may_serve_the_files_at_another_url(cat, monkeypatch):
    monkeypatch.setenv("PLANMAP_MAP_FILES_URL", "https://maps.example/planmap/files/")
    data_url, popups_url = mapfiles.layer_urls(cat, "districts")
    assert data_url.startswith("https://maps.example/planmap/files/districts-wgs84-")
    (options,) = FetchedLayer.options_in(rendered(webmap.layer_group(cat, "districts")))
    assert (options["url"], options["popups"]) == (data_url, popups_url)


def test_popup_shows_source_places_and_sectors(cat):
    row = cat.projects[cat.projects["name"] == "果园港枢纽港建设工程"].iloc[0]
    popup = popups.project_popup(row, cat.documents)
    assert "两江新区十大工程（新闻）" in popup
    assert row["sources"][0]["excerpt"][:20] in popup
    assert "果园港" in popup and "±" in popup
    assert "长江绿色开放带" in popup


def test_popups_and_tooltips_escape_text(cat):
    row = cat.projects.iloc[0].copy()
    row["name"] = "<img src=x onerror=alert(1)>"
    row["sources"] = [dict(row["sources"][0], excerpt="<script>alert(2)</script>")]
    popup = popups.project_popup(row, cat.documents)
    assert "<img" not in popup and "<script" not in popup
    assert "&lt;img src=x onerror=alert(1)&gt;" in popup
    frame = cat.projects.iloc[[0]].copy()
    frame["name"] = ["<b onmouseover=alert(3)>x</b>"]
    props = features.projects_data(frame, cat.documents)["features"][0]["properties"]
    assert "<b " not in props["tooltip"] and "<b " not in props["popup"]


def test_amap_moves_every_drawn_vertex_by_the_gcj02_offset(cat):
    place = cat.places[cat.places["name"] == "果园港"]
    lon, lat = place.geometry.iloc[0].x, place.geometry.iloc[0].y
    plain = features.places_data(place, "wgs84")
    shifted = features.places_data(place, "gcj02")
    step = 10 ** -features.DISPLAY_DECIMALS  # the browser gets ≈ 1 m rounding, nothing more
    assert plain["features"][0]["geometry"]["coordinates"] == pytest.approx(
        [lon, lat], abs=step)
    glon, glat = shifted["features"][0]["geometry"]["coordinates"]
    expect = convert(lon, lat, "wgs84", "gcj02")
    assert (glon, glat) == pytest.approx((float(expect[0]), float(expect[1])), abs=step)
    assert 0.001 < abs(glon - lon) + abs(glat - lat) < 0.02  # a few hundred metres
    # and a click read off the 高德 map comes back to the ground it was drawn on
    assert webmap.to_storage(float(expect[0]), float(expect[1]), "gcj02") == pytest.approx(
        (lon, lat), abs=1e-7)


def test_base_map_is_stable_and_local(cat):
    from streamlit_folium import _get_map_string

    first = _get_map_string(webmap.base_map("blank"))
    second = _get_map_string(webmap.base_map("blank"))
    assert first == second  # same script → same component key → no remount on filter change
    m = webmap.base_map("blank")
    for group in (webmap.layer_group(cat, "projects", ids=cat.projects["id"].head(50)),
                  webmap.layer_group(cat, "sectors")):
        group.add_to(m)
    links = asset_links(m)
    assert links and all(link.startswith("/app/static/") for link in links)
    assert "tile" not in first.lower() or "tileLayer" not in first  # blank: no tile server


def test_online_basemaps_and_tianditu_key():
    amap = webmap.base_map("amap").render() or ""
    assert amap is not None
    script = webmap.base_map("amap").get_root().render()
    assert "autonavi.com" in script
    with pytest.raises(ValueError, match="天地图需要密钥"):
        webmap.base_map("tianditu")
    assert "tk=abc123" in webmap.base_map("tianditu", "abc123").get_root().render()


def test_legend_lists_every_sector_kind():
    legend = webmap.legend_html()
    for label in ("核", "带", "心/极", "新城", "轴", "区/片"):
        assert label in legend


def test_fit_view(cat):
    guoyuan = cat.focus_geometry("place:c-guoyuangang")
    (lat, lon), zoom = webmap.fit_view([guoyuan])
    assert (lon, lat) == pytest.approx((guoyuan.x, guoyuan.y))
    assert zoom == webmap.MAX_ZOOM - 3
    (clat, clon), czoom = webmap.fit_view(list(cat.districts.geometry))
    assert 5 <= czoom <= 8 and 105.3 < clon < 110.2 and 28.1 < clat < 32.2
    (glat, glon), _ = webmap.fit_view([guoyuan], "gcj02")
    assert (glon, glat) != pytest.approx((guoyuan.x, guoyuan.y), abs=1e-4)
    assert webmap.fit_view([]) is None and webmap.fit_view([None]) is None


def test_focus_layer_opens_its_popup():
    group = webmap.focus_layer(Point(106.6, 29.6), "<b>x</b>")
    m = webmap.base_map("blank")
    group.add_to(m)
    script = m.get_root().render()
    assert ".openPopup()" in script and "__PARENT__" not in script


def test_text_that_looks_like_template_code_stays_text(cat):
    # folium re-parses rendered scripts as Jinja: data must never reach it as template code
    frame = cat.projects[cat.projects["status"] == "auto"].iloc[[0]].copy()
    frame["name"] = ["{{ 'zq' ~ 'xj' }}{% for x in range(3) %}项目{% endfor %}"]
    m = webmap.base_map("blank")
    webmap.geojson_group("规划项目", features.projects_data(frame, cat.documents)).add_to(m)
    row = frame.iloc[0]
    webmap.focus_layer(row.geometry, popups.project_popup(row, cat.documents)).add_to(m)
    script = m.get_root().render()
    assert "zqxj" not in script and "项目项目项目" not in script
    assert "&#123;&#123; &#x27;zq&#x27; ~ &#x27;xj&#x27; &#125;&#125;" in script
    empty = webmap.focus_layer(None, "")
    assert not empty._children


def test_layer_data_is_valid_geojson(cat):
    import geojson

    for layer in ("projects", "sectors", "districts"):
        obj = geojson.loads(json.dumps(mapfiles.layer_data(cat, layer)))
        assert obj.is_valid, obj.errors()
    frame = gpd.GeoDataFrame({"id": ["a"], "name": ["x"]}, geometry=[None], crs="EPSG:4326")
    empty = features.places_data(frame.assign(
        aliases=[[]], kind_label=["港口"], district=[""], precision_m=[1.0], source=["s"]))
    assert empty["features"] == []
    assert not geojson_children(webmap.geojson_group("地名", empty))


def test_a_filter_is_a_subset_of_the_cached_layer(cat):
    full = mapfiles.layer_data(cat, "projects")
    assert mapfiles.layer_data(cat, "projects") is full  # built once per process and datum
    chosen = cat.select(ViewState(categories=["水利"]))
    part = features.subset(full, chosen["id"])
    located = chosen[chosen.geometry.notna() & ~chosen.geometry.is_empty]
    assert {f["properties"]["id"] for f in part["features"]} == set(located["id"])
    assert len(full["features"]) > len(part["features"]) > 0


def test_the_base_map_loads_only_leaflet_and_the_measure_tool(cat):
    m = webmap.base_map("blank")
    links = asset_links(m)
    assert sorted(link.rsplit("/", 1)[1] for link in links) == [
        "leaflet-measure.css", "leaflet-measure.min.js", "leaflet.css", "leaflet.js"]


def test_places_from_memory_say_unverified(built_layers):
    places = built_layers["places"]
    recalled = places[places["unverified"]]
    derived = places[places["source"] == "adcode-vonng"]
    assert len(recalled) > 0 and len(derived) > 0
    assert popups.UNVERIFIED_LABEL in popups.place_popup(recalled.iloc[0])
    assert popups.UNVERIFIED_LABEL not in popups.place_popup(derived.iloc[0])
    assert "许可" in popups.place_popup(derived.iloc[0])
    projects = built_layers["projects"]
    flagged = [r for _, r in projects.iterrows() if any(p["unverified"] for p in r["places"])]
    assert flagged and popups.UNVERIFIED_LABEL in popups.project_popup(flagged[0], {})


def test_coarse_points_carry_their_circle_and_unchecked_ones_say_so(cat):
    """Issue 17 (2): a point coarser than schema.yaml's exact_m carries its precision as the
    radius of the circle drawn under it; a record standing on a coordinate from memory says
    位置未核实 in its tooltip."""
    from layers.schema import UNCERTAINTY

    data = features.projects_data(cat.projects, cat.documents)
    by_id = {f["properties"]["id"]: f["properties"] for f in data["features"]}
    exact = UNCERTAINTY["exact_m"]
    for _, row in cat.projects.iterrows():
        if row["id"] not in by_id:
            continue
        radius = by_id[row["id"]]["radius_m"]
        point = row.geometry.geom_type == "Point"
        assert radius == (row["precision_m"] if point and row["precision_m"] > exact else 0)
    unchecked = [r for _, r in cat.projects.iterrows() if r["id"] in by_id and any(
        p["unverified"] and p["status"] == "auto" for p in r["places"])]
    assert unchecked and all("位置未核实" in by_id[r["id"]]["tooltip"] for r in unchecked)
    checked = [r for _, r in cat.projects.iterrows() if r["id"] in by_id and r["places"]
               and not any(p["unverified"] for p in r["places"])]
    assert checked and not any("位置未核实" in by_id[r["id"]]["tooltip"] for r in checked)


def test_an_annotation_popup_shows_beijing_time_like_the_lists():
    """Issue 17 (8): the popup showed the stored UTC time while the tables show 北京时间."""
    import pandas as pd

    row = pd.Series({"tags": [], "status": "open", "note": "n", "author": "张工",
                     "updated_at": "2026-11-29T02:30:00+00:00", "version": 1})
    assert "2026-11-29 10:30" in popups.annotation_popup(row)
    assert "02:30" not in popups.annotation_popup(row)


def _lab(colour: str) -> tuple[float, float, float]:
    """CIE L*a*b* (D65) of a #rrggbb colour."""
    rgb = [int(colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (((c + 0.055) / 1.055) ** 2.4 if c > 0.04045 else c / 12.92 for c in rgb)
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t):
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def test_annotation_and_correction_colours_stand_apart_from_the_plan_layers():
    """Issue 17 (6): an open annotation was drawn in the 核 sectors' red, a correction in the
    心/极 sectors' purple. Each now differs from every sector kind and category colour by a
    ΔE*76 of 25 or more (about what tells two legend swatches apart at a glance)."""
    from layers.schema import CATEGORY_COLOURS, COLOURS, NOTE_STATUS_COLOURS, SECTOR_STYLES

    plan = {**{f"类别 {k}": v for k, v in CATEGORY_COLOURS.items()},
            **{f"片区 {k}": v["color"] for k, v in SECTOR_STYLES.items()}}
    planners = {"待处理": NOTE_STATUS_COLOURS["open"], "已处理": NOTE_STATUS_COLOURS["resolved"],
                "规划师更正": COLOURS["correction"]}
    for name, colour in planners.items():
        others = {**plan, **{n: c for n, c in planners.items() if n != name}}
        gap, nearest = min((math.dist(_lab(colour), _lab(c)), n) for n, c in others.items())
        assert gap >= 25, f"{name} {colour} is ΔE {gap:.0f} from {nearest}"


def test_the_legend_explains_annotations_and_corrections():
    from layers.schema import COLOURS, NOTE_STATUS_COLOURS

    legend = webmap.legend_html()
    assert "规划师标注" in legend and "待处理" in legend and "规划师更正" in legend
    assert NOTE_STATUS_COLOURS["open"] in legend and COLOURS["correction"] in legend


def test_the_centre_stays_legible_where_sectors_and_areas_stack(cat):
    """Issue 17 (6): up to 14 sectors and dozens of project areas cover one spot of the 主城;
    at their own fills they blended to an opaque smear (99.9 % at the worst spot). The fills
    the browser gets now add up to at most 40 % anywhere in the 主城, checked on a grid that
    is not the one the fills were computed on."""
    import numpy as np
    import shapely
    from shapely.geometry import shape

    from geo.crs import buffer_m
    from layers.schema import UNCERTAINTY

    xs, ys = np.arange(106.2, 106.9, 0.0071), np.arange(29.3, 29.9, 0.0071)
    grid_x, grid_y = np.meshgrid(xs, ys)
    clear = np.ones(grid_x.shape)  # the share of the basemap still showing through
    stacked = np.zeros(grid_x.shape, dtype=int)
    projects = features.projects_data(cat.projects, cat.documents)
    for data in (features.sectors_data(cat.sectors), projects):
        for feature in data["features"]:
            fill = feature["properties"]["style"].get("fillOpacity", 0)
            geometry = shape(feature["geometry"])
            if fill and geometry.geom_type in ("Polygon", "MultiPolygon"):
                inside = shapely.contains_xy(geometry, grid_x, grid_y)
                clear *= np.where(inside, 1 - fill, 1)
                stacked += inside
    assert stacked.max() >= 10  # the stack is real: the rule, not sparse data, keeps it clear
    # precision circles, as fetched_layer.js draws them: once per spot and radius (thirty
    # projects at one spot drew thirty discs, a 70 % red smear over the 主城)
    circles = {(tuple(f["geometry"]["coordinates"]), f["properties"]["radius_m"])
               for f in projects["features"]
               if f["geometry"]["type"] == "Point" and f["properties"]["radius_m"]}
    for (lon, lat), radius in circles:
        disc = buffer_m(Point(lon, lat), radius)
        clear *= np.where(shapely.contains_xy(disc, grid_x, grid_y),
                          1 - UNCERTAINTY["circle"]["fillOpacity"], 1)
    assert 1 - clear.min() <= 0.40


def test_major_places_are_named_on_the_blank_basemap_from_their_zoom(cat):
    """Issue 17 (6): besides the districts, the places the plans cite most are written on
    the map (the blank basemap has no names of its own)."""
    from layers.schema import PLACE_LABELS

    data = features.districts_data(cat.districts, "wgs84", cat.major_places)
    labels = {label["label"]: label for label in data["labels"]}
    assert {"果园港", "西部（重庆）科学城", "礼嘉街道", "重庆大学"} <= set(labels)
    assert not {"两江新区", "长江", "万州区"} & set(labels)  # districts and rivers: no
    assert all(label["zoom"] == PLACE_LABELS["zoom"] for label in labels.values())
    place = cat.places[cat.places["name"] == "果园港"].iloc[0]
    assert labels["果园港"]["at"] == [round(place.geometry.x, 5), round(place.geometry.y, 5)]
    amap = features.districts_data(cat.districts, "gcj02", cat.major_places)
    shifted = {label["label"]: label["at"] for label in amap["labels"]}["果园港"]
    assert 0.001 < abs(shifted[0] - labels["果园港"]["at"][0]) < 0.01  # drawn on 高德's datum


def test_a_corrected_project_popup_carries_no_review_warning(cat):
    """A project a planner located is no longer 待核实: its popup says who corrected it (the
    correction block), not the extraction's warning."""
    from layers.web.popups import project_popup

    row = cat.projects[cat.projects["status"] == "review"].iloc[0]
    assert row["reason"] in project_popup(row, cat.documents)
    corrected = row.copy()
    corrected["status"], corrected["reason"] = "corrected", ""
    assert "待核实" not in project_popup(corrected, cat.documents).replace(
        "，待核实", "")  # a place's own 待核实 mark stays


def test_a_download_is_made_when_fetched_by_the_name_its_link_gave():
    """The page's download links: the recipe runs only when the file is fetched, the same
    content has the same link, a name never offered (or from a page too old) is not found,
    and the link's label and file name are escaped."""
    made = []

    def make():
        made.append(1)
        return '{"type":"FeatureCollection","features":[]}'

    url = mapfiles.download_url(("token-a", "view", ("p-1", "p-2")), make, "水利-2026.geojson")
    assert made == []
    assert url == mapfiles.download_url(("token-a", "view", ("p-1", "p-2")), make,
                                        "水利-2026.geojson")
    assert url != mapfiles.download_url(("token-a", "view", ("p-1",)), make, "x.geojson")
    name = url.rsplit("/", 1)[1]
    body, filename, media_type = mapfiles.download_file(name)
    assert json.loads(body) == {"type": "FeatureCollection", "features": []}
    assert filename == "水利-2026.geojson" and made == [1]
    assert media_type == "application/geo+json"
    with pytest.raises(ValueError, match="不支持的下载格式"):
        mapfiles.download_url(("token-a",), make, "x.exe")
    assert mapfiles.attachment_header(filename) == (
        "attachment; filename*=UTF-8''%E6%B0%B4%E5%88%A9-2026.geojson")
    for wrong in ("download-00000000000000000000.geojson", "../" + name, name + ".js"):
        assert mapfiles.download_file(wrong) is None, wrong
    for i in range(mapfiles.DOWNLOADS_KEPT):  # later downloads push the oldest out
        mapfiles.download_url(("token-b", i), make, "y.geojson")
    assert mapfiles.download_file(name) is None
    text = mapfiles.download_links([('<b>"全部"</b>', url, 'a"b.geojson')])
    assert "<b>" not in text and 'download="a&quot;b.geojson"' in text


def test_the_files_route_serves_a_download_and_says_why_it_cannot(monkeypatch):
    """scripts/serve.py's route: a download with its file name and type; an unknown name, 404
    in Chinese; a store that is away while the file is made, 503 in Chinese."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor
    from pathlib import Path
    from urllib.parse import unquote

    from starlette.requests import Request

    from layers.notes.model import AnnotationError

    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parent.parent / "scripts"))
    import serve

    (route,) = serve.routes()

    def fetch(url):
        name = url.rsplit("/", 1)[1]
        request = Request({"type": "http", "method": "GET", "path": url, "headers": [],
                           "path_params": {"name": name}, "query_string": b""})
        # in a thread of its own: an earlier test may leave an event loop running in this one
        with ThreadPoolExecutor(1) as thread:
            return thread.submit(asyncio.run, route.endpoint(request)).result()

    def away():
        raise AnnotationError("标注库连接中断")

    good = fetch(mapfiles.download_url(("route", 1), lambda: b"GPKG", "标注.gpkg"))
    assert good.status_code == 200 and good.body == b"GPKG"
    assert good.headers["content-type"] == "application/geopackage+sqlite3"
    assert unquote(good.headers["content-disposition"]).endswith("标注.gpkg")
    missing = fetch("/planmap/files/download-00000000000000000000.geojson")
    assert missing.status_code == 404 and "刷新页面" in missing.body.decode()
    failed = fetch(mapfiles.download_url(("route", 2), away, "a.geojson"))
    assert failed.status_code == 503 and "标注库连接中断" in failed.body.decode()
