"""The map in a real browser: offline paint, one-project filter, search, download, 高德 shift."""

import json
import re
from urllib.parse import quote

import geojson
import pytest

from geo.crs import distance_m
from geo.datum import convert
from layers.web.catalogue import ViewState
from layers.web.current import default_catalogue
from tests.e2e.helpers import map_frame, open_app, wait_for_app

# ids of the features on the map now (streamlit-folium keeps replaced groups in its list)
FEATURES_JS = """(prefix) => {
    const out = {};
    (window.feature_group || []).filter(g => window.map.hasLayer(g)).forEach(
        g => g.eachLayer(function walk(l) {
            const id = l.feature && l.feature.properties && String(l.feature.properties.id);
            if (id && id.startsWith(prefix) && l.getLatLng) {
                const p = l.getLatLng(); out[id] = [p.lng, p.lat];
            } else if (id && id.startsWith(prefix)) { out[id] = null; }
            if (l.eachLayer) l.eachLayer(walk);
        }));
    return out;
}"""


@pytest.fixture(scope="module")
def cat():
    return default_catalogue()


def located_ids(frame_of_projects) -> set:
    keep = frame_of_projects.geometry.notna() & ~frame_of_projects.geometry.is_empty
    return set(frame_of_projects.loc[keep, "id"])


def features(page, prefix="p-") -> dict:
    frame = map_frame(page, timeout=60_000)
    # the layers are drawn once their static files arrive (planmapLoading counts the rest)
    frame.wait_for_function("() => window.map && (window.feature_group || []).length >= 3"
                            " && !window.planmapLoading", timeout=60_000)
    return frame.evaluate(FEATURES_JS, prefix)


def wait_for_features(page, predicate, prefix="p-", timeout_s=30):
    deadline = page.evaluate("Date.now()") + timeout_s * 1000
    while True:
        try:
            found, error = features(page, prefix), None
        except Exception as exc:  # the map frame is being replaced (a basemap change remounts it)
            found, error = None, exc
        if found is not None and predicate(found):
            return found
        if page.evaluate("Date.now()") > deadline:
            raise AssertionError(f"map never reached the expected features: "
                                 f"{found and len(found)} found, last error {error}")
        page.wait_for_timeout(200)


def test_map_paints_with_nothing_leaving_the_machine(app_server, page, cat):
    open_app(page, app_server, timeout=60_000)
    drawn = features(page)
    assert set(drawn) == located_ids(cat.projects)
    assert len(features(page, "c-")) == 0  # places are off until asked for
    assert features(page, "5001") and len(features(page, "50")) >= 37  # district outlines (2026)
    frame = map_frame(page)
    assert frame.locator(".leaflet-container").is_visible()
    assert frame.locator(".planmap-legend").is_visible()
    # one scale bar, in metres/kilometres (issue 17: it showed miles too)
    scale = frame.locator(".leaflet-control-scale-line")
    assert scale.count() == 1 and scale.inner_text().strip().endswith(("km", "m"))
    assert page.external_requests == []
    assert page.page_errors == []


def test_choosing_one_project_leaves_only_it_on_the_map(app_server, page, cat):
    open_app(page, app_server, timeout=60_000)
    features(page)
    row = cat.projects[cat.projects["name"] == "果园港枢纽港建设工程"].iloc[0]
    box = page.get_by_role("combobox", name="项目（可选分组，如 ▣ 两江新区十大工程）")
    box.click()
    box.fill("果园港枢纽港建设工程")
    page.get_by_role("option", name="果园港枢纽港建设工程 · 交通", exact=False).first.click()
    page.keyboard.press("Escape")
    drawn = wait_for_features(page, lambda f: len(f) == 1)
    assert set(drawn) == {row["id"]}
    assert f"p={row['id']}" in page.url  # the view is in the link
    assert page.external_requests == []
    assert page.page_errors == []


CLICK_JS = """(id) => {
    let clicked = false;
    (window.feature_group || []).filter(g => window.map.hasLayer(g)).forEach(
        g => g.eachLayer(function walk(l) {
            if (!clicked && l.feature && l.feature.properties.id === id && l.getLatLng) {
                l.fire("click", {latlng: l.getLatLng()}); clicked = true;
            }
            if (l.eachLayer) l.eachLayer(walk);
        }));
    return clicked;
}"""


def test_every_project_stacked_at_guoyuangang_is_reachable(app_server, page, cat):
    """Issue 17 (3): projects drawn at one spot (果园港's) open a pick list whichever is on
    top; each item opens that project's popup, fetched from the app."""
    open_app(page, app_server, timeout=60_000)
    drawn = features(page)
    row = cat.projects[cat.projects["name"] == "果园港枢纽港建设工程"].iloc[0]
    here = drawn[row["id"]]
    stacked = {pid for pid, at in drawn.items() if at == here}
    assert len(stacked) >= 5
    names = set(cat.projects.loc[cat.projects["id"].isin(stacked), "name"])
    frame = map_frame(page)
    assert frame.evaluate(CLICK_JS, row["id"])
    items = frame.locator(".planmap-pick-item")
    items.first.wait_for(timeout=30_000)
    assert items.count() == len(stacked)
    assert {t.split("（")[0] for t in items.all_inner_texts()} == names
    items.filter(has_text=row["name"]).first.click()
    items.first.wait_for(state="detached", timeout=30_000)  # the list gives way
    popup = frame.locator(".leaflet-popup-content")
    popup.get_by_text("两江新区十大工程（新闻）").wait_for(timeout=30_000)
    text = popup.inner_text()
    assert row["name"] in text and "果园港" in text and "±" in text
    assert row["sources"][0]["excerpt"][:20] in text  # the source sentence
    assert page.external_requests == []
    assert page.page_errors == []


@pytest.mark.parametrize("query", ["果园港", "guoyuangang"])
def test_search_finds_guoyuangang_and_opens_it(app_server, page, cat, query):
    open_app(page, app_server, timeout=60_000)
    field = page.get_by_label("地名或项目（汉字或拼音，如 果园港 / guoyuangang）")
    field.fill(query)
    field.press("Enter")
    page.get_by_text("果园港 · 地名 · 港口 · 两江新区").click()
    place = cat.places[cat.places["id"] == "c-guoyuangang"].geometry.iloc[0]
    frame = map_frame(page, timeout=60_000)
    # 果园港 is known to ±5 km: the view zooms in to show that circle, no closer (zoom 12)
    frame.wait_for_function("() => window.map && window.map.getZoom() >= 11", timeout=30_000)
    assert frame.evaluate("() => window.map.getZoom()") <= 13
    popup = frame.locator(".leaflet-popup-content")
    popup.wait_for(timeout=30_000)
    assert "果园港" in popup.inner_text() and "两江新区" in popup.inner_text()
    lng, lat = frame.evaluate("() => [window.map.getCenter().lng, window.map.getCenter().lat]")
    assert (lng, lat) == pytest.approx((place.x, place.y), abs=0.005)
    assert page.external_requests == []
    assert page.page_errors == []


def test_geojson_download_matches_the_filter(app_server, page, cat):
    open_app(page, f"{app_server}/?cat={quote('水利')}", timeout=60_000)
    expected = cat.select(ViewState(categories=["水利"]))
    link = page.get_by_role("link", name=f"当前筛选的项目（{len(expected)}）")
    with page.expect_download(timeout=30_000) as info:
        link.click()
    download = info.value
    assert download.suggested_filename.startswith("projects-view-")
    assert download.suggested_filename.endswith(".geojson")
    data = json.loads(download.path().read_text(encoding="utf-8"))
    assert geojson.loads(json.dumps(data)).is_valid
    assert [f["id"] for f in data["features"]] == list(expected["id"])
    assert {f["properties"]["category"] for f in data["features"]} == {"水利"}
    assert all(f["properties"]["source"] for f in data["features"])


def test_amap_moves_drawn_features_by_the_gcj02_offset_and_back(app_server, page, cat):
    open_app(page, app_server, timeout=60_000)
    plain = {k: v for k, v in features(page).items() if v}  # points: exact positions
    pid, (lon, lat) = sorted(plain.items())[0]
    glon, glat = (float(v) for v in convert(lon, lat, "wgs84", "gcj02"))

    def choose(label):
        box = page.get_by_role("combobox", name="底图")
        box.click()
        box.fill(label)
        box.press("Enter")
        wait_for_app(page, timeout=60_000)

    choose("高德地图（GCJ-02）")
    shifted = wait_for_features(
        page, lambda f: f.get(pid) and abs(f[pid][0] - lon) > 1e-4)[pid]
    assert shifted == pytest.approx([glon, glat], abs=2e-5)  # display rounding ≈ 1 m
    assert 200 < float(distance_m(lon, lat, *shifted)) < 1000  # 高德's offset in Chongqing
    # the only requests that left were 高德's own tiles, asked for by choosing it
    assert page.external_requests and all(
        "autonavi.com" in url for url in page.external_requests)

    choose("空白底图（离线）")
    back = wait_for_features(page, lambda f: f.get(pid) and abs(f[pid][0] - lon) < 1e-4)[pid]
    assert back == pytest.approx([lon, lat], abs=2e-5)



def test_a_table_row_focuses_the_map(app_server, page, cat):
    open_app(page, f"{app_server}/?cat={quote('水利')}", timeout=60_000)
    chosen = cat.select(ViewState(categories=["水利"]))
    located = ~(chosen.geometry.isna() | chosen.geometry.is_empty).to_numpy()
    first_located = int(located.argmax())
    assert 0 < first_located < 8  # the rows before it are unlocated: visible without scrolling
    grid = page.locator('[data-testid="stDataFrame"]').last
    row_px = 35  # Streamlit's default row height, the header row included
    # as a planner would: once the map has painted (its first value reruns the page, and a
    # click on the table during that rerun can be lost)
    features(page)
    wait_for_app(page, timeout=30_000)

    def click_row(i):
        grid.scroll_into_view_if_needed()
        box = grid.bounding_box()  # anew: a message above the map moves the table down
        page.mouse.click(box["x"] + 15, box["y"] + row_px * (i + 1) + row_px / 2)

    click_row(0)  # an unlocated project: the page says why it is not on the map
    page.get_by_text("未定位，无法在地图上显示").wait_for(timeout=30_000)
    wait_for_app(page, timeout=30_000)
    click_row(first_located)
    row = chosen.iloc[first_located]
    page.wait_for_url(f"**focus=project%3A{row['id']}**", timeout=30_000)
    frame = map_frame(page, timeout=60_000)
    popup = frame.locator(".leaflet-popup-content")
    popup.wait_for(timeout=30_000)
    assert row["name"] in popup.inner_text()
    # issue 17 (8): the table is below the map; a pick brings the map into view
    page.wait_for_function("""() => {
        const r = document.querySelector('iframe[src*="streamlit_folium"]')
            .getBoundingClientRect();
        const shown = Math.min(r.bottom, innerHeight) - Math.max(r.top, 0);
        return shown >= 0.8 * Math.min(r.height, innerHeight);
    }""", timeout=30_000)
    assert page.external_requests == [] and page.page_errors == []


VIEW_JS = """() => {
    const b = window.map.getBounds();
    return {zoom: window.map.getZoom(), south: b.getSouth(), west: b.getWest(),
            north: b.getNorth(), east: b.getEast()};
}"""


def test_a_district_filter_moves_the_view_to_the_district(app_server, page, cat):
    """Issue 17 (1): the view follows the filter (it stayed fitted to every sector)."""
    from geo.boundaries import district_by_name

    open_app(page, app_server, timeout=60_000)
    features(page)
    frame = map_frame(page, timeout=60_000)
    before = frame.evaluate(VIEW_JS)
    box = page.get_by_role("combobox", name="区县")
    box.click()
    box.fill("万州")
    page.get_by_role("option", name="万州区").first.click()
    page.keyboard.press("Escape")
    page.wait_for_url("**dist=**", timeout=30_000)
    frame = map_frame(page, timeout=60_000)
    frame.wait_for_function(f"() => window.map && window.map.getZoom() >= {before['zoom'] + 2}",
                            timeout=30_000)
    after = frame.evaluate(VIEW_JS)
    seat = district_by_name("万州区").geometry.representative_point()
    assert after["south"] < seat.y < after["north"] and after["west"] < seat.x < after["east"]
    assert page.external_requests == [] and page.page_errors == []


CIRCLES_JS = """() => {
    const out = [];
    (window.feature_group || []).filter(g => window.map.hasLayer(g)).forEach(
        g => g.eachLayer(function walk(l) {
            if (l instanceof L.Circle) {
                const p = l.getLatLng(); out.push([p.lng, p.lat, l.getRadius()]);
            }
            if (l.eachLayer) l.eachLayer(walk);
        }));
    return out;
}"""


def test_a_point_known_to_twenty_km_is_drawn_with_its_circle(app_server, page, cat):
    """Issue 17 (2): a place known to ±20 km or worse is no exact dot."""
    projects = cat.projects
    row = projects[projects["name"] == "涪陵页岩气"].iloc[0]
    assert row["geometry_kind"] == "point" and row["precision_m"] >= 20_000
    open_app(page, app_server, timeout=60_000)
    drawn = features(page)
    circles = map_frame(page).evaluate(CIRCLES_JS)
    lon, lat = drawn[row["id"]]
    assert any(abs(c[0] - lon) < 1e-6 and abs(c[1] - lat) < 1e-6 and c[2] == row["precision_m"]
               for c in circles)
    # every circle is a coarse point's: none for points known to a few hundred metres
    coarse = projects[(projects["geometry_kind"] == "point") & (projects["precision_m"] > 300)]
    assert 0 < len(circles) <= len(coarse)
    assert page.external_requests == [] and page.page_errors == []


def test_the_blank_basemap_names_every_district(app_server, page, cat):
    """Issue 17 (6): with no tiles, the districts' names are written on the map, offline."""
    open_app(page, app_server, timeout=60_000)
    features(page)
    frame = map_frame(page)
    labels = frame.locator(".planmap-label")
    labels.first.wait_for(timeout=30_000)
    counties = cat.districts[cat.districts["level"] != "municipality"]
    names = set(labels.all_inner_texts())
    assert names == set(counties["short_name"])
    assert page.external_requests == [] and page.page_errors == []


def test_major_places_are_named_from_zoom_ten(app_server, page, cat):
    """Issue 17 (6): the places the plans cite most are named on the blank basemap, close in."""
    open_app(page, app_server, timeout=60_000)
    features(page)
    frame = map_frame(page)
    assert frame.locator(".planmap-place").count() == 0  # the city view: districts only
    frame.evaluate("() => { window.map.setView([29.62, 106.65], 11); }")
    frame.locator(".planmap-place").first.wait_for(timeout=30_000)
    names = set(frame.locator(".planmap-place").all_inner_texts())
    assert "果园港" in names and names <= set(cat.major_places["name"])
    assert page.external_requests == [] and page.page_errors == []


def test_the_measure_tool_gives_a_known_distance_within_one_percent(app_server, page, cat):
    """Issue 17 (7): 测量 (leaflet-measure, served locally, in Chinese): two clicks 万州 →
    涪陵's seats give their great-circle distance within 1 %."""

    open_app(page, app_server, timeout=60_000)
    features(page)
    frame = map_frame(page)
    frame.locator(".leaflet-control-measure-toggle").click(force=True)  # opens it (as a hover does)
    frame.get_by_text("开始一次新的测量").click()
    container = frame.locator(".leaflet-container")
    clicked = []
    for lon, lat in ((108.38, 30.81), (107.39, 29.70)):
        x, y = frame.evaluate(
            "([lat, lon]) => { const p = window.map.latLngToContainerPoint([lat, lon]);"
            " return [Math.round(p.x), Math.round(p.y)]; }", [lat, lon])
        container.click(position={"x": x, "y": y})
        clicked.append(frame.evaluate(
            "([x, y]) => { const l = window.map.containerPointToLatLng([x, y]);"
            " return [l.lng, l.lat]; }", [x, y]))
        page.wait_for_timeout(300)
    frame.get_by_text("完成测量").click()
    result = frame.locator(".leaflet-popup-content")
    result.wait_for(timeout=30_000)
    text = result.inner_text()
    km = float(re.search(r"([\d,.]+)\s*公里", text).group(1).replace(",", ""))
    expected = distance_m(*clicked[0], *clicked[1]) / 1000
    assert abs(km - expected) / expected < 0.01, (km, expected, text)
    assert page.external_requests == [] and page.page_errors == []


def test_the_printed_map_downloads_as_a_pdf_with_title_legend_and_scale(app_server, page, cat):
    """Issue 17 (7): 导出地图 → a PDF a planner can hand out: it opens, and holds the title,
    the filter, the legend, a scale bar in km, a north arrow, the date and the sources."""
    import io

    from pypdf import PdfReader

    open_app(page, f"{app_server}/?dist={quote('万州区')}", timeout=60_000)
    features(page)
    page.get_by_role("button", name="生成地图").click()
    button = page.get_by_role("button", name=re.compile(r"^下载 PDF"))
    button.wait_for(timeout=90_000)
    with page.expect_download(timeout=30_000) as info:
        button.click()
    download = info.value
    assert download.suggested_filename.startswith("planmap-")
    assert download.suggested_filename.endswith(".pdf")
    reader = PdfReader(io.BytesIO(download.path().read_bytes()))
    text = reader.pages[0].extract_text()
    for words in ("规划项目地图", "区县：万州区", "图例", "区县界线", "km", "北", "制图日期",
                  "数据来源", "万州"):
        assert words in text, words
    width, height = (float(v) for v in reader.pages[0].mediabox[2:])
    assert width > height  # A4 landscape
    assert page.page_errors == [] and page.external_requests == []


def test_a_pan_and_zoom_is_kept_in_the_share_link(app_server, page, cat):
    """Issue 17 (8): the address bar is the share link; it now carries where the map is."""
    open_app(page, app_server, timeout=60_000)
    features(page)
    frame = map_frame(page)
    frame.evaluate("() => { window.map.setView([29.70, 106.80], 11); }")  # as a drag and a scroll do
    # the map writes its view into the address itself: no rerun
    page.wait_for_url(re.compile(r"v=29\.7\d*(%2C|,)106\.8\d*(%2C|,)11"), timeout=30_000)
    link = page.url
    other = page.context.new_page()
    try:
        open_app(other, link, timeout=60_000)
        frame = map_frame(other, timeout=60_000)
        frame.wait_for_function("() => window.map && window.map.getZoom() === 11",
                                timeout=30_000)
        lng, lat = frame.evaluate("() => [window.map.getCenter().lng, window.map.getCenter().lat]")
        # within a screen pixel (0.0007° at zoom 11): Leaflet snaps the centre to pixels
        assert (lng, lat) == pytest.approx((106.80, 29.70), abs=0.0005)
    finally:
        other.close()
    assert page.page_errors == [] and page.external_requests == []
